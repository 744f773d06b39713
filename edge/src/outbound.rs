//! Outbound HTTP from guests (`wasi:http/outgoing-handler`), allowed only where the manifest says.
//!
//! `allowed_outbound_hosts` entries follow Spin: `scheme://host[:port]`, where the scheme may be
//! `*`, the host may be `*` or `*.domain` (subdomains only), and the port may be `*`, a number, or
//! a range `lo..hi` (end exclusive); without a port the scheme's default applies. `{{ var }}`
//! templates are rendered from application variables at load. `insecure:allow-all` allows
//! everything. A request nothing allows is refused with `HTTP-request-denied` and never sent.
//!
//! `http://<component-id>.spin.internal/...` (local service chaining) never leaves the process: it
//! runs that component — private routes included — with the headers Spin gives chained requests.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::{bail, Context};
use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::variables::AppVariables;

/// The domain Spin reserves for local service chaining.
pub const SERVICE_CHAINING_SUFFIX: &str = ".spin.internal";

#[derive(Debug, Clone, PartialEq, Eq)]
enum SchemePattern {
    Any,
    Exact(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    Exact(String),
    /// `*.example.com`: stored as `.example.com`.
    Subdomains(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    /// `lo..hi`, end exclusive; a single port is `p..p+1`.
    Range(u16, u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedHost {
    scheme: SchemePattern,
    host: HostPattern,
    port: PortPattern,
}

/// A component's outbound allow-list.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    allow_all: bool,
    entries: Vec<AllowedHost>,
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl AllowedHosts {
    /// Parses `allowed_outbound_hosts` (and the deprecated `allowed_http_hosts`, whose bare hosts
    /// mean http and https), rendering `{{ var }}` templates.
    pub fn parse(outbound: &[String], legacy_http: &[String], vars: &AppVariables) -> anyhow::Result<AllowedHosts> {
        let mut allowed = AllowedHosts::default();
        for raw in outbound {
            let rendered = vars.render(raw).with_context(|| format!("allowed_outbound_hosts entry {raw:?}"))?;
            if rendered == "insecure:allow-all" {
                allowed.allow_all = true;
                continue;
            }
            allowed
                .entries
                .push(parse_entry(&rendered).with_context(|| format!("allowed_outbound_hosts entry {raw:?}"))?);
        }
        for raw in legacy_http {
            if raw == "insecure:allow-all" {
                allowed.allow_all = true;
            } else if raw.contains("://") {
                allowed.entries.push(parse_entry(raw).with_context(|| format!("allowed_http_hosts entry {raw:?}"))?);
            } else {
                for scheme in ["http", "https"] {
                    allowed.entries.push(parse_entry(&format!("{scheme}://{raw}"))?);
                }
            }
        }
        Ok(allowed)
    }

    /// Whether a request to `scheme://host:port` may be made.
    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        if self.allow_all {
            return true;
        }
        let host = host.to_ascii_lowercase();
        let Some(port) = port.or_else(|| default_port(scheme)) else { return false };
        self.entries.iter().any(|e| {
            let scheme_ok = match &e.scheme {
                SchemePattern::Any => true,
                SchemePattern::Exact(s) => s == scheme,
            };
            let host_ok = match &e.host {
                HostPattern::Any => true,
                HostPattern::Exact(h) => *h == host,
                HostPattern::Subdomains(suffix) => host.ends_with(suffix.as_str()) && host.len() > suffix.len(),
            };
            let port_ok = match e.port {
                PortPattern::Any => true,
                PortPattern::Range(lo, hi) => port >= lo && u32::from(port) < hi,
            };
            scheme_ok && host_ok && port_ok
        })
    }
}

fn parse_entry(s: &str) -> anyhow::Result<AllowedHost> {
    let (scheme, rest) = s.split_once("://").context("expected scheme://host[:port]")?;
    if scheme.is_empty() {
        bail!("missing scheme");
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') {
        bail!("paths are not allowed in an allowed host");
    }
    // An IPv6 literal keeps its brackets; its port, if any, follows `]:`.
    let (host, port) = match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((ip6, tail)) => (&rest[..ip6.len() + 2], tail.strip_prefix(':')),
        None => match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        },
    };
    if host.is_empty() {
        bail!("missing host");
    }
    let host = host.to_ascii_lowercase();
    let host = if host == "*" {
        HostPattern::Any
    } else if let Some(domain) = host.strip_prefix("*.") {
        if domain.is_empty() || domain.contains('*') {
            bail!("bad wildcard host");
        }
        HostPattern::Subdomains(format!(".{domain}"))
    } else if host.contains('*') {
        bail!("`*` may only be a whole host or a leading `*.`");
    } else {
        HostPattern::Exact(host)
    };
    let port = match port {
        None => match default_port(scheme) {
            Some(p) => PortPattern::Range(p, u32::from(p) + 1),
            None if scheme == "*" => PortPattern::Any,
            None => bail!("scheme {scheme:?} has no default port; give one"),
        },
        Some("*") => PortPattern::Any,
        Some(p) => match p.split_once("..") {
            Some((lo, hi)) => {
                let lo: u16 = lo.parse().context("bad port range")?;
                let hi: u16 = hi.parse().context("bad port range")?;
                if hi <= lo {
                    bail!("empty port range {p}");
                }
                PortPattern::Range(lo, u32::from(hi))
            }
            None => {
                let p: u16 = p.parse().context("bad port")?;
                PortPattern::Range(p, u32::from(p) + 1)
            }
        },
    };
    let scheme = if scheme == "*" { SchemePattern::Any } else { SchemePattern::Exact(scheme.to_ascii_lowercase()) };
    Ok(AllowedHost { scheme, host, port })
}

/// A future the wasi-http machinery awaits for an I/O result.
type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;

/// A boxed future of a chained component's response.
pub type ChainFuture = Pin<Box<dyn Future<Output = Result<http::Response<WasiBody>, Error>> + Send>>;

/// Runs a component of this application on a request, for local service chaining.
pub trait ServiceChain: Send + Sync {
    /// Runs `component` on `request`; `None` when no such component exists.
    fn call(&self, component: &str, request: http::Request<WasiBody>) -> Option<ChainFuture>;
}

/// Decides whether a guest's outbound request may be sent, and sends it.
pub struct OutboundPolicy {
    allowed: Arc<AllowedHosts>,
    chain: Option<Arc<dyn ServiceChain>>,
}

impl OutboundPolicy {
    /// A policy for one instance.
    pub fn new(allowed: Arc<AllowedHosts>, chain: Option<Arc<dyn ServiceChain>>) -> OutboundPolicy {
        OutboundPolicy { allowed, chain }
    }
}

impl WasiHttpHooks for OutboundPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), Error>> + Send> {
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("http").to_ascii_lowercase();
        let host = uri.host().unwrap_or("").to_ascii_lowercase();
        let port = uri.port_u16();
        if !self.allowed.allows(&scheme, &host, port) {
            tracing::warn!(%scheme, %host, "outbound request refused: not in allowed_outbound_hosts");
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        if let Some(component) = host.strip_suffix(SERVICE_CHAINING_SUFFIX) {
            let call = self.chain.as_ref().and_then(|c| c.call(component, request));
            return Box::new(async move {
                let Some(call) = call else { return Err(Error::DestinationNotFound) };
                let response = call.await?;
                Ok((response, Box::new(async { Ok(()) }) as IoFuture))
            });
        }
        Box::new(async move {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((response.map(BodyExt::boxed_unsync), Box::new(io) as IoFuture))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(entries: &[&str]) -> AllowedHosts {
        let entries: Vec<String> = entries.iter().map(|s| s.to_string()).collect();
        AllowedHosts::parse(&entries, &[], &AppVariables::default()).unwrap()
    }

    #[test]
    fn exact_hosts_use_the_default_port_of_their_scheme() {
        let a = allowed(&["https://api.example.com"]);
        assert!(a.allows("https", "api.example.com", None));
        assert!(a.allows("https", "api.example.com", Some(443)));
        assert!(!a.allows("https", "api.example.com", Some(8443)));
        assert!(!a.allows("http", "api.example.com", None));
        assert!(!a.allows("https", "evil.example.com", None));
    }

    #[test]
    fn wildcards_cover_subdomains_schemes_and_ports() {
        let a = allowed(&["http://*.spin.internal", "*://sms.example:*", "http://127.0.0.1:8000..8010"]);
        assert!(a.allows("http", "notify.spin.internal", None));
        assert!(!a.allows("http", "spin.internal", None));
        assert!(a.allows("https", "sms.example", Some(9999)));
        assert!(a.allows("http", "127.0.0.1", Some(8009)));
        assert!(!a.allows("http", "127.0.0.1", Some(8010)));
    }

    #[test]
    fn bad_entries_are_refused() {
        for bad in ["api.example.com", "https://a.example/path", "ftp://x", "https://a*.example", "http://h:9..3"] {
            let r = AllowedHosts::parse(&[bad.to_string()], &[], &AppVariables::default());
            assert!(r.is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn nothing_is_allowed_by_default_and_allow_all_allows_everything() {
        assert!(!AllowedHosts::default().allows("https", "example.com", None));
        assert!(allowed(&["insecure:allow-all"]).allows("ftp", "x", Some(21)));
    }
}
