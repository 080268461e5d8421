//! The server's configuration: from command-line flags, a TOML file, or both (flags win).

use crate::callbacks::CallbackConfig;
use crate::cluster::{ClusterConfig, DEFAULT_NODE_LEASE, MIN_NODE_LEASE, RedisTarget};
use crate::lockout::LockoutRules;
use crate::policy::{DevicePolicy, PlatformPolicy};
use crate::rest::RestConfig;
use crate::stats::UtcOffset;
use crate::tls::{self, TlsConfig};
use clap::Parser;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One app: its secret keys and its multi-device policy.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct AppConfig {
    /// Keys that tickets may be signed with; more than one while a key is being rotated. An app
    /// with no key (all revoked) refuses every login with 70016.
    pub keys: Vec<String>,
    /// Which sessions a new login leaves online.
    pub policy: DevicePolicy,
    /// Who may call the REST API, and how often.
    pub rest: RestConfig,
    /// Where state changes are posted; `None` posts nothing.
    pub callback: Option<CallbackConfig>,
}

/// Keys never reach a log line.
impl fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppConfig")
            .field("keys", &format_args!("<{} keys>", self.keys.len()))
            .field("policy", &self.policy)
            .field("rest", &self.rest)
            .field("callback", &self.callback)
            .finish()
    }
}

/// Everything the server needs to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Serve `/metrics` and `/healthz` on this address instead of the main one, so that they can
    /// stay off the public port.
    pub metrics_listen: Option<SocketAddr>,
    /// Join a cluster on Redis; `None` keeps every session in this process.
    pub cluster: Option<ClusterConfig>,
    /// Apps by SDKAppID.
    pub apps: BTreeMap<u64, AppConfig>,
    /// A connection that sends nothing for this long is closed (clients send heartbeats).
    pub heartbeat_timeout: Duration,
    /// How long a client that connected without login headers has to send its login frame; also
    /// bounds how long the server waits for a request head (slow clients hold no resources).
    pub login_timeout: Duration,
    /// When failed logins lock an account.
    pub lockout: LockoutRules,
    /// On shutdown, how long connections get to hear that the server is going away.
    pub shutdown_grace: Duration,
    /// Serve `wss://` with this certificate; `None` serves plain `ws://`.
    pub tls: Option<TlsConfig>,
    /// Serve the REST API here only, and not on `listen`; `None` serves it on `listen`.
    pub admin_listen: Option<SocketAddr>,
    /// Where daily figures (`getappinfo`) start their day.
    pub day_offset: UtcOffset,
    /// The folder of a single node's database (accounts, kicks, daily figures); `None` keeps
    /// nothing across a restart. The command defaults to [`DEFAULT_DATA_DIR`]; the library's
    /// default is `None`, so that a server embedded in a test or a tool writes nothing. Unused
    /// in a cluster, whose Redis holds these facts.
    pub data_dir: Option<PathBuf>,
}

/// Where `tim-server` keeps its data when neither `--data` nor `--ephemeral` is given: relative
/// to the working directory.
pub const DEFAULT_DATA_DIR: &str = "tim-data";

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 7311)),
            metrics_listen: None,
            cluster: None,
            apps: BTreeMap::new(),
            heartbeat_timeout: Duration::from_secs(90),
            login_timeout: Duration::from_secs(10),
            lockout: LockoutRules::default(),
            shutdown_grace: Duration::from_secs(5),
            tls: None,
            admin_listen: None,
            day_offset: UtcOffset::UTC,
            data_dir: None,
        }
    }
}

/// The TOML file's shape. Every field is optional; see `docs/server.md` for an example.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    metrics_listen: Option<SocketAddr>,
    heartbeat_timeout_secs: Option<f64>,
    login_timeout_secs: Option<f64>,
    shutdown_grace_secs: Option<f64>,
    /// PEM files; relative paths are relative to the config file's folder.
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    lockout: Option<FileLockout>,
    admin_listen: Option<SocketAddr>,
    /// The UTC offset of the daily figures' day, as `+08:00`.
    day_utc_offset: Option<UtcOffset>,
    /// The database's folder; relative paths are relative to the config file's folder.
    data_dir: Option<PathBuf>,
    cluster: Option<FileCluster>,
    #[serde(default, rename = "app")]
    apps: Vec<FileApp>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCluster {
    /// One URL, or several seeds of a Redis Cluster.
    #[serde(default)]
    redis: Vec<String>,
    node_id: Option<String>,
    node_lease_secs: Option<f64>,
    #[serde(default)]
    redis_ephemeral: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLockout {
    max_failures: u32,
    window_secs: f64,
    lock_secs: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileApp {
    sdkappid: u64,
    keys: Vec<String>,
    #[serde(default)]
    policy: PlatformPolicy,
    #[serde(default = "one")]
    instances_per_platform: u8,
    #[serde(default = "one")]
    web_instances: u8,
    admins: Option<Vec<String>>,
    #[serde(default)]
    rate_limits: BTreeMap<String, u32>,
    callback: Option<CallbackConfig>,
}

impl fmt::Debug for FileApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileApp")
            .field("sdkappid", &self.sdkappid)
            .finish_non_exhaustive()
    }
}

