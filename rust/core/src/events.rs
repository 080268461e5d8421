//! SDK events and their delivery. The engine only pushes events into a queue; a dispatcher task
//! hands them to the listeners in order, off the core's worker threads, with no lock held, and
//! survives listeners that panic. A slow listener delays later events, never the core.
//!
//! The answers to calls go through the same queue: an [`Answer`] is handed over once the
//! listeners have returned from every event queued before it and before any event queued after
//! it, by the dispatcher itself or, when nothing is queued ahead of it, at once by the thread
//! that answers. A host that takes its answers as callbacks
//! ([`TimManager::request`](crate::TimManager::request), [`TimManager::in_order`](crate::TimManager::in_order))
//! and forwards them and the events to one thread as it receives them therefore delivers them in
//! the order the core produced them: a login's `onConnecting` and `onConnectSuccess` before its
//! result, and an `onKickedOffline` before the answer of any call made after it.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

use crate::error::{TimError, TimResult, code};

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

/// Something the dispatcher runs in the queue's order: an answer handed to its caller.
type Handover = Box<dyn FnOnce() + Send>;

/// What the queue carries: an event for the listeners, or an answer for its caller.
enum Delivery {
    Event(SdkEvent),
    Answer(Handover),
}

/// The manager's end of its event queue, shared with its engines.
#[derive(Clone)]
pub struct EventSender(mpsc::UnboundedSender<Delivery>, Arc<Order>);

/// What keeps answers in their place among the events.
#[derive(Default)]
struct Order {
    /// Held while a status is published with its event, and while a status is read and its
    /// answer handed over ([`EventSender::atomically`]).
    lock: Mutex<()>,
    /// Deliveries queued and not yet handed over in full (the dispatcher counts one down once the
    /// listeners, or the answer's caller, have returned). At zero nothing is ahead of an answer,
    /// which can then be handed over at once, on the caller's thread.
    ahead: AtomicUsize,
}

impl EventSender {
    /// Runs `f` while no status change is being published with its event (the engine publishes
    /// under the same lock): a status that `f` reads and an answer that `f` queues keep their
    /// order with the event announcing that status. `f` must not wait for anything.
    pub fn atomically<R>(&self, f: impl FnOnce() -> R) -> R {
        let _order = self.1.lock.lock().unwrap_or_else(|e| e.into_inner());
        f()
    }

    /// Queues an event; never blocks.
    pub fn emit(&self, event: SdkEvent) {
        log::debug!("event {}", event.name());
        let _ = self.queue(Delivery::Event(event));
    }

    /// Runs `handover` once the listeners have returned from every event queued before it, and
    /// before they get any queued after it; never blocks. With nothing queued ahead (the common
    /// case: a status read between events) it runs here and now, on the caller's thread, sparing
    /// two thread hops; else the dispatcher runs it at its place. Should the dispatcher be gone
    /// (the runtime shutting down), it runs here too: a caller is never left without its answer.
    pub fn in_order(&self, handover: impl FnOnce() + Send + 'static) {
        if self.1.ahead.load(Ordering::SeqCst) == 0 {
            return hand_over(Box::new(handover));
        }
        if let Err(Delivery::Answer(handover)) = self.queue(Delivery::Answer(Box::new(handover))) {
            hand_over(handover);
        }
    }

    /// Sends `delivery` to the dispatcher, counted ahead of later answers until handed over.
    fn queue(&self, delivery: Delivery) -> Result<(), Delivery> {
        self.1.ahead.fetch_add(1, Ordering::SeqCst);
        self.0
            .send(delivery)
            .map_err(|mpsc::error::SendError(delivery)| {
                self.1.ahead.fetch_sub(1, Ordering::SeqCst);
                delivery
            })
    }

    /// An answer for `caller`, handed over in the queue's order.
    pub fn answer(&self, caller: impl FnOnce(TimResult<()>) + Send + 'static) -> Answer {
        Answer {
            caller: Some(Box::new(caller)),
            queue: self.clone(),
        }
    }
}

/// Where the answer to one call goes. It is handed over at its place in the queue, by the
/// dispatcher on a core thread or, with nothing ahead of it, on the thread that answers: the
/// caller must only pass it on (to a channel, its own thread's queue) and return. Dropped without an answer (an engine that stops before answering, an `unInitSDK`
/// racing with the call), it answers 7009, in the queue's order too.
pub struct Answer {
    caller: Option<Box<dyn FnOnce(TimResult<()>) + Send>>,
    queue: EventSender,
}

impl Answer {
    /// Queues the answer behind every event emitted so far.
    pub fn send(mut self, result: TimResult<()>) {
        self.queue_with(result);
    }

    fn queue_with(&mut self, result: TimResult<()>) {
        if let Some(caller) = self.caller.take() {
            self.queue.in_order(move || caller(result));
        }
    }
}

impl Drop for Answer {
    fn drop(&mut self) {
        self.queue_with(Err(TimError::new(
            code::INTERRUPTED,
            "interrupted by unInitSDK",
        )));
    }
}

/// Runs an answer's handover; a caller that panics is logged, never unwinds into the core.
fn hand_over(handover: Handover) {
    if std::panic::catch_unwind(AssertUnwindSafe(handover)).is_err() {
        log::error!("an answer's caller panicked");
    }
}

/// Starts the dispatcher of one manager on the core runtime. It ends when every sender is gone.
pub fn start_dispatcher(listeners: Arc<Listeners>) -> EventSender {
    let (tx, mut rx) = mpsc::unbounded_channel::<Delivery>();
    let order = Arc::new(Order::default());
    let handed_over = order.clone();
    crate::runtime::runtime().spawn(async move {
        while let Some(delivery) = rx.recv().await {
            deliver(delivery, &listeners).await;
            handed_over.ahead.fetch_sub(1, Ordering::SeqCst);
        }
    });
    EventSender(tx, order)
}

/// Hands one delivery over: an answer to its caller, an event to every listener.
async fn deliver(delivery: Delivery, listeners: &Arc<Listeners>) {
    let event = match delivery {
        Delivery::Event(event) => event,
        // Here, not on the blocking pool: a caller only passes the answer on.
        Delivery::Answer(handover) => return hand_over(handover),
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
