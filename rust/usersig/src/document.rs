//! The JSON document inside a ticket. Writing follows the official Node library's field order;
//! reading parses (key order and spacing vary between the official libraries) and names the
//! first field that is wrong, never echoing its value.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Claims, Error};

/// The only version this format has; v1 tickets were ECDSA and are a different format.
const VERSION: &str = "2.0";

/// Length of an HMAC-SHA256.
const SIG_LEN: usize = 32;

/// The document as written, in the official libraries' field order.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "TLS.ver")]
    ver: &'a str,
    #[serde(rename = "TLS.identifier")]
    identifier: &'a str,
    #[serde(rename = "TLS.sdkappid")]
    sdkappid: u64,
    #[serde(rename = "TLS.time")]
    time: u64,
    #[serde(rename = "TLS.expire")]
    expire: u64,
    #[serde(rename = "TLS.userbuf", skip_serializing_if = "Option::is_none")]
    userbuf: Option<&'a str>,
    #[serde(rename = "TLS.sig")]
    sig: &'a str,
}

/// The JSON of a ticket for `claims`; `userbuf` and `sig` are already in base64.
pub(crate) fn to_json(claims: &Claims, userbuf: Option<&str>, sig: &str) -> Vec<u8> {
    let document = Document {
        ver: VERSION,
        identifier: &claims.identifier,
        sdkappid: claims.sdkappid,
        time: claims.time,
        expire: claims.expire,
        userbuf,
        sig,
    };
    // Serializing strings and integers cannot fail.
    serde_json::to_vec(&document).unwrap_or_default()
}

/// A field's name and the descriptions of its two ways to be wrong, as static text.
struct Field {
    name: &'static str,
    missing: &'static str,
    bad: &'static str,
}

macro_rules! field {
    ($name:literal, $expected:literal) => {
        Field {
            name: $name,
            missing: concat!($name, " is missing from the UserSig"),
            bad: concat!($name, " in the UserSig is not ", $expected),
        }
    };
}

const VER: Field = field!("TLS.ver", "\"2.0\"");
const IDENTIFIER: Field = field!("TLS.identifier", "a string");
const SDKAPPID: Field = field!("TLS.sdkappid", "an unsigned integer");
const TIME: Field = field!("TLS.time", "an unsigned integer");
const EXPIRE: Field = field!("TLS.expire", "an unsigned integer");
const USERBUF: Field = field!("TLS.userbuf", "a base64 string");
const SIG: Field = field!("TLS.sig", "a base64 HMAC-SHA256");

/// Parses the JSON of a ticket into its claims and the raw signature bytes.
pub(crate) fn from_json(json: &[u8]) -> Result<(Claims, Vec<u8>), Error> {
    let value: Value = serde_json::from_slice(json)
        .map_err(|_| Error::Malformed("UserSig does not contain valid JSON"))?;
    let Value::Object(doc) = value else {
        return Err(Error::Malformed("UserSig does not contain a JSON object"));
    };
    if string(&doc, &VER)? != VERSION {
        return Err(Error::Malformed(VER.bad));
    }
    let claims = Claims {
        identifier: string(&doc, &IDENTIFIER)?.to_owned(),
        sdkappid: integer(&doc, &SDKAPPID)?,
        time: integer(&doc, &TIME)?,
        expire: integer(&doc, &EXPIRE)?,
        userbuf: match doc.get(USERBUF.name) {
            None | Some(Value::Null) => None,
            Some(_) => Some(base64(&doc, &USERBUF)?),
        },
    };
    let sig = base64(&doc, &SIG)?;
    if sig.len() != SIG_LEN {
        return Err(Error::Malformed(SIG.bad));
    }
    Ok((claims, sig))
}

fn get<'a>(doc: &'a Map<String, Value>, field: &Field) -> Result<&'a Value, Error> {
    doc.get(field.name).ok_or(Error::Malformed(field.missing))
}

fn string<'a>(doc: &'a Map<String, Value>, field: &Field) -> Result<&'a str, Error> {
    get(doc, field)?.as_str().ok_or(Error::Malformed(field.bad))
}

/// A JSON integer, or a string of digits: some official libraries write the numbers as strings
/// when the caller passed strings, and they sign the same digits. Leading zeros are refused, since
/// the signed text is checked with the number's canonical digits.
fn integer(doc: &Map<String, Value>, field: &Field) -> Result<u64, Error> {
    let parsed = match get(doc, field)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if is_canonical_digits(s) => s.parse().ok(),
        _ => None,
    };
    parsed.ok_or(Error::Malformed(field.bad))
}

/// Standard base64 with padding, canonical only, so that re-encoding gives back the signed text.
fn base64(doc: &Map<String, Value>, field: &Field) -> Result<Vec<u8>, Error> {
    STANDARD
        .decode(string(doc, field)?)
        .map_err(|_| Error::Malformed(field.bad))
}

fn is_canonical_digits(s: &str) -> bool {
    let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits && (s == "0" || !s.starts_with('0'))
}
