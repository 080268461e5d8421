//! Properties: whatever is signed verifies with its key, decodes to what was signed, and fails
//! with any other key.

mod common;

use hmac::Mac;
use proptest::prelude::*;
use tim_usersig::{Claims, Error, decode, sign, verify};

/// UserIDs as the SDK allows them, and any Unicode (the signer does not restrict them).
fn identifier() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{1,32}",
        any::<String>().prop_filter("1..=32 chars", |s| {
            (1..=32).contains(&s.chars().count())
        })
    ]
}

/// Keys without control characters. HMAC pads keys with zero bytes, so "k" and "k\0" are the
/// same key: a NUL would make two "different" keys agree.
fn key() -> impl Strategy<Value = String> {
    prop_oneof!["[ -~]{1,64}", "\\PC{1,40}"]
}

fn claims() -> impl Strategy<Value = Claims> {
    (
        any::<u64>(),
        identifier(),
        any::<u64>(),
        any::<u64>(),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
    )
        .prop_map(|(app, id, time, expire, userbuf)| Claims {
            identifier: id,
            sdkappid: app,
            time,
            expire,
            userbuf,
        })
}

proptest! {
    #[test]
    fn signed_tickets_verify(claims in claims(), key in key(), offset in any::<u64>()) {
        let ticket = sign(&key, &claims);
        prop_assert!(ticket.len() <= tim_usersig::MAX_TICKET_LEN);
        // Any instant from signing to the last valid second.
        let now = claims.time + offset % (claims.expires_at() - claims.time).saturating_add(1);
        prop_assert_eq!(
            verify(&ticket, claims.sdkappid, &claims.identifier, &[&key], now),
            Ok(claims.clone())
        );
        if let Some(after) = claims.expires_at().checked_add(1) {
            prop_assert_eq!(
                verify(&ticket, claims.sdkappid, &claims.identifier, &[&key], after),
                Err(Error::Expired)
            );
        }
    }

    #[test]
    fn decode_gives_back_claims_and_hmac(claims in claims(), key in key()) {
        let (decoded, sig) = decode(&sign(&key, &claims)).unwrap();
        let mut text = format!(
            "TLS.identifier:{}\nTLS.sdkappid:{}\nTLS.time:{}\nTLS.expire:{}\n",
            claims.identifier, claims.sdkappid, claims.time, claims.expire
        );
        if let Some(userbuf) = &claims.userbuf {
            use base64::Engine;
            let b64 = base64::engine::general_purpose::STANDARD.encode(userbuf);
            text.push_str(&format!("TLS.userbuf:{b64}\n"));
        }
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(text.as_bytes());
        prop_assert_eq!(sig, mac.finalize().into_bytes().to_vec());
        prop_assert_eq!(decoded, claims);
    }

    #[test]
    fn any_other_key_is_70009(claims in claims(), key in key(), other in key()) {
        prop_assume!(key != other);
        let ticket = sign(&key, &claims);
        prop_assert_eq!(
            verify(&ticket, claims.sdkappid, &claims.identifier, &[&other], claims.time),
            Err(Error::BadSignature)
        );
        prop_assert!(verify(&ticket, claims.sdkappid, &claims.identifier, &[&other, &key], claims.time).is_ok());
    }
}
