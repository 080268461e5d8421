//! The login request: what a client proves and declares when it connects, carried either in the
//! WebSocket upgrade request headers or in a first `login` frame.

use crate::frame::FrameError;
use crate::limits::{
    MAX_INSTANCE_ID_BYTES, MAX_SDK_VERSION_BYTES, MAX_USER_ID_BYTES, MAX_USER_SIG_BYTES,
};
use crate::platform::Platform;
use crate::{PROTOCOL_NEWEST, PROTOCOL_VERSION};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Names of the upgrade request headers that carry a login. Lower case, as HTTP/2 and most
/// libraries normalise them.
pub mod headers {
    /// The protocol version the client speaks (decimal).
    pub const PROTOCOL: &str = "x-tim-protocol";
    /// The SDKAppID (decimal).
    pub const SDK_APP_ID: &str = "x-tim-sdkappid";
    /// The UserID.
    pub const USER_ID: &str = "x-tim-userid";
    /// The UserSig ticket.
    pub const USER_SIG: &str = "x-tim-usersig";
    /// The platform name (see [`crate::Platform`]).
    pub const PLATFORM: &str = "x-tim-platform";
    /// The instance id: stable for one app instance across its reconnects.
    pub const INSTANCE_ID: &str = "x-tim-instance";
    /// The SDK's version, for logs and metrics.
    pub const SDK_VERSION: &str = "x-tim-sdk-version";
    /// `1` when the SDK is reconnecting a session by itself, rather than logging in for the app.
    pub const RECONNECT: &str = "x-tim-reconnect";
}

/// Code for a request the server cannot accept as formed (Tencent's "invalid parameters").
pub const CODE_INVALID_PARAMETERS: u32 = 70402;
/// Code for a login without a ticket.
pub const CODE_USER_SIG_EMPTY: u32 = 70002;

/// A login: who the client says it is, the ticket that proves it, and which instance it is.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    /// The protocol version the client speaks.
    #[serde(rename = "v")]
    pub protocol: u32,
    /// The application.
    #[serde(rename = "sdkappid")]
    pub sdk_app_id: u64,
    /// The account.
    #[serde(rename = "userid")]
    pub user_id: String,
    /// The ticket that the app's business server signed for `user_id`.
    #[serde(rename = "usersig")]
    pub user_sig: String,
    /// Where the instance runs; the multi-device policy is written in platforms.
    pub platform: Platform,
    /// Chosen by the client once per app instance and kept across reconnects, so that a reconnect
    /// replaces its own session instead of counting as another device.
    #[serde(rename = "instance")]
    pub instance_id: String,
    /// The SDK's version.
    pub sdk_version: String,
    /// The SDK is reconnecting a session by itself (after a network drop), not logging in for the
    /// app. A reconnect never displaces another session: if the account's policy has no room for
    /// it any more, the server answers 6208 (kicked by another device while offline).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reconnect: bool,
}

/// Tickets never reach a log line: the `Debug` form says only how long the ticket is.
impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("protocol", &self.protocol)
            .field("sdk_app_id", &self.sdk_app_id)
            .field("user_id", &self.user_id)
            .field("user_sig", &format_args!("<{} bytes>", self.user_sig.len()))
            .field("platform", &self.platform)
            .field("instance_id", &self.instance_id)
            .field("sdk_version", &self.sdk_version)
            .field("reconnect", &self.reconnect)
            .finish()
    }
}

/// Checks a UserID: 1 to 32 bytes of visible ASCII (`!` to `~`). Tencent recommends
/// `[A-Za-z0-9_-]`; the wider set is what its SDKs accept. Spaces are refused because HTTP trims
/// them from header values.
///
/// The one rule for a UserID: the server's login ([`LoginRequest::validate`]), its REST commands
/// and `admins` setting, and the SDK's `login` parameter check all use it, so that what cannot
/// log in cannot be imported. The error is the reason, naming the UserID, for the caller to wrap
/// in its own code (70402 on the server, 7003 in the SDK).
pub fn validate_user_id(user_id: &str) -> Result<(), &'static str> {
    if user_id.is_empty() {
        Err("UserID is empty")
    } else if user_id.len() > MAX_USER_ID_BYTES {
        Err("UserID is longer than 32 bytes")
    } else if !user_id.bytes().all(|b| b.is_ascii_graphic()) {
        Err("UserID has a character that is not visible ASCII")
    } else {
        Ok(())
    }
}