fn one() -> u8 {
    1
}

/// `tim-server`: the access server that SDK instances log in to.
#[derive(Debug, Parser)]
#[command(name = "tim-server", version, about)]
pub struct Cli {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// An app as SDKAPPID:KEY, or SDKAPPID:@FILE to read the key from a file (a key on the command
    /// line is visible to every local user in the process list). Repeat it for more apps, or for
    /// more keys of one app (rotation).
    #[arg(long = "app", value_name = "SDKAPPID:KEY", value_parser = parse_app)]
    pub apps: Vec<(u64, String)>,
    /// A TOML file with apps, policies and limits; flags override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Multi-device policy of the apps given with --app.
    #[arg(long, value_enum)]
    pub policy: Option<PlatformPolicy>,
    /// Instances allowed per native platform for the apps given with --app (1 to 3).
    #[arg(long)]
    pub instances: Option<u8>,
    /// Web instances allowed for the apps given with --app (1 to 10).
    #[arg(long)]
    pub web_instances: Option<u8>,
    /// Post state-change callbacks of the apps given with --app to this URL (no token; the
    /// config file's `[app.callback]` takes one).
    #[arg(long, value_name = "URL")]
    pub callback_url: Option<String>,
    /// Seconds of silence after which a connection is closed.
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub heartbeat_timeout: Option<f64>,
    /// Seconds a client has to complete its login.
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub login_timeout: Option<f64>,
    /// Failed logins within a minute that lock an account for a minute.
    #[arg(long, value_name = "N")]
    pub lockout_failures: Option<u32>,
    /// Serve wss:// with this PEM certificate chain (leaf first); needs --tls-key.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Serve the REST admin API (`/v4/...`) on this address only, not on --listen.
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,
    /// Log lines as JSON objects instead of key=value text.
    #[arg(long)]
    pub log_json: bool,
    /// Serve /metrics and /healthz on this address only (keeps them off the public port).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
    /// Join the cluster of every node started with the same Redis: redis://HOST:PORT[/DB],
    /// rediss:// for TLS; a Redis Cluster as redis+cluster://HOST:PORT,HOST:PORT or as this flag
    /// repeated once per seed.
    #[arg(long = "redis", value_name = "URL")]
    pub redis: Vec<String>,
    /// This node's name in the cluster (default: one made up for this process).
    #[arg(long, value_name = "NAME")]
    pub node_id: Option<String>,
    /// Seconds a crashed node's sessions keep counting towards limits (default 10).
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub node_lease: Option<f64>,
    /// Join even if Redis keeps nothing on disk (neither AOF nor snapshots): for tests and demos.
    /// Without it such a Redis is refused, since it holds the accounts and the kicks.
    #[arg(long)]
    pub redis_ephemeral: bool,
    /// Keep this node's accounts, kicks and daily figures in this folder (default: tim-data in
    /// the working directory).
    #[arg(long, value_name = "DIR", conflicts_with = "ephemeral")]
    pub data: Option<PathBuf>,
    /// Keep nothing across a restart: every account, kick and figure lives in memory only.
    #[arg(long)]
    pub ephemeral: bool,
}

fn parse_app(text: &str) -> Result<(u64, String), String> {
    let (id, key) = text
        .split_once(':')
        .ok_or_else(|| "expected SDKAPPID:KEY".to_owned())?;
    let id = id
        .parse()
        .map_err(|_| format!("SDKAppID must be a number, not {id:?}"))?;
    let key = match key.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the key file {path}: {e}"))?
            .trim()
            .to_owned(),
        None => key.to_owned(),
    };
    if key.is_empty() {
        return Err("the key is empty".to_owned());
    }
    Ok((id, key))
}

fn seconds(name: &str, secs: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("{name} must be a non-negative number of seconds"))
}

