//! Errors are values with Tencent's codes: every failure an app sees has the code Tencent's SDK
//! would give for it, so apps written against Tencent's plugin handle ours unchanged.

use std::fmt;

/// Declares the code table once: the constants in [`code`] and the rows of [`CODES`], from
/// which `js/types.ts`'s `V2TimErrorCode` and `docs/errors.md` are checked (`tests/error_table.rs`).
macro_rules! codes {
    ($($(#[doc = $doc:literal])* $constant:ident = $value:literal, $name:literal, $when:literal;)*) => {
        /// Tencent's result codes that the SDK answers with: its own, and the server's (700xx),
        /// which pass through unchanged from the login result.
        pub mod code {
            $($(#[doc = $doc])* pub const $constant: i32 = $value;)*
        }

        /// Every code of [`code`], with Tencent's name for it and when this SDK answers it.
        pub const CODES: &[CodeInfo] = &[$(CodeInfo { code: $value, name: $name, when: $when }),*];
    };
}

/// One row of the code table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    /// The number.
    pub code: i32,
    /// Its name in `V2TimErrorCode` (Tencent's, where Tencent names it).
    pub name: &'static str,
    /// When this SDK answers it, as `docs/errors.md` says.
    pub when: &'static str,
}

codes! {
    /// Success.
    SUCCESS = 0, "ERR_SUCC", "success";
    /// A request got no answer in time.
    REQUEST_TIMEOUT = 6012, "ERR_REQUEST_TIME_OUT",
        "the server did not answer in time (the login result, a send)";
    /// `init_sdk` has not been called (or `un_init_sdk` was), or the native library is missing.
    SDK_NOT_INITIALIZED = 6013, "ERR_SDK_NOT_INITIALIZED",
        "a call before `initSDK`, or after `unInitSDK`; also every call when the native module or library is missing from the app (the description says how to add it)";
    /// The call needs a logged-in session.
    NOT_LOGGED_IN = 6014, "ERR_SDK_NOT_LOGGED_IN", "`getServerTime` before a login finished";
    /// A parameter is missing, of the wrong type, or out of range.
    INVALID_PARAMETERS = 6017, "ERR_INVALID_PARAMETERS",
        "a missing parameter, a wrong type, an unknown method or option, a bad `serverUrl` or `extraCaPem`, a `ws://` server beyond loopback and private networks without `allowCleartext`; the description names the parameter and the type it must have";
    /// A failure inside the library or a host module (a bug), not the network's.
    IO_OPERATION_FAILED = 6022, "ERR_IO_OPERATION_FAILED",
        "a failure inside the native module or library itself (a bug: please report it with the description)";
    /// `logout` (or a login as another user) came before the login finished.
    LOGGED_OUT_BEFORE_LOGIN_FINISHED = 6023, "ERR_LOGGED_OUT_BEFORE_LOGIN_FINISHED",
        "`logout`, or a login as another user, before the login finished";
    /// The UserSig expired: sign a new one and log in again.
    USER_SIG_EXPIRED = 6206, "ERR_USER_SIG_EXPIRED",
        "never answered by this SDK (its server answers 70001), named for apps that handle both";
    /// Another device logged in while this one was offline, so its reconnect was refused.
    KICKED_OFF_BY_OTHER = 6208, "ERR_LOGIN_KICKED_OFF_BY_OTHER",
        "a reconnect refused because another device logged in while this one was offline (the SDK then emits `onKickedOffline`)";
    /// The UserID is empty, not visible ASCII, or over 32 bytes.
    INVALID_IDENTIFIER = 7003, "ERR_SDK_COMM_INVALID_IDENTIFIER",
        "a UserID that is empty, not visible ASCII, or over 32 bytes (checked before any network use)";
    /// Interrupted, e.g. by `un_init_sdk` during a login.
    INTERRUPTED = 7009, "ERR_SDK_COMM_INTERRUPT", "`unInitSDK` during a login";
    /// The network is unreachable, or the server refused the connection.
    NETWORK_DISCONNECTED = 9508, "ERR_SDK_NET_DISCONNECTED",
        "the server cannot be reached (refused, unreachable, TLS certificate not trusted)";
    /// Connecting took longer than the connect timeout.
    CONNECT_TIMEOUT = 9510, "ERR_SDK_NET_CONNECT_TIMEOUT",
        "connecting took longer than `connectTimeoutMs`";
    /// The connection broke.
    CONNECTION_RESET = 9514, "ERR_SDK_NET_CONN_RESET", "the connection broke during the login";
    /// `init_sdk` for another app while initialised.
    SDK_ALREADY_INITIALIZED = 90101, "ERR_SDK_HAD_INITIALIZED",
        "`initSDK` for another SDKAppID while initialised";
    /// The server's code for an expired UserSig.
    SVR_USER_SIG_EXPIRED = 70001, "ERR_SVR_ACCOUNT_USERSIG_EXPIRED",
        "the UserSig expired (sign a new one and log in again; also `onUserSigExpired`)";
    /// The UserSig is empty.
    SVR_USER_SIG_EMPTY = 70002, "ERR_SVR_ACCOUNT_USERSIG_EMPTY", "the UserSig is empty";
    /// The UserSig cannot be decoded.
    SVR_USER_SIG_CHECK_FAILED = 70003, "ERR_SVR_ACCOUNT_USERSIG_CHECK_FAILED",
        "the UserSig cannot be decoded (bad base64, zlib or JSON, a missing field, too long)";
    /// The signature matches none of the app's keys.
    SVR_USER_SIG_MISMATCH_KEY = 70009, "ERR_SVR_ACCOUNT_USERSIG_MISMATCH_PUBLICKEY",
        "the UserSig's signature does not match any of the app's keys";
    /// Signed for another UserID.
    SVR_USER_SIG_MISMATCH_ID = 70013, "ERR_SVR_ACCOUNT_USERSIG_MISMATCH_ID",
        "the UserSig was signed for another UserID";
    /// Signed for another SDKAppID.
    SVR_USER_SIG_MISMATCH_APP = 70014, "ERR_SVR_ACCOUNT_USERSIG_MISMATCH_SDKAPPID",
        "the UserSig was signed for another SDKAppID";
    /// The app has no key.
    SVR_KEY_NOT_FOUND = 70016, "ERR_SVR_ACCOUNT_USERSIG_PUBLICKEY_NOT_FOUND",
        "the app has no key configured";
    /// The app is not configured on the server.
    SVR_APP_NOT_FOUND = 70020, "ERR_SVR_ACCOUNT_SDKAPPID_NOT_FOUND",
        "the SDKAppID is not configured on the server";
    /// Locked after too many failed logins; the lock ends.
    SVR_FREQ_LIMIT = 70050, "ERR_SVR_ACCOUNT_FREQ_LIMIT",
        "too many failed logins (70003, 70009, 70013, 70014): locked for a minute (a reconnect retries after its backoff)";
    /// The ticket was signed before the app's server kicked the user.
    SVR_USER_SIG_INVALIDATED = 70052, "ERR_SVR_ACCOUNT_USERSIG_INVALIDATED",
        "the UserSig was signed before the app's server kicked the user (REST `kick`): sign a new one (a reconnect refused so logs out with `onKickedOffline`)";
    /// The server's store did not answer in time.
    SVR_INTERNAL_TIMEOUT = 70169, "ERR_SVR_ACCOUNT_INTERNAL_TIMEOUT",
        "the server's session store did not answer in time (a reconnect retries after its backoff; an explicit `login` answers it)";
    /// A malformed login request or frame.
    SVR_INVALID_PARAMETERS = 70402, "ERR_SVR_ACCOUNT_INVALID_PARAMETERS",
        "a malformed login request (protocol version, UserID, platform, instance id) or frame";
    /// The server's store failed.
    SVR_INTERNAL_ERROR = 70500, "ERR_SVR_ACCOUNT_INTERNAL_ERROR",
        "the server's session store failed (a reconnect retries after its backoff)";
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
