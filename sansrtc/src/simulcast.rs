//! Simulcast: several encodings of one source on one m-line, each its own
//! RTP stream named by an RTP stream id (a "rid": RFC 8851 in SDP,
//! RFC 8852 in RTP, RFC 8853 for the `a=simulcast` negotiation).
//!
//! Receiving (what an SFU does with a browser's three layers): a video
//! m-line offers and accepts the `rtp-stream-id` and
//! `repaired-rtp-stream-id` header extensions; an offer with
//! `a=simulcast:send` is answered with `a=simulcast:recv` and the rids,
//! which the transceiver keeps. Senders put the rid (and the MID) only in
//! the first packets of each SSRC, so each inbound stream latches its rid
//! the first time it sees one; an RTX stream latches, from its
//! `repaired-rtp-stream-id`, the layer it repairs, so that retransmissions
//! unwrap onto the right layer. A rid that was not agreed is refused
//! ([`RecvError::Rid`](crate::RecvError::Rid)). Packets, frames, keyframe
//! requests and statistics carry the layer's [`Rid`].
//!
//! Sending: [`Peer::add_simulcast_transceiver`] makes a transceiver with
//! one stream (and one RTX stream) per rid; our offer says
//! `a=rid:<rid> send` and `a=simulcast:send`, and once the answer accepts
//! it each layer is written with [`Peer::write_rtp_rid`] or
//! [`Peer::write_frame_rid`]. Each SSRC's packets carry the MID and rid
//! (RTX: the repaired rid) until the other side's first report about that
//! SSRC arrives, as browsers do. An answer without simulcast leaves the
//! first layer alone, sent like any stream. Only offers negotiate
//! simulcast sending: a transceiver answering an offer sends one stream.
//!
//! - <https://www.rfc-editor.org/rfc/rfc8851>
//! - <https://www.rfc-editor.org/rfc/rfc8852>
//! - <https://www.rfc-editor.org/rfc/rfc8853>

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use std::time::Instant;

use sansrtc_sdp::{
    Attribute, Direction, Rid as RidLine, RidDirection, Sdp, Simulcast, SimulcastId,
};

use crate::event::{Error, KeyframeRequest, MediaKind, Mid};
use crate::peer::Peer;
use crate::transceiver::Transceiver;

/// The longest rid the peer takes: 16 bytes, the limit the W3C API puts
/// on `RTCRtpEncodingParameters.rid` and what one element of a one-byte
/// RTP header extension holds (RFC 8285 §4.2). RFC 8852 allows up to 255;
/// browsers never write more than 16. A longer rid in an offer is not
/// answered; one in a packet is refused.
pub const MAX_RID_LEN: usize = 16;

/// The most simulcast layers a transceiver sends or receives. An offer
/// with more is answered with the first ones.
pub const MAX_SIMULCAST_LAYERS: usize = 8;

/// An RTP stream id: the name of one simulcast layer (`a=rid`, RFC 8851;
/// the `rtp-stream-id` header extension, RFC 8852).
///
/// Letters, digits, `-` and `_`, 1 to [`MAX_RID_LEN`] bytes, held inline:
/// it is `Copy` and carrying it on every received packet allocates
/// nothing. Compares with `str`.
///
/// ```
/// use sansrtc::Rid;
/// let rid = Rid::new("h").unwrap();
/// assert_eq!(rid, "h");
/// assert_eq!(rid.as_str(), "h");
/// assert!(Rid::new("").is_none());
/// assert!(Rid::new("no spaces").is_none());
/// assert!(Rid::new("seventeen-bytes-x").is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rid {
    len: u8,
    /// The rid's bytes, then zeros.
    bytes: [u8; MAX_RID_LEN],
}

impl Rid {
    /// A rid from its text: `None` unless it is 1 to [`MAX_RID_LEN`]
    /// letters, digits, `-` or `_` (RFC 8851 §10 `rid-id`).
    pub fn new(text: &str) -> Option<Self> {
        Self::from_bytes(text.as_bytes())
    }

    /// A rid from the bytes of a header extension element (see
    /// [`new`](Self::new)).
    pub(crate) fn from_bytes(text: &[u8]) -> Option<Self> {
        if text.is_empty()
            || text.len() > MAX_RID_LEN
            || !text
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        {
            return None;
        }
        let mut bytes = [0u8; MAX_RID_LEN];
        bytes.get_mut(..text.len())?.copy_from_slice(text);
        Some(Self {
            len: u8::try_from(text.len()).ok()?,
            bytes,
        })
    }

