//! Session Description Protocol ([RFC 8866](https://www.rfc-editor.org/rfc/rfc8866))
//! for WebRTC, without I/O: a typed model, a lossless parser and writer, and
//! JSEP offer/answer negotiation.
//!
//! ```
//! use sansrtc_sdp::Sdp;
//!
//! let text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
//!             a=msid-semantic: WMS\r\n\
//!             m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n\
//!             a=mid:0\r\na=rtpmap:111 opus/48000/2\r\na=x-unknown:kept\r\n";
//! let mut sdp = Sdp::parse(text)?;
//! assert_eq!(sdp.media[0].rtpmap(111).unwrap().clock_rate, 48000);
//! // Unchanged lines are written back byte for byte, unknown ones included.
//! assert_eq!(sdp.to_string(), text);
//! // A changed value is written from its typed form.
//! sdp.origin.get_mut().session_version += 1;
//! assert!(sdp.to_string().contains("o=- 1 3 IN IP4 127.0.0.1\r\n"));
//! # Ok::<(), sansrtc_sdp::ParseError>(())
//! ```
//!
//! # Model
//!
//! [`Sdp`] holds every line of RFC 8866 (`v o s i u e p c b t r z k a m`)
//! as a [`Line`]: the typed value plus the text it came from. Text fields
//! are `Cow<'a, str>` borrowing from the input; [`Sdp::into_owned`] makes a
//! `Sdp<'static>`. Attributes are typed by [`Attribute`]; unknown ones are
//! kept as [`Attribute::Other`].
//!
//! # Strict and lenient parsing
//!
//! [`Sdp::parse`] is lenient (what browsers send), [`Sdp::parse_strict`]
//! follows the RFCs to the letter; [`Mode`] lists the differences. Errors
//! ([`ParseError`]) give the line number, the line and what was expected.
//!
//! # Offer/answer
//!
//! [`negotiate`] builds offers and answers (RFC 3264, JSEP RFC 8829) and
//! reports what an offer/answer exchange agreed on.
//!
//! # Features
//!
//! - `std` (default): nothing yet needs it; the crate is `no_std` + `alloc`.
//! - `serde`: `serde::Serialize` for the typed model and the negotiation
//!   results; a [`Line`] serializes as its value.
//! - `arbitrary`: `arbitrary::Arbitrary` for [`Sdp<'static>`](Sdp), [`Media`]
//!   and [`Attribute`] (any description the grammar allows) and for JSEP
//!   offers and answerers (`arbitrary::OfferSpec`, `negotiate::Capabilities`):
//!   generated input for your fuzz targets, written by this crate.
//! - `proptest`: proptest strategies for the same (`strategy`), and
//!   near-valid descriptions for negative tests.
//!
//! # Limits
//!
//! Input larger than [`MAX_SDP_LEN`], with more than [`MAX_LINES`] lines or
//! [`MAX_MEDIA`] media descriptions is rejected, so memory use is bounded by
//! a small multiple of the input size.
//!
//! # Panics
//!
//! No input may cause a panic; a panic is a bug.

#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(any(feature = "arbitrary", feature = "proptest"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "arbitrary", feature = "proptest"))))]
pub mod arbitrary;
mod attribute;
mod bandwidth;
mod connection;
mod error;
mod fmtp;
mod imageattr;
mod layout;
mod line;
mod media;
pub mod negotiate;
mod rtp;
mod session;
mod simulcast;
#[cfg(feature = "proptest")]
#[cfg_attr(docsrs, doc(cfg(feature = "proptest")))]
pub mod strategy;
mod time;
mod token;
mod transport;

pub use attribute::{Attribute, Level};
pub use bandwidth::{Bandwidth, BandwidthType};
pub use connection::{Address, AddressType, Connection, Origin};
pub use error::{ERROR_EXCERPT_LEN, ErrorKind, LineExcerpt, ParseError};
pub use fmtp::{
    Av1Parameters, Fmtp, FmtpParameter, H264Parameters, H264Profile, OpusParameters, ProfileLevelId,
};
pub use imageattr::Imageattr;
pub use line::{Line, LineMut};
pub use media::{Media, MediaLine, MediaType};
pub use rtp::{Direction, Extmap, RtcpFb, Rtpmap, Ssrc, SsrcGroup};
pub use session::{MAX_LINES, MAX_MEDIA, MAX_SDP_LEN, Mode, Sdp};
pub use simulcast::{Rid, RidDirection, RidRestriction, Simulcast, SimulcastId, SimulcastStreams};
pub use time::{
    Repeat, TimeDescription, TimeUnit, TimeZoneAdjustment, TimeZones, Timing, TypedTime,
};
pub use transport::{
    ConnectionMode, Decimal, Fingerprint, Group, MAX_FINGERPRINT_LEN, Msid, MsidSemantic,
    RemoteCandidate, Rtcp, Sctpmap, Setup,
};
