//! The faults of a run, decided by its seed alone: the same seed gives the same schedule, so a
//! failure found once can be run again. What the cluster does under the schedule still depends on
//! timing; the schedule does not.
//!
//! Faults start one to three seconds apart and may overlap (production brings them together), but
//! never two on one target (a node, the Redis, a node's link to Redis) at once (and a node is
//! restarted only while Redis and its link answer, or it refuses to start), at most one node is
//! down (killed, stopped or shutting down) at a time so that the clients always have somewhere to
//! go, and every fault has ended by the end of the run. Between faults come REST kicks and account
//! imports.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Duration;

/// One thing the run does to the world at a given moment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Action {
    /// SIGKILL a node.
    KillNode { node: usize },
    /// SIGTERM a node: its graceful shutdown.
    TermNode { node: usize },
    /// Start a killed or shut down node again, under its `--node-id` or a new one.
    RestartNode { node: usize, new_id: bool },
    /// SIGSTOP a node (past its lease).
    StopNode { node: usize },
    /// SIGCONT a stopped node.
    ContNode { node: usize },
    /// SIGSTOP Redis: every node's calls go unanswered.
    StallRedis,
    /// SIGCONT Redis.
    ResumeRedis,
    /// SIGKILL Redis.
    KillRedis,
    /// Start Redis again on its append-only file.
    RestartRedis,
    /// Blackhole one node's link to Redis (bytes held, delivered on heal).
    PartitionLink { node: usize },
    /// End a partition.
    HealLink { node: usize },
    /// Reset one node's connections to Redis and refuse new ones.
    CutLink { node: usize },
    /// Accept a cut link's connections again.
    ReopenLink { node: usize },
    /// Delay one node's link to Redis by `ms` each way (0 ends the delay).
    DelayLink { node: usize, ms: u64 },
    /// REST `kick` of a user (by index).
    Kick { user: usize },
    /// REST `account_import` of a new account (by number).
    Import { account: usize },
}

impl Action {
    /// Whether the action starts a fault (`Some(true)`), ends one (`Some(false)`), or is a REST
    /// call (`None`): the checks allow the cluster a lease to settle after faults, not after
    /// acknowledged REST calls.
    pub fn opens_fault(&self) -> Option<bool> {
        match self {
            Action::KillNode { .. }
            | Action::TermNode { .. }
            | Action::StopNode { .. }
            | Action::StallRedis
            | Action::KillRedis
            | Action::PartitionLink { .. }
            | Action::CutLink { .. } => Some(true),
            Action::DelayLink { ms, .. } => Some(*ms > 0),
            Action::RestartNode { .. }
            | Action::ContNode { .. }
            | Action::ResumeRedis
            | Action::RestartRedis
            | Action::HealLink { .. }
            | Action::ReopenLink { .. } => Some(false),
            Action::Kick { .. } | Action::Import { .. } => None,
        }
    }

    /// The node the action is about, if one.
    #[cfg(test)]
    fn node(&self) -> Option<usize> {
        match self {
            Action::KillNode { node }
            | Action::TermNode { node }
            | Action::RestartNode { node, .. }
            | Action::StopNode { node }
            | Action::ContNode { node }
            | Action::PartitionLink { node }
            | Action::HealLink { node }
            | Action::CutLink { node }
            | Action::ReopenLink { node }
            | Action::DelayLink { node, .. } => Some(*node),
            _ => None,
        }
    }
}

/// An action and when, from the start of the churn.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    /// From the start of the churn.
    pub at: Duration,
    /// What happens.
    pub action: Action,
}

/// What the schedule is made for.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// How long faults may run; every one has ended by then.
    pub duration: Duration,
    /// Nodes in the cluster.
    pub nodes: usize,
    /// The nodes' lease: a stop or a partition lasts longer than it.
    pub lease: Duration,
    /// Users that kicks pick from.
    pub users: usize,
}

/// The clients log in for this long before the first fault.
const QUIET_START: Duration = Duration::from_secs(2);

