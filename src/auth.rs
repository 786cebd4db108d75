//! `crisp-repl auth ...`: log in, log out and show where each account's secret comes from.
//!
//! Login checks the token with the tier's identity call before anything is saved; then the
//! website id and tier go to config.toml and the identifier and key to the OS keyring (or, with
//! `--insecure-storage`, to a 0600 file). The REPL's `:login` and `:accounts` call
//! [`login_interactive`] and [`status_report`].

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::Value;

use crate::accounts::{self, Account, Env, DEFAULT_ACCOUNT};
use crate::config::{self, AccountEntry, ConfigError, ConfigFile};
use crate::credentials::{self, file, keyring, CredentialSource, KeyringError};
use crate::crisp::api::{self, Target, WritePolicy};
use crate::crisp::client::{Client, ClientOptions, Credentials};
use crate::crisp::error::{CrispError, Secret};
use crate::crisp::{registry, Tier};
use crate::render::sanitize::sanitize_lines;

#[derive(Debug, Args)]
pub struct AuthArgs {
    #[command(subcommand)]
    pub command: AuthCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Check a token with Crisp, then store it in the OS keyring.
    #[command(after_help = "\
Without --key-stdin it asks for the website id, the tier, the identifier and the key (hidden).
For scripts: crisp-repl auth login --account NAME --website-id W --tier T --key-stdin
with the identifier and the key as two lines of stdin. Nothing is saved unless Crisp accepts
the token. Exit status: 0 saved, 2 bad usage, 3 token refused or no keyring usable.")]
    Login(LoginArgs),
    /// Delete an account's token from the OS keyring.
    Logout(LogoutArgs),
    /// Show every account, its website id and tier, and where its secret comes from.
    Status(StatusArgs),
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The account to log in (as in `crisp.NAME.fn{}`).
    #[arg(long, value_name = "NAME", default_value = DEFAULT_ACCOUNT)]
    pub account: String,
    /// The website (workspace) id; asked for when missing.
    #[arg(long, value_name = "ID")]
    pub website_id: Option<String>,
    /// The token's tier: plugin, website or user; asked for when missing.
    #[arg(long, value_name = "TIER")]
    pub tier: Option<Tier>,
    /// Read the identifier and the key as two lines of stdin (no prompts).
    #[arg(long)]
    pub key_stdin: bool,
    /// Keep the token in a plain-text 0600 file next to config.toml instead of the OS keyring.
    #[arg(long)]
    pub insecure_storage: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The account to log out.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_ACCOUNT)]
    pub account: String,
    /// Also remove the account (website id and tier) from the config file.
    #[arg(long)]
    pub forget: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Also make each account's identity call and show the answer.
    #[arg(long)]
    pub check: bool,
}

/// Why an `auth` action failed. `Display` says what to do; no variant holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Bad arguments or input (exit status 2).
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Crisp answered the identity call with an error: the token, tier or website id is wrong.
    #[error("Crisp refused the token for account '{account}': {source}. Nothing was saved")]
    Rejected { account: String, source: CrispError },
    /// The identity call could not be made (network, timeout).
    #[error("could not check the token for account '{account}': {source}. Nothing was saved")]
    Unverified { account: String, source: CrispError },
    /// The OS keyring could not store or delete the token.
    #[error("{action} for account '{account}': {source}. {advice}")]
    Keyring {
        account: String,
        action: &'static str,
        source: KeyringError,
        advice: String,
    },
    /// The `--insecure-storage` file could not be read or written.
    #[error(transparent)]
    File(#[from] file::FileError),
    /// The user ended the prompts (Ctrl-D, or an empty required answer).
    #[error("login cancelled: nothing was saved")]
    Cancelled,
    #[error("cannot read {what}: {source}")]
    Input {
        what: &'static str,
        source: std::io::Error,
    },
}