/// A duration that must not be zero: a zero heartbeat or login timeout would close every
/// connection at once.
fn positive_seconds(name: &str, secs: f64) -> Result<Duration, String> {
    let duration = seconds(name, secs)?;
    if duration.is_zero() {
        return Err(format!("{name} must be more than 0 seconds"));
    }
    Ok(duration)
}

/// The Redis URLs of `--redis` (or the file's `redis`): one server, or a Redis Cluster.
fn redis_target(urls: &[String]) -> Result<RedisTarget, String> {
    fn cluster_form(url: &str) -> Option<(&'static str, &str)> {
        ["redis+cluster://", "rediss+cluster://"]
            .into_iter()
            .find_map(|prefix| url.strip_prefix(prefix).map(|rest| (prefix, rest)))
    }
    match urls {
        [] => Err("--redis needs a URL".to_owned()),
        [url] => match cluster_form(url) {
            Some((prefix, hosts)) => {
                let scheme = prefix.split('+').next().unwrap_or("redis");
                let (hosts, db) = hosts.split_once('/').unwrap_or((hosts, ""));
                if !db.is_empty() {
                    return Err("a Redis Cluster has no databases: drop the /DB".to_owned());
                }
                let seeds: Vec<String> = hosts
                    .split(',')
                    .filter(|h| !h.is_empty())
                    .map(|h| format!("{scheme}://{h}"))
                    .collect();
                if seeds.is_empty() {
                    return Err(format!("{url}: no host"));
                }
                Ok(RedisTarget::Cluster(seeds))
            }
            None => {
                check_redis_url(url)?;
                Ok(RedisTarget::Single(url.clone()))
            }
        },
        seeds => {
            for url in seeds {
                check_redis_url(url)?;
            }
            Ok(RedisTarget::Cluster(seeds.to_vec()))
        }
    }
}

fn check_redis_url(url: &str) -> Result<(), String> {
    if url.starts_with("redis://") || url.starts_with("rediss://") {
        Ok(())
    } else {
        Err(format!(
            "{url}: a Redis URL starts with redis://, rediss:// or redis+cluster://"
        ))
    }
}

fn check_node_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "node id {id:?}: 1 to 64 letters, digits, '.', '_' or '-'"
        ))
    }
}

/// The database's folder: `--data`, else the file's `data_dir`, else [`DEFAULT_DATA_DIR`];
/// none with `--ephemeral` or in a cluster (whose Redis keeps the facts).
fn data_dir(
    cli: &Cli,
    file_data_dir: Option<PathBuf>,
    in_cluster: bool,
) -> Result<Option<PathBuf>, String> {
    let named = cli.data.clone().or(file_data_dir);
    if in_cluster {
        return match named {
            Some(_) => Err(
                "--data (data_dir) is for a single node: a cluster keeps its state in Redis"
                    .to_owned(),
            ),
            None => Ok(None),
        };
    }
    if cli.ephemeral {
        return Ok(None);
    }
    Ok(Some(
        named.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
    ))
}

fn cluster_config(
    urls: &[String],
    node_id: Option<String>,
    lease: Option<(&str, f64)>,
    redis_ephemeral: bool,
) -> Result<ClusterConfig, String> {
    let node_id = node_id.unwrap_or_else(|| format!("node-{:08x}", rand::random::<u32>()));
    check_node_id(&node_id)?;
    let lease = match lease {
        Some((name, secs)) => seconds(name, secs)?,
        None => DEFAULT_NODE_LEASE,
    };
    if lease < MIN_NODE_LEASE {
        return Err(format!(
            "the node lease must be at least {} s",
            MIN_NODE_LEASE.as_secs()
        ));
    }
    Ok(ClusterConfig {
        redis: redis_target(urls)?,
        node_id,
        lease,
        redis_ephemeral,
    })
}

impl ServerConfig {
    /// The keys of app `sdk_app_id`, if it is configured.
    pub fn keys_of(&self, sdk_app_id: u64) -> Option<&[String]> {
        self.apps.get(&sdk_app_id).map(|app| app.keys.as_slice())
    }

