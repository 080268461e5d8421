//! The login status, with the values Tencent's shipped SDKs use (1, 2, 3).

/// Where the manager is in logging in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum LoginStatus {
    /// `V2TIM_STATUS_LOGINED`: logged in (also while reconnecting by itself).
    LoggedIn = 1,
    /// `V2TIM_STATUS_LOGINING`: a login is running.
    LoggingIn = 2,
    /// `V2TIM_STATUS_LOGOUT`: not logged in.
    LoggedOut = 3,
}

impl LoginStatus {
    /// The number the JavaScript API reports.
    pub fn code(self) -> i32 {
        self as i32
    }
}
