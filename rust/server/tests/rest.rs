//! The REST admin API over real HTTP against a server on 127.0.0.1:0: every command, both field
//! spellings, every error code, rate limits and hostile requests.

mod support;

use serde_json::{Value, json};
use support::rest::{Answer, call, call_as, call_from, code, http, query, rest_addr};
use support::*;
use tim_protocol::{KickReason, Platform, ServerFrame};
use tim_server::AppConfig;

fn ids(answer: &Value, list: &str, field: &str) -> Vec<String> {
    answer[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {answer}"))
        .iter()
        .map(|item| item[field].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn accounts_are_imported_checked_and_deleted_in_both_spellings() {
    let server = start(config()).await;
    let ok = |answer: &Value| {
        assert_eq!(answer["ActionStatus"], "OK", "{answer}");
        assert_eq!(code(answer), 0, "{answer}");
    };
    ok(&call(
        &server,
        "im_open_login_svc/account_import",
        r#"{"UserID":"a1","Nick":"A"}"#,
    )
    .await);
    ok(&call(
        &server,
        "im_open_login_svc/account_import",
        r#"{"Identifier":"a2"}"#,
    )
    .await);
    let multi = call(
        &server,
        "im_open_login_svc/multiaccount_import",
        &json!({"AccountList": [{"UserID": "a3"}, {"UserID": "x".repeat(33)}]}).to_string(),
    )
    .await;
    ok(&multi);
    assert_eq!(multi["FailAccounts"], json!(["x".repeat(33)]));
    let old = call(
        &server,
        "im_open_login_svc/multiaccount_import",
        r#"{"Accounts":["a4"]}"#,
    )
    .await;
    assert_eq!(old["FailAccounts"], json!([]));

    let check = call(
        &server,
        "im_open_login_svc/account_check",
        r#"{"CheckItem":[{"UserID":"a1"},{"UserID":"a4"},{"UserID":"nobody"}]}"#,
    )
    .await;
    ok(&check);
    assert_eq!(
        ids(&check, "ResultItem", "AccountStatus"),
        ["Imported", "Imported", "NotImported"]
    );

    let delete = call(
        &server,
        "im_open_login_svc/account_delete",
        r#"{"DeleteItem":[{"UserID":"a1"},{"UserID":"nobody"}]}"#,
    )
    .await;
    ok(&delete);
    let items = delete["ResultItem"].as_array().unwrap();
    assert_eq!(
        (items[0]["UserID"].as_str(), items[0]["ResultCode"].as_u64()),
        (Some("a1"), Some(0))
    );
    assert_eq!(items[1]["ResultCode"], 70107);
    assert_eq!(
        items[1]["ResultInfo"],
        "Err_TLS_PT_Open_Login_Account_Not_Exist"
    );
    let check = call(
        &server,
        "im_open_login_svc/account_check",
        r#"{"CheckItem":[{"UserID":"a1"}]}"#,
    )
    .await;
    assert_eq!(ids(&check, "ResultItem", "AccountStatus"), ["NotImported"]);

    let long_nick = json!({"UserID": "a5", "Nick": "n".repeat(501)}).to_string();
    assert_eq!(
        code(&call(&server, "im_open_login_svc/account_import", &long_nick).await),
        40601
    );
    server.shutdown().await;
}

#[tokio::test]
async fn online_status_lists_platforms_in_each_eras_field_names() {
    let server = start(config()).await;
    let _phone = online(&server, &request("alice", "phone", Platform::Android)).await;
    let _web = online(&server, &request("alice", "tab", Platform::Web)).await;
    let mut bob = online(&server, &request("bob", "pc", Platform::Windows)).await;
    bob.send(&tim_protocol::ClientFrame::Logout { seq: 1 })
        .await
        .unwrap();
    assert!(matches!(
        next(&mut bob).await,
        ServerFrame::LogoutResult { code: 0, .. }
    ));

    let body = r#"{"To_Account":["alice","bob","ghost"],"IsNeedDetail":1}"#;
    let now = call(&server, "openim/query_online_status", body).await;
    assert_eq!(code(&now), 0, "{now}");
    assert_eq!(ids(&now, "QueryResult", "Status"), ["Online", "Offline"]);
    let detail = &now["QueryResult"][0]["Detail"];
    assert_eq!(
        detail,
        &json!([{"Platform": "Android", "Status": "Online"}, {"Platform": "Web", "Status": "Online"}])
    );
    assert_eq!(now["QueryResult"][1]["Detail"], json!([]));
    assert_eq!(
        now["ErrorList"],
        json!([{"To_Account": "ghost", "ErrorCode": 70107}])
    );

    let old = call(&server, "openim/querystate", r#"{"To_Account":["alice"]}"#).await;
    assert_eq!(ids(&old, "QueryResult", "State"), ["Online"]);
    assert!(
        old["QueryResult"][0].get("Detail").is_none(),
        "no detail unless asked"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_kick_ends_every_session_and_refuses_older_tickets() {
    let server = start(config()).await;
    let old_ticket = ticket_for(APP, KEY, "alice", now() - 10, 86_400);
    let mut with_old = request("alice", "phone", Platform::Android);
    with_old.user_sig = old_ticket.clone();
    let mut phone = online(&server, &with_old).await;
    let mut web = online(&server, &request("alice", "tab", Platform::Web)).await;
    let _bob = online(&server, &request("bob", "pc", Platform::Mac)).await;

    let kicked = call(&server, "im_open_login_svc/kick", r#"{"UserID":"alice"}"#).await;
    assert_eq!(code(&kicked), 0, "{kicked}");
    for connection in [&mut phone, &mut web] {
        assert_eq!(
            next(connection).await,
            ServerFrame::KickedOffline {
                reason: KickReason::Admin,
                by_platform: None
            }
        );
        assert_eq!(connection.closed().await, 1008);
    }
    assert!(sessions(&server, "alice").await.is_empty());
    assert_eq!(
        sessions(&server, "bob").await.len(),
        1,
        "others stay online"
    );

    assert_eq!(login_code(&server, &with_old).await, 70052);
    // A ticket signed from the kick's second on logs in.
    let _again = online(&server, &request("alice", "phone", Platform::Android)).await;
    // The older spelling kicks too; an unknown account is 70107.
    let again = call(
        &server,
        "im_open_login_svc/kick",
        r#"{"Identifier":"alice"}"#,
    )
    .await;
    assert_eq!(code(&again), 0, "{again}");
    assert_eq!(
        code(&call(&server, "im_open_login_svc/kick", r#"{"UserID":"ghost"}"#).await),
        70107
    );
    server.shutdown().await;
}

#[tokio::test]
async fn only_administrators_with_valid_tickets_may_call() {
    let mut config = config();
    config.apps.insert(
        APP + 1,
        AppConfig {
            keys: vec![],
            ..AppConfig::default()
        },
    );
    config.apps.insert(
        APP + 2,
        AppConfig {
            keys: vec!["other".into()],
            ..AppConfig::default()
        },
    );
    let server = start(config).await;
    let path = "im_open_login_svc/account_check";
    let body = r#"{"CheckItem":[]}"#;
    let admin = "administrator";
    let as_admin = |sig: String| {
        let server = &server;
        async move { code(&call_as(server, admin, &sig, path, body).await) }
    };
    assert_eq!(
        as_admin(ticket_for(APP, KEY, admin, now() - 100, 10)).await,
        70001
    );
    assert_eq!(as_admin("eJyrVgrxCdYrSy1SslIyUqo".into()).await, 70003);
    assert_eq!(
        as_admin(ticket_for(APP, "wrong", admin, now(), 600)).await,
        70009
    );
    assert_eq!(as_admin(ticket("alice")).await, 70013);
    assert_eq!(
        as_admin(ticket_for(APP + 2, "other", admin, now(), 600)).await,
        70014
    );
    assert_eq!(as_admin(ticket(admin)).await, 0);

    let addr = rest_addr(&server);
    let at = |app: u64| {
        format!(
            "POST /v4/{path}?{} HTTP/1.1",
            query(app, admin, &ticket(admin))
        )
    };
    assert_eq!(
        code(&http(addr, &at(APP + 1), body.as_bytes()).await.json()),
        70016
    );
    assert_eq!(
        code(&http(addr, &at(999), body.as_bytes()).await.json()),
        60006
    );

    // A valid ticket of someone else: 70403 on the account service, 60010 elsewhere.
    let alice = ticket("alice");
    assert_eq!(
        code(&call_as(&server, "alice", &alice, path, body).await),
        70403
    );
    let query_online = r#"{"To_Account":[]}"#;
    assert_eq!(
        code(
            &call_as(
                &server,
                "alice",
                &alice,
                "openim/query_online_status",
                query_online
            )
            .await
        ),
        60010
    );
    server.shutdown().await;
}

const LOCAL: &str = "127.0.0.1";
const NEIGHBOUR: &str = "127.0.0.2";

#[tokio::test]
async fn failed_rest_authentications_are_limited_per_address_and_never_lock_the_administrator() {
    let server = start(config()).await;
    let (path, body) = ("im_open_login_svc/account_check", r#"{"CheckItem":[]}"#);
    let admin = "administrator";
    let from = |ip: &str| Some(ip.parse::<std::net::IpAddr>().unwrap());
    let mut codes = vec![];
    for _ in 0..25 {
        let answer = call_from(from(LOCAL), &server, admin, "x", path, body).await;
        codes.push(code(&answer));
    }
    // The administrator's logins are not locked by any of it...
    let _admin = online(&server, &request(admin, "ops", Platform::Linux)).await;
    // ...nor are its REST calls: the failures are charged to the address they came from, which
    // is refused for a while (its good tickets too), while another address is served.
    assert_eq!(codes[0], 70003, "{codes:?}");
    assert!(
        codes.iter().all(|&c| c == 70003 || c == 60007),
        "ticket codes, then 60007: {codes:?}"
    );
    assert_eq!(codes.last(), Some(&60007), "{codes:?}");
    let good = ticket(admin);
    let blocked = call_from(from(LOCAL), &server, admin, &good, path, body).await;
    assert_eq!(code(&blocked), 60007, "{blocked}");
    let served = call_from(from(NEIGHBOUR), &server, admin, &good, path, body).await;
    assert_eq!(code(&served), 0, "{served}");
    assert_eq!(server.metrics().logins(70050), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_lockout_of_the_administrators_logins_leaves_its_rest_calls_alone() {
    let server = start(config()).await;
    let admin = "administrator";
    let mut forged = request(admin, "ops", Platform::Linux);
    forged.user_sig = ticket_for(APP, "wrong", admin, now(), 600);
    for _ in 0..10 {
        assert_eq!(login_code(&server, &forged).await, 70009);
    }
    let good = request(admin, "ops", Platform::Linux);
    assert_eq!(login_code(&server, &good).await, 70050, "logins are locked");
    // Anyone can lock an account's logins by forging them; the business server's calls go on.
    let check = call(
        &server,
        "im_open_login_svc/account_check",
        r#"{"CheckItem":[]}"#,
    )
    .await;
    assert_eq!(code(&check), 0, "{check}");
    server.shutdown().await;
}

#[tokio::test]
async fn configured_admins_replace_the_default() {
    let mut config = config();
    config.apps.get_mut(&APP).unwrap().rest.admins = vec!["ops".into()];
    let server = start(config).await;
    let body = r#"{"CheckItem":[]}"#;
    let path = "im_open_login_svc/account_check";
    assert_eq!(
        code(&call_as(&server, "ops", &ticket("ops"), path, body).await),
        0
    );
    assert_eq!(code(&call(&server, path, body).await), 70403);
    server.shutdown().await;
}

/// The envelope code of a raw request.
async fn raw_code(server: &tim_server::RunningServer, head: &str, body: &[u8]) -> (Answer, u64) {
    let answer = http(rest_addr(server), head, body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let code = code(&answer.json());
    (answer, code)
}

#[tokio::test]
async fn bad_requests_get_tencents_codes_and_the_server_keeps_serving() {
    let server = start(config()).await;
    let q = query(APP, "administrator", &ticket("administrator"));
    let post = |path: &str| format!("POST /v4/{path}?{q} HTTP/1.1");
    let check = "im_open_login_svc/account_check";
    assert_eq!(
        raw_code(&server, &post("openim/nothing"), b"{}").await.1,
        60009
    );
    assert_eq!(raw_code(&server, &post("a/b/c"), b"{}").await.1, 60009);
    let no_app = format!("POST /v4/{check}?identifier=administrator&usersig=x HTTP/1.1");
    assert_eq!(raw_code(&server, &no_app, b"{}").await.1, 60012);
    let no_sig = format!("POST /v4/{check}?sdkappid={APP}&identifier=administrator HTTP/1.1");
    assert_eq!(raw_code(&server, &no_sig, b"{}").await.1, 60005);
    let no_admin = format!("POST /v4/{check}?sdkappid={APP}&usersig=x HTTP/1.1");
    assert_eq!(raw_code(&server, &no_admin, b"{}").await.1, 60004);
    assert_eq!(
        raw_code(&server, &post(check), b"{\"CheckItem\":[").await.1,
        60003
    );
    assert_eq!(
        raw_code(&server, &post(check), br#"{"CheckItem":"a"}"#)
            .await
            .1,
        70402
    );
    assert_eq!(
        raw_code(&server, &post(check), br#"{"CheckItem":[{"UserID":7}]}"#)
            .await
            .1,
        70402
    );
    let deep = "[".repeat(100_000);
    assert_eq!(
        raw_code(&server, &post(check), deep.as_bytes()).await.1,
        60003
    );
    let batch: Vec<_> = (0..101)
        .map(|i| json!({"UserID": format!("u{i}")}))
        .collect();
    let batch = json!({"CheckItem": batch}).to_string();
    assert_eq!(
        raw_code(&server, &post(check), batch.as_bytes()).await.1,
        70402
    );

    let huge = vec![b' '; 10 * 1024 * 1024];
    let (answer, huge_code) = raw_code(&server, &post(check), &huge).await;
    assert_eq!(huge_code, 60002);
    assert!(
        answer
            .head
            .to_ascii_lowercase()
            .contains("connection: close"),
        "{}",
        answer.head
    );

    // A client library that sends GET with a JSON body is answered alike.
    let get = format!("GET /v4/{check}?{q} HTTP/1.1");
    let (answer, get_code) = raw_code(&server, &get, br#"{"CheckItem":[{"UserID":"x"}]}"#).await;
    assert_eq!(get_code, 0, "{}", answer.body);

    // After all that the server still serves REST calls and logins.
    assert_eq!(code(&call(&server, check, r#"{"CheckItem":[]}"#).await), 0);
    let _alice = online(&server, &request("alice", "i1", Platform::Android)).await;
    let metrics = server.metrics();
    assert_eq!(metrics.rest_calls("unknown", 60009), 2);
    assert_eq!(metrics.rest_calls(check, 60002), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn calls_over_the_rate_limit_get_60007() {
    let mut config = config();
    let rest = &mut config.apps.get_mut(&APP).unwrap().rest;
    rest.rate_limits
        .insert("im_open_login_svc/account_check", 1);
    let server = start(config).await;
    let check = "im_open_login_svc/account_check";
    let calls = (0..5).map(|_| call(&server, check, r#"{"CheckItem":[]}"#));
    let codes: Vec<u64> = futures_util::future::join_all(calls)
        .await
        .iter()
        .map(code)
        .collect();
    // One call a second: five calls at once cannot all pass, and the first always does.
    assert!(codes.contains(&0) && codes.contains(&60007), "{codes:?}");
    // Other commands have their own budget.
    let other = call(
        &server,
        "openim/query_online_status",
        r#"{"To_Account":[]}"#,
    )
    .await;
    assert_eq!(code(&other), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn with_an_admin_listener_the_api_is_served_there_only() {
    let mut config = config();
    config.admin_listen = Some("127.0.0.1:0".parse().unwrap());
    let server = start(config).await;
    let main_addr = server.local_addr();
    assert_ne!(rest_addr(&server), main_addr);
    let q = query(APP, "administrator", &ticket("administrator"));
    let head = format!("POST /v4/openim/query_online_status?{q} HTTP/1.1");
    let on_main = http(main_addr, &head, br#"{"To_Account":[]}"#).await;
    assert_eq!(on_main.status, 404);
    assert_eq!(
        code(
            &call(
                &server,
                "openim/query_online_status",
                r#"{"To_Account":[]}"#
            )
            .await
        ),
        0
    );
    let metrics = http(rest_addr(&server), "GET /metrics HTTP/1.1", b"").await;
    assert_eq!(metrics.status, 404, "metrics stay on the main listener");
    let _alice = online(&server, &request("alice", "i1", Platform::Android)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn sessions_ended_by_a_kick_or_another_login_leave_the_peak_online() {
    let server = start(config()).await;
    let admin_kick = ServerFrame::KickedOffline {
        reason: KickReason::Admin,
        by_platform: None,
    };
    for _ in 0..3 {
        let mut alice = online(&server, &request("alice", "phone", Platform::Android)).await;
        let kick = call(&server, "im_open_login_svc/kick", r#"{"UserID":"alice"}"#).await;
        assert_eq!(code(&kick), 0, "{kick}");
        assert_eq!(next(&mut alice).await, admin_kick);
        let mut phone = online(&server, &request("bob", "phone", Platform::Android)).await;
        let mut other = online(&server, &request("bob", "other", Platform::Android)).await;
        expect_kick(&mut phone, KickReason::DeviceLimit, Platform::Android).await;
        other
            .send(&tim_protocol::ClientFrame::Logout { seq: 1 })
            .await
            .unwrap();
        assert!(matches!(
            next(&mut other).await,
            ServerFrame::LogoutResult { code: 0, .. }
        ));
    }
    // One session online at a time so far, and none now: two at once make the peak two.
    let info = call(&server, "openconfigsvr/getappinfo", "{}").await;
    assert_eq!(info["Result"][0]["MaxOnlineNum"], "1", "{info}");
    let _carol = online(&server, &request("carol", "phone", Platform::Android)).await;
    let _dave = online(&server, &request("dave", "phone", Platform::Android)).await;
    let info = call(&server, "openconfigsvr/getappinfo", "{}").await;
    assert_eq!(info["Result"][0]["MaxOnlineNum"], "2", "{info}");
    server.shutdown().await;
}

#[tokio::test]
async fn getappinfo_counts_each_user_once_a_day() {
    let server = start(config()).await;
    call(
        &server,
        "im_open_login_svc/multiaccount_import",
        r#"{"Accounts":["carol","dave"]}"#,
    )
    .await;
    let platforms = [Platform::Android, Platform::Web, Platform::Mac];
    let mut held = vec![];
    for i in 0..5 {
        let platform = platforms[i % 3];
        held.push(online(&server, &request("alice", &format!("i{i}"), platform)).await);
    }
    let _bob = online(&server, &request("bob", "b1", Platform::IPhone)).await;
    let _carol = online(&server, &request("carol", "c1", Platform::IPhone)).await;

    let info = call(&server, "openconfigsvr/getappinfo", "{}").await;
    assert_eq!(code(&info), 0, "{info}");
    let today = &info["Result"][0];
    assert_eq!(today["AppId"], APP.to_string());
    assert_eq!(today["ActiveUserNum"], "3", "{today}");
    assert_eq!(today["LoginUserNum"], "3");
    assert_eq!(today["LoginTimes"], "7");
    // carol and dave imported, alice and bob registered by their first login.
    assert_eq!(today["RegistUserNumOneDay"], "4");
    assert_eq!(today["RegistUserNumTotal"], "4");
    // Default policy: one per platform, so alice peaked at three sessions, plus bob and carol.
    assert_eq!(today["MaxOnlineNum"], "5");
    let date = today["Date"].as_str().unwrap();
    assert_eq!(date.len(), 8, "{date}");

    let some = call(
        &server,
        "openconfigsvr/getappinfo",
        r#"{"RequestField":["LoginTimes"]}"#,
    )
    .await;
    let row = some["Result"][0].as_object().unwrap();
    let mut fields: Vec<_> = row.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["AppId", "Date", "LoginTimes"]);

    let metrics = http(server.local_addr(), "GET /metrics HTTP/1.1", b"")
        .await
        .body;
    assert!(
        metrics.contains(&format!("tim_daily_active_users{{sdkappid=\"{APP}\"}} 3\n")),
        "{metrics}"
    );
    assert!(
        metrics
            .contains("tim_rest_calls_total{command=\"openconfigsvr/getappinfo\",code=\"0\"} 2\n")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_user_id_that_cannot_log_in_cannot_be_imported() {
    let server = start(config()).await;
    // What the login refuses: a space (HTTP trims them from headers), a tab, non-ASCII.
    let refused = ["ali ce", "tab\tbed", "bjørn"];
    assert_eq!(
        login_code(&server, &request("ali ce", "i1", Platform::Android)).await,
        70402
    );
    for user in refused {
        let body = json!({ "UserID": user }).to_string();
        let answer = call(&server, "im_open_login_svc/account_import", &body).await;
        assert_eq!(code(&answer), 70402, "{user:?}: {answer}");
        let info = answer["ErrorInfo"].as_str().unwrap();
        assert!(info.contains("UserID"), "the parameter is named: {info}");
        let kick = call(&server, "im_open_login_svc/kick", &body).await;
        assert_eq!(code(&kick), 70402, "{user:?}: {kick}");
    }
    let multi = call(
        &server,
        "im_open_login_svc/multiaccount_import",
        &json!({ "Accounts": ["fine", refused[0], refused[1], refused[2]] }).to_string(),
    )
    .await;
    assert_eq!(code(&multi), 0, "{multi}");
    assert_eq!(multi["FailAccounts"], json!(refused));
    for user in refused {
        let account = tim_server::AccountKey {
            sdk_app_id: APP,
            user_id: user.to_owned(),
        };
        assert!(
            !server.registry().is_registered(&account).await.unwrap(),
            "{user:?} is not registered"
        );
    }
    let check = call(
        &server,
        "im_open_login_svc/account_check",
        &json!({ "CheckItem": [{ "UserID": "fine" }, { "UserID": refused[0] }] }).to_string(),
    )
    .await;
    assert_eq!(
        ids(&check, "ResultItem", "AccountStatus"),
        ["Imported", "NotImported"]
    );
    server.shutdown().await;
}
