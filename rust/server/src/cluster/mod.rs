//! Several nodes serving as one: sessions, accounts and lockouts in a shared Redis.
//!
//! - **Admission** is one atomic step per login: the node reads nothing first; it guesses that
//!   nothing of the account is online, computes the admission with [`crate::policy`] and sends it
//!   to a compare-and-set script (`lua/admit.lua`) with the lockout and invalidation checks. When
//!   the guess was wrong the script answers the account's sessions instead, and the node computes
//!   again from them: one round trip for an account with nothing else online, two otherwise,
//!   more only while concurrent logins of the same account race.
//! - **Endings** (kicks, replacements) travel to the node that holds the session through that
//!   node's stream (`tim:k:TOKEN`), never to every node ([`kicks`]).
//! - **Leases**: each node renews its lease every third of `--node-lease`; sessions of a node
//!   whose lease ran out count for nothing and are swept by a live node ([`lease`]). A lease that
//!   ran out is never renewed: when the node finds that the store no longer holds its lease
//!   (Redis restarted empty, or the node was stopped or cut off past its lease), it comes back as
//!   a new incarnation (a new token) and admits every session it holds again under it, as
//!   reconnects, so that a sweep of the old token, maybe under way, never takes them.
//! - **Persistence**: Redis holds the accounts, the kicks' invalidations and the daily figures,
//!   so a node joins only a Redis that keeps them on disk, unless told it is a throwaway
//!   ([`persistence`]).

mod config;
mod daily;
mod keys;
mod kicks;
mod lease;
mod local;
mod pending;
mod persistence;
mod store;

pub use config::{ClusterConfig, DEFAULT_NODE_LEASE, MIN_NODE_LEASE, RedisTarget};
pub use daily::DayCounts;
pub use local::Local;
pub use store::StoreStats;

use crate::account::{AccountKey, RegistryError};
use crate::hub::Ending;
use crate::lockout::LockoutRules;
use crate::policy::{Admission, SessionInfo, admit, admit_reconnect};
use crate::registry::{LoginAttempt, SessionRegistry, Verdict};
use futures_util::future::{BoxFuture, FutureExt};
use pending::Pending;
use redis::{Script, Value};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use store::{Connection, Store};
use tokio::sync::Notify;
use tracing::info;

/// Longest a store call may take before the call counts as failed (a login then answers 70169).
const STORE_TIMEOUT: Duration = Duration::from_secs(1);

/// Rounds of compare-and-set one admission may take while other logins of the same account race
/// it; each lost round lets another login through, so this bounds only pathological contention.
const MAX_ADMIT_ROUNDS: usize = 64;

/// Accounts or sessions worked on at once by a sweep, a re-admission or a leave.
const CONCURRENCY: usize = 32;

/// Tokens of this process a node answers for: its current one and the last ones before it. A
/// session admitted under an older token is connected here all the same (the node admits it again
/// under the new one), and endings sent to an older token's stream still reach it.
const TOKENS_KEPT: usize = 4;

/// The scripts, each loaded once per process and sent as EVALSHA.
struct Scripts {
    admit: Script,
    remove: Script,
    evict_node: Script,
    end_all: Script,
    failure: Script,
    lease: Script,
    swept: Script,
    unregister: Script,
}

impl Scripts {
    fn new() -> Self {
        Scripts {
            admit: Script::new(include_str!("lua/admit.lua")),
            remove: Script::new(include_str!("lua/remove.lua")),
            evict_node: Script::new(include_str!("lua/evict_node.lua")),
            end_all: Script::new(include_str!("lua/end_all.lua")),
            failure: Script::new(include_str!("lua/failure.lua")),
            lease: Script::new(include_str!("lua/lease.lua")),
            swept: Script::new(include_str!("lua/swept.lua")),
            unregister: Script::new(include_str!("lua/unregister.lua")),
        }
    }
}

/// Counters of the cluster's work, for `/metrics`.
#[derive(Debug, Default)]
pub struct ClusterStats {
    /// Endings sent to sessions on other nodes.
    pub kicks_sent: AtomicU64,
    /// Endings other nodes sent to sessions here.
    pub kicks_received: AtomicU64,
    /// Lease renewals that succeeded.
    pub lease_renewals: AtomicU64,
    /// Times the store had forgotten this node (restarted empty, or the lease ran out).
    pub lease_losses: AtomicU64,
    /// Sessions admitted again after the store had forgotten this node.
    pub reregistrations: AtomicU64,
    /// Sessions of dead nodes taken off by this node's sweeps.
    pub swept: AtomicU64,
}

