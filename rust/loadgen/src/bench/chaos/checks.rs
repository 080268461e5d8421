//! The checks, as pure functions of a history: what the clients, the faults and the acknowledged
//! REST calls say the cluster must have done. Each returns the failures it found, naming the
//! users and clients involved and when, so that the report can print the part of the history
//! that shows it.

use super::history::{Call, Ending, History, Online, What};
use std::collections::{BTreeMap, BTreeSet};
use tim_protocol::Platform;

/// One way the cluster broke its promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Which check.
    pub check: &'static str,
    /// When it was seen (ms from the start).
    pub at: u64,
    /// The users involved.
    pub users: BTreeSet<String>,
    /// The clients involved.
    pub clients: BTreeSet<usize>,
    /// What was wrong.
    pub what: String,
}

/// The policy the checks hold the cluster to: how many sessions of one user may be online on a
/// platform (the nodes run `--policy all-platforms --instances 1 --web-instances 1`: one per
/// platform).
pub fn limit(_platform: Platform) -> usize {
    1
}

/// The intervals (ms) in which a fault was under way, each extended by `grace` after its end:
/// the cluster is allowed that long to settle.
pub fn fault_windows(history: &History, grace: u64) -> Vec<(u64, u64)> {
    let mut windows: Vec<(u64, u64)> = vec![];
    let mut open = 0_usize;
    let mut from = 0;
    for entry in &history.entries {
        let What::Fault { action, started } = &entry.what else {
            continue;
        };
        match action.opens_fault() {
            Some(true) => {
                if open == 0 {
                    from = *started;
                }
                open += 1;
            }
            Some(false) => {
                open = open.saturating_sub(1);
                if open == 0 {
                    windows.push((from, entry.at + grace));
                }
            }
            None => {}
        }
    }
    if open > 0 {
        windows.push((from, u64::MAX));
    }
    windows
}

fn in_windows(windows: &[(u64, u64)], at: u64) -> bool {
    windows.iter().any(|(from, to)| (*from..=*to).contains(&at))
}

/// The clients over the limit in one sample that have believed they are online since `before`
/// or earlier: `(user, platform)` → the clients.
fn overages(online: &[Online], before: u64) -> BTreeMap<(String, Platform), BTreeSet<usize>> {
    let mut by: BTreeMap<(String, Platform), BTreeSet<usize>> = BTreeMap::new();
    for o in online.iter().filter(|o| o.since <= before) {
        by.entry((o.user.clone(), o.platform))
            .or_default()
            .insert(o.client);
    }
    by.retain(|(_, platform), clients| clients.len() > limit(*platform));
    by
}

/// The device limits: outside the fault windows, no user has more clients believing they are
/// online on one platform than the policy allows, in two samples running, each of those clients
/// online without a break from before the first (a kick's push may be in flight at one sample,
/// and a client kicked and back between two samples is a new login, not a lasting overage).
pub fn device_limits(history: &History, grace: u64) -> Vec<Failure> {
    let windows = fault_windows(history, grace);
    let mut failures = vec![];
    let mut reported = BTreeSet::new();
    let calm = history.samples.windows(2).filter(|pair| {
        let (from, to) = (pair[0].at, pair[1].at);
        windows
            .iter()
            .all(|(start, end)| *end < from || *start > to)
    });
    for pair in calm {
        let first = pair[0].at;
        let (before, now) = (
            overages(&pair[0].online, first),
            overages(&pair[1].online, first),
        );
        for (key @ (user, platform), clients) in &now {
            if before.get(key) != Some(clients) || !reported.insert(key.clone()) {
                continue;
            }
            // Since when, in every sample before (in a fault window or not).
            let since = history
                .samples
                .iter()
                .rev()
                .skip_while(|s| s.at > pair[0].at)
                .take_while(|s| overages(&s.online, s.at).get(key) == Some(clients))
                .last()
                .map_or(pair[0].at, |s| s.at);
            failures.push(Failure {
                check: "device limits",
                at: since,
                users: [user.clone()].into(),
                clients: clients.clone(),
                what: format!(
                    "{user} has {} clients online on {platform} (limit {}) from {:.3} s to {:.3} s: clients {clients:?}",
                    clients.len(),
                    limit(*platform),
                    since as f64 / 1000.0,
                    pair[1].at as f64 / 1000.0,
                ),
            });
        }
    }
    failures
}

