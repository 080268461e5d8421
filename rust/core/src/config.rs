//! What `init_sdk` takes: the server, the platform, timeouts, and TLS trust.

use crate::error::{TimError, code};
use std::net::IpAddr;
use std::time::Duration;
use tim_protocol::Platform;

/// The log levels of Tencent's `LogLevelEnum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// `V2TIM_LOG_NONE` (0): nothing.
    None,
    /// `V2TIM_LOG_DEBUG` (3).
    Debug,
    /// `V2TIM_LOG_INFO` (4).
    #[default]
    Info,
    /// `V2TIM_LOG_WARN` (5).
    Warn,
    /// `V2TIM_LOG_ERROR` (6).
    Error,
}

impl LogLevel {
    /// The level for Tencent's number, or `None` for a number it does not define.
    pub fn from_code(code: i64) -> Option<LogLevel> {
        Some(match code {
            0 => LogLevel::None,
            3 => LogLevel::Debug,
            4 => LogLevel::Info,
            5 => LogLevel::Warn,
            6 => LogLevel::Error,
            _ => return None,
        })
    }

    /// The `log` crate's filter for this level.
    pub fn filter(self) -> log::LevelFilter {
        match self {
            LogLevel::None => log::LevelFilter::Off,
            LogLevel::Debug => log::LevelFilter::Debug,
            LogLevel::Info => log::LevelFilter::Info,
            LogLevel::Warn => log::LevelFilter::Warn,
            LogLevel::Error => log::LevelFilter::Error,
        }
    }
}

/// The server `init_sdk` uses when the app names none: a `tim-server` on this machine.
pub const DEFAULT_SERVER_URL: &str = "ws://127.0.0.1:7311";

/// The platform this build runs on, for the server's multi-device policy.
pub const fn default_platform() -> Platform {
    if cfg!(target_os = "android") {
        Platform::Android
    } else if cfg!(target_os = "ios") {
        Platform::IPhone
    } else if cfg!(target_os = "macos") {
        Platform::Mac
    } else if cfg!(target_os = "windows") {
        Platform::Windows
    } else {
        Platform::Linux
    }
}

/// The manager's configuration. Defaults suit a phone on a mobile network; tests shorten them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkConfig {
    /// `ws://host:port` or `wss://host:port` (a path is allowed).
    pub server_url: String,
    /// Where this instance runs.
    pub platform: Platform,
    /// Names this app instance across reconnects; a random one is made when absent. A host that
    /// persists it keeps the identity across app restarts.
    pub instance_id: Option<String>,
    /// Bound on TCP, TLS and the WebSocket upgrade.
    pub connect_timeout: Duration,
    /// Bound on waiting for an answer once connected.
    pub request_timeout: Duration,
    /// How often a heartbeat goes out; a connection that answers nothing for two intervals is
    /// taken for dead and replaced.
    pub heartbeat_interval: Duration,
    /// First wait before reconnecting after a failed attempt.
    pub reconnect_min: Duration,
    /// Longest wait between reconnect attempts.
    pub reconnect_max: Duration,
    /// A PEM certificate (or several) to trust besides the built-in roots, for self-hosted
    /// servers with a private CA.
    pub extra_ca_pem: Option<String>,
    /// Allows `ws://` to any host. Without it `ws://` is only for loopback and private-network
    /// addresses (development), since the login sends the UserSig in clear text.
    pub allow_cleartext: bool,
}

impl Default for SdkConfig {
    fn default() -> Self {
        SdkConfig {
            server_url: DEFAULT_SERVER_URL.to_owned(),
            platform: default_platform(),
            instance_id: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(10),
            heartbeat_interval: Duration::from_secs(30),
            reconnect_min: Duration::from_secs(1),
            reconnect_max: Duration::from_secs(30),
            extra_ca_pem: None,
            allow_cleartext: false,
        }
    }
}

