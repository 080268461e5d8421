//! The published test vector, and the format details other implementations depend on.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use tim_usersig::{Claims, Error, decode, sign, verify};

fn vector_claims() -> Claims {
    Claims::new(APP, USER, TIME, EXPIRE)
}

#[test]
fn signs_the_official_test_vector() {
    let ticket = sign(KEY, &vector_claims());
    let (claims, sig) = decode(&ticket).unwrap();
    assert_eq!(claims, vector_claims());
    assert_eq!(STANDARD.encode(sig), SIG);
}

#[test]
fn writes_the_json_of_the_official_node_library() {
    let ticket = sign(KEY, &vector_claims());
    assert!(ticket.starts_with("eJ"), "zlib header at default level");
    assert_eq!(
        json_of(&ticket),
        format!(
            r#"{{"TLS.ver":"2.0","TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.time":1600000000,"TLS.expire":15552000,"TLS.sig":"{SIG}"}}"#
        )
    );
}

#[test]
fn vector_verifies_until_its_last_second_then_expires() {
    let ticket = sign(KEY, &vector_claims());
    assert_eq!(
        verify(&ticket, APP, USER, &[KEY], TIME + 1),
        Ok(vector_claims())
    );
    assert_eq!(
        verify(&ticket, APP, USER, &[KEY], TIME + EXPIRE),
        Ok(vector_claims())
    );
    assert_eq!(
        verify(&ticket, APP, USER, &[KEY], TIME + EXPIRE + 1),
        Err(Error::Expired)
    );
}

#[test]
fn accepts_python_key_order_and_spacing() {
    // What the PyPI library's json.dumps writes: spaces, and expire before time.
    let json = format!(
        r#"{{"TLS.ver": "2.0", "TLS.identifier": "xiaojun", "TLS.sdkappid": 1400000000, "TLS.expire": 15552000, "TLS.time": 1600000000, "TLS.sig": "{SIG}"}}"#
    );
    assert_eq!(
        verify(&ticket_of(&json), APP, USER, &[KEY], TIME + 1),
        Ok(vector_claims())
    );
}

#[test]
fn accepts_numbers_written_as_strings() {
    let json = format!(
        r#"{{"TLS.sig":"{SIG}","TLS.expire":"15552000","TLS.time":"1600000000","TLS.sdkappid":"1400000000","TLS.identifier":"xiaojun","TLS.ver":"2.0"}}"#
    );
    assert_eq!(
        verify(&ticket_of(&json), APP, USER, &[KEY], TIME + 1),
        Ok(vector_claims())
    );
}

#[test]
fn accepts_python_ascii_escapes_in_the_identifier() {
    let user = "张三";
    let sig = hmac_b64(KEY, &signed_text(user, APP, TIME, EXPIRE, None));
    let json = format!(
        r#"{{"TLS.ver": "2.0", "TLS.identifier": "\u5f20\u4e09", "TLS.sdkappid": {APP}, "TLS.expire": {EXPIRE}, "TLS.time": {TIME}, "TLS.sig": "{sig}"}}"#
    );
    let claims = verify(&ticket_of(&json), APP, user, &[KEY], TIME).unwrap();
    assert_eq!(claims.identifier, user);
}

#[test]
fn userbuf_is_signed_as_its_base64_line() {
    let claims = vector_claims().with_userbuf(b"abc".to_vec());
    let ticket = sign(KEY, &claims);
    let expected = hmac_b64(KEY, &signed_text(USER, APP, TIME, EXPIRE, Some("YWJj")));
    let (decoded, sig) = decode(&ticket).unwrap();
    assert_eq!(STANDARD.encode(sig), expected);
    assert_eq!(decoded.userbuf.as_deref(), Some(&b"abc"[..]));
    assert!(json_of(&ticket).contains(r#","TLS.userbuf":"YWJj","TLS.sig":"#));
    assert_eq!(verify(&ticket, APP, USER, &[KEY], TIME), Ok(claims));
}

#[test]
fn an_empty_userbuf_is_still_signed() {
    let claims = vector_claims().with_userbuf(Vec::new());
    let ticket = sign(KEY, &claims);
    let expected = hmac_b64(KEY, &signed_text(USER, APP, TIME, EXPIRE, Some("")));
    assert_eq!(STANDARD.encode(decode(&ticket).unwrap().1), expected);
    assert_eq!(verify(&ticket, APP, USER, &[KEY], TIME), Ok(claims));
}

#[test]
fn a_null_userbuf_means_none() {
    let json = format!(
        r#"{{"TLS.ver":"2.0","TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.time":1600000000,"TLS.expire":15552000,"TLS.userbuf":null,"TLS.sig":"{SIG}"}}"#
    );
    assert_eq!(
        verify(&ticket_of(&json), APP, USER, &[KEY], TIME),
        Ok(vector_claims())
    );
}

#[test]
fn expiry_saturates_instead_of_wrapping() {
    let claims = Claims::new(APP, USER, u64::MAX - 1, 10);
    assert_eq!(claims.expires_at(), u64::MAX);
    assert!(!claims.is_expired(u64::MAX));
    let ticket = sign(KEY, &claims);
    assert_eq!(verify(&ticket, APP, USER, &[KEY], u64::MAX), Ok(claims));
}
