//! Where the server keeps who is online, which accounts exist, and which accounts are locked.
//!
//! The [`SessionRegistry`] trait is what the connection handling talks to. [`MemoryRegistry`]
//! serves one process; [`RedisRegistry`](crate::cluster::RedisRegistry) lets several nodes serve
//! as one. Both apply the same rules, which live once in [`crate::policy`]: a registry only makes
//! them atomic per account.

mod memory;

pub use crate::account::{AccountKey, RegistryError};
pub use memory::MemoryRegistry;

use crate::policy::{Admission, DevicePolicy, SessionInfo};
use futures_util::future::BoxFuture;

/// A login that passed its ticket check and asks for a place online.
#[derive(Debug, Clone)]
pub struct LoginAttempt<'a> {
    /// The session it would put online.
    pub session: SessionInfo,
    /// The app's multi-device policy.
    pub policy: &'a DevicePolicy,
    /// The SDK is reconnecting by itself: it may replace its own session but displace no other.
    pub reconnect: bool,
    /// When its ticket was signed (Unix seconds, `TLS.time`): tickets signed before the account's
    /// sessions were invalidated are refused.
    pub ticket_time: u64,
}

/// What a registry answered a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Online; the displaced sessions must be ended wherever they are connected.
    Admitted(Admission),
    /// A reconnect with no room left: another device took the place while it was offline (6208).
    NoRoom,
    /// Too many failed logins lately (70050).
    Locked,
    /// The ticket was signed before the account's sessions were invalidated (70052).
    Invalidated,
}

/// The sessions of every account, and which accounts exist and are locked.
///
/// Every method is atomic per account. Methods return boxed futures so that the trait stays
/// object-safe and a registry backed by a network store is used exactly like the in-memory one.
pub trait SessionRegistry: Send + Sync + 'static {
    /// The node this registry puts sessions online for now; every [`SessionInfo`] admitted here
    /// names it (a cluster's node changes its name when it comes back after losing its lease).
    fn node(&self) -> String;

    /// Whether a session naming `node` is connected here: this node, under its name of now or of
    /// before it came back. Sessions naming another node are connected there.
    fn is_local(&self, node: &str) -> bool {
        node == self.node()
    }

    /// Puts a session online under its app's policy, unless the account is locked, the ticket was
    /// invalidated, or (for a reconnect) there is no room. Registers the account on its first
    /// login and forgets its failed logins. Concurrent logins of one account leave exactly what
    /// the policy allows.
    fn admit<'a>(
        &'a self,
        account: &'a AccountKey,
        attempt: LoginAttempt<'a>,
    ) -> BoxFuture<'a, Result<Verdict, RegistryError>>;

    /// Counts a failed login of the account towards its lockout. Returns whether the account was
    /// already locked (the login then answers 70050 rather than its ticket's code).
    fn record_failure<'a>(
        &'a self,
        account: &'a AccountKey,
    ) -> BoxFuture<'a, Result<bool, RegistryError>>;

    /// Takes a session offline. Returns whether it was online (a kicked session was already taken
    /// off by the login that kicked it).
    fn remove<'a>(
        &'a self,
        account: &'a AccountKey,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<bool, RegistryError>>;

    /// The account's online sessions, oldest first. Sessions of a node whose lease has run out
    /// are not online.
    fn sessions<'a>(
        &'a self,
        account: &'a AccountKey,
    ) -> BoxFuture<'a, Result<Vec<SessionInfo>, RegistryError>>;

    /// Takes every session of the account offline and returns them, so that the caller ends
    /// them. With `invalidate_before` (Unix seconds), tickets signed before then are refused from
    /// now on (Tencent's REST `kick`).
    fn end_all<'a>(
        &'a self,
        account: &'a AccountKey,
        invalidate_before: Option<u64>,
    ) -> BoxFuture<'a, Result<Vec<SessionInfo>, RegistryError>>;

    /// Registers an account without a login (REST import). Returns whether it is new.
    fn register<'a>(
        &'a self,
        account: &'a AccountKey,
    ) -> BoxFuture<'a, Result<bool, RegistryError>>;

    /// Forgets an account. Returns whether it existed. Its invalidation stays: tickets signed
    /// before a kick are refused after the account is deleted and imported again. Sessions online
    /// stay online: end them first with [`SessionRegistry::end_all`].
    fn unregister<'a>(
        &'a self,
        account: &'a AccountKey,
    ) -> BoxFuture<'a, Result<bool, RegistryError>>;

    /// Whether the account is registered.
    fn is_registered<'a>(
        &'a self,
        account: &'a AccountKey,
    ) -> BoxFuture<'a, Result<bool, RegistryError>>;
}
