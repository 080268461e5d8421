//! Tencent's REST envelope: the URL parameters every call carries, the JSON body, and the answer
//! `{"ActionStatus","ErrorCode","ErrorInfo", ...}` that is always sent with HTTP 200.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Largest request body read; a bigger one is refused with [`CODE_HTTP_PARSE`].
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The HTTP request could not be read (a body over [`MAX_BODY_BYTES`] included).
pub const CODE_HTTP_PARSE: u32 = 60002;
/// The body is not JSON.
pub const CODE_JSON_PARSE: u32 = 60003;
/// `identifier` is missing from the URL.
pub const CODE_NO_IDENTIFIER: u32 = 60004;
/// `usersig` is missing from the URL.
pub const CODE_NO_USERSIG: u32 = 60005;
/// The SDKAppID is not a number or not served here.
pub const CODE_BAD_APP: u32 = 60006;
/// The command was called more often than its rate limit allows.
pub const CODE_RATE_LIMITED: u32 = 60007;
/// No such command.
pub const CODE_BAD_URL: u32 = 60009;
/// `sdkappid` is missing from the URL.
pub const CODE_NO_APP: u32 = 60012;
/// A field has the wrong type or value, or a batch is too long.
pub const CODE_INVALID_PARAM: u32 = 70402;
/// The account was never registered (imported or logged in).
pub const CODE_NOT_IMPORTED: u32 = 70107;
/// A server-side failure (the session store unreachable, say).
pub const CODE_INTERNAL: u32 = 70500;

/// A failed call: Tencent's code and a description for `ErrorInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestError {
    /// Tencent's code.
    pub code: u32,
    /// What was wrong, for people.
    pub info: String,
}

impl RestError {
    /// A failure with this code.
    pub fn new(code: u32, info: impl Into<String>) -> Self {
        RestError {
            code,
            info: info.into(),
        }
    }

    /// A field with the wrong type or value, or a batch over its limit.
    pub fn invalid(info: impl Into<String>) -> Self {
        RestError::new(CODE_INVALID_PARAM, info)
    }
}

/// The URL parameters of a call (`?sdkappid=&identifier=&usersig=&random=&contenttype=json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// The app called.
    pub sdk_app_id: u64,
    /// The administrator calling.
    pub identifier: String,
    /// The administrator's UserSig.
    pub user_sig: String,
}

impl Params {
    /// Reads the query string. Unknown parameters are ignored, as Tencent does; `random` must be
    /// a 32-bit unsigned number when present and `contenttype` must be `json`.
    pub fn parse(query: &str) -> Result<Params, RestError> {
        let (mut app, mut identifier, mut user_sig) = (None, None, None);
        for (name, value) in form_urlencoded(query) {
            match name.as_str() {
                "sdkappid" => app = Some(value),
                "identifier" => identifier = Some(value),
                "usersig" => user_sig = Some(value),
                "random" if value.parse::<u32>().is_err() => {
                    return Err(RestError::new(
                        CODE_HTTP_PARSE,
                        "random must be a 32-bit unsigned integer",
                    ));
                }
                "contenttype" if value != "json" => {
                    return Err(RestError::new(CODE_HTTP_PARSE, "contenttype must be json"));
                }
                _ => {}
            }
        }
        let app = app
            .filter(|a| !a.is_empty())
            .ok_or_else(|| RestError::new(CODE_NO_APP, "sdkappid is missing"))?;
        let sdk_app_id = app
            .parse()
            .map_err(|_| RestError::new(CODE_BAD_APP, "sdkappid must be a number"))?;
        let identifier = identifier
            .filter(|i| !i.is_empty())
            .ok_or_else(|| RestError::new(CODE_NO_IDENTIFIER, "identifier is missing"))?;
        let user_sig = user_sig
            .filter(|s| !s.is_empty())
            .ok_or_else(|| RestError::new(CODE_NO_USERSIG, "usersig is missing"))?;
        Ok(Params {
            sdk_app_id,
            identifier,
            user_sig,
        })
    }
}

