//! `tim-ffi`: the library apps load. It exposes [`tim_bridge::Bridge`] to each host:
//!
//! - `jni`: JNI exports for the Android module's `com.timrs.TimNative` class.
//! - `uniffi_api`: UniFFI exports for Swift (iOS), Kotlin and Python.
//!
//! Hosts only marshal strings; every rule lives in the core (DESIGN.md principle 1).
