//! Whether the cluster's Redis keeps what the cluster gives it.
//!
//! Redis holds the accounts, each kick's invalidation and the daily figures: a Redis that keeps
//! nothing on disk loses them all when it restarts. A node reads Redis's persistence settings
//! when it joins (`CONFIG GET appendonly`, `save` and `appendfsync`, one command each, as Redis 6
//! takes them) and refuses to start on a Redis with neither the append-only file nor snapshots,
//! unless told that this Redis is a throwaway (`--redis-ephemeral`). On a Redis Cluster every
//! master in the node's slot map is asked. A Redis that answers `CONFIG` with an error (managed
//! services rename or disable it, or an ACL forbids it) cannot tell: the node warns and joins.
//! The settings are read once, at the join: a Redis reconfigured later is not noticed.

use super::store::Connection;
use crate::account::RegistryError;
use crate::refused::Refused;
use redis::Value;
use redis::aio::ConnectionLike;
use redis::cluster_routing::{MultipleNodeRoutingInfo, RoutingInfo};
use std::time::Duration;
use tracing::{info, warn};

/// What one Redis server says of its persistence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Persistence {
    /// Its settings, as `CONFIG GET` answers them.
    Settings {
        /// `appendonly yes`: every write goes to the append-only file.
        appendonly: bool,
        /// How often the append-only file is fsynced: `always`, `everysec` or `no`.
        appendfsync: String,
        /// The snapshot rules (`3600 1 300 100`), or "" for none.
        save: String,
    },
    /// `CONFIG` answered an error (renamed away, disabled, forbidden by an ACL): what it said.
    Unknown(String),
}

impl Persistence {
    /// Neither the append-only file nor snapshots: a restart loses everything.
    fn keeps_nothing(&self) -> bool {
        matches!(self, Persistence::Settings { appendonly: false, save, .. } if save.trim().is_empty())
    }
}

/// Reads the persistence settings of the Redis behind `connection`: of the one server, or of
/// every master of a Redis Cluster, each named by its address (`HOST:PORT`). Fails when Redis
/// does not answer.
pub(crate) async fn read(
    connection: &Connection,
    name: &str,
    timeout: Duration,
) -> Result<Vec<(String, Persistence)>, RegistryError> {
    let mut answers: Vec<(String, [Reply; 3])> = vec![];
    for (i, parameter) in PARAMETERS.iter().enumerate() {
        for (server, reply) in config_get(connection, name, parameter, timeout).await? {
            let at = match answers.iter().position(|(s, _)| *s == server) {
                Some(at) => at,
                None => {
                    answers.push((server, Default::default()));
                    answers.len() - 1
                }
            };
            answers[at].1[i] = reply;
        }
    }
    Ok(answers
        .into_iter()
        .map(|(server, [appendonly, save, appendfsync])| {
            (server, settings(appendonly, save, appendfsync))
        })
        .collect())
}

/// The parameters read, in the order of [`settings`]' arguments.
const PARAMETERS: [&str; 3] = ["appendonly", "save", "appendfsync"];

/// One server's answer to one `CONFIG GET`: the parameter's value (`None` when the server does
/// not know it), or the error it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reply {
    Value(Option<String>),
    Error(String),
}

impl Default for Reply {
    fn default() -> Self {
        Reply::Error("no answer".to_owned())
    }
}

fn settings(appendonly: Reply, save: Reply, appendfsync: Reply) -> Persistence {
    let (appendonly, save, appendfsync) = match (appendonly, save, appendfsync) {
        (Reply::Error(e), _, _) | (_, Reply::Error(e), _) | (_, _, Reply::Error(e)) => {
            return Persistence::Unknown(e);
        }
        (Reply::Value(a), Reply::Value(s), Reply::Value(f)) => (a, s, f),
    };
    let Some(appendonly) = appendonly else {
        return Persistence::Unknown("CONFIG GET appendonly answered no value".to_owned());
    };
    Persistence::Settings {
        appendonly: appendonly.eq_ignore_ascii_case("yes"),
        appendfsync: appendfsync.unwrap_or_default(),
        save: save.unwrap_or_default(),
    }
}

