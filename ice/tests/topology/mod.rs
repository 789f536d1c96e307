//! The sides the simulated-network tests put the agents on, and which pairs
//! of them theory says can connect.

use sansrtc_ice::sim::{Behaviour, Nat, Side};

/// The sides, named. The NATs are named by their filtering; the first three
/// map endpoint-independently (RFC 4787 REQ-1), the symmetric one maps and
/// filters per address and port. Then a public host behind a firewall that
/// drops all UDP but to the STUN and TURN servers: only a relay would reach
/// it. The last is a public host on a network that blocks all UDP, with TCP
/// candidates (RFC 6544): only ICE-TCP reaches it, from a peer that has TCP
/// candidates too.
pub(crate) const SIDES: [(&str, Side); 7] = [
    ("no NAT", Side::PUBLIC),
    ("endpoint-indep.", Side::behind(Nat::FULL_CONE)),
    ("address-dep.", Side::behind(Nat::RESTRICTED_CONE)),
    ("addr+port-dep.", Side::behind(Nat::PORT_RESTRICTED_CONE)),
    ("symmetric", Side::behind(Nat::SYMMETRIC)),
    (
        "UDP firewall",
        Side {
            firewall: true,
            ..Side::PUBLIC
        },
    ),
    ("UDP blocked", Side::UDP_BLOCKED),
];

/// Whether a path exists between `a` and `b`, over UDP or TCP.
pub(crate) fn path_exists(a: Side, b: Side) -> bool {
    udp_path_exists(a, b) || tcp_path_exists(a, b)
}

/// Whether a TCP path exists: both sides have TCP candidates and one of
/// them takes connections (is not behind a NAT, which lets connections out
/// but not in). Firewalls drop UDP only.
pub(crate) fn tcp_path_exists(a: Side, b: Side) -> bool {
    a.tcp && b.tcp && (a.nat.is_none() || b.nat.is_none())
}

/// Whether a UDP path exists between `a` and `b`. A side whose UDP is
/// blocked has none. A relayed address is reachable by every side but a
/// firewalled one, which reaches only its own relay. Without a relay: a
/// public side is reachable by anyone. Two endpoint-independent mappings
/// open to each other once both sides have sent a check. A symmetric side
/// sends its checks from a new port, which the other side lets in only if
/// its filter ignores the port; two symmetric sides never meet.
pub(crate) fn udp_path_exists(a: Side, b: Side) -> bool {
    if a.udp_blocked || b.udp_blocked {
        return false;
    }
    if (a.relay && (b.relay || !b.firewall)) || (b.relay && !a.firewall) {
        return true;
    }
    if a.firewall || b.firewall {
        return false;
    }
    let symmetric = |s: Side| {
        s.nat
            .is_some_and(|n| n.mapping != Behaviour::EndpointIndependent)
    };
    let port_filter = |s: Side| {
        s.nat
            .is_some_and(|n| n.filtering == Behaviour::AddressAndPortDependent)
    };
    match (symmetric(a), symmetric(b)) {
        (false, false) => true,
        (true, true) => false,
        (true, false) => b.nat.is_none() || !port_filter(b),
        (false, true) => a.nat.is_none() || !port_filter(a),
    }
}
