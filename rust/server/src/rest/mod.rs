//! Tencent's REST admin API for accounts and logins: `/v4/{service}/{command}`, answered with
//! HTTP 200 and Tencent's JSON envelope, so that an app's business server moves here by changing
//! its base URL. See `docs/rest-api.md`.

mod auth;
pub mod commands;
pub mod envelope;
pub mod guard;
mod limits;

pub use commands::{COMMANDS, Command, Spec, lookup};
pub use envelope::{MAX_BODY_BYTES, Params, RestError};
pub use guard::AuthFailures;
pub use limits::RateLimits;

use crate::state::Shared;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use envelope::{CODE_BAD_URL, CODE_HTTP_PARSE, CODE_RATE_LIMITED, answer};
use http_body_util::BodyExt;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// The route the API is served at.
pub const ROUTE: &str = "/v4/{*path}";

/// Most administrators an app may have (Tencent's limit).
pub const MAX_ADMINS: usize = 10;

/// The REST settings of one app: its administrators and its rate limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestConfig {
    /// UserIDs whose tickets may call the API.
    pub admins: Vec<String>,
    /// Calls a second per command (`service/command`) where they differ from Tencent's default.
    pub rate_limits: BTreeMap<&'static str, u32>,
}

impl Default for RestConfig {
    /// `administrator` alone, and Tencent's rates.
    fn default() -> Self {
        RestConfig {
            admins: vec!["administrator".to_owned()],
            rate_limits: BTreeMap::new(),
        }
    }
}

impl RestConfig {
    /// Settings from the TOML file's `admins` and `rate_limits`, checked.
    pub fn new(
        admins: Option<Vec<String>>,
        rate_limits: BTreeMap<String, u32>,
    ) -> Result<Self, String> {
        let mut config = RestConfig::default();
        if let Some(admins) = admins {
            if admins.is_empty() || admins.len() > MAX_ADMINS {
                return Err(format!("admins must list 1 to {MAX_ADMINS} UserIDs"));
            }
            // An administrator must be able to log in: the login's rule.
            for admin in &admins {
                tim_protocol::validate_user_id(admin)
                    .map_err(|e| format!("admins: {admin:?} is not a valid UserID: {e}"))?;
            }
            config.admins = admins;
        }
        for (path, rate) in rate_limits {
            let spec = lookup(&path).ok_or_else(|| {
                let known: Vec<_> = COMMANDS.iter().map(|s| s.path).collect();
                format!(
                    "rate_limits: no command {path:?}; the commands are {}",
                    known.join(", ")
                )
            })?;
            if rate == 0 {
                return Err(format!(
                    "rate_limits: {path} must allow at least 1 call a second"
                ));
            }
            config.rate_limits.insert(spec.path, rate);
        }
        Ok(config)
    }

    /// Calls a second allowed for `spec`.
    pub fn rate(&self, spec: &Spec) -> u32 {
        self.rate_limits
            .get(spec.path)
            .copied()
            .unwrap_or(spec.default_rate)
    }
}

/// Serves one call, GET or POST alike (client libraries send some commands as GET with a body).
/// `peer` is the client's address, which failed authentications are charged to.
pub async fn serve(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let spec = lookup(&path);
    let source = peer.ip().into();
    let result = call(
        &shared,
        spec,
        source,
        query.as_deref().unwrap_or(""),
        &headers,
        body,
    )
    .await;
    let code = result.as_ref().map_or_else(|e| e.code, |_| 0);
    shared
        .metrics
        .rest_call(spec.map_or("unknown", |s| s.path), code);
    let mut response = (
        [(header::CONTENT_TYPE, "application/json")],
        answer(result).to_string(),
    )
        .into_response();
    if code == CODE_HTTP_PARSE {
        // The rest of a refused body is not read: the connection cannot carry another request.
        response.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
    }
    response
}

async fn call(
    shared: &Shared,
    spec: Option<&'static Spec>,
    source: guard::Source,
    query: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<serde_json::Map<String, serde_json::Value>, RestError> {
    let spec = spec.ok_or_else(|| RestError::new(CODE_BAD_URL, "no such command"))?;
    let too_large = || {
        RestError::new(
            CODE_HTTP_PARSE,
            format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let params = Params::parse(query)?;
    let service = spec.path.split('/').next().unwrap_or_default();
    auth::authorize(shared, &params, service, source).await?;
    let rate = shared.config.apps[&params.sdk_app_id].rest.rate(spec);
    if !shared
        .rest_limits
        .take(params.sdk_app_id, spec.path, rate, Instant::now())
    {
        return Err(RestError::new(
            CODE_RATE_LIMITED,
            format!("{} allows {rate} calls a second", spec.path),
        ));
    }
    let body: Bytes = http_body_util::Limited::new(body, MAX_BODY_BYTES)
        .collect()
        .await
        .map_err(|_| too_large())?
        .to_bytes();
    Command::decode(spec, &body)?
        .run(shared, params.sdk_app_id)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_and_rates_are_checked() {
        let default = RestConfig::default();
        assert_eq!(default.admins, ["administrator"]);
        let kick = lookup("im_open_login_svc/kick").unwrap();
        assert_eq!(default.rate(kick), 200);
        let custom = RestConfig::new(
            Some(vec!["ops".into()]),
            [("im_open_login_svc/kick".to_owned(), 5)].into(),
        )
        .unwrap();
        assert_eq!(
            (custom.admins.as_slice(), custom.rate(kick)),
            (&["ops".to_owned()][..], 5)
        );
        let eleven = (0..11).map(|i| i.to_string()).collect();
        assert!(RestConfig::new(Some(eleven), BTreeMap::new()).is_err());
        assert!(RestConfig::new(Some(vec![]), BTreeMap::new()).is_err());
        // An administrator must be a UserID that can log in: the login's rule.
        for bad in ["", "ali ce", "bjørn", &"a".repeat(33)] {
            let err =
                RestConfig::new(Some(vec!["ops".into(), bad.into()]), BTreeMap::new()).unwrap_err();
            assert!(err.contains("admins") && err.contains("UserID"), "{err}");
        }
        let err = RestConfig::new(None, [("openim/nope".to_owned(), 5)].into()).unwrap_err();
        assert!(err.contains("no command"), "{err}");
        assert!(RestConfig::new(None, [("openim/querystate".to_owned(), 0)].into()).is_err());
    }
}