/// This node's membership of a cluster: a [`SessionRegistry`] on Redis, the node's lease, and
/// its stream of endings.
pub struct Cluster {
    node_id: String,
    /// The token this run started with: it names the run's figures in Redis, which a new
    /// incarnation of the same run must not count twice.
    run: String,
    /// This process's tokens, oldest first: the last one is the node's name now (see
    /// [`TOKENS_KEPT`]). A new one comes when the node lost its lease.
    tokens: RwLock<Vec<String>>,
    /// Held shared by every admission and alone by a change of token and by the leave, so that
    /// no admission writes under a token the node is leaving; `true` once the node has left.
    gate: tokio::sync::RwLock<bool>,
    lease: Duration,
    lockout: LockoutRules,
    store: Store,
    /// A connection of its own for the blocking read of this node's stream.
    stream_connection: Connection,
    /// One Redis (not a Redis Cluster): the node's index and the leases share the scripts'
    /// server, so the admission and removal scripts update the index themselves, saving a
    /// command, and the admission checks the lease. On Redis Cluster they live in other slots.
    index_in_scripts: bool,
    scripts: Scripts,
    /// Nodes whose lease has run out, as of the last renewal: their sessions count for nothing.
    dead: RwLock<HashSet<String>>,
    /// What the store must still hear (see [`Pending`]).
    pending: Mutex<Vec<Pending>>,
    /// Wakes the upkeep when an admission finds that this node's lease ran out.
    lease_lost: Notify,
    /// Wakes the admissions that wait for the node's new token.
    token_changed: Notify,
    /// Counters of the store's calls.
    pub store_stats: Arc<StoreStats>,
    /// Counters of the cluster's work.
    pub stats: ClusterStats,
}

/// An admission whose answer never came: the error, and the sessions that the admission would
/// have displaced, with their endings, in case it applied.
struct Unanswered {
    error: RegistryError,
    displaced: Vec<(SessionInfo, Ending)>,
}

impl From<RegistryError> for Unanswered {
    fn from(error: RegistryError) -> Self {
        Unanswered {
            error,
            displaced: vec![],
        }
    }
}

/// How one try of an admission failed.
enum Failed {
    /// The script wrote nothing: this node's lease had run out.
    LeaseLost,
    /// The store did not answer (or the index entry failed); what may have applied is pending.
    Store(RegistryError),
}

impl Cluster {
    /// Connects to the cluster's Redis and checks that it keeps what it is given. Fails when
    /// Redis cannot be reached now (a [`RegistryError`] inside the error), and refuses (a
    /// [`Refused`](crate::Refused)) a Redis with neither the append-only file nor snapshots
    /// unless `config.redis_ephemeral` says it is a throwaway.
    pub async fn join(
        config: &ClusterConfig,
        lockout: LockoutRules,
    ) -> std::io::Result<Arc<Cluster>> {
        let store_stats = Arc::new(StoreStats::default());
        let connection = Connection::open(&config.redis, STORE_TIMEOUT)
            .await
            .map_err(std::io::Error::other)?;
        let name = match &config.redis {
            RedisTarget::Single(url) => persistence::server_name(url),
            RedisTarget::Cluster(_) => String::new(),
        };
        let servers = persistence::read(&connection, &name, STORE_TIMEOUT)
            .await
            .map_err(std::io::Error::other)?;
        persistence::judge(&servers, config.redis_ephemeral)?;
        let stream_connection = Connection::open(&config.redis, kicks::BLOCK + STORE_TIMEOUT)
            .await
            .map_err(std::io::Error::other)?;
        let token = new_token(&config.node_id);
        info!(node = %token, "joining the cluster");
        Ok(Arc::new(Cluster {
            node_id: config.node_id.clone(),
            run: token.clone(),
            tokens: RwLock::new(vec![token]),
            gate: tokio::sync::RwLock::new(false),
            lease: config.lease,
            lockout,
            store: Store::new(connection, STORE_TIMEOUT, store_stats.clone()),
            stream_connection,
            index_in_scripts: matches!(config.redis, RedisTarget::Single(_)),
            scripts: Scripts::new(),
            dead: RwLock::default(),
            pending: Mutex::default(),
            lease_lost: Notify::new(),
            token_changed: Notify::new(),
            store_stats,
            stats: ClusterStats::default(),
        }))
    }

