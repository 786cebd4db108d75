//! A real, private Secret Service for tests: a D-Bus session bus of our own (with no service
//! activation, so nothing from the host gets started on it) and gnome-keyring-daemon unlocked
//! with a non-empty password (with an empty one it creates no usable collection), all in a
//! temporary directory that is removed afterwards.
//!
//! Missing tools are a loud failure, never a skipped test: CI installs them with `.ci/run`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOOLS: [&str; 4] = [
    "dbus-daemon",
    "dbus-send",
    "gnome-keyring-daemon",
    "secret-tool",
];

/// Panic, naming what to install, unless every tool the harness runs is on PATH.
pub fn require_tools() {
    let missing: Vec<&str> = TOOLS
        .iter()
        .copied()
        .filter(|t| find_in_path(t).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "\n\nThe keyring tests run against a real Secret Service and need {missing:?} on PATH.\n\
         Run .ci/run (it installs the Debian packages dbus, dbus-x11, gnome-keyring and\n\
         libsecret-tools), or: apt-get install dbus dbus-x11 gnome-keyring libsecret-tools\n"
    );
}

fn find_in_path(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(tool))
            .find(|p| p.is_file())
    })
}

/// A private D-Bus session bus.
pub struct PrivateBus {
    pub dir: tempfile::TempDir,
    /// The value for DBUS_SESSION_BUS_ADDRESS.
    pub address: String,
    daemon: Child,
}

impl PrivateBus {
    pub fn start() -> PrivateBus {
        require_tools();
        let dir = tempfile::Builder::new()
            .prefix("crisp-bus")
            .tempdir()
            .expect("temp dir for the bus");
        let socket = dir.path().join("bus");
        // A session bus that allows everything and activates nothing.
        let config = format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            socket.display()
        );
        let config_path = dir.path().join("bus.conf");
        std::fs::write(&config_path, config).expect("bus config written");
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config_path.display()))
            .args(["--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dbus-daemon starts");
        let mut line = String::new();
        if let Some(out) = daemon.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        let address = line.trim().to_string();
        if address.is_empty() {
            let _ = daemon.kill();
            let mut err = String::new();
            if let Some(mut e) = daemon.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("dbus-daemon printed no address; its stderr:\n{err}");
        }
        PrivateBus {
            dir,
            address,
            daemon,
        }
    }

    /// Whether `name` has an owner on this bus.
    pub fn has_owner(&self, name: &str) -> bool {
        let out = Command::new("dbus-send")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
            ])
            .arg(format!("string:{name}"))
            .output()
            .expect("dbus-send runs");
        String::from_utf8_lossy(&out.stdout).contains("boolean true")
    }

    /// A directory for XDG_RUNTIME_DIR that holds no `bus` socket of the host.
    pub fn runtime_dir(&self) -> PathBuf {
        let dir = self.dir.path().join("run");
        std::fs::create_dir_all(&dir).expect("runtime dir");
        set_mode(&dir, 0o700);
        dir
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// gnome-keyring-daemon's Secret Service on a private bus, unlocked.
pub struct SecretService {
    pub bus: PrivateBus,
    keyring: Child,
}

/// The password the test keyring is unlocked with; never a crisp secret.
const KEYRING_PASSWORD: &str = "test-keyring-password";

impl SecretService {
    /// Unlocked with a password: a login keyring that is the default collection.
    pub fn start() -> SecretService {
        SecretService::start_with(true)
    }

    /// Never unlocked: no usable collection, as on a machine where nobody unlocked the keyring.
    pub fn start_locked() -> SecretService {
        SecretService::start_with(false)
    }

    fn start_with(unlock: bool) -> SecretService {
        let bus = PrivateBus::start();
        let home = bus.dir.path().join("home");
        std::fs::create_dir_all(home.join("data")).expect("keyring home");
        let runtime = bus.runtime_dir();
        let mut args = vec!["--foreground", "--components=secrets"];
        if unlock {
            args.push("--unlock");
        }
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(&args)
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gnome-keyring-daemon starts");
        // --unlock reads the password from stdin up to its end.
        if let Some(mut stdin) = keyring.stdin.take() {
            if unlock {
                stdin
                    .write_all(KEYRING_PASSWORD.as_bytes())
                    .expect("password written to gnome-keyring-daemon");
            }
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while !bus.has_owner("org.freedesktop.secrets") {
            if let Ok(Some(status)) = keyring.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = keyring.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("gnome-keyring-daemon exited ({status}) before serving secrets:\n{err}");
            }
            assert!(
                Instant::now() < deadline,
                "gnome-keyring-daemon did not take org.freedesktop.secrets within 15 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        SecretService { bus, keyring }
    }

    /// Point `cmd` at this Secret Service.
    pub fn apply(&self, cmd: &mut assert_cmd::Command) {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &self.bus.address)
            .env("XDG_RUNTIME_DIR", self.bus.runtime_dir());
    }

    /// Stop the daemon (SIGSTOP): it keeps its bus name and never answers again.
    pub fn freeze(&self) {
        signal(self.keyring.id(), "STOP");
    }

    /// What the Secret Service holds for service `crisp-repl`, user `account`, read with
    /// libsecret's own tool: an independent check that the binary really stored it there.
    pub fn stored_secret(&self, account: &str) -> Option<String> {
        let out = Command::new("secret-tool")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus.address)
            .args(["lookup", "service", "crisp-repl", "username", account])
            .stdin(Stdio::null())
            .output()
            .expect("secret-tool runs");
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (out.status.success() && !text.is_empty()).then_some(text)
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        // SIGKILL ends a stopped process too.
        let _ = self.keyring.kill();
        let _ = self.keyring.wait();
    }
}

fn signal(pid: u32, name: &str) {
    // The shell's builtin kill, so no extra package or crate is needed.
    let status = Command::new("sh")
        .args(["-c", "kill -s \"$0\" \"$1\"", name, &pid.to_string()])
        .status()
        .expect("sh runs");
    assert!(status.success(), "kill -s {name} {pid} failed");
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
