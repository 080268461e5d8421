//! `tim-node`: the bridge ([`tim_bridge::Bridge`]) as a Node.js addon, through N-API.
//!
//! The glue only marshals strings and schedules callbacks (docs/architecture.md): every
//! parameter rule, state and error code lives in the bridge and the core. A call runs on the
//! core's runtime; its answer and every event reach the JavaScript thread through one
//! thread-safe function, in the order the core produced them, so a login's `onConnectSuccess`
//! is handed to the listener before the login's promise settles, and no core thread ever waits
//! for the JavaScript thread.
//!
//! ```js
//! const bridge = new NativeBridge((eventJson) => console.log(JSON.parse(eventJson)));
//! const answer = JSON.parse(await bridge.call("getLoginStatus", "{}")); // {code, desc, data?}
//! bridge.destroy();
//! ```

use napi::JsDeferred;
use napi::bindgen_prelude::{Either, Env, Function, FunctionRef, Object, Result, Status, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::sync::Arc;
use tim_bridge::{Bridge, code, error_json};

/// Settles a call's promise with its answer.
type Answer = JsDeferred<String, Box<dyn FnOnce(Env) -> Result<String> + Send>>;

/// What travels from the core to the JavaScript thread, in the order the core produced it.
enum Delivery {
    /// An event for the `on_event` callback.
    Event(String),
    /// A call's answer, and the promise it settles.
    Answer(Answer, String),
}

/// The one ordered channel to the JavaScript thread. Weak (the last `true`): it never keeps
/// Node's event loop alive by itself, so an instance that was never initialised, or whose
/// `initSDK` failed, cannot hold a process open. Whether an initialised SDK keeps the process
/// alive is the package's choice (its Node entry holds the loop from a successful `initSDK` to
/// `unInitSDK`). A pending call keeps the loop alive through its promise until answered. Not
/// callee-handled (the `false`): deliveries carry no error-first argument.
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
        // The channel's own target does nothing: each delivery is handled in its callback, on
        // the JavaScript thread, where events call `on_event` and answers settle their promise.
        let target = env.create_function_from_closure::<(), (), _>("timDeliver", |_| Ok(()))?;
        let channel: Channel = target
            .build_threadsafe_function::<Delivery>()
            .callee_handled::<false>()
            .weak::<true>()
            .build_callback(move |delivery| {
                match delivery.value {
                    Delivery::Event(json) => on_event.borrow_back(&delivery.env)?.call(json)?,
                    Delivery::Answer(answer, json) => answer.resolve(Box::new(move |_| Ok(json))),
                }
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
        Ok(NativeBridge {
            bridge: Some(bridge),
            channel,
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
        let (answer, promise) = env.create_deferred()?;
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
