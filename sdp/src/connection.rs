//! Addresses, `o=` origins and `c=` connection data.

use alloc::borrow::Cow;
use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::token::{fields, is_word, number, own};

/// `<addrtype>`: `IP4`, `IP6` or another registered type.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-5.7>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressType<'a> {
    /// `IP4`.
    Ip4,
    /// `IP6`.
    Ip6,
    /// Any other address type, kept as written.
    Other(Cow<'a, str>),
}

impl<'a> AddressType<'a> {
    pub(crate) fn parse(text: &'a str) -> Result<Self, &'static str> {
        match text {
            "IP4" => Ok(Self::Ip4),
            "IP6" => Ok(Self::Ip6),
            t if is_word(t) => Ok(Self::Other(Cow::Borrowed(t))),
            _ => Err("an address type (`IP4` or `IP6`)"),
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> AddressType<'static> {
        match self {
            Self::Ip4 => AddressType::Ip4,
            Self::Ip6 => AddressType::Ip6,
            Self::Other(t) => AddressType::Other(own(t)),
        }
    }
}

impl fmt::Display for AddressType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ip4 => "IP4",
            Self::Ip6 => "IP6",
            Self::Other(t) => t,
        })
    }
}

/// An address in `o=`, `c=` or `a=rtcp`: an IP address or a host name.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-9>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address<'a> {
    /// An IPv4 address.
    Ip4(Ipv4Addr),
    /// An IPv6 address.
    Ip6(Ipv6Addr),
    /// A fully qualified domain name, or an address of another type.
    Name(Cow<'a, str>),
}

impl<'a> Address<'a> {
    /// Parses an address of the given type; text that is not an IP address
    /// of that type is a name.
    pub(crate) fn parse(
        text: &'a str,
        address_type: &AddressType<'_>,
    ) -> Result<Self, &'static str> {
        let ip = match address_type {
            AddressType::Ip4 => text.parse().ok().map(Self::Ip4),
            AddressType::Ip6 => text.parse().ok().map(Self::Ip6),
            AddressType::Other(_) => None,
        };
        match ip {
            Some(ip) => Ok(ip),
            None if is_word(text) && !text.contains('/') => Ok(Self::Name(Cow::Borrowed(text))),
            None => Err("an address"),
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> Address<'static> {
        match self {
            Self::Ip4(a) => Address::Ip4(a),
            Self::Ip6(a) => Address::Ip6(a),
            Self::Name(n) => Address::Name(own(n)),
        }
    }

    /// Whether this is an IP multicast address.
    pub fn is_multicast(&self) -> bool {
        match self {
            Self::Ip4(a) => a.is_multicast(),
            Self::Ip6(a) => a.is_multicast(),
            Self::Name(_) => false,
        }
    }
}

impl fmt::Display for Address<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip4(a) => fmt::Display::fmt(a, f),
            Self::Ip6(a) => fmt::Display::fmt(a, f),
            Self::Name(n) => f.write_str(n),
        }
    }
}

const ORIGIN_EXPECTED: &str =
    "`o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>`";

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-5.2>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin<'a> {
    /// The user's login, `-` when there is none.
    pub username: Cow<'a, str>,
    /// Session id (numeric string; this crate keeps it as a `u64`).
    pub session_id: u64,
    /// Session version, increased on each change.
    pub session_version: u64,
    /// Network type, `IN`.
    pub network_type: Cow<'a, str>,
    /// Address type.
    pub address_type: AddressType<'a>,
    /// Address of the machine that created the session.
    pub unicast_address: Address<'a>,
}

