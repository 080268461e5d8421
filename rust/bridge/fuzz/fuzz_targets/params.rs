// Fuzzes the bridge's parameter checks: every method, and one named by the input, called with
// arbitrary text must answer a JSON object with an integer `code` and a string `desc`, and never
// panic. No call reaches the network: the bridge is never logged in (a login answers 6013 or a
// parameter error), and an `initSDK` that succeeds is undone at once by `unInitSDK`.
// The input is the parameters; for the extra call, its first line is the method name and the
// rest the parameters.
// Run from rust/bridge/fuzz (nightly, or RUSTC_BOOTSTRAP=1 on stable), e.g.
//   RUSTC_BOOTSTRAP=1 cargo fuzz run params corpus-seed/params -- -runs=20000
// or every target of the repo with scripts/fuzz.sh. Findings land in artifacts/params/.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::sync::{Arc, OnceLock};
use tim_bridge::{Bridge, METHODS};

fn bridge() -> &'static Bridge {
    static BRIDGE: OnceLock<Bridge> = OnceLock::new();
    BRIDGE.get_or_init(|| Bridge::new(Arc::new(|_event: String| {})))
}

/// Calls one method and checks the answer's shape; returns its code.
fn call(method: &str, params: &str) -> i64 {
    let answer = tim_core::runtime().block_on(bridge().call(method, params));
    let value: Value = serde_json::from_str(&answer).expect("the answer is JSON");
    let code = value["code"].as_i64();
    assert!(
        value.is_object() && code.is_some() && value["desc"].is_string(),
        "{method}({params:?}) answered {answer}"
    );
    let code = code.unwrap_or_default();
    if method == "login" {
        // Never initialised, so never logged in: no login may reach for the network.
        assert_ne!(code, 0, "{method}({params:?}) answered {answer}");
    }
    if method == "initSDK" && code == 0 {
        assert_eq!(call("unInitSDK", ""), 0);
    }
    code
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for method in METHODS {
        call(method, text);
    }
    let (method, params) = text.split_once('\n').unwrap_or((text, ""));
    call(method, params);
});