/// The store equals the clients, after quiescence: every client that believes it is online is
/// online in Redis on a live node (as its user and instance), and Redis holds no other session.
pub fn store_equals_clients(
    at: u64,
    believed: &[Online],
    store: &BTreeSet<(String, String)>,
) -> Vec<Failure> {
    let mut failures = vec![];
    let clients: BTreeSet<(String, String)> = believed
        .iter()
        .map(|o| (o.user.clone(), o.instance.clone()))
        .collect();
    for o in believed {
        if !store.contains(&(o.user.clone(), o.instance.clone())) {
            failures.push(Failure {
                check: "store equals clients",
                at,
                users: [o.user.clone()].into(),
                clients: [o.client].into(),
                what: format!(
                    "client {} ({}) believes it is online as {}, but no live node holds it in Redis",
                    o.client, o.instance, o.user
                ),
            });
        }
    }
    for (user, instance) in store.difference(&clients) {
        failures.push(Failure {
            check: "store equals clients",
            at,
            users: [user.clone()].into(),
            clients: BTreeSet::new(),
            what: format!("Redis holds {user} on {instance}, which no client believes online"),
        });
    }
    failures
}

/// The acknowledged kicks: `(user, ms the call started, ms it was acknowledged)`.
fn kicks(history: &History) -> Vec<(&str, u64, u64)> {
    history
        .entries
        .iter()
        .filter_map(|e| match &e.what {
            What::Rest {
                action: super::schedule::Action::Kick { .. },
                user,
                started,
                ok: true,
            } => Some((user.as_str(), *started, e.at)),
            _ => None,
        })
        .collect()
}

/// Kicks hold: no ticket signed before an acknowledged kick (before the second the kick started
/// in) logs in once the kick was acknowledged, by a login call that started afterwards, or by
/// being online at a sample `grace` after it (outside the fault windows: a frozen node delivers
/// the kick when it resumes).
pub fn kicks_hold(history: &History, grace: u64) -> Vec<Failure> {
    let windows = fault_windows(history, grace);
    let mut failures = vec![];
    for (user, started, acked) in kicks(history) {
        let kick_second = history.unix_secs(started);
        for entry in &history.entries {
            if let What::Call {
                client,
                user: u,
                call: Call::Login { ticket_time },
                started: login_started,
                outcome: Ok(()),
            } = &entry.what
                && u == user
                && *ticket_time < kick_second
                && *login_started > acked
            {
                failures.push(Failure {
                    check: "kicks hold",
                    at: entry.at,
                    users: [user.to_owned()].into(),
                    clients: [*client].into(),
                    what: format!(
                        "client {client} logged in as {user} with a ticket signed at {ticket_time}, before the kick acknowledged at {:.3} s (kick second {kick_second})",
                        acked as f64 / 1000.0
                    ),
                });
            }
        }
        let late = history
            .samples
            .iter()
            .filter(|s| s.at > acked + grace && !in_windows(&windows, s.at));
        if let Some((sample, o)) = late
            .flat_map(|s| s.online.iter().map(move |o| (s, o)))
            .find(|(_, o)| o.user == user && o.ticket_time < kick_second)
        {
            failures.push(Failure {
                check: "kicks hold",
                at: sample.at,
                users: [user.to_owned()].into(),
                clients: [o.client].into(),
                what: format!(
                    "client {} is online as {user} with a ticket signed at {}, {:.3} s after the kick was acknowledged (kick second {kick_second})",
                    o.client,
                    o.ticket_time,
                    (sample.at - acked) as f64 / 1000.0
                ),
            });
        }
    }
    failures
}

