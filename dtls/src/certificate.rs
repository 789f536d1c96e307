//! Certificates and their fingerprints: what `a=fingerprint` carries
//! (RFC 8122) and what makes DTLS-SRTP secure (RFC 5763 §5, RFC 8827 §6.5).

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use dimpl::crypto::{Buf, CryptoProvider};
use sha2::{Digest, Sha256, Sha384, Sha512};
use subtle::{Choice, ConstantTimeEq};

/// The longest fingerprint accepted, in bytes (SHA-512).
pub const MAX_FINGERPRINT_LEN: usize = 64;

/// A hash function named in an `a=fingerprint` attribute, from IANA's
/// "Hash Function Textual Names" registry.
///
/// <https://www.rfc-editor.org/rfc/rfc8122#section-5>
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HashFunction {
    /// `sha-256`: what browsers write.
    Sha256,
    /// `sha-384`.
    Sha384,
    /// `sha-512`.
    Sha512,
    /// Any other name (`sha-1`, `sha-224`, `md5`, ...), lower-cased. Such
    /// fingerprints are kept but never used to accept a certificate: SHA-1
    /// and MD5 are too weak to authenticate a peer, and the rest are unknown.
    Other(String),
}

impl HashFunction {
    /// The function with this name; names are case-insensitive
    /// (RFC 8122 §5). Never fails: unknown names become
    /// [`HashFunction::Other`].
    pub fn from_name(name: &str) -> Self {
        if name.eq_ignore_ascii_case("sha-256") {
            Self::Sha256
        } else if name.eq_ignore_ascii_case("sha-384") {
            Self::Sha384
        } else if name.eq_ignore_ascii_case("sha-512") {
            Self::Sha512
        } else {
            Self::Other(name.to_ascii_lowercase())
        }
    }

    /// The name as `a=fingerprint` writes it (`sha-256`).
    pub fn name(&self) -> &str {
        match self {
            Self::Sha256 => "sha-256",
            Self::Sha384 => "sha-384",
            Self::Sha512 => "sha-512",
            Self::Other(name) => name,
        }
    }

    /// Whether certificates are checked with this function (SHA-256,
    /// SHA-384 and SHA-512).
    pub fn is_usable(&self) -> bool {
        self.strength().is_some()
    }

    /// Preference among the usable functions: the strongest is checked
    /// when the peer gives fingerprints with several (RFC 8122 §5).
    fn strength(&self) -> Option<u8> {
        match self {
            Self::Sha256 => Some(1),
            Self::Sha384 => Some(2),
            Self::Sha512 => Some(3),
            Self::Other(_) => None,
        }
    }

    /// The digest of `data`, or `None` for an unusable function.
    fn digest(&self, data: &[u8]) -> Option<Vec<u8>> {
        match self {
            Self::Sha256 => Some(Sha256::digest(data).to_vec()),
            Self::Sha384 => Some(Sha384::digest(data).to_vec()),
            Self::Sha512 => Some(Sha512::digest(data).to_vec()),
            Self::Other(_) => None,
        }
    }
}

impl fmt::Display for HashFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A certificate fingerprint: the value of an `a=fingerprint` attribute.
///
/// <https://www.rfc-editor.org/rfc/rfc8122#section-5>
///
/// ```
/// use sansrtc_dtls::{Fingerprint, HashFunction};
///
/// let value = format!("sha-256 {}", ["ab"; 32].join(":"));
/// let fingerprint: Fingerprint = value.parse()?;
/// assert_eq!(fingerprint.hash_function, HashFunction::Sha256);
/// assert_eq!(fingerprint.bytes, [0xab; 32]);
/// // Written back the way RFC 8122 writes it: upper-case hex.
/// assert_eq!(fingerprint.to_string(), format!("sha-256 {}", ["AB"; 32].join(":")));
/// # Ok::<(), sansrtc_dtls::FingerprintError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// The hash function.
    pub hash_function: HashFunction,
    /// The digest of the certificate's DER encoding.
    pub bytes: Vec<u8>,
}