impl AuthError {
    /// The exit status of the README's table: 2 usage, 3 missing or rejected credentials.
    pub fn exit_status(&self) -> u8 {
        match self {
            AuthError::Usage(_) | AuthError::Config(_) => 2,
            AuthError::Rejected { .. } | AuthError::Keyring { .. } | AuthError::File(_) => 3,
            AuthError::Unverified { .. } | AuthError::Cancelled | AuthError::Input { .. } => 1,
        }
    }
}

/// Run an `auth` subcommand; returns the exit status.
pub fn run(args: AuthArgs, config_path: Option<PathBuf>) -> anyhow::Result<u8> {
    // Lookups (status) must find the insecure file next to the config file in use.
    credentials::set_config_path(config_path.clone());
    let env = Env::from_process();
    let result = match args.command {
        AuthCommand::Login(a) => login_command(a, config_path, &env).map(|o| (o.message, 0)),
        AuthCommand::Logout(a) => {
            logout(&a.account, a.forget, config_path, &env).map(|text| (text, 0))
        }
        AuthCommand::Status(a) => status_command(a.check, config_path, &env),
    };
    match result {
        // Identity lines and errors quote what the server sent.
        Ok((text, status)) => {
            println!("{}", sanitize_lines(&text));
            Ok(status)
        }
        Err(e) => {
            eprintln!("crisp-repl: {}", sanitize_lines(&e.to_string()));
            Ok(e.exit_status())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// login

/// What a successful login did; `Display` is the message for the user.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub account: String,
    pub website_id: String,
    pub tier: Tier,
    /// `Keyring` or `File`.
    pub stored_in: CredentialSource,
    /// Who Crisp says the token belongs to.
    pub who: String,
    pub message: String,
}

impl std::fmt::Display for LoginOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What to log in with; `None` fields are asked for (or taken from the config).
#[derive(Debug, Clone, Default)]
pub struct LoginRequest {
    pub account: String,
    pub website_id: Option<String>,
    pub tier: Option<Tier>,
    pub insecure_storage: bool,
}

/// `:login [NAME]` in the REPL: the same prompts as `crisp-repl auth login`, on the terminal.
///
/// Reads the answers straight from the terminal (the key with echo off through /dev/tty), so
/// nothing goes through the line editor or its history. Checks the token with Crisp before
/// saving anything. `config_path` is `--config` (None: the default location); `env` is the
/// session's environment snapshot (CRISP_API_URL is honoured). After success, the caller should
/// drop any cached client of `outcome.account` and use `outcome.website_id` and `outcome.tier`.
pub fn login_interactive(
    account: &str,
    config_path: Option<PathBuf>,
    env: &Env,
) -> Result<LoginOutcome, AuthError> {
    if !std::io::stdin().is_terminal() {
        return Err(AuthError::Usage(
            "logging in needs a terminal; from a script use `crisp-repl auth login --key-stdin`"
                .into(),
        ));
    }
    let request = LoginRequest {
        account: account.to_string(),
        ..LoginRequest::default()
    };
    login(&request, config_path, env, &mut TerminalPrompts, true)
}

fn login_command(
    args: LoginArgs,
    config_path: Option<PathBuf>,
    env: &Env,
) -> Result<LoginOutcome, AuthError> {
    let request = LoginRequest {
        account: args.account,
        website_id: args.website_id,
        tier: args.tier,
        insecure_storage: args.insecure_storage,
    };
    if args.key_stdin {
        let stdin = std::io::stdin();
        let mut lines = LinePrompts(stdin.lock());
        return login(&request, config_path, env, &mut lines, false);
    }
    if !std::io::stdin().is_terminal() {
        return Err(AuthError::Usage(
            "stdin is not a terminal, so there is nobody to ask: from a script pass --website-id W --tier T --key-stdin, with the identifier and the key as two lines of stdin".into(),
        ));
    }
    login(&request, config_path, env, &mut TerminalPrompts, true)
}

/// Check, then store. `interactive` says whether missing website id and tier may be asked for.
pub fn login(
    request: &LoginRequest,
    config_path: Option<PathBuf>,
    env: &Env,
    prompts: &mut dyn Prompts,
    interactive: bool,
) -> Result<LoginOutcome, AuthError> {
    let account = request.account.as_str();
    config::check_account_name(account).map_err(AuthError::Usage)?;
    let config_path = require_config_path(config_path)?;
    let mut config = ConfigFile::load(&config_path)?;
    let base_url = accounts::base_url(env).map_err(AuthError::Usage)?;
    let existing = config.accounts.get(account).cloned().unwrap_or_default();

    let website_id = match &request.website_id {
        Some(w) => w.trim().to_string(),
        None if interactive => ask_website_id(prompts, existing.website_id.as_deref())?,
        None => existing.website_id.clone().ok_or_else(|| {
            AuthError::Usage(format!(
                "account '{account}' has no website id yet: pass --website-id"
            ))
        })?,
    };
    check_website_id(&website_id).map_err(AuthError::Usage)?;
    let tier = match request.tier {
        Some(t) => t,
        None if interactive => ask_tier(prompts, existing.tier.unwrap_or_default())?,
        None => existing.tier.unwrap_or_default(),
    };
    let empty = |what: &str| {
        if interactive {
            AuthError::Cancelled
        } else {
            AuthError::Usage(format!("the {what} is empty"))
        }
    };
    let identifier = prompts
        .line("Identifier: ")?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| empty("identifier"))?;
    let key = prompts
        .secret("Key (hidden): ")?
        .filter(|k| !k.expose().trim().is_empty())
        .ok_or_else(|| empty("key"))?;
    let credentials = Credentials {
        identifier,
        key: Secret::new(key.expose().trim()),
    };

    // Verify before saving anything.
    let options = ClientOptions {
        base_url,
        max_retries: 1,
        ..ClientOptions::default()
    };
    let identity =
        identity_call(account, &website_id, tier, &credentials, &options).map_err(|source| {
            match source {
                CrispError::Api { .. } | CrispError::Malformed { .. } => AuthError::Rejected {
                    account: account.to_string(),
                    source,
                },
                source => AuthError::Unverified {
                    account: account.to_string(),
                    source,
                },
            }
        })?;
    let who = describe_identity(&identity, tier);

    let file_path = file::path_for(&config_path);
    let stored_in = store(account, &credentials, request.insecure_storage, &file_path)?;

    config.accounts.insert(
        account.to_string(),
        AccountEntry {
            website_id: Some(website_id.clone()),
            tier: Some(tier),
        },
    );
    if let Err(e) = config.save(&config_path) {
        // Do not leave a token behind for an account the config does not know.
        match stored_in {
            CredentialSource::File => {
                let _ = file::remove(&file_path, account);
            }
            _ => {
                let _ = keyring::delete(account);
            }
        }
        return Err(e.into());
    }

    let place = match stored_in {
        CredentialSource::File => format!("in {} (plain text, mode 0600)", file_path.display()),
        _ => format!(
            "in the OS keyring (service '{}', user '{account}')",
            keyring::SERVICE
        ),
    };
    let mut message = format!(
        "Logged in account '{account}' as {who} (tier {tier}, website {website_id}).\nToken saved {place}; website id and tier saved in {}.",
        config_path.display()
    );
    let prefix = accounts::env_prefix(account);
    if env.get(&format!("{prefix}IDENTIFIER")).is_some()
        || env.get(&format!("{prefix}KEY")).is_some()
    {
        message.push_str(&format!(
            "\nNote: {prefix}IDENTIFIER / {prefix}KEY are set in the environment and take precedence over the saved token."
        ));
    }
    Ok(LoginOutcome {
        account: account.to_string(),
        website_id,
        tier,
        stored_in,
        who,
        message,
    })
}

/// Save the token where it was asked to go, and remove stale copies from the other place.
fn store(
    account: &str,
    credentials: &Credentials,
    insecure: bool,
    file_path: &Path,
) -> Result<CredentialSource, AuthError> {
    if insecure {
        file::set(file_path, account, credentials)?;
        eprintln!("{}", file::warning(file_path, account));
        // The keyring comes first in lookups: an old token there would shadow this one.
        if let Ok(true) = keyring::delete(account) {
            eprintln!("note: removed the older token of account '{account}' from the OS keyring");
        }
        return Ok(CredentialSource::File);
    }
    keyring::set(account, credentials).map_err(|source| AuthError::Keyring {
        account: account.to_string(),
        action: "cannot save the token in the OS keyring",
        advice: credentials::keyring_advice(&source, account),
        source,
    })?;
    // A plain-text copy from an earlier --insecure-storage login is no longer needed.
    if file::remove(file_path, account).unwrap_or(false) {
        eprintln!(
            "note: removed the plain-text token of account '{account}' from {}",
            file_path.display()
        );
    }
    Ok(CredentialSource::Keyring)
}

fn require_config_path(config_path: Option<PathBuf>) -> Result<PathBuf, AuthError> {
    config_path.or_else(config::default_path).ok_or_else(|| {
        AuthError::Usage(
            "no config directory is known on this system: pass --config PATH or set CRISP_REPL_CONFIG"
                .into(),
        )
    })
}

fn ask_website_id(prompts: &mut dyn Prompts, current: Option<&str>) -> Result<String, AuthError> {
    let prompt = match current {
        Some(c) => format!("Website id [{c}]: "),
        None => "Website id: ".to_string(),
    };
    loop {
        let answer = prompts.line(&prompt)?.ok_or(AuthError::Cancelled)?;
        let answer = answer.trim();
        let chosen = match (answer.is_empty(), current) {
            (true, Some(c)) => c.to_string(),
            (true, None) => return Err(AuthError::Cancelled),
            (false, _) => answer.to_string(),
        };
        match check_website_id(&chosen) {
            Ok(()) => return Ok(chosen),
            Err(e) => prompts.say(&e),
        }
    }
}

fn ask_tier(prompts: &mut dyn Prompts, current: Tier) -> Result<Tier, AuthError> {
    let prompt = format!("Tier (plugin, website, user) [{current}]: ");
    loop {
        let answer = prompts.line(&prompt)?.ok_or(AuthError::Cancelled)?;
        if answer.trim().is_empty() {
            return Ok(current);
        }
        match answer.parse::<Tier>() {
            Ok(t) => return Ok(t),
            Err(e) => prompts.say(&e),
        }
    }
}

/// Website ids are UUIDs; stay lenient but refuse what cannot be a path segment.
fn check_website_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "website id '{id}' is not valid: it looks like 8c1d4c35-5d7b-4b0a-9f51-2f3c9e8a7b10 (Crisp app: Settings, Workspace Settings, Setup & Integrations)"
        ))
    }
}

