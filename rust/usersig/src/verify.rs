//! Checking a ticket presented at login, in the order Tencent's verifier uses so that a client
//! sees the same code for the same mistake.

use hmac::Mac;

use crate::{Claims, Error, codec, document, sign};

/// Decodes a ticket into its claims and raw signature bytes, without checking the signature or
/// the expiry. For logs and diagnostics; use [`verify`] to authenticate.
pub fn decode(ticket: &str) -> Result<(Claims, Vec<u8>), Error> {
    document::from_json(&codec::unwrap(ticket)?)
}

/// Verifies that `ticket` lets `identifier` log in to app `sdkappid` at `now` (unix seconds).
///
/// `keys` are the app's current keys; more than one during a key rotation, tried in turn. Checks
/// in Tencent's order: empty (70002), key configured (70016), decoding (70003), SDKAppID (70014),
/// UserID (70013), expiry (70001), signature (70009). Signatures are compared in constant time.
pub fn verify<K: AsRef<str>>(
    ticket: &str,
    sdkappid: u64,
    identifier: &str,
    keys: &[K],
    now: u64,
) -> Result<Claims, Error> {
    if ticket.is_empty() {
        return Err(Error::Empty);
    }
    if keys.is_empty() {
        return Err(Error::NoKey);
    }
    let (claims, sig) = decode(ticket)?;
    if claims.sdkappid != sdkappid {
        return Err(Error::AppMismatch);
    }
    if claims.identifier != identifier {
        return Err(Error::IdentifierMismatch);
    }
    if claims.is_expired(now) {
        return Err(Error::Expired);
    }
    let signed_with_a_key = keys
        .iter()
        .any(|key| sign::mac(key.as_ref(), &claims).verify_slice(&sig).is_ok());
    if signed_with_a_key {
        Ok(claims)
    } else {
        Err(Error::BadSignature)
    }
}