/// Why an `a=fingerprint` value did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FingerprintError {
    /// Not `<hash function> <fingerprint>`.
    #[error("expected `<hash function> <fingerprint>`")]
    Shape,
    /// The hash function is not a token (RFC 8866 §9).
    #[error("the hash function is not a token")]
    HashFunction,
    /// The fingerprint is not two hex digits per byte separated by `:`.
    #[error("the fingerprint is not two hex digits per byte separated by `:`")]
    Hex,
    /// More than [`MAX_FINGERPRINT_LEN`] bytes.
    #[error("the fingerprint is longer than {MAX_FINGERPRINT_LEN} bytes")]
    TooLong,
    /// The digest length does not match the hash function (32 bytes for
    /// SHA-256, 48 for SHA-384, 64 for SHA-512).
    #[error("{function}: the fingerprint must be {expected} bytes, got {got}")]
    Length {
        /// The function's name.
        function: &'static str,
        /// Its digest length.
        expected: usize,
        /// The number of bytes given.
        got: usize,
    },
}

impl Fingerprint {
    /// A fingerprint from its parts, as an SDP library hands them out
    /// (for `sansrtc-sdp`:
    /// `Fingerprint::new(HashFunction::from_name(&f.hash_function), f.bytes)`).
    pub fn new(hash_function: HashFunction, bytes: Vec<u8>) -> Self {
        Self {
            hash_function,
            bytes,
        }
    }

    /// The fingerprint of a DER certificate with `hash_function`, or `None`
    /// if the function is not usable ([`HashFunction::is_usable`]).
    pub fn of_der(hash_function: HashFunction, der: &[u8]) -> Option<Self> {
        let bytes = hash_function.digest(der)?;
        Some(Self {
            hash_function,
            bytes,
        })
    }

    /// Whether `der` is the certificate this fingerprint names, compared
    /// in constant time. Always false for an unusable hash function.
    pub fn matches(&self, der: &[u8]) -> bool {
        self.hash_function
            .digest(der)
            .is_some_and(|digest| bool::from(self.bytes.ct_eq(&digest)))
    }

    fn check_length(&self) -> Result<(), FingerprintError> {
        let (function, expected) = match self.hash_function {
            HashFunction::Sha256 => ("sha-256", 32),
            HashFunction::Sha384 => ("sha-384", 48),
            HashFunction::Sha512 => ("sha-512", 64),
            HashFunction::Other(_) => return Ok(()),
        };
        if self.bytes.len() == expected {
            Ok(())
        } else {
            Err(FingerprintError::Length {
                function,
                expected,
                got: self.bytes.len(),
            })
        }
    }
}

impl FromStr for Fingerprint {
    type Err = FingerprintError;

    /// Parses `<hash function> SP <fingerprint>` (RFC 8122 §5). Hex digits
    /// may be of either case; the digest length must match a known hash
    /// function.
    fn from_str(text: &str) -> Result<Self, FingerprintError> {
        let (name, hex) = text
            .trim_matches(|c| c == ' ' || c == '\t')
            .split_once(' ')
            .ok_or(FingerprintError::Shape)?;
        if name.is_empty() || !name.bytes().all(is_token_char) {
            return Err(FingerprintError::HashFunction);
        }
        let mut bytes = Vec::with_capacity(32);
        let mut rest = hex.trim_start_matches(' ').as_bytes();
        loop {
            let Some((&[high, low], tail)) = rest.split_first_chunk::<2>() else {
                return Err(FingerprintError::Hex);
            };
            let byte = hex_value(high)
                .zip(hex_value(low))
                .map(|(h, l)| h << 4 | l)
                .ok_or(FingerprintError::Hex)?;
            if bytes.len() == MAX_FINGERPRINT_LEN {
                return Err(FingerprintError::TooLong);
            }
            bytes.push(byte);
            match tail.split_first() {
                None => break,
                Some((b':', more)) => rest = more,
                Some(_) => return Err(FingerprintError::Hex),
            }
        }
        let fingerprint = Self {
            hash_function: HashFunction::from_name(name),
            bytes,
        };
        fingerprint.check_length()?;
        Ok(fingerprint)
    }
}

