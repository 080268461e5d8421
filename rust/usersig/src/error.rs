//! Why a ticket was refused, as the 700xx codes Tencent's servers answer with, so that apps
//! written against Tencent's SDK react the same way (only 70001 means "sign a new one").

use std::fmt;

/// Why a ticket was refused. [`Error::code`] gives Tencent's code, [`Error::desc`] a description
/// that never contains the ticket, its signature or a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// 70001: the ticket's validity has passed (`now > TLS.time + TLS.expire`).
    Expired,
    /// 70002: the ticket is empty.
    Empty,
    /// 70003: the ticket cannot be decoded; the text says what was wrong.
    Malformed(&'static str),
    /// 70009: the signature matches none of the keys.
    BadSignature,
    /// 70013: the ticket was signed for another UserID.
    IdentifierMismatch,
    /// 70014: the ticket was signed for another SDKAppID.
    AppMismatch,
    /// 70016: no key is configured for the SDKAppID.
    NoKey,
    /// 70020: the SDKAppID is not known (for callers that look keys up by SDKAppID).
    UnknownApp,
}

impl Error {
    /// Tencent's error code for this failure.
    pub fn code(&self) -> u32 {
        match self {
            Error::Expired => 70001,
            Error::Empty => 70002,
            Error::Malformed(_) => 70003,
            Error::BadSignature => 70009,
            Error::IdentifierMismatch => 70013,
            Error::AppMismatch => 70014,
            Error::NoKey => 70016,
            Error::UnknownApp => 70020,
        }
    }

    /// A description safe to log and to send to the client.
    pub fn desc(&self) -> &'static str {
        match self {
            Error::Expired => "UserSig expired",
            Error::Empty => "UserSig is empty",
            Error::Malformed(what) => what,
            Error::BadSignature => "UserSig signature does not match the SDKAppID's key",
            Error::IdentifierMismatch => "UserID differs from the one the UserSig was signed for",
            Error::AppMismatch => "SDKAppID differs from the one the UserSig was signed for",
            Error::NoKey => "no key found for the SDKAppID",
            Error::UnknownApp => "SDKAppID not found",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.desc())
    }
}

impl std::error::Error for Error {}
