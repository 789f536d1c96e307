//! DTLS: one complete DTLS 1.2 handshake, both sides in memory, as a
//! WebRTC peer runs one per connection (ECDHE, certificates both ways with
//! the peer's checked against its fingerprint, `use_srtp`, extended master
//! secret, SRTP keying material exported on both sides); and the
//! generation of the self-signed ECDSA P-256 certificate a peer connection
//! presents. sansrtc (dimpl with aws-lc-rs underneath) next to webrtc-rs's
//! sans-IO `rtc-dtls` (with its default ring backend), with dimpl driven
//! alone (no fingerprint check, no queues) as the floor.

// The endpoints take the time from the caller; a benchmark reads the clock
// once to have one.
#![allow(clippy::disallowed_methods)]

extern crate alloc;

use alloc::sync::Arc;
use core::net::SocketAddr;
use std::time::Instant;

use bytes::BytesMut;
use sansrtc_dtls::{Certificate, Config, DtlsRole, Endpoint, Event};
use sha2::{Digest, Sha256};

use crate::{Case, Role};

const HANDSHAKE: &str = "dtls_handshake_both_sides";
const CERTIFICATE: &str = "dtls_certificate_generate";

/// Keeps the exported keys alive for the optimiser and counts their bytes
/// (the keys differ from run to run; their lengths do not).
fn key_sum(bytes: &[u8]) -> u64 {
    core::hint::black_box(bytes);
    bytes.len() as u64
}

/// One sansrtc handshake between endpoints made from `configs`.
fn sansrtc_handshake(configs: &[Config; 2]) -> u64 {
    let now = Instant::now();
    let mut endpoints = [
        Endpoint::new(configs[0].clone(), now),
        Endpoint::new(configs[1].clone(), now),
    ];
    for (i, role) in [DtlsRole::Client, DtlsRole::Server].into_iter().enumerate() {
        let other = configs[1 - i].certificate().fingerprint().clone();
        endpoints[i]
            .set_remote_fingerprints([other])
            .expect("fingerprints");
        endpoints[i].start(now, role).expect("start");
    }
    let mut sum = 0;
    let mut connected = 0;
    let mut datagram = Vec::with_capacity(1500);
    for _ in 0..20 {
        for i in 0..2 {
            while let Some(bytes) = endpoints[i].poll_transmit() {
                datagram.clear();
                datagram.extend_from_slice(bytes);
                let [a, b] = &mut endpoints;
                let other = if i == 0 { b } else { a };
                other.handle_receive(now, &datagram).expect("a datagram");
            }
        }
        for endpoint in &mut endpoints {
            while let Some(event) = endpoint.poll_event() {
                if let Event::Connected(connected_event) = event {
                    let srtp = connected_event.srtp.expect("keys");
                    sum += key_sum(srtp.keying_material.local.key());
                    connected += 1;
                }
            }
        }
        if connected == 2 {
            return sum;
        }
    }
    panic!("sansrtc: no handshake");
}

/// One dimpl handshake, driven alone: the floor.
fn dimpl_handshake(config: &Arc<dimpl::Config>, certificates: &[Certificate; 2]) -> u64 {
    let now = Instant::now();
    let dimpl_certificate = |c: &Certificate| dimpl::DtlsCertificate {
        certificate: c.der().to_vec(),
        private_key: c.private_key_der().to_vec(),
    };
    let mut sides = [
        dimpl::Dtls::new_12(config.clone(), dimpl_certificate(&certificates[0]), now),
        dimpl::Dtls::new_12(config.clone(), dimpl_certificate(&certificates[1]), now),
    ];
    sides[0].set_active(true);
    for side in &mut sides {
        side.handle_timeout(now).expect("timeout");
    }
    let mut buffer = vec![0u8; 2048];
    let mut sum = 0;
    let mut keyed = 0;
    for _ in 0..20 {
        for i in 0..2 {
            let mut outgoing = Vec::new();
            loop {
                match sides[i].poll_output(&mut buffer) {
                    dimpl::Output::Packet(packet) => outgoing.push(packet.to_vec()),
                    dimpl::Output::Timeout(_) => break,
                    dimpl::Output::KeyingMaterial(material, _) => {
                        sum += key_sum(&material);
                        keyed += 1;
                    }
                    _ => {}
                }
            }
            for packet in outgoing {
                sides[1 - i].handle_packet(&packet).expect("a packet");
            }
        }
        if keyed == 2 {
            return sum;
        }
    }
    panic!("dimpl: no handshake");
}

/// rtc-dtls: configurations as webrtc-rs sets them up for a peer
/// connection, with the peer's certificate checked against its SHA-256
/// fingerprint in the verification callback.
fn rtc_config(
    certificate: &rtc_dtls::crypto::Certificate,
    remote_fingerprint: Vec<u8>,
    is_client: bool,
) -> Arc<rtc_dtls::config::HandshakeConfig> {
    use rtc_dtls::config::{ClientAuthType, ConfigBuilder, ExtendedMasterSecretType};
    use rtc_dtls::extension::extension_use_srtp::SrtpProtectionProfile;
    let provider = rtc_dtls::crypto_provider::default_provider().expect("a crypto provider");
    let verify: rtc_dtls::config::VerifyPeerCertificateFn = Arc::new(move |certificates, _| {
        let leaf = certificates
            .first()
            .ok_or_else(|| rtc_shared::error::Error::Other("no certificate".to_owned()))?;
        if Sha256::digest(leaf).as_slice() == remote_fingerprint.as_slice() {
            Ok(())
        } else {
            Err(rtc_shared::error::Error::Other(
                "fingerprint mismatch".to_owned(),
            ))
        }
    });
    let config = ConfigBuilder::default()
        .with_crypto_provider(provider)
        .with_certificates(vec![certificate.clone()])
        .with_srtp_protection_profiles(vec![
            SrtpProtectionProfile::Srtp_Aead_Aes_128_Gcm,
            SrtpProtectionProfile::Srtp_Aes128_Cm_Hmac_Sha1_80,
        ])
        .with_extended_master_secret(ExtendedMasterSecretType::Require)
        .with_client_auth(ClientAuthType::RequireAnyClientCert)
        .with_insecure_skip_verify(true)
        .with_verify_peer_certificate(Some(verify))
        .build(is_client, None)
        .expect("an rtc-dtls configuration");
    Arc::new(config)
}

