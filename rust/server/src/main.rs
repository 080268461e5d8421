//! The `tim-server` command. Configuration and serving live in the library; this file parses
//! flags, sets up logging, prints the listening line that scripts wait for, and turns SIGTERM and
//! SIGINT into a graceful shutdown.

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;
use tim_server::{Cli, Server, ServerConfig};
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
                return ExitCode::FAILURE;
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
        server.run_until(shutdown_signal()).await;
        ExitCode::SUCCESS
    })
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("cannot watch SIGTERM");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
