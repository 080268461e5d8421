//! Multi-device policies: which sessions of an account a new login leaves online.
//!
//! This is a pure function over the account's online sessions so that every session registry
//! (in memory, or a shared store) applies exactly the same rules, and so the rules are tested
//! without sockets.

use serde::Deserialize;
use tim_protocol::{KickReason, Platform, PlatformClass};

/// Which platforms may be online together, as Tencent's console offers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum PlatformPolicy {
    /// One platform at a time: a login on another platform kicks every other session.
    OnePlatform,
    /// One installed-app platform (mobile or desktop) plus the Web.
    MobileOrDesktopPlusWeb,
    /// Every platform at once, each within its own instance limit.
    #[default]
    AllPlatforms,
}

/// Most instances of one native platform that an app may allow (Tencent's limit).
pub const MAX_NATIVE_INSTANCES: u8 = 3;
/// Most Web instances that an app may allow (Tencent's limit).
pub const MAX_WEB_INSTANCES: u8 = 10;

/// An app's multi-device policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevicePolicy {
    /// Which platforms may be online together.
    pub platforms: PlatformPolicy,
    /// Instances allowed on each native platform (1 to 3).
    pub native_instances: u8,
    /// Instances allowed on the Web (1 to 10).
    pub web_instances: u8,
}

impl Default for DevicePolicy {
    /// One instance per platform, every platform allowed: Tencent's default.
    fn default() -> Self {
        DevicePolicy {
            platforms: PlatformPolicy::default(),
            native_instances: 1,
            web_instances: 1,
        }
    }
}

impl DevicePolicy {
    /// Checks the instance limits against Tencent's ranges.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_NATIVE_INSTANCES).contains(&self.native_instances) {
            return Err(format!(
                "instances per platform must be 1 to {MAX_NATIVE_INSTANCES}, not {}",
                self.native_instances
            ));
        }
        if !(1..=MAX_WEB_INSTANCES).contains(&self.web_instances) {
            return Err(format!(
                "web instances must be 1 to {MAX_WEB_INSTANCES}, not {}",
                self.web_instances
            ));
        }
        Ok(())
    }

    fn limit(&self, platform: Platform) -> usize {
        usize::from(match platform.class() {
            PlatformClass::Web => self.web_instances,
            PlatformClass::Native => self.native_instances,
        })
    }

    fn conflicts(&self, online: Platform, new: Platform) -> bool {
        online != new
            && match self.platforms {
                PlatformPolicy::OnePlatform => true,
                PlatformPolicy::MobileOrDesktopPlusWeb => {
                    online.class() == PlatformClass::Native && new.class() == PlatformClass::Native
                }
                PlatformPolicy::AllPlatforms => false,
            }
    }
}

/// One online session, as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Unique across nodes.
    pub session_id: String,
    /// Where the instance runs.
    pub platform: Platform,
    /// Stable across the instance's reconnects.
    pub instance_id: String,
    /// The node the session is connected to (its token: node id and incarnation).
    pub node: String,
}

/// What a login did to the account's other sessions.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Admission {
    /// The account had never logged in before: this login registered it.
    pub first_login: bool,
    /// Sessions of the same instance (a reconnect): closed without a kick.
    pub replaced: Vec<SessionInfo>,
    /// Sessions that lost their place: each gets the kicked-offline push.
    pub kicked: Vec<(SessionInfo, KickReason)>,
}

/// Adds `new` to `online` (oldest first), removing what the policy no longer allows, and says what
/// was removed. The same instance logging in again replaces its own session and kicks no one; the
/// same session admitted again (a node re-registering what it holds) replaces nothing.
pub fn admit(online: &mut Vec<SessionInfo>, new: SessionInfo, policy: &DevicePolicy) -> Admission {
    let mut admission = Admission::default();
    online.retain(|s| {
        if s.session_id == new.session_id {
            false
        } else if s.instance_id == new.instance_id {
            admission.replaced.push(s.clone());
            false
        } else if policy.conflicts(s.platform, new.platform) {
            admission
                .kicked
                .push((s.clone(), KickReason::PlatformConflict));
            false
        } else {
            true
        }
    });
    let limit = policy.limit(new.platform);
    let same_platform = online.iter().filter(|s| s.platform == new.platform).count();
    let mut excess = (same_platform + 1).saturating_sub(limit);
    online.retain(|s| {
        if excess > 0 && s.platform == new.platform {
            excess -= 1;
            admission.kicked.push((s.clone(), KickReason::DeviceLimit));
            false
        } else {
            true
        }
    });
    online.push(new);
    admission
}