    /// This node's token now: its id and this incarnation.
    pub fn token(&self) -> String {
        self.read_tokens().last().cloned().unwrap_or_default()
    }

    /// Every token this process answers for, oldest first.
    fn read_tokens(&self) -> std::sync::RwLockReadGuard<'_, Vec<String>> {
        self.tokens.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the store answered the last call: what `/healthz` reports.
    pub fn reachable(&self) -> bool {
        self.store_stats.reachable.load(Relaxed)
    }

    fn is_dead(&self, node: &str) -> bool {
        self.dead
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(node)
    }

    /// The live sessions in an account hash, and the dead nodes' sessions found beside them.
    fn live(&self, sessions: Vec<SessionInfo>) -> (Vec<SessionInfo>, Vec<SessionInfo>) {
        sessions.into_iter().partition(|s| !self.is_dead(&s.node))
    }

    /// The account's hash, as `HGETALL` answers it.
    async fn read_account(&self, account: &AccountKey) -> Result<Vec<SessionInfo>, RegistryError> {
        let fields: Vec<(String, String)> = self
            .store
            .query(redis::cmd("HGETALL").arg(keys::sessions(account)))
            .await?;
        Ok(keys::parse_account(&fields).1)
    }

    /// Admits a session under this node's token of now, in the node's index too. `reregister`
    /// is a session this node already holds, admitted again after the store forgot it: it skips
    /// the lockout and invalidation checks. Whatever the store may have applied of an admission
    /// that fails is queued to be set right once the store answers ([`Pending`]).
    async fn admit_indexed(
        &self,
        account: &AccountKey,
        attempt: LoginAttempt<'_>,
        reregister: bool,
    ) -> Result<Verdict, RegistryError> {
        let before = self.token();
        match self.admit_once(account, attempt.clone(), reregister).await {
            Err(Failed::LeaseLost) => {}
            Err(Failed::Store(error)) => return Err(error),
            Ok(verdict) => return Ok(verdict),
        }
        // The node's own renewal came late: the login waits for the node's new token (the
        // upkeep was woken) rather than being refused for it, then tries once more.
        let changed = self.token_changed.notified();
        if self.token() == before {
            let _ = tokio::time::timeout(2 * STORE_TIMEOUT, changed).await;
        }
        match self.admit_once(account, attempt, reregister).await {
            Err(Failed::LeaseLost) => Err(RegistryError("this node's lease ran out".into())),
            Err(Failed::Store(error)) => Err(error),
            Ok(verdict) => Ok(verdict),
        }
    }

    /// One try of [`Cluster::admit_indexed`].
    async fn admit_once(
        &self,
        account: &AccountKey,
        mut attempt: LoginAttempt<'_>,
        reregister: bool,
    ) -> Result<Verdict, Failed> {
        let gate = self.gate.read().await;
        if *gate {
            return Err(Failed::Store(RegistryError(
                "this node has left the cluster".into(),
            )));
        }
        let token = self.token();
        attempt.session.node.clone_from(&token);
        let session_id = attempt.session.session_id.clone();
        // On Redis Cluster the index lives in another slot: its entry goes first, in the same
        // round trip as the admission, so that whatever is online for this node is always in
        // its index and a sweep of the node finds it. On one Redis the script adds it.
        let index = async {
            if self.index_in_scripts {
                return Ok(0);
            }
            let mut index = redis::cmd("SADD");
            index
                .arg(keys::node_index(&token))
                .arg(keys::index_member(account, &session_id));
            self.store.query::<i64>(&index).await
        };
        let (indexed, verdict) = tokio::join!(
            index,
            self.admit_rounds(account, &attempt, &token, reregister)
        );
        drop(gate);
        match (verdict, indexed) {
            (Ok(Verdict::Admitted(admission)), Ok(_)) => Ok(Verdict::Admitted(admission)),
            (Ok(Verdict::Admitted(admission)), Err(error)) => {
                // Online, but not in the index a sweep of this node would visit: it must go.
                self.queue(Pending::Unsure {
                    account: account.clone(),
                    session_id,
                    displaced: endings(&admission, attempt.session.platform),
                });
                Err(Failed::Store(error))
            }
            (Ok(refused), _) => {
                // Refused: only the index entry, if any, was written.
                if !self.index_in_scripts && self.remove_now(account, &session_id).await.is_err() {
                    self.queue(Pending::Remove {
                        account: account.clone(),
                        session_id,
                    });
                }
                Ok(refused)
            }
            (Err(None), _) => {
                // Nothing written but the index entry, if any.
                if !self.index_in_scripts {
                    self.queue(Pending::Remove {
                        account: account.clone(),
                        session_id,
                    });
                }
                Err(Failed::LeaseLost)
            }
            (Err(Some(unanswered)), _) => {
                // The script may have run although its answer was lost.
                self.queue(Pending::Unsure {
                    account: account.clone(),
                    session_id,
                    displaced: unanswered.displaced,
                });
                Err(Failed::Store(unanswered.error))
            }
        }
    }

