//! Errors are values with Tencent's codes: every failure an app sees has the code Tencent's SDK
//! would give for it, so apps written against Tencent's plugin handle ours unchanged.

use std::fmt;

/// Tencent's result codes that the core produces itself. Server codes (700xx) pass through
/// unchanged from the login result.
pub mod code {
    /// Success.
    pub const OK: i32 = 0;
    /// A request got no answer in time.
    pub const REQUEST_TIMEOUT: i32 = 6012;
    /// `init_sdk` has not been called (or `un_init_sdk` was).
    pub const SDK_NOT_INITIALIZED: i32 = 6013;
    /// The call needs a logged-in session.
    pub const NOT_LOGGED_IN: i32 = 6014;
    /// A parameter is missing, of the wrong type, or out of range.
    pub const INVALID_PARAMETERS: i32 = 6017;
    /// `logout` (or a login as another user) came before the login finished.
    pub const LOGGED_OUT_BEFORE_LOGIN_FINISHED: i32 = 6023;
    /// The UserSig expired: sign a new one and log in again.
    pub const USER_SIG_EXPIRED: i32 = 6206;
    /// Another device logged in while this one was offline, so its reconnect was refused.
    pub const KICKED_OFF_BY_OTHER: i32 = 6208;
    /// The UserID is empty, not visible ASCII, or over 32 bytes.
    pub const INVALID_IDENTIFIER: i32 = 7003;
    /// Interrupted, e.g. by `un_init_sdk` during a login.
    pub const INTERRUPTED: i32 = 7009;
    /// The network is unreachable, or the server refused the connection.
    pub const NETWORK_DISCONNECTED: i32 = 9508;
    /// Connecting took longer than the connect timeout.
    pub const CONNECT_TIMEOUT: i32 = 9510;
    /// The connection broke.
    pub const CONNECTION_RESET: i32 = 9514;
    /// `init_sdk` for another app while initialised.
    pub const SDK_ALREADY_INITIALIZED: i32 = 90101;
    /// The server's code for an expired UserSig.
    pub const SVR_USER_SIG_EXPIRED: i32 = 70001;
}

/// A failed call: Tencent's code and a description that says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimError {
    /// Tencent's code (never 0).
    pub code: i32,
    /// What went wrong; never contains a ticket.
    pub desc: String,
}

impl TimError {
    /// An error with this code and description.
    pub fn new(code: i32, desc: impl Into<String>) -> Self {
        TimError {
            code,
            desc: desc.into(),
        }
    }

    /// Whether this error means the ticket expired, so the app must sign a new one (Tencent's
    /// guidance: only these two codes call for a new UserSig).
    pub fn is_user_sig_expired(&self) -> bool {
        matches!(
            self.code,
            code::USER_SIG_EXPIRED | code::SVR_USER_SIG_EXPIRED
        )
    }
}

impl fmt::Display for TimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.desc)
    }
}

impl std::error::Error for TimError {}

/// The result of a core call.
pub type TimResult<T> = Result<T, TimError>;
