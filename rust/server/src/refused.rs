//! The error that stops a server from starting; a leaf, since the database and the cluster
//! both raise it.

/// Why the server refuses to start with what it was given: a corrupt database, one of a newer
/// version, a data folder in use by another process, a Redis that keeps nothing on disk. The
/// operator must act (`tim-server` exits with code 2, as for a bad flag); retrying does not help.
/// [`Server::bind`](crate::Server::bind) returns it inside an [`std::io::Error`]; [`Refused::of`] finds it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

impl Refused {
    /// The refusal inside `error`, if that is what it carries.
    pub fn of(error: &std::io::Error) -> Option<&Refused> {
        error.get_ref()?.downcast_ref()
    }
}

impl From<Refused> for std::io::Error {
    fn from(refused: Refused) -> Self {
        std::io::Error::other(refused)
    }
}