impl<'a> Origin<'a> {
    /// Parses the text after `o=`.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        const EXPECTED: &str = ORIGIN_EXPECTED;
        let mut columns = fields(text, b' ');
        let mut next = || columns.next().filter(|f| is_word(f)).ok_or(EXPECTED);
        let username = next()?;
        let session_id = number(next()?).ok_or("a numeric session id of at most 20 digits")?;
        let session_version =
            number(next()?).ok_or("a numeric session version of at most 20 digits")?;
        let network_type = next()?;
        let address_type = AddressType::parse(next()?)?;
        let unicast_address = Address::parse(next()?, &address_type)?;
        if columns.next().is_some() {
            return Err(EXPECTED);
        }
        Ok(Self {
            username: Cow::Borrowed(username),
            session_id,
            session_version,
            network_type: Cow::Borrowed(network_type),
            address_type,
            unicast_address,
        })
    }

    /// The origin of a description we make (RFC 8829 section 5.2.1):
    /// username `-`, `session_id` (a random number below 2^63 that stays
    /// for the session), session version 1 (increase it with each new
    /// description), and the address with its type.
    pub fn new(session_id: u64, unicast_address: core::net::IpAddr) -> Origin<'static> {
        let (address_type, unicast_address) = match unicast_address {
            core::net::IpAddr::V4(a) => (AddressType::Ip4, Address::Ip4(a)),
            core::net::IpAddr::V6(a) => (AddressType::Ip6, Address::Ip6(a)),
        };
        Origin {
            username: Cow::Borrowed("-"),
            session_id,
            session_version: 1,
            network_type: Cow::Borrowed("IN"),
            address_type,
            unicast_address,
        }
    }

    /// Like [`Origin::parse`], but also accepts the `o=` lines with fewer
    /// than six fields that some IP cameras and streaming servers write
    /// (`- 1 IN IP4 192.168.1.2`, `StreamingServer 3331435948 1116907222000
    /// IN IP4`). The fields are found around the network type `IN`: before
    /// it, in order, the username, the session id and the session version;
    /// after it, the address type and the address. A missing field takes a
    /// placeholder: username `-`, session id and version 0, address type
    /// `IP4`, address `0.0.0.0` (`::` for `IP6`). The line's text is kept
    /// (a [`Line`](crate::Line) writes it back as it was), so only a changed
    /// origin is written with six fields.
    pub fn parse_lenient(text: &'a str) -> Result<Self, &'static str> {
        let complete = Self::parse(text);
        if complete.is_ok() {
            return complete;
        }
        let mut parts = [""; 5];
        let mut count = 0;
        for field in fields(text, b' ') {
            let slot = parts.get_mut(count).ok_or(ORIGIN_EXPECTED)?;
            *slot = field;
            count += 1;
        }
        let parts = parts.get(..count).unwrap_or_default();
        let network = parts
            .iter()
            .position(|p| *p == "IN")
            .ok_or(ORIGIN_EXPECTED)?;
        let (before, after) = parts.split_at(network);
        if before.len() > 3 || after.len() > 3 || parts.iter().any(|p| !is_word(p)) {
            return Err(ORIGIN_EXPECTED);
        }
        let id = |i: usize, expected| match before.get(i) {
            Some(text) => number(text).ok_or(expected),
            None => Ok(0),
        };
        let session_id = id(1, "a numeric session id of at most 20 digits")?;
        let session_version = id(2, "a numeric session version of at most 20 digits")?;
        let address_type = match after.get(1) {
            Some(text) => AddressType::parse(text)?,
            None => AddressType::Ip4,
        };
        let unicast_address = match (after.get(2), &address_type) {
            (Some(text), _) => Address::parse(text, &address_type)?,
            (None, AddressType::Ip4) => Address::Ip4(Ipv4Addr::UNSPECIFIED),
            (None, AddressType::Ip6) => Address::Ip6(Ipv6Addr::UNSPECIFIED),
            (None, AddressType::Other(_)) => return Err(ORIGIN_EXPECTED),
        };
        Ok(Self {
            username: Cow::Borrowed(before.first().copied().unwrap_or("-")),
            session_id,
            session_version,
            network_type: Cow::Borrowed("IN"),
            address_type,
            unicast_address,
        })
    }

    /// An owned copy.
    pub fn into_owned(self) -> Origin<'static> {
        Origin {
            username: own(self.username),
            session_id: self.session_id,
            session_version: self.session_version,
            network_type: own(self.network_type),
            address_type: self.address_type.into_owned(),
            unicast_address: self.unicast_address.into_owned(),
        }
    }
}

impl fmt::Display for Origin<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {}",
            self.username,
            self.session_id,
            self.session_version,
            self.network_type,
            self.address_type,
            self.unicast_address
        )
    }
}

/// `c=<nettype> <addrtype> <connection-address>`.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-5.7>
///
/// For IPv4 multicast the address may carry a TTL and a count
/// (`224.2.36.42/127/3`); for IPv6 only a count (`ff15::101/3`).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection<'a> {
    /// Network type, `IN`.
    pub network_type: Cow<'a, str>,
    /// Address type.
    pub address_type: AddressType<'a>,
    /// The (base) address.
    pub address: Address<'a>,
    /// IPv4 multicast time to live.
    pub ttl: Option<u8>,
    /// Number of consecutive multicast addresses.
    pub count: Option<u32>,
}

