//! Decides whether a ticket is good (a login's, or an administrator's calling the REST API): the
//! app, then the ticket. A login's failures that look like guessing count towards the account's
//! lockout in the registry, so that the lockout holds on every node; the REST API's never do.

use crate::account::AccountKey;
use crate::registry::SessionRegistry;
use tim_protocol::FrameError;
use tim_usersig::{Claims, Error as TicketError};
use tracing::warn;

/// Code for an account locked after repeated failures.
pub const CODE_LOCKED: u32 = 70050;
/// Description of [`CODE_LOCKED`].
pub const DESC_LOCKED: &str = "too many failed logins: the account is locked, retry after a minute";

/// Ticket failures that look like guessing count towards the lockout. An expired or missing
/// ticket is an honest client's mistake, and locking it out would only delay its recovery.
fn counts_towards_lockout(error: &TicketError) -> bool {
    matches!(
        error,
        TicketError::Malformed(_)
            | TicketError::BadSignature
            | TicketError::IdentifierMismatch
            | TicketError::AppMismatch
    )
}

/// Checks `user_sig` as a ticket of `account` against `keys`, the app's keys (`None`: no such
/// app), and nothing else: no lockout is read or counted. The REST API's check (its failures are
/// limited per source address instead, `rest/guard.rs`), and the first half of a login's.
pub fn verify(
    keys: Option<&[String]>,
    account: &AccountKey,
    user_sig: &str,
    now_unix: u64,
) -> Result<Claims, TicketError> {
    let keys = keys.ok_or(TicketError::UnknownApp)?;
    if keys.is_empty() {
        return Err(TicketError::NoKey);
    }
    tim_usersig::verify(
        user_sig,
        account.sdk_app_id,
        &account.user_id,
        keys,
        now_unix,
    )
}

/// Checks `user_sig` as a login's ticket of `account` against `keys`, as [`verify`], counting
/// failures in `registry`. Errors carry Tencent's codes; a failure
/// that looks like guessing counts towards the account's lockout, and one of an account that is
/// locked answers 70050. Whether a good ticket's account is locked is the registry's answer at
/// admission.
pub async fn authenticate(
    keys: Option<&[String]>,
    registry: &dyn SessionRegistry,
    account: &AccountKey,
    user_sig: &str,
    now_unix: u64,
) -> Result<Claims, FrameError> {
    let error = match verify(keys, account, user_sig, now_unix) {
        Ok(claims) => return Ok(claims),
        Err(e) => e,
    };
    if counts_towards_lockout(&error) {
        match registry.record_failure(account).await {
            Ok(true) => return Err(FrameError::new(CODE_LOCKED, DESC_LOCKED)),
            Ok(false) => {}
            // The ticket is refused either way; only this failure goes uncounted.
            Err(e) => warn!(error = %e, "cannot count a failed login"),
        }
    }
    Err(FrameError::new(error.code(), error.desc()))
}
