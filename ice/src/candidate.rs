//! ICE candidates: the RFC 8839 `candidate` attribute grammar, priorities
//! (RFC 8445 §5.1.2, RFC 8421 local preference), foundations (§5.1.1.3) and
//! redundancy elimination (§5.1.3).
//!
//! <https://www.rfc-editor.org/rfc/rfc8839#section-5.1>

use core::fmt;
use core::net::{IpAddr, SocketAddr};
use core::str::FromStr;

/// Longest `candidate` line accepted by [`Candidate::from_str`], in bytes.
/// Browser candidates are under 200 bytes; the cap keeps a hostile
/// signaling peer from handing the parser megabytes.
pub const MAX_CANDIDATE_LEN: usize = 1024;

/// Most extension pairs (`generation 0`, `ufrag x`, ...) kept per candidate.
pub const MAX_EXTENSIONS: usize = 16;

/// Longest foundation, in characters (RFC 8839 §5.1: `1*32ice-char`).
pub const MAX_FOUNDATION_LEN: usize = 32;

/// Longest fully qualified domain name accepted as a connection address.
pub const MAX_FQDN_LEN: usize = 253;

/// The type of a candidate.
///
/// <https://www.rfc-editor.org/rfc/rfc8445#section-5.1.1>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CandidateType {
    /// An address on a local interface (`typ host`).
    Host,
    /// An address a STUN server saw (`typ srflx`).
    ServerReflexive,
    /// An address learned from a connectivity check (`typ prflx`).
    PeerReflexive,
    /// An address allocated on a TURN server (`typ relay`).
    Relayed,
}

impl CandidateType {
    /// The recommended type preference (RFC 8445 §5.1.2.2): host 126,
    /// peer-reflexive 110, server-reflexive 100, relayed 0.
    pub const fn preference(self) -> u32 {
        match self {
            Self::Host => 126,
            Self::PeerReflexive => 110,
            Self::ServerReflexive => 100,
            Self::Relayed => 0,
        }
    }

    /// The SDP token: `host`, `srflx`, `prflx` or `relay`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Host => "host",
            Self::ServerReflexive => "srflx",
            Self::PeerReflexive => "prflx",
            Self::Relayed => "relay",
        }
    }

    fn parse(token: &str) -> Option<Self> {
        match token {
            "host" => Some(Self::Host),
            "srflx" => Some(Self::ServerReflexive),
            "prflx" => Some(Self::PeerReflexive),
            "relay" => Some(Self::Relayed),
            _ => None,
        }
    }
}

impl fmt::Display for CandidateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The transport protocol of a candidate: the suite's one `Transport`.
pub use sansrtc_stun::Transport;

/// The role of a TCP candidate (RFC 6544 §4.5).
///
/// <https://www.rfc-editor.org/rfc/rfc6544#section-4.5>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpType {
    /// Opens outgoing connections only.
    Active,
    /// Accepts incoming connections only.
    Passive,
    /// Simultaneous open.
    SimultaneousOpen,
}

impl TcpType {
    /// The SDP token: `active`, `passive` or `so`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::SimultaneousOpen => "so",
        }
    }

    fn parse(token: &str) -> Option<Self> {
        match token {
            "active" => Some(Self::Active),
            "passive" => Some(Self::Passive),
            "so" => Some(Self::SimultaneousOpen),
            _ => None,
        }
    }
}

impl fmt::Display for TcpType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A connection address: an IP address, or a fully qualified domain name
/// such as the `.local` mDNS names browsers use to hide host addresses
/// (draft-ietf-mmusic-mdns-ice-candidates).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A domain name, resolved by the caller.
    Fqdn(String),
}

impl Address {
    /// The IP address, if this is not a name.
    pub const fn ip(&self) -> Option<IpAddr> {
        match self {
            Self::Ip(ip) => Some(*ip),
            Self::Fqdn(_) => None,
        }
    }

    /// Whether this is an mDNS name (ends in `.local`).
    pub fn is_mdns(&self) -> bool {
        match self {
            Self::Ip(_) => false,
            Self::Fqdn(name) => name
                .get(name.len().saturating_sub(6)..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(".local")),
        }
    }

