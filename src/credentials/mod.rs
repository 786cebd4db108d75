//! Finding an account's token: environment variables first, then the OS keyring, then the
//! `--insecure-storage` file. Nothing here runs at start-up: `lookup` is called on the first
//! call that needs the account.

pub mod file;
pub mod keyring;

use std::path::PathBuf;
use std::sync::RwLock;

use crate::accounts::{self, Account, Env};
use crate::crisp::client::Credentials;
use crate::crisp::error::{CrispError, Secret};

pub use self::keyring::KeyringError;

/// Where a token came from, as `auth status` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    Env,
    Keyring,
    File,
    Demo,
}

impl CredentialSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialSource::Env => "env",
            CredentialSource::Keyring => "keyring",
            CredentialSource::File => "file",
            CredentialSource::Demo => "demo",
        }
    }
}

/// The config file in use, when it is not the default one (`--config`).
static CONFIG_PATH: RwLock<Option<PathBuf>> = RwLock::new(None);

/// Say which config file this process uses, so lookups find the `--insecure-storage` file next
/// to it. Without this call the default location (`CRISP_REPL_CONFIG` or the platform's) is used.
pub fn set_config_path(path: Option<PathBuf>) {
    let mut slot = CONFIG_PATH.write().unwrap_or_else(|p| p.into_inner());
    *slot = path;
}

/// The config file in use: the one set with `set_config_path`, else the default.
pub fn config_path() -> Option<PathBuf> {
    let slot = CONFIG_PATH.read().unwrap_or_else(|p| p.into_inner());
    slot.clone().or_else(crate::config::default_path)
}

/// The `--insecure-storage` file for the config file in use.
pub fn insecure_file() -> Option<PathBuf> {
    config_path().map(|p| file::path_for(&p))
}

/// What a search for an account's token found.
pub struct Finding {
    pub found: Option<(Credentials, CredentialSource)>,
    /// Only one of the two environment variables is set (names the missing one's partner).
    pub partial_env: Option<String>,
    /// The keyring could not be asked.
    pub keyring_error: Option<KeyringError>,
    /// The insecure file could not be read.
    pub file_error: Option<String>,
    /// The insecure file that was (or would have been) read.
    pub file_path: Option<PathBuf>,
}

/// Search every source in order, without printing anything.
pub fn find(account: &Account, env: &Env) -> Finding {
    let mut finding = Finding {
        found: None,
        partial_env: None,
        keyring_error: None,
        file_error: None,
        file_path: None,
    };
    if let Some(c) = &account.fixed {
        finding.found = Some((c.clone(), CredentialSource::Demo));
        return finding;
    }
    let prefix = account.env_prefix();
    let id_var = format!("{prefix}IDENTIFIER");
    let key_var = format!("{prefix}KEY");
    match (env.get(&id_var), env.get(&key_var)) {
        (Some(identifier), Some(key)) => {
            finding.found = Some((
                Credentials {
                    identifier: identifier.trim().to_string(),
                    key: Secret::new(key.trim()),
                },
                CredentialSource::Env,
            ));
            return finding;
        }
        (Some(_), None) | (None, Some(_)) => {
            finding.partial_env = Some(format!(
                "set both {id_var} and {key_var} (only one of them is set)"
            ));
            return finding;
        }
        (None, None) => {}
    }
    match keyring::get(&account.name) {
        Ok(Some(c)) => {
            finding.found = Some((c, CredentialSource::Keyring));
            return finding;
        }
        Ok(None) => {}
        Err(e) => finding.keyring_error = Some(e),
    }
    finding.file_path = insecure_file();
    if let Some(path) = &finding.file_path {
        match file::get(path, &account.name) {
            Ok(Some(c)) => finding.found = Some((c, CredentialSource::File)),
            Ok(None) => {}
            Err(e) => finding.file_error = Some(e.to_string()),
        }
    }
    finding
}

