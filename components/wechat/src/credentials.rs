//! The account's access token and JS-SDK ticket, cached in the key-value store until shortly
//! before they expire, and fetched by one instance at a time.
//!
//! Both are valid for two hours and rationed by WeChat per day, so every instance reads the
//! cache first. When the cached value is missing, about to expire, or rejected by WeChat
//! (40001/42001), the instance that wins the lease row (`wechat_credential_leases`, migration
//! 0016) asks WeChat and stores the answer; the others poll the store until it appears. The KV
//! store has no compare-and-set, which is why the lease lives in SQLite. Values are never logged.

use std::time::{Duration, Instant};

use kit::{ApiError, Db};
use serde::{Deserialize, Serialize};
use spin_sdk::key_value::Store;
use spin_sdk::sqlite3::Value;

use crate::upstream::{self, Issued, UpstreamError};

/// A value handed out must still be good when the caller uses it: refetch this long before
/// WeChat's expiry.
const MARGIN_SECS: i64 = 300;
/// How long the lease holder may take to ask WeChat before another instance may try.
const LEASE_SECS: i64 = 20;
/// How long a waiting instance polls the store before giving up with a 503.
const WAIT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(50);

/// Which credential.
#[derive(Debug, Clone, Copy)]
enum Kind {
    AccessToken,
    JsapiTicket,
}

impl Kind {
    /// The lease row's name and (prefixed) the store key.
    fn name(self) -> &'static str {
        match self {
            Kind::AccessToken => "access_token",
            Kind::JsapiTicket => "jsapi_ticket",
        }
    }

    fn key(self) -> String {
        format!("wechat/{}", self.name())
    }
}

#[derive(Serialize, Deserialize)]
struct Cached {
    value: String,
    /// Unix seconds.
    expires_at: i64,
}

/// Why no credential could be had.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error("another instance is fetching the credential from WeChat and has not finished")]
    Waited,
    #[error("the key-value store failed: {0}")]
    Store(String),
    #[error(transparent)]
    Db(#[from] ApiError),
}

impl From<CredentialError> for ApiError {
    fn from(e: CredentialError) -> ApiError {
        match e {
            CredentialError::Db(e) => e,
            CredentialError::Store(m) => ApiError::Internal(format!("wechat credentials: {m}")),
            // A refusal other than an expired token is the deployment's configuration (wrong
            // AppSecret, IP not on the allow-list): logged for the operator, 500 for the client.
            CredentialError::Upstream(e @ UpstreamError::Refused { .. }) => {
                ApiError::Internal(format!("wechat credentials: {e}"))
            }
            e => {
                eprintln!("wechat credentials: {e}");
                ApiError::Busy { retry_after: 5, message: "WeChat is not answering; retry in a moment".into() }
            }
        }
    }
}

/// The official account's API identity.
pub struct Account {
    pub app_id: String,
    pub secret: String,
    /// `https://api.weixin.qq.com` in production.
    pub api_base: String,
}

/// Cache and lease together.
pub struct Credentials<'a> {
    db: &'a Db,
    store: Store,
    account: &'a Account,
    /// This instance's lease-holder id.
    me: String,
}