/// Where login answers come from.
pub trait Prompts {
    /// A visible answer; `None` at the end of input.
    fn line(&mut self, prompt: &str) -> Result<Option<String>, AuthError>;
    /// A hidden answer; `None` at the end of input.
    fn secret(&mut self, prompt: &str) -> Result<Option<Secret>, AuthError>;
    /// Tell the user something (a rejected answer).
    fn say(&mut self, text: &str);
}

/// The terminal: prompts on stderr, answers from stdin, the key through /dev/tty with echo off.
/// Pass it to [`login`] for a login with options (e.g. `insecure_storage`) from the REPL.
pub struct TerminalPrompts;

impl Prompts for TerminalPrompts {
    fn line(&mut self, prompt: &str) -> Result<Option<String>, AuthError> {
        let mut err = std::io::stderr();
        let _ = write!(err, "{prompt}");
        let _ = err.flush();
        let mut answer = String::new();
        match std::io::stdin().lock().read_line(&mut answer) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(answer.trim_end_matches(['\r', '\n']).to_string())),
            Err(source) => Err(AuthError::Input {
                what: "the terminal",
                source,
            }),
        }
    }

    fn secret(&mut self, prompt: &str) -> Result<Option<Secret>, AuthError> {
        match rpassword::prompt_password(prompt) {
            Ok(k) => Ok(Some(Secret::new(k))),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(AuthError::Cancelled),
            Err(source) => Err(AuthError::Input {
                what: "the key from the terminal",
                source,
            }),
        }
    }

    fn say(&mut self, text: &str) {
        eprintln!("{}", sanitize_lines(text));
    }
}

