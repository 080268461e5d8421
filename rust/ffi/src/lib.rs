//! `tim-ffi`: the library apps load. It exposes [`tim_bridge::Bridge`] to each host:
//!
//! - `jni`: JNI exports for the Android module's `com.timrs.TimNative` class.
//! - `uniffi_api`: UniFFI exports for Swift (iOS), Kotlin and Python.
//!
//! Hosts only marshal strings; every rule lives in the core (docs/architecture.md).

mod uniffi_api;
// The scaffolding's `extern "C"` functions (`#[unsafe(no_mangle)]`) come from UniFFI's macros;
// the `unsafe_code` lint does not fire on them, so no allow is needed here.
uniffi::setup_scaffolding!();

// JNI exports are `extern "system"` functions with `#[unsafe(no_mangle)]`, and `JNI_OnLoad` wraps
// the JVM's pointer (`JavaVM::from_raw`); each unsafe use there says why it holds.
#[allow(unsafe_code)]
mod jni;

/// Answer to a call that failed inside this library (a panic, i.e. a bug here): Tencent's
/// ERR_IO_OPERATION_FAILED, its code for a local failure that is not the network's.
const INTERNAL_FAILURE: i32 = tim_bridge::code::IO_OPERATION_FAILED;

/// The promise of one answer to a host. Should the core's work panic, or drop the call, before
/// answering, dropping this answers 6022 instead: a host's caller never waits forever (a promise
/// that never settles is the top complaint about Tencent's own plugin).
struct AnswerOnce(Option<Box<dyn FnOnce(String) + Send>>);

impl AnswerOnce {
    fn new(answer: impl FnOnce(String) + Send + 'static) -> Self {
        AnswerOnce(Some(Box::new(answer)))
    }

    fn send(mut self, result_json: String) {
        if let Some(answer) = self.0.take() {
            answer(result_json);
        }
    }
}

impl Drop for AnswerOnce {
    fn drop(&mut self) {
        if let Some(answer) = self.0.take() {
            answer(tim_bridge::error_json(
                INTERNAL_FAILURE,
                "internal failure in tim-core",
            ));
        }
    }
}