/// Checks a UserSig's form, as a login's or a `ticket` frame's: 70002 when it is empty, 70402
/// when it is over 8 KiB. Whether it verifies is the server's business.
pub fn validate_user_sig(user_sig: &str) -> Result<(), FrameError> {
    if user_sig.is_empty() {
        Err(FrameError::new(CODE_USER_SIG_EMPTY, "UserSig is empty"))
    } else if user_sig.len() > MAX_USER_SIG_BYTES {
        Err(FrameError::new(
            CODE_INVALID_PARAMETERS,
            "UserSig is longer than 8192 bytes",
        ))
    } else {
        Ok(())
    }
}

/// Checks an instance id: 1 to 64 bytes of `[A-Za-z0-9_-]`.
pub fn validate_instance_id(instance_id: &str) -> Result<(), &'static str> {
    if instance_id.is_empty() {
        Err("instance id is empty")
    } else if instance_id.len() > MAX_INSTANCE_ID_BYTES {
        Err("instance id is longer than 64 bytes")
    } else if !instance_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        Err("instance id may only hold letters, digits, '_' and '-'")
    } else {
        Ok(())
    }
}

impl LoginRequest {
    /// Checks every field against the protocol's rules, so that the server verifies tickets only
    /// for well-formed requests. Errors carry Tencent's codes: 70002 for a missing ticket, 70402
    /// for everything else.
    pub fn validate(&self) -> Result<(), FrameError> {
        let invalid = |desc: &str| FrameError::new(CODE_INVALID_PARAMETERS, desc);
        if !(PROTOCOL_VERSION..=PROTOCOL_NEWEST).contains(&self.protocol) {
            return Err(invalid(&format!(
                "unsupported protocol version {} (this server speaks {PROTOCOL_VERSION} to {PROTOCOL_NEWEST})",
                self.protocol
            )));
        }
        validate_user_id(&self.user_id).map_err(invalid)?;
        validate_instance_id(&self.instance_id).map_err(invalid)?;
        validate_user_sig(&self.user_sig)?;
        if self.sdk_version.len() > MAX_SDK_VERSION_BYTES {
            return Err(invalid("SDK version is longer than 64 bytes"));
        }
        Ok(())
    }