/// Sends `CONFIG GET parameter` to the one server (named `name`), or to every master of a Redis
/// Cluster; each server's reply.
async fn config_get(
    connection: &Connection,
    name: &str,
    parameter: &str,
    timeout: Duration,
) -> Result<Vec<(String, Reply)>, RegistryError> {
    let mut command = redis::cmd("CONFIG");
    command.arg("GET").arg(parameter);
    let failed = |e: redis::RedisError| RegistryError(format!("Redis: {e}"));
    let call = async {
        match connection.clone() {
            Connection::Single(mut single) => {
                let reply = single.req_packed_command(&command).await;
                let reply = match reply {
                    Ok(value) => reply_of(value, parameter),
                    Err(e) if e.code().is_some() => Reply::Error(e.to_string()),
                    Err(e) => return Err(failed(e)),
                };
                Ok(vec![(name.to_owned(), reply)])
            }
            Connection::Cluster(mut cluster) => {
                let routing = RoutingInfo::MultiNode((MultipleNodeRoutingInfo::AllMasters, None));
                let answer = cluster
                    .route_command(command, routing)
                    .await
                    .map_err(failed)?;
                let Value::Map(by_server) = answer else {
                    return Err(RegistryError(format!(
                        "unexpected answer of CONFIG GET on the masters: {answer:?}"
                    )));
                };
                Ok(by_server
                    .into_iter()
                    .map(|(server, value)| {
                        let server = redis::from_redis_value::<String>(server)
                            .unwrap_or_else(|_| "?".to_owned());
                        (server, reply_of(value, parameter))
                    })
                    .collect())
            }
        }
    };
    tokio::time::timeout(timeout, call).await.map_err(|_| {
        RegistryError(format!(
            "Redis did not answer CONFIG GET within {} ms",
            timeout.as_millis()
        ))
    })?
}

/// A `CONFIG GET NAME` reply: `[NAME, VALUE]` (a map in RESP3), `[]` when the server does not
/// know the parameter, or an error.
fn reply_of(value: Value, parameter: &str) -> Reply {
    let text = |v: &Value| redis::from_redis_value_ref::<String>(v).ok();
    let pairs: Vec<(Option<String>, Option<String>)> = match &value {
        Value::ServerError(e) => return Reply::Error(e.to_string()),
        Value::Map(entries) => entries.iter().map(|(k, v)| (text(k), text(v))).collect(),
        Value::Array(items) => items
            .chunks(2)
            .map(|pair| (text(&pair[0]), pair.get(1).and_then(text)))
            .collect(),
        other => return Reply::Error(format!("unexpected answer: {other:?}")),
    };
    let named = |k: &Option<String>| {
        k.as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case(parameter))
    };
    Reply::Value(
        pairs
            .into_iter()
            .find(|(k, _)| named(k))
            .map(|(_, v)| v.unwrap_or_default()),
    )
}

/// Decides on what the servers said: refuses a Redis that keeps nothing, unless `ephemeral`,
/// and logs what the cluster can lose.
pub(crate) fn judge(servers: &[(String, Persistence)], ephemeral: bool) -> Result<(), Refused> {
    let bare: Vec<&str> = servers
        .iter()
        .filter(|(_, p)| p.keeps_nothing())
        .map(|(server, _)| server.as_str())
        .collect();
    if !bare.is_empty() && !ephemeral {
        return Err(Refused(format!(
            "Redis at {} keeps nothing on disk (appendonly no, save \"\"): it holds the cluster's \
             accounts, each kick's ticket invalidation and the daily figures, and a restart of it \
             would lose them all. Turn persistence on (appendonly yes, with appendfsync everysec \
             or always: CONFIG SET appendonly yes, and the same in redis.conf), or, if this Redis \
             is a throwaway (tests, demos), say so with --redis-ephemeral ([cluster] \
             redis_ephemeral = true)",
            bare.join(", ")
        )));
    }
    for (server, persistence) in servers {
        match persistence {
            Persistence::Unknown(reason) => warn!(
                redis = %server,
                %reason,
                "cannot read Redis's persistence settings (CONFIG is forbidden here): make sure it \
                 keeps what it is given (appendonly yes), or the cluster's accounts, kicks and \
                 daily figures are lost when it restarts"
            ),
            p if p.keeps_nothing() => warn!(
                redis = %server,
                "Redis keeps nothing on disk and --redis-ephemeral is set: the cluster's \
                 accounts, kicks and daily figures will not survive a Redis restart"
            ),
            Persistence::Settings {
                appendonly: true,
                appendfsync,
                save,
            } => info!(
                redis = %server,
                %appendfsync,
                %save,
                "Redis keeps an append-only file"
            ),
            Persistence::Settings { save, .. } => warn!(
                redis = %server,
                %save,
                "Redis keeps snapshots only: a crash of it loses every write since the last \
                 snapshot (minutes of accounts, kicks and figures); appendonly yes keeps them"
            ),
        }
    }
    Ok(())
}

