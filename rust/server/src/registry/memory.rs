//! The default registry: one process, everything in memory, every step under one lock. With a
//! [`Database`], accounts and invalidations are also written to disk, queued under the same lock
//! so that the disk sees the changes in the order memory did, and answered once committed.
//! Sessions and lockouts stay in memory only: after a restart every client logs in again, and a
//! lockout is a minute long.

use super::{AccountKey, LoginAttempt, RegistryError, SessionRegistry, Verdict};
use crate::clock::unix_millis;
use crate::database::{Database, Snapshot, Write};
use crate::hub::shrink_when_sparse;
use crate::lockout::{Lockout, LockoutRules};
use crate::policy::{SessionInfo, admit, admit_reconnect};
use futures_util::future::{BoxFuture, FutureExt, ready};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Instant;

/// The node name sessions of a [`MemoryRegistry`] carry: there is no other node.
pub const LOCAL_NODE: &str = "local";

/// Sessions, accounts and lockouts of one process.
#[derive(Default)]
pub struct MemoryRegistry {
    state: Mutex<MemoryState>,
    lockout: Lockout,
    database: Option<Database>,
}

#[derive(Default)]
struct MemoryState {
    online: HashMap<AccountKey, Vec<SessionInfo>>,
    /// Registered accounts.
    accounts: HashSet<AccountKey>,
    /// The time (Unix seconds) before which an account's tickets are refused, set by a kick.
    /// Kept apart from `accounts`: deleting or importing an account again leaves it.
    invalid_before: HashMap<AccountKey, u64>,
}

impl MemoryRegistry {
    /// A registry whose lockout follows `rules`, keeping nothing across a restart.
    pub fn new(rules: LockoutRules) -> Self {
        MemoryRegistry {
            state: Mutex::default(),
            lockout: Lockout::new(rules),
            database: None,
        }
    }

    /// A registry that starts from what `snapshot` read and keeps accounts and invalidations
    /// in `database`.
    pub fn durable(rules: LockoutRules, database: Database, snapshot: &mut Snapshot) -> Self {
        let state = MemoryState {
            online: HashMap::new(),
            accounts: std::mem::take(&mut snapshot.accounts).into_iter().collect(),
            invalid_before: std::mem::take(&mut snapshot.invalidations)
                .into_iter()
                .collect(),
        };
        MemoryRegistry {
            state: Mutex::new(state),
            lockout: Lockout::new(rules),
            database: Some(database),
        }
    }

    /// Accounts registered, per app.
    pub fn accounts_per_app(&self) -> HashMap<u64, u64> {
        self.with_state(|state| {
            let mut counts = HashMap::new();
            for account in &state.accounts {
                *counts.entry(account.sdk_app_id).or_default() += 1;
            }
            counts
        })
    }

    /// Applies `change` to memory and queues `writes(result)` in the same step, then waits for
    /// their commit (at once without a database, or when `change` asks for no write).
    async fn durably<T>(
        &self,
        change: impl FnOnce(&mut MemoryState) -> (T, Vec<Write>),
    ) -> Result<T, RegistryError> {
        let (value, committed) = self.with_state(|state| {
            let (value, writes) = change(state);
            let committed = match &self.database {
                Some(database) if !writes.is_empty() => Some(database.write(writes)),
                _ => None,
            };
            (value, committed)
        });
        if let Some(committed) = committed {
            committed.await?;
        }
        Ok(value)
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut MemoryState) -> T) -> T {
        // A panic while holding the lock leaves consistent data (every mutation is a single
        // step), so a poisoned lock is safe to keep using.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut state)
    }
}

type Answer<'a, T> = BoxFuture<'a, Result<T, RegistryError>>;

fn answer<'a, T: Send + 'a>(value: T) -> Answer<'a, T> {
    ready(Ok(value)).boxed()
}

impl SessionRegistry for MemoryRegistry {
    fn node(&self) -> String {
        LOCAL_NODE.to_owned()
    }

