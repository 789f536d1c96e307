//! Two endpoints handshake over an in-memory link that loses 20 % of the
//! datagrams and reorders them, in both role pairings and both DTLS
//! versions; they export the same keys, and refuse each other when a
//! fingerprint is wrong.

// The virtual clock starts at the real time; nothing waits on it.
#![allow(clippy::disallowed_methods)]
#![allow(clippy::indexing_slicing)]

mod support;

use core::time::Duration;

use sansrtc_dtls::{
    Certificate, DtlsRole, Event, Failure, ProtectionProfile, State, Version, Versions,
};
use support::{Link, Pair, config, wrong_fingerprint};

const ROLE_PAIRINGS: [[DtlsRole; 2]; 2] = [
    [DtlsRole::Client, DtlsRole::Server],
    [DtlsRole::Server, DtlsRole::Client],
];

fn lossy_handshake(versions: Versions, version: Version, seeds: core::ops::Range<u64>) {
    let certificates = [
        Certificate::generate().unwrap(),
        Certificate::generate().unwrap(),
    ];
    let (mut sent, mut lost) = (0, 0);
    for roles in ROLE_PAIRINGS {
        for seed in seeds.clone() {
            // Over ICE the round trip is known to be short: a first RTO of
            // 200 ms (RFC 6347's 1 s is for a path nothing is known of)
            // leaves room for eight attempts per flight in the 30 s.
            let builders = [0, 1].map(|i| {
                config(&certificates[i])
                    .versions(versions)
                    .initial_rto(Duration::from_millis(200))
                    .flight_retries(8)
                    // Retransmission jitter from a seed: the same run
                    // every time.
                    .seed([seed as u8 ^ i as u8; 32])
            });
            let (mut pair, certificates) = Pair::new(builders, roles, Link::new(seed, 20));
            let done = pair.run_until(10_000, Pair::both_connected);
            assert!(
                done,
                "seed {seed}, roles {roles:?}: {:?} / {:?}, {} of {} datagrams lost",
                pair.events[0], pair.events[1], pair.link.lost, pair.link.sent
            );
            let a = pair.connected(0).unwrap();
            let b = pair.connected(1).unwrap();
            assert_eq!(a.role, roles[0]);
            assert_eq!(b.role, roles[1]);
            assert_eq!(pair.endpoints[0].role(), Some(roles[0]));
            assert_eq!((a.version, b.version), (version, version));
            assert_eq!(&a.remote_fingerprint, certificates[1].fingerprint());
            assert_eq!(&b.remote_fingerprint, certificates[0].fingerprint());
            let (a, b) = (a.srtp.as_ref().unwrap(), b.srtp.as_ref().unwrap());
            assert_eq!(a.profile, b.profile);
            assert_eq!(a.keying_material.local, b.keying_material.remote);
            assert_eq!(a.keying_material.remote, b.keying_material.local);
            assert_ne!(a.keying_material.local, a.keying_material.remote);
            assert_eq!(a.keying_material.local.profile(), a.profile);
            assert_eq!(pair.endpoints[0].state(), State::Connected);
            sent += pair.link.sent;
            lost += pair.link.lost;
        }
    }
    // The link did lose about a fifth of everything.
    assert!(
        lost * 100 >= sent * 12 && lost * 100 <= sent * 28,
        "{lost} of {sent}"
    );
}

#[test]
fn dtls12_handshakes_over_a_lossy_reordering_link_in_both_role_pairings() {
    lossy_handshake(Versions::Dtls12, Version::Dtls12, 1..51);
}

#[test]
fn dtls13_handshakes_over_a_lossy_reordering_link_in_both_role_pairings() {
    lossy_handshake(Versions::Dtls13, Version::Dtls13, 100..150);
}

#[test]
fn a_cookie_exchange_handshakes_in_both_versions() {
    let certificates = [
        Certificate::generate().unwrap(),
        Certificate::generate().unwrap(),
    ];
    for versions in [Versions::Dtls12, Versions::Dtls13] {
        for seed in 0..5 {
            let builders = [0, 1].map(|i| {
                config(&certificates[i])
                    .versions(versions)
                    .cookie_exchange(true)
                    .initial_rto(Duration::from_millis(200))
                    .flight_retries(8)
                    .seed([seed as u8 ^ i as u8; 32])
            });
            let (mut pair, _) = Pair::new(builders, ROLE_PAIRINGS[1], Link::new(seed, 20));
            assert!(
                pair.run_until(10_000, Pair::both_connected),
                "{versions:?} {seed}"
            );
        }
    }
}