fn rtc_certificate() -> rtc_dtls::crypto::Certificate {
    let provider = rtc_dtls::crypto_provider::default_provider().expect("a crypto provider");
    rtc_dtls::crypto::Certificate::generate_self_signed(
        vec!["WebRTC".to_owned()],
        provider.crypto(),
    )
    .expect("an rtc-dtls certificate")
}

fn rtc_fingerprint(certificate: &rtc_dtls::crypto::Certificate) -> Vec<u8> {
    Sha256::digest(certificate.certificate[0].as_ref()).to_vec()
}

/// One rtc-dtls handshake.
fn rtc_handshake(configs: &[Arc<rtc_dtls::config::HandshakeConfig>; 2]) -> u64 {
    use rtc_dtls::endpoint::{Endpoint as RtcEndpoint, EndpointEvent};
    use rtc_shared::TransportProtocol;
    let now = Instant::now();
    let client_address: SocketAddr = "192.0.2.1:5000".parse().expect("an address");
    let server_address: SocketAddr = "192.0.2.2:5000".parse().expect("an address");
    let mut client = RtcEndpoint::new(client_address, TransportProtocol::UDP, None);
    let mut server = RtcEndpoint::new(
        server_address,
        TransportProtocol::UDP,
        Some(configs[1].clone()),
    );
    client
        .connect(now, server_address, configs[0].clone(), None)
        .expect("connect");
    let mut complete = [false, false];
    for _ in 0..20 {
        while let Some(transmit) = client.poll_transmit() {
            let message: BytesMut = transmit.message;
            for event in server
                .read(now, client_address, None, message)
                .expect("read")
            {
                complete[1] |= matches!(event, EndpointEvent::HandshakeComplete);
            }
        }
        while let Some(transmit) = server.poll_transmit() {
            for event in client
                .read(now, server_address, None, transmit.message)
                .expect("read")
            {
                complete[0] |= matches!(event, EndpointEvent::HandshakeComplete);
            }
        }
        if complete == [true, true] {
            let mut sum = 0;
            for (endpoint, remote) in [(&client, server_address), (&server, client_address)] {
                let state = endpoint.get_connection_state(remote).expect("a connection");
                let exported = state
                    .export_keying_material("EXTRACTOR-dtls_srtp", &[], 56)
                    .expect("keying material");
                sum += key_sum(exported.as_ref().get(..16).unwrap_or_default());
            }
            return sum;
        }
    }
    panic!("rtc-dtls: no handshake");
}

/// Every DTLS case.
pub fn cases() -> Vec<Case> {
    let certificates = [
        Certificate::generate().expect("a certificate"),
        Certificate::generate().expect("a certificate"),
    ];
    let configs = certificates
        .clone()
        .map(|c| Config::builder(c).build().expect("a configuration"));
    let dimpl_config = Arc::new(
        dimpl::Config::builder()
            .use_server_cookie(false)
            .build()
            .expect("a dimpl configuration"),
    );
    let rtc_certificates = [rtc_certificate(), rtc_certificate()];
    let rtc_configs = [
        rtc_config(
            &rtc_certificates[0],
            rtc_fingerprint(&rtc_certificates[1]),
            true,
        ),
        rtc_config(
            &rtc_certificates[1],
            rtc_fingerprint(&rtc_certificates[0]),
            false,
        ),
    ];
    vec![
        Case::new(HANDSHAKE, "sansrtc", Role::Sansrtc, move || {
            sansrtc_handshake(&configs)
        })
        .noted("dimpl 0.9 with aws-lc-rs; X25519, ECDHE-ECDSA-AES128-GCM-SHA256, SRTP AES-256-GCM keys"),
        Case::new(HANDSHAKE, "rtc-dtls (webrtc-rs)", Role::Peer, move || {
            rtc_handshake(&rtc_configs)
        })
        .noted("rtc-dtls 0.21 with ring; SRTP AES-128-GCM keys"),
        Case::new(HANDSHAKE, "dimpl alone", Role::Floor, move || {
            dimpl_handshake(&dimpl_config, &certificates)
        }),
        Case::new(CERTIFICATE, "sansrtc", Role::Sansrtc, || {
            let certificate = Certificate::generate().expect("a certificate");
            key_sum(&certificate.fingerprint().bytes)
        })
        .noted("rcgen with aws-lc-rs, SHA-256 fingerprint included"),
        Case::new(CERTIFICATE, "rtc-dtls (webrtc-rs)", Role::Peer, || {
            let certificate = rtc_certificate();
            key_sum(&rtc_fingerprint(&certificate))
        })
        .noted("rcgen with ring"),
    ]
}
