//! What an offer and its answer agreed on.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use super::{Codec, NegotiationError};
use crate::attribute::Attribute;
use crate::media::{Media, MediaType};
use crate::rtp::{Direction, Extmap};
use crate::session::Sdp;

/// A codec both sides agreed on: the answer's [`Codec`] (payload type, name,
/// clock rate, channels, parameters and feedback, reachable through `Deref`)
/// and the RTX payload type repairing it.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AgreedCodec<'a> {
    /// The codec as the answer describes it.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub codec: Codec<'a>,
    /// The RTX payload type repairing this codec, if agreed.
    pub rtx_payload_type: Option<u8>,
}

impl<'a> core::ops::Deref for AgreedCodec<'a> {
    type Target = Codec<'a>;

    fn deref(&self) -> &Codec<'a> {
        &self.codec
    }
}

/// Which side of an offer/answer exchange we are.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// We sent the offer and received the answer.
    Offerer,
    /// We received the offer and sent the answer.
    Answerer,
}

/// What was agreed for one m-line, in our terms: "local" is us, "remote"
/// the other side, whichever of the two offered (see [`Side`]).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AgreedMedia<'a> {
    /// Index of the m-line.
    pub index: usize,
    /// `a=mid`.
    pub mid: Option<Cow<'a, str>>,
    /// Media type.
    pub kind: MediaType<'a>,
    /// Whether the answer accepted the m-line.
    pub accepted: bool,
    /// Codecs in the answer's order (RTX and RED are not listed on their
    /// own: RTX is in [`AgreedCodec::rtx_payload_type`]; RED is listed).
    pub codecs: Vec<AgreedCodec<'a>>,
    /// Header extensions in both offer and answer (same id and URI), with
    /// their direction, if restricted, from our side (`sendonly`: we send
    /// it).
    pub extensions: Vec<Extmap<'a>>,
    /// Our direction: whether we send and receive on this m-line (the
    /// answer's direction, reversed for the offerer).
    pub direction: Direction,
    /// SSRCs we announced.
    pub local_ssrcs: Vec<u32>,
    /// SSRCs the other side announced.
    pub remote_ssrcs: Vec<u32>,
    /// Simulcast rids we send.
    pub send_layers: Vec<Cow<'a, str>>,
    /// Simulcast rids we receive.
    pub recv_layers: Vec<Cow<'a, str>>,
}

/// The outcome of an offer/answer exchange, in our terms.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Agreement<'a> {
    /// Which side we were.
    pub side: Side,
    /// One entry per m-line, in order.
    pub media: Vec<AgreedMedia<'a>>,
    /// The answer's `BUNDLE` groups (mids, first is the tagged one).
    pub bundle_groups: Vec<Vec<Cow<'a, str>>>,
}

impl<'a> Agreement<'a> {
    /// The agreement for a `mid`.
    pub fn media_by_mid(&self, mid: &str) -> Option<&AgreedMedia<'a>> {
        self.media.iter().find(|m| m.mid.as_deref() == Some(mid))
    }
}

/// The SSRCs of `a=ssrc` lines, each once, in order of first appearance
/// (`O(n log n)`: an m-line may have thousands of lines).
fn ssrcs(media: &Media<'_>) -> Vec<u32> {
    let all: Vec<u32> = media
        .attributes()
        .filter_map(|a| match a {
            Attribute::Ssrc(s) => Some(s.ssrc),
            _ => None,
        })
        .collect();
    let mut distinct = all.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let mut emitted = alloc::vec![false; distinct.len()];
    all.into_iter()
        .filter(|ssrc| {
            match distinct
                .binary_search(ssrc)
                .ok()
                .and_then(|i| emitted.get_mut(i))
            {
                Some(done) if !*done => {
                    *done = true;
                    true
                }
                _ => false,
            }
        })
        .collect()
}

fn mid_of<'a>(media: &Media<'a>) -> Option<Cow<'a, str>> {
    media.attributes().find_map(|a| match a {
        Attribute::Mid(m) => Some(m.clone()),
        _ => None,
    })
}

/// Reads the offer we sent and the answer we received, and reports what
/// was agreed for each m-line (RFC 3264 section 7, JSEP section 5.10):
/// [`agree`] as the [`Side::Offerer`].
///
/// Fails when the answer does not answer the offer: a different number of
/// m-lines, a different media type or `mid` on an m-line.
pub fn apply_answer<'a>(
    offer: &Sdp<'a>,
    answer: &Sdp<'a>,
) -> Result<Agreement<'a>, NegotiationError> {
    agree(offer, answer, Side::Offerer)
}