impl fmt::Display for Fingerprint {
    /// `sha-256 AB:CD:...`, upper-case hex as RFC 8122 writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hash_function.name())?;
        for (i, byte) in self.bytes.iter().enumerate() {
            let separator = if i == 0 { ' ' } else { ':' };
            write!(f, "{separator}{byte:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// RFC 8866 `token-char`.
fn is_token_char(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x27 | 0x2a | 0x2b | 0x2d | 0x2e | 0x30..=0x39 | 0x41..=0x5a | 0x5e..=0x7e)
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

/// Why a remote certificate was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mismatch {
    /// None of the fingerprints uses a usable hash function.
    NoUsableFingerprint,
    /// The certificate matches none of the fingerprints of the strongest
    /// usable hash function.
    Mismatch,
}

/// Checks a remote certificate against the fingerprints of the remote
/// description (RFC 8122 §5): the fingerprints of the strongest usable hash
/// function among them form the set, and the certificate must match one of
/// that set. Every candidate is compared in constant time, without stopping
/// at the first match. Returns the matching fingerprint.
pub(crate) fn verify<'a>(
    fingerprints: &'a [Fingerprint],
    der: &[u8],
) -> Result<&'a Fingerprint, Mismatch> {
    let strongest = fingerprints
        .iter()
        .filter_map(|f| f.hash_function.strength().map(|s| (s, &f.hash_function)))
        .max_by_key(|(strength, _)| *strength)
        .map(|(_, function)| function)
        .ok_or(Mismatch::NoUsableFingerprint)?;
    let digest = strongest.digest(der).ok_or(Mismatch::NoUsableFingerprint)?;
    let mut matched: Option<&Fingerprint> = None;
    let mut any = Choice::from(0);
    for fingerprint in fingerprints
        .iter()
        .filter(|f| f.hash_function == *strongest)
    {
        let equal = fingerprint.bytes.ct_eq(&digest);
        any |= equal;
        if matched.is_none() && bool::from(equal) {
            matched = Some(fingerprint);
        }
    }
    match matched {
        Some(fingerprint) if bool::from(any) => Ok(fingerprint),
        _ => Err(Mismatch::Mismatch),
    }
}

/// Why a certificate could not be made or taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// Key or certificate generation failed in the crypto library.
    #[error("certificate generation failed: {0}")]
    Generation(&'static str),
    /// The private key is not a PKCS#8 (or SEC1) ECDSA P-256 or P-384 key.
    #[error("the private key is not a PKCS#8 ECDSA P-256 or P-384 key")]
    PrivateKey,
    /// The certificate is not DER X.509 with an ECDSA P-256 or P-384 key,
    /// or the private key is not the certificate's.
    #[error("the certificate is not DER X.509 for this ECDSA private key")]
    Certificate,
}

/// The certificate this endpoint presents, with its private key: a
/// self-signed ECDSA P-256 certificate made by [`Certificate::generate`],
/// or one given as DER with [`Certificate::from_der`].
///
/// Like a browser's `RTCCertificate` it is meant to be reused across
/// connections: cloning is cheap (the bytes are shared), and the
/// fingerprint is computed once.
///
/// ```
/// use sansrtc_dtls::Certificate;
///
/// let certificate = Certificate::generate()?;
/// let attribute = format!("a=fingerprint:{}", certificate.fingerprint());
/// assert!(attribute.starts_with("a=fingerprint:sha-256 "));
/// assert_eq!(attribute.len(), "a=fingerprint:sha-256 ".len() + 32 * 3 - 1);
/// // The same certificate for the next connection.
/// let again = certificate.clone();
/// assert_eq!(again.fingerprint(), certificate.fingerprint());
/// # Ok::<(), sansrtc_dtls::CertificateError>(())
/// ```
#[derive(Clone)]
pub struct Certificate {
    inner: Arc<Inner>,
}

struct Inner {
    der: Vec<u8>,
    private_key: Vec<u8>,
    fingerprint: Fingerprint,
}

/// The common name browsers put in their self-signed certificates.
const COMMON_NAME: &str = "WebRTC";

