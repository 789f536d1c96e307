//! `a=rid` (RFC 8851) and `a=simulcast` (RFC 8853).

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;

use crate::rtp::payload_type;
use crate::token::{fields, own, split_once, split_space};

/// `send` or `recv` in `a=rid` and `a=simulcast`.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RidDirection {
    /// `send`.
    Send,
    /// `recv`.
    Recv,
}

impl RidDirection {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "send" => Some(Self::Send),
            "recv" => Some(Self::Recv),
            _ => None,
        }
    }

    /// The other direction.
    pub fn reverse(self) -> Self {
        match self {
            Self::Send => Self::Recv,
            Self::Recv => Self::Send,
        }
    }
}

impl fmt::Display for RidDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Send => "send",
            Self::Recv => "recv",
        })
    }
}

/// RFC 8851 `rid-id`: letters, digits, `-` and `_`.
fn is_rid_id(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A restriction of an `a=rid` line (`max-width=1280`).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RidRestriction<'a> {
    /// Restriction name.
    pub name: Cow<'a, str>,
    /// Its value, if any.
    pub value: Option<Cow<'a, str>>,
}

/// `a=rid:<rid-id> <direction> [pt=<fmt-list>;][<restriction>;...]`.
/// <https://www.rfc-editor.org/rfc/rfc8851#section-10>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rid<'a> {
    /// The RTP stream id.
    pub id: Cow<'a, str>,
    /// Whether the stream is sent or received.
    pub direction: RidDirection,
    /// Allowed payload types (`pt=`), empty when unrestricted.
    pub payload_types: Vec<u8>,
    /// Other restrictions, in order.
    pub restrictions: Vec<RidRestriction<'a>>,
}

impl<'a> Rid<'a> {
    /// Parses the attribute value.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        const EXPECTED: &str = "`<rid-id> <send|recv> [<restrictions>]`";
        let (id, rest) = split_once(text, b' ').ok_or(EXPECTED)?;
        if !is_rid_id(id) {
            return Err("a rid-id (letters, digits, `-`, `_`)");
        }
        let (direction, params) = match split_space(rest) {
            Some((d, p)) => (d, Some(p)),
            None => (rest, None),
        };
        let direction = RidDirection::parse(direction).ok_or("`send` or `recv`")?;
        let mut payload_types = Vec::new();
        let mut restrictions = Vec::new();
        for (i, param) in params.into_iter().flat_map(|p| fields(p, b';')).enumerate() {
            let (name, value) = match split_once(param, b'=') {
                Some((n, v)) => (n, Some(v)),
                None => (param, None),
            };
            if !is_rid_id(name) {
                return Err("a rid restriction name");
            }
            if name == "pt" && i == 0 {
                payload_types = value
                    .ok_or("`pt=<payload types>`")?
                    .split(',')
                    .map(payload_type)
                    .collect::<Result<Vec<_>, _>>()?;
            } else {
                restrictions.push(RidRestriction {
                    name: Cow::Borrowed(name),
                    value: value.map(Cow::Borrowed),
                });
            }
        }
        Ok(Self {
            id: Cow::Borrowed(id),
            direction,
            payload_types,
            restrictions,
        })
    }

    /// The value of a restriction such as `max-width`.
    pub fn restriction(&self, name: &str) -> Option<&str> {
        self.restrictions
            .iter()
            .find(|r| r.name == name)
            .and_then(|r| r.value.as_deref())
    }

    /// An owned copy.
    pub fn into_owned(self) -> Rid<'static> {
        Rid {
            id: own(self.id),
            direction: self.direction,
            payload_types: self.payload_types,
            restrictions: self
                .restrictions
                .into_iter()
                .map(|r| RidRestriction {
                    name: own(r.name),
                    value: r.value.map(own),
                })
                .collect(),
        }
    }
}

impl fmt::Display for Rid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id, self.direction)?;
        let mut separator = " ";
        if !self.payload_types.is_empty() {
            f.write_str(" pt=")?;
            for (i, pt) in self.payload_types.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{pt}")?;
            }
            separator = ";";
        }
        for r in &self.restrictions {
            write!(f, "{separator}{}", r.name)?;
            if let Some(v) = &r.value {
                write!(f, "={v}")?;
            }
            separator = ";";
        }
        Ok(())
    }
}

/// One rid in a simulcast list, possibly paused (`~`).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulcastId<'a> {
    /// The rid.
    pub id: Cow<'a, str>,
    /// Whether the stream starts paused.
    pub paused: bool,
}

/// The streams of one simulcast direction: each stream is a list of
/// alternative rids.
pub type SimulcastStreams<'a> = Vec<Vec<SimulcastId<'a>>>;

