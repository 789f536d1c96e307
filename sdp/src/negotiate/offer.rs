//! Writing offers, and the parts of an m-line offers and answers share.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use super::{Codec, LocalMedia, Session};
use crate::attribute::Attribute;
use crate::connection::Connection;
use crate::media::{Media, MediaLine, MediaType};
use crate::rtp::RtcpFb;
use crate::session::Sdp;
use crate::transport::{Group, Setup};

/// The port written in m-lines: 9 (discard), real addresses come from ICE.
pub(super) const PLACEHOLDER_PORT: u16 = 9;

/// An m-line with the placeholder port and connection address.
pub(super) fn media_section<'a>(
    kind: MediaType<'a>,
    protocol: Cow<'a, str>,
    formats: Vec<Cow<'a, str>>,
) -> Media<'a> {
    let mut media = Media::new(MediaLine {
        media: kind,
        port: PLACEHOLDER_PORT,
        port_count: None,
        protocol,
        formats,
    });
    media
        .connections
        .push(Connection::from_ip(core::net::IpAddr::V4(core::net::Ipv4Addr::UNSPECIFIED)).into());
    media
}

/// ICE credentials and options, the fingerprint and the setup role.
pub(super) fn push_transport<'a>(media: &mut Media<'a>, session: &Session<'a>, setup: Setup) {
    media.push(Attribute::IceUfrag(session.ice_ufrag.clone()));
    media.push(Attribute::IcePwd(session.ice_pwd.clone()));
    if !session.ice_options.is_empty() {
        media.push(Attribute::IceOptions(session.ice_options.clone()));
    }
    media.push(Attribute::Fingerprint(session.fingerprint.clone()));
    media.push(Attribute::Setup(setup));
}

/// Candidates and `a=end-of-candidates`.
pub(super) fn push_candidates<'a>(media: &mut Media<'a>, session: &Session<'a>) {
    for candidate in &session.candidates {
        media.push(Attribute::Candidate(candidate.clone()));
    }
    if session.end_of_candidates {
        media.push(Attribute::EndOfCandidates);
    }
}

/// `a=rtpmap`, `a=rtcp-fb` and `a=fmtp` of each codec.
pub(super) fn push_codecs<'a>(media: &mut Media<'a>, codecs: &[Codec<'a>]) {
    for codec in codecs {
        media.push(Attribute::Rtpmap(codec.rtpmap()));
        for feedback in &codec.feedback {
            media.push(Attribute::RtcpFb(RtcpFb {
                payload_type: Some(codec.payload_type),
                ..feedback.clone()
            }));
        }
        if !codec.parameters.is_empty() {
            media.push(Attribute::Fmtp(codec.fmtp()));
        }
    }
}

/// The session-level part of an offer or answer.
pub(super) fn session_description<'a>(session: &Session<'a>) -> Sdp<'a> {
    let mut sdp = Sdp::new(session.origin.clone());
    if session.ice_lite {
        sdp.push(Attribute::IceLite);
    }
    sdp
}

/// Writes an offer for the local media descriptions, in order.
///
/// RTP media use `UDP/TLS/RTP/SAVPF` with `rtcp-mux` and `rtcp-rsize`;
/// `application` media are data channels (`UDP/DTLS/SCTP
/// webrtc-datachannel`, `a=sctp-port:5000`). With [`Session::bundle`] all
/// m-lines are in one `a=group:BUNDLE`.
/// <https://www.rfc-editor.org/rfc/rfc8829#section-5.2.1>
pub fn create_offer<'a>(session: &Session<'a>, media: &[LocalMedia<'a>]) -> Sdp<'a> {
    let mut sdp = session_description(session);
    if session.bundle {
        sdp.push(Attribute::Group(Group {
            semantics: Cow::Borrowed("BUNDLE"),
            mids: media.iter().map(|m| m.mid.clone()).collect(),
        }));
    }
    if session.extmap_allow_mixed {
        sdp.push(Attribute::ExtmapAllowMixed);
    }
    for local in media {
        let section = if local.kind == MediaType::Application {
            let mut section = media_section(
                MediaType::Application,
                Cow::Borrowed("UDP/DTLS/SCTP"),
                alloc::vec![Cow::Borrowed("webrtc-datachannel")],
            );
            push_transport(&mut section, session, Setup::Actpass);
            section.push(Attribute::Mid(local.mid.clone()));
            section.push(Attribute::SctpPort(5000));
            if let Some(size) = local.max_message_size {
                section.push(Attribute::MaxMessageSize(size));
            }
            push_candidates(&mut section, session);
            section
        } else {
            let formats = local
                .codecs
                .iter()
                .map(|c| Cow::Owned(alloc::format!("{}", c.payload_type)))
                .collect();
            let mut section = media_section(
                local.kind.clone(),
                Cow::Borrowed("UDP/TLS/RTP/SAVPF"),
                formats,
            );
            push_transport(&mut section, session, Setup::Actpass);
            section.push(Attribute::Mid(local.mid.clone()));
            for extension in &local.extensions {
                section.push(Attribute::Extmap(extension.clone()));
            }
            section.push(Attribute::Direction(local.direction));
            if let (true, Some(msid)) = (local.direction.sends(), &local.msid) {
                section.push(Attribute::Msid(msid.clone()));
            }
            section.push(Attribute::RtcpMux);
            section.push(Attribute::RtcpRsize);
            push_codecs(&mut section, &local.codecs);
            for rid in &local.rids {
                section.push(Attribute::Rid(rid.clone()));
            }
            if let Some(simulcast) = &local.simulcast {
                section.push(Attribute::Simulcast(simulcast.clone()));
            }
            if local.direction.sends() {
                for group in &local.ssrc_groups {
                    section.push(Attribute::SsrcGroup(group.clone()));
                }
                for ssrc in &local.ssrcs {
                    section.push(Attribute::Ssrc(ssrc.clone()));
                }
            }
            push_candidates(&mut section, session);
            section
        };
        sdp.media.push(section);
    }
    sdp
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::{String, ToString};

    #[test]
    fn codecs_write_rtpmap_feedback_and_fmtp() {
        let mut media = media_section(
            MediaType::Video,
            Cow::Borrowed("UDP/TLS/RTP/SAVPF"),
            Vec::new(),
        );
        push_codecs(
            &mut media,
            &[Codec::rtx(97, 96), Codec::new(0, "PCMU", 8000, None)],
        );
        let lines: Vec<String> = media.attributes().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "rtpmap:97 rtx/90000",
                "fmtp:97 apt=96",
                "rtpmap:0 PCMU/8000"
            ]
        );
        assert_eq!(media.media_line.port, PLACEHOLDER_PORT);
        assert_eq!(media.connections[0].to_string(), "IN IP4 0.0.0.0");
    }
}
