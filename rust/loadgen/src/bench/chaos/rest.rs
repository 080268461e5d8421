//! The REST admin API, as an app's business server calls it (`docs/rest-api.md`): a POST with the
//! administrator's UserSig in the query, through the balancer to whichever node it picks.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tim_usersig::Claims;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The app's default administrator.
const ADMIN: &str = "administrator";
/// A call that takes longer is taken as not acknowledged (a node answers 70169 within about a
/// second when Redis does not answer).
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Where and as whom the calls go.
pub struct Admin {
    addr: SocketAddr,
    app: u64,
    sig: String,
}

impl Admin {
    pub fn new(addr: SocketAddr, app: u64, key: &str) -> Admin {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let sig = tim_usersig::sign(key, &Claims::new(app, ADMIN, now, 86_400));
        Admin { addr, app, sig }
    }

    /// Calls `command` with `body`; the answer's JSON when it is `ActionStatus: OK`.
    pub async fn call(
        &self,
        command: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        match tokio::time::timeout(CALL_TIMEOUT, self.post(command, body)).await {
            Ok(answer) => answer,
            Err(_) => Err("timeout".to_owned()),
        }
    }

    async fn post(
        &self,
        command: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let body = body.to_string();
        let request = format!(
            "POST /v4/{command}?sdkappid={}&identifier={ADMIN}&usersig={}&contenttype=json HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            self.app,
            self.sig,
            self.addr,
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .map_err(|e| format!("read: {e}"))?;
        let response = String::from_utf8_lossy(&response);
        let (_, body) = response
            .split_once("\r\n\r\n")
            .ok_or_else(|| "no answer".to_owned())?;
        let answer: serde_json::Value =
            serde_json::from_str(body).map_err(|e| format!("answer {body:?}: {e}"))?;
        match answer["ActionStatus"].as_str() {
            Some("OK") => Ok(answer),
            _ => Err(format!("{}", answer["ErrorCode"])),
        }
    }

    /// `kick`: every session of `user` ends and its earlier tickets are refused.
    pub async fn kick(&self, user: &str) -> Result<(), String> {
        self.call(
            "im_open_login_svc/kick",
            &serde_json::json!({ "UserID": user }),
        )
        .await
        .map(drop)
    }

    /// `account_import` of `user`.
    pub async fn import(&self, user: &str) -> Result<(), String> {
        self.call(
            "im_open_login_svc/account_import",
            &serde_json::json!({ "UserID": user }),
        )
        .await
        .map(drop)
    }

    /// `account_check`: whether `user` exists.
    pub async fn imported(&self, user: &str) -> Result<bool, String> {
        let answer = self
            .call(
                "im_open_login_svc/account_check",
                &serde_json::json!({ "CheckItem": [{ "UserID": user }] }),
            )
            .await?;
        Ok(answer["ResultItem"][0]["AccountStatus"] == "Imported")
    }
}
