//! Everything that can go wrong talking to Crisp, each with the words a user needs to act.

use std::time::Duration;

/// A failed Crisp call. `Display` is the full message shown to the user (without the function
/// name, which the Lua layer prefixes).
#[derive(Debug, thiserror::Error)]
pub enum CrispError {
    /// Parameters refused before any request.
    #[error("{0}")]
    Invalid(String),

    /// No credentials for the account; `help` says which variables or command provide them.
    #[error("account '{account}' is not set up: {help}")]
    MissingCredentials { account: String, help: String },

    /// Crisp answered with an error envelope or an error status.
    #[error("HTTP {status} {reason}: {hint}")]
    Api {
        status: u16,
        reason: String,
        hint: String,
    },

    /// The connection could not be made (nothing was sent).
    #[error("could not connect to {url}: {detail}. Check the network and CRISP_API_URL.")]
    Connect { url: String, detail: String },

    /// The request went out but the answer was lost; for writes the change may have happened.
    #[error("{0}")]
    Transport(String),

    /// No answer in time.
    #[error("no answer from {url} within {}s ({detail}); the request was abandoned. Raise the timeout with --timeout SECS or try again.", .after.as_secs_f64())]
    Timeout {
        url: String,
        after: Duration,
        detail: String,
    },

    /// A body that is not the `{error, reason, data}` JSON envelope.
    #[error("Crisp answered HTTP {status} with a body that is not the expected JSON envelope ({problem}); it starts with: {snippet}")]
    Malformed {
        status: u16,
        problem: String,
        snippet: String,
    },

    /// A body larger than the configured limit (memory stays bounded).
    #[error("the response from {url} is larger than {limit} bytes and was refused")]
    TooLarge { url: String, limit: u64 },

    /// A write refused by `--read-only`.
    #[error("refused: this session is read-only (--read-only), and {0} changes data in Crisp; start without --read-only to send")]
    ReadOnly(String),

    /// Ctrl-C while the request was in flight.
    #[error("interrupted: the request was abandoned")]
    Interrupted,
}

impl CrispError {
    /// The HTTP status, when Crisp answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            CrispError::Api { status, .. } | CrispError::Malformed { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Crisp's `reason` word, when it gave one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            CrispError::Api { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// The error family, as the JSON protocol names it.
    pub fn kind(&self) -> &'static str {
        match self {
            CrispError::Invalid(_) | CrispError::ReadOnly(_) => "validation",
            CrispError::MissingCredentials { .. } => "auth",
            CrispError::Api { status: 401, .. } => "auth",
            CrispError::Api { reason, .. } if reason == "restricted_route_tier" => "auth",
            CrispError::Timeout { .. } => "timeout",
            CrispError::Interrupted => "interrupted",
            _ => "http",
        }
    }
}

/// Redacts itself in every formatting path, so a secret cannot leak through `{:?}` or `{}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The only way to the value; grep for it to audit where secrets go.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_format() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "[redacted] Secret([redacted])");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn kinds_follow_the_protocol() {
        let api = |status, reason: &str| CrispError::Api {
            status,
            reason: reason.into(),
            hint: String::new(),
        };
        assert_eq!(api(401, "invalid_session").kind(), "auth");
        assert_eq!(api(403, "restricted_route_tier").kind(), "auth");
        assert_eq!(api(404, "not_found").kind(), "http");
        assert_eq!(CrispError::Invalid("x".into()).kind(), "validation");
        assert_eq!(api(404, "not_found").status(), Some(404));
        assert_eq!(api(404, "not_found").reason(), Some("not_found"));
    }
}