    /// Builds the configuration from the command line, reading its config file if it names one.
    pub fn from_cli(cli: &Cli) -> Result<Self, String> {
        let mut file = match &cli.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let file_dir = cli.config.as_deref().and_then(Path::parent);
        let in_file_dir = |path: PathBuf| match file_dir {
            Some(dir) => dir.join(path),
            None => path,
        };
        let file_tls = tls::pem_pair(
            file.tls_cert.take().map(in_file_dir),
            file.tls_key.take().map(in_file_dir),
            ("tls_cert", "tls_key"),
        )?;
        let flag_tls = tls::pem_pair(
            cli.tls_cert.clone(),
            cli.tls_key.clone(),
            ("--tls-cert", "--tls-key"),
        )?;
        for app in &mut file.apps {
            if let Some(callback) = &mut app.callback {
                callback.ca_file = callback.ca_file.take().map(in_file_dir);
            }
        }
        let file_cluster = file.cluster.take();
        let file_data_dir = file.data_dir.take().map(in_file_dir);
        let mut config = ServerConfig::from_file(file)?;
        if let Some(listen) = cli.listen {
            config.listen = listen;
        }
        if cli.metrics_listen.is_some() {
            config.metrics_listen = cli.metrics_listen;
        }
        // The policy flags apply to the apps given with --app, over what the file says of them.
        for (id, key) in &cli.apps {
            let app = config.apps.entry(*id).or_default();
            app.keys.push(key.clone());
            let policy = &mut app.policy;
            policy.platforms = cli.policy.unwrap_or(policy.platforms);
            policy.native_instances = cli.instances.unwrap_or(policy.native_instances);
            policy.web_instances = cli.web_instances.unwrap_or(policy.web_instances);
            policy.validate()?;
            if let Some(url) = &cli.callback_url {
                let callback = CallbackConfig {
                    url: url.clone(),
                    token: None,
                    ca_file: None,
                };
                callback.validate()?;
                app.callback = Some(callback);
            }
        }
        if let Some(secs) = cli.heartbeat_timeout {
            config.heartbeat_timeout = positive_seconds("--heartbeat-timeout", secs)?;
        }
        if let Some(secs) = cli.login_timeout {
            config.login_timeout = positive_seconds("--login-timeout", secs)?;
        }
        if let Some(addr) = cli.admin_listen {
            config.admin_listen = Some(addr);
        }
        if let Some(n) = cli.lockout_failures {
            config.lockout.max_failures = n;
        }
        if config.lockout.max_failures == 0 {
            return Err("the lockout needs at least 1 failure to lock".to_owned());
        }
        let file_cluster = file_cluster.unwrap_or_default();
        let urls = if cli.redis.is_empty() {
            file_cluster.redis
        } else {
            cli.redis.clone()
        };
        let node_id = cli.node_id.clone().or(file_cluster.node_id);
        let lease = match (cli.node_lease, file_cluster.node_lease_secs) {
            (Some(secs), _) => Some(("--node-lease", secs)),
            (None, secs) => secs.map(|secs| ("cluster.node_lease_secs", secs)),
        };
        let redis_ephemeral = cli.redis_ephemeral || file_cluster.redis_ephemeral;
        config.cluster = if !urls.is_empty() {
            Some(cluster_config(&urls, node_id, lease, redis_ephemeral)?)
        } else if node_id.is_some() || lease.is_some() || redis_ephemeral {
            return Err("--node-id, --node-lease and --redis-ephemeral need --redis".to_owned());
        } else {
            None
        };
        config.data_dir = data_dir(cli, file_data_dir, config.cluster.is_some())?;
        if config.apps.is_empty() {
            return Err("no app configured: give --app SDKAPPID:KEY or a --config file".to_owned());
        }
        if let Some((cert, key)) = flag_tls.or(file_tls) {
            config.tls = Some(TlsConfig::from_pem_files(&cert, &key)?);
        }
        Ok(config)
    }

