// Fuzzes the ticket decoder: no input may panic, and decode and verify must agree on malformed input.
// Run from rust/usersig/fuzz:  cargo fuzz run decode  (nightly, or RUSTC_BOOTSTRAP=1 on stable), e.g.
//   RUSTC_BOOTSTRAP=1 cargo fuzz run decode -- -runs=20000     (findings land in artifacts/decode/)
#![no_main]

use std::io::Write;

use base64::Engine;
use libfuzzer_sys::fuzz_target;

/// Checks one input as a ticket.
fn check(ticket: &str) {
    let decoded = tim_usersig::decode(ticket);
    let verified = tim_usersig::verify(ticket, 1_400_000_000, "xiaojun", &["key"], 1_600_000_000);
    if let Err(tim_usersig::Error::Malformed(what)) = verified {
        assert_eq!(decoded, Err(tim_usersig::Error::Malformed(what)));
    }
}

fuzz_target!(|data: &[u8]| {
    // The input as a ticket, exercising the envelope (length, alphabet, base64, zlib).
    if let Ok(ticket) = std::str::from_utf8(data) {
        check(ticket);
    }
    // The input as the content of a well-formed envelope, exercising the JSON layer, which
    // random tickets almost never reach.
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let compressed = zlib.write_all(data).and_then(|()| zlib.finish());
    if let Ok(compressed) = compressed {
        let b64 = base64::engine::general_purpose::STANDARD.encode(compressed);
        check(&b64.replace('+', "*").replace('/', "-").replace('=', "_"));
    }
});
