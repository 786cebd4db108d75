//! A deliberately misbehaving HTTP server for fault tests, written on raw `std::net` sockets so
//! it can do what no HTTP library will: reset mid-body, hang up after reading a request, drip,
//! stream without end, answer garbage. Loopback only; every loop is bounded in count and time,
//! and it stops by itself (at the latest after `LIFETIME`, or when dropped).
//!
//! Requests are answered in order from a script of `Step`s; once the script is used up, requests
//! get a healthy answer: relayed from an upstream demo server when there is one, else a canned
//! envelope. Also: `Conversation`, the real binary driven chunk by chunk through piped stdin.
//!
//! Include it with `#[path = "common/faulty.rs"] mod faulty;` (next to `mod common;`).

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// No server, connection or drip outlives this.
const LIFETIME: Duration = Duration::from_secs(60);
/// Connections accepted at most.
const MAX_CONNECTIONS: usize = 64;
/// A request head and body larger than this is refused (the client never sends one).
const MAX_REQUEST: usize = 1024 * 1024;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Step {
    /// The healthy answer (relayed upstream, or canned), as when the script is used up.
    Healthy,
    /// Answer with this status, extra headers and body (Content-Length set); keep the
    /// connection open for the next request.
    Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Write these bytes exactly, then close the connection (FIN), whatever they said.
    Raw(Vec<u8>),
    /// Write these bytes, then reset the connection (RST: the request is left unread, so the
    /// kernel resets instead of closing).
    Reset(Vec<u8>),
    /// Read the request, then close without a byte of answer (FIN).
    HangUp,
    /// Read the request and never answer; the connection is held at most this long.
    Silence(Duration),
    /// Answer status 200 with `body`, in `pieces` writes `every` apart.
    Drip {
        body: Vec<u8>,
        pieces: usize,
        every: Duration,
    },
    /// Write `head`, then body bytes without end (at most `max`) until the client goes away.
    Endless { head: Vec<u8>, max: u64 },
    /// Relay the request to the upstream server, let it do its work, then drop the connection
    /// without relaying a byte of its answer.
    ForwardThenHangUp,
}

impl Step {
    /// A JSON answer.
    pub fn json(status: u16, body: &str) -> Step {
        Step::bytes(status, body.as_bytes())
    }

    /// An answer with any bytes as its body.
    pub fn bytes(status: u16, body: &[u8]) -> Step {
        Step::Reply {
            status,
            headers: Vec::new(),
            body: body.to_vec(),
        }
    }

    /// A Crisp error envelope.
    pub fn envelope(status: u16, reason: &str) -> Step {
        Step::json(
            status,
            &format!(r#"{{"error":true,"reason":"{reason}","data":{{}}}}"#),
        )
    }

    /// Add a header to a `Reply`.
    pub fn header(mut self, name: &str, value: &str) -> Step {
        if let Step::Reply { headers, .. } = &mut self {
            headers.push((name.to_string(), value.to_string()));
        }
        self
    }
}

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The bytes exactly as they arrived.
    pub raw: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Shared {
    steps: Mutex<VecDeque<Step>>,
    requests: Mutex<Vec<Recorded>>,
    connections: AtomicUsize,
    upstream: Option<SocketAddr>,
    stop: AtomicBool,
    started: Instant,
}

impl Shared {
    fn over(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.started.elapsed() > LIFETIME
    }
}

pub struct FaultyServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl FaultyServer {
    /// A server on a free loopback port; healthy answers are canned envelopes.
    pub fn start(steps: Vec<Step>) -> FaultyServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        FaultyServer::on(listener, None, steps)
    }

    /// A server in front of `upstream` (the demo server): healthy requests are relayed to it.
    pub fn proxy(upstream: SocketAddr, steps: Vec<Step>) -> FaultyServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        FaultyServer::on(listener, Some(upstream), steps)
    }

    /// A server on a listener the test bound itself (e.g. on a port that refused before).
    pub fn on(
        listener: TcpListener,
        upstream: Option<SocketAddr>,
        steps: Vec<Step>,
    ) -> FaultyServer {
        let addr = listener.local_addr().expect("local addr");
        assert!(addr.ip().is_loopback(), "fault servers stay on loopback");
        let shared = Arc::new(Shared {
            steps: Mutex::new(steps.into()),
            requests: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            upstream,
            stop: AtomicBool::new(false),
            started: Instant::now(),
        });
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let acceptor = {
            let shared = shared.clone();
            std::thread::spawn(move || accept_loop(&listener, &shared))
        };
        FaultyServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base to put in CRISP_API_URL.
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Every request read so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.requests).clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Steps of the script not used yet.
    pub fn steps_left(&self) -> usize {
        lock(&self.shared.steps).len()
    }
}

