//! WeChat's signatures: the SHA-1 of the sorted, concatenated parts, in lower-case hex. The
//! server-verification `signature` signs `[token, timestamp, nonce]`; in safe mode
//! `msg_signature` signs `[token, timestamp, nonce, Encrypt]`.

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

/// `sha1(sort(parts).concat())` as lower-case hex.
pub fn sha1_sorted(parts: &[&str]) -> String {
    let mut sorted = parts.to_vec();
    sorted.sort_unstable();
    hex::encode(Sha1::digest(sorted.concat().as_bytes()))
}

/// Whether `given` is the signature of `parts`, compared in constant time (case-insensitive, as
/// WeChat sends lower case but some relays upper-case it).
pub fn verify(given: &str, parts: &[&str]) -> bool {
    let expected = sha1_sorted(parts);
    // `ct_eq` on slices of different lengths is false without comparing the bytes.
    bool::from(given.to_ascii_lowercase().as_bytes().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_verification_vector_signs_and_verifies() {
        // ../shared/reference/wechat-vectors.json, url_verify
        let parts = ["volunteer_token", "1700000000", "123456789"];
        assert_eq!(sha1_sorted(&parts), "bb240bb035d12430a25c517406b84a7389cdc906");
        assert!(verify("BB240BB035D12430A25C517406B84A7389CDC906", &parts));
        assert!(!verify("bb240bb035d12430a25c517406b84a7389cdc907", &parts));
        assert!(!verify("", &parts));
    }
}
