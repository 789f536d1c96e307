//! Session and transport attributes: `group`, `msid`, `msid-semantic`,
//! `fingerprint`, `setup`, `connection`, `rtcp`, `sctpmap`, and decimals.

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;

use crate::connection::{Address, AddressType};
use crate::token::{
    fields, is_token, is_word, number, own, own_all, split_once, split_space, words,
};

/// `a=group:<semantics> <mid>...`, e.g. `BUNDLE 0 1 2`.
/// <https://www.rfc-editor.org/rfc/rfc5888#section-5>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group<'a> {
    /// `BUNDLE`, `LS`, `FID`, ...
    pub semantics: Cow<'a, str>,
    /// The media identifiers, in order.
    pub mids: Vec<Cow<'a, str>>,
}

impl<'a> Group<'a> {
    /// Parses the attribute value.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        let (semantics, mids) = match split_once(text, b' ') {
            Some((s, m)) => (s, words(m, "media identifiers separated by single spaces")?),
            None => (text, Vec::new()),
        };
        if !is_token(semantics) {
            return Err("a group semantics token");
        }
        Ok(Self {
            semantics: Cow::Borrowed(semantics),
            mids,
        })
    }

    /// Whether this is a `BUNDLE` group.
    pub fn is_bundle(&self) -> bool {
        self.semantics == "BUNDLE"
    }

    /// An owned copy.
    pub fn into_owned(self) -> Group<'static> {
        Group {
            semantics: own(self.semantics),
            mids: own_all(self.mids),
        }
    }
}

impl fmt::Display for Group<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantics)?;
        for mid in &self.mids {
            f.write_str(" ")?;
            f.write_str(mid)?;
        }
        Ok(())
    }
}

/// `a=msid:<stream id> [<track id>]`.
/// <https://www.rfc-editor.org/rfc/rfc8830#section-2>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msid<'a> {
    /// The media stream id (`-` for none).
    pub stream_id: Cow<'a, str>,
    /// The track id ("appdata").
    pub track_id: Option<Cow<'a, str>>,
}

impl<'a> Msid<'a> {
    /// Parses the attribute value.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        let (stream_id, track_id) = match split_once(text, b' ') {
            Some((s, t)) => (s, Some(t)),
            None => (text, None),
        };
        if !is_word(stream_id) || track_id.is_some_and(|t| !is_word(t)) {
            return Err("`<stream id> [<track id>]`");
        }
        Ok(Self {
            stream_id: Cow::Borrowed(stream_id),
            track_id: track_id.map(Cow::Borrowed),
        })
    }

    /// An owned copy.
    pub fn into_owned(self) -> Msid<'static> {
        Msid {
            stream_id: own(self.stream_id),
            track_id: self.track_id.map(own),
        }
    }
}

impl fmt::Display for Msid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stream_id)?;
        if let Some(t) = &self.track_id {
            f.write_str(" ")?;
            f.write_str(t)?;
        }
        Ok(())
    }
}

/// `a=msid-semantic:<semantic> [<stream id>... | *]` (`WMS`).
/// <https://datatracker.ietf.org/doc/html/draft-ietf-mmusic-msid-08#section-3>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsidSemantic<'a> {
    /// The semantic, `WMS`.
    pub semantic: Cow<'a, str>,
    /// The stream ids (or `*`).
    pub identifiers: Vec<Cow<'a, str>>,
}

impl<'a> MsidSemantic<'a> {
    /// Parses the attribute value.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        let (semantic, identifiers) = match split_once(text, b' ') {
            Some((s, ids)) => (s, words(ids, "stream ids separated by single spaces")?),
            None => (text, Vec::new()),
        };
        if !is_token(semantic) {
            return Err("a semantic token (`WMS`)");
        }
        Ok(Self {
            semantic: Cow::Borrowed(semantic),
            identifiers,
        })
    }

    /// An owned copy.
    pub fn into_owned(self) -> MsidSemantic<'static> {
        MsidSemantic {
            semantic: own(self.semantic),
            identifiers: own_all(self.identifiers),
        }
    }
}

impl fmt::Display for MsidSemantic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantic)?;
        for id in &self.identifiers {
            f.write_str(" ")?;
            f.write_str(id)?;
        }
        Ok(())
    }
}

