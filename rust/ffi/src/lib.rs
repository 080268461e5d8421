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
