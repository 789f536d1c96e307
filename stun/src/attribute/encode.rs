//! Encoding attribute values: their lengths on the wire, the checks of
//! what the RFCs allow before anything is written, and the values
//! themselves (reserved bits written as zero, XOR addresses XORed).
//!
//! <https://www.rfc-editor.org/rfc/rfc8489#section-14>

use core::net::{IpAddr, SocketAddr};

use super::Attribute;
use super::decode::xor_mask_v6;
use super::padded;
use super::value::{
    AddressFamily, MAX_DOMAIN_LEN, MAX_TEXT_LEN, MAX_USERNAME_LEN, PasswordAlgorithm,
};
use crate::error::WriteError;
use crate::message::{MAGIC_COOKIE, TransactionId};

const fn address_len(address: &SocketAddr) -> usize {
    match address {
        SocketAddr::V4(_) => 8,
        SocketAddr::V6(_) => 20,
    }
}

fn encode_address(address: &SocketAddr, xor: Option<&TransactionId>, out: &mut [u8]) {
    let mut port = address.port();
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    let [p0, p1] = port.to_be_bytes();
    let (out_head, out_address) = out.split_at_mut(4.min(out.len()));
    copy_prefix(out_head, &[0, AddressFamily::of(address).to_u8(), p0, p1]);
    match address.ip() {
        IpAddr::V4(ip) => {
            let mut bits = u32::from(ip);
            if xor.is_some() {
                bits ^= MAGIC_COOKIE;
            }
            copy_prefix(out_address, &bits.to_be_bytes());
        }
        IpAddr::V6(ip) => {
            let mut bits = u128::from(ip);
            if let Some(transaction_id) = xor {
                bits ^= xor_mask_v6(transaction_id);
            }
            copy_prefix(out_address, &bits.to_be_bytes());
        }
    }
}

/// Copies as much of `src` as fits into the front of `dst`.
fn copy_prefix(dst: &mut [u8], src: &[u8]) {
    let n = dst.len().min(src.len());
    if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
        d.copy_from_slice(s);
    }
}

fn check_error_code(kind: u16, code: u16, reason: &str) -> Result<(), WriteError> {
    if !(300..=699).contains(&code) {
        return Err(WriteError::InvalidValue {
            kind,
            reason: "error code outside 300-699",
        });
    }
    check_text(kind, reason, MAX_TEXT_LEN)
}

fn check_text(kind: u16, value: &str, max: usize) -> Result<(), WriteError> {
    if value.len() > max {
        return Err(WriteError::InvalidValue {
            kind,
            reason: "text too long",
        });
    }
    Ok(())
}

