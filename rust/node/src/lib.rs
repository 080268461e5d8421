//! `tim-node`: the bridge ([`tim_bridge::Bridge`]) as a Node.js addon, through N-API.
//!
//! The glue only marshals strings and schedules callbacks (docs/architecture.md): every
//! parameter rule, state and error code lives in the bridge and the core. A call runs on the
//! core's runtime; its answer and every event reach the JavaScript thread through one
//! thread-safe function, in the order the core produced them, and JavaScript gets them one per
//! macrotask, so that everything a delivery sets off (the `await` chains behind a promise it
//! settles, several microtasks deep) has run before the next delivery: a login's
//! `onConnectSuccess` is handed to the listener before the login's promise settles, the code
//! after `await login(...)` runs before a later `onKickedOffline`, and no core thread ever waits
//! for the JavaScript thread.
//!
//! ```js
//! const bridge = new NativeBridge((eventJson) => console.log(JSON.parse(eventJson)));
//! const answer = JSON.parse(await bridge.call("getLoginStatus", "{}")); // {code, desc, data?}
//! bridge.destroy();
//! ```

use napi::bindgen_prelude::{
    Either, Env, Function, FunctionRef, JsObjectValue, Object, Result, Status, Unknown,
};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use tim_bridge::{Bridge, code, error_json};

/// Settles a call's promise with its answer, when called on the JavaScript thread. Not napi's
/// deferred: that settles through a thread-safe function of its own, so an answer handed over
/// before an event would settle after it.
type Answer = FunctionRef<String, ()>;

/// Makes a promise and the function that settles it, for [`NativeBridge::call`]. Until settled,
/// the promise holds Node's event loop open (a timer that never fires), as the channel does not:
/// a script awaiting a call at its top level waits for the answer.
const WITH_RESOLVER: &str = "() => {
  const held = setInterval(() => {}, 0x7fffffff);
  let settle;
  const promise = new Promise((resolve) => {
    settle = (json) => { clearInterval(held); resolve(json); };
  });
  return { promise, resolve: settle };
}";

/// What travels from the core to the JavaScript thread, in the order the core produced it.
enum Delivery {
    /// An event for the `on_event` callback.
    Event(String),
    /// A call's answer, and the promise it settles.
    Answer(Answer, String),
}

/// Deliveries that reached the JavaScript thread and wait for their macrotask, oldest first.
type Inbox = Arc<Mutex<VecDeque<Delivery>>>;

/// Makes the channel's target from the function that hands over the oldest delivery: each
/// delivery through the channel schedules one macrotask (`setImmediate`, in order), so that Node
/// runs every microtask between two deliveries. Within one batch of the channel it does not:
/// a promise settled there would resume its `await`s only after later events had been handed
/// to the listener.
const SCHEDULE_EACH: &str = "(deliverOldest) => () => { setImmediate(deliverOldest); }";

/// The one ordered channel to the JavaScript thread. Weak (the last `true`): it never keeps
/// Node's event loop alive by itself, so an instance that was never initialised, or whose
/// `initSDK` failed, cannot hold a process open. Whether an initialised SDK keeps the process
/// alive is the package's choice (its Node entry holds the loop from a successful `initSDK` to
/// `unInitSDK`). A pending call keeps the loop alive through its promise until answered
/// ([`WITH_RESOLVER`]). Not callee-handled (the `false`): deliveries carry no error-first
/// argument.
type Channel = ThreadsafeFunction<Delivery, (), (), Status, false, true>;

/// An argument from JavaScript: a string, or anything else (answered with 6017, not a throw).
type Text<'a> = Either<String, Unknown<'a>>;

/// One SDK instance (one "device"): a [`Bridge`] with its own manager.
#[napi]
pub struct NativeBridge {
    /// `None` after [`NativeBridge::destroy`].
    bridge: Option<Bridge>,
    /// Where events and answers go, in order.
    channel: Arc<Channel>,
    /// [`WITH_RESOLVER`], compiled once.
    with_resolver: FunctionRef<(), Object<'static>>,
}

/// The 6017 answer for an argument of `call` that is not a string, naming what it was.
fn not_a_string(name: &str, value: &Unknown<'_>) -> String {
    let kind = value
        .get_type()
        .map_or_else(|_| "unknown".into(), |t| t.to_string().to_lowercase());
    error_json(
        code::INVALID_PARAMETERS,
        &format!("NativeBridge.call: {name} must be a string, got {kind}"),
    )
}

