// Fuzzes the decoding of a REST call: no URL path, query string or body may panic; what is
// accepted is within Tencent's limits, and every answer is a well-formed envelope.
// The input is three parts: the path after /v4/ on the first line, the query string on the
// second, the body after that (any bytes).
// Run from rust/server/fuzz (nightly, or RUSTC_BOOTSTRAP=1 on stable), e.g.
//   RUSTC_BOOTSTRAP=1 cargo fuzz run rest_request corpus-seed/rest_request -- -runs=20000
// or every target of the repo with scripts/fuzz.sh. Findings land in artifacts/rest_request/.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tim_server::rest::commands::{MAX_ACCOUNT_BATCH, MAX_QUERY_BATCH};
use tim_server::rest::envelope::answer;
use tim_server::rest::{Command, Params, RestError, lookup};

fn line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

fn check_answer(result: Result<serde_json::Map<String, serde_json::Value>, RestError>) {
    let failed = result.is_err();
    let envelope = answer(result);
    assert_eq!(envelope["ActionStatus"] == "FAIL", failed, "{envelope}");
    assert!(envelope["ErrorCode"].is_u64(), "{envelope}");
}

fuzz_target!(|data: &[u8]| {
    let (path, rest) = line(data);
    let (query, body) = line(rest);
    let query = String::from_utf8_lossy(query);
    match Params::parse(&query) {
        Ok(params) => {
            assert!(!params.identifier.is_empty() && !params.user_sig.is_empty());
        }
        Err(e) => check_answer(Err(e)),
    }
    let Some(spec) = lookup(&String::from_utf8_lossy(path)) else {
        return;
    };
    match Command::decode(spec, body) {
        Ok(Command::MultiImport(list)) => assert!(list.len() <= MAX_ACCOUNT_BATCH),
        Ok(Command::Delete(list) | Command::Check(list)) => {
            assert!(list.len() <= MAX_ACCOUNT_BATCH)
        }
        Ok(Command::QueryOnline { accounts, .. }) => assert!(accounts.len() <= MAX_QUERY_BATCH),
        Ok(_) => {}
        Err(e) => {
            assert!([60003, 70402].contains(&e.code), "{e:?}");
            check_answer(Err(e));
        }
    }
});
