//! The HTTP client for one Crisp account: auth headers, the envelope, retries, timeouts.
//!
//! It knows nothing about Lua. One `ureq::Agent` per account keeps connections alive across calls.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use serde_json::Value;

use crate::tape::{Json, Tape};

use super::error::{CrispError, Secret};
use super::Tier;

/// How long and how hard to try.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The API base, ending in `/v1` (no trailing slash needed).
    pub base_url: String,
    pub connect_timeout: Duration,
    /// Whole-request timeout (connect, send, answer and body).
    pub timeout: Duration,
    /// Larger bodies are refused, so memory stays bounded.
    pub max_body_bytes: u64,
    /// At most this many retries after the first try.
    pub max_retries: u32,
    /// First backoff delay; doubled each retry, with jitter.
    pub retry_base: Duration,
    /// A Retry-After longer than this is not waited for: the error says when to come back.
    pub max_retry_after: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            base_url: DEFAULT_BASE_URL.to_string(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 32 * 1024 * 1024,
            max_retries: 3,
            retry_base: Duration::from_millis(250),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

pub const DEFAULT_BASE_URL: &str = "https://api.crisp.chat/v1";

/// Identifier and key of a Crisp token.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub identifier: String,
    pub key: Secret,
}

/// One finished HTTP exchange, for `:verbose` and `:last`. Never holds credentials.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: &'static str,
    /// Path and query relative to the host, e.g. `/v1/website/…/conversations/1?per_page=20`.
    pub path: String,
    /// `None` when no answer came.
    pub status: Option<u16>,
    pub elapsed: Duration,
    /// The first bytes of the answer (or the error).
    pub body_head: String,
    /// The retry number (0 = first try).
    pub attempt: u32,
}

/// Called after every exchange (including retried ones).
pub type Observer = Arc<dyn Fn(&Exchange) + Send + Sync>;

/// A successful answer: the HTTP status (200 or 206 matter) and the parsed envelope.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub envelope: Tape,
}

impl Answer {
    /// The envelope's `data`; `None` when it is missing.
    pub fn data(&self) -> Option<Json<'_>> {
        self.envelope.root().get("data")
    }

    /// `data` as a `serde_json::Value` (null when missing), for results shaped in Rust.
    pub fn data_value(&self) -> Value {
        self.data().map_or(Value::Null, |d| d.to_value())
    }
}

/// The client of one account.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    options: ClientOptions,
    auth_header: Secret,
    tier: Tier,
    observer: Option<Observer>,
    cancel: Option<Arc<AtomicBool>>,
    /// Idle request threads, when requests can be cancelled (shared by clones).
    threads: Arc<RequestThreads>,
    /// The token's secret forms (the key, the Basic credentials), cut out of every answer.
    secrets: SecretFinders,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.options.base_url)
            .field("tier", &self.tier)
            .finish_non_exhaustive()
    }
}

/// Requests this process has sent (every try counts), for progress reports of long work.
static REQUESTS_SENT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many requests this process has sent so far, retries included.
pub fn requests_sent() -> u64 {
    REQUESTS_SENT.load(Ordering::Relaxed)
}

/// The HTTP methods Crisp's REST API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub const ALL: [Method; 6] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// GET and HEAD only read; every other method may change data.
    pub fn writes(self) -> bool {
        !matches!(self, Method::Get | Method::Head)
    }
}

/// Threads that run a cancellable client's requests, kept between calls: starting one per
/// request cost a thread spawn on every call. A request abandoned by Ctrl-C keeps its thread
/// until it ends, and the next call takes another one, so it never waits behind it.
#[derive(Debug, Default)]
struct RequestThreads {
    idle: std::sync::Mutex<Vec<RequestThread>>,
    started: std::sync::atomic::AtomicUsize,
}

impl RequestThreads {
    fn take(&self) -> Option<RequestThread> {
        self.idle.lock().ok()?.pop()
    }

    fn put_back(&self, thread: RequestThread) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(thread);
        }
    }
}

/// An idle request thread: it runs the jobs sent to it, one at a time, until the sender goes.
#[derive(Debug)]
struct RequestThread {
    jobs: mpsc::Sender<Job>,
}

