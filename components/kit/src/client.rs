//! Who the client is, as far as the network can tell: the key that per-client limits
//! ([`crate::throttle`], identity's sign-in locks) count under.
//!
//! The host names the TCP peer in `spin-client-addr` (`ip:port`). Real Spin appends its own
//! value after any a client forged and spin-sdk keeps the last value of a repeated header, so
//! the value read here is the host's; the edge drops forged copies before adding its own. Behind
//! a reverse proxy every request comes from the proxy: per-client limits then act as one more
//! global budget, which is safe (they refuse more, never less).

use std::net::{IpAddr, SocketAddr};

use spin_sdk::http::Request;

/// The key for requests whose host did not say where they came from ("some Spin runtimes do not
/// set this"): they share one bucket, so a missing header cannot be a way around a limit.
pub const UNKNOWN: &str = "unknown";

/// The request's client key: the peer's IP address, an IPv6 address reduced to its /64 (one
/// household or phone gets a whole /64, so a client could otherwise count as 2⁶⁴ clients).
pub fn client_key(req: &Request) -> String {
    key_of(req.header("spin-client-addr").and_then(|v| v.as_str()))
}

/// [`client_key`] from the header's value: `ip:port` (`[v6]:port` for IPv6) or a bare IP.
pub fn key_of(addr: Option<&str>) -> String {
    let Some(addr) = addr.map(str::trim) else {
        return UNKNOWN.into();
    };
    let ip = match addr.parse::<SocketAddr>() {
        Ok(socket) => socket.ip(),
        Err(_) => match addr.parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) => return UNKNOWN.into(),
        },
    };
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            // A dual-stack listener shows IPv4 peers as ::ffff:a.b.c.d: the same client as a.b.c.d.
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{prefix}/64")
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_peers_are_their_address_without_the_port() {
        assert_eq!(key_of(Some("127.0.0.2:53152")), "127.0.0.2");
        assert_eq!(key_of(Some("10.0.0.1")), "10.0.0.1");
        assert_eq!(key_of(Some("[::ffff:192.0.2.7]:80")), "192.0.2.7");
    }

    #[test]
    fn ipv6_peers_are_reduced_to_their_64_bit_prefix() {
        let a = key_of(Some("[2001:db8:1:2:aaaa::1]:4000"));
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(key_of(Some("[2001:db8:1:2:ffff:ffff:ffff:ffff]:1")), a, "same /64, same client");
        assert_ne!(key_of(Some("[2001:db8:1:3::1]:1")), a);
        assert_eq!(key_of(Some("2001:db8::1")), "2001:db8::/64");
    }

    #[test]
    fn a_missing_or_unreadable_address_shares_one_bucket() {
        assert_eq!(key_of(None), UNKNOWN);
        assert_eq!(key_of(Some("")), UNKNOWN);
        assert_eq!(key_of(Some("not an address")), UNKNOWN);
    }
}