#[test]
fn auto_meets_either_version() {
    let certificates = [
        Certificate::generate().unwrap(),
        Certificate::generate().unwrap(),
    ];
    for (client, server, expected) in [
        (Versions::Auto, Versions::Dtls12, Version::Dtls12),
        (Versions::Auto, Versions::Dtls13, Version::Dtls13),
        (Versions::Dtls12, Versions::Auto, Version::Dtls12),
        (Versions::Dtls13, Versions::Auto, Version::Dtls13),
        (Versions::Auto, Versions::Auto, Version::Dtls13),
    ] {
        let builders = [
            config(&certificates[0]).versions(client).seed([1; 32]),
            config(&certificates[1]).versions(server).seed([2; 32]),
        ];
        let (mut pair, _) = Pair::new(builders, ROLE_PAIRINGS[0], Link::new(7, 20));
        assert!(
            pair.run_until(10_000, Pair::both_connected),
            "{client:?} / {server:?}"
        );
        assert_eq!(pair.connected(0).unwrap().version, expected);
        assert_eq!(pair.endpoints[1].version(), Some(expected));
    }
}

/// Endpoint `refusing` has a wrong fingerprint for the other.
fn refused(versions: Versions, roles: [DtlsRole; 2], refusing: usize, seed: u64) -> Pair {
    let certificates = [
        Certificate::generate().unwrap(),
        Certificate::generate().unwrap(),
    ];
    let builders = [0, 1].map(|i| {
        config(&certificates[i])
            .versions(versions)
            .initial_rto(Duration::from_millis(200))
            .flight_retries(8)
            .seed([seed as u8 ^ i as u8; 32])
    });
    let mut pair = Pair::unstarted(builders, Link::new(seed, 20));
    for i in 0..2 {
        let other = &certificates[1 - i];
        let fingerprint = if i == refusing {
            wrong_fingerprint(other)
        } else {
            other.fingerprint().clone()
        };
        pair.endpoints[i]
            .set_remote_fingerprints([fingerprint])
            .unwrap();
        pair.endpoints[i].start(pair.now, roles[i]).unwrap();
    }
    pair.flush();
    pair.run_until(10_000, |pair| {
        pair.endpoints
            .iter()
            .all(|e| matches!(e.state(), State::Failed(_) | State::Connected))
    });
    pair
}

#[test]
fn a_wrong_fingerprint_fails_the_connection_from_either_role_and_no_keys_come() {
    for versions in [Versions::Dtls12, Versions::Dtls13] {
        for roles in ROLE_PAIRINGS {
            for refusing in 0..2 {
                for seed in 0..3 {
                    let pair = refused(versions, roles, refusing, seed);
                    let context = format!("{versions:?}, roles {roles:?}, {refusing} refuses");
                    assert_eq!(
                        pair.failure(refusing),
                        Some(Failure::FingerprintMismatch),
                        "{context}: {:?}",
                        pair.events[refusing]
                    );
                    assert_eq!(pair.connected(refusing), None, "{context}");
                    assert_eq!(pair.endpoints[refusing].remote_fingerprint(), None);
                    assert_eq!(pair.endpoints[refusing].poll_timeout(), None);
                    // The refusing side gives out nothing after it refused.
                    let other = 1 - refusing;
                    let refusing_is_client = roles[refusing] == DtlsRole::Client;
                    if versions == Versions::Dtls12 || refusing_is_client {
                        // The refusal comes before the refusing side's
                        // Finished: the other side never completes either.
                        assert_eq!(pair.connected(other), None, "{context}");
                        assert_eq!(pair.failure(other), Some(Failure::Timeout), "{context}");
                    }
                    // (In DTLS 1.3 the server sends its Finished before it
                    // sees the client's certificate, so a client that
                    // verified the server completes, as TLS 1.3 has it.)
                }
            }
        }
    }
}