/// Like [`admit`], for a session the SDK is reconnecting by itself: it replaces its own older
/// connection but never displaces another session. `None` (and `online` unchanged) when the
/// policy has no room for it any more, because another device logged in while it was offline:
/// the device the user is holding must not be logged out by one coming back online.
pub fn admit_reconnect(
    online: &mut Vec<SessionInfo>,
    new: SessionInfo,
    policy: &DevicePolicy,
) -> Option<Admission> {
    let mut trial = online.clone();
    let admission = admit(&mut trial, new, policy);
    if !admission.kicked.is_empty() {
        return None;
    }
    *online = trial;
    Some(admission)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Platform::*;

    fn session(id: &str, platform: Platform) -> SessionInfo {
        SessionInfo {
            session_id: id.into(),
            platform,
            instance_id: format!("inst-{id}"),
            node: "n1".into(),
        }
    }

    fn policy(platforms: PlatformPolicy, native: u8, web: u8) -> DevicePolicy {
        DevicePolicy {
            platforms,
            native_instances: native,
            web_instances: web,
        }
    }

    fn ids(online: &[SessionInfo]) -> Vec<&str> {
        online.iter().map(|s| s.session_id.as_str()).collect()
    }

    fn kicked(admission: &Admission) -> Vec<(&str, KickReason)> {
        admission
            .kicked
            .iter()
            .map(|(s, reason)| (s.session_id.as_str(), *reason))
            .collect()
    }

    #[test]
    fn default_policy_allows_one_instance_per_platform() {
        let p = DevicePolicy::default();
        let mut online = vec![];
        assert!(
            admit(&mut online, session("a1", Android), &p)
                .kicked
                .is_empty()
        );
        assert!(admit(&mut online, session("w1", Web), &p).kicked.is_empty());
        assert!(admit(&mut online, session("m1", Mac), &p).kicked.is_empty());
        let second = admit(&mut online, session("a2", Android), &p);
        assert_eq!(kicked(&second), [("a1", KickReason::DeviceLimit)]);
        assert_eq!(ids(&online), ["w1", "m1", "a2"]);
    }

    #[test]
    fn the_oldest_instance_goes_when_over_the_limit() {
        let p = policy(PlatformPolicy::AllPlatforms, 3, 10);
        let mut online = vec![];
        for id in ["i1", "i2", "i3"] {
            assert!(
                admit(&mut online, session(id, IPhone), &p)
                    .kicked
                    .is_empty()
            );
        }
        let fourth = admit(&mut online, session("i4", IPhone), &p);
        assert_eq!(kicked(&fourth), [("i1", KickReason::DeviceLimit)]);
        assert_eq!(ids(&online), ["i2", "i3", "i4"]);
    }

    #[test]
    fn one_platform_policy_kicks_every_other_platform() {
        let p = policy(PlatformPolicy::OnePlatform, 2, 2);
        let mut online = vec![session("a1", Android), session("a2", Android)];
        let web = admit(&mut online, session("w1", Web), &p);
        assert_eq!(
            kicked(&web),
            [
                ("a1", KickReason::PlatformConflict),
                ("a2", KickReason::PlatformConflict)
            ]
        );
        assert_eq!(ids(&online), ["w1"]);
    }

    #[test]
    fn native_plus_web_keeps_web_and_one_native_platform() {
        let p = policy(PlatformPolicy::MobileOrDesktopPlusWeb, 1, 1);
        let mut online = vec![session("a1", Android), session("w1", Web)];
        let ipad = admit(&mut online, session("p1", IPad), &p);
        assert_eq!(kicked(&ipad), [("a1", KickReason::PlatformConflict)]);
        assert_eq!(ids(&online), ["w1", "p1"]);
        let web = admit(&mut online, session("w2", Web), &p);
        assert_eq!(kicked(&web), [("w1", KickReason::DeviceLimit)]);
        assert_eq!(ids(&online), ["p1", "w2"]);
    }

    #[test]
    fn a_reconnect_replaces_its_own_session_and_kicks_no_one() {
        let p = DevicePolicy::default();
        let mut online = vec![session("a1", Android), session("w1", Web)];
        let mut again = session("a1-reconnect", Android);
        again.instance_id = "inst-a1".into();
        let admission = admit(&mut online, again, &p);
        assert_eq!(ids(&admission.replaced), ["a1"]);
        assert!(admission.kicked.is_empty());
        assert_eq!(ids(&online), ["w1", "a1-reconnect"]);
    }

    #[test]
    fn a_reconnect_never_displaces_another_device() {
        let p = DevicePolicy::default();
        let mut online = vec![session("b1", Android)];
        let mut back = session("a1", Android);
        back.instance_id = "phone-a".into();
        assert_eq!(admit_reconnect(&mut online, back.clone(), &p), None);
        assert_eq!(ids(&online), ["b1"], "unchanged");
        // With room for it (another platform), it comes back and replaces only itself.
        back.platform = Web;
        let admission = admit_reconnect(&mut online, back, &p).unwrap();
        assert!(admission.kicked.is_empty());
        assert_eq!(ids(&online), ["b1", "a1"]);
    }

    #[test]
    fn the_same_session_admitted_again_replaces_nothing() {
        let p = DevicePolicy::default();
        let mut online = vec![session("a1", Android), session("w1", Web)];
        let admission = admit(&mut online, session("a1", Android), &p);
        assert_eq!(admission, Admission::default());
        assert_eq!(ids(&online), ["w1", "a1"]);
    }

    #[test]
    fn limits_are_checked_against_tencents_ranges() {
        assert!(
            policy(PlatformPolicy::AllPlatforms, 3, 10)
                .validate()
                .is_ok()
        );
        assert!(
            policy(PlatformPolicy::AllPlatforms, 0, 1)
                .validate()
                .is_err()
        );
        assert!(
            policy(PlatformPolicy::AllPlatforms, 4, 1)
                .validate()
                .is_err()
        );
        assert!(
            policy(PlatformPolicy::AllPlatforms, 1, 11)
                .validate()
                .is_err()
        );
    }
}
