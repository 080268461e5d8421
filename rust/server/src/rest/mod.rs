//! Tencent's REST admin API for accounts and logins: `/v4/{service}/{command}`, answered with
//! HTTP 200 and Tencent's JSON envelope, so that an app's business server moves here by changing
//! its base URL. See `docs/rest-api.md`.

mod auth;
pub mod commands;
pub mod envelope;
pub mod guard;
mod limits;
mod spec;

pub use commands::Command;
pub use envelope::{MAX_BODY_BYTES, Params, RestError};
pub use spec::{COMMANDS, MAX_ADMINS, RestConfig, Spec, lookup};

use crate::state::Shared;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use envelope::{CODE_BAD_URL, CODE_HTTP_PARSE, CODE_RATE_LIMITED, answer};
use guard::AuthFailures;
use http_body_util::BodyExt;
use limits::RateLimits;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// The route the API is served at.
pub const ROUTE: &str = "/v4/{*path}";

/// What the API serves from: the node's state, and what only the API keeps on this node, so
/// that the node's state need not know the API.
pub struct Api {
    shared: Arc<Shared>,
    /// Call rates per app and command.
    limits: RateLimits,
    /// Failed authentications per source address.
    failures: AuthFailures,
}

impl Api {
    /// The API of the node whose state is `shared`, with nothing counted yet.
    pub fn new(shared: Arc<Shared>) -> Self {
        Api {
            shared,
            limits: RateLimits::default(),
            failures: AuthFailures::default(),
        }
    }
}

/// Serves one call, GET or POST alike (client libraries send some commands as GET with a body).
/// `peer` is the client's address, which failed authentications are charged to.
pub async fn serve(
    State(api): State<Arc<Api>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let spec = lookup(&path);
    let source = peer.ip().into();
    let result = call(
        &api,
        spec,
        source,
        query.as_deref().unwrap_or(""),
        &headers,
        body,
    )
    .await;
    let code = result.as_ref().map_or_else(|e| e.code, |_| 0);
    api.shared
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
    api: &Api,
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
    let shared = &*api.shared;
    let params = Params::parse(query)?;
    let service = spec.path.split('/').next().unwrap_or_default();
    auth::authorize(&shared.config, &api.failures, &params, service, source).await?;
    let rate = shared.config.apps[&params.sdk_app_id].rest.rate(spec);
    if !api
        .limits
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
