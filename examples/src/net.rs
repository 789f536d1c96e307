//! Small network helpers of the STUN and TURN client programs
//! (`stun-client`, `turn-client`).

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The first address `host_port` (`HOST:PORT`) resolves to.
pub async fn resolve(host_port: &str) -> Result<SocketAddr, String> {
    tokio::net::lookup_host(host_port)
        .await
        .map_err(|e| format!("cannot resolve {host_port}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host_port} resolves to no address"))
}

/// The wildcard address (any interface, any port) of `server`'s family,
/// to bind a socket that talks to `server`.
pub const fn wildcard_for(server: SocketAddr) -> SocketAddr {
    let ip = match server.ip() {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    SocketAddr::new(ip, 0)
}