    fn from_file(file: FileConfig) -> Result<Self, String> {
        let mut config = ServerConfig::default();
        if let Some(listen) = file.listen {
            config.listen = listen;
        }
        config.metrics_listen = file.metrics_listen;
        if let Some(secs) = file.heartbeat_timeout_secs {
            config.heartbeat_timeout = positive_seconds("heartbeat_timeout_secs", secs)?;
        }
        if let Some(secs) = file.login_timeout_secs {
            config.login_timeout = positive_seconds("login_timeout_secs", secs)?;
        }
        if let Some(secs) = file.shutdown_grace_secs {
            config.shutdown_grace = seconds("shutdown_grace_secs", secs)?;
        }
        config.admin_listen = file.admin_listen;
        if let Some(offset) = file.day_utc_offset {
            config.day_offset = offset;
        }
        if let Some(l) = file.lockout {
            config.lockout = LockoutRules {
                max_failures: l.max_failures,
                window: seconds("lockout.window_secs", l.window_secs)?,
                lock_for: seconds("lockout.lock_secs", l.lock_secs)?,
            };
        }
        for app in file.apps {
            let policy = DevicePolicy {
                platforms: app.policy,
                native_instances: app.instances_per_platform,
                web_instances: app.web_instances,
            };
            policy
                .validate()
                .map_err(|e| format!("app {}: {e}", app.sdkappid))?;
            let rest = RestConfig::new(app.admins, app.rate_limits)
                .map_err(|e| format!("app {}: {e}", app.sdkappid))?;
            if let Some(callback) = &app.callback {
                callback
                    .validate()
                    .map_err(|e| format!("app {}: {e}", app.sdkappid))?;
            }
            let previous = config.apps.insert(
                app.sdkappid,
                AppConfig {
                    keys: app.keys,
                    policy,
                    rest,
                    callback: app.callback,
                },
            );
            if previous.is_some() {
                return Err(format!("app {} is configured twice", app.sdkappid));
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::parse_from(std::iter::once("tim-server").chain(args.iter().copied()))
    }

    #[test]
    fn flags_define_apps_and_repeat_for_key_rotation() {
        let config = ServerConfig::from_cli(&cli(&[
            "--listen",
            "127.0.0.1:0",
            "--app",
            "1400000000:k1",
            "--app",
            "1400000000:k2",
            "--app",
            "1400000001:k3",
            "--policy",
            "one-platform",
            "--instances",
            "3",
        ]))
        .unwrap();
        assert_eq!(config.listen.port(), 0);
        assert_eq!(config.apps[&1_400_000_000].keys, ["k1", "k2"]);
        assert_eq!(config.apps[&1_400_000_001].policy.native_instances, 3);
        assert_eq!(
            config.apps[&1_400_000_001].policy.platforms,
            PlatformPolicy::OnePlatform
        );
    }

    #[test]
    fn a_key_can_come_from_a_file() {
        let dir = std::env::temp_dir().join(format!("tim-keyfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("key");
        std::fs::write(&path, "secret-from-file\n").unwrap();
        let flag = format!("7:@{}", path.display());
        let config = ServerConfig::from_cli(&cli(&["--app", &flag])).unwrap();
        assert_eq!(config.apps[&7].keys, ["secret-from-file"]);
        std::fs::write(&path, "\n").unwrap();
        assert!(
            Cli::try_parse_from(["tim-server", "--app", &flag]).is_err(),
            "empty key file"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        let missing =
            Cli::try_parse_from(["tim-server", "--app", "7:@/nonexistent/key"]).unwrap_err();
        assert!(
            missing.to_string().contains("cannot read the key file"),
            "{missing}"
        );
    }

    #[test]
    fn bad_flags_are_refused_with_reasons() {
        assert!(Cli::try_parse_from(["tim-server", "--app", "abc:k"]).is_err());
        assert!(Cli::try_parse_from(["tim-server", "--app", "12"]).is_err());
        assert!(Cli::try_parse_from(["tim-server", "--app", "12:"]).is_err());
        let err = ServerConfig::from_cli(&cli(&["--app", "1:k", "--instances", "4"])).unwrap_err();
        assert!(err.contains("1 to 3"), "{err}");
        let err = ServerConfig::from_cli(&cli(&[])).unwrap_err();
        assert!(err.contains("no app"), "{err}");
        let err = ServerConfig::from_cli(&cli(&["--app", "1:k", "--heartbeat-timeout", "-1"]))
            .unwrap_err();
        assert!(err.contains("heartbeat"), "{err}");
    }

    #[test]
    fn a_toml_file_sets_everything_and_flags_win() {
        let dir = std::env::temp_dir().join(format!("tim-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("server.toml");
        std::fs::write(
            &path,
            r#"
listen = "0.0.0.0:9000"
heartbeat_timeout_secs = 30
[lockout]
max_failures = 5
window_secs = 60
lock_secs = 60
[[app]]
sdkappid = 7
keys = ["a", "b"]
policy = "mobile-or-desktop-plus-web"
instances_per_platform = 2
web_instances = 10
"#,
        )
        .unwrap();
        let file_arg = path.to_str().unwrap();
        let config =
            ServerConfig::from_cli(&cli(&["--config", file_arg, "--listen", "127.0.0.1:0"]))
                .unwrap();
        assert_eq!(config.listen.port(), 0);
        assert_eq!(config.heartbeat_timeout, Duration::from_secs(30));
        assert_eq!(config.lockout.max_failures, 5);
        let app = &config.apps[&7];
        assert_eq!(app.keys, ["a", "b"]);
        assert_eq!(app.policy.platforms, PlatformPolicy::MobileOrDesktopPlusWeb);
        assert_eq!(
            (app.policy.native_instances, app.policy.web_instances),
            (2, 10)
        );
        assert!(
            !format!("{app:?}").contains("\"a\""),
            "keys are not printed"
        );

        std::fs::write(
            &path,
            "[[app]]\nsdkappid = 7\nkeys = []\nweb_instances = 11\n",
        )
        .unwrap();
        let err = ServerConfig::from_cli(&cli(&["--config", file_arg])).unwrap_err();
        assert!(err.contains("1 to 10"), "{err}");
        std::fs::write(&path, "[[app]]\nsdkappid = 7\nkey = []\n").unwrap();
        assert!(ServerConfig::from_cli(&cli(&["--config", file_arg])).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_toml_file_sets_admins_rates_callbacks_and_the_admin_listener() {
        let dir = TempDir::new("rest-toml");
        let toml = dir.write(
            "server.toml",
            r#"
admin_listen = "127.0.0.1:9001"
day_utc_offset = "+08:00"
[[app]]
sdkappid = 7
keys = ["k"]
admins = ["administrator", "ops"]
[app.rate_limits]
"im_open_login_svc/kick" = 5
[app.callback]
url = "https://example.com/im"
token = "secret-token"
"#,
        );
        let config = ServerConfig::from_cli(&cli(&["--config", &toml])).unwrap();
        assert_eq!(config.admin_listen, Some("127.0.0.1:9001".parse().unwrap()));
        assert_eq!(config.day_offset.to_string(), "+08:00");
        let app = &config.apps[&7];
        assert_eq!(app.rest.admins, ["administrator", "ops"]);
        assert_eq!(app.rest.rate_limits["im_open_login_svc/kick"], 5);
        assert_eq!(app.callback.as_ref().unwrap().url, "https://example.com/im");
        assert!(
            !format!("{app:?}").contains("secret-token"),
            "tokens are not printed"
        );
        let flag = ServerConfig::from_cli(&cli(&[
            "--config",
            &toml,
            "--admin-listen",
            "127.0.0.1:0",
            "--app",
            "8:k",
            "--callback-url",
            "http://127.0.0.1:9/cb",
        ]))
        .unwrap();
        assert_eq!(flag.admin_listen, Some("127.0.0.1:0".parse().unwrap()));
        assert_eq!(
            flag.apps[&8].callback.as_ref().unwrap().url,
            "http://127.0.0.1:9/cb"
        );
        assert_eq!(
            flag.apps[&7].callback.as_ref().unwrap().url,
            "https://example.com/im"
        );
        let bad = ServerConfig::from_cli(&cli(&["--app", "8:k", "--callback-url", "nope"]));
        assert!(bad.unwrap_err().contains("callback url"));

        for (bad, expected) in [
            ("admins = []", "admins must list"),
            ("[app.rate_limits]\n\"openim/nope\" = 1", "no command"),
            ("[app.callback]\nurl = \"ftp://x/\"", "http:// or https://"),
        ] {
            let toml = dir.write(
                "bad.toml",
                &format!("[[app]]\nsdkappid = 7\nkeys = [\"k\"]\n{bad}\n"),
            );
            let err = ServerConfig::from_cli(&cli(&["--config", &toml])).unwrap_err();
            assert!(err.contains(expected), "{bad}: {err}");
        }
        let toml = dir.write("offset.toml", "day_utc_offset = \"8\"\n");
        let err = ServerConfig::from_cli(&cli(&["--app", "1:k", "--config", &toml])).unwrap_err();
        assert!(err.contains("UTC offset"), "{err}");
    }

    #[test]
    fn redis_urls_name_one_server_or_a_cluster() {
        let cluster = |args: &[&str]| {
            let mut all = vec!["--app", "1:k"];
            all.extend(args);
            ServerConfig::from_cli(&cli(&all)).map(|c| c.cluster)
        };
        assert_eq!(cluster(&[]).unwrap(), None);
        let single = cluster(&["--redis", "redis://10.0.0.5:6379/2", "--node-id", "n1"])
            .unwrap()
            .unwrap();
        assert_eq!(
            single.redis,
            RedisTarget::Single("redis://10.0.0.5:6379/2".into())
        );
        assert_eq!(
            (single.node_id.as_str(), single.lease),
            ("n1", DEFAULT_NODE_LEASE)
        );
        let seeds = ["redis://a:1".to_owned(), "redis://b:2".to_owned()];
        let form = cluster(&["--redis", "redis+cluster://a:1,b:2"])
            .unwrap()
            .unwrap();
        assert_eq!(form.redis, RedisTarget::Cluster(seeds.to_vec()));
        let repeated = cluster(&["--redis", "redis://a:1", "--redis", "redis://b:2"])
            .unwrap()
            .unwrap();
        assert_eq!(repeated.redis, RedisTarget::Cluster(seeds.to_vec()));
        let tls = cluster(&["--redis", "rediss+cluster://a:1"])
            .unwrap()
            .unwrap();
        assert_eq!(tls.redis, RedisTarget::Cluster(vec!["rediss://a:1".into()]));
        assert!(
            form.node_id.starts_with("node-"),
            "a made-up id: {}",
            form.node_id
        );
        for (args, expected) in [
            (&["--redis", "http://x"][..], "starts with redis://"),
            (&["--redis", "redis+cluster://a:1/3"], "no databases"),
            (&["--redis", "redis://a", "--node-id", "bad id"], "node id"),
            (
                &["--redis", "redis://a", "--node-lease", "0.5"],
                "at least 1 s",
            ),
            (&["--node-id", "n1"], "need --redis"),
        ] {
            let err = cluster(args).unwrap_err();
            assert!(err.contains(expected), "{args:?}: {err}");
        }
    }

    #[test]
    fn policy_flags_win_over_the_file_and_zero_durations_are_refused() {
        let dir = TempDir::new("flags-win");
        let toml = dir.write(
            "server.toml",
            "[[app]]\nsdkappid = 7\nkeys = [\"a\"]\npolicy = \"one-platform\"\ninstances_per_platform = 2\n[cluster]\nredis = [\"redis://r:1\"]\nnode_lease_secs = 4\n",
        );
        let config = ServerConfig::from_cli(&cli(&[
            "--config",
            &toml,
            "--app",
            "7:b",
            "--policy",
            "all-platforms",
            "--web-instances",
            "5",
            "--node-lease",
            "6",
        ]))
        .unwrap();
        let app = &config.apps[&7];
        assert_eq!(app.keys, ["a", "b"]);
        assert_eq!(
            app.policy.platforms,
            PlatformPolicy::AllPlatforms,
            "the flag wins"
        );
        assert_eq!(
            (app.policy.native_instances, app.policy.web_instances),
            (2, 5)
        );
        let cluster = config.cluster.unwrap();
        assert_eq!(cluster.redis, RedisTarget::Single("redis://r:1".into()));
        assert_eq!(cluster.lease, Duration::from_secs(6));
        for (flag, value) in [("--heartbeat-timeout", "0"), ("--login-timeout", "0")] {
            let err = ServerConfig::from_cli(&cli(&["--app", "1:k", flag, value])).unwrap_err();
            assert!(err.contains("more than 0"), "{flag}: {err}");
        }
        let err =
            ServerConfig::from_cli(&cli(&["--app", "1:k", "--lockout-failures", "0"])).unwrap_err();
        assert!(err.contains("at least 1"), "{err}");
    }

    #[test]
    fn data_lives_in_tim_data_unless_told_otherwise() {
        let data = |args: &[&str]| {
            let args: Vec<&str> = ["--app", "1:k"].iter().chain(args).copied().collect();
            ServerConfig::from_cli(&cli(&args)).map(|c| c.data_dir)
        };
        assert_eq!(data(&[]).unwrap(), Some(PathBuf::from(DEFAULT_DATA_DIR)));
        assert_eq!(
            data(&["--data", "/srv/tim"]).unwrap(),
            Some("/srv/tim".into())
        );
        assert_eq!(data(&["--ephemeral"]).unwrap(), None);
        assert!(
            Cli::try_parse_from(["tim-server", "--data", "d", "--ephemeral"]).is_err(),
            "--data and --ephemeral exclude each other"
        );
        assert_eq!(
            data(&["--redis", "redis://r:1"]).unwrap(),
            None,
            "Redis keeps a cluster's"
        );
        let err = data(&["--redis", "redis://r:1", "--data", "d"]).unwrap_err();
        assert!(err.contains("single node"), "{err}");
        let err = data(&["--redis-ephemeral"]).unwrap_err();
        assert!(err.contains("need --redis"), "{err}");
        let config = ServerConfig::from_cli(&cli(&[
            "--app",
            "1:k",
            "--redis",
            "redis://r:1",
            "--redis-ephemeral",
        ]))
        .unwrap();
        assert!(config.cluster.unwrap().redis_ephemeral);
        let dir = TempDir::new("data-dir");
        let toml = dir.write(
            "tim.toml",
            "data_dir = \"state\"\n[[app]]\nsdkappid = 1\nkeys = [\"k\"]\n",
        );
        assert_eq!(
            ServerConfig::from_cli(&cli(&["--config", &toml]))
                .unwrap()
                .data_dir,
            Some(dir.0.join("state")),
            "relative to the file's folder"
        );
    }

    /// A folder of its own under the system's temporary folder, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("tim-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn write(&self, name: &str, text: &str) -> String {
            let path = self.0.join(name);
            std::fs::write(&path, text).unwrap();
            path.to_str().unwrap().to_owned()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A certificate and its key, as PEM.
    fn self_signed() -> (String, String) {
        let pki = tim_testkit::TestPki::new();
        (pki.cert_pem, pki.key_pem)
    }

    /// A new certificate and key in `cert.pem` and `key.pem` of `dir`; their paths.
    fn pem_files(dir: &TempDir) -> (String, String) {
        let (cert, key) = self_signed();
        (dir.write("cert.pem", &cert), dir.write("key.pem", &key))
    }

    #[test]
    fn tls_files_come_as_a_pair() {
        let dir = TempDir::new("tls-pair");
        let (cert, key) = pem_files(&dir);
        let plain = ServerConfig::from_cli(&cli(&["--app", "1:k"])).unwrap();
        assert!(plain.tls.is_none());
        let tls = ServerConfig::from_cli(&cli(&[
            "--app",
            "1:k",
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ]))
        .unwrap();
        assert!(tls.tls.is_some());
        for half in [["--tls-cert", &cert], ["--tls-key", &key]] {
            let mut args = vec!["--app", "1:k"];
            args.extend(half);
            let err = ServerConfig::from_cli(&cli(&args)).unwrap_err();
            assert!(
                err.contains("--tls-cert and --tls-key go together"),
                "{err}"
            );
        }
        let toml = dir.write("half.toml", "tls_cert = \"cert.pem\"\n");
        let err = ServerConfig::from_cli(&cli(&["--app", "1:k", "--config", &toml])).unwrap_err();
        assert!(err.contains("tls_cert and tls_key go together"), "{err}");
    }

    #[test]
    fn toml_tls_paths_are_relative_to_the_file_and_flags_win() {
        let dir = TempDir::new("tls-toml");
        let (cert, key) = pem_files(&dir);
        let toml = dir.write(
            "server.toml",
            "tls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n[[app]]\nsdkappid = 1\nkeys = [\"k\"]\n",
        );
        let config = ServerConfig::from_cli(&cli(&["--config", &toml])).unwrap();
        let tls = format!("{:?}", config.tls.unwrap());
        assert!(tls.contains(&cert) && tls.contains(&key), "{tls}");
        assert!(
            !tls.contains("PRIVATE KEY"),
            "the key is not printed: {tls}"
        );

        // Flags replace the file's pair; a broken pair in the file is then never read.
        let broken = dir.write(
            "broken.toml",
            "tls_cert = \"missing.pem\"\ntls_key = \"missing.pem\"\n[[app]]\nsdkappid = 1\nkeys = [\"k\"]\n",
        );
        let config = ServerConfig::from_cli(&cli(&[
            "--config",
            &broken,
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ]))
        .unwrap();
        assert!(config.tls.is_some());
    }

    #[test]
    fn unreadable_or_invalid_pem_is_refused_when_the_config_is_built() {
        let dir = TempDir::new("tls-bad");
        let (cert, key) = pem_files(&dir);
        let (_, other_key_pem) = self_signed();
        let other_key = dir.write("other-key.pem", &other_key_pem);
        let garbage = dir.write("garbage.pem", "not PEM at all\n");
        let missing = dir.0.join("missing.pem").to_str().unwrap().to_owned();
        let cases = [
            (&missing, &key, "TLS certificate"),
            (&cert, &missing, "TLS key"),
            (&garbage, &key, "no PEM certificate"),
            (&cert, &garbage, "TLS key"),
            (&key, &key, "no PEM certificate"),
            (&cert, &other_key, "not the key of the certificate"),
        ];
        for (cert, key, expected) in cases {
            let err = ServerConfig::from_cli(&cli(&[
                "--app",
                "1:k",
                "--tls-cert",
                cert,
                "--tls-key",
                key,
            ]))
            .unwrap_err();
            assert!(err.contains(expected), "{cert} + {key}: {err}");
            assert!(!err.contains("PRIVATE KEY"), "{err}");
        }
    }
}