struct Job {
    method: Method,
    url: String,
    body: Option<String>,
    timeout: Duration,
    reply: mpsc::Sender<Attempt>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// What one attempt produced, before retry decisions.
enum Attempt {
    Answer {
        status: u16,
        retry_after: Option<Duration>,
        body: Vec<u8>,
    },
    /// Failed before anything was written: always safe to retry.
    NotSent(CrispError),
    /// Failed after the request may have reached the server.
    Lost(CrispError),
    /// Refused locally, before sending: never retried.
    Local(CrispError),
}

impl Client {
    pub fn new(options: ClientOptions, credentials: &Credentials, tier: Tier) -> Client {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(options.connect_timeout))
            .timeout_global(Some(options.timeout))
            .http_status_as_error(false)
            // Crisp does not redirect; following one could carry credentials to another host.
            .max_redirects(0)
            .user_agent(concat!("crisp-repl/", env!("CARGO_PKG_VERSION")))
            .build();
        let token = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            credentials.identifier,
            credentials.key.expose()
        ));
        Client {
            agent: ureq::Agent::with_parts(
                config,
                ureq::unversioned::transport::DefaultConnector::new(),
                CachingResolver::default(),
            ),
            options,
            secrets: SecretFinders::new(&[credentials.key.clone(), Secret::new(token.clone())]),
            auth_header: Secret::new(format!("Basic {token}")),
            tier,
            observer: None,
            cancel: None,
            threads: Arc::default(),
        }
    }

    pub fn with_observer(mut self, observer: Observer) -> Client {
        self.observer = Some(observer);
        self
    }

    /// With a cancel flag, requests run on a helper thread so Ctrl-C can abandon them.
    pub fn with_cancel(mut self, cancel: Arc<AtomicBool>) -> Client {
        self.cancel = Some(cancel);
        self
    }

    pub fn tier(&self) -> Tier {
        self.tier
    }

    pub fn base_url(&self) -> &str {
        &self.options.base_url
    }

    /// GET `path` (relative to the base, already percent-encoded) with query pairs.
    pub fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Answer, CrispError> {
        self.request(Method::Get, path, query, None)
    }

    /// POST a JSON body. Retried only when nothing reached Crisp or Crisp refused it (420/429).
    pub fn post(&self, path: &str, body: &Value) -> Result<Answer, CrispError> {
        self.request(Method::Post, path, &[], Some(body))
    }

    /// PATCH a JSON body (conversation state, read marks, routing, metas). Retried like POST.
    pub fn patch(&self, path: &str, body: &Value) -> Result<Answer, CrispError> {
        self.request(Method::Patch, path, &[], Some(body))
    }

    /// Any method, for `crisp.request`: reads are retried as GET is, writes as POST is. A HEAD
    /// answer has no body: a 2xx gives an `Answer` with no `data`.
    pub fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Answer, CrispError> {
        self.request(method, path, query, body)
    }

    /// The URL a request for `path` and `query` goes to (what `--dry-run` shows).
    pub fn url_for(&self, path: &str, query: &[(&str, String)]) -> String {
        self.url(path, query)
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> String {
        let mut url = format!("{}/{}", self.options.base_url.trim_end_matches('/'), path);
        for (i, (k, v)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(k);
            url.push('=');
            url.extend(percent_encoding::utf8_percent_encode(
                v,
                percent_encoding::NON_ALPHANUMERIC,
            ));
        }
        url
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Answer, CrispError> {
        let url = self.url(path, query);
        let body = body.map(|b| b.to_string());
        // The time limit covers the whole call: every try and every wait between tries.
        let deadline = Instant::now() + self.options.timeout;
        let mut attempt = 0u32;
        loop {
            if self.cancelled() {
                return Err(CrispError::Interrupted);
            }
            let started = Instant::now();
            let left = deadline.saturating_duration_since(started);
            if left.is_zero() {
                return Err(CrispError::Timeout {
                    url: url.clone(),
                    after: self.options.timeout,
                    detail: format!("after {attempt} tries"),
                });
            }
            let outcome = self.attempt_once(method, &url, body.as_deref(), left)?;
            self.observe(method, &url, &outcome, started.elapsed(), attempt);
            let retry_delay = match &outcome {
                Attempt::Answer {
                    status,
                    retry_after,
                    ..
                } if is_retryable_status(method, *status) => {
                    Some(retry_after.unwrap_or_else(|| self.backoff(attempt)))
                }
                Attempt::NotSent(_) => Some(self.backoff(attempt)),
                // A timeout has used the time the user allowed, and a body over the limit will
                // be over it again: neither is retried.
                Attempt::Lost(CrispError::Timeout { .. } | CrispError::TooLarge { .. }) => None,
                Attempt::Lost(_) if !method.writes() => Some(self.backoff(attempt)),
                _ => None,
            };
            match retry_delay {
                Some(delay)
                    if attempt < self.options.max_retries
                        && delay <= self.options.max_retry_after
                        && Instant::now() + delay < deadline =>
                {
                    attempt += 1;
                    self.sleep(delay)?;
                }
                _ => return self.finish(method, outcome, attempt),
            }
        }
    }

    fn finish(&self, method: Method, outcome: Attempt, retries: u32) -> Result<Answer, CrispError> {
        match outcome {
            Attempt::Answer {
                status,
                retry_after,
                body,
            } => {
                // HEAD answers carry no body: only the status speaks.
                if method == Method::Head && !(300..400).contains(&status) {
                    if status >= 400 {
                        return Err(CrispError::Api {
                            status,
                            reason: "http_error".into(),
                            hint: status_hint(status).into(),
                        });
                    }
                    return Ok(Answer {
                        status,
                        envelope: Tape::from_value(&Value::Object(Default::default())),
                    });
                }
                let mut result = parse_envelope(status, &body);
                if let Err(CrispError::Api { hint, .. }) = &mut result {
                    if matches!(status, 420 | 429) {
                        let max_wait = self.options.max_retry_after.min(self.options.timeout);
                        *hint = rate_limit_hint(retries, retry_after, max_wait);
                    }
                }
                result
            }
            Attempt::NotSent(e) | Attempt::Local(e) => Err(e),
            Attempt::Lost(e) if method == Method::Post => Err(CrispError::Transport(format!(
                "{}. The message may have been sent: it was not retried, so it cannot be posted twice. Check the conversation with get_conversation before sending again",
                e.to_string().trim_end_matches('.')
            ))),
            Attempt::Lost(e) if method.writes() => Err(CrispError::Transport(format!(
                "{}. The {} may have been applied: it was not retried, so it cannot happen twice. Check before trying again",
                e.to_string().trim_end_matches('.'),
                method.as_str()
            ))),
            Attempt::Lost(e) => Err(match e {
                CrispError::Transport(detail) if retries > 0 => {
                    CrispError::Transport(format!("{detail} (gave up after {retries} retries)"))
                }
                other => other,
            }),
        }
    }

    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// Sleep in small steps so Ctrl-C is noticed.
    fn sleep(&self, delay: Duration) -> Result<(), CrispError> {
        let deadline = Instant::now() + delay;
        while Instant::now() < deadline {
            if self.cancelled() {
                return Err(CrispError::Interrupted);
            }
            std::thread::sleep((deadline - Instant::now()).min(Duration::from_millis(50)));
        }
        Ok(())
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.options.retry_base.as_secs_f64() * 2f64.powi(attempt as i32);
        // Full jitter in [0.5, 1.5) of the nominal delay keeps clients from retrying in step.
        Duration::from_secs_f64(base * (0.5 + fastrand::f64()))
    }

    fn observe(
        &self,
        method: Method,
        url: &str,
        outcome: &Attempt,
        elapsed: Duration,
        attempt: u32,
    ) {
        let Some(observer) = &self.observer else {
            return;
        };
        let (status, body_head) = match outcome {
            Attempt::Answer { status, body, .. } => (Some(*status), head(body, 200)),
            Attempt::NotSent(e) | Attempt::Lost(e) | Attempt::Local(e) => (None, e.to_string()),
        };
        let path = url
            .find("://")
            .and_then(|i| url[i + 3..].find('/').map(|j| &url[i + 3 + j..]))
            .unwrap_or(url)
            .to_string();
        observer(&Exchange {
            method: method.as_str(),
            path,
            status,
            elapsed,
            body_head,
            attempt,
        });
    }

    /// One try. Runs on a request thread when a cancel flag is set, so it can be abandoned.
    fn attempt_once(
        &self,
        method: Method,
        url: &str,
        body: Option<&str>,
        timeout: Duration,
    ) -> Result<Attempt, CrispError> {
        let Some(cancel) = &self.cancel else {
            return Ok(self.send(method, url, body, timeout));
        };
        let thread = match self.threads.take() {
            Some(thread) => thread,
            None => self.start_request_thread()?,
        };
        let (reply, outcome) = mpsc::channel();
        let job = Job {
            method,
            url: url.to_string(),
            body: body.map(str::to_string),
            timeout,
            reply,
        };
        if thread.jobs.send(job).is_err() {
            return Err(CrispError::Transport(
                "the request thread stopped unexpectedly".into(),
            ));
        }
        loop {
            match outcome.recv_timeout(Duration::from_millis(50)) {
                Ok(outcome) => {
                    self.threads.put_back(thread);
                    return Ok(outcome);
                }
                // Abandoned: the thread finishes the request on its own, then ends, since
                // dropping `thread` here closes its job channel.
                Err(mpsc::RecvTimeoutError::Timeout) if cancel.load(Ordering::Relaxed) => {
                    return Err(CrispError::Interrupted)
                }
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(CrispError::Transport(
                        "the request thread stopped unexpectedly".into(),
                    ))
                }
            }
        }
    }

    fn start_request_thread(&self) -> Result<RequestThread, CrispError> {
        // The thread's own copy sends directly and shares no thread pool with this client,
        // so dropping the client ends its idle threads.
        let direct = Client {
            cancel: None,
            observer: None,
            threads: Arc::default(),
            ..self.clone()
        };
        let (jobs, incoming) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("crisp-request".into())
            .spawn(move || {
                for job in incoming {
                    let outcome =
                        direct.send(job.method, &job.url, job.body.as_deref(), job.timeout);
                    let _ = job.reply.send(outcome);
                }
            })
            .map_err(|e| CrispError::Transport(format!("cannot start a request thread: {e}")))?;
        self.threads.started.fetch_add(1, Ordering::Relaxed);
        Ok(RequestThread { jobs })
    }

    /// Request threads started so far by this client and its clones (see `attempt_once`).
    pub fn request_threads_started(&self) -> usize {
        self.threads.started.load(Ordering::Relaxed)
    }

    /// One try, limited to `timeout` (what is left of the call's time limit).
    fn send(&self, method: Method, url: &str, body: Option<&str>, timeout: Duration) -> Attempt {
        REQUESTS_SENT.fetch_add(1, Ordering::Relaxed);
        let result = match method {
            Method::Get | Method::Head | Method::Delete if body.is_none() => {
                let request = match method {
                    Method::Head => self.agent.head(url),
                    Method::Delete => self.agent.delete(url),
                    _ => self.agent.get(url),
                };
                request
                    .config()
                    .timeout_global(Some(timeout))
                    .build()
                    .header("Authorization", self.auth_header.expose())
                    .header("X-Crisp-Tier", self.tier.as_str())
                    .header("Accept", "application/json")
                    .call()
            }
            _ => {
                let request = match method {
                    Method::Put => self.agent.put(url),
                    Method::Patch => self.agent.patch(url),
                    // A DELETE with a body (Crisp's batch removals take one).
                    Method::Delete => self.agent.delete(url).force_send_body(),
                    _ => self.agent.post(url),
                };
                request
                    .config()
                    .timeout_global(Some(timeout))
                    .build()
                    .header("Authorization", self.auth_header.expose())
                    .header("X-Crisp-Tier", self.tier.as_str())
                    .header("Accept", "application/json")
                    .header("Content-Type", "application/json")
                    .send(body.unwrap_or("{}"))
            }
        };
        let mut response = match result {
            Ok(r) => r,
            // Errors name the call's limit (what --timeout says), not what was left of it.
            Err(e) => return classify_error(e, url, self.options.timeout),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let limit = self.options.max_body_bytes;
        // A declared length over the limit is refused before a byte of the body is read.
        if response.body().content_length().is_some_and(|n| n > limit) {
            return Attempt::Lost(CrispError::TooLarge {
                url: url.to_string(),
                limit,
            });
        }
        // Read one byte past the limit to tell "exactly at the limit" from "over it".
        let declared = response.body().content_length().unwrap_or(0);
        let mut body = Vec::with_capacity(usize::try_from(declared.saturating_add(1)).unwrap_or(0));
        let read = response
            .body_mut()
            .with_config()
            .limit(limit.saturating_add(1))
            .reader()
            .take(limit.saturating_add(1))
            .read_to_end(&mut body);
        match read {
            Ok(_) if body.len() as u64 > limit => Attempt::Lost(CrispError::TooLarge {
                url: url.to_string(),
                limit,
            }),
            Ok(_) => {
                redact_secrets(&mut body, &self.secrets);
                Attempt::Answer {
                    status,
                    retry_after,
                    body,
                }
            }
            // ureq hands its own errors (a timeout among them) over wrapped in io::Error.
            Err(e) => match ureq::Error::from(e) {
                ureq::Error::Timeout(_) => Attempt::Lost(CrispError::Timeout {
                    url: url.to_string(),
                    after: self.options.timeout,
                    detail: "while reading the body".into(),
                }),
                ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                    Attempt::Lost(CrispError::Timeout {
                        url: url.to_string(),
                        after: self.options.timeout,
                        detail: "while reading the body".into(),
                    })
                }
                ureq::Error::BodyExceedsLimit(_) => Attempt::Lost(CrispError::TooLarge {
                    url: url.to_string(),
                    limit,
                }),
                other => Attempt::Lost(CrispError::Transport(format!(
                    "the answer from {url} broke off mid-body: {other}"
                ))),
            },
        }
    }
}