/// Nothing acknowledged is lost: every account an acknowledged import made exists after
/// quiescence, and every acknowledged kick still refuses a ticket signed before it.
pub fn nothing_lost(history: &History) -> Vec<Failure> {
    let mut failures = vec![];
    let imported: BTreeSet<&str> = history
        .entries
        .iter()
        .filter_map(|e| match &e.what {
            What::Rest {
                action: super::schedule::Action::Import { .. },
                user,
                ok: true,
                ..
            } => Some(user.as_str()),
            _ => None,
        })
        .collect();
    let mut checked = BTreeSet::new();
    for entry in &history.entries {
        match &entry.what {
            What::AccountChecked { user, imported } => {
                checked.insert(user.as_str());
                if !imported {
                    failures.push(lost(entry.at, user, "its acknowledged import".to_owned()));
                }
            }
            What::KickProbe {
                user,
                ticket_time,
                code,
            } if *code != 70052 => failures.push(lost(
                entry.at,
                user,
                format!(
                    "its acknowledged kick: a ticket signed at {ticket_time}, before the kick, got {code}, not 70052"
                ),
            )),
            _ => {}
        }
    }
    for user in imported.difference(&checked) {
        failures.push(lost(u64::MAX, user, "unchecked import".to_owned()));
    }
    failures
}

fn lost(at: u64, user: &str, what: String) -> Failure {
    Failure {
        check: "nothing lost",
        at,
        users: [user.to_owned()].into(),
        clients: BTreeSet::new(),
        what: format!("{user}: {what} is lost"),
    }
}

