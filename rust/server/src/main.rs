//! The `tim-server` command. Configuration and serving live in the library; this file parses
//! flags, sets up logging, prints the listening line that scripts wait for, turns SIGTERM and
//! SIGINT into a graceful shutdown, and hands the memory of closed sessions back to the system
//! ([`heap`]).

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;
use tim_server::{Cli, Refused, RunningServer, Server, ServerConfig};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match ServerConfig::from_cli(&cli) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("tim-server: {e}");
            return ExitCode::from(2);
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cli.log_json {
        logs.json().init();
    } else {
        logs.init();
    }
    let runtime = tokio::runtime::Runtime::new().expect("cannot start the tokio runtime");
    runtime.block_on(async {
        let server = match Server::bind(config).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("tim-server: cannot start: {e}");
                // A refusal needs the operator; other failures (an address in use, Redis
                // unreachable) may pass by themselves.
                return if Refused::of(&e).is_some() {
                    ExitCode::from(2)
                } else {
                    ExitCode::FAILURE
                };
            }
        };
        let url = server.url();
        if url.starts_with("ws://") && !server.local_addr().ip().is_loopback() {
            // Tickets travel in the upgrade headers: anyone on the path can read and replay them.
            tracing::warn!(%url, "serving without TLS on a non-loopback address: give --tls-cert and --tls-key");
        }
        println!("listening on {url}");
        let _ = std::io::stdout().flush();
        tracing::info!(%url, "listening");
        serve(server.spawn()).await;
        ExitCode::SUCCESS
    })
}

/// How often the number of connected sessions is read to decide on a trim.
const HEAP_CHECK_EVERY: Duration = Duration::from_secs(1);

/// Serves until SIGTERM or SIGINT; meanwhile, once many sessions have closed, gives the memory
/// they held back to the system.
async fn serve(server: RunningServer) {
    let mut shutdown = std::pin::pin!(shutdown_signal());
    let mut checks = tokio::time::interval(HEAP_CHECK_EVERY);
    let mut trim = heap::TrimAfterCloses::default();
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = checks.tick() => {
                trim.observe(server.sessions_held());
            }
        }
    }
    server.shutdown().await;
}

/// Returning freed memory. glibc's allocator keeps what a thread freed in that thread's arena,
/// and gives a page back only from the top of the heap: after 10,000 sessions close, nearly all
/// the memory they took stays resident (measured in docs/benchmarks.md), although nothing uses
/// it. `malloc_trim(0)` gives back the free pages of every arena; it costs a walk of the free
/// lists under each arena's lock, so it runs only after a burst of closes, not on a timer.
mod heap {
    /// Sessions that must have closed (from the highest count since the last trim) before a
    /// trim: a few MiB of freed memory at some 6 KiB a session.
    const CLOSED_BEFORE_TRIM: usize = 1000;

    /// Trims once [`CLOSED_BEFORE_TRIM`] sessions closed since the last trim's high point.
    #[derive(Default)]
    pub struct TrimAfterCloses {
        high: usize,
    }

    impl TrimAfterCloses {
        /// Takes the number of sessions connected now; trims if enough closed. Returns whether
        /// it trimmed.
        pub fn observe(&mut self, held: usize) -> bool {
            self.high = self.high.max(held);
            if self.high - held < CLOSED_BEFORE_TRIM {
                return false;
            }
            let released = release();
            tracing::debug!(held, from = self.high, released, "trimmed the heap");
            self.high = held;
            true
        }
    }

    /// Gives the allocator's free pages back to the system; whether any were.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)] // The one foreign call of the server; see the SAFETY note.
    fn release() -> bool {
        // SAFETY: malloc_trim takes no pointer and has no precondition; glibc runs it under each
        // arena's own lock, so it is safe with any allocation in flight on other threads.
        unsafe { libc::malloc_trim(0) == 1 }
    }

    /// Other allocators (musl, macOS, Windows) return large free blocks by themselves.
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    fn release() -> bool {
        false
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn trims_once_a_thousand_sessions_closed_since_the_high_point() {
            let mut trim = TrimAfterCloses::default();
            assert!(!trim.observe(500));
            assert!(!trim.observe(10_000), "growth never trims");
            assert!(!trim.observe(9_001));
            assert!(trim.observe(9_000), "1,000 closed since 10,000");
            assert!(!trim.observe(8_500), "the count starts again from 9,000");
            assert!(!trim.observe(9_600));
            assert!(
                trim.observe(8_600),
                "1,000 closed since the new high, 9,600"
            );
            assert!(!trim.observe(8_600), "nothing closed since the last trim");
        }
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("cannot watch SIGTERM");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