    /// The atomic admission: compare-and-set rounds until one applies (see the module docs).
    /// `Err(None)` when the script refused to write under this node's token, whose lease ran out.
    async fn admit_rounds(
        &self,
        account: &AccountKey,
        attempt: &LoginAttempt<'_>,
        token: &str,
        reregister: bool,
    ) -> Result<Verdict, Option<Unanswered>> {
        let (hash, lockout) = (keys::sessions(account), keys::lockout(account));
        // The first round guesses that nothing is online; the script says when that is wrong.
        let mut seen: Option<(String, Vec<SessionInfo>)> = None;
        for _ in 0..MAX_ADMIT_ROUNDS {
            let (version, online) = seen.take().unwrap_or_default();
            let (mut online, ghosts) = self.live(online);
            let admission = if attempt.reconnect {
                match admit_reconnect(&mut online, attempt.session.clone(), attempt.policy) {
                    Some(admission) => admission,
                    None => return Ok(Verdict::NoRoom),
                }
            } else {
                admit(&mut online, attempt.session.clone(), attempt.policy)
            };
            let mut invocation = self.scripts.admit.prepare_invoke();
            invocation.key(&hash).key(&lockout);
            if self.index_in_scripts {
                invocation.key(keys::node_index(token)).key(keys::NODES);
            }
            invocation
                .arg(&version)
                .arg(attempt.ticket_time)
                .arg(if reregister { "1" } else { "0" })
                .arg(&attempt.session.session_id)
                .arg(keys::session_value(&attempt.session))
                .arg(keys::index_member(account, &attempt.session.session_id))
                .arg(token);
            for gone in displaced(&admission).chain(&ghosts) {
                invocation.arg(&gone.session_id);
            }
            let answer: Vec<Value> = match self.store.invoke(&invocation).await {
                Ok(answer) => answer,
                Err(error) => {
                    return Err(Some(Unanswered {
                        error,
                        displaced: endings(&admission, attempt.session.platform),
                    }));
                }
            };
            match admit_answer(&answer).map_err(|e| Some(e.into()))? {
                AdmitAnswer::Applied { first_login } => {
                    return Ok(Verdict::Admitted(Admission {
                        first_login,
                        ..admission
                    }));
                }
                AdmitAnswer::Locked => return Ok(Verdict::Locked),
                AdmitAnswer::Invalid => return Ok(Verdict::Invalidated),
                AdmitAnswer::LeaseLost => {
                    self.lease_lost.notify_one();
                    return Err(None);
                }
                AdmitAnswer::Stale(fields) => {
                    let (version, sessions) = keys::parse_account(&fields);
                    seen = Some((version, sessions));
                }
            }
        }
        Err(Some(
            RegistryError(format!(
                "{MAX_ADMIT_ROUNDS} concurrent logins of one account kept racing"
            ))
            .into(),
        ))
    }

    /// Sends `ending` to a session connected to another node, through that node's stream. Does
    /// not wait: a login never waits for another node.
    pub fn send_ending(self: &Arc<Self>, session: &SessionInfo, ending: Ending) {
        let cluster = self.clone();
        let session = session.clone();
        tokio::spawn(async move { kicks::send(&cluster, &session, ending).await });
    }