    /// The rid's text.
    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..usize::from(self.len)).unwrap_or_default();
        core::str::from_utf8(bytes).unwrap_or_default()
    }

    /// The rid's bytes, as the header extension carries them.
    pub fn as_bytes(&self) -> &[u8] {
        self.as_str().as_bytes()
    }
}

impl core::str::FromStr for Rid {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Self::new(text).ok_or_else(|| Error::InvalidRid(text.to_string()))
    }
}

impl core::ops::Deref for Rid {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Rid {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Rid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Rid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialOrd for Rid {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rid {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialEq<str> for Rid {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Rid {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Rid> for str {
    fn eq(&self, other: &Rid) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Rid> for &str {
    fn eq(&self, other: &Rid) -> bool {
        *self == other.as_str()
    }
}

/// The rids a `send` or `recv` list of `a=simulcast` names (every
/// alternative of every stream), valid and distinct, at most
/// [`MAX_SIMULCAST_LAYERS`].
fn listed(streams: Option<&Vec<Vec<SimulcastId<'_>>>>) -> Vec<Rid> {
    let mut rids: Vec<Rid> = Vec::new();
    for id in streams.into_iter().flatten().flatten() {
        if let Some(rid) = Rid::new(&id.id)
            && !rids.contains(&rid)
            && rids.len() < MAX_SIMULCAST_LAYERS
        {
            rids.push(rid);
        }
    }
    rids
}

/// The simulcast layers an answer agreed for the m-line `mid`, in our
/// terms: (the rids we send, the rids we receive). The answer's
/// `a=simulcast` lists are the answerer's (RFC 8853 §5.3).
pub(crate) fn agreed_rids(answer: &Sdp<'_>, mid: &str, offerer: bool) -> (Vec<Rid>, Vec<Rid>) {
    let Some(media) = answer.media_by_mid(mid).filter(|m| !m.is_port_zero()) else {
        return (Vec::new(), Vec::new());
    };
    let Some(simulcast) = media.attributes().find_map(|a| match a {
        Attribute::Simulcast(s) => Some(s),
        _ => None,
    }) else {
        return (Vec::new(), Vec::new());
    };
    let (send, recv) = (
        listed(simulcast.send.as_ref()),
        listed(simulcast.recv.as_ref()),
    );
    if offerer { (recv, send) } else { (send, recv) }
}

/// Leaves out of an offer the `a=rid:<rid> send` lines we cannot receive
/// (a rid longer than [`MAX_RID_LEN`], layers beyond
/// [`MAX_SIMULCAST_LAYERS`]): the answer then does not list them.
pub(crate) fn drop_unreceivable_rids(offer: &mut Sdp<'_>) {
    for media in &mut offer.media {
        let mut kept = 0;
        media.attributes.retain(|line| match line.value() {
            Attribute::Rid(rid) if rid.direction == RidDirection::Send => {
                let keep = rid.id.len() <= MAX_RID_LEN && kept < MAX_SIMULCAST_LAYERS;
                kept += usize::from(keep);
                keep
            }
            _ => true,
        });
    }
}

/// The `a=rid` lines and the `a=simulcast` of a transceiver that sends
/// layers `rids` (RFC 8853 §5.1: each layer a stream of its own).
pub(crate) fn send_description(rids: &[Rid]) -> (Vec<RidLine<'static>>, Simulcast<'static>) {
    let lines = rids
        .iter()
        .map(|rid| RidLine {
            id: rid.as_str().to_string().into(),
            direction: RidDirection::Send,
            payload_types: Vec::new(),
            restrictions: Vec::new(),
        })
        .collect();
    let streams = rids
        .iter()
        .map(|rid| {
            alloc::vec![SimulcastId {
                id: rid.as_str().to_string().into(),
                paused: false,
            }]
        })
        .collect();
    let simulcast = Simulcast {
        send: Some(streams),
        recv: None,
    };
    (lines, simulcast)
}

impl Peer {
    /// Adds a transceiver that sends `kind` as simulcast: one RTP stream
    /// (with its own SSRC and RTX SSRC) per rid in `rids`, in order of
    /// preference (the first is what is sent when the answer declines
    /// simulcast), and receives like any transceiver. The next offer
    /// carries `a=rid:<rid> send` and `a=simulcast:send <rid>;<rid>...`.
    /// Write each layer with [`write_rtp_rid`](Self::write_rtp_rid) or
    /// [`write_frame_rid`](Self::write_frame_rid); [`send_rids`](Self::send_rids)
    /// tells which layers the answer accepted.
    ///
    /// Errors: a rid that is not 1 to [`MAX_RID_LEN`] letters, digits,
    /// `-` or `_`, twice the same rid, none or more than
    /// [`MAX_SIMULCAST_LAYERS`] rids.
    pub fn add_simulcast_transceiver(
        &mut self,
        kind: MediaKind,
        direction: Direction,
        rids: &[&str],
    ) -> Result<Mid, Error> {
        let mut parsed: Vec<Rid> = Vec::with_capacity(rids.len());
        for text in rids {
            let rid: Rid = text.parse()?;
            if parsed.contains(&rid) {
                return Err(Error::InvalidRid((*text).to_string()));
            }
            parsed.push(rid);
        }
        if parsed.is_empty() || parsed.len() > MAX_SIMULCAST_LAYERS {
            return Err(Error::InvalidRid(rids.join(";")));
        }
        let mid = self.add_transceiver(kind, direction)?;
        let index = self.index_of(&mid)?;
        if let Some(transceiver) = self.transceivers.get_mut(index) {
            transceiver.set_layers(&parsed, &mut self.rng);
        }
        Ok(mid)
    }

