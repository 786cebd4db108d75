//! `--insecure-storage`: tokens in a plain-text file (mode 0600) next to config.toml, for
//! machines with no usable keyring. Every use prints a warning.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::crisp::client::Credentials;
use crate::crisp::error::Secret;

/// The file's name, in the config file's directory.
pub const FILE_NAME: &str = "credentials.toml";

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read the credentials file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    // The parser's message could quote a line of the file, so only the line number is given.
    #[error("the credentials file {path} is not valid (near line {line}); fix it, or delete it and log in again")]
    Parse { path: PathBuf, line: usize },
    #[error("cannot write the credentials file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// No `Debug`: it holds keys.
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Contents {
    #[serde(default)]
    accounts: BTreeMap<String, Entry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    identifier: String,
    key: String,
}

/// The insecure file for the config file at `config_path`.
pub fn path_for(config_path: &Path) -> PathBuf {
    config_path.with_file_name(FILE_NAME)
}

/// The token stored for `account`, if any. A missing file holds nothing.
pub fn get(path: &Path, account: &str) -> Result<Option<Credentials>, FileError> {
    let contents = load(path)?;
    Ok(contents.accounts.get(account).and_then(|e| {
        let (identifier, key) = (e.identifier.trim(), e.key.trim());
        (!identifier.is_empty() && !key.is_empty()).then(|| Credentials {
            identifier: identifier.to_string(),
            key: Secret::new(key),
        })
    }))
}

/// Store (or replace) the token of `account`.
pub fn set(path: &Path, account: &str, credentials: &Credentials) -> Result<(), FileError> {
    let mut contents = load(path)?;
    contents.accounts.insert(
        account.to_string(),
        Entry {
            identifier: credentials.identifier.clone(),
            key: credentials.key.expose().to_string(),
        },
    );
    save(path, &contents)
}

/// Remove the token of `account`; `false` when there was none. An emptied file is deleted.
pub fn remove(path: &Path, account: &str) -> Result<bool, FileError> {
    if !path.exists() {
        return Ok(false);
    }
    let mut contents = load(path)?;
    if contents.accounts.remove(account).is_none() {
        return Ok(false);
    }
    if contents.accounts.is_empty() {
        std::fs::remove_file(path).map_err(|source| FileError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        return Ok(true);
    }
    save(path, &contents).map(|()| true)
}

/// The warning printed each time a token is read from (or written to) the file.
pub fn warning(path: &Path, account: &str) -> String {
    let mut text = format!(
        "warning: account '{account}' uses a token stored in plain text in {} (--insecure-storage); anyone who can read that file can use it. Prefer the OS keyring: `crisp-repl auth login --account {account}`",
        path.display()
    );
    if let Some(mode) = loose_mode(path) {
        text.push_str(&format!(
            ". The file is readable by others (mode {mode:o}): run `chmod 600 {}`",
            path.display()
        ));
    }
    text
}

/// The file's permission bits when group or others may read it.
fn loose_mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

fn load(path: &Path) -> Result<Contents, FileError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Contents::default()),
        Err(source) => {
            return Err(FileError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    toml::from_str(&text).map_err(|e| FileError::Parse {
        path: path.to_path_buf(),
        line: e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
            .unwrap_or(1),
    })
}

/// Write to a fresh 0600 temp file, then rename: the secret is never in a wider-open file.
fn save(path: &Path, contents: &Contents) -> Result<(), FileError> {
    let write_err = |source| FileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let body = toml::to_string_pretty(contents)
        .map_err(|e| write_err(std::io::Error::other(e.to_string())))?;
    let text = format!(
        "# crisp-repl tokens stored with --insecure-storage, in plain text.\n# Anyone who can read this file can use them. Prefer the OS keyring.\n{body}"
    );
    crate::private_fs::write_atomic(path, &text).map_err(write_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(id: &str, key: &str) -> Credentials {
        Credentials {
            identifier: id.into(),
            key: Secret::new(key),
        }
    }

    #[test]
    fn set_get_remove() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(&dir.path().join("cfg/config.toml"));
        assert!(path.ends_with("cfg/credentials.toml"));
        assert!(get(&path, "a").unwrap().is_none());
        set(&path, "a", &creds("id-a", "key-a")).unwrap();
        set(&path, "b", &creds("id-b", "key-b")).unwrap();
        let a = get(&path, "a").unwrap().unwrap();
        assert_eq!((a.identifier.as_str(), a.key.expose()), ("id-a", "key-a"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(!warning(&path, "a").contains("chmod"));
        assert!(remove(&path, "a").unwrap());
        assert!(!remove(&path, "a").unwrap());
        assert!(remove(&path, "b").unwrap());
        assert!(!path.exists(), "an emptied file is deleted");
    }

    #[test]
    fn parse_errors_do_not_quote_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(
            &path,
            "[accounts.a]\nidentifier = \"x\"\nkey = sekrit-unquoted\n",
        )
        .unwrap();
        let err = get(&path, "a").unwrap_err().to_string();
        assert!(!err.contains("sekrit"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn loose_permissions_are_called_out() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        set(&path, "a", &creds("i", "k")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(warning(&path, "a").contains("chmod 600"));
    }
}