    fn admit<'a>(
        &'a self,
        account: &'a AccountKey,
        attempt: LoginAttempt<'a>,
    ) -> Answer<'a, Verdict> {
        if self.lockout.is_locked(account, Instant::now()) {
            return answer(Verdict::Locked);
        }
        let session_id = attempt.session.session_id.clone();
        let admitting = self.durably(move |state| {
            let invalid_before = state.invalid_before.get(account).copied().unwrap_or(0);
            if attempt.ticket_time < invalid_before {
                return (Verdict::Invalidated, vec![]);
            }
            let online = state.online.entry(account.clone()).or_default();
            let admission = if attempt.reconnect {
                admit_reconnect(online, attempt.session, attempt.policy)
            } else {
                Some(admit(online, attempt.session, attempt.policy))
            };
            if online.is_empty() {
                state.online.remove(account);
                shrink_when_sparse(&mut state.online);
            }
            match admission {
                None => (Verdict::NoRoom, vec![]),
                Some(mut admission) => {
                    admission.first_login = state.accounts.insert(account.clone());
                    let registration = Write::Register {
                        account: account.clone(),
                        at_ms: unix_millis(),
                    };
                    let writes = if admission.first_login {
                        vec![registration]
                    } else {
                        vec![]
                    };
                    (Verdict::Admitted(admission), writes)
                }
            }
        });
        async move {
            let verdict = match admitting.await {
                Ok(verdict) => verdict,
                Err(e) => {
                    // The registration is not on disk: take the login back, so that the
                    // client's retry registers the account again. (Sessions it displaced stay
                    // ended.)
                    self.with_state(|state| {
                        state.accounts.remove(account);
                        forget_session(state, account, &session_id);
                    });
                    return Err(e);
                }
            };
            if matches!(verdict, Verdict::Admitted(_)) {
                self.lockout.record_success(account);
            }
            Ok(verdict)
        }
        .boxed()
    }

    fn record_failure<'a>(&'a self, account: &'a AccountKey) -> Answer<'a, bool> {
        answer(self.lockout.record_failure(account, Instant::now()))
    }

    fn remove<'a>(&'a self, account: &'a AccountKey, session_id: &'a str) -> Answer<'a, bool> {
        answer(self.with_state(|state| forget_session(state, account, session_id)))
    }

    fn sessions<'a>(&'a self, account: &'a AccountKey) -> Answer<'a, Vec<SessionInfo>> {
        answer(self.with_state(|state| state.online.get(account).cloned().unwrap_or_default()))
    }

    fn end_all<'a>(
        &'a self,
        account: &'a AccountKey,
        invalidate_before: Option<u64>,
    ) -> Answer<'a, Vec<SessionInfo>> {
        self.durably(move |state| {
            let mut writes = vec![];
            if let Some(before) = invalidate_before {
                let invalid = state.invalid_before.entry(account.clone()).or_insert(0);
                *invalid = (*invalid).max(before);
                writes.push(Write::Invalidate {
                    account: account.clone(),
                    before: *invalid,
                });
            }
            let ended = state.online.remove(account).unwrap_or_default();
            shrink_when_sparse(&mut state.online);
            (ended, writes)
        })
        .boxed()
    }

    // Import and delete write whether or not memory changed: a retry after a failed commit
    // then makes it durable.
    fn register<'a>(&'a self, account: &'a AccountKey) -> Answer<'a, bool> {
        self.durably(move |state| {
            let write = Write::Register {
                account: account.clone(),
                at_ms: unix_millis(),
            };
            (state.accounts.insert(account.clone()), vec![write])
        })
        .boxed()
    }

    fn unregister<'a>(&'a self, account: &'a AccountKey) -> Answer<'a, bool> {
        self.durably(move |state| {
            let write = Write::Unregister(account.clone());
            (state.accounts.remove(account), vec![write])
        })
        .boxed()
    }

    fn is_registered<'a>(&'a self, account: &'a AccountKey) -> Answer<'a, bool> {
        answer(self.with_state(|state| state.accounts.contains(account)))
    }
}

