//! The frames of protocol version 1: JSON text messages tagged by `type`.

use crate::limits::MAX_FRAME_BYTES;
use crate::login::{CODE_INVALID_PARAMETERS, LoginRequest};
use crate::platform::Platform;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A frame the client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// A first-frame login, for clients that cannot put the login in the upgrade headers.
    Login(LoginRequest),
    /// End the session. The server answers with [`ServerFrame::LogoutResult`] and closes.
    Logout {
        /// Echoed in the answer.
        seq: u64,
    },
    /// Heartbeat. Any frame keeps a connection alive; a client with nothing to say sends this.
    Ping {
        /// Echoed in the answer.
        seq: u64,
    },
    /// A renewed ticket for the session (protocol version 2): the server verifies it as a
    /// login's and, when it is good, the session expires with it from now on. Answered with
    /// [`ServerFrame::TicketResult`]; a refused ticket leaves the session on the one it had.
    Ticket {
        /// Echoed in the answer.
        seq: u64,
        /// The new UserSig, of the session's account.
        #[serde(rename = "usersig")]
        user_sig: String,
    },
}

/// The answer to a login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResult {
    /// 0 on success, otherwise Tencent's code (700xx for ticket and account errors).
    pub code: u32,
    /// "ok", or what was wrong.
    pub desc: String,
    /// The server's clock, in Unix milliseconds, so the SDK can answer `getServerTime`.
    pub server_time_ms: u64,
    /// Names this session in the server's logs; empty when the login failed.
    pub session_id: String,
    /// The newest protocol version the server speaks; a server of version 1 sends none. The
    /// client uses a frame that a later version added only when this names that version.
    #[serde(rename = "v", default = "version_one")]
    pub protocol: u32,
}

/// What a login result without `v` means: a server that speaks version 1 only.
fn version_one() -> u32 {
    1
}

/// Why the server ended a session: another login of the same account took its place, or the
/// app's server kicked the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KickReason {
    /// More instances of one platform than the app's limit: the oldest goes.
    DeviceLimit,
    /// The app's policy does not allow the new platform online together with this one.
    PlatformConflict,
    /// The app's server kicked the user (REST `kick`): every session ends.
    Admin,
}

/// A frame the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The answer to a login. On failure the server closes the connection after it.
    LoginResult(LoginResult),
    /// The answer to [`ClientFrame::Logout`]; the server closes the connection after it.
    LogoutResult {
        /// The request's `seq`.
        seq: u64,
        /// 0 on success.
        code: u32,
        /// "ok", or what was wrong.
        desc: String,
    },
    /// The answer to [`ClientFrame::Ping`].
    Pong {
        /// The request's `seq`.
        seq: u64,
        /// The server's clock, in Unix milliseconds.
        server_time_ms: u64,
    },
    /// Another login of the same account took this session's place, or the app's server kicked
    /// the user; the server closes the connection after this frame, and the client must not
    /// reconnect by itself.
    KickedOffline {
        /// Which rule made room for the new login, or [`KickReason::Admin`].
        reason: KickReason,
        /// The platform of the login that took the place; absent for [`KickReason::Admin`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by_platform: Option<Platform>,
    },
    /// The session's ticket expired; the server closes the connection after this frame. The app
    /// must sign a new ticket and log in again.
    UserSigExpired,
    /// The server is shutting down; the client should reconnect (to this or another server).
    GoingAway {
        /// Why, for logs.
        reason: String,
    },
    /// The answer to [`ClientFrame::Ticket`].
    TicketResult {
        /// The request's `seq`.
        seq: u64,
        /// 0 when the session now lives on the new ticket; otherwise the code a login with it
        /// would have had (70001, 70009, 70013, 70052, …), and the session keeps its old ticket.
        code: u32,
        /// "ok", or what was wrong.
        desc: String,
    },
    /// A frame the server could not accept. The connection stays open.
    Error {
        /// Tencent's code (70402 for a malformed frame).
        code: u32,
        /// What was wrong.
        desc: String,
    },
}

/// A frame or request that could not be accepted, with Tencent's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    /// Tencent's code.
    pub code: u32,
    /// What was wrong; never contains the offending input itself.
    pub desc: String,
}

impl FrameError {
    /// A new error.
    pub fn new(code: u32, desc: &str) -> Self {
        FrameError {
            code,
            desc: desc.to_owned(),
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.desc)
    }
}

impl std::error::Error for FrameError {}

/// Parses a JSON text frame, refusing frames over [`MAX_FRAME_BYTES`] before reading them.
fn decode<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, FrameError> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(FrameError::new(
            CODE_INVALID_PARAMETERS,
            "frame is larger than 16384 bytes",
        ));
    }
    serde_json::from_str(text).map_err(|e| {
        // serde's message names the field or the position, never echoes the input's values.
        FrameError::new(CODE_INVALID_PARAMETERS, &format!("malformed frame: {e}"))
    })
}