#[test]
fn keys_wait_for_a_late_fingerprint_and_so_does_early_data() {
    let certificates = [
        Certificate::generate().unwrap(),
        Certificate::generate().unwrap(),
    ];
    let builders = [0, 1].map(|i| config(&certificates[i]));
    let mut pair = Pair::unstarted(builders, Link::lossless());
    // The client knows the server's fingerprint; the server (an offerer
    // whose answer is slow) does not yet know the client's.
    pair.endpoints[0]
        .set_remote_fingerprints([certificates[1].fingerprint().clone()])
        .unwrap();
    pair.endpoints[0].start(pair.now, DtlsRole::Client).unwrap();
    pair.endpoints[1].start(pair.now, DtlsRole::Server).unwrap();
    pair.flush();
    assert!(pair.run_until(1_000, |p| p.connected(0).is_some()));
    pair.endpoints[0].send_application_data(b"early").unwrap();
    pair.flush();
    pair.run_until(100, |p| p.link.next_arrival().is_none());
    assert_eq!(pair.endpoints[1].state(), State::Handshaking);
    assert_eq!(pair.connected(1), None);
    assert!(pair.data(1).is_empty());
    // The answer arrives: keys, then the data that waited.
    pair.endpoints[1]
        .set_remote_fingerprints([certificates[0].fingerprint().clone()])
        .unwrap();
    pair.flush();
    assert!(matches!(pair.events[1][0], Event::Connected(_)));
    assert_eq!(pair.events[1][1], Event::ApplicationData(b"early".to_vec()));
    let (a, b) = (pair.connected(0).unwrap(), pair.connected(1).unwrap());
    assert_eq!(
        a.srtp.as_ref().unwrap().keying_material.local,
        b.srtp.as_ref().unwrap().keying_material.remote
    );
}

#[test]
fn a_late_wrong_fingerprint_fails_after_the_handshake() {
    let certificates = [
        Certificate::generate().unwrap(),
        Certificate::generate().unwrap(),
    ];
    let builders = [0, 1].map(|i| config(&certificates[i]));
    let mut pair = Pair::unstarted(builders, Link::lossless());
    pair.endpoints[0]
        .set_remote_fingerprints([certificates[1].fingerprint().clone()])
        .unwrap();
    pair.endpoints[0].start(pair.now, DtlsRole::Client).unwrap();
    pair.endpoints[1].start(pair.now, DtlsRole::Server).unwrap();
    pair.flush();
    pair.run_until(1_000, |p| p.connected(0).is_some());
    pair.endpoints[1]
        .set_remote_fingerprints([wrong_fingerprint(&certificates[0])])
        .unwrap();
    pair.flush();
    assert_eq!(
        pair.events[1],
        [Event::Failed(Failure::FingerprintMismatch)]
    );
    assert_eq!(
        pair.endpoints[1].send_application_data(b"x"),
        Err(sansrtc_dtls::Error::Closed)
    );
}

#[test]
fn a_client_hello_before_start_is_kept_for_it() {
    let certificates = [
        Certificate::generate().unwrap(),
        Certificate::generate().unwrap(),
    ];
    let builders = [0, 1].map(|i| config(&certificates[i]));
    let mut pair = Pair::unstarted(builders, Link::lossless());
    for i in 0..2 {
        pair.endpoints[i]
            .set_remote_fingerprints([certificates[1 - i].fingerprint().clone()])
            .unwrap();
    }
    pair.endpoints[0].start(pair.now, DtlsRole::Client).unwrap();
    pair.flush();
    // The ClientHello reaches endpoint 1 before it knows its role.
    pair.now += Duration::from_millis(20);
    let arrivals = pair.link.arrivals(pair.now);
    assert_eq!(arrivals.len(), 1);
    assert_eq!(
        pair.endpoints[1].handle_receive(pair.now, &arrivals[0].1),
        Ok(sansrtc_dtls::Handled::Buffered)
    );
    assert_eq!(pair.endpoints[1].poll_transmit(), None);
    // The answer tells it: server. It answers the kept ClientHello at once.
    pair.endpoints[1].start(pair.now, DtlsRole::Server).unwrap();
    assert!(pair.endpoints[1].poll_transmit().is_some());
    pair.flush();
    assert!(pair.run_until(1_000, Pair::both_connected));
}

