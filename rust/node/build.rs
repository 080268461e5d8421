//! Link flags for a Node addon (napi-build): on macOS the N-API symbols resolve at load time
//! from the node binary; on Linux there is nothing to add.

fn main() {
    napi_build::setup();
}
