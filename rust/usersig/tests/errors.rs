//! Every error code, each from a ticket that triggers exactly it, and the order of the checks.

mod common;

use common::*;
use tim_usersig::{Claims, Error, MAX_DECODED_LEN, MAX_TICKET_LEN, sign, verify};

fn ticket() -> String {
    sign(KEY, &Claims::new(APP, USER, TIME, EXPIRE))
}

fn check(ticket: &str) -> Result<Claims, Error> {
    verify(ticket, APP, USER, &[KEY], TIME + 1)
}

/// The description of the 70003 a ticket made of `json` gets.
fn malformed_json(json: &str) -> &'static str {
    match check(&ticket_of(json)) {
        Err(Error::Malformed(what)) => what,
        other => panic!("expected 70003 for {json}, got {other:?}"),
    }
}

/// The vector's JSON with one field replaced (or removed when `value` is None).
fn vector_json_with(field: &str, value: Option<&str>) -> String {
    let fields = [
        ("TLS.ver", "\"2.0\"".to_string()),
        ("TLS.identifier", format!("\"{USER}\"")),
        ("TLS.sdkappid", APP.to_string()),
        ("TLS.time", TIME.to_string()),
        ("TLS.expire", EXPIRE.to_string()),
        ("TLS.sig", format!("\"{SIG}\"")),
    ];
    let members: Vec<String> = fields
        .iter()
        .filter_map(|(name, v)| {
            let v = if *name == field {
                value?.to_string()
            } else {
                v.clone()
            };
            Some(format!("\"{name}\":{v}"))
        })
        .collect();
    format!("{{{}}}", members.join(","))
}

#[test]
fn the_vector_json_builder_is_faithful() {
    assert_eq!(json_of(&ticket()), vector_json_with("none", None));
    assert!(check(&ticket_of(&vector_json_with("none", None))).is_ok());
}

#[test]
fn codes_and_descriptions() {
    let all = [
        (Error::Expired, 70001),
        (Error::Empty, 70002),
        (Error::Malformed("x"), 70003),
        (Error::BadSignature, 70009),
        (Error::IdentifierMismatch, 70013),
        (Error::AppMismatch, 70014),
        (Error::NoKey, 70016),
        (Error::UnknownApp, 70020),
    ];
    for (error, code) in all {
        assert_eq!(error.code(), code);
        assert!(!error.desc().is_empty());
        assert_eq!(error.to_string(), error.desc());
    }
    assert_eq!(
        Error::Malformed("what went wrong").desc(),
        "what went wrong"
    );
}

#[test]
fn expired_70001() {
    let t = sign(KEY, &Claims::new(APP, USER, TIME, 60));
    assert_eq!(
        verify(&t, APP, USER, &[KEY], TIME + 60),
        Ok(Claims::new(APP, USER, TIME, 60))
    );
    assert_eq!(
        verify(&t, APP, USER, &[KEY], TIME + 61),
        Err(Error::Expired)
    );
    let zero = sign(KEY, &Claims::new(APP, USER, TIME, 0));
    assert_eq!(
        verify(&zero, APP, USER, &[KEY], TIME + 1),
        Err(Error::Expired)
    );
}

#[test]
fn empty_70002() {
    assert_eq!(check(""), Err(Error::Empty));
    assert_eq!(
        verify("", APP, USER, &[] as &[&str], TIME),
        Err(Error::Empty)
    );
    assert_eq!(tim_usersig::decode(""), Err(Error::Empty));
}

#[test]
fn malformed_envelope_70003() {
    let good = ticket();
    let cases: Vec<(String, &str)> = vec![
        (
            "e".repeat(MAX_TICKET_LEN + 1),
            "UserSig is longer than 8192 bytes",
        ),
        (format!("{good}!"), "UserSig is not valid base64"),
        (
            good.replace('*', "+").replace('-', "/").replace('_', "="),
            "UserSig is not valid base64",
        ),
        (
            good.trim_end_matches('_').to_string(),
            "UserSig is not valid base64",
        ),
        (
            to_ticket_alphabet(b"not zlib at all"),
            "UserSig is not valid zlib data",
        ),
        (
            to_ticket_alphabet(&zlib(b"{}", 6)[..6]),
            "UserSig zlib data is truncated",
        ),
        (
            to_ticket_alphabet(&[zlib(b"{}", 6), vec![0]].concat()),
            "UserSig has bytes after its zlib data",
        ),
        (
            to_ticket_alphabet(&zlib(&vec![b' '; MAX_DECODED_LEN + 1], 9)),
            "UserSig inflates to more than 8192 bytes",
        ),
    ];
    // The standard alphabet differs from the ticket's somewhere in a real ticket.
    assert_ne!(cases[2].0, good);
    for (ticket, desc) in cases {
        assert_eq!(check(&ticket), Err(Error::Malformed(desc)), "{desc}");
    }
    assert!("UserSig is longer than 8192 bytes".contains(&MAX_TICKET_LEN.to_string()));
    assert!("UserSig inflates to more than 8192 bytes".contains(&MAX_DECODED_LEN.to_string()));
}

