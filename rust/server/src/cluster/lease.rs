//! The node's upkeep: renewing its lease, learning which nodes died and sweeping what they left,
//! doing what the store could not hear ([`super::pending`]), coming back as a new incarnation
//! when the store no longer holds its lease, and leaving the cluster cleanly on shutdown.

use super::local::Local;
use super::pending::Pending;
use super::{CONCURRENCY, Cluster, TOKENS_KEPT, keys, kicks, new_token};
use crate::account::{AccountKey, RegistryError};
use crate::hub::{Ending, Hub};
use crate::policy::{DevicePolicy, SessionInfo};
use crate::registry::{LoginAttempt, Verdict};
use futures_util::future::join_all;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tim_protocol::KickReason;
use tokio::sync::Notify;
use tracing::{info, warn};

/// How long a swept node is still counted dead, so that a session it wrote in the instant before
/// it died (and so missed by its sweep) still counts for nothing.
const REMEMBER_SWEPT: Duration = Duration::from_secs(3600);

/// Members read from a node index per step of a sweep.
const SCAN_COUNT: usize = 500;

impl Cluster {
    /// Registers the node's token at its start, ending the leases of its earlier runs.
    pub async fn start(&self) -> Result<(), RegistryError> {
        self.renew_token(&self.token(), "start").await.map(|_| ())
    }

    /// Renews the lease of this node's token. Answers whether the store still held it (when not,
    /// the node must come back under a new token: [`Cluster::reincarnate`]), and records the dead
    /// nodes.
    pub async fn renew(&self) -> Result<bool, RegistryError> {
        self.renew_token(&self.token(), "renew").await
    }

    /// The lease written runs two thirds of `--node-lease` from now: renewals come every third,
    /// and the other nodes, which look at every renewal of theirs, then see a dead node's lease
    /// run out and stop counting its sessions within `--node-lease` of its last renewal.
    async fn renew_token(&self, token: &str, how: &str) -> Result<bool, RegistryError> {
        let mut invocation = self.scripts.lease.prepare_invoke();
        invocation
            .key(keys::NODES)
            .key(keys::SWEPT)
            .arg(token)
            .arg(super::millis(self.lease * 2 / 3))
            .arg(how)
            .arg(super::millis(REMEMBER_SWEPT));
        let (held, dead): (i64, Vec<String>) = self.store.invoke(&invocation).await?;
        self.stats.lease_renewals.fetch_add(1, Relaxed);
        *self.dead.write().unwrap_or_else(|e| e.into_inner()) = dead.into_iter().collect();
        Ok(held == 1)
    }

    /// Comes back under a new token after the store stopped holding this node's lease, and
    /// queues every session `hub` holds to be admitted again under it (by the upkeep, so that
    /// the renewals of the new lease never wait for that). The old token is dead for every node
    /// from now on; its sweep (by this node or another) takes only what was left under it.
    async fn reincarnate(&self, hub: &Hub) {
        let token = new_token(&self.node_id);
        if let Err(e) = self.renew_token(&token, "new").await {
            warn!(error = %e, "cannot register this node again yet");
            return;
        }
        {
            // No admission is under way while the token changes.
            let _alone = self.gate.write().await;
            let mut tokens = self.tokens.write().unwrap_or_else(|e| e.into_inner());
            tokens.push(token.clone());
            let excess = tokens.len().saturating_sub(TOKENS_KEPT);
            tokens.drain(..excess);
        }
        self.token_changed.notify_waiters();
        let held = hub.held();
        info!(
            node = %token,
            sessions = held.len(),
            "the store no longer held this node's lease: admitting its sessions again under a new incarnation"
        );
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.extend(
            held.into_iter()
                .map(|(account, session)| Pending::Readmit { account, session }),
        );
    }

    /// Admits one held session again under this node's token of now; `Some(ending)` when it
    /// must end instead.
    pub(super) async fn readmit_one(
        &self,
        account: &AccountKey,
        session: &SessionInfo,
        policy: &DevicePolicy,
    ) -> Result<Option<Ending>, RegistryError> {
        let (online, _) = self.live(self.read_account(account).await?);
        let token = self.token();
        if let Some(stored) = online.iter().find(|s| s.session_id == session.session_id) {
            if stored.node == token {
                return Ok(None); // admitted again already
            }
        } else if online.iter().any(|s| s.instance_id == session.instance_id) {
            // The instance reconnected to another node meanwhile: this connection is the old one.
            return Ok(Some(Ending::Replaced));
        }
        let attempt = LoginAttempt {
            session: session.clone(),
            policy,
            reconnect: true,
            ticket_time: 0,
        };
        Ok(match self.admit_indexed(account, attempt, true).await? {
            Verdict::Admitted(_) => None,
            _ => {
                // Whatever took the place: the newest session on a platform that conflicts.
                let mut trial = online.clone();
                let admission = crate::policy::admit(&mut trial, session.clone(), policy);
                let (reason, by_platform) = admission.kicked.last().map_or(
                    (KickReason::DeviceLimit, session.platform),
                    |(s, reason)| (*reason, s.platform),
                );
                Some(Ending::Kicked {
                    reason,
                    by_platform: Some(by_platform),
                })
            }
        })
    }

