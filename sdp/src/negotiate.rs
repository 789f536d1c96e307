//! Offer/answer negotiation: RFC 3264 as profiled by JSEP
//! ([RFC 8829](https://www.rfc-editor.org/rfc/rfc8829)).
//!
//! - [`create_offer`] writes an offer from local media descriptions;
//! - [`create_answer`] answers a remote offer from local capabilities:
//!   m-lines are matched in order and keep their `mid`, codecs are
//!   intersected by name, clock rate, channels and format parameters (H.264
//!   `profile-level-id` and `packetization-mode`, VP9 and AV1 profiles), RTX
//!   follows its `apt`, RED follows the codecs it carries, `rtcp-fb` and
//!   `extmap` are intersected, directions are answered, BUNDLE is accepted,
//!   m-lines we cannot take are rejected with port 0 and a data channel
//!   m-line is answered;
//! - [`agree`] reads an offer and its answer and reports what was agreed
//!   for each m-line, in our terms (local and remote) whichever [`Side`] we
//!   are; [`apply_answer`] is the offerer's shorthand.
//!
//! ```
//! use sansrtc_sdp::negotiate::{Capabilities, Session, apply_answer, create_answer};
//! use sansrtc_sdp::{Direction, Sdp};
//!
//! let offer = Sdp::parse(include_str!("../tests/data/chrome-offer-av-data.sdp"))?;
//! let capabilities = Capabilities::webrtc_defaults(Session::example());
//! let answer = create_answer(&offer, &capabilities)?;
//! let agreement = apply_answer(&offer, &answer)?;
//! let video = agreement.media_by_mid("1").unwrap();
//! assert_eq!(video.codecs[0].name, "VP8");
//! assert_eq!(video.codecs[0].rtx_payload_type, Some(97));
//! assert_eq!(video.direction, Direction::SendRecv);
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

mod agreement;
mod answer;
mod codec;
mod offer;

pub use agreement::{AgreedCodec, AgreedMedia, Agreement, Side, agree, apply_answer};
pub use answer::{MAX_SIMULCAST_ALTERNATIVES, MAX_SIMULCAST_STREAMS, create_answer};
pub use codec::{Codec, MAX_FEEDBACK};
pub use offer::create_offer;

use alloc::borrow::Cow;
use alloc::vec::Vec;

use crate::connection::Origin;
use crate::media::MediaType;
use crate::rtp::{Direction, Extmap, Ssrc, SsrcGroup};
use crate::simulcast::{Rid, Simulcast};
use crate::transport::{Fingerprint, Msid};

/// Why an offer or answer could not be negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    /// The answer does not have one m-line per m-line of the offer.
    #[error("the answer has {answer} media descriptions, the offer {offer}")]
    MediaCount {
        /// m-lines in the offer.
        offer: usize,
        /// m-lines in the answer.
        answer: usize,
    },
    /// An m-line breaks an offer/answer rule.
    #[error("media description {index}: {reason}")]
    Media {
        /// Index of the m-line, from 0.
        index: usize,
        /// The rule.
        reason: &'static str,
    },
    /// A session-level rule is broken.
    #[error("session: {reason}")]
    Session {
        /// The rule.
        reason: &'static str,
    },
}

/// Why a [`Session`] could not be made: a value the caller gave breaks its
/// RFC's grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// `a=ice-ufrag` must be 4 to 256 ICE characters (letters, digits, `+`
    /// and `/`), RFC 8839 section 5.4.
    #[error("ice-ufrag: 4 to 256 letters, digits, `+` or `/`")]
    IceUfrag,
    /// `a=ice-pwd` must be 22 to 256 ICE characters, RFC 8839 section 5.4.
    #[error("ice-pwd: 22 to 256 letters, digits, `+` or `/`")]
    IcePwd,
}