/// `--key-stdin`: the identifier and the key as two lines, no prompts.
struct LinePrompts<R: BufRead>(R);

impl<R: BufRead> LinePrompts<R> {
    fn next(&mut self) -> Result<Option<String>, AuthError> {
        let mut line = String::new();
        match self.0.read_line(&mut line) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(line.trim_end_matches(['\r', '\n']).to_string())),
            Err(source) => Err(AuthError::Input {
                what: "stdin",
                source,
            }),
        }
    }
}

impl<R: BufRead> Prompts for LinePrompts<R> {
    fn line(&mut self, _prompt: &str) -> Result<Option<String>, AuthError> {
        self.next()?.map(Some).ok_or_else(|| {
            AuthError::Usage("--key-stdin expects the identifier on the first line of stdin".into())
        })
    }

    fn secret(&mut self, _prompt: &str) -> Result<Option<Secret>, AuthError> {
        match self.next()? {
            Some(k) if !k.trim().is_empty() => Ok(Some(Secret::new(k))),
            _ => Err(AuthError::Usage(
                "--key-stdin expects the key on the second line of stdin".into(),
            )),
        }
    }

    fn say(&mut self, text: &str) {
        eprintln!("{}", sanitize_lines(text));
    }
}

/// The tier's identity call (what `get_current_user` does).
pub fn identity_call(
    account: &str,
    website_id: &str,
    tier: Tier,
    credentials: &Credentials,
    options: &ClientOptions,
) -> Result<Value, CrispError> {
    let spec = registry::function("get_current_user").ok_or_else(|| {
        CrispError::Invalid("get_current_user is missing from the registry".into())
    })?;
    let params = registry::validate(spec, &[]).map_err(CrispError::Invalid)?;
    let client = Client::new(options.clone(), credentials, tier);
    let target = Target {
        account,
        website_id,
        client: &client,
    };
    api::call(&target, spec, &params, WritePolicy::Send).map(|answer| answer.root().to_value())
}

