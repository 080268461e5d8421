//! The demo's story, told with the raw protocol client against a running `tim-server`:
//! alice logs in, her second phone kicks the first, a forged ticket is refused, a short ticket
//! expires while online, and alice logs out. `scripts/demo.sh` starts the server and signs the
//! tickets with `tim-usersig`, then runs this with:
//!
//! `demo URL SDKAPPID TICKET_ALICE TICKET_FORGED TICKET_SHORT`

use std::time::{Duration, Instant};
use tim_loadgen::{Connection, login_request};
use tim_protocol::{ClientFrame, ServerFrame};

type Result<T> = std::result::Result<T, tim_loadgen::client::Error>;

struct Timeline(Instant);

impl Timeline {
    fn say(&self, who: &str, what: impl std::fmt::Display) {
        let ms = self.0.elapsed().as_millis();
        println!("{ms:>6} ms  {who:<14} {what}");
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, app, alice_ticket, forged_ticket, short_ticket] = args.as_slice() else {
        return Err("usage: demo URL SDKAPPID TICKET_ALICE TICKET_FORGED TICKET_SHORT".into());
    };
    let app: u64 = app.parse()?;
    let t = Timeline(Instant::now());
    let wait = Duration::from_secs(10);

    t.say("phone1", format!("login alice → {url}"));
    let phone1 =
        Connection::login(url, &login_request(app, "alice", alice_ticket, "phone1")).await?;
    t.say(
        "phone1",
        format!(
            "← login_result code={} session={}",
            phone1.result.code, phone1.result.session_id
        ),
    );
    let mut phone1 = phone1.connection;

    t.say("phone2", "login alice (a second Android device)");
    let phone2 =
        Connection::login(url, &login_request(app, "alice", alice_ticket, "phone2")).await?;
    t.say(
        "phone2",
        format!("← login_result code={}", phone2.result.code),
    );
    let mut phone2 = phone2.connection;
    t.say("phone1", format!("← {:?}", phone1.recv_within(wait).await?));
    t.say(
        "phone1",
        format!("closed with code {}", phone1.closed().await),
    );

    t.say(
        "mallory",
        "login alice with a ticket signed by a guessed key",
    );
    let forged =
        Connection::login(url, &login_request(app, "alice", forged_ticket, "evil")).await?;
    t.say(
        "mallory",
        format!(
            "← login_result code={} desc={:?}",
            forged.result.code, forged.result.desc
        ),
    );

    t.say("tablet", "login bob with a ticket valid for 1 second");
    let tablet = Connection::login(url, &login_request(app, "bob", short_ticket, "tablet")).await?;
    t.say(
        "tablet",
        format!("← login_result code={}", tablet.result.code),
    );
    let mut tablet = tablet.connection;
    t.say("tablet", format!("← {:?}", tablet.recv_within(wait).await?));
    t.say(
        "tablet",
        format!("closed with code {}", tablet.closed().await),
    );

    t.say("phone2", "heartbeat");
    phone2.send(&ClientFrame::Ping { seq: 1 }).await?;
    t.say("phone2", format!("← {:?}", phone2.recv_within(wait).await?));
    t.say("phone2", "logout");
    phone2.send(&ClientFrame::Logout { seq: 2 }).await?;
    let answer = phone2.recv_within(wait).await?;
    t.say("phone2", format!("← {answer:?}"));
    if !matches!(answer, ServerFrame::LogoutResult { code: 0, .. }) {
        return Err("logout failed".into());
    }
    t.say(
        "phone2",
        format!("closed with code {}", phone2.closed().await),
    );
    Ok(())
}
