//! A renewed ticket for an online session (the `ticket` frame of protocol version 2): checked as
//! a login's, and the session then expires with it; a refused one leaves the session as it was.

mod support;

use support::*;
use tim_protocol::{ClientFrame, PROTOCOL_NEWEST, ServerFrame};
use tim_testkit::client::{Connection, login_request};

const OTHER_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

async fn renew(connection: &mut Connection, seq: u64, user_sig: &str) -> (u32, String) {
    let frame = ClientFrame::Ticket {
        seq,
        user_sig: user_sig.to_owned(),
    };
    connection.send(&frame).await.unwrap();
    match next(connection).await {
        ServerFrame::TicketResult { seq: s, code, desc } if s == seq => (code, desc),
        other => panic!("expected the ticket's answer, got {other:?}"),
    }
}

#[tokio::test]
async fn the_login_result_names_the_newest_version() {
    let server = start(config()).await;
    let outcome = login(
        &server,
        &request("alice", "i1", tim_protocol::Platform::Android),
    )
    .await;
    assert_eq!(outcome.result.protocol, PROTOCOL_NEWEST);
    server.shutdown().await;
}

#[tokio::test]
async fn a_renewed_ticket_moves_the_sessions_expiry() {
    let server = start(config()).await;
    let mut alice = online(
        &server,
        &login_request(APP, "alice", &ticket("alice"), "i1"),
    )
    .await;
    // Renewed with a ticket of one second: the push comes when that one runs out, not the day
    // the login's ticket had.
    let short = ticket_for(APP, KEY, "alice", now(), 1);
    assert_eq!(renew(&mut alice, 1, &short).await, (0, "ok".to_owned()));
    assert_eq!(next(&mut alice).await, ServerFrame::UserSigExpired);
    assert_eq!(alice.closed().await, 1008);
    server.shutdown().await;
}

#[tokio::test]
async fn a_refused_ticket_is_answered_with_its_code_and_the_session_keeps_its_own() {
    let server = start(config()).await;
    let first = ticket_for(APP, KEY, "alice", now(), 2);
    let mut alice = online(&server, &login_request(APP, "alice", &first, "i1")).await;
    let refused = [
        (ticket_for(APP, OTHER_KEY, "alice", now(), 86_400), 70009),
        (ticket_for(APP, KEY, "bob", now(), 86_400), 70013),
        (ticket_for(APP + 1, KEY, "alice", now(), 86_400), 70014),
        (ticket_for(APP, KEY, "alice", now() - 100, 10), 70001),
        // Signed before the session's own ticket: it may be one a kick invalidated.
        (ticket_for(APP, KEY, "alice", now() - 100, 86_400), 70052),
        ("not a ticket".to_owned(), 70003),
        (String::new(), 70002),
    ];
    for (seq, (user_sig, code)) in (1..).zip(refused) {
        assert_eq!(
            renew(&mut alice, seq, &user_sig).await.0,
            code,
            "renewal {seq}"
        );
    }
    // Still online, on the login's ticket: it expires when that one does.
    ping_pong(&mut alice, 50).await;
    assert_eq!(next(&mut alice).await, ServerFrame::UserSigExpired);
    server.shutdown().await;
}
