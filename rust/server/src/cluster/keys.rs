//! The cluster's key layout in Redis, and how a session is written there.
//!
//! Everything about one account lives under the hash tag `{SDKAPPID:USERID}`, so that a script
//! touching an account's keys runs on Redis Cluster too (all its keys share a slot):
//!
//! | key | type | holds |
//! |---|---|---|
//! | `tim:s:{A:U}` | hash | `#` version, `r` registered (Unix ms), `x` tickets signed before this (Unix s) are refused; one field per online session: id (16 hex) → `SEQ NODE PLATFORM INSTANCE` |
//! | `tim:l:{A:U}` | hash, expires | lockout: `n` failures, `w` window start, `u` locked until (Unix ms) |
//! | `tim:nodes` | sorted set | node token → lease expiry (Unix ms, Redis' clock); a dead node stays until it is swept |
//! | `{tim:nodes}:swept` | sorted set | swept node token → when (Unix ms): still dead for an hour, then forgotten |
//! | `tim:n:TOKEN` | set | `SESSION/A:U` of every session on that node: what a sweep of a dead node visits |
//! | `tim:k:TOKEN` | stream, expires | sessions that node must end (`s` id, `e` ending) |
//! | `tim:sweep:TOKEN` | string, expires | which live node is sweeping a dead one |
//!
//! A node token is `NODEID#INCARNATION`: a restarted node keeps its id but not its incarnation,
//! so it never inherits its previous run's sessions, and a node that lost its lease comes back
//! under a new incarnation, so that a sweep of the old one never takes what it admits again.

use crate::account::AccountKey;
use crate::policy::SessionInfo;

/// The sorted set of node leases.
pub const NODES: &str = "tim:nodes";

/// The sorted set of swept nodes, in the slot of [`NODES`] so that one script reads both.
pub const SWEPT: &str = "{tim:nodes}:swept";

/// An account's sessions, registration and invalidation.
pub fn sessions(account: &AccountKey) -> String {
    format!("tim:s:{{{}:{}}}", account.sdk_app_id, account.user_id)
}

/// An account's failed-login counter.
pub fn lockout(account: &AccountKey) -> String {
    format!("tim:l:{{{}:{}}}", account.sdk_app_id, account.user_id)
}

/// The accounts a node holds sessions of.
pub fn node_index(token: &str) -> String {
    format!("tim:n:{token}")
}

/// The stream of endings a node must deliver.
pub fn node_stream(token: &str) -> String {
    format!("tim:k:{token}")
}

/// The lock of a sweep of a dead node.
pub fn sweep_lock(token: &str) -> String {
    format!("tim:sweep:{token}")
}

/// A session as a member of its node's index. One member per session, not per account, so that
/// adding one session and taking off another of the same account never race over one member.
pub fn index_member(account: &AccountKey, session_id: &str) -> String {
    format!("{session_id}/{}:{}", account.sdk_app_id, account.user_id)
}

/// The account of a node index member. Also reads the `A:U` members (one per account) that
/// nodes of earlier versions wrote, so that a newer node sweeps an older one.
pub fn parse_index_member(member: &str) -> Option<AccountKey> {
    let account = match member.split_once('/') {
        Some((session, account)) if is_session_field(session) => account,
        _ => member,
    };
    let (app, user) = account.split_once(':')?;
    Some(AccountKey {
        sdk_app_id: app.parse().ok()?,
        user_id: user.to_owned(),
    })
}

/// Whether a field of an account hash is a session (the others are one-letter bookkeeping).
pub fn is_session_field(field: &str) -> bool {
    field.len() == 16 && field.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A session's value without its sequence number, which the admission script prepends.
pub fn session_value(session: &SessionInfo) -> String {
    format!(
        "{} {} {}",
        session.node,
        session.platform.as_str(),
        session.instance_id
    )
}

/// A session read back from an account hash, with its login order.
pub fn parse_session(field: &str, value: &str) -> Option<(u64, SessionInfo)> {
    let mut parts = value.split(' ');
    let seq = parts.next()?.parse().ok()?;
    let node = parts.next()?.to_owned();
    let platform = parts.next()?.parse().ok()?;
    let instance_id = parts.next()?.to_owned();
    if parts.next().is_some() {
        return None;
    }
    Some((
        seq,
        SessionInfo {
            session_id: field.to_owned(),
            platform,
            instance_id,
            node,
        },
    ))
}

/// The online sessions in an account hash (as `HGETALL` returns it), oldest first, and the
/// hash's version.
pub fn parse_account(fields: &[(String, String)]) -> (String, Vec<SessionInfo>) {
    let mut version = "0".to_owned();
    let mut sessions: Vec<(u64, SessionInfo)> = vec![];
    for (field, value) in fields {
        if field == "#" {
            version.clone_from(value);
        } else if is_session_field(field) {
            sessions.extend(parse_session(field, value));
        }
    }
    sessions.sort_by_key(|(seq, _)| *seq);
    (version, sessions.into_iter().map(|(_, s)| s).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tim_protocol::Platform;

    #[test]
    fn an_accounts_keys_share_one_hash_tag() {
        let account = AccountKey {
            sdk_app_id: 1400000000,
            user_id: "a}b{c".into(),
        };
        let tag = |key: &str| {
            let open = key.find('{').unwrap();
            let close = open + key[open..].find('}').unwrap();
            key[open + 1..close].to_owned()
        };
        assert_eq!(tag(&sessions(&account)), tag(&lockout(&account)));
        assert_ne!(sessions(&account), lockout(&account));
        assert_eq!(
            parse_index_member(&index_member(&account, "00000000000000aa")),
            Some(account.clone())
        );
        // An earlier version's member, one per account, whose user id has a slash.
        let slashed = AccountKey {
            sdk_app_id: 1400000000,
            user_id: "0123456789abcdef/x".into(),
        };
        assert_eq!(
            parse_index_member("1400000000:0123456789abcdef/x"),
            Some(slashed)
        );
    }

    #[test]
    fn sessions_round_trip_and_sort_by_login_order() {
        let session = |id: &str, instance: &str| SessionInfo {
            session_id: id.into(),
            platform: Platform::IPhone,
            instance_id: instance.into(),
            node: "n1#0badf00d".into(),
        };
        let (a, b) = (
            session("00000000000000aa", "i-a"),
            session("00000000000000bb", "i-b"),
        );
        let fields = vec![
            ("#".to_owned(), "7".to_owned()),
            ("r".to_owned(), "1700000000000".to_owned()),
            (b.session_id.clone(), format!("7 {}", session_value(&b))),
            (a.session_id.clone(), format!("3 {}", session_value(&a))),
            ("00000000000000cc".to_owned(), "garbage".to_owned()),
        ];
        assert_eq!(parse_account(&fields), ("7".to_owned(), vec![a, b]));
        assert_eq!(parse_account(&[]), ("0".to_owned(), vec![]));
    }
}