    fn parse(token: &str) -> Result<Self, CandidateError> {
        if let Ok(ip) = token.parse::<IpAddr>() {
            return Ok(Self::Ip(ip));
        }
        let valid = !token.is_empty()
            && token.len() <= MAX_FQDN_LEN
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            && token.bytes().any(|b| b.is_ascii_alphabetic());
        if valid {
            Ok(Self::Fqdn(token.into()))
        } else {
            Err(CandidateError::Invalid {
                field: "connection-address",
                reason: "neither an IP address nor a domain name",
            })
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(ip) => ip.fmt(f),
            Self::Fqdn(name) => f.write_str(name),
        }
    }
}

impl From<IpAddr> for Address {
    fn from(ip: IpAddr) -> Self {
        Self::Ip(ip)
    }
}

/// Why a `candidate` attribute could not be parsed.
///
/// Every variant is `Copy` with static context: a hostile peer's candidate
/// never makes the parser allocate for the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CandidateError {
    /// The line is longer than [`MAX_CANDIDATE_LEN`].
    #[error("candidate longer than {max} bytes")]
    TooLong {
        /// The cap.
        max: usize,
    },
    /// A required field is missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// A field does not follow the grammar.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A transport other than UDP or TCP (RFC 8839 §5.1 lets agents ignore
    /// such candidates).
    #[error("unsupported transport")]
    UnsupportedTransport,
    /// More extension pairs than [`MAX_EXTENSIONS`].
    #[error("more than {max} extension attributes")]
    TooManyExtensions {
        /// The cap.
        max: usize,
    },
}

/// An ICE candidate, as carried in the SDP `a=candidate` attribute or a
/// trickled `RTCIceCandidate.candidate` string.
///
/// Parsing then printing gives back the same text for what Chromium and
/// Firefox produce: extension pairs keep their order, the transport keeps
/// its case (`udp` or `UDP`).
///
/// ```
/// use sansrtc_ice::{Candidate, CandidateType};
///
/// let line = "candidate:842163049 1 udp 1677729535 192.0.2.3 61665 typ srflx \
///             raddr 10.0.1.1 rport 8998 generation 0 ufrag EEtu network-id 3 network-cost 10";
/// let candidate: Candidate = line.parse()?;
/// assert_eq!(candidate.kind(), CandidateType::ServerReflexive);
/// assert_eq!(candidate.port(), 61665);
/// assert_eq!(candidate.extension("ufrag"), Some("EEtu"));
/// assert_eq!(candidate.to_string(), line);
/// # Ok::<(), sansrtc_ice::CandidateError>(())
/// ```
///
/// <https://www.rfc-editor.org/rfc/rfc8839#section-5.1>
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Candidate {
    foundation: String,
    component: u16,
    transport: Transport,
    transport_uppercase: bool,
    priority: u32,
    address: Address,
    port: u16,
    kind: CandidateType,
    related: Option<(Address, u16)>,
    extensions: Vec<(String, String)>,
}

impl Candidate {
    /// A candidate with the given fields and no related address or
    /// extensions. The foundation must be 1 to 32 ICE characters and the
    /// component 1 to 256.
    pub fn new(
        foundation: &str,
        component: u16,
        transport: Transport,
        priority: u32,
        address: SocketAddr,
        kind: CandidateType,
    ) -> Result<Self, CandidateError> {
        check_foundation(foundation)?;
        check_component(component)?;
        Ok(Self {
            foundation: foundation.into(),
            component,
            transport,
            transport_uppercase: false,
            priority,
            address: Address::Ip(address.ip()),
            port: address.port(),
            kind,
            related: None,
            extensions: Vec::new(),
        })
    }

    /// Sets the related address (`raddr`/`rport`): the base of a reflexive
    /// candidate, the mapped address of a relayed one.
    #[must_use]
    pub fn with_related(mut self, related: SocketAddr) -> Self {
        self.related = Some((Address::Ip(related.ip()), related.port()));
        self
    }

    /// Replaces the connection address by a name (such as an mDNS `.local`
    /// name that hides the host address).
    #[must_use]
    pub fn with_address(mut self, address: Address) -> Self {
        self.address = address;
        self
    }

