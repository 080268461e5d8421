//! The sessions connected to this node, by id, so that a login (here or on another node) can end
//! another session's connection without holding any lock while it does, and so that the node
//! knows what it holds when its store must hear it again. It also counts the sessions online here
//! for the daily figures ([`Online`]): a session counts from its admission until it leaves the
//! hub, whatever ends it (its client, a login here or on another node, the app's server).

use crate::account::AccountKey;
use crate::policy::SessionInfo;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tim_protocol::{KickReason, Platform};
use tokio::sync::oneshot;

/// Why a session's connection must end, as told by another task or another node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "ending", rename_all = "snake_case")]
pub enum Ending {
    /// Another login took its place; the client gets the kicked-offline push.
    Kicked {
        /// Which rule.
        reason: KickReason,
        /// The platform of the login that took the place; `None` for the app's server's kick.
        by_platform: Option<Platform>,
    },
    /// The same instance connected again; the old connection closes quietly.
    Replaced,
}

struct Connected {
    /// Shared, so that [`Hub::held`] copies pointers under the lock, not the sessions.
    held: Arc<(AccountKey, SessionInfo)>,
    ending: oneshot::Sender<Ending>,
    /// Whether it was admitted, and so counts in [`Online`].
    counted: bool,
}

/// Connected sessions of this node.
#[derive(Default)]
pub struct Hub {
    sessions: Mutex<HashMap<String, Connected>>,
    online: Arc<Online>,
}

impl Hub {
    /// A hub counting its admitted sessions in `online`.
    pub fn new(online: Arc<Online>) -> Self {
        Hub {
            sessions: Mutex::default(),
            online,
        }
    }

    /// Registers a session's connection; it learns of its ending through the returned receiver.
    /// Called before the session is admitted to the registry, so a kick that follows at once
    /// always finds it.
    pub fn connect(
        &self,
        account: &AccountKey,
        session: &SessionInfo,
    ) -> oneshot::Receiver<Ending> {
        let (tx, rx) = oneshot::channel();
        let connected = Connected {
            held: Arc::new((account.clone(), session.clone())),
            ending: tx,
            counted: false,
        };
        self.lock().insert(session.session_id.clone(), connected);
        rx
    }

    /// Counts a session online once the registry admitted it. `false` when it has already ended
    /// (an ending can arrive between its admission and this call): it never counted.
    pub fn admitted(&self, session_id: &str) -> bool {
        let mut sessions = self.lock();
        let Some(connected) = sessions.get_mut(session_id) else {
            return false;
        };
        if !connected.counted {
            connected.counted = true;
            self.online.add(connected.held.0.sdk_app_id);
        }
        true
    }

    /// Forgets a session whose connection ended.
    pub fn disconnect(&self, session_id: &str) {
        self.remove(session_id);
    }

    /// Tells a session's connection to end. Returns whether the session was connected here.
    pub fn end(&self, session_id: &str, ending: Ending) -> bool {
        let connected = self.remove(session_id);
        // Sent after the lock is released: the receiver may already be gone, which is fine.
        connected.is_some_and(|c| c.ending.send(ending).is_ok())
    }

    /// Whether the session is connected here.
    pub fn holds(&self, session_id: &str) -> bool {
        self.lock().contains_key(session_id)
    }

    /// Every session connected here, with its account. The lock is held only to copy pointers:
    /// the sessions are cloned after it is released, so logins are not kept waiting.
    pub fn held(&self) -> Vec<(AccountKey, SessionInfo)> {
        let held: Vec<Arc<(AccountKey, SessionInfo)>> =
            self.lock().values().map(|c| c.held.clone()).collect();
        held.iter().map(|h| (h.0.clone(), h.1.clone())).collect()
    }

    /// Sessions connected here.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no session is connected here.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn remove(&self, session_id: &str) -> Option<Connected> {
        let mut sessions = self.lock();
        let connected = sessions.remove(session_id);
        shrink_when_sparse(&mut sessions);
        if let Some(c) = connected.as_ref().filter(|c| c.counted) {
            self.online.remove(c.held.0.sdk_app_id);
        }
        connected
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Connected>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Gives back a map's spare room once it is three quarters empty: after a burst of sessions
/// closes, a map sized for the peak would otherwise keep that memory for good.
pub fn shrink_when_sparse<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>) {
    const SMALL: usize = 64;
    if map.capacity() > SMALL && map.len() < map.capacity() / 4 {
        map.shrink_to_fit();
    }
}

/// Sessions online on this node, per app: the hub counts them, from a session's admission until
/// it leaves the hub whatever ends it, so that each node counts exactly the sessions connected to
/// it; the daily figures read them for their peaks.
#[derive(Debug, Default)]
pub struct Online(Mutex<HashMap<u64, u64>>);

impl Online {
    /// One more session of `app` online here.
    pub fn add(&self, app: u64) {
        *self.lock().entry(app).or_default() += 1;
    }

    /// One session of `app` fewer.
    pub fn remove(&self, app: u64) {
        if let Some(n) = self.lock().get_mut(&app) {
            *n = n.saturating_sub(1);
        }
    }

    /// Sessions of `app` online here.
    pub fn of(&self, app: u64) -> u64 {
        self.lock().get(&app).copied().unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, u64>> {
        // Every update is a single step, so a poisoned lock guards sound counts.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_ending_reaches_the_connection_once() {
        let hub = Hub::default();
        let account = AccountKey {
            sdk_app_id: 1,
            user_id: "alice".into(),
        };
        let session = SessionInfo {
            session_id: "s1".into(),
            platform: Platform::Android,
            instance_id: "i1".into(),
            node: "local".into(),
        };
        let rx = hub.connect(&account, &session);
        assert_eq!(hub.held(), [(account, session)]);
        assert_eq!(hub.online.of(1), 0, "not counted before its admission");
        assert!(hub.admitted("s1"));
        assert!(hub.admitted("s1"), "counted once however often told");
        assert_eq!(hub.online.of(1), 1);
        let kick = Ending::Kicked {
            reason: KickReason::DeviceLimit,
            by_platform: Some(Platform::Web),
        };
        assert!(hub.end("s1", kick));
        assert!(!hub.end("s1", Ending::Replaced), "already ended");
        assert_eq!(rx.await.unwrap(), kick);
        assert!(hub.is_empty());
        assert_eq!(hub.online.of(1), 0, "uncounted as it left the hub");
        assert!(!hub.admitted("s1"), "an ended session never counts again");
        assert_eq!(hub.online.of(1), 0);
    }

    #[test]
    fn a_map_gives_back_its_room_once_three_quarters_empty() {
        let mut map: HashMap<u32, u32> = (0..10_000).map(|i| (i, i)).collect();
        let peak = map.capacity();
        map.retain(|k, _| *k < 5_000);
        shrink_when_sparse(&mut map);
        assert!(map.capacity() > peak / 2, "half full keeps its room");
        map.retain(|k, _| *k < 100);
        shrink_when_sparse(&mut map);
        assert!(map.capacity() < peak / 10, "{} of {peak}", map.capacity());
        assert_eq!(map.len(), 100);
    }

    #[test]
    fn endings_travel_as_json() {
        let kick = Ending::Kicked {
            reason: KickReason::PlatformConflict,
            by_platform: Some(Platform::IPhone),
        };
        let text = serde_json::to_string(&kick).unwrap();
        assert_eq!(
            text,
            r#"{"ending":"kicked","reason":"platform_conflict","by_platform":"iphone"}"#
        );
        assert_eq!(serde_json::from_str::<Ending>(&text).unwrap(), kick);
    }
}
