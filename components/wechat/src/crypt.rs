//! Safe mode (安全模式): AES-256-CBC with the key `base64(EncodingAESKey + "=")` and its first 16
//! bytes as the IV; plaintext = 16 random bytes ‖ big-endian u32 length ‖ message ‖ AppID, padded
//! PKCS#7-style to a multiple of **32** bytes (WeChat's block, not AES's 16).

use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::{alphabet, Engine};

type Encryptor = cbc::Encryptor<aes::Aes256>;
type Decryptor = cbc::Decryptor<aes::Aes256>;

const BLOCK: usize = 32;

/// WeChat's 43-character keys end in a character whose spare bits are not zero, which strict
/// base64 refuses; WeChat's own libraries accept it.
const LENIENT: GeneralPurpose =
    GeneralPurpose::new(&alphabet::STANDARD, GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true));

/// What can be wrong with a safe-mode setting or message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptError {
    #[error("the EncodingAESKey must be 43 characters of base64")]
    BadKey,
    #[error("the encrypted message is not valid base64 of whole blocks")]
    BadCiphertext,
    #[error("the decrypted message is malformed")]
    BadPlaintext,
    #[error("the message is for another official account")]
    WrongAppId,
}

/// An official account's safe-mode key.
#[derive(Clone)]
pub struct Cipher {
    key: [u8; 32],
    app_id: String,
}

impl Cipher {
    /// From the 43-character EncodingAESKey and the AppID.
    pub fn new(encoding_aes_key: &str, app_id: &str) -> Result<Cipher, CryptError> {
        if encoding_aes_key.len() != 43 {
            return Err(CryptError::BadKey);
        }
        let bytes = LENIENT.decode(format!("{encoding_aes_key}=")).map_err(|_| CryptError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| CryptError::BadKey)?;
        Ok(Cipher { key, app_id: app_id.to_string() })
    }

    fn iv(&self) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&self.key[..16]);
        iv
    }

    /// The message inside `encrypted` (base64), checked to be for this AppID.
    pub fn decrypt(&self, encrypted: &str) -> Result<String, CryptError> {
        let mut data = STANDARD.decode(encrypted.trim()).map_err(|_| CryptError::BadCiphertext)?;
        if data.is_empty() || data.len() % 16 != 0 {
            return Err(CryptError::BadCiphertext);
        }
        let plain = Decryptor::new(&self.key.into(), &self.iv().into())
            .decrypt_padded_mut::<NoPadding>(&mut data)
            .map_err(|_| CryptError::BadCiphertext)?;
        let pad = *plain.last().ok_or(CryptError::BadPlaintext)? as usize;
        if !(1..=BLOCK).contains(&pad) || pad > plain.len() {
            return Err(CryptError::BadPlaintext);
        }
        let body = &plain[..plain.len() - pad];
        if body.len() < 20 {
            return Err(CryptError::BadPlaintext);
        }
        let len = u32::from_be_bytes([body[16], body[17], body[18], body[19]]) as usize;
        let rest = &body[20..];
        if len > rest.len() {
            return Err(CryptError::BadPlaintext);
        }
        let (message, app_id) = rest.split_at(len);
        if app_id != self.app_id.as_bytes() {
            return Err(CryptError::WrongAppId);
        }
        String::from_utf8(message.to_vec()).map_err(|_| CryptError::BadPlaintext)
    }

    /// `message` encrypted for WeChat (base64), with `random16` as the leading random bytes.
    pub fn encrypt(&self, message: &str, random16: &[u8; 16]) -> String {
        let mut plain = Vec::with_capacity(message.len() + 64);
        plain.extend_from_slice(random16);
        plain.extend_from_slice(&(message.len() as u32).to_be_bytes());
        plain.extend_from_slice(message.as_bytes());
        plain.extend_from_slice(self.app_id.as_bytes());
        let pad = BLOCK - plain.len() % BLOCK;
        plain.extend(std::iter::repeat_n(pad as u8, pad));
        let len = plain.len();
        let out = Encryptor::new(&self.key.into(), &self.iv().into())
            .encrypt_padded_mut::<NoPadding>(&mut plain, len)
            .expect("whole blocks");
        STANDARD.encode(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ../shared/reference/wechat-vectors.json, safe_mode
    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    const APPID: &str = "wx1234567890abcdef";
    const PLAIN: &str = "<xml><ToUserName><![CDATA[oUSER_OPENID]]></ToUserName><FromUserName><![CDATA[gh_0123456789ab]]></FromUserName><CreateTime>1700000001</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[您的点单已受理，编号 D20231115-0001]]></Content></xml>";
    const ENCRYPT: &str = "jn1L23DB+6ELqJ+6bruv2+waS4bCQiFuNtTIZiHQee6HwjC73gtH0BteD0L6AxRFFUv1zbIoAIsfdGatp9l8He6BndlCQbdiyTQ97MeKGYfuZ/cW593tT3/2biVeFJW0GPcgnYyDsU2rcxMGmnOAfuPsMj1BL7PKiVYnR8q9mwrZ8qItu0KaY4mw/OOguMj2s2EhfqEhKN6ZQug6zaOtdgvoWUodPCkFsJ2xZoiqjBvTU9JURYcqQUPYNJWUWctGsVq0EUjCYWmyx3KjFoOH2NQbtRYH2N03ZnqSG9hOLk7uDTbwVEzMM7nfwhqWpaNG72JYDCbcgcfyWxXXqZglRFc1BQUsUXxUoA3YDd4wrte1kWQoQq6Xgi7xIkymuXi2YgBYcUTvfJAVcYG5BY5vq7bMgYg3qOcZsVmnCXTk/AM=";

    #[test]
    fn the_key_is_the_vectors_key() {
        let c = Cipher::new(KEY, APPID).unwrap();
        assert_eq!(hex::encode(c.key), "69b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3d0010831051");
    }

    #[test]
    fn encrypting_the_vector_gives_its_ciphertext_and_decrypting_gives_it_back() {
        let c = Cipher::new(KEY, APPID).unwrap();
        assert_eq!(PLAIN.len(), 262);
        assert_eq!(c.encrypt(PLAIN, b"aaaabbbbccccdddd"), ENCRYPT);
        assert_eq!(c.decrypt(ENCRYPT).unwrap(), PLAIN);
    }

    #[test]
    fn the_encrypted_echostr_decrypts() {
        let c = Cipher::new(KEY, APPID).unwrap();
        let echo = "jn1L23DB+6ELqJ+6bruv25trPN1LmtroxYORdU47RmNuTjXKFVaEnOvxyvCTsnl3FUC+qG633OAGmjw6DYMPQg==";
        assert_eq!(c.decrypt(echo).unwrap(), "7385498210493021");
    }

    #[test]
    fn another_account_garbage_and_bad_keys_are_refused() {
        let other = Cipher::new(KEY, "wx0000000000000000").unwrap();
        assert_eq!(other.decrypt(ENCRYPT), Err(CryptError::WrongAppId));
        let c = Cipher::new(KEY, APPID).unwrap();
        assert_eq!(c.decrypt("not base64!"), Err(CryptError::BadCiphertext));
        assert_eq!(c.decrypt("AAAA"), Err(CryptError::BadCiphertext));
        assert!(c.decrypt(&STANDARD.encode([0u8; 32])).is_err());
        assert!(Cipher::new("short", APPID).is_err());
    }
}
