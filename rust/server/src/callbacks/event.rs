//! What a state-change event says: Tencent's JSON body and query parameters, and `Sign`.

use crate::account::AccountKey;
use crate::clock::unix_millis;
use serde_json::json;
use sha2::{Digest, Sha256};
use tim_protocol::Platform;

/// What happened (`Info.Action`), with why (`Info.Reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateChange {
    /// `Login` / `Register`: a login or a reconnect.
    Login,
    /// `Logout` / `Unregister`: the user logged out, or the app's server kicked them.
    Logout,
    /// `Disconnect` / `LinkClose`: the connection closed or broke.
    LinkClosed,
    /// `Disconnect` / `TimeOut`: nothing heard for the heartbeat timeout.
    TimedOut,
}

impl StateChange {
    fn action_and_reason(self) -> (&'static str, &'static str) {
        match self {
            StateChange::Login => ("Login", "Register"),
            StateChange::Logout => ("Logout", "Unregister"),
            StateChange::LinkClosed => ("Disconnect", "LinkClose"),
            StateChange::TimedOut => ("Disconnect", "TimeOut"),
        }
    }
}

/// One event to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Whose state changed.
    pub account: AccountKey,
    /// How.
    pub change: StateChange,
    /// The platform that caused it; `None` for a call of the REST API (`OptPlatform=RESTAPI`).
    pub platform: Option<Platform>,
    /// Platforms of the sessions a login kicked (`KickedDevice`).
    pub kicked: Vec<Platform>,
    /// When, in Unix milliseconds (`EventTime`).
    pub time_ms: u64,
}

impl Event {
    /// An event happening now.
    pub fn now(account: &AccountKey, change: StateChange, platform: Option<Platform>) -> Self {
        Event {
            account: account.clone(),
            change,
            platform,
            kicked: vec![],
            time_ms: unix_millis(),
        }
    }

    /// The JSON body Tencent sends.
    pub(super) fn body(&self) -> Vec<u8> {
        let (action, reason) = self.change.action_and_reason();
        let mut body = json!({
            "CallbackCommand": "State.StateChange",
            "EventTime": self.time_ms,
            "Info": { "Action": action, "To_Account": self.account.user_id, "Reason": reason },
        });
        if !self.kicked.is_empty() {
            let kicked: Vec<_> = self
                .kicked
                .iter()
                .map(|&p| json!({ "Platform": device_name(p) }))
                .collect();
            body["KickedDevice"] = kicked.into();
        }
        body.to_string().into_bytes()
    }

    /// The query string Tencent appends to the app's URL.
    pub(super) fn query(&self, token: Option<&str>, now_secs: u64) -> String {
        let mut query = format!(
            "SdkAppid={}&CallbackCommand=State.StateChange&contenttype=json&ClientIP=&OptPlatform={}",
            self.account.sdk_app_id,
            self.platform.map_or("RESTAPI", opt_platform_name)
        );
        if let Some(token) = token {
            query.push_str(&format!(
                "&Sign={}&RequestTime={now_secs}",
                sign(token, now_secs)
            ));
        }
        query
    }
}

/// `Sign`: the hex SHA-256 of the token followed by the request time in decimal seconds.
pub fn sign(token: &str, request_time: u64) -> String {
    let digest = Sha256::digest(format!("{token}{request_time}"));
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `OptPlatform` names; this callback spells iOS in capitals, as Tencent's does.
fn opt_platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Android => "Android",
        Platform::IPhone => "IOS",
        Platform::IPad => "iPad",
        Platform::Windows => "Windows",
        Platform::Mac => "Mac",
        Platform::Linux => "Unknown",
        Platform::Web => "Web",
    }
}

/// `KickedDevice` platform names.
fn device_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Android => "Android",
        Platform::IPhone => "iOS",
        Platform::IPad => "iPad",
        Platform::Windows => "Windows",
        Platform::Mac => "Mac",
        Platform::Linux => "Linux",
        Platform::Web => "Web",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(change: StateChange) -> Event {
        Event {
            account: AccountKey {
                sdk_app_id: 1_400_000_000,
                user_id: "alice".into(),
            },
            change,
            platform: Some(Platform::IPhone),
            kicked: vec![Platform::Android, Platform::IPhone],
            time_ms: 1_700_000_000_123,
        }
    }

    #[test]
    fn bodies_and_parameters_are_tencents() {
        let login = event(StateChange::Login);
        assert_eq!(
            String::from_utf8(login.body()).unwrap(),
            r#"{"CallbackCommand":"State.StateChange","EventTime":1700000000123,"Info":{"Action":"Login","Reason":"Register","To_Account":"alice"},"KickedDevice":[{"Platform":"Android"},{"Platform":"iOS"}]}"#
        );
        assert_eq!(
            login.query(None, 0),
            "SdkAppid=1400000000&CallbackCommand=State.StateChange&contenttype=json&ClientIP=&OptPlatform=IOS"
        );
        let mut kick = event(StateChange::Logout);
        kick.platform = None;
        kick.kicked.clear();
        assert!(kick.query(Some("t"), 1).ends_with(&format!(
            "OptPlatform=RESTAPI&Sign={}&RequestTime=1",
            sign("t", 1)
        )));
        assert!(
            !String::from_utf8(kick.body())
                .unwrap()
                .contains("KickedDevice")
        );
        for (change, words) in [
            (
                StateChange::LinkClosed,
                r#""Action":"Disconnect","Reason":"LinkClose""#,
            ),
            (
                StateChange::TimedOut,
                r#""Action":"Disconnect","Reason":"TimeOut""#,
            ),
        ] {
            let body = String::from_utf8(event(change).body()).unwrap();
            assert!(body.contains(words), "{body}");
        }
    }

    #[test]
    fn sign_is_the_hex_sha256_of_token_and_time() {
        // sha256("token1700000000"), computed with `printf token1700000000 | sha256sum`.
        assert_eq!(
            sign("token", 1_700_000_000),
            "37eae3074c8d2bad93ac66b5257e151e605386c2bcc1472988fcb687e7ffa4c6"
        );
    }
}
