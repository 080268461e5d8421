//! Who may call: an administrator of the app, proven by an ordinary UserSig for that identifier,
//! checked exactly like a login (same codes, same lockout).

use super::envelope::{CODE_BAD_APP, CODE_INTERNAL, Params, RestError};
use crate::auth::{CODE_LOCKED, DESC_LOCKED, authenticate};
use crate::registry::AccountKey;
use crate::state::{Shared, unix_millis};

/// A valid ticket of someone who is not an administrator, for the account commands (their
/// pages say 70403).
const CODE_NOT_ADMIN_ACCOUNT: u32 = 70403;
/// The same, for every other service (the public error table's 60010).
const CODE_NOT_ADMIN: u32 = 60010;

/// Checks that the caller is an administrator of the app with a valid ticket.
pub async fn authorize(shared: &Shared, params: &Params, service: &str) -> Result<(), RestError> {
    let app = shared
        .config
        .apps
        .get(&params.sdk_app_id)
        .ok_or_else(|| RestError::new(CODE_BAD_APP, "SDKAppID not found"))?;
    let caller = AccountKey {
        sdk_app_id: params.sdk_app_id,
        user_id: params.identifier.clone(),
    };
    authenticate(shared, &caller, &params.user_sig, unix_millis() / 1000)
        .await
        .map_err(|e| RestError::new(e.code, e.desc))?;
    // A login learns of a lock at admission; a call has no admission, so it asks.
    match shared.registry.is_locked(&caller).await {
        Ok(false) => {}
        Ok(true) => return Err(RestError::new(CODE_LOCKED, DESC_LOCKED)),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read an administrator's lockout");
            return Err(RestError::new(CODE_INTERNAL, "server internal error"));
        }
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
