//! Which accounts exist and where their settings come from: environment first, then config.
//!
//! Secrets are not read here at start-up; `Account::credentials` reads them on first use.

use std::collections::BTreeMap;

use crate::config::{check_account_name, ConfigFile};
use crate::credentials::{self, CredentialSource};
use crate::crisp::client::{Credentials, DEFAULT_BASE_URL};
use crate::crisp::error::CrispError;
use crate::crisp::Tier;

/// The account every unqualified call uses.
pub const DEFAULT_ACCOUNT: &str = "default";

/// A snapshot of the environment, so resolution is testable and happens once.
#[derive(Debug, Clone, Default)]
pub struct Env(BTreeMap<String, String>);

impl Env {
    pub fn from_process() -> Env {
        Env(std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect())
    }

    pub fn from_pairs<I: IntoIterator<Item = (S, S)>, S: Into<String>>(pairs: I) -> Env {
        Env(pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect())
    }

    /// A set, non-empty variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// One account as configured.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub website_id: Option<String>,
    pub tier: Tier,
    /// Where tier and website id came from, for `auth status`.
    pub origin: &'static str,
    pub base_url: String,
    /// Credentials fixed at start (the demo); otherwise looked up on first use.
    pub fixed: Option<Credentials>,
}

impl Account {
    /// `CRISP_` for the default account, `CRISP_SUPPORT_` for `support`.
    pub fn env_prefix(&self) -> String {
        env_prefix(&self.name)
    }

    /// The website id, or an error saying how to set it.
    pub fn require_website_id(&self) -> Result<&str, CrispError> {
        self.website_id
            .as_deref()
            .ok_or_else(|| CrispError::MissingCredentials {
                account: self.name.clone(),
                help: format!(
                    "it has no website id; set {p}WEBSITE_ID, {p}IDENTIFIER and {p}KEY, or run `crisp-repl auth login --account {}` (to explore without an account: `crisp-repl --demo`)",
                    self.name,
                    p = self.env_prefix(),
                ),
            })
    }

    /// The token, read now: environment first, then the OS keyring.
    pub fn credentials(&self, env: &Env) -> Result<(Credentials, CredentialSource), CrispError> {
        if let Some(c) = &self.fixed {
            return Ok((c.clone(), CredentialSource::Demo));
        }
        credentials::lookup(self, env)
    }
}

pub fn env_prefix(account: &str) -> String {
    if account == DEFAULT_ACCOUNT {
        "CRISP_".to_string()
    } else {
        format!("CRISP_{}_", account.to_ascii_uppercase())
    }
}

/// Every account: `default` always, config accounts, and env accounts (`CRISP_<NAME>_WEBSITE_ID`).
pub fn resolve(config: &ConfigFile, env: &Env) -> Result<Vec<Account>, String> {
    let base_url = base_url(env)?;
    let mut names: Vec<String> = vec![DEFAULT_ACCOUNT.to_string()];
    names.extend(config.accounts.keys().cloned());
    for var in env.names() {
        let Some(middle) = var
            .strip_prefix("CRISP_")
            .and_then(|v| v.strip_suffix("_WEBSITE_ID"))
        else {
            continue;
        };
        let name = middle.to_ascii_lowercase();
        if env.get(var).is_some() && check_account_name(&name).is_ok() {
            names.push(name);
        }
    }
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let prefix = env_prefix(&name);
            let entry = config.accounts.get(&name).cloned().unwrap_or_default();
            let env_site = env.get(&format!("{prefix}WEBSITE_ID")).map(str::to_string);
            let env_tier = match env.get(&format!("{prefix}TIER")) {
                Some(t) => Some(
                    t.parse::<Tier>()
                        .map_err(|e| format!("{prefix}TIER: {e}"))?,
                ),
                None => None,
            };
            let origin = if env_site.is_some() {
                "env"
            } else if entry.website_id.is_some() {
                "config"
            } else {
                "unset"
            };
            let website_id = env_site.or(entry.website_id);
            if let Some(id @ ("." | "..")) = website_id.as_deref() {
                return Err(format!(
                    "the website id of account '{name}' is \"{id}\", a path segment that would name another route; set {prefix}WEBSITE_ID (or the config's website_id) to the website's id"
                ));
            }
            Ok(Account {
                website_id,
                tier: env_tier.or(entry.tier).unwrap_or_default(),
                origin,
                base_url: base_url.clone(),
                fixed: None,
                name,
            })
        })
        .collect()
}

/// CRISP_API_URL, checked: plain http only to loopback, so credentials never cross a network unencrypted.
pub fn base_url(env: &Env) -> Result<String, String> {
    let url = env.get("CRISP_API_URL").unwrap_or(DEFAULT_BASE_URL);
    check_base_url(url)?;
    Ok(url.trim_end_matches('/').to_string())
}