    /// Appends an extension pair such as `generation 0`. Names and values
    /// must be non-empty visible ASCII without spaces.
    pub fn with_extension(mut self, name: &str, value: &str) -> Result<Self, CandidateError> {
        let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic());
        if !token(name) || !token(value) {
            return Err(CandidateError::Invalid {
                field: "extension",
                reason: "names and values are non-empty visible ASCII",
            });
        }
        if self.extensions.len() >= MAX_EXTENSIONS {
            return Err(CandidateError::TooManyExtensions {
                max: MAX_EXTENSIONS,
            });
        }
        self.extensions.push((name.into(), value.into()));
        Ok(self)
    }

    /// The foundation.
    pub fn foundation(&self) -> &str {
        &self.foundation
    }

    /// The component id: 1 for RTP, 2 for RTCP without rtcp-mux.
    pub const fn component(&self) -> u16 {
        self.component
    }

    /// The transport protocol.
    pub const fn transport(&self) -> Transport {
        self.transport
    }

    /// The priority (RFC 8445 §5.1.2).
    pub const fn priority(&self) -> u32 {
        self.priority
    }

    /// The connection address: an IP address or a name.
    pub const fn address(&self) -> &Address {
        &self.address
    }

    /// The port.
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// The transport address, when the connection address is an IP address.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        self.address.ip().map(|ip| SocketAddr::new(ip, self.port))
    }

    /// The candidate type.
    pub const fn kind(&self) -> CandidateType {
        self.kind
    }

    /// The related address and port (`raddr`, `rport`), if present.
    pub fn related(&self) -> Option<(&Address, u16)> {
        self.related
            .as_ref()
            .map(|(address, port)| (address, *port))
    }

    /// The TCP candidate type (`tcptype`), if present.
    pub fn tcp_type(&self) -> Option<TcpType> {
        self.extension("tcptype").and_then(TcpType::parse)
    }

    /// The value of the first extension named `name`.
    pub fn extension(&self, name: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// All extension pairs, in their original order.
    pub fn extensions(&self) -> impl Iterator<Item = (&str, &str)> {
        self.extensions
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The `ufrag` extension: which ICE generation this candidate belongs to.
    pub fn ufrag(&self) -> Option<&str> {
        self.extension("ufrag")
    }
}

fn check_foundation(foundation: &str) -> Result<(), CandidateError> {
    let valid = !foundation.is_empty()
        && foundation.len() <= MAX_FOUNDATION_LEN
        && foundation
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    if valid {
        Ok(())
    } else {
        Err(CandidateError::Invalid {
            field: "foundation",
            reason: "1 to 32 characters of ALPHA / DIGIT / \"+\" / \"/\"",
        })
    }
}

fn check_component(component: u16) -> Result<(), CandidateError> {
    if (1..=256).contains(&component) {
        Ok(())
    } else {
        Err(CandidateError::Invalid {
            field: "component-id",
            reason: "must be 1 to 256",
        })
    }
}

fn digits<T: FromStr>(
    token: &str,
    field: &'static str,
    max_digits: usize,
) -> Result<T, CandidateError> {
    if token.is_empty() || token.len() > max_digits || !token.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CandidateError::Invalid {
            field,
            reason: "not a decimal number of the allowed length",
        });
    }
    token.parse().map_err(|_| CandidateError::Invalid {
        field,
        reason: "out of range",
    })
}

impl FromStr for Candidate {
    type Err = CandidateError;