/// Splits `a=1&b=%20x` into decoded pairs. Bad percent-escapes are kept as they are (a UserSig
/// never contains `%`, so nothing real is lost).
fn form_urlencoded(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(name), percent_decode(value))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', hi, lo]) => char::from(*hi)
                .to_digit(16)
                .zip(char::from(*lo).to_digit(16))
                .and_then(|(hi, lo)| u8::try_from(hi * 16 + lo).ok()),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
                continue;
            }
            (None, b'+') => out.push(b' '),
            (None, byte) => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a body: JSON syntax errors (and nesting past serde_json's depth limit) are 60003, JSON
/// of the wrong shape is 70402. An empty body reads as `{}`.
pub fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, RestError> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(body)
            .map_err(|e| RestError::new(CODE_JSON_PARSE, format!("the body is not JSON: {e}")))?
    };
    if !value.is_object() {
        return Err(RestError::new(
            CODE_JSON_PARSE,
            "the body must be a JSON object",
        ));
    }
    serde_json::from_value(value).map_err(|e| RestError::invalid(e.to_string()))
}

/// The answer to a call: the envelope, plus the command's fields on success.
pub fn answer(result: Result<Map<String, Value>, RestError>) -> Value {
    let mut out = Map::new();
    match result {
        Ok(fields) => {
            out.insert("ActionStatus".into(), "OK".into());
            out.insert("ErrorInfo".into(), "".into());
            out.insert("ErrorCode".into(), 0.into());
            out.extend(fields);
        }
        Err(e) => {
            out.insert("ActionStatus".into(), "FAIL".into());
            out.insert("ErrorInfo".into(), e.info.into());
            out.insert("ErrorCode".into(), e.code.into());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_read_in_any_order_and_decoded() {
        let p = Params::parse(
            "usersig=eJw%2Bsig&random=99&identifier=administrator&sdkappid=1400000000&contenttype=json&extra=1",
        )
        .unwrap();
        assert_eq!(p.sdk_app_id, 1_400_000_000);
        assert_eq!(p.identifier, "administrator");
        assert_eq!(p.user_sig, "eJw+sig");
    }

    #[test]
    fn missing_or_bad_parameters_have_tencents_codes() {
        let code = |q: &str| Params::parse(q).unwrap_err().code;
        assert_eq!(code("identifier=a&usersig=s"), CODE_NO_APP);
        assert_eq!(code("sdkappid=&identifier=a&usersig=s"), CODE_NO_APP);
        assert_eq!(code("sdkappid=x1&identifier=a&usersig=s"), CODE_BAD_APP);
        assert_eq!(code("sdkappid=1&usersig=s"), CODE_NO_IDENTIFIER);
        assert_eq!(code("sdkappid=1&identifier=a"), CODE_NO_USERSIG);
        assert_eq!(
            code("sdkappid=1&identifier=a&usersig=s&random=-1"),
            CODE_HTTP_PARSE
        );
        assert_eq!(
            code("sdkappid=1&identifier=a&usersig=s&contenttype=xml"),
            CODE_HTTP_PARSE
        );
        assert_eq!(code("%zz&%"), CODE_NO_APP, "bad escapes are not a crash");
    }

    #[test]
    fn bodies_distinguish_syntax_from_shape() {
        #[derive(serde::Deserialize, Debug)]
        struct Kick {
            #[serde(rename = "UserID")]
            _user: String,
        }
        assert_eq!(decode_body::<Kick>(b"{").unwrap_err().code, CODE_JSON_PARSE);
        assert_eq!(
            decode_body::<Kick>(b"[1]").unwrap_err().code,
            CODE_JSON_PARSE
        );
        let deep = "[".repeat(10_000);
        assert_eq!(
            decode_body::<Kick>(deep.as_bytes()).unwrap_err().code,
            CODE_JSON_PARSE
        );
        assert_eq!(
            decode_body::<Kick>(br#"{"UserID":5}"#).unwrap_err().code,
            CODE_INVALID_PARAM
        );
        assert_eq!(
            decode_body::<Kick>(b"").unwrap_err().code,
            CODE_INVALID_PARAM
        );
        assert!(decode_body::<Kick>(br#"{"UserID":"a","New":1}"#).is_ok());
    }

    #[test]
    fn the_envelope_says_ok_or_fail() {
        let mut fields = Map::new();
        fields.insert("FailAccounts".into(), Value::Array(vec![]));
        assert_eq!(
            answer(Ok(fields)).to_string(),
            r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","FailAccounts":[]}"#
        );
        assert_eq!(
            answer(Err(RestError::new(60009, "no such command"))).to_string(),
            r#"{"ActionStatus":"FAIL","ErrorCode":60009,"ErrorInfo":"no such command"}"#
        );
    }
}