/// `a=fingerprint:<hash function> <hex bytes separated by colons>`.
/// <https://www.rfc-editor.org/rfc/rfc8122#section-5>
///
/// For the hash functions of RFC 8122 the length must match the function
/// (32 bytes for `sha-256`).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint<'a> {
    /// `sha-256`, `sha-1`, ... (kept as written).
    pub hash_function: Cow<'a, str>,
    /// The fingerprint bytes.
    pub bytes: Vec<u8>,
}

/// The largest fingerprint this crate accepts, in bytes (SHA-512).
pub const MAX_FINGERPRINT_LEN: usize = 64;

impl<'a> Fingerprint<'a> {
    /// Parses the attribute value.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        let (hash_function, hex) = split_space(text).ok_or("`<hash function> <fingerprint>`")?;
        if !is_token(hash_function) {
            return Err("a hash function name");
        }
        // `XX:XX:...:XX`. Every pair is checked, also past the 64th: a bad
        // pair is reported before a fingerprint that is too long.
        const HEX: &str = "two hex digits per byte separated by `:`";
        let mut buffer = [0u8; MAX_FINGERPRINT_LEN];
        let mut len = 0usize;
        let mut rest = hex.as_bytes();
        loop {
            let Some((&[high, low], tail)) = rest.split_first_chunk::<2>() else {
                return Err(HEX);
            };
            let byte = hex_byte(high, low).ok_or(HEX)?;
            if let Some(slot) = buffer.get_mut(len) {
                *slot = byte;
            }
            len = len.saturating_add(1);
            match tail.split_first() {
                None => break,
                Some((b':', tail)) => rest = tail,
                Some(_) => return Err(HEX),
            }
        }
        let Some(bytes) = buffer.get(..len) else {
            return Err("a fingerprint of at most 64 bytes");
        };
        if let Some(expected) = Self::length_of(hash_function) {
            if len != expected {
                return Err("a fingerprint as long as its hash function's output");
            }
        }
        Ok(Self {
            hash_function: Cow::Borrowed(hash_function),
            bytes: bytes.to_vec(),
        })
    }

    /// The output length of a hash function of RFC 8122, if known.
    pub fn length_of(hash_function: &str) -> Option<usize> {
        const LENGTHS: [(&str, usize); 7] = [
            ("sha-1", 20),
            ("sha-224", 28),
            ("sha-256", 32),
            ("sha-384", 48),
            ("sha-512", 64),
            ("md5", 16),
            ("md2", 16),
        ];
        LENGTHS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(hash_function))
            .map(|(_, len)| *len)
    }

    /// An owned copy.
    pub fn into_owned(self) -> Fingerprint<'static> {
        Fingerprint {
            hash_function: own(self.hash_function),
            bytes: self.bytes,
        }
    }
}

/// Two hex digits (either case; RFC 8122 writes upper case, browsers
/// accept both).
fn hex_byte(high: u8, low: u8) -> Option<u8> {
    Some((hex_digit(high)? << 4) | hex_digit(low)?)
}

fn hex_digit(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for Fingerprint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        f.write_str(&self.hash_function)?;
        f.write_str(" ")?;
        for (i, b) in self.bytes.iter().enumerate() {
            let hex = |nibble: u8| HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
            let pair = [b':', hex(b >> 4), hex(b & 0x0F)];
            let text = if i == 0 { pair.get(1..) } else { pair.get(..) };
            f.write_str(
                text.and_then(|t| core::str::from_utf8(t).ok())
                    .unwrap_or_default(),
            )?;
        }
        Ok(())
    }
}

/// `a=setup`: which side opens the DTLS (or TCP) connection.
/// <https://www.rfc-editor.org/rfc/rfc4145#section-4>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// `active`: we connect.
    Active,
    /// `passive`: we accept.
    Passive,
    /// `actpass`: either (offers only).
    Actpass,
    /// `holdconn`: not now.
    Holdconn,
}

