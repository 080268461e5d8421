// Fuzzes the client frame decoder: no input may panic, and a frame that decodes must encode to
// text that decodes to the same frame.
// Run from rust/protocol/fuzz (nightly, or RUSTC_BOOTSTRAP=1 on stable), e.g.
//   RUSTC_BOOTSTRAP=1 cargo fuzz run client_frame corpus-seed/client_frame -- -runs=20000
// or every target of the repo with scripts/fuzz.sh. Findings land in artifacts/client_frame/.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tim_protocol::{ClientFrame, ServerFrame};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The server decodes what clients send; the client decodes what the server sends.
    let _ = ServerFrame::decode(text);
    if let Ok(frame) = ClientFrame::decode(text) {
        let encoded = frame.encode();
        assert_eq!(
            ClientFrame::decode(&encoded).as_ref(),
            Ok(&frame),
            "{encoded}"
        );
    }
});
