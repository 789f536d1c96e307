//! Demultiplexing one socket (RFC 7983, RFC 9443) and RTP from RTCP on it
//! (RFC 5761 §4): ICE consumes STUN before this; what it hands back is
//! DTLS, SRTP or SRTCP.
//!
//! - <https://www.rfc-editor.org/rfc/rfc9443#section-3>
//! - <https://www.rfc-editor.org/rfc/rfc5761#section-4>

use sansrtc_stun::framing::PacketKind;

/// What a datagram that is not STUN carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Packet {
    /// 20–63: DTLS.
    Dtls,
    /// 128–191 with an RTCP packet type (192–223) second: SRTCP.
    Rtcp,
    /// 128–191 otherwise: SRTP.
    Rtp,
    /// Anything else.
    Other,
}

/// Classifies a datagram by its first two bytes.
pub(crate) fn classify(datagram: &[u8]) -> Packet {
    match PacketKind::of(datagram) {
        PacketKind::Dtls => Packet::Dtls,
        PacketKind::Rtp => match datagram.get(1) {
            // RFC 5761 §4: RTCP packet types 192-223 where an RTP header
            // has its marker bit and payload type.
            Some(192..=223) => Packet::Rtcp,
            Some(_) => Packet::Rtp,
            None => Packet::Other,
        },
        _ => Packet::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_the_first_bytes() {
        assert_eq!(classify(&[22, 0xfe, 0xfd]), Packet::Dtls);
        assert_eq!(classify(&[0x80, 0x00]), Packet::Rtp);
        assert_eq!(classify(&[0x80, 0xe0]), Packet::Rtp); // marker + PT 96
        assert_eq!(classify(&[0x80, 200]), Packet::Rtcp); // SR
        assert_eq!(classify(&[0x81, 206]), Packet::Rtcp); // PSFB
        assert_eq!(classify(&[0x80]), Packet::Other);
        assert_eq!(classify(&[]), Packet::Other);
        assert_eq!(classify(&[0x00, 0x01]), Packet::Other); // STUN is ICE's
    }
}
