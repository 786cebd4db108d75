//! The Crisp side: the function registry, the HTTP client, the operations and their errors.
//! Nothing here knows about Lua.

pub mod api;
pub mod client;
pub mod error;
pub mod paging;
pub mod registry;
pub mod request;
pub mod watch;

use serde::{Deserialize, Serialize};

/// The kind of Crisp token, sent as `X-Crisp-Tier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    #[default]
    Plugin,
    Website,
    User,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Plugin, Tier::Website, Tier::User];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Plugin => "plugin",
            Tier::Website => "website",
            Tier::User => "user",
        }
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Tier {
    type Err = String;

    fn from_str(s: &str) -> Result<Tier, String> {
        Tier::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown tier '{s}': use plugin, website or user"))
    }
}
