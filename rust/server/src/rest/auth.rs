//! Who may call: an administrator of the app, proven by an ordinary UserSig for that identifier,
//! checked like a login's ticket (same codes). Unlike a login, a refused ticket is charged to the
//! address it came from (`guard.rs`), never to the account: the account lockout would let anyone
//! who can reach the API lock the administrator out by sending bad tickets in its name, and a
//! lockout of the administrator's logins does not refuse its calls either, or forged logins would
//! stop the business server's calls.

use super::envelope::{CODE_BAD_APP, CODE_RATE_LIMITED, Params, RestError};
use super::guard::{AuthFailures, Source};
use crate::account::AccountKey;
use crate::auth::verify;
use crate::clock::unix_millis;
use crate::config::ServerConfig;
use std::time::Instant;

/// A valid ticket of someone who is not an administrator, for the account commands (their
/// pages say 70403).
const CODE_NOT_ADMIN_ACCOUNT: u32 = 70403;
/// The same, for every other service (the public error table's 60010).
const CODE_NOT_ADMIN: u32 = 60010;

/// Checks that the caller, calling from `source`, is an administrator of the app with a valid
/// ticket. An address that has had too many tickets refused is answered 60007 before its ticket
/// is read.
pub async fn authorize(
    config: &ServerConfig,
    failures: &AuthFailures,
    params: &Params,
    service: &str,
    source: Source,
) -> Result<(), RestError> {
    let app = config
        .apps
        .get(&params.sdk_app_id)
        .ok_or_else(|| RestError::new(CODE_BAD_APP, "SDKAppID not found"))?;
    if let Err(wait) = failures.check(source, Instant::now()) {
        return Err(RestError::new(
            CODE_RATE_LIMITED,
            format!(
                "too many failed authentications from this address: retry in {} s",
                wait.as_millis().div_ceil(1000).max(1)
            ),
        ));
    }
    let caller = AccountKey {
        sdk_app_id: params.sdk_app_id,
        user_id: params.identifier.clone(),
    };
    if let Err(e) = verify(
        config.keys_of(caller.sdk_app_id),
        &caller,
        &params.user_sig,
        unix_millis() / 1000,
    ) {
        failures.charge(source, Instant::now());
        return Err(RestError::new(e.code(), e.desc()));
    }
    if !app.rest.admins.contains(&params.identifier) {
        let code = if service == "im_open_login_svc" {
            CODE_NOT_ADMIN_ACCOUNT
        } else {
            CODE_NOT_ADMIN
        };
        return Err(RestError::new(
            code,
            "the identifier is not an administrator of the app",
        ));
    }
    Ok(())
}