impl<'a> Credentials<'a> {
    pub fn open(db: &'a Db, account: &'a Account) -> Result<Credentials<'a>, CredentialError> {
        let store = Store::open_default().map_err(|e| CredentialError::Store(e.to_string()))?;
        let mut raw = [0u8; 8];
        getrandom::getrandom(&mut raw).map_err(|e| CredentialError::Store(format!("no randomness: {e}")))?;
        Ok(Credentials { db, store, account, me: hex::encode(raw) })
    }

    /// A valid access token.
    pub fn access_token(&self) -> Result<String, CredentialError> {
        self.obtain(Kind::AccessToken, None, || {
            upstream::stable_token(&self.account.api_base, &self.account.app_id, &self.account.secret, false)
        })
    }

    /// A new access token after WeChat rejected `rejected`. If another instance has already
    /// replaced it, that one is used: one forced refresh per rejected token.
    pub fn refresh_access_token(&self, rejected: &str) -> Result<String, CredentialError> {
        self.obtain(Kind::AccessToken, Some(rejected), || {
            upstream::stable_token(&self.account.api_base, &self.account.app_id, &self.account.secret, true)
        })
    }

    /// Runs `call` with the access token; when WeChat says the token is no longer good, refreshes
    /// it and runs `call` once more.
    pub fn with_token<T>(&self, call: impl Fn(&str) -> Result<T, UpstreamError>) -> Result<T, CredentialError> {
        let token = self.access_token()?;
        match call(&token) {
            Err(e) if e.token_rejected() => Ok(call(&self.refresh_access_token(&token)?)?),
            other => Ok(other?),
        }
    }

    /// A valid JS-SDK ticket.
    pub fn jsapi_ticket(&self) -> Result<String, CredentialError> {
        self.obtain(Kind::JsapiTicket, None, || {
            self.with_token(|token| upstream::jsapi_ticket(&self.account.api_base, token)).map_err(|e| match e {
                CredentialError::Upstream(u) => u,
                other => UpstreamError::Unreachable(other.to_string()),
            })
        })
    }

    /// The cached value if usable, else fetched under the lease, else waited for.
    fn obtain(
        &self,
        kind: Kind,
        stale: Option<&str>,
        fetch: impl Fn() -> Result<Issued, UpstreamError>,
    ) -> Result<String, CredentialError> {
        let started = Instant::now();
        loop {
            if let Some(value) = self.usable(kind, stale)? {
                return Ok(value);
            }
            if self.claim(kind)? {
                // Someone may have stored a value between the read above and the claim.
                let result = match self.usable(kind, stale) {
                    Ok(Some(value)) => Ok(value),
                    Ok(None) => fetch().map_err(CredentialError::from).and_then(|issued| self.keep(kind, issued)),
                    Err(e) => Err(e),
                };
                self.release(kind)?;
                return result;
            }
            if started.elapsed() > WAIT {
                return Err(CredentialError::Waited);
            }
            std::thread::sleep(POLL);
        }
    }

    fn usable(&self, kind: Kind, stale: Option<&str>) -> Result<Option<String>, CredentialError> {
        let raw = self.store.get(&kind.key()).map_err(|e| CredentialError::Store(e.to_string()))?;
        let cached = raw.and_then(|bytes| serde_json::from_slice::<Cached>(&bytes).ok());
        Ok(cached
            .filter(|c| c.expires_at - MARGIN_SECS > kit::now() && Some(c.value.as_str()) != stale)
            .map(|c| c.value))
    }

    fn keep(&self, kind: Kind, issued: Issued) -> Result<String, CredentialError> {
        let cached = Cached { expires_at: kit::now() + issued.expires_in, value: issued.value };
        let bytes = serde_json::to_vec(&cached).map_err(|e| CredentialError::Store(e.to_string()))?;
        self.store.set(&kind.key(), &bytes).map_err(|e| CredentialError::Store(e.to_string()))?;
        Ok(cached.value)
    }

    /// Takes the lease if it is free (one conditional statement: two instances never both win).
    fn claim(&self, kind: Kind) -> Result<bool, CredentialError> {
        let now = kit::now();
        let changed = self.db.exec(
            "INSERT INTO wechat_credential_leases (name, holder, until) VALUES (?1, ?2, ?3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
             WHERE wechat_credential_leases.until <= ?4",
            &[
                Value::Text(kind.name().into()),
                Value::Text(self.me.clone()),
                Value::Integer(now + LEASE_SECS),
                Value::Integer(now),
            ],
        )?;
        Ok(changed == 1)
    }

    fn release(&self, kind: Kind) -> Result<(), CredentialError> {
        self.db.exec(
            "UPDATE wechat_credential_leases SET until = 0 WHERE name = ?1 AND holder = ?2",
            &[Value::Text(kind.name().into()), Value::Text(self.me.clone())],
        )?;
        Ok(())
    }
}