    /// Parses `candidate:...`, with or without the leading `a=` or
    /// `candidate:`.
    fn from_str(line: &str) -> Result<Self, Self::Err> {
        if line.len() > MAX_CANDIDATE_LEN {
            return Err(CandidateError::TooLong {
                max: MAX_CANDIDATE_LEN,
            });
        }
        let line = line.trim_end_matches(['\r', '\n']);
        let line = line.strip_prefix("a=").unwrap_or(line);
        let line = line.strip_prefix("candidate:").unwrap_or(line);
        let mut tokens = line.split(' ');
        let mut next = |field| {
            tokens
                .next()
                .filter(|t: &&str| !t.is_empty())
                .ok_or(CandidateError::Missing(field))
        };
        let foundation = next("foundation")?;
        check_foundation(foundation)?;
        let component = digits::<u16>(next("component-id")?, "component-id", 3)?;
        check_component(component)?;
        let transport_token = next("transport")?;
        let transport = if transport_token.eq_ignore_ascii_case("udp") {
            Transport::Udp
        } else if transport_token.eq_ignore_ascii_case("tcp") {
            Transport::Tcp
        } else {
            return Err(CandidateError::UnsupportedTransport);
        };
        let transport_uppercase = transport_token.bytes().any(|b| b.is_ascii_uppercase());
        let priority = digits::<u32>(next("priority")?, "priority", 10)?;
        let address = Address::parse(next("connection-address")?)?;
        let port = digits::<u16>(next("port")?, "port", 5)?;
        if next("typ")? != "typ" {
            return Err(CandidateError::Invalid {
                field: "typ",
                reason: "expected \"typ\" after the port",
            });
        }
        let kind = CandidateType::parse(next("cand-type")?).ok_or(CandidateError::Invalid {
            field: "cand-type",
            reason: "expected host, srflx, prflx or relay",
        })?;
        let rest: Vec<&str> = tokens.collect();
        let mut rest = rest.as_slice();
        let mut related_address = None;
        let mut related_port = None;
        if let ["raddr", value, tail @ ..] = rest {
            related_address = Some(Address::parse(value)?);
            rest = tail;
        }
        if let ["rport", value, tail @ ..] = rest {
            related_port = Some(digits::<u16>(value, "rel-port", 5)?);
            rest = tail;
        }
        let related = match (related_address, related_port) {
            (Some(address), Some(port)) => Some((address, port)),
            (None, None) => None,
            _ => {
                return Err(CandidateError::Invalid {
                    field: "raddr",
                    reason: "raddr and rport come together",
                });
            }
        };
        let mut candidate = Self {
            foundation: foundation.into(),
            component,
            transport,
            transport_uppercase,
            priority,
            address,
            port,
            kind,
            related,
            extensions: Vec::new(),
        };
        let mut pairs = rest.chunks_exact(2);
        for pair in pairs.by_ref() {
            if let [name, value] = pair {
                if *name == "tcptype" && TcpType::parse(value).is_none() {
                    return Err(CandidateError::Invalid {
                        field: "tcptype",
                        reason: "expected active, passive or so",
                    });
                }
                candidate = candidate.with_extension(name, value)?;
            }
        }
        if !pairs.remainder().is_empty() {
            return Err(CandidateError::Invalid {
                field: "extension",
                reason: "an extension name without a value",
            });
        }
        Ok(candidate)
    }
}

/// A candidate written as the value of an SDP `a=candidate:` attribute:
/// `<foundation> <component> ...`, without the `candidate:` prefix. See
/// [`Candidate::sdp_value`].
#[derive(Debug, Clone, Copy)]
pub struct SdpValue<'a>(&'a Candidate);

impl fmt::Display for SdpValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write_value(f)
    }
}

