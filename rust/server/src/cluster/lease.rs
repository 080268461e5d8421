//! The node's upkeep: renewing its lease, learning which nodes died and sweeping what they left,
//! taking off sessions the store could not hear end, admitting again what the node holds when
//! the store forgot it, and leaving the cluster cleanly on shutdown.

use super::{Cluster, keys, kicks};
use crate::hub::Ending;
use crate::policy::{DevicePolicy, SessionInfo};
use crate::registry::{AccountKey, LoginAttempt, RegistryError, Verdict};
use crate::state::Shared;
use futures_util::future::join_all;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tim_protocol::KickReason;
use tracing::{info, warn};

/// How long a dead node is remembered after its lease ran out, so that a session of it written
/// in the instant before it died (and so missed by its sweep) still counts for nothing.
const REMEMBER_DEAD: Duration = Duration::from_secs(3600);

/// Accounts worked on at once by a sweep, a re-registration or a leave.
const CONCURRENCY: usize = 32;

/// Accounts read from a node index per step of a sweep.
const SCAN_COUNT: usize = 500;

impl Cluster {
    /// Renews the lease. Answers whether the store still held it, and records the dead nodes.
    ///
    /// The lease written runs two thirds of `--node-lease` from now: renewals come every third,
    /// and the other nodes, which look at every renewal of theirs, then see a dead node's lease
    /// run out and stop counting its sessions within `--node-lease` of its last renewal.
    pub async fn renew(&self, first: bool) -> Result<bool, RegistryError> {
        let mut invocation = self.scripts.lease.prepare_invoke();
        invocation
            .key(keys::NODES)
            .arg(&self.token)
            .arg(super::millis(self.lease * 2 / 3))
            .arg(if first { "1" } else { "0" })
            .arg(super::millis(REMEMBER_DEAD));
        let (held, dead): (i64, Vec<String>) = self.store.invoke(&invocation).await?;
        self.stats.lease_renewals.fetch_add(1, Relaxed);
        *self.dead.write().unwrap_or_else(|e| e.into_inner()) = dead.into_iter().collect();
        Ok(held == 1)
    }