    /// Counters for `/metrics`, in the Prometheus text format.
    pub fn render_metrics(&self, out: &mut String) {
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        let s = &self.store_stats;
        metric(
            "tim_store_up",
            "gauge",
            "Whether the last call to Redis was answered.",
            u64::from(self.reachable()),
        );
        metric(
            "tim_store_errors_total",
            "counter",
            "Calls to Redis that failed or timed out.",
            s.errors.load(Relaxed),
        );
        let c = &self.stats;
        metric(
            "tim_cross_node_kicks_sent_total",
            "counter",
            "Endings sent to sessions on other nodes.",
            c.kicks_sent.load(Relaxed),
        );
        metric(
            "tim_cross_node_kicks_received_total",
            "counter",
            "Endings received from other nodes.",
            c.kicks_received.load(Relaxed),
        );
        metric(
            "tim_lease_renewals_total",
            "counter",
            "Lease renewals that succeeded.",
            c.lease_renewals.load(Relaxed),
        );
        metric(
            "tim_lease_losses_total",
            "counter",
            "Times Redis had forgotten this node.",
            c.lease_losses.load(Relaxed),
        );
        metric(
            "tim_reregistrations_total",
            "counter",
            "Sessions admitted again after Redis forgot this node.",
            c.reregistrations.load(Relaxed),
        );
        metric(
            "tim_swept_sessions_total",
            "counter",
            "Sessions of dead nodes taken off by this node.",
            c.swept.load(Relaxed),
        );
        let name = "tim_store_latency_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Round trips of answered calls to Redis.\n# TYPE {name} histogram"
        );
        let mut cumulative = 0;
        for (bound, count) in store::LATENCY_BUCKETS.iter().zip(&s.latency_buckets) {
            cumulative += count.load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let calls = s.calls.load(Relaxed);
        let sum = s.latency_micros.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(
            out,
            "{name}_bucket{{le=\"+Inf\"}} {calls}\n{name}_sum {sum}\n{name}_count {calls}"
        );
    }
}

/// The sessions an admission takes off the account.
fn displaced(admission: &Admission) -> impl Iterator<Item = &SessionInfo> {
    admission
        .replaced
        .iter()
        .chain(admission.kicked.iter().map(|(s, _)| s))
}

/// The sessions an admission takes off, each with how it ends, as the login that displaces
/// them ends them (`by` is the login's platform).
fn endings(admission: &Admission, by: tim_protocol::Platform) -> Vec<(SessionInfo, Ending)> {
    let replaced = admission
        .replaced
        .iter()
        .map(|s| (s.clone(), Ending::Replaced));
    let kicked = admission.kicked.iter().map(|(s, reason)| {
        let ending = Ending::Kicked {
            reason: *reason,
            by_platform: Some(by),
        };
        (s.clone(), ending)
    });
    replaced.chain(kicked).collect()
}

enum AdmitAnswer {
    Applied { first_login: bool },
    Locked,
    Invalid,
    LeaseLost,
    Stale(Vec<(String, String)>),
}

fn admit_answer(answer: &[Value]) -> Result<AdmitAnswer, RegistryError> {
    let unexpected = || {
        RegistryError(format!(
            "unexpected answer of the admission script: {answer:?}"
        ))
    };
    let word: String = answer
        .first()
        .and_then(|v| redis::from_redis_value_ref(v).ok())
        .ok_or_else(unexpected)?;
    match word.as_str() {
        "ok" => {
            let first: i64 = answer
                .get(1)
                .and_then(|v| redis::from_redis_value_ref(v).ok())
                .ok_or_else(unexpected)?;
            Ok(AdmitAnswer::Applied {
                first_login: first == 1,
            })
        }
        "locked" => Ok(AdmitAnswer::Locked),
        "invalid" => Ok(AdmitAnswer::Invalid),
        "lost" => Ok(AdmitAnswer::LeaseLost),
        "stale" => {
            let flat: Vec<String> = answer
                .get(1)
                .and_then(|v| redis::from_redis_value_ref(v).ok())
                .ok_or_else(unexpected)?;
            Ok(AdmitAnswer::Stale(pairs(flat)))
        }
        _ => Err(unexpected()),
    }
}

/// `[f1, v1, f2, v2, ...]` as pairs.
fn pairs(flat: Vec<String>) -> Vec<(String, String)> {
    let mut flat = flat.into_iter();
    let mut out = vec![];
    while let (Some(field), Some(value)) = (flat.next(), flat.next()) {
        out.push((field, value));
    }
    out
}

type Answer<'a, T> = BoxFuture<'a, Result<T, RegistryError>>;

