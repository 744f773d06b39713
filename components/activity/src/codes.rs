//! Random codes: the activity code (活动码) volunteers scan or type to check in, the invitation
//! code of invitation-only activities, and the key of the rotating dynamic check-in code. The
//! letters and the QR payload are `domain::activity_code`'s; the randomness is drawn here.

use domain::activity_code;
use kit::ApiError;

pub use domain::activity_code::{qr_payload, ALPHABET, LEN as ACTIVITY_CODE_LEN};
/// Length of an invitation code: longer than the activity code, because it is the only thing
/// keeping an invitation-only activity closed and can be guessed at over the network.
pub const INVITATION_CODE_LEN: usize = 8;

fn random_bytes(n: usize) -> Result<Vec<u8>, ApiError> {
    let mut buf = vec![0u8; n];
    getrandom::getrandom(&mut buf).map_err(|e| ApiError::Internal(format!("random: {e}")))?;
    Ok(buf)
}

/// `len` random letters of [`ALPHABET`].
pub fn code(len: usize) -> Result<String, ApiError> {
    Ok(activity_code::from_random(&random_bytes(len)?))
}

/// A 256-bit key, hex-encoded, for the HMAC of the rotating check-in code.
pub fn secret() -> Result<String, ApiError> {
    Ok(hex::encode(random_bytes(32)?))
}

/// Equality that takes as long for a near miss as for a far one, so response times do not leak
/// how much of an invitation code was right.
pub fn same(a: &str, b: &str) -> bool {
    // `subtle`'s comparison: unequal lengths are false without looking at the bytes.
    bool::from(subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_the_alphabet_only() {
        for _ in 0..50 {
            let c = code(ACTIVITY_CODE_LEN).unwrap();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| ALPHABET.contains(&b)), "{c}");
        }
        assert_eq!(secret().unwrap().len(), 64);
        assert!(same("ABCD2345", "ABCD2345"));
        assert!(!same("ABCD2345", "ABCD2346"));
        assert!(!same("ABCD", "ABCD2345"));
    }
}
