//! The account and login commands: their bodies (in both the current and the older field
//! spellings of Tencent's docs and client libraries), their limits, and what they do.

use super::envelope::{CODE_INTERNAL, CODE_NOT_IMPORTED, RestError, decode_body};
use super::spec::Spec;
use crate::account::{AccountKey, RegistryError};
use crate::callbacks::{Event, StateChange};
use crate::clock::unix_millis;
use crate::hub::Ending;
use crate::policy::SessionInfo;
use crate::state::Shared;
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt, TryStreamExt, stream};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::atomic::Ordering::Relaxed;
use tim_protocol::{KickReason, Platform};

/// Longest UserID Tencent accepts, in bytes (the login's limit: a UserID is checked by
/// [`tim_protocol::validate_user_id`], for logins and REST calls alike).
pub use tim_protocol::limits::MAX_USER_ID_BYTES;
/// Longest Nick or FaceUrl Tencent accepts, in bytes.
pub const MAX_PROFILE_BYTES: usize = 500;
/// Most accounts one import, delete or check may carry.
pub const MAX_ACCOUNT_BATCH: usize = 100;
/// Most accounts one online-status query may carry.
pub const MAX_QUERY_BATCH: usize = 500;
/// A profile value over [`MAX_PROFILE_BYTES`].
const CODE_PROFILE_TOO_LONG: u32 = 40601;

/// A decoded request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `account_import`: one account.
    Import(Profile),
    /// `multiaccount_import`: up to 100 accounts.
    MultiImport(Vec<Profile>),
    /// `account_delete`.
    Delete(Vec<String>),
    /// `account_check`.
    Check(Vec<String>),
    /// `kick`: end every session, refuse every earlier ticket.
    Kick(String),
    /// `query_online_status` (or the older `querystate`, answering `State` for `Status`).
    QueryOnline {
        /// Accounts asked about, as given.
        accounts: Vec<String>,
        /// Whether to list each session's platform.
        detail: bool,
        /// Asked at the older path.
        legacy: bool,
    },
    /// `getappinfo`, optionally only some fields.
    AppInfo(Option<Vec<String>>),
}

/// An account to import.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Profile {
    /// The UserID (`Identifier` in older docs).
    #[serde(rename = "UserID", alias = "Identifier")]
    pub user_id: String,
    /// Accepted and checked, not stored: this server keeps no profiles.
    #[serde(rename = "Nick", default)]
    pub nick: Option<String>,
    /// Accepted and checked, not stored.
    #[serde(rename = "FaceUrl", default)]
    pub face_url: Option<String>,
}

#[derive(Deserialize)]
struct MultiImportBody {
    #[serde(rename = "Accounts")]
    accounts: Option<Vec<String>>,
    #[serde(rename = "AccountList")]
    account_list: Option<Vec<Profile>>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(rename = "UserID", alias = "Identifier")]
    user_id: String,
}

