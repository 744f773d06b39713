//! The per-client connection cap (`--max-connections-per-client`): without it one client can
//! open `--max-connections` idle connections and every other client waits in the backlog until
//! the header timeout frees a slot, round after round. With it, that client's extra
//! connections are refused at once and the rest of the slots stay with everyone else.
//!
//! A client is its IPv4 address, or the /64 its IPv6 address is in: a subscriber is usually
//! given a whole /64 and could otherwise take a fresh address for every connection.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::net::TcpStream;

/// Open connections per client, counted while each [`Slot`] lives.
pub(crate) struct PerClient {
    /// Connections one client may hold; 0 means no cap.
    cap: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl PerClient {
    pub(crate) fn new(cap: usize) -> Arc<PerClient> {
        Arc::new(PerClient { cap, open: Mutex::new(HashMap::new()) })
    }

    fn open(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
        // A map of plain counters, consistent after any panic; a poisoned lock is fine.
        self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A slot for one more connection from `ip`, or `None` when it already holds the cap.
    pub(crate) fn enter(self: &Arc<PerClient>, ip: IpAddr) -> Option<Slot> {
        let key = client_key(ip);
        let mut open = self.open();
        let held = open.entry(key).or_insert(0);
        if self.cap != 0 && *held >= self.cap {
            return None;
        }
        *held += 1;
        Some(Slot { owner: Arc::clone(self), key })
    }

    /// Clients holding at least one connection (the map never keeps a zero).
    #[cfg(test)]
    fn clients(&self) -> usize {
        self.open().len()
    }
}

/// One counted connection; dropping it (the connection ended, however) gives the place back.
pub(crate) struct Slot {
    owner: Arc<PerClient>,
    key: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.owner.open();
        if let Some(held) = open.get_mut(&self.key) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                // Removed, not kept at zero: otherwise every address ever seen would stay in
                // memory, and an IPv6 client can present very many.
                open.remove(&self.key);
            }
        }
    }
}

/// The key a client's connections are counted under: an IPv4 address as it is (an IPv4 client
/// reaching a dual-stack socket as `::ffff:a.b.c.d` included), an IPv6 address's /64.
pub(crate) fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

/// What a refused connection is told before it is closed: the client has sent no request yet,
/// but an HTTP client that writes one reads this answer (RFC 9110 lets a server answer early)
/// instead of a bare reset.
const REFUSAL: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\n\
content-type: application/json\r\n\
x-content-type-options: nosniff\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 97\r\n\
\r\n\
{\"error\":{\"code\":\"too_many_connections\",\"message\":\"this client holds too many open connections\"}}";

/// Refuses a connection over the cap: the 429 if the socket takes it at once, then the close.
/// Never waits: a client that does not read must not hold the accept loop.
pub(crate) fn refuse(stream: TcpStream) {
    // A fresh socket's send buffer takes these few bytes whole; a partial write only shortens
    // an answer the client is not owed.
    let _ = stream.try_write(REFUSAL);
    drop(stream);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn the_refusal_declares_its_body_length_exactly() {
        let text = std::str::from_utf8(REFUSAL).expect("ascii");
        let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
        let declared = head.lines().find_map(|l| l.strip_prefix("content-length: ")).expect("content-length");
        assert_eq!(declared.parse::<usize>().ok(), Some(body.len()));
        serde_json::from_str::<serde_json::Value>(body).expect("the body is JSON");
    }

    #[test]
    fn a_client_holds_at_most_the_cap_and_a_closed_connection_gives_its_place_back() {
        let per_client = PerClient::new(2);
        let a = ip("127.0.0.1");
        let first = per_client.enter(a).expect("first");
        let _second = per_client.enter(a).expect("second");
        assert!(per_client.enter(a).is_none(), "a third is over the cap");
        assert!(per_client.enter(ip("127.0.0.2")).is_some(), "another client is not affected");
        drop(first);
        assert!(per_client.enter(a).is_some(), "a closed connection's place is free again");
    }

    #[test]
    fn a_client_with_no_connection_is_forgotten() {
        let per_client = PerClient::new(2);
        let slot = per_client.enter(ip("10.0.0.1")).expect("slot");
        assert_eq!(per_client.clients(), 1);
        drop(slot);
        assert_eq!(per_client.clients(), 0);
    }

    #[test]
    fn zero_means_no_cap() {
        let per_client = PerClient::new(0);
        let slots: Vec<Slot> = (0..1000).map_while(|_| per_client.enter(ip("10.0.0.1"))).collect();
        assert_eq!(slots.len(), 1000);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(client_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(client_key(ip("2001:db8:1:2:bbbb::9")), client_key(ip("2001:db8:1:2:aaaa::1")));
        assert_ne!(client_key(ip("2001:db8:1:3::1")), client_key(ip("2001:db8:1:2::1")));
        assert_eq!(client_key(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(client_key(ip("192.0.2.7")), ip("192.0.2.7"));
    }
}
