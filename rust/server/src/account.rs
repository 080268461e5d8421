//! What every store of accounts speaks of (the database, the registries, the cluster, the
//! daily figures): an account's key, and the error of a store that could not answer. A leaf,
//! so that the stores below the registry need not import it.

use std::fmt;

/// An account: the same UserID in two apps is two accounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountKey {
    /// The app.
    pub sdk_app_id: u64,
    /// The UserID.
    pub user_id: String,
}

/// A registry that could not do what was asked: a shared store unreachable or too slow. Logins
/// that meet it answer 70169 (retry); sessions already online are not affected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError(pub String);

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "session registry: {}", self.0)
    }
}

impl std::error::Error for RegistryError {}
