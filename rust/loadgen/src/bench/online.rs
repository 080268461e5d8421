//! Who the server holds online, as `(UserID, instance)` pairs: the soak's end state compares this
//! set with what its clients believe, so a session on the wrong instance, or of the wrong user,
//! fails the check even when the counts agree.
//!
//! [`RedisSessions`] reads it from the Redis that a cluster of `tim-server` nodes shares, in the
//! registry's layout:
//!
//! - `tim:s:{SDKAPPID:USERID}`, a hash per account. A field of 16 lowercase hex characters is an
//!   online session (its id), valued `SEQ NODE PLATFORM INSTANCE` (single spaces; `NODE` is the
//!   node token `NODEID#INCARNATION`). Other fields (one character) are bookkeeping.
//! - `tim:nodes`, a sorted set of node tokens scored by lease expiry (Unix ms). A session counts
//!   only if its node's lease has not expired by Redis' `TIME`: a node that died leaves its
//!   sessions behind until they are swept, and they are not online.

use futures_util::future::{BoxFuture, FutureExt};
use std::collections::{BTreeSet, HashMap, HashSet};

/// A session as the check sees it: `(UserID, instance id)`.
pub type Pair = (String, String);

/// Where the soak reads the server's online sessions.
pub trait OnlineSessions: Send + Sync {
    /// The sessions of `app` online now. `users` are the accounts the soak's clients log in as:
    /// a source that cannot list every account reads those.
    fn online<'a>(
        &'a self,
        app: u64,
        users: &'a [String],
    ) -> BoxFuture<'a, Result<BTreeSet<Pair>, String>>;
}

/// Keys of the accounts' session hashes.
const SESSION_KEYS: &str = "tim:s:*";
/// The live nodes' sorted set.
const NODES_KEY: &str = "tim:nodes";
/// Keys asked for per `SCAN` round trip.
const SCAN_COUNT: u32 = 1000;

/// The sessions in a Redis, or in every master of a Redis Cluster, that `tim-server` nodes
/// share.
pub struct RedisSessions {
    /// The server given, or every master of its cluster.
    nodes: Vec<redis::Client>,
}

impl RedisSessions {
    /// Connects to `url`; when it is a Redis Cluster node, to every master (`CLUSTER SLOTS`).
    pub async fn connect(url: &str) -> Result<RedisSessions, String> {
        let seed = redis::Client::open(url).map_err(|e| format!("--redis {url}: {e}"))?;
        let mut connection = connection(&seed).await?;
        let slots: redis::RedisResult<Vec<Vec<redis::Value>>> = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query_async(&mut connection)
            .await;
        let Ok(slots) = slots else {
            // Not a cluster ("cluster support disabled"): the one server holds everything.
            return Ok(RedisSessions { nodes: vec![seed] });
        };
        let masters: BTreeSet<(String, i64)> = slots
            .iter()
            .filter_map(|range| match range.get(2)? {
                redis::Value::Array(master) => Some((
                    redis::from_redis_value_ref(master.first()?).ok()?,
                    redis::from_redis_value_ref(master.get(1)?).ok()?,
                )),
                _ => None,
            })
            .collect();
        let nodes = masters
            .iter()
            .map(|(host, port)| redis::Client::open(format!("redis://{host}:{port}")))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("a master of {url}: {e}"))?;
        Ok(RedisSessions { nodes })
    }

    /// The tokens of the nodes whose lease runs at Redis' `TIME` (on the master holding
    /// `tim:nodes`: the others answer MOVED).
    async fn live_nodes(&self) -> Result<HashSet<String>, String> {
        let mut last_error = String::new();
        for node in &self.nodes {
            let mut connection = connection(node).await?;
            let (secs, micros): (u64, u64) = redis::cmd("TIME")
                .query_async(&mut connection)
                .await
                .map_err(|e| format!("TIME: {e}"))?;
            let now_ms = secs * 1000 + micros / 1000;
            let live: redis::RedisResult<Vec<String>> = redis::cmd("ZRANGEBYSCORE")
                .arg(NODES_KEY)
                .arg(now_ms)
                .arg("+inf")
                .query_async(&mut connection)
                .await;
            match live {
                Ok(live) => return Ok(live.into_iter().collect()),
                Err(e) => last_error = e.to_string(),
            }
        }
        Err(format!("no master answered for {NODES_KEY}: {last_error}"))
    }

    async fn read(&self, app: u64) -> Result<BTreeSet<Pair>, String> {
        let live = self.live_nodes().await?;
        let mut online = BTreeSet::new();
        for node in &self.nodes {
            let mut connection = connection(node).await?;
            let mut cursor = 0_u64;
            loop {
                let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(SESSION_KEYS)
                    .arg("COUNT")
                    .arg(SCAN_COUNT)
                    .query_async(&mut connection)
                    .await
                    .map_err(|e| format!("SCAN: {e}"))?;
                for key in keys {
                    let Some((key_app, user)) = account(&key) else {
                        continue;
                    };
                    if key_app != app {
                        continue;
                    }
                    let fields: HashMap<String, String> = redis::cmd("HGETALL")
                        .arg(&key)
                        .query_async(&mut connection)
                        .await
                        .map_err(|e| format!("HGETALL {key}: {e}"))?;
                    for (field, value) in &fields {
                        if let Some((node, instance)) = session(field, value)
                            && live.contains(node)
                        {
                            online.insert((user.to_owned(), instance.to_owned()));
                        }
                    }
                }
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
        Ok(online)
    }
}

impl OnlineSessions for RedisSessions {
    fn online<'a>(
        &'a self,
        app: u64,
        _users: &'a [String],
    ) -> BoxFuture<'a, Result<BTreeSet<Pair>, String>> {
        self.read(app).boxed()
    }
}