/// Look the token of `account` up now. A token from the insecure file prints a warning.
pub fn lookup(account: &Account, env: &Env) -> Result<(Credentials, CredentialSource), CrispError> {
    let finding = find(account, env);
    if let Some((credentials, source)) = finding.found {
        if source == CredentialSource::File {
            if let Some(path) = &finding.file_path {
                eprintln!("{}", file::warning(path, &account.name));
            }
        }
        return Ok((credentials, source));
    }
    Err(CrispError::MissingCredentials {
        account: account.name.clone(),
        help: missing_help(&account.name, &finding),
    })
}

/// What to tell the user when no token was found.
pub fn missing_help(account: &str, finding: &Finding) -> String {
    if let Some(partial) = &finding.partial_env {
        return partial.clone();
    }
    let prefix = accounts::env_prefix(account);
    if let Some(e) = &finding.keyring_error {
        let mut help = format!(
            "no token in the environment, and {e}. {}",
            keyring_advice(e, account)
        );
        if let Some(f) = &finding.file_error {
            help.push_str(&format!(". Also, {f}"));
        }
        return help;
    }
    if let Some(f) = &finding.file_error {
        return f.clone();
    }
    format!(
        "no token in the environment or the OS keyring; set {prefix}WEBSITE_ID, {prefix}IDENTIFIER and {prefix}KEY, or run `crisp-repl auth login --account {account}`; to explore without an account, run `crisp-repl --demo`"
    )
}

/// What to do about a keyring that cannot be used, for `account`.
pub fn keyring_advice(e: &KeyringError, account: &str) -> String {
    let prefix = accounts::env_prefix(account);
    let env = format!("set {prefix}IDENTIFIER and {prefix}KEY in the environment");
    let insecure = format!(
        "run `crisp-repl auth login --account {account} --insecure-storage` to keep the token in a 0600 file instead"
    );
    match e {
        KeyringError::Unavailable { .. } => format!(
            "To fix it: {env}; or start a Secret Service in a D-Bus session (e.g. `dbus-run-session -- sh`, then `gnome-keyring-daemon --unlock --components=secrets`); or, on a headless server or in a container, {insecure}"
        ),
        KeyringError::Locked { .. } => format!(
            "To fix it: unlock the keyring (log in to the desktop session, or `gnome-keyring-daemon --replace --unlock --components=secrets` reading the password on stdin); or {env}; or {insecure}"
        ),
        KeyringError::Timeout { .. } => format!(
            "The Secret Service may be frozen or waiting for a prompt nobody can see (the wait is set by {}). To fix it: restart the Secret Service; or {env}; or {insecure}",
            keyring::TIMEOUT_VAR
        ),
        KeyringError::Corrupt { .. } => format!(
            "Delete it with `crisp-repl auth logout --account {account}` and log in again"
        ),
        KeyringError::Failed { .. } => {
            format!("To work around it: {env}; or {insecure}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(name: &str) -> Account {
        Account {
            name: name.into(),
            website_id: Some("w".into()),
            tier: crate::crisp::Tier::Plugin,
            origin: "env",
            base_url: crate::crisp::client::DEFAULT_BASE_URL.into(),
            fixed: None,
        }
    }

    #[test]
    fn environment_comes_first_and_needs_both_halves() {
        let env = Env::from_pairs([("CRISP_SALES_IDENTIFIER", "id"), ("CRISP_SALES_KEY", " k ")]);
        let (c, source) = lookup(&account("sales"), &env).unwrap();
        assert_eq!(
            (c.identifier.as_str(), c.key.expose(), source),
            ("id", "k", CredentialSource::Env)
        );
        let env = Env::from_pairs([("CRISP_IDENTIFIER", "id")]);
        let err = lookup(&account("default"), &env).unwrap_err().to_string();
        assert!(
            err.contains("set both CRISP_IDENTIFIER and CRISP_KEY"),
            "{err}"
        );
    }

    #[test]
    fn keyring_advice_says_what_to_do() {
        let e = KeyringError::Unavailable {
            reason: "no D-Bus session".into(),
        };
        let text = keyring_advice(&e, "support");
        assert!(text.contains("CRISP_SUPPORT_IDENTIFIER"), "{text}");
        assert!(text.contains("--insecure-storage"), "{text}");
        assert!(text.contains("Secret Service"), "{text}");
    }
}
