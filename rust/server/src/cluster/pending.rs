//! What the store must still hear: work that failed while Redis did not answer, done again by the
//! node's upkeep once it answers, so that what the store holds comes back to what the node holds.

use super::local::Local;
use super::{CONCURRENCY, Cluster};
use crate::account::{AccountKey, RegistryError};
use crate::hub::{Ending, Hub};
use crate::policy::SessionInfo;
use crate::registry::SessionRegistry;
use futures_util::future::join_all;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use tracing::warn;

/// One piece of work for the store.
#[derive(Clone)]
pub(super) enum Pending {
    /// A session that ended here: take it off.
    Remove {
        account: AccountKey,
        session_id: String,
    },
    /// A login that failed after its admission may have applied (its answer was lost, or its
    /// index entry could not be written): take the session off, and end the sessions the
    /// admission would have displaced if the store no longer has them, since then it (or
    /// another login, which ended them too) took them off.
    Unsure {
        account: AccountKey,
        session_id: String,
        displaced: Vec<(SessionInfo, Ending)>,
    },
    /// A session held here that the store must admit again under this node's token of now.
    Readmit {
        account: AccountKey,
        session: SessionInfo,
    },
}

impl Cluster {
    /// Does the pending work: sessions to admit again, many at once; the rest in order. What
    /// still fails waits for the next call.
    pub(super) async fn settle(self: &Arc<Self>, local: &Local) {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        let (readmits, others): (Vec<Pending>, Vec<Pending>) = pending
            .into_iter()
            .partition(|work| matches!(work, Pending::Readmit { .. }));
        let mut left = vec![];
        for chunk in readmits.chunks(CONCURRENCY) {
            let results = join_all(chunk.iter().map(|work| self.settle_one(local, work))).await;
            for (work, result) in chunk.iter().zip(results) {
                if let Err(e) = result {
                    warn!(error = %e, "cannot admit a held session again yet");
                    left.push(work.clone());
                }
            }
        }
        let mut failing = false;
        for work in others {
            // Once the store fails, the rest waits: it would fail too.
            if failing {
                left.push(work);
                continue;
            }
            if let Err(e) = self.settle_one(local, &work).await {
                warn!(error = %e, "the store cannot hear this node's sessions yet");
                failing = true;
                left.push(work);
            }
        }
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(left);
    }

    async fn settle_one(
        self: &Arc<Self>,
        local: &Local,
        work: &Pending,
    ) -> Result<(), RegistryError> {
        match work {
            Pending::Remove {
                account,
                session_id,
            } => {
                self.remove_now(account, session_id).await?;
            }
            Pending::Unsure {
                account,
                session_id,
                displaced,
            } => {
                let online = self.read_account(account).await?;
                for (session, ending) in displaced {
                    if !online.iter().any(|s| s.session_id == session.session_id) {
                        self.end(&local.hub, session, *ending);
                    }
                }
                self.remove_now(account, session_id).await?;
            }
            Pending::Readmit { account, session } => {
                if let Some(ending) = self.readmit(local, account, session).await? {
                    local.hub.end(&session.session_id, ending);
                }
            }
        }
        Ok(())
    }

    /// Ends a session that the store has already taken offline, wherever it is connected: here
    /// through `hub`, on another node through its stream. Never waits for the session's
    /// connection.
    fn end(self: &Arc<Self>, hub: &Hub, session: &SessionInfo, ending: Ending) {
        if self.is_local(&session.node) {
            hub.end(&session.session_id, ending);
        } else {
            self.send_ending(session, ending);
        }
    }

    /// Admits again a session held here; `Some(ending)` when it must end instead (another
    /// device's login took its place meanwhile). Nothing for a session no longer held.
    pub(super) async fn readmit(
        &self,
        local: &Local,
        account: &AccountKey,
        session: &SessionInfo,
    ) -> Result<Option<Ending>, RegistryError> {
        if !local.hub.holds(&session.session_id) {
            return Ok(None);
        }
        let Some(policy) = local.policies.get(&account.sdk_app_id) else {
            return Ok(None);
        };
        let ending = self.readmit_one(account, session, policy).await?;
        if ending.is_none() {
            self.stats.reregistrations.fetch_add(1, Relaxed);
            // Its connection may have ended while it was admitted, after its removal ran.
            if !local.hub.holds(&session.session_id) {
                self.remove_now(account, &session.session_id).await?;
            }
        }
        Ok(ending)
    }
}
