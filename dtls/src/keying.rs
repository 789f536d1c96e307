//! DTLS-SRTP keying (RFC 5764 §4.2): the negotiated protection profile and
//! the keying material exported with the label `EXTRACTOR-dtls_srtp`, split
//! into the keys `sansrtc-srtp` takes.

use sansrtc_srtp::{DtlsRole, KeyError, KeyingMaterial, ProtectionProfile};

/// The exporter label of RFC 5764 §4.2.
pub const EXPORTER_LABEL: &str = "EXTRACTOR-dtls_srtp";

/// The profiles the DTLS library can negotiate, in the order it prefers
/// them. `SRTP_AES128_CM_HMAC_SHA1_32` (0x0002) is not among them.
pub const SUPPORTED_PROFILES: [ProtectionProfile; 3] = [
    ProtectionProfile::AeadAes256Gcm,
    ProtectionProfile::AeadAes128Gcm,
    ProtectionProfile::Aes128CmHmacSha1_80,
];

/// What DTLS-SRTP negotiated: the profile, and the master keys for each
/// direction, ready for `sansrtc-srtp`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Srtp {
    /// The protection profile both sides agreed on in `use_srtp`
    /// (RFC 5764 §4.1.1).
    pub profile: ProtectionProfile,
    /// The keys: [`local`](KeyingMaterial::local) protects what this
    /// endpoint sends, [`remote`](KeyingMaterial::remote) unprotects what
    /// it receives.
    pub keying_material: KeyingMaterial,
}

/// The `sansrtc-srtp` profile for one of dimpl's.
pub(crate) fn profile_from_dimpl(profile: dimpl::SrtpProfile) -> Option<ProtectionProfile> {
    match profile {
        dimpl::SrtpProfile::AES128_CM_SHA1_80 => Some(ProtectionProfile::Aes128CmHmacSha1_80),
        dimpl::SrtpProfile::AEAD_AES_128_GCM => Some(ProtectionProfile::AeadAes128Gcm),
        dimpl::SrtpProfile::AEAD_AES_256_GCM => Some(ProtectionProfile::AeadAes256Gcm),
        _ => None,
    }
}

/// Splits exported keying material for the endpoint that played `role`.
pub(crate) fn split(
    profile: ProtectionProfile,
    exported: &[u8],
    role: DtlsRole,
) -> Result<Srtp, KeyError> {
    Ok(Srtp {
        profile,
        keying_material: KeyingMaterial::from_dtls_export(profile, exported, role)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dimpl_profile_maps_to_the_same_id_and_length() {
        for profile in dimpl::SrtpProfile::ALL {
            let ours = profile_from_dimpl(*profile).unwrap();
            assert_eq!(ours.keying_material_len(), profile.keying_material_len());
            assert!(SUPPORTED_PROFILES.contains(&ours));
        }
        assert_eq!(SUPPORTED_PROFILES.len(), dimpl::SrtpProfile::ALL.len());
    }
}
