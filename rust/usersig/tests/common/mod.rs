//! Helpers shared by the integration tests: the test vector, and ways to build tickets by hand
//! (independently of the crate's own encoder) so that tests can craft any malformed content.
#![allow(dead_code)] // each test binary uses its own subset

use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::{Compression, read::ZlibDecoder, write::ZlibEncoder};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The test vector of the facts file (computed with the official Node library).
pub const APP: u64 = 1_400_000_000;
pub const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
pub const USER: &str = "xiaojun";
pub const TIME: u64 = 1_600_000_000;
pub const EXPIRE: u64 = 15_552_000;
pub const SIG: &str = "1Z5PngDjGaufeSiPoBuxdHY7EK3JTdAjMP93S4KvV3M=";

/// Encodes raw bytes (normally zlib data) in the ticket alphabet.
pub fn to_ticket_alphabet(bytes: &[u8]) -> String {
    STANDARD
        .encode(bytes)
        .replace('+', "*")
        .replace('/', "-")
        .replace('=', "_")
}

/// zlib-compresses `data` at `level`.
pub fn zlib(data: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::new(level));
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// A ticket whose content is exactly `json`.
pub fn ticket_of(json: &str) -> String {
    to_ticket_alphabet(&zlib(json.as_bytes(), 6))
}

/// The JSON inside a well-formed ticket.
pub fn json_of(ticket: &str) -> String {
    let standard = ticket.replace('*', "+").replace('-', "/").replace('_', "=");
    let compressed = STANDARD.decode(standard).unwrap();
    let mut json = String::new();
    ZlibDecoder::new(&compressed[..])
        .read_to_string(&mut json)
        .unwrap();
    json
}

/// Standard base64 of HMAC-SHA256(key, text).
pub fn hmac_b64(key: &str, text: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(text.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The signed text for claims given as they appear in the ticket.
pub fn signed_text(user: &str, app: u64, time: u64, expire: u64, userbuf: Option<&str>) -> String {
    let mut text = format!(
        "TLS.identifier:{user}\nTLS.sdkappid:{app}\nTLS.time:{time}\nTLS.expire:{expire}\n"
    );
    if let Some(userbuf) = userbuf {
        text.push_str(&format!("TLS.userbuf:{userbuf}\n"));
    }
    text
}
