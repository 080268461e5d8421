//! Where the server keeps who is online. The [`SessionRegistry`] trait is the seam for sharing
//! sessions between servers (a shared store replaces [`MemoryRegistry`]); the connection handling
//! only ever talks to the trait.

use crate::policy::{Admission, DevicePolicy, SessionInfo, admit, admit_reconnect};
use futures_util::future::{BoxFuture, FutureExt};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Mutex;

/// An account: the same UserID in two apps is two accounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountKey {
    /// The app.
    pub sdk_app_id: u64,
    /// The UserID.
    pub user_id: String,
}

/// A registry that could not do what was asked (a shared store being unreachable, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError(pub String);

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "session registry: {}", self.0)
    }
}

impl std::error::Error for RegistryError {}

/// The sessions of every account, and which accounts exist.
///
/// Methods return boxed futures so that the trait stays object-safe and a registry backed by a
/// network store can be slotted in without touching its callers.
pub trait SessionRegistry: Send + Sync + 'static {
    /// Puts `session` online for `account` under `policy`, registering the account on its first
    /// login, and returns the sessions it displaced. Atomic per account: concurrent logins of one
    /// account leave exactly what the policy allows. A `reconnect` displaces no other session:
    /// `Ok(None)` when there is no room for it ([`crate::policy::admit_reconnect`]).
    fn admit<'a>(
        &'a self,
        account: &'a AccountKey,
        session: SessionInfo,
        policy: &'a DevicePolicy,
        reconnect: bool,
    ) -> BoxFuture<'a, Result<Option<Admission>, RegistryError>>;

    /// Takes a session offline. Returns whether it was online (a kicked session was already taken
    /// off by the login that kicked it).
    fn remove<'a>(
        &'a self,
        account: &'a AccountKey,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<bool, RegistryError>>;

    /// The account's online sessions, oldest first.
    fn sessions<'a>(
        &'a self,
        account: &'a AccountKey,
    ) -> BoxFuture<'a, Result<Vec<SessionInfo>, RegistryError>>;
}

/// The default registry: one process, everything in memory.
#[derive(Default)]
pub struct MemoryRegistry {
    state: Mutex<MemoryState>,
}

#[derive(Default)]
struct MemoryState {
    online: HashMap<AccountKey, Vec<SessionInfo>>,
    accounts: HashSet<AccountKey>,
}

impl MemoryRegistry {
    fn with_state<T>(&self, f: impl FnOnce(&mut MemoryState) -> T) -> T {
        // A panic while holding the lock leaves consistent data (every mutation is a single
        // step), so a poisoned lock is safe to keep using.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut state)
    }
}

impl SessionRegistry for MemoryRegistry {
    fn admit<'a>(
        &'a self,
        account: &'a AccountKey,
        session: SessionInfo,
        policy: &'a DevicePolicy,
        reconnect: bool,
    ) -> BoxFuture<'a, Result<Option<Admission>, RegistryError>> {
        let admission = self.with_state(|state| {
            let online = state.online.entry(account.clone()).or_default();
            let admission = if reconnect {
                admit_reconnect(online, session, policy)
            } else {
                Some(admit(online, session, policy))
            };
            if online.is_empty() {
                state.online.remove(account);
            }
            admission.map(|admission| Admission {
                first_login: state.accounts.insert(account.clone()),
                ..admission
            })
        });
        futures_util::future::ready(Ok(admission)).boxed()
    }

    fn remove<'a>(
        &'a self,
        account: &'a AccountKey,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<bool, RegistryError>> {
        let removed = self.with_state(|state| {
            let Some(online) = state.online.get_mut(account) else {
                return false;
            };
            let before = online.len();
            online.retain(|s| s.session_id != session_id);
            let removed = online.len() != before;
            if online.is_empty() {
                state.online.remove(account);
            }
            removed
        });
        futures_util::future::ready(Ok(removed)).boxed()
    }

    fn sessions<'a>(
        &'a self,
        account: &'a AccountKey,
    ) -> BoxFuture<'a, Result<Vec<SessionInfo>, RegistryError>> {
        let sessions =
            self.with_state(|state| state.online.get(account).cloned().unwrap_or_default());
        futures_util::future::ready(Ok(sessions)).boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tim_protocol::Platform;

    fn session(id: &str) -> SessionInfo {
        SessionInfo {
            session_id: id.into(),
            platform: Platform::Android,
            instance_id: id.into(),
        }
    }

    #[tokio::test]
    async fn first_login_registers_and_logout_frees_the_account_entry() {
        let registry = MemoryRegistry::default();
        let alice = AccountKey {
            sdk_app_id: 1,
            user_id: "alice".into(),
        };
        let policy = DevicePolicy::default();
        let first = registry
            .admit(&alice, session("s1"), &policy, false)
            .await
            .unwrap()
            .unwrap();
        assert!(first.first_login);
        let second = registry
            .admit(&alice, session("s2"), &policy, false)
            .await
            .unwrap()
            .unwrap();
        assert!(!second.first_login);
        assert_eq!(second.kicked.len(), 1);
        assert!(
            !registry.remove(&alice, "s1").await.unwrap(),
            "s1 was kicked already"
        );
        assert!(registry.remove(&alice, "s2").await.unwrap());
        assert!(registry.sessions(&alice).await.unwrap().is_empty());
        assert!(registry.with_state(|s| s.online.is_empty()));
        let again = registry
            .admit(&alice, session("s3"), &policy, false)
            .await
            .unwrap()
            .unwrap();
        assert!(!again.first_login, "the account stays registered");
    }
}