impl Certificate {
    /// A new self-signed ECDSA P-256 certificate with a random 128-bit
    /// serial number, like the ones browsers generate (the key and serial
    /// come from the operating system's random source).
    ///
    /// Nothing in WebRTC checks its dates (peers are authenticated by
    /// fingerprint only), and this crate reads no clock, so it is valid
    /// from 2000-01-01 to 9999-12-31 (RFC 5280 §4.1.2.5's "no well-defined
    /// expiration date").
    pub fn generate() -> Result<Self, CertificateError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|_| CertificateError::Generation("key pair"))?;
        let mut params = rcgen::CertificateParams::default();
        let mut name = rcgen::DistinguishedName::new();
        name.push(rcgen::DnType::CommonName, COMMON_NAME);
        params.distinguished_name = name;
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(9999, 12, 31);
        // Unique serial numbers: Firefox refuses two certificates with the
        // same issuer and serial. Positive: the top bit is clear.
        let mut serial = [0u8; 16];
        provider()
            .secure_random
            .fill(&mut serial)
            .map_err(|_| CertificateError::Generation("random serial number"))?;
        if let Some(first) = serial.first_mut() {
            *first &= 0x7f;
        }
        params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
        let certificate = params
            .self_signed(&key)
            .map_err(|_| CertificateError::Generation("signature"))?;
        Ok(Self::new_unchecked(
            certificate.der().to_vec(),
            key.serialize_der(),
        ))
    }

    /// A certificate given as DER X.509 with its private key as PKCS#8 DER
    /// (SEC1 `ECPrivateKey` is taken too). The key must be ECDSA P-256 or
    /// P-384 (what DTLS for WebRTC signs with) and must be the
    /// certificate's: both are checked here by signing and verifying.
    pub fn from_der(
        certificate: impl Into<Vec<u8>>,
        private_key: impl Into<Vec<u8>>,
    ) -> Result<Self, CertificateError> {
        let certificate = certificate.into();
        let private_key = private_key.into();
        let provider = provider();
        let mut key = provider
            .key_provider
            .load_private_key(&private_key)
            .map_err(|_| CertificateError::PrivateKey)?;
        dimpl::crypto::cert_named_group(&certificate).map_err(|_| CertificateError::Certificate)?;
        let message = b"sansrtc certificate and key check";
        let hash = key.hash_algorithm();
        let mut signature = Buf::new();
        key.sign(message, hash, &mut signature)
            .map_err(|_| CertificateError::PrivateKey)?;
        provider
            .signature_verification
            .verify_signature(&certificate, message, &signature, hash, key.algorithm())
            .map_err(|_| CertificateError::Certificate)?;
        Ok(Self::new_unchecked(certificate, private_key))
    }

    fn new_unchecked(der: Vec<u8>, private_key: Vec<u8>) -> Self {
        let fingerprint = Fingerprint {
            bytes: Sha256::digest(&der).to_vec(),
            hash_function: HashFunction::Sha256,
        };
        Self {
            inner: Arc::new(Inner {
                der,
                private_key,
                fingerprint,
            }),
        }
    }

    /// The SHA-256 fingerprint for `a=fingerprint`; its `Display` writes
    /// the attribute value (`sha-256 AB:CD:...`).
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.inner.fingerprint
    }

    /// The fingerprint with another hash function, or `None` if it is not
    /// usable.
    pub fn fingerprint_with(&self, hash_function: HashFunction) -> Option<Fingerprint> {
        Fingerprint::of_der(hash_function, &self.inner.der)
    }

    /// The certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.inner.der
    }

    /// The private key, PKCS#8 DER (to store the certificate and use it
    /// again later, as browsers store an `RTCCertificate`). Keep it secret.
    pub fn private_key_der(&self) -> &[u8] {
        &self.inner.private_key
    }

    pub(crate) fn to_dimpl(&self) -> dimpl::DtlsCertificate {
        dimpl::DtlsCertificate {
            certificate: self.inner.der.clone(),
            private_key: self.inner.private_key.clone(),
        }
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("fingerprint", &self.inner.fingerprint.to_string())
            .finish_non_exhaustive()
    }
}

