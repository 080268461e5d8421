//! `tim-node`: the bridge ([`tim_bridge::Bridge`]) as a Node.js addon, through N-API.
//!
//! The glue only marshals strings and schedules callbacks (docs/architecture.md): every
//! parameter rule, state and error code lives in the bridge and the core. A call runs on the
//! core's runtime and settles its promise from there; events reach JavaScript through one
//! thread-safe function, so no core thread ever waits for the JavaScript thread.
//!
//! ```js
//! const bridge = new NativeBridge((eventJson) => console.log(JSON.parse(eventJson)));
//! const answer = JSON.parse(await bridge.call("getLoginStatus", "{}")); // {code, desc, data?}
//! bridge.destroy();
//! ```

use napi::bindgen_prelude::{Either, Env, Function, Object, Result, Status, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::sync::Arc;
use tim_bridge::{Bridge, code, error_json};

/// The JavaScript event callback, `(eventJson: string) => void`. Weak (the last `true`): it never
/// keeps Node's event loop alive by itself, so an instance that was never initialised, or whose
/// `initSDK` failed, cannot hold a process open. Whether an initialised SDK keeps the process
/// alive is the package's choice (its Node entry holds the loop from a successful `initSDK` to
/// `unInitSDK`). Pending calls keep the loop alive until answered. Not callee-handled (the
/// `false`): the callback gets the event alone, without an error-first argument.
type EventCallback = ThreadsafeFunction<String, (), String, Status, false, true>;

/// An argument from JavaScript: a string, or anything else (answered with 6017, not a throw).
type Text<'a> = Either<String, Unknown<'a>>;

/// One SDK instance (one "device"): a [`Bridge`] with its own manager.
#[napi]
pub struct NativeBridge {
    /// `None` after [`NativeBridge::destroy`].
    bridge: Option<Bridge>,
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
    pub fn new(on_event: Function<'_, String, ()>) -> Result<Self> {
        let on_event: EventCallback = on_event
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        let bridge = Bridge::new(Arc::new(move |event_json: String| {
            // NonBlocking: the queue is unbounded, and a core thread must never wait for the
            // JavaScript thread. An error here means Node is shutting down; the event has no one
            // left to tell.
            let _ = on_event.call(event_json, ThreadsafeFunctionCallMode::NonBlocking);
        }));
        Ok(NativeBridge {
            bridge: Some(bridge),
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
        let (deferred, promise) = env.create_deferred()?;
        let done = move |answer: String| deferred.resolve(move |_| Ok(answer));
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
