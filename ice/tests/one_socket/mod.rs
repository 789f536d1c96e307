//! An agent on one UDP socket that knows its peer's credentials: the start
//! of the tests and benchmarks that write the peer's checks by hand.

use core::net::SocketAddr;
use std::time::Instant;

use sansrtc_ice::{Agent, Config, LocalSocket};

/// The peer's ufrag.
pub(crate) const REMOTE_UFRAG: &str = "rEmO";
/// The peer's password.
pub(crate) const REMOTE_PWD: &str = "remotepasswordremotepassword";

/// An agent made with `config` on the UDP socket it returns, with the
/// peer's credentials set and its events drained.
pub(crate) fn agent_on_one_socket(config: Config, now: Instant) -> (Agent, SocketAddr) {
    let (mut agent, address) = agent_on_one_socket_without_credentials(config, now);
    agent
        .set_remote_credentials(REMOTE_UFRAG, REMOTE_PWD)
        .unwrap();
    while agent.poll_event().is_some() {}
    (agent, address)
}

/// [`agent_on_one_socket`] before the peer's credentials are known (its
/// answer has not arrived yet).
#[allow(
    dead_code,
    reason = "not every test that includes this module needs it"
)]
pub(crate) fn agent_on_one_socket_without_credentials(
    config: Config,
    now: Instant,
) -> (Agent, SocketAddr) {
    let mut agent = Agent::new(config, now);
    let address: SocketAddr = "192.0.2.10:5000".parse().unwrap();
    agent.add_local_socket(LocalSocket::udp(address)).unwrap();
    while agent.poll_event().is_some() {}
    (agent, address)
}
