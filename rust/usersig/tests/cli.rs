//! The `tim-usersig` command line, run as other tools run it.

mod common;

use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use tim_usersig::{Claims, decode};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tim-usersig"))
        .args(args)
        .output()
        .expect("run tim-usersig")
}

fn stdout(output: &Output) -> &str {
    std::str::from_utf8(&output.stdout).unwrap()
}

const APP_ARG: &str = "1400000000";

fn gen_ticket(extra: &[&str]) -> String {
    let mut args = vec!["gen", "--sdkappid", APP_ARG, "--key", KEY, "--user", USER];
    args.extend_from_slice(extra);
    let output = run(&args);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    assert!(
        text.ends_with('\n') && text.matches('\n').count() == 1,
        "{text:?}"
    );
    text.trim_end().to_string()
}

fn verify_ticket(keys: &[&str], extra: &[&str], ticket: &str) -> (Option<i32>, String) {
    let mut args = vec!["verify", "--sdkappid", APP_ARG, "--user", USER];
    for key in keys {
        args.extend_from_slice(&["--key", key]);
    }
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", ticket]);
    let output = run(&args);
    (output.status.code(), stdout(&output).to_string())
}

#[test]
fn gen_then_verify_ok() {
    let ticket = gen_ticket(&[]);
    assert_eq!(
        verify_ticket(&[KEY], &[], &ticket),
        (Some(0), "ok\n".into())
    );
}

#[test]
fn gen_defaults_to_now_and_180_days() {
    let ticket = gen_ticket(&[]);
    let (claims, _) = decode(&ticket).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(claims.time.abs_diff(now) < 60, "{} vs {now}", claims.time);
    assert_eq!(claims.expire, 15_552_000);
    assert_eq!(claims.identifier, USER);
    assert_eq!(claims.userbuf, None);
}

#[test]
fn gen_with_time_makes_the_test_vector() {
    let ticket = gen_ticket(&["--time", "1600000000", "--expire", "15552000"]);
    assert!(json_of(&ticket).contains(SIG));
}

#[test]
fn gen_with_userbuf() {
    let ticket = gen_ticket(&["--time", "1600000000", "--userbuf", "abc"]);
    let expected = Claims::new(APP, USER, TIME, EXPIRE).with_userbuf(b"abc".to_vec());
    assert_eq!(decode(&ticket).unwrap().0, expected);
    assert_eq!(
        verify_ticket(&[KEY], &["--time", "1600000001"], &ticket).0,
        Some(0)
    );
}

#[test]
fn wrong_key_exits_1_with_70009() {
    let ticket = gen_ticket(&[]);
    let (code, out) = verify_ticket(&["not the key"], &[], &ticket);
    assert_eq!(code, Some(1));
    assert!(out.starts_with("70009 ") && out.ends_with('\n'), "{out}");
    assert!(!out.contains(KEY) && !out.contains(&ticket));
}

#[test]
fn repeated_key_is_a_rotation() {
    let ticket = gen_ticket(&[]);
    assert_eq!(verify_ticket(&["old", KEY], &[], &ticket).0, Some(0));
    assert_eq!(verify_ticket(&[KEY, "new"], &[], &ticket).0, Some(0));
    assert_eq!(verify_ticket(&["old", "new"], &[], &ticket).0, Some(1));
}

#[test]
fn verify_time_decides_expiry() {
    let ticket = gen_ticket(&["--time", "1600000000", "--expire", "60"]);
    assert_eq!(
        verify_ticket(&[KEY], &["--time", "1600000060"], &ticket).0,
        Some(0)
    );
    let (code, out) = verify_ticket(&[KEY], &["--time", "1600000061"], &ticket);
    assert_eq!((code, out.as_str()), (Some(1), "70001 UserSig expired\n"));
}

#[test]
fn other_user_and_app_are_refused() {
    let ticket = gen_ticket(&[]);
    let other_user = run(&[
        "verify",
        "--sdkappid",
        APP_ARG,
        "--key",
        KEY,
        "--user",
        "bob",
        "--",
        &ticket,
    ]);
    assert_eq!(other_user.status.code(), Some(1));
    assert!(stdout(&other_user).starts_with("70013 "));
    let other_app = run(&[
        "verify",
        "--sdkappid",
        "1",
        "--key",
        KEY,
        "--user",
        USER,
        "--",
        &ticket,
    ]);
    assert_eq!(other_app.status.code(), Some(1));
    assert!(stdout(&other_app).starts_with("70014 "));
}

#[test]
fn a_ticket_beginning_with_a_dash_needs_double_dash() {
    // Real tickets begin with "eJ" (the zlib header), so craft one: '-' is '/' in the ticket
    // alphabet, which no zlib header begins with.
    let ticket = format!("-{}", &gen_ticket(&[])[1..]);
    let (code, out) = verify_ticket(&[KEY], &[], &ticket);
    assert_eq!(code, Some(1), "parsed as a ticket, not as an option");
    assert_eq!(out, "70003 UserSig is not valid zlib data\n");
    // Without `--`, clap takes it for an option: a usage error.
    let output = run(&[
        "verify",
        "--sdkappid",
        APP_ARG,
        "--key",
        KEY,
        "--user",
        USER,
        &ticket,
    ]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn empty_ticket_is_70002() {
    assert_eq!(
        verify_ticket(&[KEY], &[], ""),
        (Some(1), "70002 UserSig is empty\n".into())
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["gen", "--sdkappid", APP_ARG, "--key", KEY][..],
        &["gen", "--sdkappid", "-5", "--key", KEY, "--user", USER],
        &["gen", "--sdkappid", "app", "--key", KEY, "--user", USER],
        &["verify", "--sdkappid", APP_ARG, "--user", USER, "--", "eJx"],
        &[
            "verify",
            "--sdkappid",
            APP_ARG,
            "--key",
            KEY,
            "--user",
            USER,
        ],
        &["sign"],
        &[],
    ] {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_user_id_that_begins_with_a_hyphen_is_a_value() {
    let output = run(&[
        "gen",
        "--sdkappid",
        APP_ARG,
        "--key",
        KEY,
        "--user",
        "-abc",
        "--userbuf",
        "-x",
    ]);
    assert!(output.status.success(), "{output:?}");
    let ticket = stdout(&output).trim_end().to_owned();
    let (claims, _) = decode(&ticket).unwrap();
    assert_eq!(claims.identifier, "-abc");
    assert_eq!(claims.userbuf.as_deref(), Some(&b"-x"[..]));
    let verified = run(&[
        "verify",
        "--sdkappid",
        APP_ARG,
        "--key",
        KEY,
        "--user",
        "-abc",
        "--",
        &ticket,
    ]);
    assert_eq!(verified.status.code(), Some(0), "{verified:?}");
    assert_eq!(stdout(&verified), "ok\n");
}