/// Whether `text` is `min..=256` ICE characters (RFC 8839 `ice-char`).
fn is_ice_chars(text: &str, min: usize) -> bool {
    (min..=256).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// The transport parameters written in each m-line we send: ICE credentials,
/// DTLS fingerprint and candidates, and the session options.
///
/// Made with [`Session::new`] from the ICE agent's credentials and the DTLS
/// certificate's fingerprint, then adjusted with the `with_*` methods (or
/// by assigning the fields).
///
/// ```
/// use sansrtc_sdp::negotiate::Session;
/// use sansrtc_sdp::{Fingerprint, Origin};
///
/// let fingerprint = Fingerprint::parse(
///     "sha-256 29:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2",
/// )?;
/// let session = Session::new(
///     Origin::new(4_611_731_400_430_051_336, [127, 0, 0, 1].into()),
///     "8hhY",
///     "asd88fgpdd777uzjYhagZg",
///     fingerprint,
/// )?
/// .with_candidates(vec!["1 1 udp 2130706431 192.0.2.1 50000 typ host".into()])
/// .with_end_of_candidates(true);
/// assert!(session.bundle && session.ice_options == ["trickle"]);
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Session<'a> {
    /// `o=` of our descriptions.
    pub origin: Origin<'a>,
    /// `a=ice-ufrag`.
    pub ice_ufrag: Cow<'a, str>,
    /// `a=ice-pwd`.
    pub ice_pwd: Cow<'a, str>,
    /// `a=ice-options` (for example `trickle`).
    pub ice_options: Vec<Cow<'a, str>>,
    /// Whether we are an ICE-lite agent (`a=ice-lite`).
    pub ice_lite: bool,
    /// `a=fingerprint` of our DTLS certificate.
    pub fingerprint: Fingerprint<'a>,
    /// `a=candidate` values to write in each m-line.
    pub candidates: Vec<Cow<'a, str>>,
    /// Whether to write `a=end-of-candidates`.
    pub end_of_candidates: bool,
    /// Whether we offer BUNDLE (`a=group:BUNDLE`) and accept it in answers.
    pub bundle: bool,
    /// Whether we support mixing one- and two-byte header extensions
    /// (`a=extmap-allow-mixed`).
    pub extmap_allow_mixed: bool,
}

impl<'a> Session<'a> {
    /// Transport parameters with our ICE credentials (from the ICE agent:
    /// they must be random) and our DTLS certificate's fingerprint; trickle
    /// ICE (`a=ice-options:trickle`), no candidates yet, BUNDLE and
    /// `a=extmap-allow-mixed`, as browsers do.
    pub fn new(
        origin: Origin<'a>,
        ice_ufrag: impl Into<Cow<'a, str>>,
        ice_pwd: impl Into<Cow<'a, str>>,
        fingerprint: Fingerprint<'a>,
    ) -> Result<Self, SessionError> {
        let ice_ufrag = ice_ufrag.into();
        let ice_pwd = ice_pwd.into();
        if !is_ice_chars(&ice_ufrag, 4) {
            return Err(SessionError::IceUfrag);
        }
        if !is_ice_chars(&ice_pwd, 22) {
            return Err(SessionError::IcePwd);
        }
        Ok(Self {
            origin,
            ice_ufrag,
            ice_pwd,
            ice_options: alloc::vec![Cow::Borrowed("trickle")],
            ice_lite: false,
            fingerprint,
            candidates: Vec::new(),
            end_of_candidates: false,
            bundle: true,
            extmap_allow_mixed: true,
        })
    }

    /// Sets [`ice_options`](Self::ice_options).
    #[must_use]
    pub fn with_ice_options(mut self, ice_options: Vec<Cow<'a, str>>) -> Self {
        self.ice_options = ice_options;
        self
    }

    /// Sets [`ice_lite`](Self::ice_lite).
    #[must_use]
    pub fn with_ice_lite(mut self, ice_lite: bool) -> Self {
        self.ice_lite = ice_lite;
        self
    }

    /// Sets [`candidates`](Self::candidates).
    #[must_use]
    pub fn with_candidates(mut self, candidates: Vec<Cow<'a, str>>) -> Self {
        self.candidates = candidates;
        self
    }

    /// Sets [`end_of_candidates`](Self::end_of_candidates).
    #[must_use]
    pub fn with_end_of_candidates(mut self, end_of_candidates: bool) -> Self {
        self.end_of_candidates = end_of_candidates;
        self
    }

    /// Sets [`bundle`](Self::bundle).
    #[must_use]
    pub fn with_bundle(mut self, bundle: bool) -> Self {
        self.bundle = bundle;
        self
    }

