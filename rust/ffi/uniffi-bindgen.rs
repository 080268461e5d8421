//! `uniffi-bindgen`: generates the Swift, Kotlin and Python bindings from the built library
//! (`scripts/gen-bindings.sh`). Built only with `--features bindgen`, so that the bindings come
//! from the same UniFFI version as the library's scaffolding.

fn main() {
    uniffi::uniffi_bindgen_main()
}