/// How long a resolved address is reused.
const RESOLVE_TTL: Duration = Duration::from_secs(60);

/// ureq resolves the host before it looks in its pool of kept-alive connections, and with a
/// timeout set it resolves on a new thread: every call paid a thread and a DNS lookup. This
/// keeps each host's addresses for a minute, so a call on a kept-alive connection builds nothing.
#[derive(Debug, Default)]
struct CachingResolver {
    inner: ureq::unversioned::resolver::DefaultResolver,
    /// (scheme://authority, when resolved, addresses)
    cache: std::sync::Mutex<Vec<(String, Instant, Addrs)>>,
}

type Addrs = ureq::unversioned::resolver::ResolvedSocketAddrs;

impl ureq::unversioned::resolver::Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<Addrs, ureq::Error> {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or(""),
            uri.authority().map_or("", |a| a.as_str())
        );
        let now = Instant::now();
        if let Ok(cache) = self.cache.lock() {
            if let Some((_, _, addrs)) = cache
                .iter()
                .find(|(k, at, _)| *k == key && now.duration_since(*at) < RESOLVE_TTL)
            {
                return Ok(addrs.clone());
            }
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        if let Ok(mut cache) = self.cache.lock() {
            cache.retain(|(k, _, _)| *k != key);
            cache.push((key, now, addrs.clone()));
        }
        Ok(addrs)
    }
}

