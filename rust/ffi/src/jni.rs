//! JNI exports for `com.timrs.TimNative` (`android/src/main/java/com/timrs/TimNative.java`).
//!
//! - Handles are numbers in a registry, not pointers: a stale, doubled or made-up handle from Java
//!   finds nothing and answers code 6013; it can never reach freed memory.
//! - `call` hands the request to [`Bridge::call_with_callback`] and returns at once; the core
//!   answers on its own thread through the Java `Sink`, in its order with the events (an answer
//!   after every event emitted before it, and before any emitted after). Only calls that cannot reach the core (no
//!   such handle, a null string, a panic here) are answered by `call`'s return value, since the
//!   first of these has no sink to answer through.
//! - No panic unwinds into the JVM: every export runs inside `EnvUnowned::with_env` (which catches
//!   panics), `call` catches its own to answer 6022, and sink deliveries catch theirs. A call
//!   handed to the core is answered exactly once, 6022 if it panics there ([`AnswerOnce`]).
//! - No lock is held while Java runs: the registry lock only covers map operations.

use std::collections::HashMap;
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use crate::AnswerOnce;
use jni::errors::{LogErrorAndDefault, Result as JniResult};
use jni::objects::{JClass, JObject, JString};
use jni::refs::{Global, LoaderContext};
use jni::sys::{JNI_VERSION_1_6, jint, jlong};
use jni::{Env, EnvUnowned, JavaVM, bind_java_type};
use tim_bridge::{Bridge, EventSink, code, error_json};

bind_java_type! {
    JavaSink => "com.timrs.TimNative$Sink",
    methods {
        fn on_event(event_json: JString),
        fn on_result(request_id: jlong, result_json: JString),
    },
}

/// A Java `TimNative.Sink`, called from the core's threads.
struct Sink {
    sink: Global<JavaSink<'static>>,
}

impl Sink {
    /// Runs `send` on the current thread, attached to the JVM: a core thread (the attachment is
    /// permanent, as jni 0.22 has no daemon attachments, so later deliveries on it are cheap), or
    /// the Java thread of `TimNative.call` when the bridge answers at once. Each delivery has its
    /// own local frame, so no thread accumulates local references, and a Java exception thrown
    /// by the sink is described and cleared here: it never escapes into the caller's
    /// `TimNative.call`, and the core keeps running whatever the app's sink does.
    fn deliver(&self, what: &str, send: impl FnOnce(&mut Env, &JavaSink) -> JniResult<()>) {
        let sent = catch_unwind(AssertUnwindSafe(|| {
            JavaVM::singleton()?.attach_current_thread(|env| {
                env.with_local_frame(4, |env| {
                    let sent = send(env, &self.sink);
                    if env.exception_check() {
                        env.exception_describe();
                        env.exception_clear();
                    }
                    sent
                })
            })
        }));
        match sent {
            Ok(Ok(())) => {}
            Ok(Err(e)) => log::error!("TimNative.Sink.{what} failed: {e}"),
            Err(_) => log::error!("TimNative.Sink.{what} panicked"),
        }
    }

    fn on_result(&self, request_id: jlong, result_json: &str) {
        self.deliver("onResult", |env, sink| {
            let text = JString::new(env, result_json)?;
            sink.on_result(env, request_id, &text)
        });
    }
}

impl EventSink for Sink {
    fn on_event(&self, event_json: String) {
        self.deliver("onEvent", |env, sink| {
            let text = JString::new(env, &event_json)?;
            sink.on_event(env, &text)
        });
    }
}

/// One `TimNative.create`: a bridge and the sink its answers go to.
struct Instance {
    bridge: Bridge,
    sink: Arc<Sink>,
}

/// Open instances by handle. Handles count up from 1 and are never reused, so 0 is never open.
static INSTANCES: LazyLock<Mutex<HashMap<jlong, Arc<Instance>>>> = LazyLock::new(Default::default);
static NEXT_HANDLE: AtomicI64 = AtomicI64::new(1);

/// The registry. A panic while it was locked cannot leave the map half-changed (each use is one
/// map operation), so a poisoned lock is still good.
fn instances() -> MutexGuard<'static, HashMap<jlong, Arc<Instance>>> {
    INSTANCES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Caches the `Sink` interface's class and method ids while a Java thread (the one loading the
/// library, with the app's class loader) is here: on Android a core thread's `FindClass` sees only
/// system classes. `create` repeats the lookup from the sink object itself, a no-op once cached.
#[unsafe(no_mangle)]
pub extern "system" fn JNI_OnLoad(vm: *mut jni::sys::JavaVM, _reserved: *mut c_void) -> jint {
    let cached = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the JVM calls JNI_OnLoad with its own JavaVM pointer, valid for the process.
        let vm = unsafe { JavaVM::from_raw(vm) };
        vm.attach_current_thread(|env| JavaSinkAPI::get(env, &LoaderContext::None).map(|_| ()))
    }));
    match cached {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log::error!("tim_ffi JNI_OnLoad: cannot cache TimNative.Sink: {e}"),
        Err(_) => log::error!("tim_ffi JNI_OnLoad panicked"),
    }
    JNI_VERSION_1_6
}