impl SessionRegistry for Cluster {
    fn node(&self) -> String {
        self.token()
    }

    fn is_local(&self, node: &str) -> bool {
        self.read_tokens().iter().any(|token| token == node)
    }

    fn admit<'a>(
        &'a self,
        account: &'a AccountKey,
        attempt: LoginAttempt<'a>,
    ) -> Answer<'a, Verdict> {
        self.admit_indexed(account, attempt, false).boxed()
    }

    fn record_failure<'a>(&'a self, account: &'a AccountKey) -> Answer<'a, bool> {
        async move {
            let rules = self.lockout;
            let mut invocation = self.scripts.failure.prepare_invoke();
            invocation
                .key(keys::lockout(account))
                .arg(rules.max_failures)
                .arg(millis(rules.window))
                .arg(millis(rules.lock_for));
            let locked: i64 = self.store.invoke(&invocation).await?;
            Ok(locked == 1)
        }
        .boxed()
    }

    fn remove<'a>(&'a self, account: &'a AccountKey, session_id: &'a str) -> Answer<'a, bool> {
        async move {
            let result = self.remove_now(account, session_id).await;
            if result.is_err() {
                self.queue(Pending::Remove {
                    account: account.clone(),
                    session_id: session_id.to_owned(),
                });
            }
            result
        }
        .boxed()
    }

    fn sessions<'a>(&'a self, account: &'a AccountKey) -> Answer<'a, Vec<SessionInfo>> {
        async move { Ok(self.live(self.read_account(account).await?).0) }.boxed()
    }

    fn end_all<'a>(
        &'a self,
        account: &'a AccountKey,
        invalidate_before: Option<u64>,
    ) -> Answer<'a, Vec<SessionInfo>> {
        async move {
            let mut invocation = self.scripts.end_all.prepare_invoke();
            invocation
                .key(keys::sessions(account))
                .arg(invalidate_before.map_or(String::new(), |t| t.to_string()));
            let flat: Vec<String> = self.store.invoke(&invocation).await?;
            let ended = pairs(flat)
                .iter()
                .filter_map(|(field, value)| keys::parse_session(field, value))
                .map(|(_, session)| session)
                .collect();
            Ok(self.live(ended).0)
        }
        .boxed()
    }

    fn register<'a>(&'a self, account: &'a AccountKey) -> Answer<'a, bool> {
        async move {
            let now_ms = crate::clock::unix_millis();
            let new: i64 = self
                .store
                .query(
                    redis::cmd("HSETNX")
                        .arg(keys::sessions(account))
                        .arg("r")
                        .arg(now_ms),
                )
                .await?;
            Ok(new == 1)
        }
        .boxed()
    }

    fn unregister<'a>(&'a self, account: &'a AccountKey) -> Answer<'a, bool> {
        async move {
            let mut invocation = self.scripts.unregister.prepare_invoke();
            invocation.key(keys::sessions(account));
            let removed: i64 = self.store.invoke(&invocation).await?;
            Ok(removed > 0)
        }
        .boxed()
    }

    fn is_registered<'a>(&'a self, account: &'a AccountKey) -> Answer<'a, bool> {
        async move {
            self.store
                .query(redis::cmd("HEXISTS").arg(keys::sessions(account)).arg("r"))
                .await
        }
        .boxed()
    }
}

impl Cluster {
    /// Takes a session off its account and off this node's index.
    async fn remove_now(
        &self,
        account: &AccountKey,
        session_id: &str,
    ) -> Result<bool, RegistryError> {
        let member = keys::index_member(account, session_id);
        let index = keys::node_index(&self.token());
        let mut invocation = self.scripts.remove.prepare_invoke();
        invocation.key(keys::sessions(account));
        if self.index_in_scripts {
            invocation.key(&index);
        }
        invocation.arg(session_id).arg(&member);
        let removed: i64 = self.store.invoke(&invocation).await?;
        if !self.index_in_scripts {
            self.store
                .query::<i64>(redis::cmd("SREM").arg(&index).arg(&member))
                .await?;
        }
        Ok(removed == 1)
    }

    fn queue(&self, pending: Pending) {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(pending);
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A new token for node `node_id`: its id and a random incarnation.
fn new_token(node_id: &str) -> String {
    format!("{node_id}#{:08x}", rand::random::<u32>())
}

pub use lease::maintain;
