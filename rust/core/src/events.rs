//! SDK events and their delivery. The engine only pushes events into a queue; a dispatcher task
//! hands them to the listeners in order, off the core's worker threads, with no lock held, and
//! survives listeners that panic. A slow listener delays later events, never the core.
//!
//! The answers to calls go through the same queue: a call's answer is sent once the listeners
//! have returned from every event emitted before it, so a host that forwards events and answers
//! to one thread in the order it receives them (as each host does) delivers a login's
//! `onConnecting` and `onConnectSuccess` before its result.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

use crate::error::TimResult;

/// An event of `V2TimSDKListener`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdkEvent {
    /// Connecting to the server (at login, and when reconnecting by itself).
    Connecting,
    /// Connected to the server.
    ConnectSuccess,
    /// Connecting failed; the SDK retries by itself while logged in.
    ConnectFailed {
        /// Tencent's code.
        code: i32,
        /// What went wrong.
        desc: String,
    },
    /// Another login of this account took this instance's place: logged out, no reconnect.
    KickedOffline,
    /// The UserSig expired: logged out; sign a new ticket and log in again.
    UserSigExpired,
}

impl SdkEvent {
    /// The JavaScript listener method this event calls.
    pub fn name(&self) -> &'static str {
        match self {
            SdkEvent::Connecting => "onConnecting",
            SdkEvent::ConnectSuccess => "onConnectSuccess",
            SdkEvent::ConnectFailed { .. } => "onConnectFailed",
            SdkEvent::KickedOffline => "onKickedOffline",
            SdkEvent::UserSigExpired => "onUserSigExpired",
        }
    }

    /// Calls the listener's method for this event.
    pub fn deliver(&self, listener: &dyn SdkListener) {
        match self {
            SdkEvent::Connecting => listener.on_connecting(),
            SdkEvent::ConnectSuccess => listener.on_connect_success(),
            SdkEvent::ConnectFailed { code, desc } => listener.on_connect_failed(*code, desc),
            SdkEvent::KickedOffline => listener.on_kicked_offline(),
            SdkEvent::UserSigExpired => listener.on_user_sig_expired(),
        }
    }
}

/// `V2TimSDKListener`: every method is optional. Called on a core thread, never while the core
/// holds a lock; a host forwards the call to its own thread.
pub trait SdkListener: Send + Sync + 'static {
    /// See [`SdkEvent::Connecting`].
    fn on_connecting(&self) {}
    /// See [`SdkEvent::ConnectSuccess`].
    fn on_connect_success(&self) {}
    /// See [`SdkEvent::ConnectFailed`].
    fn on_connect_failed(&self, code: i32, desc: &str) {
        let _ = (code, desc);
    }
    /// See [`SdkEvent::KickedOffline`].
    fn on_kicked_offline(&self) {}
    /// See [`SdkEvent::UserSigExpired`].
    fn on_user_sig_expired(&self) {}
}

/// A listener that wants every event as a value, as the bridge does.
impl<F: Fn(&SdkEvent) + Send + Sync + 'static> SdkListener for F {
    fn on_connecting(&self) {
        self(&SdkEvent::Connecting)
    }
    fn on_connect_success(&self) {
        self(&SdkEvent::ConnectSuccess)
    }
    fn on_connect_failed(&self, code: i32, desc: &str) {
        self(&SdkEvent::ConnectFailed {
            code,
            desc: desc.to_owned(),
        })
    }
    fn on_kicked_offline(&self) {
        self(&SdkEvent::KickedOffline)
    }
    fn on_user_sig_expired(&self) {
        self(&SdkEvent::UserSigExpired)
    }
}

/// Names a listener for `remove_listener`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

/// The listeners of one manager.
#[derive(Default)]
pub struct Listeners {
    next_id: AtomicU64,
    list: Mutex<Vec<(ListenerId, Arc<dyn SdkListener>)>>,
}

impl Listeners {
    /// Adds a listener; it receives events from the next one on.
    pub fn add(&self, listener: Arc<dyn SdkListener>) -> ListenerId {
        let id = ListenerId(self.next_id.fetch_add(1, Ordering::Relaxed));
        self.lock().push((id, listener));
        id
    }

    /// Removes a listener. Returns whether it was there.
    pub fn remove(&self, id: ListenerId) -> bool {
        let mut list = self.lock();
        let before = list.len();
        list.retain(|(i, _)| *i != id);
        list.len() != before
    }

    /// The listeners now, so that they are called without the lock held.
    fn snapshot(&self) -> Vec<Arc<dyn SdkListener>> {
        self.lock().iter().map(|(_, l)| l.clone()).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(ListenerId, Arc<dyn SdkListener>)>> {
        self.list.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What the queue carries: an event for the listeners, or the answer to a call.
enum Delivery {
    Event(SdkEvent),
    Reply(oneshot::Sender<TimResult<()>>, TimResult<()>),
}

/// The engine's end of the event queue.
#[derive(Clone)]
pub struct EventSender(mpsc::UnboundedSender<Delivery>);

impl EventSender {
    /// Queues an event; never blocks.
    pub fn emit(&self, event: SdkEvent) {
        log::debug!("event {}", event.name());
        let _ = self.0.send(Delivery::Event(event));
    }

    /// Answers a call once the listeners have had every event queued before; never blocks.
    pub fn reply(&self, reply: oneshot::Sender<TimResult<()>>, result: TimResult<()>) {
        let _ = self.0.send(Delivery::Reply(reply, result));
    }
}

/// Starts the dispatcher of one manager on the core runtime. It ends when every sender is gone.
pub fn start_dispatcher(listeners: Arc<Listeners>) -> EventSender {
    let (tx, mut rx) = mpsc::unbounded_channel::<Delivery>();
    crate::runtime::runtime().spawn(async move {
        while let Some(delivery) = rx.recv().await {
            let event = match delivery {
                Delivery::Event(event) => event,
                Delivery::Reply(reply, result) => {
                    let _ = reply.send(result);
                    continue;
                }
            };
            let listeners = listeners.clone();
            // On the blocking pool, so a listener that blocks holds up only later events.
            let delivered = tokio::task::spawn_blocking(move || {
                for listener in listeners.snapshot() {
                    let call = AssertUnwindSafe(|| event.deliver(listener.as_ref()));
                    if std::panic::catch_unwind(call).is_err() {
                        log::error!("an SDK listener panicked in {}", event.name());
                    }
                }
            });
            // Panics were caught per listener; waiting keeps the events in order.
            let _ = delivered.await;
        }
    });
    EventSender(tx)
}