    /// Sweeps every dead node not swept yet, one live node per dead node (a lock decides which).
    async fn sweep(&self, swept: &mut HashSet<String>) {
        let current = self.token();
        let dead: Vec<String> = self
            .dead
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|token| **token != current && !swept.contains(*token))
            .cloned()
            .collect();
        for token in dead {
            match self.sweep_node(&token).await {
                Ok(true) => {
                    swept.insert(token);
                }
                Ok(false) => {} // another node is sweeping it
                Err(e) => warn!(error = %e, node = %token, "cannot sweep a dead node yet"),
            }
        }
        // Forgotten nodes need no memory of having been swept.
        let dead = self.dead.read().unwrap_or_else(|e| e.into_inner());
        swept.retain(|token| dead.contains(token));
    }

    /// Takes a dead node's sessions off every account it held. `Ok(false)` when another node
    /// holds the sweep's lock.
    async fn sweep_node(&self, token: &str) -> Result<bool, RegistryError> {
        let locked: Option<String> = self
            .store
            .query(
                redis::cmd("SET")
                    .arg(keys::sweep_lock(token))
                    .arg(self.token())
                    .arg("NX")
                    .arg("PX")
                    .arg(super::millis(self.lease)),
            )
            .await?;
        if locked.is_none() {
            return Ok(false);
        }
        let taken = self.clear_node(token).await?;
        self.stats.swept.fetch_add(taken, Relaxed);
        info!(node = %token, sessions = taken, "swept a dead node's sessions");
        Ok(true)
    }

    /// Takes every session of node `token` off the accounts in its index, deletes its index and
    /// its stream, and moves it to the swept nodes. Answers how many sessions there were.
    async fn clear_node(&self, token: &str) -> Result<u64, RegistryError> {
        let index = keys::node_index(token);
        let mut cursor = 0u64;
        let mut taken = 0;
        loop {
            let (next, members): (u64, Vec<String>) = self
                .store
                .query(
                    redis::cmd("SSCAN")
                        .arg(&index)
                        .arg(cursor)
                        .arg("COUNT")
                        .arg(SCAN_COUNT),
                )
                .await?;
            let accounts: HashSet<AccountKey> = members
                .iter()
                .filter_map(|m| keys::parse_index_member(m))
                .collect();
            let accounts: Vec<AccountKey> = accounts.into_iter().collect();
            taken += self.evict(token, &accounts).await?;
            if next == 0 {
                break;
            }
            cursor = next;
        }
        self.store
            .query::<i64>(redis::cmd("DEL").arg(&index).arg(keys::node_stream(token)))
            .await?;
        let mut invocation = self.scripts.swept.prepare_invoke();
        invocation.key(keys::NODES).key(keys::SWEPT).arg(token);
        self.store.invoke::<i64>(&invocation).await?;
        Ok(taken)
    }

    /// Takes every session of node `token` off `accounts`; answers how many there were.
    async fn evict(&self, token: &str, accounts: &[AccountKey]) -> Result<u64, RegistryError> {
        let mut taken = 0;
        for chunk in accounts.chunks(CONCURRENCY) {
            for result in join_all(chunk.iter().map(|a| self.evict_one(token, a))).await {
                taken += u64::try_from(result?).unwrap_or(0);
            }
        }
        Ok(taken)
    }

    async fn evict_one(&self, token: &str, account: &AccountKey) -> Result<i64, RegistryError> {
        let mut invocation = self.scripts.evict_node.prepare_invoke();
        invocation.key(keys::sessions(account)).arg(token);
        self.store.invoke(&invocation).await
    }

    /// Leaves the cluster: admits nothing more, takes every session admitted under this node's
    /// tokens off their accounts, and ends its leases, so that its clients are admitted elsewhere
    /// at once. Logins that race the leave either finished before it (and are taken off) or are
    /// refused.
    pub async fn leave(&self) {
        *self.gate.write().await = true;
        let tokens = self.read_tokens().clone();
        let mut sessions = 0;
        for token in tokens.iter().rev() {
            match self.clear_node(token).await {
                Ok(taken) => sessions += taken,
                Err(e) => {
                    warn!(error = %e, "cannot leave the cluster cleanly: other nodes sweep this one when its lease runs out");
                    return;
                }
            }
        }
        info!(sessions, "left the cluster");
    }
}

/// The node's upkeep until shutdown: reads its stream of endings; every third of the lease (or
/// at once when an admission found the lease lost) renews the lease, and comes back under a new
/// token if the store no longer held it; after each renewal, in a task of its own so that no
/// renewal waits for it, does what the store could not hear and sweeps dead nodes.
pub async fn maintain(cluster: Arc<Cluster>, local: Local) {
    let local = Arc::new(local);
    let reader = tokio::spawn(kicks::read(
        cluster.clone(),
        local.hub.clone(),
        local.shutdown.clone(),
    ));
    let renewed = Arc::new(Notify::new());
    let upkeep = tokio::spawn(upkeep(local.clone(), cluster.clone(), renewed.clone()));
    let mut tick = tokio::time::interval(cluster.lease / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut unreachable_since_warned = false;
    loop {
        tokio::select! {
            () = local.shutdown.cancelled() => break,
            _ = tick.tick() => {}
            () = cluster.lease_lost.notified() => {}
        }
        match cluster.renew().await {
            Ok(held) => {
                unreachable_since_warned = false;
                if !held {
                    cluster.stats.lease_losses.fetch_add(1, Relaxed);
                    cluster.reincarnate(&local.hub).await;
                }
                renewed.notify_one();
            }
            Err(e) if !unreachable_since_warned => {
                unreachable_since_warned = true;
                warn!(error = %e, "cannot renew this node's lease: sessions online stay connected; logins answer 70169 until Redis answers");
            }
            Err(_) => {}
        }
    }
    reader.abort();
    upkeep.abort();
}

/// After each successful renewal: the pending work, then the sweeps.
async fn upkeep(local: Arc<Local>, cluster: Arc<Cluster>, renewed: Arc<Notify>) {
    let mut swept = HashSet::new();
    loop {
        renewed.notified().await;
        cluster.settle(&local).await;
        cluster.sweep(&mut swept).await;
    }
}