    /// Sends an RTP packet on simulcast layer `rid` of a transceiver, as
    /// [`write_rtp`](Self::write_rtp) does on a transceiver's one stream:
    /// with the layer's SSRC, sequence numbers and timestamp offset, and
    /// the MID and rid header extensions until the other side reports on
    /// the layer.
    ///
    /// Errors: [`Error::UnknownRid`] for a rid that is not one of the
    /// layers the answer accepted (with an answer that declined simulcast,
    /// only the first rid is sent).
    #[allow(clippy::too_many_arguments)]
    pub fn write_rtp_rid(
        &mut self,
        now: Instant,
        mid: &str,
        rid: &str,
        payload_type: u8,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<(), Error> {
        self.check_open()?;
        self.advance(now);
        let index = self.sending_index(mid, payload_type)?;
        let layer = self.sending_layer(index, Some(rid))?;
        self.send_rtp(now, index, layer, payload_type, timestamp, marker, payload)?;
        self.pump(now);
        Ok(())
    }

    /// Sends an encoded frame on simulcast layer `rid` of a transceiver,
    /// as [`write_frame`](Self::write_frame) does (each layer has its own
    /// packetizers); the errors of [`write_rtp_rid`](Self::write_rtp_rid).
    pub fn write_frame_rid(
        &mut self,
        now: Instant,
        mid: &str,
        rid: &str,
        payload_type: u8,
        timestamp: u32,
        frame: &[u8],
    ) -> Result<(), Error> {
        self.write_frame_on(now, mid, Some(rid), payload_type, timestamp, frame)
    }

    /// Asks the other side for a keyframe of the simulcast layer `rid` we
    /// receive on a transceiver: a PLI (or an FIR when only that was
    /// agreed) about that layer's SSRC.
    ///
    /// Errors: [`Error::UnknownRid`] when no stream of that rid was heard
    /// yet.
    pub fn request_keyframe_for(
        &mut self,
        now: Instant,
        mid: &str,
        rid: &str,
    ) -> Result<(), Error> {
        self.advance(now);
        let index = self.index_of(mid)?;
        let ssrc = self
            .transceivers
            .get(index)
            .and_then(|t| t.inbound.iter().find(|s| s.rid.is_some_and(|r| r == rid)))
            .map(|s| s.ssrc)
            .ok_or_else(|| Error::UnknownRid(rid.to_string()))?;
        self.send_keyframe_request(now, index, Some(ssrc), KeyframeRequest::Pli)?;
        self.pump(now);
        Ok(())
    }

    /// The simulcast layers a transceiver sends now, in the order it was
    /// given them: those the answer accepted, or only the first when the
    /// answer declined simulcast (empty for a transceiver without rids, or
    /// before the answer).
    pub fn send_rids(&self, mid: &str) -> Vec<Rid> {
        self.transceivers
            .iter()
            .find(|t| t.mid == mid)
            .map(|t| {
                (0..t.outbound.len())
                    .filter(|&layer| t.negotiated.is_some() && t.layer_is_sent(layer))
                    .filter_map(|layer| t.outbound.get(layer).and_then(|o| o.rid))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The simulcast layers agreed for a transceiver to receive (empty
    /// without simulcast).
    pub fn receive_rids(&self, mid: &str) -> Vec<Rid> {
        self.transceivers
            .iter()
            .find(|t| t.mid == mid)
            .and_then(|t| t.negotiated.as_ref())
            .map(|n| n.recv_rids.clone())
            .unwrap_or_default()
    }

    /// The stream of a transceiver a write goes to: layer `rid`, or
    /// without one the first layer sent.
    pub(crate) fn sending_layer(&self, index: usize, rid: Option<&str>) -> Result<usize, Error> {
        let transceiver: &Transceiver = self
            .transceivers
            .get(index)
            .ok_or_else(|| Error::UnknownMid(String::new()))?;
        let mut layers = (0..transceiver.outbound.len()).filter(|&l| transceiver.layer_is_sent(l));
        match rid {
            None => layers.next(),
            Some(rid) => layers.find(|&l| {
                transceiver
                    .outbound
                    .get(l)
                    .and_then(|o| o.rid)
                    .is_some_and(|r| r == rid)
            }),
        }
        .ok_or_else(|| Error::UnknownRid(rid.unwrap_or_default().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rids_are_checked_and_held_inline() {
        let rid = Rid::new("q-1_").unwrap();
        assert_eq!(rid, "q-1_");
        assert_eq!("q-1_", rid);
        assert_eq!(rid.len(), 4);
        assert_eq!(alloc::format!("{rid} {rid:?}"), "q-1_ \"q-1_\"");
        assert_eq!(
            Rid::new("a".repeat(MAX_RID_LEN).as_str()).unwrap().len(),
            16
        );
        for bad in ["", "a b", "é", "a;b", "x".repeat(MAX_RID_LEN + 1).as_str()] {
            assert!(Rid::new(bad).is_none(), "{bad:?}");
            assert!(matches!(bad.parse::<Rid>(), Err(Error::InvalidRid(_))));
        }
        assert!(Rid::from_bytes(&[0xff]).is_none());
        let mut sorted = [
            Rid::new("h").unwrap(),
            Rid::new("f").unwrap(),
            Rid::new("ff").unwrap(),
        ];
        sorted.sort();
        assert_eq!(sorted.map(|r| r.to_string()), ["f", "ff", "h"]);
    }

    #[test]
    fn agreed_rids_read_the_answerers_lists_from_our_side() {
        let answer = Sdp::parse(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
             m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\n\
             a=simulcast:send x recv h;m,l;~l\r\n\
             m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:z\r\n\
             a=simulcast:recv a\r\n",
        )
        .unwrap();
        // The answerer receives h, m or l (alternatives), l again (paused),
        // and sends x.
        let (send, recv) = agreed_rids(&answer, "v", false);
        assert_eq!(send, ["x"]);
        assert_eq!(recv, ["h", "m", "l"]);
        // The offerer sends what the answerer receives.
        let (send, recv) = agreed_rids(&answer, "v", true);
        assert_eq!(send, ["h", "m", "l"]);
        assert_eq!(recv, ["x"]);
        // A rejected m-line, an unknown mid: nothing.
        assert_eq!(agreed_rids(&answer, "z", true), (Vec::new(), Vec::new()));
        assert_eq!(agreed_rids(&answer, "q", true), (Vec::new(), Vec::new()));
    }

    #[test]
    fn offers_lose_the_rids_we_cannot_receive() {
        let mut text = String::from(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
             m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\n\
             a=rid:seventeen-bytes-x send\r\na=rid:back recv\r\n",
        );
        for i in 0..12 {
            text.push_str(&alloc::format!("a=rid:r{i} send\r\n"));
        }
        let mut offer = Sdp::parse(&text).unwrap();
        drop_unreceivable_rids(&mut offer);
        let rids: Vec<String> = offer.media[0]
            .attributes()
            .filter_map(|a| match a {
                Attribute::Rid(r) => Some(r.id.to_string()),
                _ => None,
            })
            .collect();
        // The long one goes, and the layers beyond the cap; recv lines
        // stay.
        assert_eq!(
            rids,
            ["back", "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"]
        );
    }

    #[test]
    fn the_send_description_lists_each_layer_as_a_stream() {
        let rids = [Rid::new("q").unwrap(), Rid::new("h").unwrap()];
        let (lines, simulcast) = send_description(&rids);
        assert_eq!(
            lines.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["q send", "h send"]
        );
        assert_eq!(simulcast.to_string(), "send q;h");
    }
}