/// `a=simulcast:<send|recv> <streams> [<send|recv> <streams>]`.
/// <https://www.rfc-editor.org/rfc/rfc8853#section-5.1>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Simulcast<'a> {
    /// Streams we send: `;`-separated streams of `,`-separated alternatives.
    pub send: Option<SimulcastStreams<'a>>,
    /// Streams we receive.
    pub recv: Option<SimulcastStreams<'a>>,
}

fn parse_streams(text: &str) -> Result<SimulcastStreams<'_>, &'static str> {
    fields(text, b';')
        .map(|stream| {
            stream
                .split(',')
                .map(|id| {
                    let (paused, id) = match id.strip_prefix('~') {
                        Some(rest) => (true, rest),
                        None => (false, id),
                    };
                    if is_rid_id(id) {
                        Ok(SimulcastId {
                            id: Cow::Borrowed(id),
                            paused,
                        })
                    } else {
                        Err("a simulcast rid list (`a;b,~c`)")
                    }
                })
                .collect()
        })
        .collect()
}

fn write_streams(f: &mut fmt::Formatter<'_>, streams: &SimulcastStreams<'_>) -> fmt::Result {
    for (i, stream) in streams.iter().enumerate() {
        if i > 0 {
            f.write_str(";")?;
        }
        for (j, id) in stream.iter().enumerate() {
            if j > 0 {
                f.write_str(",")?;
            }
            if id.paused {
                f.write_str("~")?;
            }
            f.write_str(&id.id)?;
        }
    }
    Ok(())
}

fn own_streams(streams: SimulcastStreams<'_>) -> SimulcastStreams<'static> {
    streams
        .into_iter()
        .map(|s| {
            s.into_iter()
                .map(|id| SimulcastId {
                    id: own(id.id),
                    paused: id.paused,
                })
                .collect()
        })
        .collect()
}

impl<'a> Simulcast<'a> {
    /// Parses the attribute value.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        const EXPECTED: &str = "`<send|recv> <rid list> [<send|recv> <rid list>]`";
        let mut columns = fields(text, b' ');
        let mut result = Self::default();
        while let Some(direction) = columns.next() {
            let direction = RidDirection::parse(direction).ok_or(EXPECTED)?;
            let streams = parse_streams(columns.next().ok_or(EXPECTED)?)?;
            let slot = match direction {
                RidDirection::Send => &mut result.send,
                RidDirection::Recv => &mut result.recv,
            };
            if slot.replace(streams).is_some() {
                return Err("each direction at most once");
            }
        }
        if result.send.is_none() && result.recv.is_none() {
            return Err(EXPECTED);
        }
        Ok(result)
    }

    /// The same layers as seen from the other side (send ↔ recv).
    pub fn reverse(self) -> Self {
        Self {
            send: self.recv,
            recv: self.send,
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> Simulcast<'static> {
        Simulcast {
            send: self.send.map(own_streams),
            recv: self.recv.map(own_streams),
        }
    }
}

impl fmt::Display for Simulcast<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(send) = &self.send {
            f.write_str("send ")?;
            write_streams(f, send)?;
        }
        if let Some(recv) = &self.recv {
            if self.send.is_some() {
                f.write_str(" ")?;
            }
            f.write_str("recv ")?;
            write_streams(f, recv)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn rid_with_restrictions() {
        let text = "1 send pt=96,97;max-width=1280;max-height=720";
        let rid = Rid::parse(text).unwrap();
        assert_eq!(rid.id, "1");
        assert_eq!(rid.direction, RidDirection::Send);
        assert_eq!(rid.payload_types, [96, 97]);
        assert_eq!(rid.restriction("max-width"), Some("1280"));
        assert_eq!(rid.to_string(), text);
        let plain = Rid::parse("hi recv").unwrap();
        assert!(plain.payload_types.is_empty() && plain.restrictions.is_empty());
        assert_eq!(plain.to_string(), "hi recv");
        let only = Rid::parse("lo send max-fps=15").unwrap();
        assert_eq!(only.to_string(), "lo send max-fps=15");
        assert!(Rid::parse("a b").is_err());
        assert!(Rid::parse("a send pt=x").is_err());
    }

    #[test]
    fn simulcast_alternatives_and_paused() {
        let text = "send 1,~4;2;3 recv c";
        let s = Simulcast::parse(text).unwrap();
        let send = s.send.as_ref().unwrap();
        assert_eq!(send.len(), 3);
        assert_eq!(send[0].len(), 2);
        assert!(send[0][1].paused && !send[0][0].paused);
        assert_eq!(s.recv.as_ref().unwrap()[0][0].id, "c");
        assert_eq!(s.to_string(), text);
        assert_eq!(s.clone().reverse().recv.unwrap().len(), 3);
        assert!(Simulcast::parse("send").is_err());
        assert!(Simulcast::parse("send a send b").is_err());
        assert!(Simulcast::parse("up a").is_err());
        assert!(Simulcast::parse("send a;;b").is_err());
    }
}
