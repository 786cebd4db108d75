//! The config file (`config.toml`): per-account website id and tier, never a key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::crisp::Tier;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountEntry>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    pub website_id: Option<String>,
    pub tier: Option<Tier>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}. Fix it or move it away (see README, 'Accounts')")]
    Parse { path: PathBuf, message: String },
    #[error("cannot write config file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where the config lives: `--config`, else CRISP_REPL_CONFIG, else the platform config dir.
pub fn default_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CRISP_REPL_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    dirs::config_dir().map(|d| d.join("crisp-repl").join("config.toml"))
}

impl ConfigFile {
    /// Load `path`; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let config: ConfigFile = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.message().to_string(),
        })?;
        for name in config.accounts.keys() {
            if let Err(message) = check_account_name(name) {
                return Err(ConfigError::Parse {
                    path: path.to_path_buf(),
                    message,
                });
            }
        }
        Ok(config)
    }

    /// Write atomically (temp file + rename) so a crash never leaves half a config.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let write_err = |source| ConfigError::Write {
            path: path.to_path_buf(),
            source,
        };
        let body = toml::to_string_pretty(self).map_err(|e| ConfigError::Write {
            path: path.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let text = format!(
            "# crisp-repl accounts: website id and tier only. Keys live in the OS keyring.\n{body}"
        );
        crate::private_fs::write_atomic(path, &text).map_err(write_err)
    }
}

/// Account names become Lua fields and environment variable parts: keep them simple.
pub fn check_account_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(format!(
            "account name '{name}' must start with a lowercase letter and hold only a-z, 0-9 and _"
        ));
    }
    if crate::crisp::registry::function(name).is_some() || RESERVED_NAMES.contains(&name) {
        return Err(format!(
            "account name '{name}' is taken by a function of the API; choose another"
        ));
    }
    Ok(())
}

/// Names on the `crisp` table that are not accounts.
pub const RESERVED_NAMES: &[&str] = &["paginate", "all", "accounts", "doc"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        assert_eq!(ConfigFile::load(&path).unwrap(), ConfigFile::default());
        let mut config = ConfigFile::default();
        config.accounts.insert(
            "support".into(),
            AccountEntry {
                website_id: Some("w1".into()),
                tier: Some(Tier::User),
            },
        );
        config.save(&path).unwrap();
        assert_eq!(ConfigFile::load(&path).unwrap(), config);
        std::fs::write(&path, "[accounts.x]\nkey = \"secret\"\n").unwrap();
        let err = ConfigFile::load(&path).unwrap_err().to_string();
        assert!(err.contains("unknown field `key`"), "{err}");
        std::fs::write(&path, "[accounts.Bad-Name]\n").unwrap();
        assert!(ConfigFile::load(&path).is_err());
    }

    #[test]
    fn account_names() {
        assert!(check_account_name("support_eu2").is_ok());
        assert!(check_account_name("send_message").is_err());
        assert!(check_account_name("Sales").is_err());
        assert!(check_account_name("").is_err());
    }
}
