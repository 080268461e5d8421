//! UniFFI exports: the bridge for Swift (iOS), and for Kotlin and Python on a host.
//!
//! The surface is the bridge's and nothing more (docs/architecture.md, "one bridge surface"): a [`TimBridge`] object
//! made with an [`EventSink`] the host implements, and a call that takes and returns JSON text:
//! [`TimBridge::call_ordered`], whose answer reaches a [`Completion`] in the core's order with
//! the events (what the iOS module uses), or the async [`TimBridge::call`] for any executor. Bindings are generated from the built library by
//! `scripts/gen-bindings.sh`; adding an API method never changes this file.

use crate::{AnswerOnce, INTERNAL_FAILURE};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::task::Poll;
use tim_bridge::{Bridge, error_json};

/// The host's receiver of the manager's events, each `{"type": "onKickedOffline", "data": ...}`
/// JSON text.
///
/// Called on a core thread, one event at a time and in order. An implementation hands the text
/// to its own thread (a queue, a dispatcher, `DispatchQueue.main.async`) and returns at once:
/// the core waits for it before delivering the next event, and never waits on a host thread
/// (docs/architecture.md, "Events").
// A foreign trait (`Arc<dyn EventSink>`), not a callback interface: a callback interface cannot
// be held as `Arc<dyn EventSink>` by the bridge, and its generated Swift is a protocol with no
// object identity.
#[uniffi::export(foreign)]
pub trait EventSink: Send + Sync {
    /// One event.
    fn on_event(&self, event_json: String);
}

/// Receives the answer to one [`TimBridge::call_ordered`], `{"code","desc","data"?}` JSON text.
///
/// Called once, after the [`EventSink`] has returned from every event emitted before the answer
/// and before it is called with any emitted after: on a core thread, or on the caller's thread
/// before `callOrdered` returns when no event is queued ahead of the answer. An implementation hands the
/// text to the same thread (queue) as the events and returns at once: the host then sees answers
/// and events in the order the core produced them.
#[uniffi::export(foreign)]
pub trait Completion: Send + Sync {
    /// The answer.
    fn done(&self, result_json: String);
}

/// One SDK instance (a manager) behind the JSON surface. Each object is a separate device as
/// far as the server is concerned; dropping it logs out and stops its engine.
#[derive(uniffi::Object)]
pub struct TimBridge {
    bridge: Bridge,
}

#[uniffi::export]
impl TimBridge {
    /// A bridge whose events go to `sink`.
    #[uniffi::constructor]
    pub fn new(sink: Arc<dyn EventSink>) -> Self {
        let bridge = Bridge::new(Arc::new(move |event_json: String| {
            sink.on_event(event_json)
        }));
        TimBridge { bridge }
    }

    /// Ends the instance although calls in flight still hold it (the module's invalidation): they
    /// answer 7009, a login under way does not go on to log in, later calls answer 6013, and no
    /// event reaches the sink once this returns. Never call it from the sink. Not named `close`:
    /// the Kotlin binding's objects already have that name (`AutoCloseable`, which frees the
    /// object itself).
    pub fn invalidate(&self) {
        self.bridge.close();
    }

    /// Answers `method` (a JavaScript API name such as `login`) with its parameters as a JSON
    /// object through `completion`, in the core's order with the events. Returns at once. Never
    /// throws: every problem, a wrong parameter type included, is a code in the answer, and a
    /// panic here (a bug) answers 6022.
    pub fn call_ordered(
        &self,
        method: String,
        params_json: String,
        completion: Arc<dyn Completion>,
    ) {
        let answer = AnswerOnce::new(move |json| completion.done(json));
        let call = AssertUnwindSafe(|| {
            self.bridge
                .call_with_callback(&method, &params_json, move |json| answer.send(json))
        });
        // Unwinding drops `answer`, which then answers 6022.
        if catch_unwind(call).is_err() {
            log::error!("TimBridge.callOrdered({method}) panicked");
        }
    }

    /// Answers `method` (a JavaScript API name such as `login`) with its parameters as a JSON
    /// object, with `{"code","desc","data"?}` JSON. Never throws for API errors: every problem,
    /// a wrong parameter type included, is a code in the answer. Any executor may await it; its
    /// answer is not ordered with the events (see [`call_ordered`](Self::call_ordered)).
    pub async fn call(&self, method: String, params_json: String) -> String {
        // Polled by the host's executor: 34 us per call from Python against 48 us for spawning
        // onto the runtime and awaiting the handle, and the gap grows with load
        // (scripts/bench-ffi.sh). Not `async_runtime = "tokio"`: that would enter a second
        // runtime, async-compat's, with threads of its own.
        //
        // A panic while polling (a bug here) answers 6022, as on Android: let through, UniFFI
        // would hand Swift an internal error, which the generated code meets with `try!`, and the
        // app would crash.
        let mut answer = std::pin::pin!(self.bridge.call_on_any_executor(&method, &params_json));
        std::future::poll_fn(|cx| {
            match catch_unwind(AssertUnwindSafe(|| answer.as_mut().poll(cx))) {
                Ok(poll) => poll,
                Err(_) => {
                    log::error!("TimBridge.call({method}) panicked");
                    Poll::Ready(error_json(INTERNAL_FAILURE, "internal failure in tim-core"))
                }
            }
        })
        .await
    }
}
