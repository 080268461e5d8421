//! The platforms an instance logs in from, which the multi-device policies are written in.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A client platform, as Tencent's console names them for multi-device policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Android phones and tablets.
    Android,
    /// iPhone.
    #[serde(rename = "iphone")]
    IPhone,
    /// iPad.
    #[serde(rename = "ipad")]
    IPad,
    /// Windows desktop.
    Windows,
    /// macOS desktop.
    Mac,
    /// Linux desktop.
    Linux,
    /// A browser.
    Web,
}

/// The classes that the "mobile or desktop, plus Web" policy distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlatformClass {
    /// Android, iPhone, iPad, Windows, macOS, Linux: an app installed on a device.
    Native,
    /// A browser.
    Web,
}

impl Platform {
    /// Every platform, in a fixed order.
    pub const ALL: [Platform; 7] = [
        Platform::Android,
        Platform::IPhone,
        Platform::IPad,
        Platform::Windows,
        Platform::Mac,
        Platform::Linux,
        Platform::Web,
    ];

    /// The name used on the wire and in configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Android => "android",
            Platform::IPhone => "iphone",
            Platform::IPad => "ipad",
            Platform::Windows => "windows",
            Platform::Mac => "mac",
            Platform::Linux => "linux",
            Platform::Web => "web",
        }
    }

    /// Whether this is a browser or an installed app.
    pub fn class(self) -> PlatformClass {
        match self {
            Platform::Web => PlatformClass::Web,
            _ => PlatformClass::Native,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A platform name that is not one of [`Platform::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPlatform;

impl fmt::Display for UnknownPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown platform (expected android, iphone, ipad, windows, mac, linux or web)")
    }
}

impl std::error::Error for UnknownPlatform {}

impl FromStr for Platform {
    type Err = UnknownPlatform;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or(UnknownPlatform)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for p in Platform::ALL {
            assert_eq!(p.as_str().parse::<Platform>(), Ok(p));
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
            assert_eq!(serde_json::from_str::<Platform>(&json).unwrap(), p);
        }
        assert_eq!("IPhone".parse::<Platform>(), Ok(Platform::IPhone));
        assert_eq!("symbian".parse::<Platform>(), Err(UnknownPlatform));
    }

    #[test]
    fn only_web_is_web() {
        let web: Vec<_> = Platform::ALL
            .into_iter()
            .filter(|p| p.class() == PlatformClass::Web)
            .collect();
        assert_eq!(web, vec![Platform::Web]);
    }
}