/// `private static native long nativeCreate(Sink sink)`: 0 when `sink` is null or not usable (logged).
#[unsafe(no_mangle)]
pub extern "system" fn Java_com_timrs_TimNative_nativeCreate<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    sink: JObject<'local>,
) -> jlong {
    env.with_env(|env| -> JniResult<jlong> {
        if sink.is_null() {
            log::error!("TimNative.create: sink is null");
            return Ok(0);
        }
        let sink = Arc::new(Sink {
            sink: env.new_cast_global_ref::<JavaSink>(sink)?,
        });
        let bridge = Bridge::new(sink.clone());
        let handle = NEXT_HANDLE.fetch_add(1, Ordering::Relaxed);
        instances().insert(handle, Arc::new(Instance { bridge, sink }));
        Ok(handle)
    })
    .resolve::<LogErrorAndDefault>()
}

/// `private static native String nativeCall(long handle, long requestId, String method, String
/// paramsJson)`:
/// null when the core will answer through the sink, else the answer. Returns null only if even
/// that answer cannot be made (the JVM is out of memory; an exception is then pending).
#[unsafe(no_mangle)]
pub extern "system" fn Java_com_timrs_TimNative_nativeCall<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    request_id: jlong,
    method: JString<'local>,
    params_json: JString<'local>,
) -> JString<'local> {
    env.with_env(|env| -> JniResult<JString<'local>> {
        let call = catch_unwind(AssertUnwindSafe(|| {
            Call::read(env, handle, &method, &params_json)
        }))
        .unwrap_or_else(|_| {
            Err(error_json(
                crate::INTERNAL_FAILURE,
                "TimNative.call: internal failure in tim_ffi",
            ))
        });
        match call {
            Ok(call) => {
                // From here on the sink answers, even after a panic (see `AnswerOnce`);
                // with_env's catch then returns null, as for any call that reached the core.
                let sink = call.instance.sink.clone();
                let reply = AnswerOnce::new(move |json| sink.on_result(request_id, &json));
                call.instance.bridge.call_with_callback(
                    &call.method,
                    &call.params_json,
                    move |result_json| reply.send(result_json),
                );
                Ok(JString::null())
            }
            Err(answer) => JString::new(env, answer),
        }
    })
    .resolve::<LogErrorAndDefault>()
}

/// A call ready for its instance's bridge.
struct Call {
    instance: Arc<Instance>,
    method: String,
    params_json: String,
}

impl Call {
    /// The call's instance and text, or the answer to give at once (`Err`).
    fn read(
        env: &Env,
        handle: jlong,
        method: &JString,
        params_json: &JString,
    ) -> Result<Call, String> {
        let instance = instances().get(&handle).cloned();
        let instance = instance.ok_or_else(|| {
            error_json(
                code::SDK_NOT_INITIALIZED,
                &format!(
                    "TimNative.call: handle {handle} is not open (destroyed, or never created)"
                ),
            )
        })?;
        Ok(Call {
            instance,
            method: java_string(env, method, "method")?,
            params_json: java_string(env, params_json, "paramsJson")?,
        })
    }
}

/// A Java string argument as Rust text, or the 6017 answer naming it. Lone UTF-16 surrogates
/// become U+FFFD; JSON from `JSON.stringify` never holds them (it escapes them as `\udXXX`).
fn java_string(env: &Env, text: &JString, name: &str) -> Result<String, String> {
    if text.is_null() {
        return Err(error_json(
            code::INVALID_PARAMETERS,
            &format!("TimNative.call: {name} must be a string, not null"),
        ));
    }
    text.try_to_string(env).map_err(|e| {
        error_json(
            code::INVALID_PARAMETERS,
            &format!("TimNative.call: cannot read {name}: {e}"),
        )
    })
}

/// `private static native void nativeDestroy(long handle)`: unknown handles are ignored.
#[unsafe(no_mangle)]
pub extern "system" fn Java_com_timrs_TimNative_nativeDestroy<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
) {
    env.with_env(|_env| -> JniResult<()> {
        // The guard is a temporary of this statement: the instance is dropped (its manager
        // stopped, perhaps the sink's global reference deleted) after the lock is released.
        let instance = instances().remove(&handle);
        if instance.is_none() {
            log::warn!("TimNative.destroy: handle {handle} is not open");
        }
        drop(instance);
        Ok(())
    })
    .resolve::<LogErrorAndDefault>()
}
