//! The OS keyring (Keychain, Credential Manager, Secret Service) through the `keyring` crate.
//!
//! Every call runs on a helper thread and is abandoned after a timeout: a Secret Service that
//! never answers (a frozen daemon, a prompt nobody can see) must not hang the REPL. The entry
//! is service `crisp-repl`, user = the account name; its secret is a small JSON object with
//! the identifier and the key.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use crate::crisp::client::Credentials;
use crate::crisp::error::Secret;

/// The keyring service name every entry is stored under.
pub const SERVICE: &str = "crisp-repl";

/// Overrides the timeout (milliseconds), mainly for tests.
pub const TIMEOUT_VAR: &str = "CRISP_REPL_KEYRING_TIMEOUT_MS";

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// Calls that timed out and whose helper thread is still blocked. While one is, new calls fail
/// at once instead of queueing behind it (the store serialises access, so they would block too).
static ABANDONED: AtomicUsize = AtomicUsize::new(0);

/// Why the keyring could not be used. Messages never contain secret material.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KeyringError {
    /// No keyring at all: no D-Bus session, no Secret Service, an unsupported platform.
    #[error("no OS keyring is reachable ({reason})")]
    Unavailable { reason: String },
    /// The keyring is there but locked, or refused access.
    #[error("the OS keyring is locked or refused access ({reason})")]
    Locked { reason: String },
    /// The keyring did not answer in time.
    #[error("the OS keyring did not answer within {} ms{}", .after.as_millis(), if *.earlier { " (an earlier request is still waiting for it)" } else { "" })]
    Timeout { after: Duration, earlier: bool },
    /// Any other failure of the keyring.
    #[error("the OS keyring failed ({reason})")]
    Failed { reason: String },
    /// An entry under our service name that is not a token we wrote.
    #[error("the keyring entry for account '{account}' is not a crisp-repl token")]
    Corrupt { account: String },
}

/// The timeout for one keyring call.
pub fn timeout() -> Duration {
    std::env::var(TIMEOUT_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_TIMEOUT)
}

/// The token stored for `account`, or `None` when there is no entry.
pub fn get(account: &str) -> Result<Option<Credentials>, KeyringError> {
    let user = account.to_string();
    let raw = run(move || match entry(&user)?.get_password() {
        Ok(p) => Ok(Some(Secret::new(p))),
        Err(::keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(e),
    })?;
    match raw {
        None => Ok(None),
        Some(raw) => decode(raw.expose())
            .map(Some)
            .ok_or_else(|| KeyringError::Corrupt {
                account: account.to_string(),
            }),
    }
}

/// Store (or replace) the token of `account`.
pub fn set(account: &str, credentials: &Credentials) -> Result<(), KeyringError> {
    let user = account.to_string();
    let blob = encode(credentials);
    run(move || entry(&user)?.set_password(blob.expose()))
}

/// Delete the token of `account`; `false` when there was none.
pub fn delete(account: &str) -> Result<bool, KeyringError> {
    let user = account.to_string();
    run(move || match entry(&user)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(::keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(e),
    })
}

fn entry(user: &str) -> Result<::keyring::Entry, ::keyring::Error> {
    // Entry::new only says NoDefaultStore when the store failed to start; the reason is here.
    if let Err(e) = ::keyring::Entry::store_status() {
        return Err(store_failure(e));
    }
    ::keyring::Entry::new(SERVICE, user)
}

/// `store_status` hands out a reference; rebuild an owned error carrying its message.
fn store_failure(e: &::keyring::Error) -> ::keyring::Error {
    ::keyring::Error::NoStorageAccess(format!("the keyring could not start: {e}").into())
}

fn encode(credentials: &Credentials) -> Secret {
    Secret::new(
        serde_json::json!({
            "identifier": credentials.identifier,
            "key": credentials.key.expose(),
        })
        .to_string(),
    )
}

fn decode(blob: &str) -> Option<Credentials> {
    let value: serde_json::Value = serde_json::from_str(blob).ok()?;
    let identifier = value.get("identifier")?.as_str()?.trim();
    let key = value.get("key")?.as_str()?.trim();
    if identifier.is_empty() || key.is_empty() {
        return None;
    }
    Some(Credentials {
        identifier: identifier.to_string(),
        key: Secret::new(key),
    })
}

/// Where the helper thread and the caller meet; the mutex settles the race between the
/// thread finishing and the caller giving up.
#[derive(Default)]
struct Handoff {
    finished: bool,
    abandoned: bool,
}

/// Run `op` on a helper thread, waiting at most `timeout()`.
fn run<T: Send + 'static>(
    op: impl FnOnce() -> Result<T, ::keyring::Error> + Send + 'static,
) -> Result<T, KeyringError> {
    run_limited(timeout(), op)
}