    /// Reads a login from upgrade request headers. `get` returns a header's value, or `None` when
    /// it is absent. Returns `Ok(None)` when the request carries no login at all (the client will
    /// send a `login` frame), and an error when it carries a partial or malformed one.
    pub fn from_headers<'a>(
        get: impl Fn(&str) -> Option<&'a [u8]>,
    ) -> Result<Option<LoginRequest>, FrameError> {
        if get(headers::SDK_APP_ID).is_none() && get(headers::USER_ID).is_none() {
            return Ok(None);
        }
        let text = |name: &'static str| -> Result<&'a str, FrameError> {
            let value = get(name).ok_or_else(|| {
                FrameError::new(CODE_INVALID_PARAMETERS, &format!("missing header {name}"))
            })?;
            std::str::from_utf8(value).map_err(|_| {
                FrameError::new(
                    CODE_INVALID_PARAMETERS,
                    &format!("header {name} is not UTF-8"),
                )
            })
        };
        let number = |name: &'static str| -> Result<u64, FrameError> {
            text(name)?.parse().map_err(|_| {
                FrameError::new(
                    CODE_INVALID_PARAMETERS,
                    &format!("header {name} is not a decimal number"),
                )
            })
        };
        let user_sig = match get(headers::USER_SIG) {
            None => String::new(),
            Some(_) => text(headers::USER_SIG)?.to_owned(),
        };
        let request = LoginRequest {
            protocol: u32::try_from(number(headers::PROTOCOL)?).unwrap_or(u32::MAX),
            sdk_app_id: number(headers::SDK_APP_ID)?,
            user_id: text(headers::USER_ID)?.to_owned(),
            user_sig,
            platform: text(headers::PLATFORM)?.parse().map_err(|e| {
                FrameError::new(
                    CODE_INVALID_PARAMETERS,
                    &format!("header {}: {e}", headers::PLATFORM),
                )
            })?,
            instance_id: text(headers::INSTANCE_ID)?.to_owned(),
            sdk_version: get(headers::SDK_VERSION)
                .map(|_| text(headers::SDK_VERSION).map(str::to_owned))
                .transpose()?
                .unwrap_or_default(),
            reconnect: get(headers::RECONNECT).is_some_and(|v| v == b"1"),
        };
        request.validate()?;
        Ok(Some(request))
    }

    /// The upgrade request headers that carry this login, for clients.
    pub fn to_headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            (headers::PROTOCOL, self.protocol.to_string()),
            (headers::SDK_APP_ID, self.sdk_app_id.to_string()),
            (headers::USER_ID, self.user_id.clone()),
            (headers::USER_SIG, self.user_sig.clone()),
            (headers::PLATFORM, self.platform.as_str().to_owned()),
            (headers::INSTANCE_ID, self.instance_id.clone()),
            (headers::SDK_VERSION, self.sdk_version.clone()),
        ];
        if self.reconnect {
            headers.push((headers::RECONNECT, "1".to_owned()));
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn sample() -> LoginRequest {
        LoginRequest {
            protocol: PROTOCOL_VERSION,
            sdk_app_id: 1_400_000_000,
            user_id: "alice".into(),
            user_sig: "eJyrVgrxCdYrSy1SslIyUqoFAC-sBDU_".into(),
            platform: Platform::Android,
            instance_id: "a1b2c3".into(),
            sdk_version: "0.1.0".into(),
            reconnect: false,
        }
    }

    fn parse(pairs: &[(&'static str, String)]) -> Result<Option<LoginRequest>, FrameError> {
        let map: HashMap<&str, &[u8]> = pairs.iter().map(|(k, v)| (*k, v.as_bytes())).collect();
        LoginRequest::from_headers(|name| map.get(name).copied())
    }

    #[test]
    fn headers_round_trip() {
        let request = sample();
        assert_eq!(parse(&request.to_headers()).unwrap(), Some(request));
        let reconnect = LoginRequest {
            reconnect: true,
            ..sample()
        };
        assert_eq!(parse(&reconnect.to_headers()).unwrap(), Some(reconnect));
    }

    #[test]
    fn no_login_headers_means_a_first_frame_login() {
        assert_eq!(parse(&[]).unwrap(), None);
    }

    #[test]
    fn partial_or_bad_headers_are_refused_with_codes() {
        let full = sample().to_headers();
        let without =
            |name: &str| -> Vec<_> { full.iter().filter(|(k, _)| *k != name).cloned().collect() };
        let with = |name: &str, value: &str| -> Vec<_> {
            full.iter()
                .map(|(k, v)| {
                    (
                        *k,
                        if *k == name {
                            value.to_owned()
                        } else {
                            v.clone()
                        },
                    )
                })
                .collect()
        };
        let code = |pairs: Vec<(&'static str, String)>| parse(&pairs).unwrap_err().code;
        assert_eq!(code(without(headers::USER_SIG)), CODE_USER_SIG_EMPTY);
        assert_eq!(code(with(headers::USER_SIG, "")), CODE_USER_SIG_EMPTY);
        assert_eq!(code(without(headers::PLATFORM)), CODE_INVALID_PARAMETERS);
        assert_eq!(
            code(with(headers::PLATFORM, "nokia")),
            CODE_INVALID_PARAMETERS
        );
        assert_eq!(
            code(with(headers::SDK_APP_ID, "12ab")),
            CODE_INVALID_PARAMETERS
        );
        assert_eq!(code(with(headers::PROTOCOL, "0")), CODE_INVALID_PARAMETERS);
        assert_eq!(code(with(headers::PROTOCOL, "3")), CODE_INVALID_PARAMETERS);
        assert!(parse(&with(headers::PROTOCOL, "2")).is_ok());
        assert_eq!(
            code(with(headers::USER_ID, &"u".repeat(33))),
            CODE_INVALID_PARAMETERS
        );
        assert_eq!(
            code(with(headers::INSTANCE_ID, "a b")),
            CODE_INVALID_PARAMETERS
        );
        assert_eq!(
            code(with(headers::USER_SIG, &"x".repeat(8193))),
            CODE_INVALID_PARAMETERS
        );
        let err = parse(&without(headers::INSTANCE_ID)).unwrap_err();
        assert!(err.desc.contains(headers::INSTANCE_ID), "{}", err.desc);
    }

    #[test]
    fn user_ids_follow_tencents_rules() {
        assert!(validate_user_id("alice_01-x").is_ok());
        assert!(validate_user_id(&"a".repeat(32)).is_ok());
        assert!(validate_user_id("a@b.c").is_ok());
        assert!(validate_user_id("").is_err());
        assert!(validate_user_id(&"a".repeat(33)).is_err());
        assert!(validate_user_id("ali ce").is_err());
        assert!(validate_user_id("bjørn").is_err());
        assert!(validate_user_id("tab\t").is_err());
    }

    #[test]
    fn debug_never_shows_the_ticket() {
        let request = sample();
        let shown = format!("{request:?}");
        assert!(!shown.contains(&request.user_sig), "{shown}");
        assert!(shown.contains("alice"));
    }
}
