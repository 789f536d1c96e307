//! Decoding attribute values from the wire: lengths, ranges and UTF-8
//! checked, XOR addresses un-XORed with the magic cookie and transaction
//! id (RFC 8489 §14.2); unknown types kept as their bytes.
//!
//! <https://www.rfc-editor.org/rfc/rfc8489#section-14>

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::Attribute;
use super::registry::AttributeType;
use super::value::{
    AddressErrorCode, AddressFamily, ErrorCode, Icmp, MAX_DOMAIN_LEN, MAX_TEXT_LEN,
    MAX_USERNAME_LEN, PasswordAlgorithms, UnknownAttributes, UnknownRepr, split_algorithm,
};
use crate::error::ParseError;
use crate::message::{MAGIC_COOKIE, TransactionId};

fn bad(kind: u16, reason: &'static str) -> ParseError {
    ParseError::BadAttribute { kind, reason }
}

fn exact<const N: usize>(kind: u16, value: &[u8]) -> Result<&[u8; N], ParseError> {
    value.try_into().map_err(|_| bad(kind, "wrong length"))
}

fn text(kind: u16, value: &[u8], max: usize) -> Result<&str, ParseError> {
    if value.len() > max {
        return Err(bad(kind, "text too long"));
    }
    core::str::from_utf8(value).map_err(|_| bad(kind, "not UTF-8"))
}