    /// Takes off the sessions that ended here while the store could not hear it.
    async fn flush_removals(&self) {
        let pending = std::mem::take(
            &mut *self
                .pending_removals
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        for (i, (account, session_id)) in pending.iter().enumerate() {
            if let Err(e) = self.remove_now(account, session_id).await {
                warn!(error = %e, "cannot take ended sessions off yet");
                self.pending_removals
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(pending[i..].iter().cloned());
                return;
            }
        }
    }

    /// Sweeps every dead node not swept yet, one live node per dead node (a lock decides which).
    async fn sweep(&self, swept: &mut HashSet<String>) {
        let dead: Vec<String> = self
            .dead
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|token| **token != self.token && !swept.contains(*token))
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
                    .arg(&self.token)
                    .arg("NX")
                    .arg("PX")
                    .arg(super::millis(self.lease)),
            )
            .await?;
        if locked.is_none() {
            return Ok(false);
        }
        let index = keys::node_index(token);
        let mut cursor = 0u64;
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
            let accounts: Vec<AccountKey> = members
                .iter()
                .filter_map(|m| keys::parse_index_member(m))
                .collect();
            let taken = self.evict(token, &accounts).await?;
            self.stats.swept.fetch_add(taken, Relaxed);
            if next == 0 {
                break;
            }
            cursor = next;
        }
        self.store
            .query::<i64>(redis::cmd("DEL").arg(&index).arg(keys::node_stream(token)))
            .await?;
        info!(node = %token, "swept a dead node's sessions");
        Ok(true)
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

    /// Admits again every session this node holds, after the store forgot the node. A session
    /// that no longer has room (a login was admitted elsewhere meanwhile) is the one that ends.
    async fn reregister(&self, shared: &Shared) {
        let held = shared.hub.held();
        info!(
            sessions = held.len(),
            "the store had forgotten this node: admitting its sessions again"
        );
        for chunk in held.chunks(CONCURRENCY) {
            join_all(
                chunk
                    .iter()
                    .map(|(account, session)| self.reregister_held(shared, account, session)),
            )
            .await;
        }
    }

    async fn reregister_held(&self, shared: &Shared, account: &AccountKey, session: &SessionInfo) {
        let Some(app) = shared.config.apps.get(&account.sdk_app_id) else {
            return;
        };
        match self.reregister_one(account, session, &app.policy).await {
            Ok(None) => {
                self.stats.reregistrations.fetch_add(1, Relaxed);
            }
            Ok(Some(ending)) => {
                shared.hub.end(&session.session_id, ending);
            }
            // Not admitted yet: the store will not hold it until the next loss of the lease.
            Err(e) => warn!(error = %e, "cannot admit a held session again"),
        }
    }

    /// Admits one held session again; `Some(ending)` when it must end instead.
    async fn reregister_one(
        &self,
        account: &AccountKey,
        session: &SessionInfo,
        policy: &DevicePolicy,
    ) -> Result<Option<Ending>, RegistryError> {
        let (online, _) = self.live(self.read_account(account).await?);
        if online.iter().any(|s| s.session_id == session.session_id) {
            return Ok(None); // the store kept it (the lease had only run out)
        }
        if online.iter().any(|s| s.instance_id == session.instance_id) {
            // The instance reconnected to another node meanwhile: this connection is the old one.
            return Ok(Some(Ending::Replaced));
        }
        let mut index = redis::cmd("SADD");
        index
            .arg(keys::node_index(&self.token))
            .arg(keys::index_member(account));
        self.store.query::<i64>(&index).await?;
        let attempt = LoginAttempt {
            session: session.clone(),
            policy,
            reconnect: true,
            ticket_time: 0,
        };
        Ok(match self.admit_rounds(account, &attempt, true).await? {
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

    /// Leaves the cluster: takes this node's sessions off every account and ends its lease now,
    /// so that its clients are admitted elsewhere at once.
    pub async fn leave(&self, shared: &Shared) {
        let accounts: BTreeSet<AccountKey> = shared
            .hub
            .held()
            .into_iter()
            .map(|(account, _)| account)
            .collect();
        let accounts: Vec<AccountKey> = accounts.into_iter().collect();
        let token = self.token.clone();
        let left = async {
            self.evict(&token, &accounts).await?;
            let mut invocation = self.scripts.leave.prepare_invoke();
            invocation.key(keys::NODES).arg(&token);
            self.store.invoke::<i64>(&invocation).await?;
            self.store
                .query::<i64>(
                    redis::cmd("DEL")
                        .arg(keys::node_index(&token))
                        .arg(keys::node_stream(&token)),
                )
                .await
        };
        match left.await {
            Ok(_) => info!(sessions = accounts.len(), "left the cluster"),
            Err(e) => {
                warn!(error = %e, "cannot leave the cluster cleanly: other nodes sweep this one when its lease runs out")
            }
        }
    }
}

/// The node's upkeep until shutdown: reads its stream of endings, and every third of the lease
/// renews the lease, sweeps dead nodes, takes off what ended while the store was away, and
/// admits its sessions again if the store forgot it.
pub async fn maintain(shared: Arc<Shared>, cluster: Arc<Cluster>) {
    let reader = tokio::spawn(kicks::read(shared.clone(), cluster.clone()));
    let mut tick = tokio::time::interval(cluster.lease / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut swept = HashSet::new();
    let mut unreachable_since_warned = false;
    loop {
        tokio::select! {
            () = shared.shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        match cluster.renew(false).await {
            Ok(held) => {
                unreachable_since_warned = false;
                if !held {
                    cluster.stats.lease_losses.fetch_add(1, Relaxed);
                    cluster.reregister(&shared).await;
                }
                cluster.flush_removals().await;
                cluster.sweep(&mut swept).await;
            }
            Err(e) if !unreachable_since_warned => {
                unreachable_since_warned = true;
                warn!(error = %e, "cannot renew this node's lease: sessions online stay connected; logins answer 70169 until Redis answers");
            }
            Err(_) => {}
        }
    }
    reader.abort();
}
