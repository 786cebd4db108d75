//! New messages across the inbox as they arrive, by polling with the fewest requests Crisp's
//! REST API allows (`crisp.watch`, `crisp-repl watch`). Nothing here knows about Lua.
//!
//! Each poll asks for the first page of conversations, most recently updated first, and pages
//! on only while a whole page has changed. A conversation changed when its `updated_at` or its
//! preview message moved since the last poll; only those get their messages read, newest batch
//! first, paging back with `timestamp_before` only until the last message already seen. The
//! first poll is a baseline: it yields nothing unless a `since` time is given.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::api::{encode_segment, Target};
use super::error::CrispError;
use super::paging::REST_MAX_PER_PAGE;

/// Conversation pages read at most per poll (2,500 conversations changed between two polls).
const MAX_PAGES_PER_POLL: u64 = 50;
/// Message batches read at most per conversation per poll.
const MAX_BATCHES_PER_CONVERSATION: usize = 50;
/// Longest wait between polls after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How often the request rate is reported (human mode).
pub const REPORT_EVERY: Duration = Duration::from_secs(60);
/// Sleeps are cut into slices this long, so Ctrl-C and `--timeout` are noticed at once.
const SLICE: Duration = Duration::from_millis(25);
/// The shortest interval accepted, in seconds.
pub const MIN_INTERVAL_SECS: f64 = 0.05;
/// The interval when none is given, in seconds: 8,640 list requests a day, under both daily
/// quotas (plugin 5,000 only with a longer one: see `:doc watch`).
pub const DEFAULT_INTERVAL_SECS: f64 = 10.0;

/// How to watch.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub interval: Duration,
    /// Extra list options (`filter_unread=1`, ...), passed to every list request as they are.
    pub list_query: Vec<(String, String)>,
    /// Yield messages newer than this time (ms) on the first poll instead of a silent baseline.
    pub since: Option<i64>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            interval: Duration::from_secs_f64(DEFAULT_INTERVAL_SECS),
            list_query: Vec::new(),
            since: None,
        }
    }
}

/// What watching has cost so far.
#[derive(Debug, Clone)]
pub struct Stats {
    pub started: Instant,
    pub polls: u64,
    pub failed_polls: u64,
    /// HTTP requests made (list pages and message batches; the client's retries not counted).
    pub requests: u64,
    pub list_requests: u64,
    pub message_requests: u64,
    pub messages: u64,
    /// Failed polls in a row (0 after a good one); the wait grows with it.
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
    /// Conversations whose state is tracked.
    pub conversations: usize,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            started: Instant::now(),
            polls: 0,
            failed_polls: 0,
            requests: 0,
            list_requests: 0,
            message_requests: 0,
            messages: 0,
            consecutive_failures: 0,
            last_error: None,
            conversations: 0,
        }
    }

    /// Requests per minute since the start, over at least one interval (so the first poll
    /// reads as the pace it sets, not as a burst).
    pub fn requests_per_minute(&self, interval: Duration) -> f64 {
        let elapsed = self.started.elapsed().max(interval).as_secs_f64();
        if elapsed <= 0.0 {
            return 0.0;
        }
        self.requests as f64 * 60.0 / elapsed
    }

    /// One line for stderr: what watching costs against Crisp's daily quotas.
    pub fn summary(&self, interval: Duration) -> String {
        let per_minute = self.requests_per_minute(interval);
        format!(
            "watch: {} requests in {} polls ({:.1}/min, about {:.0}/day at this pace; daily quotas are 5,000 to 10,000), {} new messages, polling every {}s",
            self.requests,
            self.polls,
            per_minute,
            per_minute * 60.0 * 24.0,
            self.messages,
            interval.as_secs_f64()
        )
    }

    pub fn to_json(&self, interval: Duration) -> Value {
        json!({
            "polls": self.polls,
            "failed_polls": self.failed_polls,
            "requests": self.requests,
            "list_requests": self.list_requests,
            "message_requests": self.message_requests,
            "messages": self.messages,
            "requests_per_minute": self.requests_per_minute(interval),
            "elapsed": self.started.elapsed().as_secs_f64(),
            "interval": interval.as_secs_f64(),
            "consecutive_failures": self.consecutive_failures,
            "last_error": self.last_error,
            "conversations": self.conversations,
        })
    }
}