fn is_retryable_status(method: Method, status: u16) -> bool {
    if method.writes() {
        // Only a refusal is known not to have changed anything.
        matches!(status, 420 | 429)
    } else {
        matches!(status, 420 | 429 | 500..=599)
    }
}

fn rate_limit_hint(retries: u32, retry_after: Option<Duration>, max_wait: Duration) -> String {
    let mut hint = match retry_after {
        Some(after) if after > max_wait => format!(
            "Crisp is rate-limiting this token and asks to wait {}s, longer than the {}s crisp-repl waits by itself (the call's time limit, --timeout, includes waits)",
            after.as_secs(),
            max_wait.as_secs_f64()
        ),
        _ => format!("Crisp is rate-limiting this token (gave up after {retries} retries)"),
    };
    hint.push_str(". Slow down and try again later; plugin tokens have a daily quota.");
    hint
}

/// Sort a ureq error into "nothing was sent" (retry is safe) and "the answer was lost".
fn classify_error(e: ureq::Error, url: &str, timeout: Duration) -> Attempt {
    use ureq::Timeout as T;
    match e {
        ureq::Error::HostNotFound => Attempt::NotSent(CrispError::Connect {
            url: url.to_string(),
            detail: "host not found".into(),
        }),
        ureq::Error::ConnectionFailed => Attempt::NotSent(CrispError::Connect {
            url: url.to_string(),
            detail: "connection failed".into(),
        }),
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::AddrNotAvailable
            ) =>
        {
            Attempt::NotSent(CrispError::Connect {
                url: url.to_string(),
                detail: io.to_string(),
            })
        }
        ureq::Error::Timeout(which @ (T::Resolve | T::Connect)) => {
            Attempt::NotSent(CrispError::Timeout {
                url: url.to_string(),
                after: timeout,
                detail: format!("{which:?} timed out, nothing was sent"),
            })
        }
        ureq::Error::Timeout(which) => Attempt::Lost(CrispError::Timeout {
            url: url.to_string(),
            after: timeout,
            detail: format!("{which:?} timeout"),
        }),
        ureq::Error::BodyExceedsLimit(limit) => Attempt::Lost(CrispError::TooLarge {
            url: url.to_string(),
            limit,
        }),
        // Refused by the HTTP library before anything was sent (a request too long for its
        // buffer, a malformed URL): trying again would fail the same way.
        // (ureq does not re-export its protocol crate's error type, so the overflow is told by
        // its text.)
        ureq::Error::Protocol(ref p) if p.to_string().starts_with("output too small") => {
            Attempt::Local(CrispError::Transport(format!(
                "the request could not be made: {e}. Nothing was sent; a very long id or parameter is the usual cause"
            )))
        }
        ureq::Error::BadUri(_)
        | ureq::Error::Http(_)
        | ureq::Error::RequireHttpsOnly(_) => Attempt::Local(CrispError::Transport(format!(
            "the request could not be made: {e}. Nothing was sent; a very long id or parameter is the usual cause"
        ))),
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => {
            Attempt::NotSent(CrispError::Connect {
                url: url.to_string(),
                detail: format!("TLS failed: {e}"),
            })
        }
        other => Attempt::Lost(CrispError::Transport(format!(
            "the request to {url} failed: {other}"
        ))),
    }
}

