//! The commands this server answers and each app's REST settings: what the configuration needs
//! of the API, kept apart from the handlers, which use the node's state.

use std::collections::BTreeMap;

/// A command this server answers: its URL path and its default rate (calls a second per app).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// `service/command`, as in `/v4/service/command`.
    pub path: &'static str,
    /// Tencent's default rate limit.
    pub default_rate: u32,
}

/// Every command, with Tencent's default rates.
pub const COMMANDS: [Spec; 8] = [
    Spec {
        path: "im_open_login_svc/account_import",
        default_rate: 200,
    },
    Spec {
        path: "im_open_login_svc/multiaccount_import",
        default_rate: 100,
    },
    Spec {
        path: "im_open_login_svc/account_delete",
        default_rate: 100,
    },
    Spec {
        path: "im_open_login_svc/account_check",
        default_rate: 100,
    },
    Spec {
        path: "im_open_login_svc/kick",
        default_rate: 200,
    },
    Spec {
        path: "openim/query_online_status",
        default_rate: 200,
    },
    Spec {
        path: "openim/querystate",
        default_rate: 200,
    },
    Spec {
        path: "openconfigsvr/getappinfo",
        default_rate: 200,
    },
];

/// The command at `path` (`service/command`), if there is one.
pub fn lookup(path: &str) -> Option<&'static Spec> {
    COMMANDS.iter().find(|spec| spec.path == path)
}

/// Most administrators an app may have (Tencent's limit).
pub const MAX_ADMINS: usize = 10;

/// The REST settings of one app: its administrators and its rate limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestConfig {
    /// UserIDs whose tickets may call the API.
    pub admins: Vec<String>,
    /// Calls a second per command (`service/command`) where they differ from Tencent's default.
    pub rate_limits: BTreeMap<&'static str, u32>,
}

impl Default for RestConfig {
    /// `administrator` alone, and Tencent's rates.
    fn default() -> Self {
        RestConfig {
            admins: vec!["administrator".to_owned()],
            rate_limits: BTreeMap::new(),
        }
    }
}

impl RestConfig {
    /// Settings from the TOML file's `admins` and `rate_limits`, checked.
    pub fn new(
        admins: Option<Vec<String>>,
        rate_limits: BTreeMap<String, u32>,
    ) -> Result<Self, String> {
        let mut config = RestConfig::default();
        if let Some(admins) = admins {
            if admins.is_empty() || admins.len() > MAX_ADMINS {
                return Err(format!("admins must list 1 to {MAX_ADMINS} UserIDs"));
            }
            // An administrator must be able to log in: the login's rule.
            for admin in &admins {
                tim_protocol::validate_user_id(admin)
                    .map_err(|e| format!("admins: {admin:?} is not a valid UserID: {e}"))?;
            }
            config.admins = admins;
        }
        for (path, rate) in rate_limits {
            let spec = lookup(&path).ok_or_else(|| {
                let known: Vec<_> = COMMANDS.iter().map(|s| s.path).collect();
                format!(
                    "rate_limits: no command {path:?}; the commands are {}",
                    known.join(", ")
                )
            })?;
            if rate == 0 {
                return Err(format!(
                    "rate_limits: {path} must allow at least 1 call a second"
                ));
            }
            config.rate_limits.insert(spec.path, rate);
        }
        Ok(config)
    }

    /// Calls a second allowed for `spec`.
    pub fn rate(&self, spec: &Spec) -> u32 {
        self.rate_limits
            .get(spec.path)
            .copied()
            .unwrap_or(spec.default_rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_and_rates_are_checked() {
        let default = RestConfig::default();
        assert_eq!(default.admins, ["administrator"]);
        let kick = lookup("im_open_login_svc/kick").unwrap();
        assert_eq!(default.rate(kick), 200);
        let custom = RestConfig::new(
            Some(vec!["ops".into()]),
            [("im_open_login_svc/kick".to_owned(), 5)].into(),
        )
        .unwrap();
        assert_eq!(
            (custom.admins.as_slice(), custom.rate(kick)),
            (&["ops".to_owned()][..], 5)
        );
        let eleven = (0..11).map(|i| i.to_string()).collect();
        assert!(RestConfig::new(Some(eleven), BTreeMap::new()).is_err());
        assert!(RestConfig::new(Some(vec![]), BTreeMap::new()).is_err());
        // An administrator must be a UserID that can log in: the login's rule.
        for bad in ["", "ali ce", "bjørn", &"a".repeat(33)] {
            let err =
                RestConfig::new(Some(vec!["ops".into(), bad.into()]), BTreeMap::new()).unwrap_err();
            assert!(err.contains("admins") && err.contains("UserID"), "{err}");
        }
        let err = RestConfig::new(None, [("openim/nope".to_owned(), 5)].into()).unwrap_err();
        assert!(err.contains("no command"), "{err}");
        assert!(RestConfig::new(None, [("openim/querystate".to_owned(), 0)].into()).is_err());
    }
}
