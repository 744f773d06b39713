//! The request headers Spin adds for the guest (`crates/trigger-http/src/headers.rs` in Spin).
//!
//! One deliberate difference: Spin appends its headers after any the client sent, so a client can
//! send a forged `spin-client-addr` that a guest reading the first value believes. The edge drops
//! every client-sent `spin-*` header before adding its own.

use std::net::SocketAddr;

use http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::routing::RouteMatch;

/// Removes what a client must not control or what Spin strips: `spin-*` and `connection`.
pub fn strip_client_headers(headers: &mut HeaderMap) {
    let forged: Vec<HeaderName> = headers.keys().filter(|name| name.as_str().starts_with("spin-")).cloned().collect();
    for name in forged {
        headers.remove(&name);
    }
    headers.remove(http::header::CONNECTION);
}

/// Adds Spin's headers for a routed request.
pub fn add_spin_headers(
    headers: &mut HeaderMap,
    full_url: &str,
    route: &RouteMatch<'_>,
    client: SocketAddr,
) -> anyhow::Result<()> {
    let pattern = &route.route.pattern;
    let mut set = |name: &str, value: &str| -> anyhow::Result<()> {
        headers.append(HeaderName::from_bytes(name.as_bytes())?, HeaderValue::from_str(value)?);
        Ok(())
    };
    set("spin-full-url", full_url)?;
    set("spin-path-info", &route.path_info)?;
    set("spin-matched-route", &pattern.normalised)?;
    set("spin-raw-component-route", &pattern.raw)?;
    set("spin-component-route", &pattern.component_route())?;
    set("spin-base-path", "/")?;
    set("spin-client-addr", &client.to_string())?;
    for (name, value) in &route.captures {
        let header = format!("spin-path-match-{}", name.to_ascii_lowercase().replace('_', "-"));
        set(&header, value)?;
    }
    Ok(())
}