/// A short "who is this token" from the identity answer.
fn describe_identity(answer: &Value, tier: Tier) -> String {
    let data = answer.get("data").unwrap_or(answer);
    let text = |k: &str| {
        data.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    match (text("nickname"), text("email")) {
        (Some(n), Some(e)) => return format!("{n} <{e}>"),
        (Some(n), None) => return n.to_string(),
        (None, Some(e)) => return e.to_string(),
        (None, None) => {}
    }
    if let Some(name) = text("name") {
        return match text("domain") {
            Some(d) => format!("website '{name}' ({d})"),
            None => format!("website '{name}'"),
        };
    }
    if let Some(p) = text("plugin_id") {
        return format!("plugin {p}");
    }
    if let Some(u) = text("user_id") {
        return format!("user {u}");
    }
    format!("a {tier} token")
}

// ---------------------------------------------------------------------------------------------
// logout

/// Delete the token of `account` from the keyring (and the insecure file); with `forget`, also
/// remove the account from the config. Returns what was done, for the user.
pub fn logout(
    account: &str,
    forget: bool,
    config_path: Option<PathBuf>,
    env: &Env,
) -> Result<String, AuthError> {
    config::check_account_name(account).map_err(AuthError::Usage)?;
    let config_path = require_config_path(config_path)?;
    let mut done = Vec::new();
    let keyring_result = keyring::delete(account);
    match &keyring_result {
        Ok(true) => done.push(format!(
            "deleted the token of account '{account}' from the OS keyring"
        )),
        Ok(false) => {}
        Err(_) => {}
    }
    let file_path = file::path_for(&config_path);
    if file::remove(&file_path, account)? {
        done.push(format!(
            "deleted the token of account '{account}' from {}",
            file_path.display()
        ));
    }
    let mut notes = Vec::new();
    if let Err(source) = keyring_result {
        let advice = "The keyring may still hold a token for this account: make it reachable (start or unlock the Secret Service, or use the session where you logged in) and log out again".to_string();
        if done.is_empty() {
            return Err(AuthError::Keyring {
                account: account.to_string(),
                action: "cannot delete the token from the OS keyring",
                source,
                advice,
            });
        }
        notes.push(format!("Note: {source}. {advice}."));
    }
    if forget {
        let mut config = ConfigFile::load(&config_path)?;
        if config.accounts.remove(account).is_some() {
            config.save(&config_path)?;
            done.push(format!(
                "removed account '{account}' from {}",
                config_path.display()
            ));
        }
    }
    let mut text = if done.is_empty() {
        format!("Nothing was stored for account '{account}'.")
    } else {
        let mut t = done.join("; ");
        if let Some(first) = t.get(..1) {
            t = first.to_uppercase() + &t[1..];
        }
        t + "."
    };
    let prefix = accounts::env_prefix(account);
    if env.get(&format!("{prefix}IDENTIFIER")).is_some()
        || env.get(&format!("{prefix}KEY")).is_some()
    {
        notes.push(format!(
            "Note: {prefix}IDENTIFIER / {prefix}KEY are still set in the environment; unset them too."
        ));
    }
    for note in notes {
        text.push('\n');
        text.push_str(&note);
    }
    Ok(text)
}

// ---------------------------------------------------------------------------------------------
// status

/// One account as `auth status` shows it.
#[derive(Debug)]
pub struct AccountStatus {
    pub name: String,
    pub website_id: Option<String>,
    pub tier: Tier,
    /// The first 4 characters of the identifier, then `****`.
    pub identifier: Option<String>,
    pub source: Option<CredentialSource>,
    /// Why the keyring could not be asked, if it could not.
    pub keyring_error: Option<KeyringError>,
    /// Problems met while looking, worded for the user.
    pub notes: Vec<String>,
    /// With `--check`: who Crisp says this is, or why the call failed.
    pub check: Option<Result<String, CrispError>>,
}

/// The text of `crisp-repl auth status` (and `:accounts`): every account with its website id,
/// tier, masked identifier and where its secret comes from (env, keyring, file, demo, missing).
///
/// With `check = Some(options)` each account that has a token also makes its identity call
/// (`options` gives the timeouts; the base URL comes from the account). Reads the keyring, so
/// it may take up to the keyring timeout when the Secret Service does not answer.
pub fn status_report(accounts: &[Account], env: &Env, check: Option<&ClientOptions>) -> String {
    render_status(&collect_status(accounts, env, check))
}

/// The statuses behind [`status_report`].
pub fn collect_status(
    accounts: &[Account],
    env: &Env,
    check: Option<&ClientOptions>,
) -> Vec<AccountStatus> {
    accounts
        .iter()
        .map(|account| {
            let finding = credentials::find(account, env);
            let mut notes = Vec::new();
            if let Some(p) = &finding.partial_env {
                notes.push(p.clone());
            }
            if let Some(e) = &finding.keyring_error {
                notes.push(e.to_string());
            }
            if let Some(e) = &finding.file_error {
                notes.push(e.clone());
            }
            if let (Some((_, CredentialSource::File)), Some(path)) =
                (&finding.found, &finding.file_path)
            {
                notes.push(file::warning(path, &account.name));
            }
            let check = match (check, &finding.found, &account.website_id) {
                (Some(options), Some((creds, _)), Some(site)) => {
                    let options = ClientOptions {
                        base_url: account.base_url.clone(),
                        ..options.clone()
                    };
                    Some(
                        identity_call(&account.name, site, account.tier, creds, &options)
                            .map(|answer| describe_identity(&answer, account.tier)),
                    )
                }
                _ => None,
            };
            AccountStatus {
                name: account.name.clone(),
                website_id: account.website_id.clone(),
                tier: account.tier,
                identifier: finding.found.as_ref().map(|(c, _)| mask(&c.identifier)),
                source: finding.found.as_ref().map(|(_, s)| *s),
                keyring_error: finding.keyring_error.clone(),
                notes,
                check,
            }
        })
        .collect()
}

/// An aligned table, then one line per note.
pub fn render_status(statuses: &[AccountStatus]) -> String {
    let with_check = statuses.iter().any(|s| s.check.is_some());
    let mut rows: Vec<Vec<String>> =
        vec![["ACCOUNT", "WEBSITE ID", "TIER", "IDENTIFIER", "SECRET"]
            .iter()
            .map(|s| s.to_string())
            .collect()];
    if with_check {
        rows[0].push("CHECK".into());
    }
    let mut notes = Vec::new();
    for s in statuses {
        let mut row = vec![
            s.name.clone(),
            s.website_id.clone().unwrap_or_else(|| "-".into()),
            s.tier.to_string(),
            s.identifier.clone().unwrap_or_else(|| "-".into()),
            match (s.source, &s.keyring_error) {
                (Some(src), _) => src.as_str(),
                // The keyring could not be asked: the token may be there.
                (None, Some(_)) => "unknown",
                (None, None) => "missing",
            }
            .to_string(),
        ];
        if with_check {
            row.push(
                match &s.check {
                    None => "-",
                    Some(Ok(_)) => "ok",
                    Some(Err(_)) => "failed",
                }
                .into(),
            );
        }
        rows.push(row);
        match &s.check {
            Some(Ok(who)) => notes.push(format!("{}: connected as {who}", s.name)),
            Some(Err(e)) => notes.push(format!("{}: check failed: {e}", s.name)),
            None => {}
        }
        notes.extend(s.notes.iter().map(|n| format!("{}: {n}", s.name)));
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    for note in notes {
        out.push_str(&note);
        out.push('\n');
    }
    // The same advice for every account: give it once.
    if let Some(s) = statuses.iter().find(|s| s.keyring_error.is_some()) {
        if let Some(e) = &s.keyring_error {
            out.push_str(&format!(
                "keyring: {}\n",
                credentials::keyring_advice(e, &s.name)
            ));
        }
    }
    out.trim_end().to_string()
}

/// The exit status of `auth status --check`: 3 when Crisp refused a token, 1 when a check could
/// not be made, else 0.
pub fn status_exit(statuses: &[AccountStatus]) -> u8 {
    let errors = statuses
        .iter()
        .filter_map(|s| s.check.as_ref()?.as_ref().err());
    errors.fold(0, |worst, e| {
        worst.max(match e {
            CrispError::Api { .. } | CrispError::Malformed { .. } => 3,
            _ => 1,
        })
    })
}

fn status_command(
    check: bool,
    config_path: Option<PathBuf>,
    env: &Env,
) -> Result<(String, u8), AuthError> {
    let file = match config_path.clone().or_else(config::default_path) {
        Some(p) => ConfigFile::load(&p)?,
        None => ConfigFile::default(),
    };
    let accounts = accounts::resolve(&file, env).map_err(AuthError::Usage)?;
    let options = ClientOptions::default();
    let statuses = collect_status(&accounts, env, check.then_some(&options));
    Ok((render_status(&statuses), status_exit(&statuses)))
}

/// The first 4 characters, so accounts can be told apart without showing the identifier.
pub fn mask(identifier: &str) -> String {
    let head: String = identifier.chars().take(4).collect();
    format!("{head}****")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Scripted answers.
    struct Script(Vec<&'static str>);

    impl Prompts for Script {
        fn line(&mut self, _: &str) -> Result<Option<String>, AuthError> {
            Ok((!self.0.is_empty()).then(|| self.0.remove(0).to_string()))
        }
        fn secret(&mut self, p: &str) -> Result<Option<Secret>, AuthError> {
            Ok(self.line(p)?.map(Secret::new))
        }
        fn say(&mut self, _: &str) {}
    }

    #[test]
    fn masks_keep_four_characters() {
        assert_eq!(mask("5f0c7a2e-demo"), "5f0c****");
        assert_eq!(mask("ab"), "ab****");
        assert_eq!(mask("éèêëx"), "éèêë****");
    }

    #[test]
    fn prompts_use_defaults_and_retry_bad_answers() {
        let mut p = Script(vec!["", "nope", "User"]);
        assert_eq!(ask_website_id(&mut p, Some("w-1")).unwrap(), "w-1");
        assert_eq!(ask_tier(&mut p, Tier::Plugin).unwrap(), Tier::User);
        let mut p = Script(vec!["bad id!", "w-2"]);
        assert_eq!(ask_website_id(&mut p, None).unwrap(), "w-2");
        let mut p = Script(vec![]);
        assert!(matches!(
            ask_tier(&mut p, Tier::Plugin),
            Err(AuthError::Cancelled)
        ));
    }

    #[test]
    fn identities_read_well() {
        let user = json!({"data": {"nickname": "Ada L", "email": "ada@example.com"}});
        assert_eq!(
            describe_identity(&user, Tier::User),
            "Ada L <ada@example.com>"
        );
        let site = json!({"data": {"name": "Acme", "domain": "acme.test"}});
        assert_eq!(
            describe_identity(&site, Tier::Website),
            "website 'Acme' (acme.test)"
        );
        let plugin = json!({"data": {"plugin_id": "p-1"}});
        assert_eq!(describe_identity(&plugin, Tier::Plugin), "plugin p-1");
        assert_eq!(
            describe_identity(&json!({}), Tier::Plugin),
            "a plugin token"
        );
    }

    #[test]
    fn status_table_shows_sources_never_keys() {
        let statuses = vec![
            AccountStatus {
                name: "default".into(),
                website_id: None,
                tier: Tier::Plugin,
                identifier: None,
                source: None,
                keyring_error: None,
                notes: vec![],
                check: None,
            },
            AccountStatus {
                name: "support".into(),
                website_id: Some("w-1".into()),
                tier: Tier::User,
                identifier: Some(mask("abcdefgh")),
                source: Some(CredentialSource::Keyring),
                keyring_error: None,
                notes: vec!["a note".into()],
                check: Some(Ok("Ada".into())),
            },
        ];
        let text = render_status(&statuses);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("ACCOUNT  WEBSITE ID  TIER"), "{text}");
        assert!(lines[1].contains("missing"), "{text}");
        assert!(
            lines[2].contains("abcd****")
                && lines[2].contains("keyring")
                && lines[2].ends_with("ok"),
            "{text}"
        );
        assert!(
            text.contains("support: connected as Ada") && text.contains("support: a note"),
            "{text}"
        );
        assert!(!text.contains("efgh"));
        assert_eq!(status_exit(&statuses), 0);
    }

    #[test]
    fn bad_website_ids_are_refused() {
        assert!(check_website_id("8c1d4c35-5d7b-4b0a-9f51-2f3c9e8a7b10").is_ok());
        assert!(check_website_id("a/b").is_err());
        assert!(check_website_id("").is_err());
    }

    #[test]
    fn exit_statuses_follow_the_readme() {
        assert_eq!(AuthError::Usage("x".into()).exit_status(), 2);
        let rejected = AuthError::Rejected {
            account: "a".into(),
            source: CrispError::Api {
                status: 401,
                reason: "invalid_session".into(),
                hint: String::new(),
            },
        };
        assert_eq!(rejected.exit_status(), 3);
    }
}
