//! Tokens, codes and password hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

use crate::bindings::Error;

/// Shortest password accepted (characters, not bytes, so Chinese passphrases count fairly).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted: argon2 would take anything, but a megabyte "password" is an attack.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Lowercase hex SHA-256: what is stored in place of a bearer token or an SMS code.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Bytes from the host's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|e| Error::Storage(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// A new bearer token: 32 random bytes, hex.
pub fn new_token() -> Result<String, Error> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// A uniformly random 6-digit code (rejection sampling, so no digit is favoured).
pub fn new_code() -> Result<String, Error> {
    // The largest multiple of 1,000,000 that fits in a u32.
    const LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;
    loop {
        let n = u32::from_le_bytes(random_bytes::<4>()?);
        if n < LIMIT {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}

/// Equality that takes the same time wherever the first difference is, for comparing hashes.
pub fn same(a: &str, b: &str) -> bool {
    // `subtle`'s comparison: unequal lengths are false without looking at the bytes.
    bool::from(subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()))
}

/// An argon2id PHC string for a new password.
pub fn hash_password(password: &str) -> Result<String, Error> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(Error::Invalid((
            "password".into(),
            format!("the password must be at least {MIN_PASSWORD_CHARS} characters"),
        )));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(Error::Invalid((
            "password".into(),
            format!("the password must be at most {MAX_PASSWORD_CHARS} characters"),
        )));
    }
    let salt = SaltString::encode_b64(&random_bytes::<16>()?).map_err(|e| Error::Storage(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Storage(format!("hashing the password: {e}")))
}

/// Whether `password` matches a stored PHC string. A stored hash that does not parse matches
/// nothing (and is logged): it must not lock its owner out silently forever, nor let anyone in.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(e) => {
            eprintln!("identity: unreadable password hash: {e}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_lowercase_hex() {
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn passwords_round_trip() {
        let phc = hash_password("wenming-demo-1").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("wenming-demo-1", &phc));
        assert!(!verify_password("wenming-demo-2", &phc));
        assert!(!verify_password("wenming-demo-1", "not a hash"));
        assert!(matches!(hash_password("short"), Err(Error::Invalid((f, _))) if f == "password"));
    }

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let c = new_code().unwrap();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
        assert_eq!(new_token().unwrap().len(), 64);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