#[test]
fn corrupt_checksum_70003() {
    let mut data = zlib(vector_json_with("none", None).as_bytes(), 6);
    let last = data.len() - 1;
    data[last] ^= 1;
    assert_eq!(
        check(&to_ticket_alphabet(&data)),
        Err(Error::Malformed("UserSig is not valid zlib data"))
    );
}

#[test]
fn malformed_json_70003() {
    assert_eq!(
        malformed_json("{\"TLS.ver\":"),
        "UserSig does not contain valid JSON"
    );
    assert_eq!(
        malformed_json("[1,2]"),
        "UserSig does not contain a JSON object"
    );
    assert_eq!(
        malformed_json("\"2.0\""),
        "UserSig does not contain a JSON object"
    );
    assert_eq!(
        malformed_json(&format!("{} trailing", vector_json_with("none", None))),
        "UserSig does not contain valid JSON"
    );
}

#[test]
fn each_missing_field_70003() {
    for field in [
        "TLS.ver",
        "TLS.identifier",
        "TLS.sdkappid",
        "TLS.time",
        "TLS.expire",
        "TLS.sig",
    ] {
        assert_eq!(
            malformed_json(&vector_json_with(field, None)),
            format!("{field} is missing from the UserSig")
        );
    }
}

#[test]
fn each_bad_field_70003() {
    let cases = [
        (
            "TLS.ver",
            "\"1.0\"",
            "TLS.ver in the UserSig is not \"2.0\"",
        ),
        ("TLS.ver", "2.0", "TLS.ver in the UserSig is not \"2.0\""),
        (
            "TLS.identifier",
            "12",
            "TLS.identifier in the UserSig is not a string",
        ),
        (
            "TLS.identifier",
            "null",
            "TLS.identifier in the UserSig is not a string",
        ),
        (
            "TLS.sdkappid",
            "-1",
            "TLS.sdkappid in the UserSig is not an unsigned integer",
        ),
        (
            "TLS.sdkappid",
            "1.5",
            "TLS.sdkappid in the UserSig is not an unsigned integer",
        ),
        (
            "TLS.sdkappid",
            "1e3",
            "TLS.sdkappid in the UserSig is not an unsigned integer",
        ),
        (
            "TLS.sdkappid",
            "\"\"",
            "TLS.sdkappid in the UserSig is not an unsigned integer",
        ),
        (
            "TLS.sdkappid",
            "\"+14\"",
            "TLS.sdkappid in the UserSig is not an unsigned integer",
        ),
        (
            "TLS.sdkappid",
            "\"18446744073709551616\"",
            "TLS.sdkappid in the UserSig is not an unsigned integer",
        ),
        (
            "TLS.sdkappid",
            "18446744073709551616",
            "TLS.sdkappid in the UserSig is not an unsigned integer",
        ),
        (
            "TLS.time",
            "true",
            "TLS.time in the UserSig is not an unsigned integer",
        ),
        (
            "TLS.time",
            "\"16e8\"",
            "TLS.time in the UserSig is not an unsigned integer",
        ),
        (
            "TLS.time",
            "\"01600000000\"",
            "TLS.time in the UserSig is not an unsigned integer",
        ),
        (
            "TLS.time",
            "\" 1600000000\"",
            "TLS.time in the UserSig is not an unsigned integer",
        ),
        (
            "TLS.expire",
            "[1]",
            "TLS.expire in the UserSig is not an unsigned integer",
        ),
        (
            "TLS.expire",
            "{}",
            "TLS.expire in the UserSig is not an unsigned integer",
        ),
        (
            "TLS.sig",
            "1",
            "TLS.sig in the UserSig is not a base64 HMAC-SHA256",
        ),
        (
            "TLS.sig",
            "\"not base64!\"",
            "TLS.sig in the UserSig is not a base64 HMAC-SHA256",
        ),
        (
            "TLS.sig",
            "\"YWJj\"",
            "TLS.sig in the UserSig is not a base64 HMAC-SHA256",
        ),
        (
            "TLS.sig",
            "\"1Z5PngDjGaufeSiPoBuxdHY7EK3JTdAjMP93S4KvV3M\"",
            "TLS.sig in the UserSig is not a base64 HMAC-SHA256",
        ),
    ];
    for (field, value, desc) in cases {
        assert_eq!(
            malformed_json(&vector_json_with(field, Some(value))),
            desc,
            "{field}={value}"
        );
    }
}