impl Candidate {
    /// The candidate as the value of SDP's `a=candidate:` attribute (the
    /// text after the colon, what `sansrtc_sdp`'s `Attribute::Candidate`
    /// and its media-section `candidates()` hold). [`Display`](fmt::Display)
    /// writes the other common form, with the `candidate:` prefix, as the
    /// W3C `RTCIceCandidate.candidate` field and trickle messages carry it;
    /// [`str::parse`] takes both.
    ///
    /// ```
    /// use sansrtc_ice::Candidate;
    ///
    /// let candidate: Candidate = "candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host".parse()?;
    /// assert_eq!(candidate.sdp_value().to_string(), "1 1 udp 2130706431 192.0.2.1 5000 typ host");
    /// assert_eq!(format!("a=candidate:{}", candidate.sdp_value()),
    ///            format!("a={candidate}"));
    /// let again: Candidate = candidate.sdp_value().to_string().parse()?;
    /// assert_eq!(again, candidate);
    /// # Ok::<(), sansrtc_ice::CandidateError>(())
    /// ```
    pub const fn sdp_value(&self) -> SdpValue<'_> {
        SdpValue(self)
    }

    fn write_value(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = match (self.transport, self.transport_uppercase) {
            (Transport::Udp, false) => "udp",
            (Transport::Udp, true) => "UDP",
            (_, false) => "tcp",
            (_, true) => "TCP",
        };
        write!(
            f,
            "{} {} {} {} {} {} typ {}",
            self.foundation,
            self.component,
            transport,
            self.priority,
            self.address,
            self.port,
            self.kind
        )?;
        if let Some((address, port)) = &self.related {
            write!(f, " raddr {address} rport {port}")?;
        }
        for (name, value) in &self.extensions {
            write!(f, " {name} {value}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Candidate {
    /// Writes `candidate:<foundation> <component> ...`: the attribute
    /// without `a=`, as `RTCIceCandidate.candidate` carries it. For the
    /// value of an SDP `a=candidate:` line use [`Candidate::sdp_value`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("candidate:")?;
        self.write_value(f)
    }
}

/// The priority of a candidate (RFC 8445 §5.1.2.1):
/// `2^24 × type preference + 2^8 × local preference + (256 − component)`.
///
/// <https://www.rfc-editor.org/rfc/rfc8445#section-5.1.2.1>
pub const fn priority(kind: CandidateType, local_preference: u16, component: u16) -> u32 {
    let component = if component > 256 { 256 } else { component };
    (kind.preference() << 24) + ((local_preference as u32) << 8) + (256 - component as u32)
}

/// The local preference of an address (RFC 8445 §5.1.2.1 with RFC 8421).
///
/// The high byte ranks the interface: `interface_rank` 0 is the most
/// preferred (for example wired before Wi-Fi before cellular, or VPN last),
/// each step down costs 1. The low byte ranks the address family per RFC 8421
/// §4: global IPv6 above IPv4 above link-local, unique-local and other
/// IPv6 addresses (which may not route), so that on one interface the
/// agent checks IPv6 first and IPv4 right after.
///
/// <https://www.rfc-editor.org/rfc/rfc8421#section-4>
pub fn local_preference(interface_rank: u8, ip: IpAddr) -> u16 {
    let family: u16 = match ip {
        IpAddr::V6(v6) => {
            let first = v6.segments().first().copied().unwrap_or(0);
            let link_local = first & 0xffc0 == 0xfe80;
            let unique_local = first & 0xfe00 == 0xfc00;
            if v6.to_ipv4_mapped().is_some() {
                96
            } else if link_local || unique_local || v6.is_loopback() {
                64
            } else {
                255
            }
        }
        IpAddr::V4(_) => 128,
    };
    (u16::from(255 - interface_rank) << 8) | family
}

/// A foundation for a local candidate (RFC 8445 §5.1.1.3): candidates that
/// share type, base IP address, server (STUN or TURN) IP address and
/// transport share the foundation; the value is a 32-bit FNV-1a hash of
/// those, printed in decimal like browsers do.
///
/// <https://www.rfc-editor.org/rfc/rfc8445#section-5.1.1.3>
pub fn foundation(
    kind: CandidateType,
    base: IpAddr,
    server: Option<IpAddr>,
    transport: Transport,
) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u32::from(*byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    };
    feed(kind.as_str().as_bytes());
    match base {
        IpAddr::V4(v4) => feed(&v4.octets()),
        IpAddr::V6(v6) => feed(&v6.octets()),
    }
    match server {
        Some(IpAddr::V4(v4)) => feed(&v4.octets()),
        Some(IpAddr::V6(v6)) => feed(&v6.octets()),
        None => feed(b"-"),
    }
    feed(match transport {
        Transport::Udp => b"u",
        _ => b"t",
    });
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = fmt::write(&mut text, format_args!("{hash}"));
    text
}