impl Setup {
    /// Parses the attribute value.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        match text {
            "active" => Ok(Self::Active),
            "passive" => Ok(Self::Passive),
            "actpass" => Ok(Self::Actpass),
            "holdconn" => Ok(Self::Holdconn),
            _ => Err("`active`, `passive`, `actpass` or `holdconn`"),
        }
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::Actpass => "actpass",
            Self::Holdconn => "holdconn",
        })
    }
}

/// `a=connection:new` or `a=connection:existing`.
/// <https://www.rfc-editor.org/rfc/rfc4145#section-5>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionMode {
    /// `new`.
    New,
    /// `existing`.
    Existing,
}

impl ConnectionMode {
    /// Parses the attribute value.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        match text {
            "new" => Ok(Self::New),
            "existing" => Ok(Self::Existing),
            _ => Err("`new` or `existing`"),
        }
    }
}

impl fmt::Display for ConnectionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::New => "new",
            Self::Existing => "existing",
        })
    }
}

/// `a=rtcp:<port> [<nettype> <addrtype> <address>]`.
/// <https://www.rfc-editor.org/rfc/rfc3605#section-2.1>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtcp<'a> {
    /// RTCP port.
    pub port: u16,
    /// Network type, address type and address, when given.
    pub address: Option<(Cow<'a, str>, AddressType<'a>, Address<'a>)>,
}

impl<'a> Rtcp<'a> {
    /// Parses the attribute value.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        const EXPECTED: &str = "`<port> [<nettype> <addrtype> <address>]`";
        let mut columns = fields(text, b' ');
        let port = columns.next().and_then(number).ok_or("an RTCP port")?;
        let address = match columns.next() {
            None => None,
            Some(network_type) => {
                let address_type = AddressType::parse(columns.next().ok_or(EXPECTED)?)?;
                let address = Address::parse(columns.next().ok_or(EXPECTED)?, &address_type)?;
                if !is_word(network_type) || columns.next().is_some() {
                    return Err(EXPECTED);
                }
                Some((Cow::Borrowed(network_type), address_type, address))
            }
        };
        Ok(Self { port, address })
    }

    /// An owned copy.
    pub fn into_owned(self) -> Rtcp<'static> {
        Rtcp {
            port: self.port,
            address: self
                .address
                .map(|(n, t, a)| (own(n), t.into_owned(), a.into_owned())),
        }
    }
}

impl fmt::Display for Rtcp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.port)?;
        if let Some((n, t, a)) = &self.address {
            write!(f, " {n} {t} {a}")?;
        }
        Ok(())
    }
}

/// `a=sctpmap:<port> <protocol> [<streams>]` (pre-standard data channels).
/// <https://datatracker.ietf.org/doc/html/draft-ietf-mmusic-sctp-sdp-05#section-5>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sctpmap<'a> {
    /// SCTP port.
    pub port: u16,
    /// Protocol, `webrtc-datachannel`.
    pub protocol: Cow<'a, str>,
    /// Number of streams.
    pub streams: Option<u32>,
}

impl<'a> Sctpmap<'a> {
    /// Parses the attribute value.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        const EXPECTED: &str = "`<port> <protocol> [<streams>]`";
        let mut columns = fields(text, b' ');
        let port = columns.next().and_then(number).ok_or("an SCTP port")?;
        let protocol = columns.next().filter(|p| is_token(p)).ok_or(EXPECTED)?;
        let streams = columns
            .next()
            .map(|s| number(s).ok_or("a stream count"))
            .transpose()?;
        if columns.next().is_some() {
            return Err(EXPECTED);
        }
        Ok(Self {
            port,
            protocol: Cow::Borrowed(protocol),
            streams,
        })
    }

    /// An owned copy.
    pub fn into_owned(self) -> Sctpmap<'static> {
        Sctpmap {
            port: self.port,
            protocol: own(self.protocol),
            streams: self.streams,
        }
    }
}

impl fmt::Display for Sctpmap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.port, self.protocol)?;
        if let Some(s) = self.streams {
            write!(f, " {s}")?;
        }
        Ok(())
    }
}

/// One candidate of `a=remote-candidates`: the remote candidate a
/// controlling agent selected for a component.
/// <https://www.rfc-editor.org/rfc/rfc8839#section-5.2>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCandidate<'a> {
    /// The component id (1 for RTP, 2 for RTCP).
    pub component: u16,
    /// The candidate's address (an IP address or a name).
    pub address: Cow<'a, str>,
    /// The candidate's port.
    pub port: u16,
}