async fn connection(client: &redis::Client) -> Result<redis::aio::MultiplexedConnection, String> {
    let connecting = client.get_multiplexed_async_connection();
    match tokio::time::timeout(std::time::Duration::from_secs(10), connecting).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(e)) => Err(format!("redis: {e}")),
        Err(_) => Err("redis did not answer within 10 s".to_owned()),
    }
}

/// `tim:s:{SDKAPPID:USERID}` → `(SDKAPPID, USERID)`.
fn account(key: &str) -> Option<(u64, &str)> {
    let inner = key.strip_prefix("tim:s:{")?.strip_suffix('}')?;
    let (app, user) = inner.split_once(':')?;
    Some((app.parse().ok()?, user))
}

/// A session field and its value → `(NODE, INSTANCE)`; `None` for bookkeeping fields.
fn session<'a>(field: &str, value: &'a str) -> Option<(&'a str, &'a str)> {
    let is_session_id = field.len() == 16
        && field
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !is_session_id {
        return None;
    }
    let mut parts = value.split(' ');
    let (_seq, node, _platform, instance) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    parts.next().is_none().then_some((node, instance))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tim_testkit::{RedisCluster, RedisServer};

    #[test]
    fn keys_and_fields_parse_as_the_registry_writes_them() {
        assert_eq!(
            account("tim:s:{1400000000:alice}"),
            Some((1400000000, "alice"))
        );
        assert_eq!(account("tim:s:{1400000000:a:b}"), Some((1400000000, "a:b")));
        assert_eq!(account("tim:s:1400000000:alice"), None);
        assert_eq!(account("tim:nodes"), None);
        let value = "7 node-1#3 android phone-1";
        assert_eq!(
            session("0123456789abcdef", value),
            Some(("node-1#3", "phone-1"))
        );
        assert_eq!(session("#", value), None);
        assert_eq!(session("r", "12"), None);
        assert_eq!(
            session("0123456789ABCDEF", value),
            None,
            "lowercase hex only"
        );
        assert_eq!(session("0123456789abcde", value), None);
        assert_eq!(session("0123456789abcdef", "7 node-1#3 android"), None);
        assert_eq!(session("0123456789abcdef", "7 node-1#3 android a b"), None);
    }

    /// Writes alice (two sessions on a live node, bookkeeping fields), bob (on a node whose lease
    /// expired) and carol of another app.
    async fn write_sessions(command: impl AsyncFn(&str, redis::Cmd), now_ms: u64) {
        command(
            "tim:nodes",
            redis::cmd("ZADD")
                .arg("tim:nodes")
                .arg(now_ms + 60_000)
                .arg("n1#1")
                .arg(now_ms - 1)
                .arg("n2#1")
                .clone(),
        )
        .await;
        let alice = "tim:s:{1400000000:alice}";
        command(
            alice,
            redis::cmd("HSET")
                .arg(alice)
                .arg("00000000000000a1")
                .arg("1 n1#1 android phone")
                .arg("00000000000000a2")
                .arg("2 n1#1 web browser")
                .arg("#")
                .arg("2")
                .arg("r")
                .arg("1")
                .clone(),
        )
        .await;
        let bob = "tim:s:{1400000000:bob}";
        command(
            bob,
            redis::cmd("HSET")
                .arg(bob)
                .arg("00000000000000b1")
                .arg("1 n2#1 android phone")
                .clone(),
        )
        .await;
        let carol = "tim:s:{1400000001:carol}";
        command(
            carol,
            redis::cmd("HSET")
                .arg(carol)
                .arg("00000000000000c1")
                .arg("1 n1#1 android phone")
                .clone(),
        )
        .await;
    }

    fn expected() -> BTreeSet<Pair> {
        [("alice", "browser"), ("alice", "phone")]
            .map(|(u, i)| (u.to_owned(), i.to_owned()))
            .into()
    }

    fn unix_ms() -> u64 {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        now.unwrap().as_millis() as u64
    }

    #[tokio::test]
    async fn sessions_of_live_nodes_of_the_app_are_read_from_redis() {
        let redis = RedisServer::start().await;
        write_sessions(
            async |_, command| redis.query::<()>(&command).await,
            unix_ms(),
        )
        .await;
        let sessions = RedisSessions::connect(&redis.url()).await.unwrap();
        assert_eq!(sessions.online(1400000000, &[]).await.unwrap(), expected());
    }

    #[tokio::test]
    async fn every_master_of_a_cluster_is_scanned() {
        let cluster = RedisCluster::start().await;
        write_sessions(
            async |key, command| cluster.node_for(key).await.query::<()>(&command).await,
            unix_ms(),
        )
        .await;
        let seed = &cluster.seed_urls()[0];
        let sessions = RedisSessions::connect(seed).await.unwrap();
        assert_eq!(sessions.nodes.len(), 3);
        assert_eq!(sessions.online(1400000000, &[]).await.unwrap(), expected());
    }
}
