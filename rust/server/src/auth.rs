//! Decides whether a login may proceed: the app, the lockout, then the ticket.

use crate::registry::AccountKey;
use crate::state::Shared;
use std::time::Instant;
use tim_protocol::{FrameError, LoginRequest};
use tim_usersig::{Claims, Error as TicketError};

/// Code for an account locked after repeated failures.
pub const CODE_LOCKED: u32 = 70050;

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

/// Checks a well-formed login request against the app's keys. Errors carry Tencent's codes.
pub fn authenticate(
    shared: &Shared,
    request: &LoginRequest,
    now_unix: u64,
    now: Instant,
) -> Result<Claims, FrameError> {
    verify_ticket(
        shared,
        &AccountKey {
            sdk_app_id: request.sdk_app_id,
            user_id: request.user_id.clone(),
        },
        &request.user_sig,
        now_unix,
        now,
    )
}

/// Checks `user_sig` as the ticket of `account` (a login's, or an administrator's calling the
/// REST API), with the lockout: failures that look like guessing count, a success clears them.
pub fn verify_ticket(
    shared: &Shared,
    account: &AccountKey,
    user_sig: &str,
    now_unix: u64,
    now: Instant,
) -> Result<Claims, FrameError> {
    let refuse = |e: TicketError| FrameError::new(e.code(), e.desc());
    let app = shared
        .config
        .apps
        .get(&account.sdk_app_id)
        .ok_or_else(|| refuse(TicketError::UnknownApp))?;
    if app.keys.is_empty() {
        return Err(refuse(TicketError::NoKey));
    }
    if shared.lockout.is_locked(account, now) {
        return Err(FrameError::new(
            CODE_LOCKED,
            "too many failed logins: the account is locked, retry after a minute",
        ));
    }
    match tim_usersig::verify(
        user_sig,
        account.sdk_app_id,
        &account.user_id,
        &app.keys,
        now_unix,
    ) {
        Ok(claims) => {
            shared.lockout.record_success(account);
            Ok(claims)
        }
        Err(e) => {
            if counts_towards_lockout(&e) {
                shared.lockout.record_failure(account, now);
            }
            Err(refuse(e))
        }
    }
}