/// What an answer shows where it echoes the token (a server that echoes request headers).
pub const REDACTED: &str = "[redacted]";

/// Searchers for the secrets `redact_secrets` cuts out, built once per client (building one
/// cost as much as searching a list page with it). Secrets too short to be told from ordinary
/// text get none.
#[derive(Clone)]
struct SecretFinders(Arc<[memchr::memmem::Finder<'static>]>);

impl SecretFinders {
    fn new(secrets: &[Secret]) -> SecretFinders {
        SecretFinders(
            secrets
                .iter()
                .map(|s| s.expose().as_bytes())
                .filter(|needle| needle.len() >= 8)
                .map(|needle| memchr::memmem::Finder::new(needle).into_owned())
                .collect(),
        )
    }
}

/// Replace every occurrence of a secret in `body`, so data, errors and `:last` never show the
/// token.
fn redact_secrets(body: &mut Vec<u8>, secrets: &SecretFinders) {
    for finder in secrets.0.iter() {
        let needle = finder.needle();
        if finder.find(body).is_none() {
            continue;
        }
        let mut out = Vec::with_capacity(body.len());
        let mut rest = 0;
        for at in finder.find_iter(body) {
            if at < rest {
                continue;
            }
            out.extend_from_slice(&body[rest..at]);
            out.extend_from_slice(REDACTED.as_bytes());
            rest = at + needle.len();
        }
        out.extend_from_slice(&body[rest..]);
        *body = out;
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The first `max` bytes of a body as text, for errors and `:last`.
pub fn head(body: &[u8], max: usize) -> String {
    let cut = &body[..body.len().min(max)];
    let mut text: String = String::from_utf8_lossy(cut)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if body.len() > max {
        text.push('…');
    }
    text
}

/// Read Crisp's `{error, reason, data}` envelope.
pub fn parse_envelope(status: u16, body: &[u8]) -> Result<Answer, CrispError> {
    let malformed = |problem: &str| CrispError::Malformed {
        status,
        problem: problem.to_string(),
        snippet: if body.is_empty() {
            "(empty body)".to_string()
        } else {
            head(body, 120)
        },
    };
    if (300..400).contains(&status) {
        return Err(CrispError::Api {
            status,
            reason: "redirect".into(),
            hint: "Crisp answered with a redirect, which is not followed so credentials never go to another host; check CRISP_API_URL".into(),
        });
    }
    let envelope = match Tape::parse(body) {
        Ok(tape) => tape,
        Err(_) if status >= 400 => {
            return Err(CrispError::Api {
                status,
                reason: "http_error".into(),
                hint: format!("{} (body: {})", status_hint(status), head(body, 120)),
            })
        }
        Err(e) if std::str::from_utf8(body).is_err() => {
            return Err(malformed(&format!("not UTF-8: {e}")))
        }
        Err(e) => return Err(malformed(&format!("invalid JSON: {e}"))),
    };
    let root = envelope.root();
    if !matches!(root.node(), crate::tape::Node::Object { .. }) {
        return Err(malformed("JSON, but not an object"));
    }
    let is_error = root.get("error").and_then(|v| v.as_bool());
    if is_error == Some(true) || status >= 400 {
        let reason = root
            .get("reason")
            .and_then(|v| v.as_str())
            .unwrap_or("http_error")
            .to_string();
        let server_message = root
            .get("data")
            .and_then(|d| d.get("message"))
            .and_then(|m| m.as_str());
        let mut hint = status_hint(status).to_string();
        if let Some(m) = server_message {
            hint = format!("{hint} (Crisp says: {m})");
        }
        return Err(CrispError::Api {
            status,
            reason,
            hint,
        });
    }
    if is_error.is_none() {
        return Err(malformed("no boolean 'error' field"));
    }
    Ok(Answer { status, envelope })
}

/// A generic hint by status; the API layer replaces it with a specific one where it can.
fn status_hint(status: u16) -> &'static str {
    match status {
        401 => "Crisp rejected the credentials",
        403 => "Crisp refused this call for this token",
        404 => "not found",
        420 | 429 => "rate-limited by Crisp; slow down and try again later",
        500..=599 => "Crisp had a server error; try again in a moment",
        _ => "Crisp refused the request",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes() {
        let ok = parse_envelope(200, br#"{"error":false,"reason":"listed","data":[1]}"#).unwrap();
        assert_eq!(ok.data_value(), serde_json::json!([1]));
        let err = parse_envelope(
            404,
            br#"{"error":true,"reason":"not_found","data":{"message":"gone"}}"#,
        )
        .unwrap_err();
        assert_eq!(err.status(), Some(404));
        assert_eq!(err.reason(), Some("not_found"));
        assert!(err.to_string().contains("Crisp says: gone"));
        let html = parse_envelope(502, b"<html>Bad gateway</html>").unwrap_err();
        assert!(html.to_string().contains("<html>Bad gateway"), "{html}");
        let bad = parse_envelope(200, b"{not json").unwrap_err();
        assert!(matches!(bad, CrispError::Malformed { .. }));
        assert!(bad.to_string().contains("{not json"));
        let shape = parse_envelope(200, br#"{"data":"x"}"#).unwrap_err();
        assert!(shape.to_string().contains("no boolean 'error'"), "{shape}");
        let utf = parse_envelope(200, b"\xff\xfe").unwrap_err();
        assert!(utf.to_string().contains("not UTF-8"), "{utf}");
        let missing = parse_envelope(200, br#"{"error":false}"#).unwrap();
        assert_eq!(missing.data_value(), Value::Null);
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        let future = SystemTime::now() + Duration::from_secs(120);
        let parsed = parse_retry_after(&httpdate::fmt_http_date(future)).unwrap();
        assert!(parsed > Duration::from_secs(100) && parsed <= Duration::from_secs(120));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn urls_encode_query_values() {
        let client = Client::new(
            ClientOptions {
                base_url: "http://127.0.0.1:1/v1/".into(),
                ..ClientOptions::default()
            },
            &Credentials {
                identifier: "id".into(),
                key: Secret::new("k"),
            },
            Tier::Plugin,
        );
        assert_eq!(
            client.url("a/b", &[("q", "x y&z".into()), ("n", "2".into())]),
            "http://127.0.0.1:1/v1/a/b?q=x%20y%26z&n=2"
        );
        assert!(!format!("{client:?}").contains("Basic"));
    }

    #[test]
    fn cancellable_requests_reuse_one_thread_until_one_is_abandoned() {
        use crate::demo::{demo_token, DemoServer, Fault, DEMO_WEBSITE_ID};
        let server = DemoServer::start("127.0.0.1:0", 20).unwrap();
        server.push_fault(Fault::silence_after_work("/conversations/7"));
        let token = demo_token(Tier::User);
        let cancel = Arc::new(AtomicBool::new(false));
        let client = Client::new(
            ClientOptions {
                base_url: server.url(),
                timeout: Duration::from_secs(20),
                ..ClientOptions::default()
            },
            &Credentials {
                identifier: token.identifier.into(),
                key: Secret::new(token.key),
            },
            Tier::User,
        )
        .with_cancel(cancel.clone());
        let page = |n: u32| format!("website/{DEMO_WEBSITE_ID}/conversations/{n}");
        for _ in 0..3 {
            client.get(&page(1), &[]).unwrap();
        }
        assert_eq!(client.request_threads_started(), 1);
        // Abandon a request the server never answers, once the server has it.
        let silent = std::thread::scope(|scope| {
            let call = scope.spawn(|| client.get(&page(7), &[]));
            while !server
                .requests()
                .iter()
                .any(|r| r.path.ends_with("/conversations/7"))
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            cancel.store(true, Ordering::Relaxed);
            call.join().unwrap()
        });
        assert!(matches!(silent, Err(CrispError::Interrupted)), "{silent:?}");
        // The next call does not wait behind it: it gets a thread of its own, then keeps it.
        cancel.store(false, Ordering::Relaxed);
        client.get(&page(1), &[]).unwrap();
        client.get(&page(2), &[]).unwrap();
        assert_eq!(client.request_threads_started(), 2);
    }

    #[test]
    fn echoed_secrets_are_cut_out_of_answers() {
        let secrets = [Secret::new("k3y-0123456789"), Secret::new("aWQ6a2V5")];
        let mut body =
            br#"{"data":{"auth":"Basic aWQ6a2V5","key":"k3y-0123456789k3y-0123456789","id":"ok"}}"#
                .to_vec();
        let secrets = SecretFinders::new(&secrets);
        redact_secrets(&mut body, &secrets);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"data":{"auth":"Basic [redacted]","key":"[redacted][redacted]","id":"ok"}}"#
        );
        // Nothing to cut: the body is left as it is.
        let mut clean = b"{}".to_vec();
        redact_secrets(&mut clean, &secrets);
        assert_eq!(clean, b"{}");
        // Secrets too short to be told from ordinary text are left alone.
        let short = SecretFinders::new(&[Secret::new("1234567")]);
        let mut body = br#"{"n":"1234567"}"#.to_vec();
        redact_secrets(&mut body, &short);
        assert_eq!(body, br#"{"n":"1234567"}"#);
    }

    #[test]
    fn only_refusals_retry_posts() {
        assert!(is_retryable_status(Method::Get, 503));
        assert!(is_retryable_status(Method::Post, 429));
        assert!(!is_retryable_status(Method::Post, 500));
        assert!(!is_retryable_status(Method::Get, 404));
    }
}