impl ClientFrame {
    /// Parses a frame from a client.
    pub fn decode(text: &str) -> Result<Self, FrameError> {
        decode(text)
    }

    /// The frame as JSON text.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("client frames always serialize")
    }
}

impl ServerFrame {
    /// Parses a frame from the server.
    pub fn decode(text: &str) -> Result<Self, FrameError> {
        decode(text)
    }

    /// The frame as JSON text.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("server frames always serialize")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PROTOCOL_VERSION;
    use proptest::prelude::*;

    #[test]
    fn wire_form_is_stable() {
        assert_eq!(
            ClientFrame::Ping { seq: 7 }.encode(),
            r#"{"type":"ping","seq":7}"#
        );
        assert_eq!(
            ServerFrame::KickedOffline {
                reason: KickReason::DeviceLimit,
                by_platform: Some(Platform::IPhone)
            }
            .encode(),
            r#"{"type":"kicked_offline","reason":"device_limit","by_platform":"iphone"}"#
        );
        assert_eq!(
            ServerFrame::KickedOffline {
                reason: KickReason::Admin,
                by_platform: None
            }
            .encode(),
            r#"{"type":"kicked_offline","reason":"admin"}"#
        );
        assert_eq!(
            ServerFrame::UserSigExpired.encode(),
            r#"{"type":"user_sig_expired"}"#
        );
        let login = ClientFrame::decode(
            r#"{"type":"login","v":1,"sdkappid":1400000000,"userid":"bob","usersig":"x",
                "platform":"web","instance":"i1","sdk_version":"js"}"#,
        )
        .unwrap();
        let ClientFrame::Login(request) = login else {
            panic!("not a login: {login:?}")
        };
        assert_eq!(request.protocol, PROTOCOL_VERSION);
        assert_eq!(request.platform, Platform::Web);
        assert_eq!(
            ClientFrame::Ticket {
                seq: 2,
                user_sig: "t".into()
            }
            .encode(),
            r#"{"type":"ticket","seq":2,"usersig":"t"}"#
        );
    }

    #[test]
    fn a_login_result_without_a_version_is_a_version_1_servers() {
        let old =
            r#"{"type":"login_result","code":0,"desc":"ok","server_time_ms":1,"session_id":"s"}"#;
        let ServerFrame::LoginResult(result) = ServerFrame::decode(old).unwrap() else {
            panic!("not a login result")
        };
        assert_eq!(result.protocol, 1);
    }

    #[test]
    fn every_server_frame_round_trips() {
        let frames = [
            ServerFrame::LoginResult(LoginResult {
                code: 0,
                desc: "ok".into(),
                server_time_ms: 1_700_000_000_000,
                session_id: "s1".into(),
                protocol: crate::PROTOCOL_NEWEST,
            }),
            ServerFrame::TicketResult {
                seq: 4,
                code: 70009,
                desc: "bad".into(),
            },
            ServerFrame::LogoutResult {
                seq: 3,
                code: 0,
                desc: "ok".into(),
            },
            ServerFrame::Pong {
                seq: 9,
                server_time_ms: 5,
            },
            ServerFrame::KickedOffline {
                reason: KickReason::PlatformConflict,
                by_platform: Some(Platform::Web),
            },
            ServerFrame::KickedOffline {
                reason: KickReason::Admin,
                by_platform: None,
            },
            ServerFrame::UserSigExpired,
            ServerFrame::GoingAway {
                reason: "shutdown".into(),
            },
            ServerFrame::Error {
                code: 70402,
                desc: "bad".into(),
            },
        ];
        for frame in frames {
            assert_eq!(ServerFrame::decode(&frame.encode()).unwrap(), frame);
        }
    }

    #[test]
    fn malformed_and_oversized_frames_get_70402() {
        for text in [
            "",
            "{",
            "[]",
            r#"{"type":"nope"}"#,
            r#"{"type":"ping"}"#,
            r#"{"type":"ping","seq":-1}"#,
        ] {
            assert_eq!(ClientFrame::decode(text).unwrap_err().code, 70402, "{text}");
        }
        let big = format!(
            r#"{{"type":"ping","seq":1,"pad":"{}"}}"#,
            "x".repeat(MAX_FRAME_BYTES)
        );
        let err = ClientFrame::decode(&big).unwrap_err();
        assert!(err.desc.contains("larger"), "{}", err.desc);
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,300}") {
            let _ = ClientFrame::decode(&text);
            let _ = ServerFrame::decode(&text);
        }
    }
}