/// What is known of one conversation.
#[derive(Debug, Clone)]
struct Known {
    updated_at: i64,
    preview: Option<i64>,
    /// Messages at or before this time are old...
    cutoff: i64,
    /// ...except, at exactly `cutoff`, those not in `seen` (when `inclusive`).
    inclusive: bool,
    seen: HashSet<i64>,
}

impl Known {
    fn is_new(&self, timestamp: i64, fingerprint: Option<i64>) -> bool {
        timestamp > self.cutoff
            || (self.inclusive
                && timestamp == self.cutoff
                && fingerprint.is_none_or(|f| !self.seen.contains(&f)))
    }
}

/// A conversation that moved, to read.
struct Changed {
    session_id: String,
    summary: Value,
    updated_at: i64,
    preview: Option<i64>,
    since: Known,
}

/// The poller's memory between polls.
pub struct Watcher {
    pub options: WatchOptions,
    known: HashMap<String, Known>,
    /// The newest `updated_at` seen by the last successful poll.
    watermark: Option<i64>,
    baseline_done: bool,
    pub stats: Stats,
    last_report: Instant,
}

/// A poll's outcome: the new messages (oldest first), and the error that cut it short, if one
/// did (the messages before it are kept; what failed is read again next time).
pub struct Poll {
    pub messages: Vec<Value>,
    pub error: Option<CrispError>,
}

impl Watcher {
    pub fn new(options: WatchOptions) -> Watcher {
        Watcher {
            options,
            known: HashMap::new(),
            watermark: None,
            baseline_done: false,
            stats: Stats::new(),
            last_report: Instant::now(),
        }
    }

    /// The wait before the next poll: the interval, doubled per failed poll in a row.
    pub fn next_delay(&self) -> Duration {
        let interval = self.options.interval;
        if self.stats.consecutive_failures == 0 {
            return interval;
        }
        let factor = 2u32.saturating_pow(self.stats.consecutive_failures.min(10));
        interval
            .saturating_mul(factor)
            .min(MAX_BACKOFF.max(interval))
    }

    /// The rate line, when one is due (once a minute).
    pub fn report_due(&mut self) -> Option<String> {
        if self.last_report.elapsed() < REPORT_EVERY {
            return None;
        }
        self.last_report = Instant::now();
        Some(self.stats.summary(self.options.interval))
    }

    /// One poll. A failure counts towards the back-off; the messages read before it are kept.
    pub fn poll(&mut self, target: &Target) -> Poll {
        self.stats.polls += 1;
        let mut messages = Vec::new();
        let error = self.poll_inner(target, &mut messages).err();
        match &error {
            Some(e) => {
                self.stats.failed_polls += 1;
                self.stats.consecutive_failures = self.stats.consecutive_failures.saturating_add(1);
                self.stats.last_error = Some(e.to_string());
            }
            None => self.stats.consecutive_failures = 0,
        }
        self.stats.messages += messages.len() as u64;
        self.stats.conversations = self.known.len();
        // Across conversations by time; ties in a stable order.
        messages.sort_by(|a, b| {
            let key = |m: &Value| {
                (
                    m["timestamp"].as_i64().unwrap_or(0),
                    m["session_id"].as_str().unwrap_or("").to_string(),
                    m["fingerprint"].as_i64().unwrap_or(0),
                )
            };
            key(a).cmp(&key(b))
        });
        Poll { messages, error }
    }