impl SdkConfig {
    /// Checks what can be checked before any network use; errors are 6017 and name the field.
    pub fn validate(&self) -> Result<(), TimError> {
        let invalid = |desc: String| Err(TimError::new(code::INVALID_PARAMETERS, desc));
        let url = self.server_url.as_str();
        let Some(rest) = url
            .strip_prefix("ws://")
            .or_else(|| url.strip_prefix("wss://"))
        else {
            return invalid(format!(
                "serverUrl must start with ws:// or wss://, not {url:?}"
            ));
        };
        if rest.is_empty() || rest.starts_with('/') {
            return invalid(format!("serverUrl has no host: {url:?}"));
        }
        if !self.is_tls() && !self.allow_cleartext && !is_local_host(host_of(rest)) {
            return invalid(format!(
                "serverUrl {url:?}: ws:// sends the UserSig in clear text, so it is only for \
                 loopback and private-network addresses; use wss://, or set allowCleartext to \
                 true to allow it to this host"
            ));
        }
        if let Some(instance) = &self.instance_id {
            tim_protocol::validate_instance_id(instance)
                .or_else(|e| invalid(format!("instanceId: {e}")))?;
        }
        for (name, value) in [
            ("connectTimeout", self.connect_timeout),
            ("requestTimeout", self.request_timeout),
            ("heartbeatInterval", self.heartbeat_interval),
            ("reconnectMin", self.reconnect_min),
        ] {
            if value.is_zero() {
                return invalid(format!("{name} must be more than zero"));
            }
        }
        if self.reconnect_max < self.reconnect_min {
            return invalid("reconnectMax must not be less than reconnectMin".to_owned());
        }
        Ok(())
    }

    /// Whether the server is reached over TLS.
    pub fn is_tls(&self) -> bool {
        self.server_url.starts_with("wss://")
    }
}

/// The host of a URL's remainder after `ws://`: `host`, `host:port`, `[v6]:port`, then a path.
fn host_of(rest: &str) -> &str {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    }
}

/// Whether `host` is this machine or a private network: `localhost`, loopback, RFC 1918 and
/// link-local IPv4, and loopback, unique-local and link-local IPv6. Other names could resolve
/// anywhere, so they are not.
fn is_local_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback() || ip.is_private() || ip.is_link_local(),
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.is_unique_local() || ip.is_unicast_link_local()
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_bad_field() {
        assert!(SdkConfig::default().validate().is_ok());
        let bad = |config: SdkConfig| config.validate().unwrap_err();
        let err = bad(SdkConfig {
            server_url: "http://x".into(),
            ..Default::default()
        });
        assert_eq!(err.code, 6017);
        assert!(err.desc.contains("serverUrl"));
        let err = bad(SdkConfig {
            server_url: "wss://".into(),
            ..Default::default()
        });
        assert!(err.desc.contains("no host"), "{}", err.desc);
        let err = bad(SdkConfig {
            instance_id: Some("a b".into()),
            ..Default::default()
        });
        assert!(err.desc.contains("instanceId"), "{}", err.desc);
        let err = bad(SdkConfig {
            heartbeat_interval: Duration::ZERO,
            ..Default::default()
        });
        assert!(err.desc.contains("heartbeatInterval"), "{}", err.desc);
    }

    #[test]
    fn ws_is_only_for_loopback_and_private_networks_unless_allowed() {
        let check = |url: &str, allow_cleartext: bool| {
            SdkConfig {
                server_url: url.into(),
                allow_cleartext,
                ..Default::default()
            }
            .validate()
        };
        for local in [
            "ws://127.0.0.1:7311",
            "ws://localhost:7311/im",
            "ws://10.0.2.2:7311",
            "ws://192.168.1.20",
            "ws://172.16.0.1:80",
            "ws://[::1]:7311",
            "ws://[fd00::1]:7311",
        ] {
            assert!(check(local, false).is_ok(), "{local}");
        }
        for public in [
            "ws://im.example.com",
            "ws://8.8.8.8:7311",
            "ws://172.32.0.1",
            "ws://[2001:db8::1]:7311",
            "ws://127.0.0.1.example.com",
        ] {
            let err = check(public, false).unwrap_err();
            assert_eq!(err.code, 6017, "{public}");
            assert!(err.desc.contains("allowCleartext"), "{}", err.desc);
            assert!(check(public, true).is_ok(), "{public} with allowCleartext");
        }
        assert!(check("wss://im.example.com", false).is_ok());
    }

    #[test]
    fn log_levels_follow_tencents_numbers() {
        assert_eq!(LogLevel::from_code(0), Some(LogLevel::None));
        assert_eq!(
            LogLevel::from_code(3).map(LogLevel::filter),
            Some(log::LevelFilter::Debug)
        );
        assert_eq!(LogLevel::from_code(6), Some(LogLevel::Error));
        assert_eq!(LogLevel::from_code(1), None);
        assert_eq!(LogLevel::from_code(-4), None);
    }
}