#[test]
fn application_data_crosses_both_ways_and_close_notify_closes_both() {
    let certificates = [
        Certificate::generate().unwrap(),
        Certificate::generate().unwrap(),
    ];
    let builders = [0, 1].map(|i| config(&certificates[i]));
    let (mut pair, _) = Pair::new(builders, ROLE_PAIRINGS[1], Link::lossless());
    assert!(pair.run_until(1_000, Pair::both_connected));
    let big = vec![0x5a; sansrtc_dtls::MAX_APPLICATION_DATA];
    for (i, message) in [&b"from 0"[..], &b"from 1"[..], &big[..]]
        .into_iter()
        .enumerate()
    {
        pair.endpoints[i % 2]
            .send_application_data(message)
            .unwrap();
    }
    assert_eq!(
        pair.endpoints[0].send_application_data(&[0; sansrtc_dtls::MAX_APPLICATION_DATA + 1]),
        Err(sansrtc_dtls::Error::TooLarge)
    );
    pair.flush();
    pair.run_until(100, |p| p.link.next_arrival().is_none());
    assert_eq!(pair.data(1), [b"from 0".to_vec(), big]);
    assert_eq!(pair.data(0), [b"from 1".to_vec()]);
    // Connected and idle: no timer.
    assert_eq!(pair.endpoints[0].poll_timeout(), None);
    assert_eq!(pair.endpoints[1].poll_timeout(), None);

    pair.endpoints[0].close();
    assert_eq!(pair.endpoints[0].state(), State::Closed);
    assert_eq!(pair.endpoints[0].poll_timeout(), None);
    pair.flush();
    pair.run_until(100, |p| p.link.next_arrival().is_none());
    assert_eq!(pair.events[1].last(), Some(&Event::PeerClosed));
    assert_eq!(pair.endpoints[1].state(), State::Closed);
    assert_eq!(
        pair.endpoints[1].send_application_data(b"late"),
        Err(sansrtc_dtls::Error::Closed)
    );
    // Closing again does nothing.
    pair.endpoints[0].close();
    assert_eq!(pair.endpoints[0].poll_transmit(), None);
}

#[test]
fn an_unanswered_handshake_times_out() {
    let certificates = [
        Certificate::generate().unwrap(),
        Certificate::generate().unwrap(),
    ];
    for role in [DtlsRole::Client, DtlsRole::Server] {
        let builders =
            [0, 1].map(|i| config(&certificates[i]).handshake_timeout(Duration::from_secs(10)));
        let mut pair = Pair::unstarted(builders, Link::new(1, 100));
        let start = pair.now;
        pair.endpoints[0].start(pair.now, role).unwrap();
        pair.flush();
        pair.run_until(1_000, |p| p.failure(0).is_some());
        assert_eq!(pair.failure(0), Some(Failure::Timeout), "{role:?}");
        assert!(pair.now - start <= Duration::from_secs(10), "{role:?}");
        assert_eq!(pair.endpoints[0].poll_timeout(), None);
        assert_eq!(pair.connected(0), None);
    }
}

#[test]
fn an_srtp_profile_outside_the_list_fails_before_keys() {
    let certificates = [
        Certificate::generate().unwrap(),
        Certificate::generate().unwrap(),
    ];
    // The library's DTLS 1.2 server picks AES-256-GCM when the client
    // offers it (and the client always offers all three).
    let builders = [
        config(&certificates[0]).srtp_profiles(&[ProtectionProfile::Aes128CmHmacSha1_80]),
        config(&certificates[1]),
    ];
    let (mut pair, _) = Pair::new(builders, ROLE_PAIRINGS[0], Link::lossless());
    pair.run_until(1_000, |p| p.failure(0).is_some());
    assert_eq!(pair.failure(0), Some(Failure::SrtpProfileNotAccepted));
    assert_eq!(pair.connected(0), None);
    // A list that holds the chosen profile connects.
    let builders = [
        config(&certificates[0]).srtp_profiles(&[ProtectionProfile::AeadAes256Gcm]),
        config(&certificates[1]).srtp_profiles(&[
            ProtectionProfile::AeadAes256Gcm,
            ProtectionProfile::Aes128CmHmacSha1_32,
        ]),
    ];
    let (mut pair, _) = Pair::new(builders, ROLE_PAIRINGS[0], Link::lossless());
    assert!(pair.run_until(1_000, Pair::both_connected));
    let srtp = pair.connected(0).unwrap().srtp.clone().unwrap();
    assert_eq!(srtp.profile, ProtectionProfile::AeadAes256Gcm);
    assert_eq!(srtp.keying_material.local.key().len(), 32);
}

#[test]
fn a_seed_makes_the_handshake_timing_reproducible() {
    let certificates = [
        Certificate::generate().unwrap(),
        Certificate::generate().unwrap(),
    ];
    let run = |seeds: [u8; 2]| {
        let builders = [0, 1].map(|i| config(&certificates[i]).seed([seeds[i]; 32]));
        let (mut pair, _) = Pair::new(builders, ROLE_PAIRINGS[0], Link::new(3, 20));
        let start = pair.now;
        assert!(pair.run_until(10_000, Pair::both_connected));
        (pair.now - start, pair.link.sent)
    };
    // Same seeds, same retransmission schedule over the same lossy link.
    assert_eq!(run([1, 2]), run([1, 2]));
}