/// Removes redundant candidates (RFC 8445 §5.1.3): a candidate is redundant
/// when another has the same transport address and the same base and a
/// higher priority (a server-reflexive address equal to its host address,
/// for example). `candidates` holds each candidate with its base; the order
/// of the kept ones does not change.
///
/// <https://www.rfc-editor.org/rfc/rfc8445#section-5.1.3>
pub fn eliminate_redundant(candidates: &mut Vec<(Candidate, SocketAddr)>) {
    let mut kept: Vec<(Candidate, SocketAddr)> = Vec::with_capacity(candidates.len());
    for (candidate, base) in candidates.drain(..) {
        let same = kept.iter().position(|(other, other_base)| {
            *other_base == base
                && other.address == candidate.address
                && other.port == candidate.port
                && other.transport == candidate.transport
                && other.component == candidate.component
        });
        match same {
            Some(index) => {
                if let Some(slot) = kept.get_mut(index) {
                    if candidate.priority > slot.0.priority {
                        *slot = (candidate, base);
                    }
                }
            }
            None => kept.push((candidate, base)),
        }
    }
    *candidates = kept;
}

/// A local candidate of the agent, with its base (the address it sends
/// from) and the rank of its interface.
#[derive(Debug, Clone)]
pub(crate) struct Local {
    pub(crate) candidate: Candidate,
    pub(crate) base: SocketAddr,
    pub(crate) interface_rank: u8,
}

impl Local {
    /// The transport address packets from this candidate carry: the base for
    /// host and relayed candidates (whose announced address may be a name),
    /// the candidate's own address otherwise.
    pub(crate) fn transport_address(&self) -> Option<SocketAddr> {
        match self.candidate.kind() {
            CandidateType::Host | CandidateType::Relayed => Some(self.base),
            _ => self.candidate.socket_addr(),
        }
    }
}

/// A remote candidate of the agent, with its resolved transport
/// address.
#[derive(Debug, Clone)]
pub(crate) struct Remote {
    pub(crate) candidate: Candidate,
    pub(crate) address: SocketAddr,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(line: &str) -> Candidate {
        let candidate: Candidate = line.parse().unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(candidate.to_string(), line);
        candidate
    }

    #[test]
    fn chromium_srflx() {
        let c = round_trip(
            "candidate:842163049 1 udp 1677729535 192.0.2.3 61665 typ srflx raddr 10.0.1.1 rport 8998 generation 0 ufrag EEtu network-id 3 network-cost 10",
        );
        assert_eq!(c.foundation(), "842163049");
        assert_eq!(c.component(), 1);
        assert_eq!(c.transport(), Transport::Udp);
        assert_eq!(c.priority(), 1_677_729_535);
        assert_eq!(c.socket_addr(), Some("192.0.2.3:61665".parse().unwrap()));
        assert_eq!(c.kind(), CandidateType::ServerReflexive);
        let (raddr, rport) = c.related().unwrap();
        assert_eq!(raddr, &Address::Ip("10.0.1.1".parse().unwrap()));
        assert_eq!(rport, 8998);
        let ext: Vec<_> = c.extensions().collect();
        assert_eq!(
            ext,
            [
                ("generation", "0"),
                ("ufrag", "EEtu"),
                ("network-id", "3"),
                ("network-cost", "10")
            ]
        );
    }

    #[test]
    fn firefox_and_tcp_and_mdns_and_ipv6() {
        let c = round_trip("candidate:1 1 TCP 2105458943 192.0.2.5 9 typ host tcptype active");
        assert_eq!(c.transport(), Transport::Tcp);
        assert_eq!(c.tcp_type(), Some(TcpType::Active));
        round_trip("candidate:0 1 UDP 2122252543 192.0.2.7 54321 typ host");
        round_trip(
            "candidate:1 1 UDP 1686052863 198.51.100.1 54321 typ srflx raddr 192.0.2.7 rport 54321",
        );
        round_trip(
            "candidate:3 1 UDP 92217343 203.0.113.9 61234 typ relay raddr 198.51.100.1 rport 54321",
        );
        let m = round_trip(
            "candidate:2988537366 1 udp 2113937151 3f5c2f7e-2f77-4d4c-9c41-9d6a2f7b4b0e.local 58430 typ host generation 0 network-cost 999",
        );
        assert!(m.address().is_mdns());
        assert_eq!(m.socket_addr(), None);
        let v6 = round_trip(
            "candidate:2999745851 1 udp 2122262783 2001:db8:85a3::8a2e:370:7334 56789 typ host generation 0 ufrag EEtu network-id 2",
        );
        assert!(matches!(v6.address(), Address::Ip(IpAddr::V6(_))));
        round_trip(
            "candidate:1876313031 1 tcp 1518280447 192.0.2.3 9 typ host tcptype passive generation 0 network-id 1",
        );
        round_trip("candidate:4 2 UDP 8265214 203.0.113.9 40000 typ relay raddr 0.0.0.0 rport 0");
    }