impl<'a> Connection<'a> {
    /// Parses the text after `c=`.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        const EXPECTED: &str = "`c=<nettype> <addrtype> <connection-address>`";
        let mut columns = fields(text, b' ');
        let mut next = || columns.next().filter(|f| is_word(f)).ok_or(EXPECTED);
        let network_type = next()?;
        let address_type = AddressType::parse(next()?)?;
        let full = next()?;
        if columns.next().is_some() {
            return Err(EXPECTED);
        }
        let mut parts = fields(full, b'/');
        let address = Address::parse(parts.next().unwrap_or(""), &address_type)?;
        let first = parts.next();
        let second = parts.next();
        if parts.next().is_some() {
            return Err("at most `<address>/<ttl>/<count>`");
        }
        let (ttl, count) = match (&address_type, first, second) {
            (_, None, _) => (None, None),
            (AddressType::Ip4, Some(ttl), count) => (
                Some(number(ttl).ok_or("a multicast TTL from 0 to 255")?),
                count
                    .map(|c| number(c).ok_or("a multicast address count"))
                    .transpose()?,
            ),
            (_, Some(count), None) => (
                None,
                Some(number(count).ok_or("a multicast address count")?),
            ),
            (_, Some(_), Some(_)) => return Err("`<address>/<count>` (only IPv4 has a TTL)"),
        };
        Ok(Self {
            network_type: Cow::Borrowed(network_type),
            address_type,
            address,
            ttl,
            count,
        })
    }

    /// `IN IP4 <address>` or `IN IP6 <address>`.
    pub fn from_ip(ip: core::net::IpAddr) -> Self {
        let (address_type, address) = match ip {
            core::net::IpAddr::V4(a) => (AddressType::Ip4, Address::Ip4(a)),
            core::net::IpAddr::V6(a) => (AddressType::Ip6, Address::Ip6(a)),
        };
        Self {
            network_type: Cow::Borrowed("IN"),
            address_type,
            address,
            ttl: None,
            count: None,
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> Connection<'static> {
        Connection {
            network_type: own(self.network_type),
            address_type: self.address_type.into_owned(),
            address: self.address.into_owned(),
            ttl: self.ttl,
            count: self.count,
        }
    }
}

impl fmt::Display for Connection<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.network_type, self.address_type, self.address
        )?;
        if let Some(ttl) = self.ttl {
            write!(f, "/{ttl}")?;
        }
        if let Some(count) = self.count {
            write!(f, "/{count}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn origin_fields() {
        let text = "- 4294967296 2 IN IP4 127.0.0.1";
        let origin = Origin::parse(text).unwrap();
        assert_eq!(origin.username, "-");
        assert_eq!(origin.session_id, 4_294_967_296);
        assert_eq!(origin.session_version, 2);
        assert_eq!(origin.unicast_address, Address::Ip4(Ipv4Addr::LOCALHOST));
        assert_eq!(origin.to_string(), text);
        assert!(Origin::parse("- 1 2 IN IP4").is_err());
        assert!(Origin::parse("- x 2 IN IP4 1.2.3.4").is_err());
        assert!(Origin::parse("- 1 2 IN IP4 1.2.3.4 extra").is_err());
    }

    #[test]
    fn multicast_ttl_and_count() {
        let c = Connection::parse("IN IP4 224.0.0.1/100/12").unwrap();
        assert_eq!((c.ttl, c.count), (Some(100), Some(12)));
        assert!(c.address.is_multicast());
        assert_eq!(c.to_string(), "IN IP4 224.0.0.1/100/12");
        let c6 = Connection::parse("IN IP6 ff15::101/3").unwrap();
        assert_eq!((c6.ttl, c6.count), (None, Some(3)));
        assert_eq!(c6.to_string(), "IN IP6 ff15::101/3");
        assert!(Connection::parse("IN IP6 ff15::101/3/4").is_err());
        assert!(Connection::parse("IN IP4 224.0.0.1/300").is_err());
    }

    #[test]
    fn names_and_ipv6() {
        let c = Connection::parse("IN IP4 host.example.com").unwrap();
        assert_eq!(c.address, Address::Name(Cow::Borrowed("host.example.com")));
        let c = Connection::parse("IN IP6 ::1").unwrap();
        assert_eq!(c.address, Address::Ip6(Ipv6Addr::LOCALHOST));
        assert!(Connection::parse("IN IP4  1.2.3.4").is_err());
    }
}