    /// Sets [`extmap_allow_mixed`](Self::extmap_allow_mixed).
    #[must_use]
    pub fn with_extmap_allow_mixed(mut self, extmap_allow_mixed: bool) -> Self {
        self.extmap_allow_mixed = extmap_allow_mixed;
        self
    }
}

impl Session<'static> {
    /// Fixed example values, for documentation and tests only: real
    /// credentials must be random and the fingerprint must be the
    /// certificate's (use [`Session::new`]).
    pub fn example() -> Self {
        let fingerprint = Fingerprint {
            hash_function: Cow::Borrowed("sha-256"),
            bytes: (0u8..32).collect(),
        };
        let origin = Origin::new(
            1_433_832_402_044_130_222,
            core::net::IpAddr::V4(core::net::Ipv4Addr::LOCALHOST),
        );
        Self {
            origin,
            ice_ufrag: Cow::Borrowed("sR7q"),
            ice_pwd: Cow::Borrowed("1FWqD3zQ8lkT2DpKj6cWz9h0"),
            ice_options: alloc::vec![Cow::Borrowed("trickle")],
            ice_lite: false,
            fingerprint,
            candidates: Vec::new(),
            end_of_candidates: false,
            bundle: true,
            extmap_allow_mixed: true,
        }
    }
}

/// A local media description: what we offer, or what we can answer with
/// for one kind of media. Made with [`LocalMedia::new`] or
/// [`LocalMedia::data_channel`]; the other fields are set by assigning them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalMedia<'a> {
    /// `a=mid` (offers; answers reuse the offer's).
    pub mid: Cow<'a, str>,
    /// `audio`, `video` or `application`.
    pub kind: MediaType<'a>,
    /// Codecs in order of preference, RTX and RED included (RTX with `apt`).
    pub codecs: Vec<Codec<'a>>,
    /// Header extensions we support.
    pub extensions: Vec<Extmap<'a>>,
    /// Whether we want to send and receive.
    pub direction: Direction,
    /// `a=msid` of the track we send.
    pub msid: Option<Msid<'a>>,
    /// `a=ssrc` lines of the track we send.
    pub ssrcs: Vec<Ssrc<'a>>,
    /// `a=ssrc-group` lines.
    pub ssrc_groups: Vec<SsrcGroup<'a>>,
    /// `a=rid` lines.
    pub rids: Vec<Rid<'a>>,
    /// `a=simulcast`.
    pub simulcast: Option<Simulcast<'a>>,
    /// For `application` (data channels): `a=max-message-size`.
    pub max_message_size: Option<u64>,
}

impl<'a> LocalMedia<'a> {
    /// A media description of a kind with codecs and extensions, `sendrecv`.
    pub fn new(
        mid: &'a str,
        kind: MediaType<'a>,
        codecs: Vec<Codec<'a>>,
        extensions: Vec<Extmap<'a>>,
    ) -> Self {
        Self {
            mid: Cow::Borrowed(mid),
            kind,
            codecs,
            extensions,
            direction: Direction::SendRecv,
            msid: None,
            ssrcs: Vec::new(),
            ssrc_groups: Vec::new(),
            rids: Vec::new(),
            simulcast: None,
            max_message_size: None,
        }
    }

    /// A data channel (`m=application ... UDP/DTLS/SCTP webrtc-datachannel`).
    pub fn data_channel(mid: &'a str) -> Self {
        let mut media = Self::new(mid, MediaType::Application, Vec::new(), Vec::new());
        media.max_message_size = Some(262_144);
        media
    }
}

/// What we can accept when answering: [`Capabilities::new`] and the
/// `with_*` methods, or [`Capabilities::webrtc_defaults`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities<'a> {
    /// Transport parameters and session options.
    pub session: Session<'a>,
    /// Audio we can take, if any.
    pub audio: Option<LocalMedia<'a>>,
    /// Video we can take, if any.
    pub video: Option<LocalMedia<'a>>,
    /// Data channels, if we take them.
    pub data_channel: Option<LocalMedia<'a>>,
}

/// The header extensions a browser commonly negotiates, by URI.
pub const AUDIO_EXTENSIONS: [&str; 4] = [
    "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "urn:ietf:params:rtp-hdrext:sdes:mid",
];

