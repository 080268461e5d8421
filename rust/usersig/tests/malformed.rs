//! Hostile input: decoding never panics, never does unbounded work, and always answers 70002 or
//! 70003 for input that is not a ticket.

mod common;

use std::time::{Duration, Instant};

use common::*;
use proptest::prelude::*;
use tim_usersig::{Claims, Error, MAX_DECODED_LEN, MAX_TICKET_LEN, decode, sign, verify};

/// Runs both entry points and returns verify's code (0 for success).
fn code_of(input: &str) -> u32 {
    let decoded = decode(input);
    let verified = verify(input, APP, USER, &[KEY], TIME);
    if let Err(Error::Malformed(what)) = verified {
        assert_eq!(
            decoded,
            Err(Error::Malformed(what)),
            "decode and verify disagree"
        );
    }
    verified.map_or_else(|e| e.code(), |_| 0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let input = String::from_utf8_lossy(&bytes);
        let code = code_of(&input);
        prop_assert!(code == 70002 || code == 70003, "{}", code);
    }

    #[test]
    fn random_ticket_alphabet_is_refused(input in "[A-Za-z0-9*_-]{0,600}") {
        let code = code_of(&input);
        prop_assert!(code == 70002 || code == 70003, "{}", code);
    }

    #[test]
    fn random_zlib_content_is_refused(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        // Valid envelope, arbitrary content: exercises the JSON layer.
        prop_assert_eq!(code_of(&to_ticket_alphabet(&zlib(&bytes, 6))), 70003);
    }

    #[test]
    fn random_json_objects_are_refused(json in r#"\{("TLS\.(ver|identifier|sdkappid|time|expire|sig|userbuf)":("[A-Za-z0-9+/=.]{0,8}"|[0-9]{1,3}|null|\[\]),?){0,8}\}"#) {
        let code = code_of(&ticket_of(&json));
        prop_assert_eq!(code, 70003);
    }
}

#[test]
fn every_truncation_of_a_ticket_is_refused() {
    let claims = Claims::new(APP, USER, TIME, EXPIRE).with_userbuf(b"room 1234".to_vec());
    let ticket = sign(KEY, &claims);
    assert_eq!(verify(&ticket, APP, USER, &[KEY], TIME), Ok(claims));
    for end in 0..ticket.len() {
        let code = code_of(&ticket[..end]);
        assert_eq!(
            code,
            if end == 0 { 70002 } else { 70003 },
            "prefix of {end}"
        );
    }
}

#[test]
fn a_mebibyte_is_refused_at_once() {
    let started = Instant::now();
    for input in ["e".repeat(1 << 20), "\u{fffd}".repeat(1 << 18)] {
        assert_eq!(
            decode(&input),
            Err(Error::Malformed("UserSig is longer than 8192 bytes"))
        );
        assert_eq!(code_of(&input), 70003);
    }
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn tickets_up_to_the_limit_decode() {
    let ticket = "eJ".repeat(MAX_TICKET_LEN / 2);
    assert_eq!(ticket.len(), MAX_TICKET_LEN);
    // Not the length check: it gets as far as zlib.
    assert_ne!(
        decode(&ticket),
        Err(Error::Malformed("UserSig is longer than 8192 bytes"))
    );
}

#[test]
fn zlib_bombs_are_refused_quickly() {
    // 10 MB of zeros: too long a ticket even compressed.
    let big = to_ticket_alphabet(&zlib(&vec![0; 10_000_000], 9));
    assert!(big.len() > MAX_TICKET_LEN);
    // 5 MB of zeros fits in a ticket: inflating must stop at the limit.
    let fits = to_ticket_alphabet(&zlib(&vec![0; 5_000_000], 9));
    assert!(fits.len() <= MAX_TICKET_LEN, "{}", fits.len());
    let started = Instant::now();
    assert_eq!(
        decode(&big),
        Err(Error::Malformed("UserSig is longer than 8192 bytes"))
    );
    assert_eq!(
        decode(&fits),
        Err(Error::Malformed("UserSig inflates to more than 8192 bytes"))
    );
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[test]
fn json_of_exactly_the_limit_decodes_and_one_more_byte_does_not() {
    let base = json_of(&sign(KEY, &Claims::new(APP, "", TIME, EXPIRE))).len();
    let at_limit = Claims::new(APP, "a".repeat(MAX_DECODED_LEN - base), TIME, EXPIRE);
    let ticket = sign(KEY, &at_limit);
    assert_eq!(json_of(&ticket).len(), MAX_DECODED_LEN);
    assert_eq!(decode(&ticket).map(|(c, _)| c), Ok(at_limit));

    let over = Claims::new(APP, "a".repeat(MAX_DECODED_LEN - base + 1), TIME, EXPIRE);
    assert_eq!(
        decode(&sign(KEY, &over)),
        Err(Error::Malformed("UserSig inflates to more than 8192 bytes"))
    );
}

#[test]
fn deeply_nested_json_is_refused_without_overflow() {
    let json = format!("{}{}", "[".repeat(4000), "]".repeat(4000));
    let ticket = ticket_of(&json);
    assert!(ticket.len() <= MAX_TICKET_LEN);
    assert_eq!(
        decode(&ticket),
        Err(Error::Malformed("UserSig does not contain valid JSON"))
    );
}