#[inline]
fn decode_address(
    kind: u16,
    value: &[u8],
    xor: Option<&TransactionId>,
) -> Result<SocketAddr, ParseError> {
    let (head, address) = value
        .split_first_chunk::<4>()
        .ok_or(bad(kind, "address too short"))?;
    let [_, family, p0, p1] = *head;
    let mut port = u16::from_be_bytes([p0, p1]);
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    let ip = match family {
        0x01 => {
            let octets: [u8; 4] = address
                .try_into()
                .map_err(|_| bad(kind, "IPv4 address must be 4 bytes"))?;
            let mut bits = u32::from_be_bytes(octets);
            if xor.is_some() {
                bits ^= MAGIC_COOKIE;
            }
            IpAddr::V4(Ipv4Addr::from(bits))
        }
        0x02 => {
            let octets: [u8; 16] = address
                .try_into()
                .map_err(|_| bad(kind, "IPv6 address must be 16 bytes"))?;
            let mut bits = u128::from_be_bytes(octets);
            if let Some(transaction_id) = xor {
                bits ^= xor_mask_v6(transaction_id);
            }
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        _ => return Err(bad(kind, "unknown address family")),
    };
    Ok(SocketAddr::new(ip, port))
}

pub(super) fn xor_mask_v6(transaction_id: &TransactionId) -> u128 {
    let mut mask = [0u8; 16];
    let (cookie, id) = mask.split_at_mut(4);
    cookie.copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
    id.copy_from_slice(transaction_id.as_bytes());
    u128::from_be_bytes(mask)
}

fn decode_error_code(kind: u16, value: &[u8]) -> Result<(u16, &str), ParseError> {
    let (head, reason) = value
        .split_first_chunk::<4>()
        .ok_or(bad(kind, "error code too short"))?;
    let [_, _, class, number] = *head;
    let class = u16::from(class & 0x07);
    let number = u16::from(number);
    if !(3..=6).contains(&class) {
        return Err(bad(kind, "error class outside 3-6"));
    }
    if number > 99 {
        return Err(bad(kind, "error number above 99"));
    }
    Ok((class * 100 + number, text(kind, reason, MAX_TEXT_LEN)?))
}

fn u32_of(kind: u16, value: &[u8]) -> Result<u32, ParseError> {
    Ok(u32::from_be_bytes(*exact::<4>(kind, value)?))
}

fn u64_of(kind: u16, value: &[u8]) -> Result<u64, ParseError> {
    Ok(u64::from_be_bytes(*exact::<8>(kind, value)?))
}

fn family_of(kind: u16, value: &[u8]) -> Result<AddressFamily, ParseError> {
    let [family, _, _, _] = *exact::<4>(kind, value)?;
    AddressFamily::from_u8(family).ok_or(bad(kind, "unknown address family"))
}

fn empty(kind: u16, value: &[u8]) -> Result<(), ParseError> {
    if value.is_empty() {
        Ok(())
    } else {
        Err(bad(kind, "must be empty"))
    }
}

impl<'a> Attribute<'a> {
    /// Decodes an attribute value. `transaction_id` un-XORs the XOR address
    /// attributes.
    pub fn decode(
        kind: AttributeType,
        value: &'a [u8],
        transaction_id: &TransactionId,
    ) -> Result<Self, ParseError> {
        Self::decode_inline(kind, value, transaction_id)
    }

    /// [`decode`](Self::decode), inlined where it is called: with a
    /// constant `kind` (the message's typed accessors) only one arm is
    /// left.
    #[inline(always)]
    pub(crate) fn decode_inline(
        kind: AttributeType,
        value: &'a [u8],
        transaction_id: &TransactionId,
    ) -> Result<Self, ParseError> {
        let k = kind.0;
        Ok(match kind {
            AttributeType::MAPPED_ADDRESS => Self::MappedAddress(decode_address(k, value, None)?),
            AttributeType::XOR_MAPPED_ADDRESS => {
                Self::XorMappedAddress(decode_address(k, value, Some(transaction_id))?)
            }
            AttributeType::USERNAME => Self::Username(text(k, value, MAX_USERNAME_LEN)?),
            AttributeType::USERHASH => Self::UserHash(exact::<32>(k, value)?),
            AttributeType::MESSAGE_INTEGRITY => Self::MessageIntegrity(exact::<20>(k, value)?),
            AttributeType::MESSAGE_INTEGRITY_SHA256 => {
                if !(16..=32).contains(&value.len()) || value.len() % 4 != 0 {
                    return Err(bad(k, "length must be 16 to 32 and a multiple of 4"));
                }
                Self::MessageIntegritySha256(value)
            }
            AttributeType::FINGERPRINT => Self::Fingerprint(u32_of(k, value)?),
            AttributeType::ERROR_CODE => {
                let (code, reason) = decode_error_code(k, value)?;
                Self::ErrorCode(ErrorCode { code, reason })
            }
            AttributeType::REALM => Self::Realm(text(k, value, MAX_TEXT_LEN)?),
            AttributeType::NONCE => Self::Nonce(text(k, value, MAX_TEXT_LEN)?),
            AttributeType::PASSWORD_ALGORITHMS => {
                Self::PasswordAlgorithms(PasswordAlgorithms::decode(k, value)?)
            }
            AttributeType::PASSWORD_ALGORITHM => {
                let (algorithm, rest) =
                    split_algorithm(value).ok_or(bad(k, "truncated password algorithm"))?;
                if !rest.is_empty() {
                    return Err(bad(k, "trailing bytes after the parameters"));
                }
                Self::PasswordAlgorithm(algorithm)
            }
            AttributeType::UNKNOWN_ATTRIBUTES => {
                if value.len() % 2 != 0 {
                    return Err(bad(k, "odd length"));
                }
                Self::UnknownAttributes(UnknownAttributes(UnknownRepr::Wire(value)))
            }
            AttributeType::SOFTWARE => Self::Software(text(k, value, MAX_TEXT_LEN)?),
            AttributeType::ALTERNATE_SERVER => {
                Self::AlternateServer(decode_address(k, value, None)?)
            }
            AttributeType::ALTERNATE_DOMAIN => {
                let domain = text(k, value, MAX_DOMAIN_LEN)?;
                if !domain.is_ascii() {
                    return Err(bad(k, "domain name is not ASCII"));
                }
                Self::AlternateDomain(domain)
            }
            AttributeType::PRIORITY => Self::Priority(u32_of(k, value)?),
            AttributeType::USE_CANDIDATE => {
                empty(k, value)?;
                Self::UseCandidate
            }
            AttributeType::ICE_CONTROLLED => Self::IceControlled(u64_of(k, value)?),
            AttributeType::ICE_CONTROLLING => Self::IceControlling(u64_of(k, value)?),
            AttributeType::CHANNEL_NUMBER => {
                let [n0, n1, _, _] = *exact::<4>(k, value)?;
                Self::ChannelNumber(u16::from_be_bytes([n0, n1]))
            }
            AttributeType::LIFETIME => Self::Lifetime(u32_of(k, value)?),
            AttributeType::XOR_PEER_ADDRESS => {
                Self::XorPeerAddress(decode_address(k, value, Some(transaction_id))?)
            }
            AttributeType::DATA => Self::Data(value),
            AttributeType::XOR_RELAYED_ADDRESS => {
                Self::XorRelayedAddress(decode_address(k, value, Some(transaction_id))?)
            }
            AttributeType::REQUESTED_ADDRESS_FAMILY => {
                Self::RequestedAddressFamily(family_of(k, value)?)
            }
            AttributeType::EVEN_PORT => {
                let [flags] = *exact::<1>(k, value)?;
                Self::EvenPort(flags & 0x80 != 0)
            }
            AttributeType::REQUESTED_TRANSPORT => {
                let [protocol, _, _, _] = *exact::<4>(k, value)?;
                Self::RequestedTransport(protocol)
            }
            AttributeType::DONT_FRAGMENT => {
                empty(k, value)?;
                Self::DontFragment
            }
            AttributeType::RESERVATION_TOKEN => Self::ReservationToken(u64_of(k, value)?),
            AttributeType::ADDITIONAL_ADDRESS_FAMILY => {
                Self::AdditionalAddressFamily(family_of(k, value)?)
            }
            AttributeType::ADDRESS_ERROR_CODE => {
                let (code, reason) = decode_error_code(k, value)?;
                let family = value
                    .first()
                    .copied()
                    .and_then(AddressFamily::from_u8)
                    .ok_or(bad(k, "unknown address family"))?;
                Self::AddressErrorCode(AddressErrorCode {
                    family,
                    code,
                    reason,
                })
            }
            AttributeType::ICMP => {
                let [_, _, icmp_type, icmp_code, d0, d1, d2, d3] = *exact::<8>(k, value)?;
                Self::Icmp(Icmp {
                    icmp_type,
                    icmp_code,
                    error_data: u32::from_be_bytes([d0, d1, d2, d3]),
                })
            }
            AttributeType::CHANGE_REQUEST => {
                let flags = u32_of(k, value)?;
                Self::ChangeRequest {
                    change_ip: flags & 0x04 != 0,
                    change_port: flags & 0x02 != 0,
                }
            }
            AttributeType::RESPONSE_PORT => {
                let [p0, p1, _, _] = *exact::<4>(k, value)?;
                Self::ResponsePort(u16::from_be_bytes([p0, p1]))
            }
            AttributeType::PADDING => Self::Padding(value),
            AttributeType::CACHE_TIMEOUT => Self::CacheTimeout(u32_of(k, value)?),
            AttributeType::RESPONSE_ORIGIN => Self::ResponseOrigin(decode_address(k, value, None)?),
            AttributeType::OTHER_ADDRESS => Self::OtherAddress(decode_address(k, value, None)?),
            AttributeType::CONNECTION_ID => Self::ConnectionId(u32_of(k, value)?),
            AttributeType::ACCESS_TOKEN => Self::AccessToken(value),
            AttributeType::THIRD_PARTY_AUTHORIZATION => {
                Self::ThirdPartyAuthorization(text(k, value, MAX_TEXT_LEN)?)
            }
            AttributeType::MOBILITY_TICKET => Self::MobilityTicket(value),
            _ => Self::Unknown { kind, value },
        })
    }
}
