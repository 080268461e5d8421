//! Which accounts exist, and which of their tickets an administrator's kick revoked.
//!
//! An account is registered by its first login or by a REST import, and forgotten by a REST
//! delete. A REST kick records the moment from which the account's earlier tickets are refused
//! (70052); a ticket signed later logs in as usual.

use crate::registry::{AccountKey, RegistryError};
use futures_util::future::{BoxFuture, FutureExt, ready};
use std::collections::HashMap;
use std::sync::Mutex;

/// What a login's check-in found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckIn {
    /// The ticket predates a kick: refuse it with 70052.
    Revoked,
    /// The login may go on; `registered` says whether this login registered the account.
    Admitted {
        /// The account did not exist before this login.
        registered: bool,
    },
}

/// The account store. Methods return boxed futures so that a network store fits behind it.
pub trait AccountDirectory: Send + Sync + 'static {
    /// At login: refuses a ticket signed (Unix seconds) before the account's last kick,
    /// otherwise registers the account if it is new.
    fn check_in<'a>(
        &'a self,
        account: &'a AccountKey,
        signed_at: u64,
    ) -> BoxFuture<'a, Result<CheckIn, RegistryError>>;

    /// Registers an account; `true` if it is new.
    fn import<'a>(&'a self, account: &'a AccountKey) -> BoxFuture<'a, Result<bool, RegistryError>>;

    /// Forgets an account; `false` if it did not exist.
    fn delete<'a>(&'a self, account: &'a AccountKey) -> BoxFuture<'a, Result<bool, RegistryError>>;

    /// Whether each account exists, in order.
    fn exist<'a>(
        &'a self,
        accounts: &'a [AccountKey],
    ) -> BoxFuture<'a, Result<Vec<bool>, RegistryError>>;

    /// Refuses every ticket of the account signed before `before` (Unix seconds) from now on.
    /// `false` if the account does not exist.
    fn revoke_tickets<'a>(
        &'a self,
        account: &'a AccountKey,
        before: u64,
    ) -> BoxFuture<'a, Result<bool, RegistryError>>;
}

/// Accounts in this process's memory.
#[derive(Debug, Default)]
pub struct MemoryAccounts {
    /// Each account, with the signing time before which its tickets are refused (0: none).
    accounts: Mutex<HashMap<AccountKey, u64>>,
}

impl MemoryAccounts {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<AccountKey, u64>) -> T) -> T {
        // Every mutation is one map operation, so a poisoned lock still guards consistent data.
        f(&mut self.accounts.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl AccountDirectory for MemoryAccounts {
    fn check_in<'a>(
        &'a self,
        account: &'a AccountKey,
        signed_at: u64,
    ) -> BoxFuture<'a, Result<CheckIn, RegistryError>> {
        let check_in = self.with(|accounts| match accounts.get(account) {
            Some(&revoked_before) if signed_at < revoked_before => CheckIn::Revoked,
            Some(_) => CheckIn::Admitted { registered: false },
            None => {
                accounts.insert(account.clone(), 0);
                CheckIn::Admitted { registered: true }
            }
        });
        ready(Ok(check_in)).boxed()
    }

    fn import<'a>(&'a self, account: &'a AccountKey) -> BoxFuture<'a, Result<bool, RegistryError>> {
        let new = self.with(|accounts| {
            let new = !accounts.contains_key(account);
            accounts.entry(account.clone()).or_insert(0);
            new
        });
        ready(Ok(new)).boxed()
    }

    fn delete<'a>(&'a self, account: &'a AccountKey) -> BoxFuture<'a, Result<bool, RegistryError>> {
        ready(Ok(self.with(|accounts| accounts.remove(account).is_some()))).boxed()
    }

    fn exist<'a>(
        &'a self,
        accounts: &'a [AccountKey],
    ) -> BoxFuture<'a, Result<Vec<bool>, RegistryError>> {
        let found = self.with(|known| accounts.iter().map(|a| known.contains_key(a)).collect());
        ready(Ok(found)).boxed()
    }

    fn revoke_tickets<'a>(
        &'a self,
        account: &'a AccountKey,
        before: u64,
    ) -> BoxFuture<'a, Result<bool, RegistryError>> {
        let found = self.with(|accounts| match accounts.get_mut(account) {
            Some(revoked_before) => {
                *revoked_before = (*revoked_before).max(before);
                true
            }
            None => false,
        });
        ready(Ok(found)).boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> AccountKey {
        AccountKey {
            sdk_app_id: 1,
            user_id: "alice".into(),
        }
    }

    #[tokio::test]
    async fn a_login_registers_once_and_a_kick_revokes_older_tickets_only() {
        let accounts = MemoryAccounts::default();
        let alice = alice();
        assert!(!accounts.revoke_tickets(&alice, 100).await.unwrap());
        assert_eq!(
            accounts.check_in(&alice, 50).await.unwrap(),
            CheckIn::Admitted { registered: true }
        );
        assert_eq!(
            accounts.check_in(&alice, 50).await.unwrap(),
            CheckIn::Admitted { registered: false }
        );
        assert!(accounts.revoke_tickets(&alice, 100).await.unwrap());
        assert!(accounts.revoke_tickets(&alice, 90).await.unwrap());
        assert_eq!(
            accounts.check_in(&alice, 99).await.unwrap(),
            CheckIn::Revoked
        );
        assert_eq!(
            accounts.check_in(&alice, 100).await.unwrap(),
            CheckIn::Admitted { registered: false }
        );
    }

    #[tokio::test]
    async fn import_delete_and_exist() {
        let accounts = MemoryAccounts::default();
        let (alice, bob) = (
            alice(),
            AccountKey {
                sdk_app_id: 1,
                user_id: "bob".into(),
            },
        );
        assert!(accounts.import(&alice).await.unwrap());
        assert!(!accounts.import(&alice).await.unwrap());
        let both = [alice.clone(), bob.clone()];
        assert_eq!(accounts.exist(&both).await.unwrap(), [true, false]);
        assert!(accounts.delete(&alice).await.unwrap());
        assert!(!accounts.delete(&alice).await.unwrap());
        assert_eq!(accounts.exist(&both).await.unwrap(), [false, false]);
    }
}