#[derive(Deserialize)]
struct DeleteBody {
    #[serde(rename = "DeleteItem")]
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct CheckBody {
    #[serde(rename = "CheckItem")]
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct KickBody {
    #[serde(rename = "UserID", alias = "Identifier")]
    user_id: String,
}

#[derive(Deserialize)]
struct QueryBody {
    #[serde(rename = "To_Account")]
    accounts: Vec<String>,
    #[serde(rename = "IsNeedDetail", default)]
    detail: u8,
}

#[derive(Deserialize)]
struct AppInfoBody {
    #[serde(rename = "RequestField")]
    fields: Option<Vec<String>>,
}

fn at_most<T>(items: Vec<T>, limit: usize, what: &str) -> Result<Vec<T>, RestError> {
    if items.len() > limit {
        return Err(RestError::invalid(format!(
            "{what} holds {} accounts; at most {limit} per call",
            items.len()
        )));
    }
    Ok(items)
}

impl Command {
    /// Decodes the body of the command at `spec`.
    pub fn decode(spec: &Spec, body: &[u8]) -> Result<Command, RestError> {
        let items = |items: Vec<Item>| items.into_iter().map(|i| i.user_id).collect();
        Ok(match spec.path.rsplit('/').next().unwrap_or_default() {
            "account_import" => Command::Import(decode_body(body)?),
            "multiaccount_import" => {
                let body: MultiImportBody = decode_body(body)?;
                let profiles = match (body.account_list, body.accounts) {
                    (Some(list), None) => list,
                    (None, Some(ids)) => ids
                        .into_iter()
                        .map(|user_id| Profile {
                            user_id,
                            nick: None,
                            face_url: None,
                        })
                        .collect(),
                    _ => {
                        return Err(RestError::invalid(
                            "give exactly one of AccountList and Accounts",
                        ));
                    }
                };
                Command::MultiImport(at_most(profiles, MAX_ACCOUNT_BATCH, "AccountList")?)
            }
            "account_delete" => {
                let body: DeleteBody = decode_body(body)?;
                Command::Delete(at_most(items(body.items), MAX_ACCOUNT_BATCH, "DeleteItem")?)
            }
            "account_check" => {
                let body: CheckBody = decode_body(body)?;
                Command::Check(at_most(items(body.items), MAX_ACCOUNT_BATCH, "CheckItem")?)
            }
            "kick" => Command::Kick(decode_body::<KickBody>(body)?.user_id),
            "query_online_status" | "querystate" => {
                let body: QueryBody = decode_body(body)?;
                if body.detail > 1 {
                    return Err(RestError::invalid("IsNeedDetail must be 0 or 1"));
                }
                Command::QueryOnline {
                    accounts: at_most(body.accounts, MAX_QUERY_BATCH, "To_Account")?,
                    detail: body.detail == 1,
                    legacy: spec.path.ends_with("querystate"),
                }
            }
            _ => Command::AppInfo(decode_body::<AppInfoBody>(body)?.fields),
        })
    }

    /// Carries the command out for `app`, answering the command's fields.
    pub async fn run(self, shared: &Shared, app: u64) -> Result<Map<String, Value>, RestError> {
        let key = |user_id: &str| AccountKey {
            sdk_app_id: app,
            user_id: user_id.to_owned(),
        };
        let registry = shared.registry.as_ref();
        let mut out = Map::new();
        match self {
            Command::Import(profile) => {
                check_profile(&profile)?;
                import(shared, &key(&profile.user_id)).await?;
            }
            Command::MultiImport(profiles) => {
                let (good, bad): (Vec<_>, Vec<_>) = profiles
                    .into_iter()
                    .partition(|profile| check_profile(profile).is_ok());
                let accounts: Vec<_> = good.iter().map(|p| key(&p.user_id)).collect();
                import_all(shared, &accounts).await?;
                let failed: Vec<Value> = bad.into_iter().map(|p| p.user_id.into()).collect();
                out.insert("FailAccounts".into(), failed.into());
            }
            Command::Delete(ids) => {
                let mut results = vec![];
                for id in ids {
                    let deleted = valid_user_id(&id).is_ok()
                        && registry.unregister(&key(&id)).await.map_err(internal)?;
                    if deleted {
                        shared.stats.deleted(app, unix_millis());
                    }
                    results.push(if deleted {
                        json!({ "ResultCode": 0, "ResultInfo": "", "UserID": id })
                    } else {
                        json!({
                            "ResultCode": CODE_NOT_IMPORTED,
                            "ResultInfo": "Err_TLS_PT_Open_Login_Account_Not_Exist",
                            "UserID": id,
                        })
                    });
                }
                out.insert("ResultItem".into(), results.into());
            }
            Command::Check(ids) => {
                let mut results = vec![];
                for id in ids {
                    let exists = valid_user_id(&id).is_ok()
                        && registry.is_registered(&key(&id)).await.map_err(internal)?;
                    let status = if exists { "Imported" } else { "NotImported" };
                    results.push(json!({
                        "UserID": id, "ResultCode": 0, "ResultInfo": "", "AccountStatus": status,
                    }));
                }
                out.insert("ResultItem".into(), results.into());
            }
            Command::Kick(user_id) => {
                valid_user_id(&user_id)?;
                kick(shared, &key(&user_id)).await?;
            }
            Command::QueryOnline {
                accounts: ids,
                detail,
                legacy,
            } => {
                let (results, errors) = query_online(shared, app, ids, detail, legacy).await?;
                out.insert("QueryResult".into(), results.into());
                out.insert("ErrorList".into(), errors.into());
            }
            Command::AppInfo(fields) => {
                let days = shared
                    .stats
                    .report(app, unix_millis())
                    .await
                    .map_err(internal)?;
                let wanted =
                    |name: &str| fields.as_ref().is_none_or(|f| f.iter().any(|w| w == name));
                let result: Vec<Value> = days
                    .into_iter()
                    .map(|day| {
                        let mut row = Map::new();
                        row.insert("AppId".into(), app.to_string().into());
                        row.insert("Date".into(), day.date.into());
                        for (name, value) in [
                            ("ActiveUserNum", day.active_users),
                            ("LoginTimes", day.logins),
                            ("LoginUserNum", day.active_users),
                            ("RegistUserNumOneDay", day.registered),
                            ("RegistUserNumTotal", day.registered_total),
                            ("MaxOnlineNum", day.max_online),
                        ] {
                            if wanted(name) {
                                row.insert(name.into(), value.to_string().into());
                            }
                        }
                        Value::Object(row)
                    })
                    .collect();
                out.insert("Result".into(), result.into());
            }
        }
        Ok(out)
    }
}

fn internal(e: RegistryError) -> RestError {
    tracing::warn!(error = %e, "REST command failed");
    RestError::new(CODE_INTERNAL, "server internal error")
}

/// The login's rule for a UserID ([`tim_protocol::validate_user_id`]): what cannot log in cannot
/// be imported, kicked or deleted, and is never looked up. 70402 with the rule's reason.
fn valid_user_id(user_id: &str) -> Result<(), RestError> {
    tim_protocol::validate_user_id(user_id).map_err(RestError::invalid)
}

fn check_profile(profile: &Profile) -> Result<(), RestError> {
    valid_user_id(&profile.user_id)?;
    for value in [&profile.nick, &profile.face_url].into_iter().flatten() {
        if value.len() > MAX_PROFILE_BYTES {
            return Err(RestError::new(
                CODE_PROFILE_TOO_LONG,
                format!("Nick and FaceUrl hold at most {MAX_PROFILE_BYTES} bytes"),
            ));
        }
    }
    Ok(())
}

async fn import(shared: &Shared, account: &AccountKey) -> Result<(), RestError> {
    if shared.registry.register(account).await.map_err(internal)? {
        shared.stats.registered(account.sdk_app_id, unix_millis());
    }
    Ok(())
}

/// Imports each account, [`IN_FLIGHT`] at a time.
async fn import_all(shared: &Shared, accounts: &[AccountKey]) -> Result<(), RestError> {
    // Collected first, as in `lookup_sessions`.
    let imports: Vec<BoxFuture<'_, Result<(), RestError>>> = accounts
        .iter()
        .map(|account| import(shared, account).boxed())
        .collect();
    stream::iter(imports)
        .buffered(IN_FLIGHT)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// Takes every session of the account offline and refuses its earlier tickets, in one step of
/// the registry, then ends each session wherever it is connected with the kicked-offline push.
/// The account must exist (70107 otherwise).
async fn kick(shared: &Shared, account: &AccountKey) -> Result<(), RestError> {
    if !shared
        .registry
        .is_registered(account)
        .await
        .map_err(internal)?
    {
        return Err(RestError::new(
            CODE_NOT_IMPORTED,
            "the account does not exist",
        ));
    }
    let now_secs = unix_millis() / 1000;
    let sessions = shared
        .registry
        .end_all(account, Some(now_secs))
        .await
        .map_err(internal)?;
    let ending = Ending::Kicked {
        reason: KickReason::Admin,
        by_platform: None,
    };
    for session in &sessions {
        shared.metrics.kicks.fetch_add(1, Relaxed);
        shared.end(session, ending);
    }
    shared.state_change(Event::now(account, StateChange::Logout, None));
    Ok(())
}

/// `Platform` names of the online-status detail, as Tencent's SDKs know them.
fn detail_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Android => "Android",
        Platform::IPhone => "iPhone",
        Platform::IPad => "iPad",
        Platform::Windows | Platform::Linux => "PC",
        Platform::Mac => "Mac",
        Platform::Web => "Web",
    }
}

/// Registry calls of one REST call in flight at once: a shared store answers them pipelined on
/// one connection instead of one round trip after another, and a node's database commits their
/// writes together instead of one after another.
const IN_FLIGHT: usize = 64;

/// Whether each account exists and, if it does, its sessions; in order.
async fn lookup_sessions(
    shared: &Shared,
    accounts: &[AccountKey],
) -> Result<Vec<Option<Vec<SessionInfo>>>, RestError> {
    // Collected first: a stream over a closure that borrows `shared` would make the handler's
    // future `Send` for one lifetime only, which axum refuses.
    let lookups: Vec<BoxFuture<'_, Result<_, RegistryError>>> = accounts
        .iter()
        .map(|key| lookup_one(shared, key).boxed())
        .collect();
    stream::iter(lookups)
        .buffered(IN_FLIGHT)
        .try_collect()
        .await
        .map_err(internal)
}

async fn lookup_one(
    shared: &Shared,
    account: &AccountKey,
) -> Result<Option<Vec<SessionInfo>>, RegistryError> {
    if valid_user_id(&account.user_id).is_err() || !shared.registry.is_registered(account).await? {
        return Ok(None);
    }
    shared.registry.sessions(account).await.map(Some)
}

async fn query_online(
    shared: &Shared,
    app: u64,
    ids: Vec<String>,
    detail: bool,
    legacy: bool,
) -> Result<(Vec<Value>, Vec<Value>), RestError> {
    let status_field = if legacy { "State" } else { "Status" };
    let keys: Vec<_> = ids
        .into_iter()
        .map(|user_id| AccountKey {
            sdk_app_id: app,
            user_id,
        })
        .collect();
    let found = lookup_sessions(shared, &keys).await?;
    let (mut results, mut errors) = (vec![], vec![]);
    for (key, sessions) in keys.into_iter().zip(found) {
        let Some(sessions) = sessions else {
            errors.push(json!({ "To_Account": key.user_id, "ErrorCode": CODE_NOT_IMPORTED }));
            continue;
        };
        let status = if sessions.is_empty() {
            "Offline"
        } else {
            "Online"
        };
        let mut row = Map::new();
        row.insert("To_Account".into(), key.user_id.into());
        row.insert(status_field.into(), status.into());
        if detail {
            let detail: Vec<_> = sessions
                .iter()
                .map(|s| json!({ "Platform": detail_name(s.platform), status_field: "Online" }))
                .collect();
            row.insert("Detail".into(), detail.into());
        }
        results.push(Value::Object(row));
    }
    Ok((results, errors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::spec::lookup;

    fn decode(path: &str, body: &str) -> Result<Command, RestError> {
        Command::decode(lookup(path).unwrap(), body.as_bytes())
    }

    #[test]
    fn both_spellings_decode_alike() {
        let new = decode("im_open_login_svc/kick", r#"{"UserID":"alice"}"#).unwrap();
        let old = decode("im_open_login_svc/kick", r#"{"Identifier":"alice"}"#).unwrap();
        assert_eq!(new, old);
        let new = decode(
            "im_open_login_svc/multiaccount_import",
            r#"{"AccountList":[{"UserID":"a"},{"UserID":"b","Nick":"B"}]}"#,
        )
        .unwrap();
        let Command::MultiImport(profiles) = new else {
            panic!()
        };
        assert_eq!(profiles[1].nick.as_deref(), Some("B"));
        let old = decode(
            "im_open_login_svc/multiaccount_import",
            r#"{"Accounts":["a","b"]}"#,
        )
        .unwrap();
        let Command::MultiImport(profiles) = old else {
            panic!()
        };
        assert_eq!(profiles.len(), 2);
        let legacy = decode("openim/querystate", r#"{"To_Account":["a"]}"#).unwrap();
        assert!(matches!(
            legacy,
            Command::QueryOnline {
                legacy: true,
                detail: false,
                ..
            }
        ));
    }

    #[test]
    fn batches_and_types_are_checked() {
        let ids: Vec<String> = (0..101).map(|i| format!("\"u{i}\"")).collect();
        let body = format!(r#"{{"Accounts":[{}]}}"#, ids.join(","));
        let code = |path: &str, body: &str| decode(path, body).unwrap_err().code;
        assert_eq!(code("im_open_login_svc/multiaccount_import", &body), 70402);
        assert_eq!(
            code(
                "im_open_login_svc/multiaccount_import",
                r#"{"Accounts":[],"AccountList":[]}"#
            ),
            70402
        );
        assert_eq!(code("im_open_login_svc/kick", r#"{"UserID":["a"]}"#), 70402);
        assert_eq!(code("im_open_login_svc/kick", "{}"), 70402);
        assert_eq!(
            code("openim/query_online_status", r#"{"To_Account":"a"}"#),
            70402
        );
        assert_eq!(
            code(
                "openim/query_online_status",
                r#"{"To_Account":[],"IsNeedDetail":2}"#
            ),
            70402
        );
        assert_eq!(
            code("im_open_login_svc/account_check", r#"{"CheckItem":{}}"#),
            70402
        );
        assert_eq!(
            code("im_open_login_svc/account_delete", "{\"DeleteItem\":"),
            60003
        );
        let ids: Vec<String> = (0..501).map(|i| format!("\"u{i}\"")).collect();
        let body = format!(r#"{{"To_Account":[{}]}}"#, ids.join(","));
        assert_eq!(code("openim/query_online_status", &body), 70402);
        assert!(decode("openconfigsvr/getappinfo", "").is_ok());
    }

    #[test]
    fn user_ids_and_profiles_have_tencents_limits() {
        assert!(valid_user_id(&"x".repeat(32)).is_ok());
        assert!(valid_user_id("a@b.c").is_ok());
        // The login's rule, with its reason and 70402.
        for bad in ["", &"x".repeat(33), "ali ce", "tab\t", "bjørn"] {
            let err = valid_user_id(bad).unwrap_err();
            assert_eq!(err.code, 70402, "{bad:?}");
            assert_eq!(
                err.info,
                tim_protocol::validate_user_id(bad).unwrap_err(),
                "{bad:?}"
            );
        }
        let profile = Profile {
            user_id: "a".into(),
            nick: Some("n".repeat(501)),
            face_url: None,
        };
        assert_eq!(check_profile(&profile).unwrap_err().code, 40601);
    }
}