pub fn check_base_url(url: &str) -> Result<(), String> {
    // Checked on the raw text, before the URL is echoed anywhere: a password in it must never
    // reach an error message, and paths are appended to it, so a query or fragment would
    // swallow them.
    let authority = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    if authority.contains('@') {
        return Err("CRISP_API_URL must not hold a user name or password (user:pass@host): crisp-repl authenticates with the token's identifier and key, and a password in the URL would be shown in errors. Remove the part before '@'".into());
    }
    if url.contains(['?', '#']) {
        return Err(format!(
            "CRISP_API_URL '{url}' must not have a query (?) or fragment (#): it is the base that API paths are appended to, like https://api.crisp.chat/v1"
        ));
    }
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e| format!("CRISP_API_URL '{url}' is not a URL: {e}"))?;
    let host = uri.host().unwrap_or("");
    match uri.scheme_str() {
        Some("https") if !host.is_empty() => Ok(()),
        Some("http") if is_loopback(host) => Ok(()),
        Some("http") => Err(format!(
            "CRISP_API_URL '{url}' uses plain http to {host}: credentials would cross the network unencrypted. Use https (plain http is allowed to loopback only)"
        )),
        _ => Err(format!(
            "CRISP_API_URL '{url}' must start with https:// (or http:// to loopback)"
        )),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AccountEntry;

    #[test]
    fn base_urls_with_credentials_query_or_fragment_are_refused() {
        let err = check_base_url("http://me:s3cret@127.0.0.1:9/v1").unwrap_err();
        assert!(err.contains("user name or password"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        assert!(check_base_url("https://me@api.crisp.chat/v1").is_err());
        for url in [
            "https://api.crisp.chat/v1?x=1",
            "https://api.crisp.chat/v1#frag",
        ] {
            let err = check_base_url(url).unwrap_err();
            assert!(err.contains("query (?) or fragment (#)"), "{err}");
        }
        // An '@' after the authority is a path character, not credentials.
        assert!(check_base_url("http://127.0.0.1:9/v1/@x").is_ok());
        assert!(check_base_url("https://api.crisp.chat/v1").is_ok());
    }

    #[test]
    fn accounts_from_env_and_config() {
        let mut config = ConfigFile::default();
        config.accounts.insert(
            "sales".into(),
            AccountEntry {
                website_id: Some("w-sales".into()),
                tier: Some(Tier::Website),
            },
        );
        let env = Env::from_pairs([
            ("CRISP_WEBSITE_ID", "w-default"),
            ("CRISP_SUPPORT_WEBSITE_ID", "w-support"),
            ("CRISP_SUPPORT_TIER", "User"),
            ("CRISP_SALES_WEBSITE_ID", "w-sales-env"),
            ("CRISP_BAD-NAME_WEBSITE_ID", "x"),
        ]);
        let accounts = resolve(&config, &env).unwrap();
        let names: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["default", "sales", "support"]);
        assert_eq!(accounts[0].website_id.as_deref(), Some("w-default"));
        assert_eq!(accounts[0].tier, Tier::Plugin);
        assert_eq!(accounts[1].website_id.as_deref(), Some("w-sales-env"));
        assert_eq!(accounts[1].tier, Tier::Website);
        assert_eq!(accounts[2].tier, Tier::User);
        assert_eq!(accounts[2].env_prefix(), "CRISP_SUPPORT_");
    }

    #[test]
    fn default_exists_even_when_unset() {
        let accounts = resolve(&ConfigFile::default(), &Env::default()).unwrap();
        assert_eq!(accounts.len(), 1);
        let err = accounts[0].require_website_id().unwrap_err().to_string();
        assert!(err.contains("CRISP_WEBSITE_ID"), "{err}");
    }

    #[test]
    fn dot_segment_website_ids_are_refused() {
        for id in [".", ".."] {
            let env = Env::from_pairs([("CRISP_WEBSITE_ID", id)]);
            let err = resolve(&ConfigFile::default(), &env).unwrap_err();
            assert!(err.contains("path segment"), "{err}");
        }
        let env = Env::from_pairs([("CRISP_WEBSITE_ID", "..x")]);
        assert!(resolve(&ConfigFile::default(), &env).is_ok());
    }

    #[test]
    fn bad_tier_is_reported() {
        let env = Env::from_pairs([("CRISP_TIER", "admin")]);
        let err = resolve(&ConfigFile::default(), &env).unwrap_err();
        assert!(err.contains("CRISP_TIER") && err.contains("plugin, website or user"));
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_base_url("https://api.crisp.chat/v1").is_ok());
        assert!(check_base_url("http://127.0.0.1:8080/v1").is_ok());
        assert!(check_base_url("http://localhost:1/v1").is_ok());
        assert!(check_base_url("http://[::1]:1/v1").is_ok());
        let err = check_base_url("http://10.0.0.5/v1").unwrap_err();
        assert!(err.contains("unencrypted"), "{err}");
        assert!(check_base_url("ftp://x/v1").is_err());
        assert!(check_base_url("not a url").is_err());
    }
}