impl Drop for FaultyServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    let mut handlers = Vec::new();
    while !shared.over() && handlers.len() < MAX_CONNECTIONS {
        match listener.accept() {
            Ok((stream, _)) => {
                shared.connections.fetch_add(1, Ordering::Relaxed);
                let shared = shared.clone();
                handlers.push(std::thread::spawn(move || serve(stream, &shared)));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => break,
        }
    }
    // Connections end on their own (client gone, stop, or LIFETIME).
    shared.stop.store(true, Ordering::Relaxed);
    for h in handlers {
        let _ = h.join();
    }
}

/// A request parsed from the front of `buf`, and its length in bytes.
fn parse_request(buf: &[u8]) -> Option<(Recorded, usize)> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..head_end]);
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let total = head_end + length;
    if buf.len() < total {
        return None;
    }
    Some((
        Recorded {
            method,
            path,
            headers,
            body: buf[head_end..total].to_vec(),
            raw: buf[..total].to_vec(),
        },
        total,
    ))
}

/// Peek (without consuming) until a whole request is visible; `None` when the client went
/// away or time ran out.
fn peek_request(stream: &TcpStream, shared: &Shared) -> Option<(Recorded, usize)> {
    let mut buf = vec![0u8; MAX_REQUEST];
    let mut last_seen = 0;
    while !shared.over() {
        match stream.peek(&mut buf) {
            Ok(0) => return None,
            Ok(n) => {
                if let Some(found) = parse_request(&buf[..n]) {
                    return Some(found);
                }
                if n == buf.len() {
                    return None;
                }
                if n == last_seen {
                    std::thread::sleep(Duration::from_millis(2));
                }
                last_seen = n;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return None,
        }
    }
    None
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        206 => "Partial Content",
        302 => "Found",
        307 => "Temporary Redirect",
        420 => "Enhance Your Calm",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn head(status: u16, headers: &[(String, String)], length: Option<usize>) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        out.push_str("Content-Type: application/json; charset=utf-8\r\n");
    }
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(n) = length {
        out.push_str(&format!("Content-Length: {n}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// A whole HTTP answer with a Content-Length, as bytes (for `Step::Raw` and `Step::Reset`).
pub fn response_bytes(status: u16, body: &str) -> Vec<u8> {
    let mut out = head(status, &[], Some(body.len()));
    out.extend_from_slice(body.as_bytes());
    out
}

/// The canned healthy answer: an empty list for list routes, a stored message for a POST, an
/// operator profile for everything else.
fn healthy(request: &Recorded) -> Vec<u8> {
    let path = request.path.split('?').next().unwrap_or("");
    let list = ["/conversations/", "/people/profiles/", "/campaigns/list/"]
        .iter()
        .any(|p| path.contains(p))
        || path.ends_with("/messages");
    let (status, body) = if request.method == "POST" {
        (
            202,
            r#"{"error":false,"reason":"dispatched","data":{"fingerprint":4242}}"#,
        )
    } else if list {
        (200, r#"{"error":false,"reason":"listed","data":[]}"#)
    } else {
        (
            200,
            r#"{"error":false,"reason":"resolved","data":{"email":"ok@example.com","first_name":"Healthy"}}"#,
        )
    };
    let mut out = head(status, &[], Some(body.len()));
    out.extend_from_slice(body.as_bytes());
    out
}

/// Send `request` to the upstream server and read its whole answer (bounded).
fn relay(upstream: SocketAddr, request: &Recorded) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect_timeout(&upstream, Duration::from_secs(5)).ok()?;
    up.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    up.write_all(&request.raw).ok()?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = up.read(&mut chunk).ok()?;
        if n == 0 {
            return Some(answer);
        }
        answer.extend_from_slice(&chunk[..n]);
        if answer.len() > 64 * 1024 * 1024 {
            return None;
        }
        // The demo answers with Content-Length: stop once it is all here.
        if let Some(head_end) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&answer[..head_end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            if let Some(length) = length {
                if answer.len() >= head_end + 4 + length {
                    return Some(answer);
                }
            }
            // Large answers (a page of 50 conversations) come chunked: the last chunk ends it.
            if head.contains("transfer-encoding: chunked") && answer.ends_with(b"\r\n0\r\n\r\n") {
                return Some(answer);
            }
        }
    }
}

fn serve(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    while let Some((request, length)) = peek_request(&stream, shared) {
        lock(&shared.requests).push(request.clone());
        let step = lock(&shared.steps).pop_front();
        if let Some(Step::Reset(bytes)) = &step {
            // The request is still unread: closing now makes the kernel send RST.
            let _ = stream.write_all(bytes);
            let _ = stream.flush();
            std::thread::sleep(Duration::from_millis(20));
            return;
        }
        let mut consumed = vec![0u8; length];
        if stream.read_exact(&mut consumed).is_err() {
            return;
        }
        match step {
            None | Some(Step::Healthy) => {
                let answer = match shared.upstream {
                    Some(up) => relay(up, &request),
                    None => Some(healthy(&request)),
                };
                match answer {
                    Some(bytes) if stream.write_all(&bytes).is_ok() => {}
                    _ => return,
                }
            }
            Some(Step::Reply {
                status,
                headers,
                body,
            }) => {
                let mut out = head(status, &headers, Some(body.len()));
                out.extend_from_slice(&body);
                if stream.write_all(&out).is_err() {
                    return;
                }
            }
            Some(Step::Reset(_)) => return,
            Some(Step::Raw(bytes)) => {
                let _ = stream.write_all(&bytes);
                let _ = stream.flush();
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            Some(Step::HangUp) => {
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            Some(Step::Silence(hold)) => {
                let until = Instant::now() + hold;
                let mut probe = [0u8; 1];
                // Hold until the client gives up (EOF), `hold` passes or the server stops.
                while Instant::now() < until && !shared.over() {
                    match stream.read(&mut probe) {
                        Ok(0) => return,
                        Ok(_) => {}
                        Err(e)
                            if matches!(
                                e.kind(),
                                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                            ) => {}
                        Err(_) => return,
                    }
                }
                return;
            }
            Some(Step::Drip {
                body,
                pieces,
                every,
            }) => {
                if stream.write_all(&head(200, &[], Some(body.len()))).is_err() {
                    return;
                }
                let size = body.len().div_ceil(pieces.max(1)).max(1);
                for piece in body.chunks(size) {
                    if shared.over() || stream.write_all(piece).is_err() {
                        return;
                    }
                    let _ = stream.flush();
                    std::thread::sleep(every);
                }
            }
            Some(Step::Endless { head, max }) => {
                if stream.write_all(&head).is_err() {
                    return;
                }
                let block = [b' '; 64 * 1024];
                let mut sent = 0u64;
                while sent < max && !shared.over() {
                    if stream.write_all(&block).is_err() {
                        break;
                    }
                    sent += block.len() as u64;
                }
                return;
            }
            Some(Step::ForwardThenHangUp) => {
                if let Some(up) = shared.upstream {
                    let _ = relay(up, &request);
                }
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
        }
        let _ = stream.flush();
    }
}

/// The default account pointed at `url` with the demo's user token.
pub fn with_account(cmd: &mut Command, url: &str) {
    let token = crisp_repl::demo::demo_token(crisp_repl::crisp::Tier::User);
    cmd.env("CRISP_API_URL", url)
        .env("CRISP_WEBSITE_ID", crisp_repl::demo::DEMO_WEBSITE_ID)
        .env("CRISP_IDENTIFIER", token.identifier)
        .env("CRISP_KEY", token.key)
        .env("CRISP_TIER", "user");
}

/// The binary in `--json` mode fed chunk by chunk through piped stdin: each chunk is evaluated
/// as soon as it is whole and answers one JSON line, so a test can act between two calls.
pub struct Conversation {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl Conversation {
    pub fn start(mut cmd: Command) -> Conversation {
        let mut child = cmd
            .arg("--json")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Conversation {
            child,
            stdin,
            lines,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Evaluate one chunk and return its JSON line.
    pub fn eval(&mut self, chunk: &str) -> serde_json::Value {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(format!("{chunk}\n").as_bytes())
            .and_then(|_| stdin.flush())
            .expect("write to the binary");
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(60))
            .expect("an answer line within 60 s");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// Close stdin and wait: (exit status, stderr).
    pub fn finish(mut self) -> (i32, String) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let output = self.child.wait_with_output().expect("wait");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

/// Peak resident memory of a running process in KiB (Linux: VmHWM).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