fn run_limited<T: Send + 'static>(
    limit: Duration,
    op: impl FnOnce() -> Result<T, ::keyring::Error> + Send + 'static,
) -> Result<T, KeyringError> {
    if ABANDONED.load(Ordering::SeqCst) > 0 {
        return Err(KeyringError::Timeout {
            after: limit,
            earlier: true,
        });
    }
    let handoff = Arc::new(Mutex::new(Handoff::default()));
    let (tx, rx) = mpsc::channel();
    let thread_handoff = handoff.clone();
    let spawned = std::thread::Builder::new()
        .name("keyring".into())
        .spawn(move || {
            // Map inside the thread: keyring errors may hold secret bytes and must not travel.
            let result = op().map_err(|e| classify(&e));
            let _ = tx.send(result);
            let mut h = lock(&thread_handoff);
            h.finished = true;
            if h.abandoned {
                ABANDONED.fetch_sub(1, Ordering::SeqCst);
            }
        });
    if let Err(e) = spawned {
        return Err(KeyringError::Failed {
            reason: format!("cannot start a thread for it: {e}"),
        });
    }
    match rx.recv_timeout(limit) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(KeyringError::Failed {
            reason: "the keyring call stopped without an answer".into(),
        }),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            let mut h = lock(&handoff);
            if h.finished {
                // It answered just now: take the answer after all.
                return rx.try_recv().unwrap_or(Err(KeyringError::Timeout {
                    after: limit,
                    earlier: false,
                }));
            }
            h.abandoned = true;
            ABANDONED.fetch_add(1, Ordering::SeqCst);
            Err(KeyringError::Timeout {
                after: limit,
                earlier: false,
            })
        }
    }
}

fn lock(m: &Mutex<Handoff>) -> std::sync::MutexGuard<'_, Handoff> {
    // A poisoned handoff still holds valid flags.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Turn a keyring error into ours, keeping the platform's words but never its data.
fn classify(e: &::keyring::Error) -> KeyringError {
    use ::keyring::Error as E;
    match e {
        E::NoStorageAccess(inner) => {
            let reason = inner.to_string();
            if reason.starts_with("the keyring could not start") {
                KeyringError::Unavailable {
                    reason: explain_unavailable(&reason),
                }
            } else {
                KeyringError::Locked { reason }
            }
        }
        E::PlatformFailure(inner) => {
            let reason = inner.to_string();
            if looks_unreachable(&reason) {
                KeyringError::Unavailable {
                    reason: explain_unavailable(&reason),
                }
            } else {
                KeyringError::Failed { reason }
            }
        }
        E::NoDefaultStore => KeyringError::Unavailable {
            reason: "this platform has no supported keyring".into(),
        },
        E::Invalid(what, why) => KeyringError::Failed {
            reason: format!("{what}: {why}"),
        },
        E::Ambiguous(items) => KeyringError::Failed {
            reason: format!(
                "{} entries match service '{SERVICE}'; delete the extra ones with your keyring tool",
                items.len()
            ),
        },
        // BadEncoding and BadDataFormat carry the stored bytes: say nothing of them.
        E::BadEncoding(_) | E::BadDataFormat(..) => KeyringError::Failed {
            reason: "the stored entry is not readable text".into(),
        },
        E::TooLong(what, limit) => KeyringError::Failed {
            reason: format!("{what} is longer than the keyring allows ({limit})"),
        },
        other => KeyringError::Failed {
            reason: match other {
                E::BadStoreFormat(r) | E::NotSupportedByStore(r) => r.clone(),
                E::NoEntry => "no entry".into(),
                _ => "unexpected keyring error".into(),
            },
        },
    }
}

/// Connection failures: no bus, nobody owning org.freedesktop.secrets, a dead socket.
fn looks_unreachable(reason: &str) -> bool {
    [
        "ServiceUnknown",
        "NameHasNoOwner",
        "was not provided by any .service files",
        "No such file or directory",
        "Connection refused",
        "no secret service provider",
    ]
    .iter()
    .any(|needle| reason.contains(needle))
}

/// Add what is most likely wrong on this machine to the platform's words.
fn explain_unavailable(reason: &str) -> String {
    if cfg!(all(unix, not(target_os = "macos"))) {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|v| v.is_empty()) {
            return "no D-Bus session: DBUS_SESSION_BUS_ADDRESS is not set, as is usual over ssh, in containers and on headless servers".into();
        }
        if reason.contains("ServiceUnknown")
            || reason.contains("NameHasNoOwner")
            || reason.contains("was not provided")
        {
            return "the D-Bus session has no Secret Service (org.freedesktop.secrets): no gnome-keyring-daemon, KeePassXC or similar is running".into();
        }
        return format!("cannot reach the Secret Service on the D-Bus session: {reason}");
    }
    reason.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_blob_round_trips_and_rejects_foreign_entries() {
        let creds = Credentials {
            identifier: "id-1".into(),
            key: Secret::new("k\"ey"),
        };
        let back = decode(encode(&creds).expose()).unwrap();
        assert_eq!(back.identifier, "id-1");
        assert_eq!(back.key.expose(), "k\"ey");
        assert!(decode("hunter2").is_none());
        assert!(decode(r#"{"identifier":"x"}"#).is_none());
        assert!(decode(r#"{"identifier":" ","key":"k"}"#).is_none());
    }

    #[test]
    fn platform_bytes_never_reach_messages() {
        let e = classify(&::keyring::Error::BadEncoding(b"sekrit".to_vec()));
        assert!(!format!("{e} {e:?}").contains("sekrit"));
    }

    #[test]
    fn slow_calls_time_out_and_block_later_calls_until_they_end() {
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let started = std::time::Instant::now();
        let err = run_limited(Duration::from_millis(100), move || {
            let _ = release_rx.recv();
            Ok(())
        })
        .unwrap_err();
        assert!(
            matches!(err, KeyringError::Timeout { earlier: false, .. }),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        let err = run_limited(Duration::from_millis(100), || Ok(())).unwrap_err();
        assert!(
            matches!(err, KeyringError::Timeout { earlier: true, .. }),
            "{err}"
        );
        release_tx.send(()).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while ABANDONED.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            run_limited(Duration::from_millis(500), || Ok(7)).unwrap(),
            7
        );
    }
}