impl<'a> RemoteCandidate<'a> {
    /// Parses the value of `a=remote-candidates`: one or more
    /// `<component> <address> <port>` triples separated by single spaces.
    pub fn parse_list(text: &'a str) -> Result<Vec<Self>, &'static str> {
        const EXPECTED: &str = "`<component> <address> <port>` triples separated by spaces";
        let mut columns = fields(text, b' ');
        let mut candidates = Vec::new();
        while let Some(component) = columns.next() {
            let component = Some(component)
                .filter(|c| c.len() <= 3)
                .and_then(number)
                .ok_or("a component id of at most 3 digits")?;
            let address = columns.next().filter(|a| is_word(a)).ok_or(EXPECTED)?;
            let port = columns.next().and_then(number).ok_or("a port")?;
            candidates.push(Self {
                component,
                address: Cow::Borrowed(address),
                port,
            });
        }
        if candidates.is_empty() {
            return Err(EXPECTED);
        }
        Ok(candidates)
    }

    /// An owned copy.
    pub fn into_owned(self) -> RemoteCandidate<'static> {
        RemoteCandidate {
            component: self.component,
            address: own(self.address),
            port: self.port,
        }
    }
}

impl fmt::Display for RemoteCandidate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.component, self.address, self.port)
    }
}

/// A non-negative decimal such as `20`, `0.5` or `29.97`, kept exactly:
/// the value is `units / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    /// All digits as one integer.
    pub units: u64,
    /// How many of them are after the point (at most 9).
    pub scale: u8,
}

impl Decimal {
    /// A whole number.
    pub fn whole(value: u64) -> Self {
        Self {
            units: value,
            scale: 0,
        }
    }

    /// Parses `digits[.digits]`.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        const EXPECTED: &str = "a decimal number";
        let (whole, fraction) = match split_once(text, b'.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        if fraction.len() > 9 || (text.contains('.') && fraction.is_empty()) {
            return Err(EXPECTED);
        }
        let whole: u64 = number(whole).ok_or(EXPECTED)?;
        let scale = u8::try_from(fraction.len()).map_err(|_| EXPECTED)?;
        let fraction_value: u64 = if fraction.is_empty() {
            0
        } else {
            number(fraction).ok_or(EXPECTED)?
        };
        let units = whole
            .checked_mul(10u64.pow(u32::from(scale)))
            .and_then(|w| w.checked_add(fraction_value))
            .ok_or(EXPECTED)?;
        Ok(Self { units, scale })
    }

    /// The value as a float.
    pub fn as_f64(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let units = self.units as f64;
        units / f64::from(10u32.pow(u32::from(self.scale.min(9))))
    }
}