#[test]
fn bad_userbuf_70003() {
    for userbuf in ["1", "\"YWJ\"", "\"YW=j\"", "\"YWJk==\"", "[]"] {
        let json =
            vector_json_with("none", None).replace("}", &format!(",\"TLS.userbuf\":{userbuf}}}"));
        assert_eq!(
            malformed_json(&json),
            "TLS.userbuf in the UserSig is not a base64 string",
            "{userbuf}"
        );
    }
}

#[test]
fn bad_signature_70009() {
    let t = ticket();
    assert_eq!(
        verify(&t, APP, USER, &["wrong"], TIME),
        Err(Error::BadSignature)
    );
    // One bit of the key.
    let near = KEY.replacen('5', "4", 1);
    assert_eq!(
        verify(&t, APP, USER, &[near], TIME),
        Err(Error::BadSignature)
    );
    // Claims changed after signing: a later time, a longer expire.
    let later = vector_json_with("TLS.time", Some(&(TIME + 1).to_string()));
    assert_eq!(check(&ticket_of(&later)), Err(Error::BadSignature));
    let longer = vector_json_with("TLS.expire", Some(&(EXPIRE * 2).to_string()));
    assert_eq!(check(&ticket_of(&longer)), Err(Error::BadSignature));
    // A userbuf added after signing.
    let added = vector_json_with("none", None).replace("}", ",\"TLS.userbuf\":\"YWJj\"}");
    assert_eq!(check(&ticket_of(&added)), Err(Error::BadSignature));
}

#[test]
fn key_rotation_tries_every_key() {
    let t = ticket();
    assert!(verify(&t, APP, USER, &["old", KEY], TIME).is_ok());
    assert!(verify(&t, APP, USER, &[KEY, "new"], TIME).is_ok());
    assert!(
        verify(
            &t,
            APP,
            USER,
            &[String::from("a"), KEY.to_string(), "b".into()],
            TIME
        )
        .is_ok()
    );
    assert_eq!(
        verify(&t, APP, USER, &["old", "new"], TIME),
        Err(Error::BadSignature)
    );
}

#[test]
fn identifier_mismatch_70013() {
    let t = ticket();
    for other in ["xiaoju", "xiaojun ", "Xiaojun", ""] {
        assert_eq!(
            verify(&t, APP, other, &[KEY], TIME),
            Err(Error::IdentifierMismatch)
        );
    }
}

#[test]
fn app_mismatch_70014() {
    assert_eq!(
        verify(&ticket(), APP + 1, USER, &[KEY], TIME),
        Err(Error::AppMismatch)
    );
}

#[test]
fn no_key_70016() {
    assert_eq!(
        verify(&ticket(), APP, USER, &[] as &[String], TIME),
        Err(Error::NoKey)
    );
}

#[test]
fn checks_run_in_the_official_order() {
    // Wrong in every way: the first check decides.
    let t = sign("other key", &Claims::new(APP + 1, "bob", TIME, 1));
    let late = TIME + 10;
    assert_eq!(verify(&t, APP, USER, &[KEY], late), Err(Error::AppMismatch));
    assert_eq!(
        verify(&t, APP + 1, USER, &[KEY], late),
        Err(Error::IdentifierMismatch)
    );
    assert_eq!(
        verify(&t, APP + 1, "bob", &[KEY], late),
        Err(Error::Expired)
    );
    assert_eq!(
        verify(&t, APP + 1, "bob", &[KEY], TIME),
        Err(Error::BadSignature)
    );
    assert!(verify(&t, APP + 1, "bob", &["other key"], TIME).is_ok());
    // Decoding comes before all of them; an empty ticket and a missing key before decoding.
    assert_eq!(
        verify("e", APP, USER, &[KEY], late).map_err(|e| e.code()),
        Err(70003)
    );
    assert_eq!(
        verify("e", APP, USER, &[] as &[&str], late),
        Err(Error::NoKey)
    );
}

#[test]
fn descriptions_never_echo_secrets() {
    let t = ticket();
    let errors = [
        verify(&t, APP, USER, &["wrong"], TIME).unwrap_err(),
        verify(&t, APP + 1, USER, &[KEY], TIME).unwrap_err(),
        verify(&t, APP, "bob", &[KEY], TIME).unwrap_err(),
        verify(&t, APP, USER, &[KEY], u64::MAX).unwrap_err(),
        verify(&format!("{t}x"), APP, USER, &[KEY], TIME).unwrap_err(),
        malformed_json_error(&vector_json_with("TLS.sig", Some("\"YWJj\""))),
    ];
    for e in errors {
        let shown = format!("{e} {e:?}");
        for secret in [t.as_str(), KEY, SIG, "YWJj", "wrong"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}

fn malformed_json_error(json: &str) -> Error {
    check(&ticket_of(json)).unwrap_err()
}