    fn poll_inner(&mut self, target: &Target, out: &mut Vec<Value>) -> Result<(), CrispError> {
        let first = !self.baseline_done;
        // Conversations not seen before count as changed from this time on.
        let floor = if first {
            self.options.since.map(|s| (s, false))
        } else {
            self.watermark.map(|w| (w, true))
        };
        let mut changed = Vec::new();
        let mut newest = self.watermark;
        for page in 1..=MAX_PAGES_PER_POLL {
            let items = self.list_page(target, page)?;
            let full = items.len() as u64 >= REST_MAX_PER_PAGE;
            let mut last_changed = false;
            for conversation in items {
                let Some(session_id) = conversation["session_id"].as_str().map(str::to_string)
                else {
                    continue;
                };
                let updated_at = conversation["updated_at"].as_i64().unwrap_or(0);
                let preview = conversation["preview_message"]["fingerprint"].as_i64();
                newest = Some(newest.map_or(updated_at, |n| n.max(updated_at)));
                let since = match self.known.get(&session_id) {
                    Some(k) if k.updated_at == updated_at && k.preview == preview => None,
                    Some(k) => Some(k.clone()),
                    None => match floor {
                        Some((floor, inclusive))
                            if updated_at > floor || (inclusive && updated_at == floor) =>
                        {
                            Some(Known {
                                updated_at,
                                preview,
                                cutoff: floor,
                                inclusive,
                                seen: HashSet::new(),
                            })
                        }
                        _ => {
                            // Old news: remembered, nothing to read.
                            self.known.insert(
                                session_id.clone(),
                                Known {
                                    updated_at,
                                    preview,
                                    cutoff: updated_at,
                                    inclusive: false,
                                    seen: HashSet::new(),
                                },
                            );
                            None
                        }
                    },
                };
                last_changed = since.is_some();
                if let Some(since) = since {
                    changed.push(Changed {
                        summary: summary(&conversation),
                        session_id,
                        updated_at,
                        preview,
                        since,
                    });
                }
            }
            // Newest first: once a page ends with an unchanged conversation, the rest are too.
            if !full || !last_changed {
                break;
            }
        }
        for c in changed {
            let messages = self.read_new(target, &c.session_id, &c.since)?;
            let mut known = Known {
                updated_at: c.updated_at,
                preview: c.preview,
                ..c.since
            };
            if let Some(newest) = messages
                .iter()
                .filter_map(|m| m["timestamp"].as_i64())
                .max()
            {
                if newest > known.cutoff || !known.inclusive {
                    known.seen.clear();
                }
                known.cutoff = newest;
                known.inclusive = true;
                known.seen.extend(
                    messages
                        .iter()
                        .filter(|m| m["timestamp"].as_i64() == Some(newest))
                        .filter_map(|m| m["fingerprint"].as_i64()),
                );
            }
            self.known.insert(c.session_id.clone(), known);
            out.extend(messages.into_iter().map(|mut m| {
                if let Some(obj) = m.as_object_mut() {
                    obj.insert("conversation_id".into(), json!(c.session_id));
                    obj.insert("conversation".into(), c.summary.clone());
                }
                m
            }));
        }
        // Only a whole poll moves the floor for conversations never seen.
        self.watermark = newest;
        self.baseline_done = true;
        Ok(())
    }

    fn list_page(&mut self, target: &Target, page: u64) -> Result<Vec<Value>, CrispError> {
        let path = format!(
            "website/{}/conversations/{page}",
            encode_segment(target.website_id)
        );
        let mut query: Vec<(&str, String)> = vec![
            ("per_page", REST_MAX_PER_PAGE.to_string()),
            ("order_date_updated", "1".to_string()),
        ];
        query.extend(
            self.options
                .list_query
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone())),
        );
        self.stats.requests += 1;
        self.stats.list_requests += 1;
        let answer = target.client.get(&path, &query)?;
        match answer.data_value() {
            Value::Array(items) => Ok(items),
            other => Err(CrispError::Malformed {
                status: answer.status,
                problem: "'data' should be an array of conversations".into(),
                snippet: super::client::head(other.to_string().as_bytes(), 120),
            }),
        }
    }

    /// The messages of one conversation newer than `since`, oldest first.
    fn read_new(
        &mut self,
        target: &Target,
        session_id: &str,
        since: &Known,
    ) -> Result<Vec<Value>, CrispError> {
        let path = format!(
            "website/{}/conversation/{}/messages",
            encode_segment(target.website_id),
            encode_segment(session_id)
        );
        let mut found: Vec<Value> = Vec::new();
        let mut before: Option<i64> = None;
        for _ in 0..MAX_BATCHES_PER_CONVERSATION {
            let query: Vec<(&str, String)> = before
                .map(|t| vec![("timestamp_before", t.to_string())])
                .unwrap_or_default();
            self.stats.requests += 1;
            self.stats.message_requests += 1;
            let answer = target.client.get(&path, &query)?;
            let status = answer.status;
            let Value::Array(batch) = answer.data_value() else {
                return Err(CrispError::Malformed {
                    status,
                    problem: "'data' should be an array of messages".into(),
                    snippet: String::new(),
                });
            };
            let mut reached_old = false;
            let mut oldest: Option<i64> = None;
            for m in batch {
                let ts = m["timestamp"].as_i64().unwrap_or(0);
                oldest = Some(oldest.map_or(ts, |o| o.min(ts)));
                if since.is_new(ts, m["fingerprint"].as_i64()) {
                    found.push(m);
                } else {
                    reached_old = true;
                }
            }
            // 206: older messages exist; needed only while this batch was all new.
            match oldest {
                Some(t) if status == 206 && !reached_old && before.is_none_or(|b| t < b) => {
                    before = Some(t)
                }
                _ => break,
            }
        }
        found.sort_by_key(|m| m["timestamp"].as_i64().unwrap_or(0));
        let mut fingerprints = HashSet::new();
        found.retain(|m| match m["fingerprint"].as_i64() {
            Some(f) => fingerprints.insert(f),
            None => true,
        });
        Ok(found)
    }
}

