//! Shared test helpers: an in-process demo Crisp on loopback and the real binary run
//! hermetically (temporary HOME and config dirs, no CRISP_* from the outside).

#![allow(dead_code)]

use std::path::Path;

use assert_cmd::Command;
use crisp_repl::crisp::Tier;
use crisp_repl::demo::{demo_token, DemoServer, DEMO_WEBSITE_ID};

pub struct Harness {
    pub server: DemoServer,
    pub home: tempfile::TempDir,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_size(crisp_repl::demo::seed::DEFAULT_CONVERSATIONS)
    }

    pub fn with_size(conversations: usize) -> Harness {
        Harness {
            server: DemoServer::start("127.0.0.1:0", conversations).expect("demo server starts"),
            home: tempfile::tempdir().expect("temp home"),
        }
    }

    /// The binary with no credentials at all.
    pub fn bare(&self) -> Command {
        bare_command(self.home.path())
    }

    /// The binary with the default account pointed at the demo server with a `tier` token.
    pub fn cmd_as(&self, tier: Tier) -> Command {
        let token = demo_token(tier);
        let mut cmd = self.bare();
        cmd.env("CRISP_API_URL", self.server.url())
            .env("CRISP_WEBSITE_ID", DEMO_WEBSITE_ID)
            .env("CRISP_IDENTIFIER", token.identifier)
            .env("CRISP_KEY", token.key)
            .env("CRISP_TIER", tier.as_str());
        cmd
    }

    /// The binary as the demo's user-tier operator.
    pub fn cmd(&self) -> Command {
        self.cmd_as(Tier::User)
    }

    /// Requests whose path contains `part`.
    pub fn requests_to(&self, part: &str) -> Vec<crisp_repl::demo::RecordedRequest> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.path.contains(part))
            .collect()
    }
}

/// The binary as a `std::process::Command` with a hermetic environment: temporary HOME and
/// config/data dirs, no CRISP_*, colour or pager settings from outside, no reachable keyring.
pub fn hermetic(home: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_crisp-repl"));
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().to_string();
        if key.starts_with("CRISP") || key.contains("COLOR") || key == "PAGER" {
            cmd.env_remove(&key);
        }
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env(
            "CRISP_REPL_CONFIG",
            home.join("config/crisp-repl/config.toml"),
        )
        // No keyring reachable unless a test sets one up.
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        // Without the variable, D-Bus clients try $XDG_RUNTIME_DIR/bus: point it at nothing.
        .env("XDG_RUNTIME_DIR", home.join("no-runtime"));
    cmd
}

/// `hermetic` as an assert_cmd Command, with a time limit.
pub fn bare_command(home: &Path) -> Command {
    let mut cmd = Command::from_std(hermetic(home));
    cmd.timeout(std::time::Duration::from_secs(60));
    cmd
}

/// stdout of a successful run.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "failed ({:?}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// (status, stdout, stderr) of any run.
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