/// Every client ends logged in (holding a connection), or logged out and told why: its last call
/// was a logout, or a login that failed, or it heard `onKickedOffline` or `onUserSigExpired`
/// after its last successful login.
pub fn told_why(history: &History, at: u64, endings: &[Ending]) -> Vec<Failure> {
    let mut failures = vec![];
    for ending in endings {
        let client = ending.client;
        let fail = |what: String, user: Option<&String>| Failure {
            check: "told why",
            at,
            users: user.into_iter().cloned().collect(),
            clients: [client].into(),
            what,
        };
        if ending.unsettled {
            failures.push(fail(format!("client {client} is still logging in"), None));
            continue;
        }
        if let Some(user) = &ending.user {
            if !ending.connected {
                failures.push(fail(
                    format!("client {client} is logged in as {user} without a connection"),
                    Some(user),
                ));
            }
            continue;
        }
        let mine = |e: &&super::history::Entry| match &e.what {
            What::Call { client: c, .. } | What::Event { client: c, .. } => *c == client,
            _ => false,
        };
        let last_call = history
            .entries
            .iter()
            .filter(mine)
            .rev()
            .find_map(|e| match &e.what {
                What::Call {
                    call,
                    outcome,
                    user,
                    ..
                } => Some((e.at, call, outcome.is_ok(), user)),
                _ => None,
            });
        let Some((call_at, call, ok, user)) = last_call else {
            continue;
        };
        let told = matches!(call, Call::Logout) || !ok || {
            history.entries.iter().filter(mine).any(|e| {
                e.at >= call_at
                    && matches!(
                        &e.what,
                        What::Event {
                            event: "onKickedOffline" | "onUserSigExpired",
                            ..
                        }
                    )
            })
        };
        if !told {
            failures.push(fail(
                format!(
                    "client {client} was logged in as {user} and is logged out, without onKickedOffline or onUserSigExpired"
                ),
                Some(user),
            ));
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::super::history::{Entry, Sample};
    use super::super::schedule::Action;
    use super::*;

    fn online(client: usize, user: &str, platform: Platform, ticket_time: u64) -> Online {
        Online {
            client,
            instance: format!("chaos-{client}"),
            user: user.to_owned(),
            platform,
            ticket_time,
            since: 0,
        }
    }

    fn sample(at: u64, online: Vec<Online>) -> Sample {
        Sample { at, online }
    }

    fn entry(at: u64, what: What) -> Entry {
        Entry { at, what }
    }

    fn fault(at: u64, action: Action) -> Entry {
        entry(
            at,
            What::Fault {
                action,
                started: at,
            },
        )
    }

    fn two_androids() -> Vec<Online> {
        vec![
            online(0, "u0", Platform::Android, 1),
            online(1, "u0", Platform::Android, 1),
            online(2, "u0", Platform::IPhone, 1),
        ]
    }

    #[test]
    fn two_phones_of_one_user_online_in_two_calm_samples_break_the_limit() {
        let history = History {
            samples: vec![
                sample(1000, two_androids()),
                sample(1500, two_androids()),
                sample(2000, two_androids()),
            ],
            ..History::default()
        };
        let failures = device_limits(&history, 3000);
        assert_eq!(failures.len(), 1, "reported once: {failures:?}");
        assert_eq!(failures[0].clients, [0, 1].into());
        // Seen at 1.5 s, there since 1 s.
        assert_eq!(failures[0].at, 1000);
    }

    #[test]
    fn a_phone_kicked_and_back_between_two_samples_is_no_lasting_overage() {
        // Phone 1 logs in and kicks phone 0, whose push is in flight at 1 s; phone 0 logs in
        // again and kicks phone 1, whose push is in flight at 1.5 s.
        let mut first = two_androids();
        first[1].since = 900;
        let mut second = two_androids();
        second[0].since = 1400;
        second[1].since = 900;
        let history = History {
            samples: vec![sample(1000, first), sample(1500, second)],
            ..History::default()
        };
        assert_eq!(device_limits(&history, 3000), vec![]);
    }

    #[test]
    fn one_phone_per_platform_or_an_overage_in_one_sample_or_within_a_fault_passes() {
        let fine = vec![
            online(0, "u0", Platform::Android, 1),
            online(2, "u0", Platform::IPhone, 1),
            online(3, "u0", Platform::Web, 1),
            online(1, "u1", Platform::Android, 1),
        ];
        let history = History {
            entries: vec![
                fault(3000, Action::StopNode { node: 0 }),
                fault(5000, Action::ContNode { node: 0 }),
            ],
            samples: vec![
                sample(1000, fine.clone()),
                sample(1500, two_androids()),
                sample(2000, fine.clone()),
                // Within the stop, and within the grace after it.
                sample(4000, two_androids()),
                sample(6000, two_androids()),
                sample(7900, two_androids()),
                sample(8500, fine),
            ],
            ..History::default()
        };
        assert_eq!(device_limits(&history, 3000), vec![]);
        // Two samples on either side of a fault window are not two samples running.
        let across = History {
            entries: history.entries.clone(),
            samples: vec![sample(2900, two_androids()), sample(9000, two_androids())],
            ..History::default()
        };
        assert_eq!(device_limits(&across, 3000), vec![]);
        // With a shorter grace, the overage after the fault counts.
        assert_eq!(device_limits(&history, 500).len(), 1);
    }

    #[test]
    fn the_store_must_hold_exactly_the_clients_that_believe_they_are_online() {
        let believed = vec![online(0, "u0", Platform::Android, 1)];
        let held: BTreeSet<_> = [("u0".to_owned(), "chaos-0".to_owned())].into();
        assert_eq!(store_equals_clients(9, &believed, &held), vec![]);
        let ghost: BTreeSet<_> = [
            ("u0".to_owned(), "chaos-0".to_owned()),
            ("u1".to_owned(), "chaos-4".to_owned()),
        ]
        .into();
        let failures = store_equals_clients(9, &believed, &ghost);
        assert_eq!(failures.len(), 1);
        assert!(failures[0].what.contains("no client"), "{failures:?}");
        let failures = store_equals_clients(9, &believed, &BTreeSet::new());
        assert_eq!(failures[0].clients, [0].into());
    }

    fn kicked_at_10s(then: Vec<Entry>, samples: Vec<Sample>) -> History {
        let mut entries = vec![entry(
            10_200,
            What::Rest {
                action: Action::Kick { user: 0 },
                user: "u0".to_owned(),
                started: 10_100,
                ok: true,
            },
        )];
        entries.extend(then);
        History {
            // The kick started in Unix second 1010.
            start_unix_ms: 1_000_000,
            entries,
            samples,
        }
    }

    fn login(at: u64, client: usize, ticket_time: u64, outcome: Result<(), String>) -> Entry {
        entry(
            at,
            What::Call {
                client,
                user: "u0".to_owned(),
                call: Call::Login { ticket_time },
                started: at - 50,
                outcome,
            },
        )
    }

    #[test]
    fn a_ticket_signed_before_an_acknowledged_kick_must_not_log_in_after_it() {
        let refused = kicked_at_10s(
            vec![
                login(12_000, 1, 1005, Err("70052".to_owned())),
                login(12_500, 1, 1012, Ok(())),
            ],
            vec![sample(
                20_000,
                vec![online(1, "u0", Platform::Android, 1012)],
            )],
        );
        assert_eq!(kicks_hold(&refused, 2000), vec![]);
        let admitted = kicked_at_10s(vec![login(12_000, 1, 1005, Ok(()))], vec![]);
        assert_eq!(kicks_hold(&admitted, 2000)[0].clients, [1].into());
        let still_online = kicked_at_10s(
            vec![],
            vec![
                // In its kick's grace: its push may be on its way.
                sample(11_000, vec![online(2, "u0", Platform::Web, 1009)]),
                sample(13_000, vec![online(2, "u0", Platform::Web, 1009)]),
            ],
        );
        let failures = kicks_hold(&still_online, 2000);
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].at, 13_000);
    }

    #[test]
    fn a_lost_import_or_a_kick_that_no_longer_refuses_fails() {
        let import = |ok| {
            entry(
                1,
                What::Rest {
                    action: Action::Import { account: 0 },
                    user: "imp-0".to_owned(),
                    started: 0,
                    ok,
                },
            )
        };
        let checked = |imported| {
            entry(
                9,
                What::AccountChecked {
                    user: "imp-0".to_owned(),
                    imported,
                },
            )
        };
        let probe = |code| {
            entry(
                9,
                What::KickProbe {
                    user: "u0".to_owned(),
                    ticket_time: 5,
                    code,
                },
            )
        };
        let history = |entries| History {
            entries,
            ..History::default()
        };
        assert_eq!(
            nothing_lost(&history(vec![import(true), checked(true), probe(70052)])),
            vec![]
        );
        assert_eq!(
            nothing_lost(&history(vec![import(true), checked(false)])).len(),
            1
        );
        assert_eq!(nothing_lost(&history(vec![import(true)])).len(), 1);
        assert_eq!(nothing_lost(&history(vec![import(false)])), vec![]);
        assert_eq!(nothing_lost(&history(vec![probe(0)])).len(), 1);
    }

    #[test]
    fn a_client_logged_out_without_being_told_fails() {
        let event = |at, event| {
            entry(
                at,
                What::Event {
                    client: 0,
                    user: Some("u0".to_owned()),
                    event,
                },
            )
        };
        let out = [Ending {
            client: 0,
            user: None,
            connected: false,
            unsettled: false,
        }];
        let silent = History {
            entries: vec![login(100, 0, 1, Ok(())), event(120, "onConnectSuccess")],
            ..History::default()
        };
        assert_eq!(told_why(&silent, 9, &out).len(), 1);
        let kicked = History {
            entries: vec![login(100, 0, 1, Ok(())), event(900, "onKickedOffline")],
            ..History::default()
        };
        assert_eq!(told_why(&kicked, 9, &out), vec![]);
        let failed = History {
            entries: vec![login(100, 0, 1, Err("70169".to_owned()))],
            ..History::default()
        };
        assert_eq!(told_why(&failed, 9, &out), vec![]);
        let dangling = [Ending {
            client: 0,
            user: Some("u0".to_owned()),
            connected: false,
            unsettled: false,
        }];
        assert_eq!(told_why(&silent, 9, &dangling).len(), 1);
    }
}
