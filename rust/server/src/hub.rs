//! The sessions connected to this server, by id, so that a login can end another session's
//! connection (a kick, or its own older connection) without holding any lock while it does.

use std::collections::HashMap;
use std::sync::Mutex;
use tim_protocol::{KickReason, Platform};
use tokio::sync::oneshot;

/// Why a session's connection must end, as told by another task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Connected sessions of this server.
#[derive(Debug, Default)]
pub struct Hub {
    sessions: Mutex<HashMap<String, oneshot::Sender<Ending>>>,
}

impl Hub {
    /// Registers a session's connection; it learns of its ending through the returned receiver.
    /// Called before the session is admitted to the registry, so a kick that follows at once
    /// always finds it.
    pub fn connect(&self, session_id: &str) -> oneshot::Receiver<Ending> {
        let (tx, rx) = oneshot::channel();
        self.lock().insert(session_id.to_owned(), tx);
        rx
    }

    /// Forgets a session whose connection ended.
    pub fn disconnect(&self, session_id: &str) {
        self.lock().remove(session_id);
    }

    /// Tells a session's connection to end. Returns whether the session was connected here.
    pub fn end(&self, session_id: &str, ending: Ending) -> bool {
        let tx = self.lock().remove(session_id);
        // Sent after the lock is released: the receiver may already be gone, which is fine.
        tx.is_some_and(|tx| tx.send(ending).is_ok())
    }

    /// Sessions connected here.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no session is connected here.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Ending>>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_ending_reaches_the_connection_once() {
        let hub = Hub::default();
        let rx = hub.connect("s1");
        let kick = Ending::Kicked {
            reason: KickReason::DeviceLimit,
            by_platform: Some(Platform::Web),
        };
        assert!(hub.end("s1", kick));
        assert!(!hub.end("s1", Ending::Replaced), "already ended");
        assert_eq!(rx.await.unwrap(), kick);
        assert!(hub.is_empty());
    }
}