/// The crypto provider dimpl uses (aws-lc-rs).
pub(crate) fn provider() -> CryptoProvider {
    dimpl::crypto::aws_lc_rs::default_provider()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_and_print_as_rfc_8122_writes_them() {
        let text = "sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2";
        let fingerprint: Fingerprint = text.parse().unwrap();
        assert_eq!(fingerprint.hash_function, HashFunction::Sha256);
        assert_eq!(fingerprint.bytes.len(), 32);
        assert_eq!(fingerprint.bytes[..3], [0x19, 0xe2, 0x1c]);
        assert_eq!(fingerprint.to_string(), text);
        let lower: Fingerprint = text.to_lowercase().parse().unwrap();
        assert_eq!(lower, fingerprint);
        let upper_name: Fingerprint = text.replace("sha-256", "SHA-256").parse().unwrap();
        assert_eq!(upper_name, fingerprint);
    }

    #[test]
    fn bad_fingerprints_are_refused_with_the_reason() {
        let full = ["AB"; 32].join(":");
        assert_eq!(
            "sha-256".parse::<Fingerprint>(),
            Err(FingerprintError::Shape)
        );
        assert_eq!(
            "sha-256 ".parse::<Fingerprint>(),
            Err(FingerprintError::Shape)
        );
        assert_eq!(
            format!("sha(256 {full}").parse::<Fingerprint>(),
            Err(FingerprintError::HashFunction)
        );
        for hex in ["AB:C", "AB::CD", "AB:CD:", "+F:00", "AB-CD", "ABCD", "GG"] {
            assert_eq!(
                format!("sha-1 {hex}").parse::<Fingerprint>(),
                Err(FingerprintError::Hex),
                "{hex}"
            );
        }
        let too_long = ["00"; 65].join(":");
        assert_eq!(
            format!("x-hash {too_long}").parse::<Fingerprint>(),
            Err(FingerprintError::TooLong)
        );
        assert_eq!(
            "sha-256 AB:CD".parse::<Fingerprint>(),
            Err(FingerprintError::Length {
                function: "sha-256",
                expected: 32,
                got: 2
            })
        );
        // Unknown functions keep any length up to the cap.
        let sha1: Fingerprint = "SHA-1 AB:CD".parse().unwrap();
        assert_eq!(sha1.hash_function, HashFunction::Other("sha-1".into()));
        assert!(!sha1.hash_function.is_usable());
    }

    #[test]
    fn generated_certificates_are_p256_with_unique_serials_and_check_out() {
        let a = Certificate::generate().unwrap();
        let b = Certificate::generate().unwrap();
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(
            dimpl::crypto::cert_named_group(a.der()).unwrap(),
            dimpl::NamedGroup::Secp256r1
        );
        assert_eq!(a.fingerprint().bytes, Sha256::digest(a.der()).to_vec());
        // The generated pair passes the checks a caller-supplied one gets.
        let again = Certificate::from_der(a.der(), a.private_key_der()).unwrap();
        assert_eq!(again.fingerprint(), a.fingerprint());
        // A key that is not the certificate's is refused.
        assert_eq!(
            Certificate::from_der(a.der(), b.private_key_der()).unwrap_err(),
            CertificateError::Certificate
        );
        assert_eq!(
            Certificate::from_der(a.der(), &b"not a key"[..]).unwrap_err(),
            CertificateError::PrivateKey
        );
        assert_eq!(
            Certificate::from_der(&b"not a certificate"[..], a.private_key_der()).unwrap_err(),
            CertificateError::Certificate
        );
        let shown = format!("{a:?}");
        assert!(shown.contains("sha-256"), "{shown}");
    }

    #[test]
    fn verification_uses_the_strongest_usable_function_and_needs_a_match() {
        let certificate = Certificate::generate().unwrap();
        let der = certificate.der();
        let sha256 = certificate.fingerprint().clone();
        let sha512 = certificate.fingerprint_with(HashFunction::Sha512).unwrap();
        let mut wrong256 = sha256.clone();
        wrong256.bytes[31] ^= 1;
        let mut wrong512 = sha512.clone();
        wrong512.bytes[0] ^= 0x80;
        let sha1 = Fingerprint::new(HashFunction::from_name("sha-1"), vec![0; 20]);

        assert_eq!(verify(core::slice::from_ref(&sha256), der), Ok(&sha256));
        // Any one of several lines of the chosen function.
        let list = [wrong256.clone(), sha256.clone()];
        assert_eq!(verify(&list, der), Ok(&list[1]));
        // Unknown functions are ignored.
        let list = [sha1.clone(), sha256.clone()];
        assert_eq!(verify(&list, der), Ok(&list[1]));
        // The strongest function decides: a right SHA-256 does not make up
        // for a wrong SHA-512.
        assert_eq!(
            verify(&[sha256.clone(), wrong512], der),
            Err(Mismatch::Mismatch)
        );
        assert_eq!(verify(&[wrong256, sha512.clone()], der), Ok(&sha512));
        assert_eq!(
            verify(core::slice::from_ref(&sha1), der),
            Err(Mismatch::NoUsableFingerprint)
        );
        assert_eq!(verify(&[], der), Err(Mismatch::NoUsableFingerprint));
        // Another certificate does not match.
        let other = Certificate::generate().unwrap();
        assert_eq!(
            verify(core::slice::from_ref(&sha256), other.der()),
            Err(Mismatch::Mismatch)
        );
        assert!(sha256.matches(der) && !sha256.matches(other.der()));
    }
}