/// Reads an offer and its answer and reports what was agreed for each
/// m-line, in the terms of `side`: the offerer calls it with the answer it
/// received, the answerer with the answer it sent (from
/// [`create_answer`](super::create_answer)), and both read the same
/// agreement from their own side.
///
/// Fails when the answer does not answer the offer: a different number of
/// m-lines, a different media type or `mid` on an m-line.
pub fn agree<'a>(
    offer: &Sdp<'a>,
    answer: &Sdp<'a>,
    side: Side,
) -> Result<Agreement<'a>, NegotiationError> {
    if offer.media.len() != answer.media.len() {
        return Err(NegotiationError::MediaCount {
            offer: offer.media.len(),
            answer: answer.media.len(),
        });
    }
    // A group lists at most one mid per m-line; anything longer is cut.
    let bundle_groups: Vec<Vec<Cow<'a, str>>> = answer
        .bundle_groups()
        .map(|g| g.mids.iter().take(answer.media.len()).cloned().collect())
        .collect();
    let mut bundled_mids: Vec<&str> = bundle_groups.iter().flatten().map(|m| &**m).collect();
    bundled_mids.sort_unstable();
    bundled_mids.dedup();
    let mut media = Vec::with_capacity(offer.media.len());
    for (index, (offered, answered)) in offer.media.iter().zip(&answer.media).enumerate() {
        if offered.media_line.media != answered.media_line.media {
            return Err(NegotiationError::Media {
                index,
                reason: "the answer's media type differs from the offer's",
            });
        }
        let mid = mid_of(answered);
        if mid.is_some() && offered.mid() != mid.as_deref() {
            return Err(NegotiationError::Media {
                index,
                reason: "the answer's `a=mid` differs from the offer's",
            });
        }
        let bundled = mid
            .as_deref()
            .is_some_and(|m| bundled_mids.binary_search(&m).is_ok());
        let accepted = !answered.is_port_zero() || bundled;
        let mut offered_pts: Vec<u8> = offered.media_line.payload_types().collect();
        offered_pts.sort_unstable();
        offered_pts.dedup();
        let answer_codecs = Codec::from_media(answered);
        let codecs = if accepted {
            answer_codecs
                .iter()
                .filter(|c| !c.is_rtx() && offered_pts.contains(&c.payload_type))
                .map(|c| AgreedCodec {
                    codec: c.clone(),
                    rtx_payload_type: answer_codecs
                        .iter()
                        .find(|r| {
                            r.is_rtx()
                                && offered_pts.contains(&r.payload_type)
                                && r.fmtp().rtx_apt() == Some(c.payload_type)
                        })
                        .map(|r| r.payload_type),
                })
                .collect()
        } else {
            Vec::new()
        };
        let offerer = side == Side::Offerer;
        let extensions = if accepted {
            answered
                .attributes()
                .filter_map(|a| match a {
                    Attribute::Extmap(e) => Some(e),
                    _ => None,
                })
                .filter(|e| {
                    offered.attributes().any(
                        |a| matches!(a, Attribute::Extmap(o) if o.id == e.id && o.uri == e.uri),
                    )
                })
                .map(|e| Extmap {
                    // The answer's direction is the answerer's.
                    direction: e.direction.map(|d| if offerer { d.reverse() } else { d }),
                    ..e.clone()
                })
                .collect()
        } else {
            Vec::new()
        };
        let simulcast = answered.attributes().find_map(|a| match a {
            Attribute::Simulcast(s) => Some(s.clone()),
            _ => None,
        });
        let layers = |streams: Option<crate::SimulcastStreams<'a>>| -> Vec<Cow<'a, str>> {
            streams
                .unwrap_or_default()
                .into_iter()
                .filter_map(|alternatives| alternatives.into_iter().next().map(|id| id.id))
                .collect()
        };
        // The answer's simulcast lists are the answerer's.
        let (send_layers, recv_layers) = match simulcast {
            Some(s) if accepted && offerer => (layers(s.recv), layers(s.send)),
            Some(s) if accepted => (layers(s.send), layers(s.recv)),
            _ => (Vec::new(), Vec::new()),
        };
        let direction = match (accepted, offerer) {
            (false, _) => Direction::Inactive,
            (true, true) => answered.direction().reverse(),
            (true, false) => answered.direction(),
        };
        let (ours, theirs) = if offerer {
            (offered, answered)
        } else {
            (answered, offered)
        };
        media.push(AgreedMedia {
            index,
            mid: mid.or_else(|| mid_of(offered)),
            kind: offered.media_line.media.clone(),
            accepted,
            codecs,
            extensions,
            direction,
            local_ssrcs: if accepted || offerer {
                ssrcs(ours)
            } else {
                Vec::new()
            },
            remote_ssrcs: if accepted { ssrcs(theirs) } else { Vec::new() },
            send_layers,
            recv_layers,
        });
    }
    Ok(Agreement {
        side,
        media,
        bundle_groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssrcs_are_listed_once_in_order() {
        let sdp = Sdp::parse(
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\n\
             a=ssrc:2 cname:a\r\na=ssrc:1 cname:a\r\na=ssrc:2 msid:s t\r\n",
        )
        .unwrap();
        assert_eq!(ssrcs(&sdp.media[0]), [2, 1]);
        assert_eq!(mid_of(&sdp.media[0]), None);
    }
}