    #[test]
    fn prefixes_are_optional() {
        let a: Candidate = "a=candidate:1 1 udp 10 192.0.2.1 1 typ host\r\n"
            .parse()
            .unwrap();
        let b: Candidate = "1 1 udp 10 192.0.2.1 1 typ host".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(b.to_string(), "candidate:1 1 udp 10 192.0.2.1 1 typ host");
    }

    #[test]
    fn bad_candidates_give_errors() {
        let cases: &[(&str, CandidateError)] = &[
            ("candidate:", CandidateError::Missing("foundation")),
            (
                "candidate:1 1 udp 10 192.0.2.1 1",
                CandidateError::Missing("typ"),
            ),
            (
                "candidate:1 1 sctp 10 192.0.2.1 1 typ host",
                CandidateError::UnsupportedTransport,
            ),
            (
                "candidate:1 0 udp 10 192.0.2.1 1 typ host",
                CandidateError::Invalid {
                    field: "component-id",
                    reason: "must be 1 to 256",
                },
            ),
            (
                "candidate:1 1 udp 4294967296 192.0.2.1 1 typ host",
                CandidateError::Invalid {
                    field: "priority",
                    reason: "out of range",
                },
            ),
            (
                "candidate:1 1 udp 10 192.0.2.1 70000 typ host",
                CandidateError::Invalid {
                    field: "port",
                    reason: "out of range",
                },
            ),
            (
                "candidate:1 1 udp 10 192.0.2.1 1 typ nat",
                CandidateError::Invalid {
                    field: "cand-type",
                    reason: "expected host, srflx, prflx or relay",
                },
            ),
            (
                "candidate:1 1 udp 10 192.0.2.1 1 typ host generation",
                CandidateError::Invalid {
                    field: "extension",
                    reason: "an extension name without a value",
                },
            ),
            (
                "candidate:1 1 udp 10 192.0.2.1 1 typ srflx raddr 10.0.0.1",
                CandidateError::Invalid {
                    field: "raddr",
                    reason: "raddr and rport come together",
                },
            ),
            (
                "candidate:a_b 1 udp 10 192.0.2.1 1 typ host",
                CandidateError::Invalid {
                    field: "foundation",
                    reason: "1 to 32 characters of ALPHA / DIGIT / \"+\" / \"/\"",
                },
            ),
            (
                "candidate:1 1 udp 10 999.1.1.1 1 typ host",
                CandidateError::Invalid {
                    field: "connection-address",
                    reason: "neither an IP address nor a domain name",
                },
            ),
            (
                "candidate:1 1 udp 10 192.0.2.1 1  typ host",
                CandidateError::Missing("typ"),
            ),
        ];
        for (line, error) in cases {
            assert_eq!(line.parse::<Candidate>(), Err(*error), "{line}");
        }
    }

    #[test]
    fn caps_on_length_and_extensions() {
        let mut line = String::from("candidate:1 1 udp 10 192.0.2.1 1 typ host");
        for i in 0..MAX_EXTENSIONS {
            line.push_str(&format!(" x{i} {i}"));
        }
        assert_eq!(
            line.parse::<Candidate>().unwrap().extensions().count(),
            MAX_EXTENSIONS
        );
        line.push_str(" one more");
        assert_eq!(
            line.parse::<Candidate>(),
            Err(CandidateError::TooManyExtensions {
                max: MAX_EXTENSIONS
            })
        );
        let long = format!(
            "candidate:1 1 udp 10 192.0.2.1 1 typ host x {}",
            "y".repeat(MAX_CANDIDATE_LEN)
        );
        assert_eq!(
            long.parse::<Candidate>(),
            Err(CandidateError::TooLong {
                max: MAX_CANDIDATE_LEN
            })
        );
    }