/// A decimal serializes as its text (`"29.97"`).
#[cfg(feature = "serde")]
impl serde::Serialize for Decimal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let divisor = 10u64.pow(u32::from(self.scale.min(9)));
        write!(f, "{}", self.units / divisor)?;
        if self.scale > 0 {
            write!(
                f,
                ".{:0width$}",
                self.units % divisor,
                width = usize::from(self.scale)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn bundle_group() {
        let g = Group::parse("BUNDLE 0 1 2").unwrap();
        assert!(g.is_bundle());
        assert_eq!(g.mids, ["0", "1", "2"]);
        assert_eq!(g.to_string(), "BUNDLE 0 1 2");
        assert!(Group::parse("BUNDLE").unwrap().mids.is_empty());
        assert!(Group::parse("BUNDLE  0").is_err());
    }

    #[test]
    fn msid_forms() {
        let m = Msid::parse("stream track").unwrap();
        assert_eq!(
            (&*m.stream_id, m.track_id.as_deref()),
            ("stream", Some("track"))
        );
        assert_eq!(m.to_string(), "stream track");
        assert_eq!(Msid::parse("noappdata").unwrap().track_id, None);
        assert!(Msid::parse("a b c").is_err());
        let s = MsidSemantic::parse("WMS stream streama").unwrap();
        assert_eq!(s.identifiers, ["stream", "streama"]);
        assert!(MsidSemantic::parse(" WMS").is_err());
        assert_eq!(MsidSemantic::parse("WMS").unwrap().to_string(), "WMS");
    }

    #[test]
    fn fingerprint_length_checked() {
        let text = "sha-256 DF:2E:AC:8A:FD:0A:8E:99:BF:5D:E8:3C:E7:FA:FB:08:3B:3C:54:1D:D7:D4:05:77:A0:72:9B:14:08:6D:0F:4C";
        let fp = Fingerprint::parse(text).unwrap();
        assert_eq!(fp.bytes.len(), 32);
        assert_eq!(fp.bytes[0], 0xDF);
        assert_eq!(fp.to_string(), text);
        let short = "sha-1 DF:FA:FB:08:3B:3C:54:1D:D7:D4:05:77:A0:72:9B:14:08:6D:0F:4C:2E:AC:8A:FD:0A:8E:99:BF:5D:E8:3C:E7";
        assert!(Fingerprint::parse(short).is_err());
        assert!(Fingerprint::parse("sha-256 D:2E").is_err());
        assert_eq!(Fingerprint::parse("x-hash 01:02").unwrap().bytes, [1, 2]);
        let longest = alloc::vec!["AB"; MAX_FINGERPRINT_LEN].join(":");
        assert!(Fingerprint::parse(&alloc::format!("x-hash {longest}")).is_ok());
        assert_eq!(
            Fingerprint::parse(&alloc::format!("x-hash {longest}:CD")),
            Err("a fingerprint of at most 64 bytes")
        );
        // A bad pair anywhere is reported before the length.
        assert_eq!(
            Fingerprint::parse(&alloc::format!("x-hash {longest}:CD:G0")),
            Err("two hex digits per byte separated by `:`")
        );
        for bad in [
            "01:", ":01", "01::02", "01:0", "01:002", "0g", "01-02", "-1", "aB:+f", "+F",
        ] {
            assert!(
                Fingerprint::parse(&alloc::format!("x-hash {bad}")).is_err(),
                "{bad}"
            );
        }
        // Either case.
        assert_eq!(
            Fingerprint::parse("x-hash aB:0f").unwrap().bytes,
            [0xAB, 0x0F]
        );
    }

    #[test]
    fn rtcp_and_sctpmap() {
        let r = Rtcp::parse("9 IN IP4 0.0.0.0").unwrap();
        assert_eq!(r.port, 9);
        assert_eq!(r.to_string(), "9 IN IP4 0.0.0.0");
        assert_eq!(Rtcp::parse("61026").unwrap().address, None);
        assert!(Rtcp::parse("9 IN").is_err());
        let s = Sctpmap::parse("5000 webrtc-datachannel 16").unwrap();
        assert_eq!(
            (s.port, &*s.protocol, s.streams),
            (5000, "webrtc-datachannel", Some(16))
        );
        assert!(Sctpmap::parse("5000").is_err());
    }

    #[test]
    fn remote_candidates() {
        let list = RemoteCandidate::parse_list("1 192.0.2.3 45664 2 192.0.2.3 45665").unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(
            (list[1].component, &*list[1].address, list[1].port),
            (2, "192.0.2.3", 45665)
        );
        assert_eq!(list[0].to_string(), "1 192.0.2.3 45664");
        for bad in [
            "",
            "1 192.0.2.3",
            "1 192.0.2.3 x",
            "1234 a 1",
            "1 a 1 2",
            "1  a 1",
        ] {
            assert!(RemoteCandidate::parse_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decimals_keep_their_digits() {
        let d = Decimal::parse("29.97").unwrap();
        assert_eq!((d.units, d.scale), (2997, 2));
        assert_eq!(d.to_string(), "29.97");
        assert_eq!(Decimal::parse("0.05").unwrap().to_string(), "0.05");
        assert_eq!(Decimal::parse("20").unwrap(), Decimal::whole(20));
        assert!(Decimal::parse("2.").is_err());
        assert!(Decimal::parse(".5").is_err());
        assert!(Decimal::parse("1.2.3").is_err());
        assert!((Decimal::parse("0.5").unwrap().as_f64() - 0.5).abs() < 1e-9);
    }
}