/// `HOST:PORT` of a `redis://` URL, for messages: never the password it may carry.
pub(crate) fn server_name(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    rest.split(['/', '?']).next().unwrap_or(rest).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    fn settings_of(appendonly: &str, save: &str) -> Persistence {
        Persistence::Settings {
            appendonly: appendonly == "yes",
            appendfsync: "everysec".to_owned(),
            save: save.to_owned(),
        }
    }

    #[test]
    fn config_get_replies_read_in_resp2_and_resp3() {
        let resp2 = Value::Array(vec![bulk("appendonly"), bulk("no")]);
        assert_eq!(
            reply_of(resp2, "appendonly"),
            Reply::Value(Some("no".into()))
        );
        let resp3 = Value::Map(vec![(bulk("save"), bulk(""))]);
        assert_eq!(reply_of(resp3, "save"), Reply::Value(Some(String::new())));
        assert_eq!(
            reply_of(Value::Array(vec![]), "appendfsync"),
            Reply::Value(None)
        );
        assert!(matches!(reply_of(Value::Okay, "save"), Reply::Error(_)));
    }

    #[test]
    fn an_error_on_any_parameter_makes_the_settings_unknown() {
        let value = |v: &str| Reply::Value(Some(v.to_owned()));
        assert_eq!(
            settings(value("yes"), value(""), value("always")),
            Persistence::Settings {
                appendonly: true,
                appendfsync: "always".into(),
                save: String::new()
            }
        );
        let denied = Reply::Error("NOPERM".into());
        assert_eq!(
            settings(value("yes"), denied, value("always")),
            Persistence::Unknown("NOPERM".into())
        );
    }

    #[test]
    fn only_a_redis_with_neither_aof_nor_snapshots_is_refused() {
        let one = |p: Persistence| vec![("r:6379".to_owned(), p)];
        let refused = judge(&one(settings_of("no", "")), false).unwrap_err();
        assert!(refused.0.contains("--redis-ephemeral"), "{refused}");
        assert!(refused.0.contains("appendonly yes"), "{refused}");
        assert!(refused.0.contains("r:6379"), "{refused}");
        assert_eq!(judge(&one(settings_of("no", "  ")), true), Ok(()));
        assert_eq!(judge(&one(settings_of("yes", "")), false), Ok(()));
        assert_eq!(judge(&one(settings_of("no", "3600 1")), false), Ok(()));
        assert_eq!(
            judge(
                &one(Persistence::Unknown("ERR unknown command".into())),
                false
            ),
            Ok(())
        );
        // On a Redis Cluster one bare master is enough to refuse.
        let masters = vec![
            ("a:1".to_owned(), settings_of("yes", "")),
            ("b:2".to_owned(), settings_of("no", "")),
        ];
        let refused = judge(&masters, false).unwrap_err();
        assert!(
            refused.0.contains("b:2") && !refused.0.contains("a:1"),
            "{refused}"
        );
    }

    #[test]
    fn server_names_carry_no_password() {
        assert_eq!(
            server_name("redis://:secret@10.0.0.5:6379/2"),
            "10.0.0.5:6379"
        );
        assert_eq!(
            server_name("rediss://user:pw@r.example:6380"),
            "r.example:6380"
        );
        assert_eq!(server_name("redis://127.0.0.1:7000"), "127.0.0.1:7000");
    }
}
