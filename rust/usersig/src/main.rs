//! `tim-usersig`: sign and verify UserSig tickets from the shell, for scripts and tests.
//!
//! `gen` prints a ticket; `verify` prints `ok` (exit 0) or `<code> <desc>` (exit 1). Put `--`
//! before a ticket that may begin with `-`.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand};
use tim_usersig::{Claims, sign, verify};

/// Sign and verify Tencent Cloud IM UserSig tickets (TLSSigAPIv2 format).
#[derive(Parser)]
#[command(name = "tim-usersig", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a ticket for a user.
    Gen {
        /// The app's SDKAppID.
        #[arg(long)]
        sdkappid: u64,
        /// The app's secret key.
        #[arg(long)]
        key: String,
        /// The UserID to sign for; it may begin with `-` (`--user -abc`).
        #[arg(long, allow_hyphen_values = true)]
        user: String,
        /// Seconds of validity (default 180 days).
        #[arg(long, default_value_t = 15_552_000)]
        expire: u64,
        /// Signing time in unix seconds (default now).
        #[arg(long)]
        time: Option<u64>,
        /// Text to carry, signed, as TLS.userbuf; it may begin with `-`.
        #[arg(long, allow_hyphen_values = true)]
        userbuf: Option<String>,
    },
    /// Check a ticket: print `ok`, or `<code> <desc>` and exit 1.
    Verify {
        /// The app's SDKAppID.
        #[arg(long)]
        sdkappid: u64,
        /// The app's secret key; repeat during a key rotation.
        #[arg(long = "key", required = true)]
        keys: Vec<String>,
        /// The UserID logging in; it may begin with `-` (`--user -abc`).
        #[arg(long, allow_hyphen_values = true)]
        user: String,
        /// Current time in unix seconds (default now).
        #[arg(long)]
        time: Option<u64>,
        /// The ticket; put `--` before it if it may begin with `-`.
        ticket: String,
    },
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Gen {
            sdkappid,
            key,
            user,
            expire,
            time,
            userbuf,
        } => {
            let mut claims = Claims::new(sdkappid, user, time.unwrap_or_else(now), expire);
            claims.userbuf = userbuf.map(String::into_bytes);
            println!("{}", sign(&key, &claims));
            ExitCode::SUCCESS
        }
        Command::Verify {
            sdkappid,
            keys,
            user,
            time,
            ticket,
        } => match verify(&ticket, sdkappid, &user, &keys, time.unwrap_or_else(now)) {
            Ok(_) => {
                println!("ok");
                ExitCode::SUCCESS
            }
            Err(e) => {
                println!("{} {}", e.code(), e.desc());
                ExitCode::FAILURE
            }
        },
    }
}
