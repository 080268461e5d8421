//! Endings between nodes: a login on one node that displaces a session connected to another
//! writes the ending to that node's stream (`tim:k:TOKEN`); the node reads its stream and ends
//! the session through its hub. A stream rather than pub/sub: what arrives while the reader is
//! reconnecting waits for it instead of being lost. A node reads the streams of its earlier
//! tokens too (a node that lost its lease comes back under a new one), and every write gives the
//! stream an expiry, so that the stream of a node swept away does not outlive it for long.

use super::{Cluster, keys};
use crate::hub::{Ending, Hub};
use crate::policy::SessionInfo;
use redis::streams::StreamReadReply;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

/// How long one read of the stream blocks in Redis before it is sent again.
pub const BLOCK: Duration = Duration::from_secs(2);

/// Entries a stream keeps (approximately): far more than a node reads between two reads.
const STREAM_MAX_LEN: usize = 10_000;

/// Entries read at once.
const READ_COUNT: usize = 256;

/// How long a stream outlives its last write, in leases: far longer than its node, reading it
/// all the time, takes to read an entry, and short enough that a dead node's stream soon goes.
const STREAM_TTL_LEASES: u32 = 6;

/// Waits between attempts while the store does not answer.
const RETRY_EVERY: Duration = Duration::from_millis(200);

/// Writes `ending` to the stream of the node `session` is connected to, retrying while the
/// store does not answer, for at most one lease (after which that node's sessions are gone, or
/// it has re-admitted them and reconciles with the store itself).
pub async fn send(cluster: &Cluster, session: &SessionInfo, ending: Ending) {
    let Ok(ending_json) = serde_json::to_string(&ending) else {
        return;
    };
    let stream = keys::node_stream(&session.node);
    let mut command = redis::pipe();
    command
        .cmd("XADD")
        .arg(&stream)
        .arg("MAXLEN")
        .arg("~")
        .arg(STREAM_MAX_LEN)
        .arg("*")
        .arg("s")
        .arg(&session.session_id)
        .arg("e")
        .arg(ending_json)
        .ignore()
        .cmd("PEXPIRE")
        .arg(&stream)
        .arg(super::millis(cluster.lease * STREAM_TTL_LEASES))
        .ignore();
    let deadline = tokio::time::Instant::now() + cluster.lease;
    loop {
        if cluster.is_dead(&session.node) {
            return;
        }
        match cluster.store.pipeline::<()>(&command).await {
            Ok(_) => {
                cluster.stats.kicks_sent.fetch_add(1, Relaxed);
                return;
            }
            Err(e) if tokio::time::Instant::now() >= deadline => {
                warn!(error = %e, node = %session.node, "cannot reach the node of a displaced session");
                return;
            }
            Err(_) => tokio::time::sleep(RETRY_EVERY).await,
        }
    }
}

/// Reads this node's streams (of its tokens of now and before) until `shutdown` and ends each
/// session they name through `hub`.
pub async fn read(cluster: Arc<Cluster>, hub: Arc<Hub>, shutdown: CancellationToken) {
    let mut last_ids: HashMap<String, String> = HashMap::new();
    let block_ms = u64::try_from(BLOCK.as_millis()).unwrap_or(u64::MAX);
    loop {
        let streams: Vec<String> = cluster
            .read_tokens()
            .iter()
            .map(|t| keys::node_stream(t))
            .collect();
        last_ids.retain(|stream, _| streams.contains(stream));
        let mut connection = cluster.stream_connection.clone();
        let mut command = redis::cmd("XREAD");
        command
            .arg("COUNT")
            .arg(READ_COUNT)
            .arg("BLOCK")
            .arg(block_ms)
            .arg("STREAMS")
            .arg(&streams);
        for stream in &streams {
            command.arg(last_ids.get(stream).map_or("0-0", String::as_str));
        }
        let read = tokio::select! {
            () = shutdown.cancelled() => return,
            read = command.query_async::<Option<StreamReadReply>>(&mut connection) => read,
        };
        let reply = match read {
            Ok(reply) => reply,
            Err(e) => {
                debug!(error = %e, "cannot read this node's stream; retrying");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(RETRY_EVERY) => continue,
                }
            }
        };
        for stream in reply.into_iter().flat_map(|r| r.keys) {
            for entry in stream.ids {
                let session_id: Option<String> = entry.get("s");
                let ending = entry
                    .get::<String>("e")
                    .and_then(|json| serde_json::from_str::<Ending>(&json).ok());
                if let (Some(session_id), Some(ending)) = (session_id, ending) {
                    cluster.stats.kicks_received.fetch_add(1, Relaxed);
                    hub.end(&session_id, ending);
                }
                last_ids.insert(stream.key.clone(), entry.id);
            }
        }
    }
}