    #[test]
    fn priorities_follow_rfc_8445() {
        // Chromium's host candidate priority for interface rank 0, IPv4:
        // 126 << 24 | local preference << 8 | 255.
        assert_eq!(priority(CandidateType::Host, 65535, 1), 2_130_706_431);
        assert_eq!(priority(CandidateType::Host, 65535, 2), 2_130_706_430);
        assert_eq!(priority(CandidateType::Relayed, 0, 1), 255);
        assert_eq!(
            priority(CandidateType::ServerReflexive, 0, 1),
            100 << 24 | 255
        );
        let host = priority(CandidateType::Host, 0, 1);
        let prflx = priority(CandidateType::PeerReflexive, 65535, 1);
        let srflx = priority(CandidateType::ServerReflexive, 65535, 1);
        let relay = priority(CandidateType::Relayed, 65535, 1);
        assert!(host > prflx && prflx > srflx && srflx > relay);
    }

    #[test]
    fn local_preference_ranks_interfaces_then_families() {
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let ll: IpAddr = "fe80::1".parse().unwrap();
        assert_eq!(local_preference(0, v6), 0xffff);
        assert_eq!(local_preference(0, v4), 0xff80);
        assert_eq!(local_preference(0, ll), 0xff40);
        assert!(local_preference(0, v4) > local_preference(1, v6));
        assert_eq!(local_preference(255, v4), 0x0080);
    }

    #[test]
    fn foundations_group_by_type_base_server_transport() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let s: IpAddr = "198.51.100.1".parse().unwrap();
        let f = |k, base, server, t| foundation(k, base, server, t);
        let host_a = f(CandidateType::Host, a, None, Transport::Udp);
        assert_eq!(host_a, f(CandidateType::Host, a, None, Transport::Udp));
        assert!(host_a.bytes().all(|c| c.is_ascii_digit()));
        assert_ne!(host_a, f(CandidateType::Host, b, None, Transport::Udp));
        assert_ne!(host_a, f(CandidateType::Host, a, None, Transport::Tcp));
        assert_ne!(
            host_a,
            f(CandidateType::ServerReflexive, a, Some(s), Transport::Udp)
        );
        assert_ne!(
            f(CandidateType::ServerReflexive, a, Some(s), Transport::Udp),
            f(CandidateType::ServerReflexive, a, Some(b), Transport::Udp)
        );
    }

    #[test]
    fn redundant_candidates_are_removed() {
        let base: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let host = Candidate::new(
            "1",
            1,
            Transport::Udp,
            priority(CandidateType::Host, 65535, 1),
            base,
            CandidateType::Host,
        )
        .unwrap();
        let srflx_same = Candidate::new(
            "2",
            1,
            Transport::Udp,
            priority(CandidateType::ServerReflexive, 65535, 1),
            base,
            CandidateType::ServerReflexive,
        )
        .unwrap()
        .with_related(base);
        let srflx_other = Candidate::new(
            "2",
            1,
            Transport::Udp,
            priority(CandidateType::ServerReflexive, 65535, 1),
            "198.51.100.7:6000".parse().unwrap(),
            CandidateType::ServerReflexive,
        )
        .unwrap()
        .with_related(base);
        let mut list = vec![
            (srflx_same, base),
            (host.clone(), base),
            (srflx_other.clone(), base),
        ];
        eliminate_redundant(&mut list);
        assert_eq!(list, vec![(host, base), (srflx_other, base)]);
    }

    #[test]
    fn builder_validates() {
        let addr: SocketAddr = "192.0.2.1:1".parse().unwrap();
        assert!(Candidate::new("", 1, Transport::Udp, 1, addr, CandidateType::Host).is_err());
        assert!(Candidate::new("1", 257, Transport::Udp, 1, addr, CandidateType::Host).is_err());
        let c = Candidate::new("1", 1, Transport::Udp, 1, addr, CandidateType::Host).unwrap();
        assert!(c.clone().with_extension("a b", "c").is_err());
        let c = c.with_extension("generation", "0").unwrap();
        assert_eq!(
            c.to_string(),
            "candidate:1 1 udp 1 192.0.2.1 1 typ host generation 0"
        );
    }
}