/// Video header extensions we negotiate by default, by URI.
pub const VIDEO_EXTENSIONS: [&str; 6] = [
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "urn:ietf:params:rtp-hdrext:sdes:mid",
    "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
    "urn:3gpp:video-orientation",
];

fn extensions(uris: &[&'static str]) -> Vec<Extmap<'static>> {
    uris.iter()
        .zip(1u16..)
        .map(|(uri, id)| Extmap::new(id, uri))
        .collect()
}

impl<'a> Capabilities<'a> {
    /// Capabilities that take no media yet.
    pub fn new(session: Session<'a>) -> Self {
        Self {
            session,
            audio: None,
            video: None,
            data_channel: None,
        }
    }

    /// Sets the audio we can take.
    #[must_use]
    pub fn with_audio(mut self, audio: LocalMedia<'a>) -> Self {
        self.audio = Some(audio);
        self
    }

    /// Sets the video we can take.
    #[must_use]
    pub fn with_video(mut self, video: LocalMedia<'a>) -> Self {
        self.video = Some(video);
        self
    }

    /// Sets the data channels we take.
    #[must_use]
    pub fn with_data_channel(mut self, data_channel: LocalMedia<'a>) -> Self {
        self.data_channel = Some(data_channel);
        self
    }
}

impl Capabilities<'static> {
    /// Opus, G.722, PCMU, PCMA and telephone-event for audio; VP8, VP9
    /// (profiles 0 and 2), H.264 (constrained baseline, packetization modes 1
    /// and 0) and AV1 with RTX for video; data channels.
    pub fn webrtc_defaults(session: Session<'static>) -> Self {
        Self {
            session,
            audio: Some(LocalMedia::new(
                "0",
                MediaType::Audio,
                Codec::default_audio(),
                extensions(&AUDIO_EXTENSIONS),
            )),
            video: Some(LocalMedia::new(
                "1",
                MediaType::Video,
                Codec::default_video(),
                extensions(&VIDEO_EXTENSIONS),
            )),
            data_channel: Some(LocalMedia::data_channel("2")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn session_checks_the_credentials_it_is_given() {
        let example = Session::example();
        let made = Session::new(
            example.origin.clone(),
            "sR7q",
            "1FWqD3zQ8lkT2DpKj6cWz9h0",
            example.fingerprint.clone(),
        )
        .unwrap();
        assert_eq!(made, example);
        let fingerprint = || example.fingerprint.clone();
        let origin = || example.origin.clone();
        for ufrag in ["abc", "ab c", "ab:cd", ""] {
            assert_eq!(
                Session::new(origin(), ufrag, "1FWqD3zQ8lkT2DpKj6cWz9h0", fingerprint()),
                Err(SessionError::IceUfrag),
                "{ufrag}"
            );
        }
        let long = "a".repeat(257);
        assert_eq!(
            Session::new(
                origin(),
                long.as_str(),
                "1FWqD3zQ8lkT2DpKj6cWz9h0",
                fingerprint()
            ),
            Err(SessionError::IceUfrag)
        );
        for pwd in ["short", "1FWqD3zQ8lkT2DpKj6cWz9h=", ""] {
            assert_eq!(
                Session::new(origin(), "sR7q", pwd, fingerprint()),
                Err(SessionError::IcePwd),
                "{pwd}"
            );
        }
        let session = made
            .with_ice_lite(true)
            .with_bundle(false)
            .with_extmap_allow_mixed(false)
            .with_ice_options(Vec::new());
        assert!(session.ice_lite && !session.bundle && !session.extmap_allow_mixed);
        assert!(session.ice_options.is_empty());
        let offer = create_offer(&session, &[]);
        assert!(offer.attributes().any(|a| *a == crate::Attribute::IceLite));
        assert_eq!(
            offer.origin.to_string(),
            "- 1433832402044130222 1 IN IP4 127.0.0.1"
        );
        let v6 = Origin::new(7, core::net::IpAddr::V6(core::net::Ipv6Addr::LOCALHOST));
        assert_eq!(v6.to_string(), "- 7 1 IN IP6 ::1");
    }
}
