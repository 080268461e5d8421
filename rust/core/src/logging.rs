//! Where the core's `log` records go: Android's log on Android, stderr elsewhere. The level is
//! set by `init_sdk`. Nothing the core logs contains a ticket.

use crate::config::LogLevel;

/// Installs the platform's logger once per process (a logger the app installed itself is kept)
/// and sets the level. The level is process-wide, like the `log` crate's.
pub fn init(level: LogLevel) {
    install();
    log::set_max_level(level.filter());
}

#[cfg(target_os = "android")]
fn install() {
    android_logger::init_once(
        android_logger::Config::default()
            .with_tag("tim-core")
            .with_max_level(log::LevelFilter::Trace),
    );
}

#[cfg(not(target_os = "android"))]
fn install() {
    static STDERR: Stderr = Stderr;
    // Fails only when a logger is installed already, which then stays in charge.
    let _ = log::set_logger(&STDERR);
}

/// Writes records to stderr as `tim-core LEVEL target: message`.
#[cfg(not(target_os = "android"))]
struct Stderr;

#[cfg(not(target_os = "android"))]
impl log::Log for Stderr {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            eprintln!(
                "tim-core {} {}: {}",
                record.level(),
                record.target(),
                record.args()
            );
        }
    }

    fn flush(&self) {}
}