/// Takes one session of the account offline; whether it was online.
fn forget_session(state: &mut MemoryState, account: &AccountKey, session_id: &str) -> bool {
    let Some(online) = state.online.get_mut(account) else {
        return false;
    };
    let before = online.len();
    online.retain(|s| s.session_id != session_id);
    let removed = online.len() != before;
    if online.is_empty() {
        state.online.remove(account);
        shrink_when_sparse(&mut state.online);
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::DevicePolicy;
    use tim_protocol::Platform;

    fn session(id: &str) -> SessionInfo {
        SessionInfo {
            session_id: id.into(),
            platform: Platform::Android,
            instance_id: id.into(),
            node: LOCAL_NODE.into(),
        }
    }

    fn attempt<'a>(id: &str, policy: &'a DevicePolicy, ticket_time: u64) -> LoginAttempt<'a> {
        LoginAttempt {
            session: session(id),
            policy,
            reconnect: false,
            ticket_time,
        }
    }

    fn alice() -> AccountKey {
        AccountKey {
            sdk_app_id: 1,
            user_id: "alice".into(),
        }
    }

    fn admitted(verdict: Verdict) -> crate::policy::Admission {
        match verdict {
            Verdict::Admitted(admission) => admission,
            other => panic!("not admitted: {other:?}"),
        }
    }

    #[tokio::test]
    async fn first_login_registers_and_logout_frees_the_account_entry() {
        let registry = MemoryRegistry::default();
        let (alice, policy) = (alice(), DevicePolicy::default());
        let first = admitted(
            registry
                .admit(&alice, attempt("s1", &policy, 1))
                .await
                .unwrap(),
        );
        assert!(first.first_login);
        let second = admitted(
            registry
                .admit(&alice, attempt("s2", &policy, 1))
                .await
                .unwrap(),
        );
        assert!(!second.first_login);
        assert_eq!(second.kicked.len(), 1);
        assert!(
            !registry.remove(&alice, "s1").await.unwrap(),
            "s1 was kicked already"
        );
        assert!(registry.remove(&alice, "s2").await.unwrap());
        assert!(registry.sessions(&alice).await.unwrap().is_empty());
        assert!(registry.with_state(|s| s.online.is_empty()));
        let again = admitted(
            registry
                .admit(&alice, attempt("s3", &policy, 1))
                .await
                .unwrap(),
        );
        assert!(!again.first_login, "the account stays registered");
    }

    #[tokio::test]
    async fn ending_all_sessions_refuses_older_tickets_only() {
        let registry = MemoryRegistry::default();
        let (alice, policy) = (alice(), DevicePolicy::default());
        registry
            .admit(&alice, attempt("s1", &policy, 100))
            .await
            .unwrap();
        let ended = registry.end_all(&alice, Some(200)).await.unwrap();
        assert_eq!(ended, [session("s1")]);
        assert_eq!(
            registry
                .admit(&alice, attempt("s2", &policy, 199))
                .await
                .unwrap(),
            Verdict::Invalidated
        );
        admitted(
            registry
                .admit(&alice, attempt("s3", &policy, 200))
                .await
                .unwrap(),
        );
        assert!(registry.unregister(&alice).await.unwrap());
        assert!(!registry.is_registered(&alice).await.unwrap());
        assert!(registry.register(&alice).await.unwrap());
        assert!(!registry.register(&alice).await.unwrap());
        assert_eq!(
            registry
                .admit(&alice, attempt("s4", &policy, 199))
                .await
                .unwrap(),
            Verdict::Invalidated,
            "deleting and importing the account again keeps the kick"
        );
    }

    #[tokio::test]
    async fn a_locked_account_is_refused_even_with_a_good_ticket() {
        let registry = MemoryRegistry::new(LockoutRules {
            max_failures: 2,
            ..LockoutRules::default()
        });
        let (alice, policy) = (alice(), DevicePolicy::default());
        assert!(!registry.record_failure(&alice).await.unwrap());
        assert!(!registry.record_failure(&alice).await.unwrap());
        assert!(
            registry.record_failure(&alice).await.unwrap(),
            "locked by the second failure"
        );
        let bob = AccountKey {
            user_id: "bob".into(),
            ..alice.clone()
        };
        assert!(!registry.record_failure(&bob).await.unwrap());
        assert_eq!(
            registry
                .admit(&alice, attempt("s1", &policy, 1))
                .await
                .unwrap(),
            Verdict::Locked
        );
    }
}
