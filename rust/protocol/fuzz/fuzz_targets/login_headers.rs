// Fuzzes the login read from upgrade request headers: no header map may panic, a login that is
// accepted is valid, and its headers read back to the same login.
// The input is a header map, one `name:value` per line (value bytes need not be UTF-8).
// Run from rust/protocol/fuzz (nightly, or RUSTC_BOOTSTRAP=1 on stable), e.g.
//   RUSTC_BOOTSTRAP=1 cargo fuzz run login_headers corpus-seed/login_headers -- -runs=20000
// or every target of the repo with scripts/fuzz.sh. Findings land in artifacts/login_headers/.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use tim_protocol::LoginRequest;

/// Reads a login from `name -> value` pairs, as the server reads the upgrade request.
fn read(map: &HashMap<&[u8], &[u8]>) -> Result<Option<LoginRequest>, tim_protocol::FrameError> {
    LoginRequest::from_headers(|name| map.get(name.as_bytes()).copied())
}

fuzz_target!(|data: &[u8]| {
    // Later lines replace earlier ones of the same name, like a map built from a request.
    let map: HashMap<&[u8], &[u8]> = data
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            Some((&line[..colon], &line[colon + 1..]))
        })
        .collect();
    if let Ok(Some(request)) = read(&map) {
        assert_eq!(request.validate(), Ok(()), "{request:?}");
        let pairs = request.to_headers();
        let again: HashMap<&[u8], &[u8]> = pairs
            .iter()
            .map(|(name, value)| (name.as_bytes(), value.as_bytes()))
            .collect();
        assert_eq!(read(&again), Ok(Some(request)));
    }
});