impl Attribute<'_> {
    /// Length of the value on the wire, without padding.
    pub fn value_len(&self) -> usize {
        match self {
            Self::MappedAddress(a)
            | Self::XorMappedAddress(a)
            | Self::AlternateServer(a)
            | Self::XorPeerAddress(a)
            | Self::XorRelayedAddress(a)
            | Self::ResponseOrigin(a)
            | Self::OtherAddress(a) => address_len(a),
            Self::Username(s)
            | Self::Realm(s)
            | Self::Nonce(s)
            | Self::Software(s)
            | Self::AlternateDomain(s)
            | Self::ThirdPartyAuthorization(s) => s.len(),
            Self::UserHash(_) => 32,
            Self::MessageIntegrity(_) => 20,
            Self::MessageIntegritySha256(v) => v.len(),
            Self::Fingerprint(_)
            | Self::Priority(_)
            | Self::ChannelNumber(_)
            | Self::Lifetime(_)
            | Self::RequestedAddressFamily(_)
            | Self::RequestedTransport(_)
            | Self::AdditionalAddressFamily(_)
            | Self::ChangeRequest { .. }
            | Self::ResponsePort(_)
            | Self::CacheTimeout(_)
            | Self::ConnectionId(_) => 4,
            Self::ErrorCode(e) => 4 + e.reason.len(),
            Self::AddressErrorCode(e) => 4 + e.reason.len(),
            Self::PasswordAlgorithms(list) => list.encoded_len(),
            Self::PasswordAlgorithm(a) => a.encoded_len(),
            Self::UnknownAttributes(list) => list.encoded_len(),
            Self::UseCandidate | Self::DontFragment => 0,
            Self::IceControlled(_) | Self::IceControlling(_) | Self::ReservationToken(_) => 8,
            Self::Icmp(_) => 8,
            Self::EvenPort(_) => 1,
            Self::Data(v)
            | Self::Padding(v)
            | Self::AccessToken(v)
            | Self::MobilityTicket(v)
            | Self::Unknown { value: v, .. } => v.len(),
        }
    }

    /// Length on the wire: the 4-byte header, the value and its padding.
    pub fn encoded_len(&self) -> usize {
        4 + padded(self.value_len())
    }

    /// Checks that the value can be encoded (lengths and ranges the RFCs
    /// set), without writing anything.
    pub fn validate(&self) -> Result<(), WriteError> {
        let k = self.kind().0;
        match self {
            Self::Username(s) => check_text(k, s, MAX_USERNAME_LEN),
            Self::Realm(s)
            | Self::Nonce(s)
            | Self::Software(s)
            | Self::ThirdPartyAuthorization(s) => check_text(k, s, MAX_TEXT_LEN),
            Self::AlternateDomain(s) => {
                check_text(k, s, MAX_DOMAIN_LEN)?;
                if s.is_ascii() {
                    Ok(())
                } else {
                    Err(WriteError::InvalidValue {
                        kind: k,
                        reason: "domain name is not ASCII",
                    })
                }
            }
            Self::MessageIntegritySha256(v)
                if !(16..=32).contains(&v.len()) || v.len() % 4 != 0 =>
            {
                Err(WriteError::InvalidValue {
                    kind: k,
                    reason: "length must be 16 to 32 and a multiple of 4",
                })
            }
            Self::ErrorCode(e) => check_error_code(k, e.code, e.reason),
            Self::AddressErrorCode(e) => check_error_code(k, e.code, e.reason),
            Self::PasswordAlgorithm(a) if a.parameters.len() > usize::from(u16::MAX) => {
                Err(WriteError::InvalidValue {
                    kind: k,
                    reason: "parameters too long",
                })
            }
            Self::PasswordAlgorithms(list)
                if list
                    .iter()
                    .any(|a| a.parameters.len() > usize::from(u16::MAX)) =>
            {
                Err(WriteError::InvalidValue {
                    kind: k,
                    reason: "parameters too long",
                })
            }
            _ if self.value_len() > usize::from(u16::MAX) => Err(WriteError::InvalidValue {
                kind: k,
                reason: "value longer than 65535 bytes",
            }),
            _ => Ok(()),
        }
    }

    /// Writes the value (without header or padding) into `out`, which must
    /// be exactly [`value_len`](Self::value_len) bytes long; call
    /// [`validate`](Self::validate) first.
    pub(crate) fn write_value(&self, out: &mut [u8], transaction_id: &TransactionId) {
        match self {
            Self::MappedAddress(a)
            | Self::AlternateServer(a)
            | Self::ResponseOrigin(a)
            | Self::OtherAddress(a) => encode_address(a, None, out),
            Self::XorMappedAddress(a) | Self::XorPeerAddress(a) | Self::XorRelayedAddress(a) => {
                encode_address(a, Some(transaction_id), out);
            }
            Self::Username(s)
            | Self::Realm(s)
            | Self::Nonce(s)
            | Self::Software(s)
            | Self::AlternateDomain(s)
            | Self::ThirdPartyAuthorization(s) => copy_prefix(out, s.as_bytes()),
            Self::UserHash(v) => copy_prefix(out, v.as_slice()),
            Self::MessageIntegrity(v) => copy_prefix(out, v.as_slice()),
            Self::MessageIntegritySha256(v)
            | Self::Data(v)
            | Self::Padding(v)
            | Self::AccessToken(v)
            | Self::MobilityTicket(v)
            | Self::Unknown { value: v, .. } => copy_prefix(out, v),
            Self::Fingerprint(v)
            | Self::Priority(v)
            | Self::Lifetime(v)
            | Self::CacheTimeout(v)
            | Self::ConnectionId(v) => copy_prefix(out, &v.to_be_bytes()),
            Self::ErrorCode(e) => write_error_code(out, 0, e.code, e.reason),
            Self::AddressErrorCode(e) => write_error_code(out, e.family.to_u8(), e.code, e.reason),
            Self::PasswordAlgorithms(list) => {
                let mut rest = out;
                for algorithm in list.iter() {
                    let len = algorithm.encoded_len().min(rest.len());
                    let (head, tail) = rest.split_at_mut(len);
                    write_algorithm(head, &algorithm);
                    rest = tail;
                }
            }
            Self::PasswordAlgorithm(a) => write_algorithm(out, a),
            Self::UnknownAttributes(list) => {
                for (chunk, kind) in out.chunks_exact_mut(2).zip(list.iter()) {
                    chunk.copy_from_slice(&kind.0.to_be_bytes());
                }
            }
            Self::UseCandidate | Self::DontFragment => {}
            Self::IceControlled(v) | Self::IceControlling(v) | Self::ReservationToken(v) => {
                copy_prefix(out, &v.to_be_bytes());
            }
            Self::ChannelNumber(n) | Self::ResponsePort(n) => {
                let [a, b] = n.to_be_bytes();
                copy_prefix(out, &[a, b, 0, 0]);
            }
            Self::RequestedAddressFamily(f) | Self::AdditionalAddressFamily(f) => {
                copy_prefix(out, &[f.to_u8(), 0, 0, 0]);
            }
            Self::RequestedTransport(p) => copy_prefix(out, &[*p, 0, 0, 0]),
            Self::EvenPort(reserve) => copy_prefix(out, &[if *reserve { 0x80 } else { 0 }]),
            Self::Icmp(icmp) => {
                let [d0, d1, d2, d3] = icmp.error_data.to_be_bytes();
                copy_prefix(out, &[0, 0, icmp.icmp_type, icmp.icmp_code, d0, d1, d2, d3]);
            }
            Self::ChangeRequest {
                change_ip,
                change_port,
            } => {
                let flags = (u8::from(*change_ip) << 2) | (u8::from(*change_port) << 1);
                copy_prefix(out, &[0, 0, 0, flags]);
            }
        }
    }
}

fn write_error_code(out: &mut [u8], first: u8, code: u16, reason: &str) {
    let class = (code / 100) as u8;
    let number = (code % 100) as u8;
    let (head, tail) = out.split_at_mut(4.min(out.len()));
    copy_prefix(head, &[first, 0, class, number]);
    copy_prefix(tail, reason.as_bytes());
}

fn write_algorithm(out: &mut [u8], algorithm: &PasswordAlgorithm<'_>) {
    let [a0, a1] = algorithm.algorithm.to_be_bytes();
    let [l0, l1] = (algorithm.parameters.len() as u16).to_be_bytes();
    let (head, tail) = out.split_at_mut(4.min(out.len()));
    copy_prefix(head, &[a0, a1, l0, l1]);
    copy_prefix(tail, algorithm.parameters);
    // Padding bytes after the parameters are already zero in the builder.
    if let Some(padding) = tail.get_mut(algorithm.parameters.len()..) {
        padding.fill(0);
    }
}
