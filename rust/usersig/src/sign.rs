//! Signing: the text the HMAC covers, and the ticket around it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{Claims, codec, document};

/// HMAC-SHA256 keyed with the app's secret key string.
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// The text the signature covers, one `\n`-terminated line per claim. The userbuf enters in
/// base64, exactly as the ticket carries it.
fn content_to_sign(claims: &Claims, userbuf: Option<&str>) -> String {
    let mut content = format!(
        "TLS.identifier:{}\nTLS.sdkappid:{}\nTLS.time:{}\nTLS.expire:{}\n",
        claims.identifier, claims.sdkappid, claims.time, claims.expire
    );
    if let Some(userbuf) = userbuf {
        content.push_str("TLS.userbuf:");
        content.push_str(userbuf);
        content.push('\n');
    }
    content
}

/// The HMAC state after absorbing the claims under `key`; finalize to sign, or compare in
/// constant time to verify.
pub(crate) fn mac(key: &str, claims: &Claims) -> HmacSha256 {
    let userbuf = claims.userbuf.as_ref().map(|b| STANDARD.encode(b));
    mac_with(key, claims, userbuf.as_deref())
}

fn mac_with(key: &str, claims: &Claims, userbuf: Option<&str>) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(content_to_sign(claims, userbuf).as_bytes());
    mac
}

/// Signs `claims` with the app's secret `key` and returns the ticket, in the format of Tencent's
/// official `TLSSigAPIv2` libraries.
///
/// Signing cannot fail, but a ticket longer than [`MAX_TICKET_LEN`](crate::MAX_TICKET_LEN)
/// (an identifier or userbuf of several kilobytes) will not verify.
pub fn sign(key: &str, claims: &Claims) -> String {
    let userbuf = claims.userbuf.as_ref().map(|b| STANDARD.encode(b));
    let sig = STANDARD.encode(
        mac_with(key, claims, userbuf.as_deref())
            .finalize()
            .into_bytes(),
    );
    codec::wrap(&document::to_json(claims, userbuf.as_deref(), &sig))
}
