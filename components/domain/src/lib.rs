//! Wenming's vocabulary as types. Parse, don't validate: each type's constructor is the only way
//! to get a value, so holding one *is* the proof that the text it came from was checked, and every
//! component, `bootstrap` and the tests check it the same way.
//!
//! - [`time`]: instants. The database keeps unix seconds (UTC); people read and write RFC 3339,
//!   shown in Asia/Shanghai ([`time::rfc3339`], [`Timestamp`]).
//! - [`date`]: calendar days in Asia/Shanghai, whole days of a time, ages ([`Date`]).
//! - [`period`]: evaluation periods — a month, a quarter or a year ([`Period`]).
//! - [`resident_id`]: the 18-character resident identity number ([`ResidentId`], [`Gender`]).
//! - [`phone`]: mainland mobile numbers ([`Phone`]) and message recipients ([`Recipient`]).
//! - [`mask`]: personal data shortened for lists and exports.
//! - [`activity_code`]: the letters of activity codes (活动码) and how a typed or scanned code is read.
//! - [`org_path`]: an org's materialised path (`/1/4/17/`) and the subtree it heads ([`OrgPath`]).
//! - [`role`]: the role names ([`Role`]).
//! - [`unicode`]: the invisible characters a name (or, for bidi controls, any text) may not hold.
//!
//! Nothing here touches Spin or a database: the crate builds natively and for `wasm32-wasip2`,
//! and its tests run with `cargo test -p domain`.
#![deny(missing_docs)]

pub mod activity_code;
pub mod date;
pub mod mask;
pub mod org_path;
pub mod period;
pub mod phone;
pub mod resident_id;
pub mod role;
pub mod time;
pub mod unicode;

pub use activity_code::ActivityCode;
pub use date::Date;
pub use org_path::OrgPath;
pub use period::Period;
pub use phone::{Phone, Recipient};
pub use resident_id::{Gender, ResidentId};
pub use role::Role;
pub use time::Timestamp;

/// The number in `b` if it is all ASCII digits (and not empty or too long for a `u32`). The one
/// digit reader behind the fixed-width fields of dates, times, periods and ID numbers.
pub(crate) fn ascii_number(b: &[u8]) -> Option<u32> {
    if b.is_empty() {
        return None;
    }
    let mut n = 0u32;
    for c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(c - b'0'))?;
    }
    Some(n)
}