#[napi]
impl NativeBridge {
    /// A bridge whose events (`{"type","data"}` JSON text) go to `on_event` on the JavaScript
    /// thread, in order. Throws (code `InvalidArg`) if `on_event` is not a function. An exception
    /// thrown by `on_event` is an uncaught exception, as from any event handler.
    #[napi(constructor, strict)]
    pub fn new(env: Env, on_event: Function<'_, String, ()>) -> Result<Self> {
        let on_event: FunctionRef<String, ()> = on_event.create_ref()?;
        let inbox = Inbox::default();
        let oldest = inbox.clone();
        // On the JavaScript thread, in its own macrotask: events call `on_event` and answers
        // settle their promise.
        let deliver_oldest =
            env.create_function_from_closure::<(), (), _>("timDeliverOldest", move |ctx| {
                let delivery = oldest
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop_front();
                match delivery {
                    Some(Delivery::Event(json)) => on_event.borrow_back(ctx.env)?.call(json)?,
                    Some(Delivery::Answer(answer, json)) => {
                        answer.borrow_back(ctx.env)?.call(json)?
                    }
                    None => {}
                }
                Ok(())
            })?;
        let schedule_each: Function<'_, Function<'_, (), ()>, Function<'_, (), ()>> =
            env.run_script(SCHEDULE_EACH)?;
        let schedule = schedule_each.call(deliver_oldest)?;
        // The channel's callback queues each delivery in the inbox, in the channel's order; the
        // target then schedules its macrotask.
        let channel: Channel = schedule
            .build_threadsafe_function::<Delivery>()
            .callee_handled::<false>()
            .weak::<true>()
            .build_callback(move |delivery| {
                inbox
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push_back(delivery.value);
                Ok(())
            })?;
        let channel = Arc::new(channel);
        let events = channel.clone();
        let bridge = Bridge::new(Arc::new(move |event_json: String| {
            // NonBlocking: the queue is unbounded, and a core thread must never wait for the
            // JavaScript thread. An error here means Node is shutting down; the event has no one
            // left to tell.
            let _ = events.call(
                Delivery::Event(event_json),
                ThreadsafeFunctionCallMode::NonBlocking,
            );
        }));
        let with_resolver: Function<'_, (), Object<'static>> = env.run_script(WITH_RESOLVER)?;
        Ok(NativeBridge {
            bridge: Some(bridge),
            channel,
            with_resolver: with_resolver.create_ref()?,
        })
    }

    /// Answers `method` with `{"code","desc","data"?}` JSON text. The promise never rejects: a
    /// wrong argument type answers 6017 and a call after `destroy()` answers 6013, like every
    /// other failure the bridge reports.
    #[napi(
        ts_args_type = "method: unknown, paramsJson: unknown",
        ts_return_type = "Promise<string>"
    )]
    pub fn call<'env>(
        &self,
        env: &'env Env,
        method: Text<'_>,
        params_json: Text<'_>,
    ) -> Result<Object<'env>> {
        let settled = self.with_resolver.borrow_back(env)?.call(())?;
        let promise: Object<'env> = settled.get_named_property("promise")?;
        let answer: Answer = settled
            .get_named_property::<Function<'_, String, ()>>("resolve")?
            .create_ref()?;
        let channel = self.channel.clone();
        // Behind every event the core emitted before this answer. Should Node be shutting down,
        // the answer has no one left to tell either.
        let done = move |json: String| {
            let _ = channel.call(
                Delivery::Answer(answer, json),
                ThreadsafeFunctionCallMode::NonBlocking,
            );
        };
        match (&self.bridge, method, params_json) {
            (None, _, _) => done(error_json(
                code::SDK_NOT_INITIALIZED,
                "NativeBridge.call: the bridge was destroyed",
            )),
            (Some(bridge), Either::A(method), Either::A(params_json)) => {
                bridge.call_with_callback(&method, &params_json, done)
            }
            (_, Either::B(method), _) => done(not_a_string("method", &method)),
            (_, _, Either::B(params_json)) => done(not_a_string("paramsJson", &params_json)),
        }
        Ok(promise)
    }

    /// Drops the SDK instance: logs out and stops its engine without waiting for the server, and
    /// stops events. Later calls answer 6013. Calling it twice is harmless.
    #[napi]
    pub fn destroy(&mut self) {
        self.bridge = None;
    }
}