/// The conversation fields a watcher wants next to each message.
fn summary(c: &Value) -> Value {
    let mut s = Map::new();
    let mut put = |k: &str, v: &Value| {
        if !v.is_null() {
            s.insert(k.to_string(), v.clone());
        }
    };
    put("session_id", &c["session_id"]);
    put("state", &c["state"]);
    put("nickname", &c["meta"]["nickname"]);
    put("email", &c["meta"]["email"]);
    put("subject", &c["meta"]["subject"]);
    put("segments", &c["meta"]["segments"]);
    put("people_id", &c["people_id"]);
    put("unread", &c["unread"]["operator"]);
    put("assigned", &c["assigned"]["user_id"]);
    put("updated_at", &c["updated_at"]);
    Value::Object(s)
}

/// Is this failure worth another poll (the network, Crisp's load), or final (credentials,
/// tier, website, a bad filter)?
pub fn is_transient(e: &CrispError) -> bool {
    match e {
        CrispError::Connect { .. }
        | CrispError::Transport(_)
        | CrispError::Timeout { .. }
        | CrispError::Malformed { .. }
        | CrispError::TooLarge { .. } => true,
        CrispError::Api { status, .. } => matches!(status, 408 | 420 | 429 | 500..=599),
        _ => false,
    }
}

/// Sleep `delay` in short slices; `false` as soon as `stop` says so.
pub fn wait(delay: Duration, stop: &dyn Fn() -> bool) -> bool {
    let deadline = Instant::now() + delay;
    loop {
        if stop() {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        std::thread::sleep((deadline - now).min(SLICE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_grows_with_failures_and_is_capped() {
        let mut w = Watcher::new(WatchOptions {
            interval: Duration::from_secs(5),
            ..WatchOptions::default()
        });
        assert_eq!(w.next_delay(), Duration::from_secs(5));
        w.stats.consecutive_failures = 1;
        assert_eq!(w.next_delay(), Duration::from_secs(10));
        w.stats.consecutive_failures = 3;
        assert_eq!(w.next_delay(), Duration::from_secs(40));
        w.stats.consecutive_failures = 30;
        assert_eq!(w.next_delay(), MAX_BACKOFF);
    }

    #[test]
    fn newness_at_the_cutoff() {
        let k = Known {
            updated_at: 10,
            preview: None,
            cutoff: 10,
            inclusive: true,
            seen: [7].into_iter().collect(),
        };
        assert!(k.is_new(11, Some(1)));
        assert!(k.is_new(10, Some(8)));
        assert!(!k.is_new(10, Some(7)));
        assert!(!k.is_new(9, Some(9)));
        let baseline = Known {
            inclusive: false,
            ..k
        };
        assert!(!baseline.is_new(10, Some(8)));
    }

    #[test]
    fn transient_errors_are_told_from_final_ones() {
        let api = |status| CrispError::Api {
            status,
            reason: "x".into(),
            hint: String::new(),
        };
        assert!(is_transient(&api(503)));
        assert!(is_transient(&api(429)));
        assert!(!is_transient(&api(401)));
        assert!(!is_transient(&api(404)));
        assert!(is_transient(&CrispError::Transport("reset".into())));
        assert!(!is_transient(&CrispError::Interrupted));
    }

    #[test]
    fn a_stopped_wait_returns_at_once() {
        assert!(!wait(Duration::from_secs(3600), &|| true));
        assert!(wait(Duration::from_millis(1), &|| false));
    }
}