/// What a fault does to which target, before it gets a length.
enum Kind {
    Kill,
    Term,
    Stop,
    StallRedis,
    KillRedis,
    Partition,
    Cut,
    Delay,
}

/// The faults, and how often each is drawn (out of the sum).
const KINDS: [(u32, fn() -> Kind); 8] = [
    (3, || Kind::Kill),
    (2, || Kind::Term),
    (3, || Kind::Stop),
    (1, || Kind::StallRedis),
    (1, || Kind::KillRedis),
    (2, || Kind::Partition),
    (1, || Kind::Cut),
    (1, || Kind::Delay),
];

/// The steps of a run, in time order, from `seed`.
pub fn generate(seed: u64, shape: &Shape) -> Vec<Step> {
    let mut rng = StdRng::seed_from_u64(seed);
    let lease = shape.lease;
    let mut steps = vec![];
    // When each target is free again: nodes, then their links, then Redis.
    let mut node_free = vec![Duration::ZERO; shape.nodes];
    let mut link_free = vec![Duration::ZERO; shape.nodes];
    let mut redis_free = Duration::ZERO;
    // When the node that is down (at most one) is up again.
    let mut down_until = Duration::ZERO;
    let mut accounts = 0;
    let mut at = QUIET_START;
    let total: u32 = KINDS.iter().map(|(w, _)| w).sum();
    while at + lease * 3 < shape.duration {
        let mut pick = rng.random_range(0..total);
        let kind = KINDS
            .iter()
            .find(|(w, _)| {
                let hit = pick < *w;
                pick = pick.saturating_sub(*w);
                hit
            })
            .map(|(_, k)| k())
            .unwrap_or(Kind::Kill);
        let node = rng.random_range(0..shape.nodes);
        let latest_end = shape.duration.saturating_sub(lease);
        let mut fault = |begin: Action, length: Duration, end: Action| {
            let end_at = (at + length).min(latest_end);
            steps.push(Step { at, action: begin });
            steps.push(Step {
                at: end_at,
                action: end,
            });
            end_at
        };
        match kind {
            // A node restarts only while Redis and its link answer: it refuses to start otherwise.
            Kind::Kill | Kind::Term
                if node_free[node] <= at
                    && down_until <= at
                    && link_free[node] <= at
                    && redis_free <= at =>
            {
                let (begin, end) = match kind {
                    Kind::Kill => (
                        Action::KillNode { node },
                        Action::RestartNode {
                            node,
                            new_id: rng.random_bool(0.5),
                        },
                    ),
                    _ => (
                        Action::TermNode { node },
                        Action::RestartNode {
                            node,
                            new_id: rng.random_bool(0.5),
                        },
                    ),
                };
                let length = rng.random_range(Duration::from_millis(500)..lease * 2);
                let end = fault(begin, length, end);
                node_free[node] = end + lease;
                link_free[node] = end + lease;
                redis_free = end + lease;
                down_until = end + lease;
            }
            Kind::Stop if node_free[node] <= at && down_until <= at => {
                let length = rng.random_range(lease + Duration::from_millis(500)..lease * 2);
                let (begin, end) = (Action::StopNode { node }, Action::ContNode { node });
                let end = fault(begin, length, end);
                node_free[node] = end + lease;
                down_until = end + lease;
            }
            Kind::StallRedis | Kind::KillRedis if redis_free <= at => {
                let (begin, end) = match kind {
                    Kind::StallRedis => (Action::StallRedis, Action::ResumeRedis),
                    _ => (Action::KillRedis, Action::RestartRedis),
                };
                let length = rng.random_range(Duration::from_millis(300)..lease);
                redis_free = fault(begin, length, end) + lease;
            }
            Kind::Partition | Kind::Cut | Kind::Delay if link_free[node] <= at => {
                let (begin, length, end) = match kind {
                    Kind::Partition => (
                        Action::PartitionLink { node },
                        rng.random_range(Duration::from_millis(500)..lease * 2),
                        Action::HealLink { node },
                    ),
                    Kind::Cut => (
                        Action::CutLink { node },
                        rng.random_range(Duration::from_millis(500)..lease * 2),
                        Action::ReopenLink { node },
                    ),
                    _ => (
                        Action::DelayLink {
                            node,
                            ms: rng.random_range(20..400),
                        },
                        rng.random_range(lease..lease * 3),
                        Action::DelayLink { node, ms: 0 },
                    ),
                };
                link_free[node] = fault(begin, length, end) + lease;
            }
            _ => {}
        }
        if rng.random_bool(0.4) {
            steps.push(Step {
                at: at + Duration::from_millis(rng.random_range(0..1000)),
                action: Action::Kick {
                    user: rng.random_range(0..shape.users),
                },
            });
        }
        if rng.random_bool(0.3) {
            steps.push(Step {
                at: at + Duration::from_millis(rng.random_range(0..1000)),
                action: Action::Import { account: accounts },
            });
            accounts += 1;
        }
        at += Duration::from_millis(rng.random_range(1000..3000));
    }
    // Stable: a fault's end never sorts before its beginning.
    steps.sort_by_key(|s| s.at);
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> Shape {
        Shape {
            duration: Duration::from_secs(120),
            nodes: 3,
            lease: Duration::from_secs(3),
            users: 75,
        }
    }

    #[test]
    fn a_seed_gives_the_same_schedule_and_another_seed_another() {
        let a = generate(7, &shape());
        assert_eq!(a, generate(7, &shape()));
        assert_ne!(a, generate(8, &shape()));
        assert!(a.len() > 40, "{} steps in 120 s", a.len());
    }

    #[test]
    fn faults_end_in_time_never_share_a_target_and_leave_a_node_up() {
        for seed in 0..50 {
            let shape = shape();
            let steps = generate(seed, &shape);
            assert!(steps.windows(2).all(|w| w[0].at <= w[1].at));
            // Open faults by target ("node 1", "link 1", "redis"), and nodes down.
            let mut open: Vec<String> = vec![];
            let mut down = 0;
            for step in &steps {
                let target = match (&step.action, step.action.node()) {
                    (
                        Action::PartitionLink { .. }
                        | Action::HealLink { .. }
                        | Action::CutLink { .. }
                        | Action::ReopenLink { .. }
                        | Action::DelayLink { .. },
                        Some(n),
                    ) => format!("link {n}"),
                    (_, Some(n)) => format!("node {n}"),
                    (Action::Kick { .. } | Action::Import { .. }, None) => continue,
                    (_, None) => "redis".to_owned(),
                };
                let node_down = target.starts_with("node");
                if let Action::RestartNode { node, .. } = step.action {
                    let blocked = ["redis".to_owned(), format!("link {node}")];
                    assert!(
                        open.iter().all(|t| !blocked.contains(t)),
                        "seed {seed}: node {node} restarts during {open:?}"
                    );
                }
                match step.action.opens_fault() {
                    Some(true) => {
                        assert!(!open.contains(&target), "seed {seed}: {target} twice");
                        open.push(target);
                        if node_down {
                            down += 1;
                            assert!(down < shape.nodes, "seed {seed}: every node down");
                        }
                    }
                    Some(false) => {
                        assert!(
                            open.contains(&target),
                            "seed {seed}: {target} ends unopened"
                        );
                        open.retain(|t| *t != target);
                        if node_down {
                            down -= 1;
                        }
                    }
                    None => {}
                }
                assert!(step.at <= shape.duration);
            }
            assert!(open.is_empty(), "seed {seed}: {open:?} never end");
        }
    }

    #[test]
    fn stops_and_partitions_outlast_the_lease() {
        let steps = generate(3, &shape());
        let lease = shape().lease;
        let mut stopped = 0;
        for (i, step) in steps.iter().enumerate() {
            if let Action::StopNode { node } = step.action {
                let cont = steps[i..]
                    .iter()
                    .find(|s| s.action == Action::ContNode { node })
                    .unwrap();
                assert!(cont.at - step.at > lease);
                stopped += 1;
            }
        }
        assert!(stopped > 0);
    }
}
