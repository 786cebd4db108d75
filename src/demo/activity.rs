//! Simulated visitors for the demo inbox (`--demo-activity SECONDS`): now and then one writes a
//! new message into an existing conversation, and occasionally a new visitor opens one, updating
//! the conversation as Crisp does (`updated_at`, `last_message`, `preview_message`, unread
//! count, waiting time, back to the top of the list), so `crisp.watch` can be tried offline.
//!
//! Tests inject messages themselves (`DemoServer::inject_message`), so nothing depends on timing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::seed::{Seed, DEMO_WEBSITE_ID};
use super::server::{DemoServer, Inbox};

/// What simulated visitors say.
const LINES: &[&str] = &[
    "Hi, is anyone there?",
    "Any update on this?",
    "I just tried again and it still fails.",
    "Thanks, that worked!",
    "Can you check my account please?",
    "Also, can I get an invoice for last month?",
    "Sorry, one more question about the pricing.",
    "It's urgent, our team is blocked.",
    "Never mind, I found it in the docs.",
    "Could you call me back this afternoon?",
];

/// New visitors: (nickname, email).
const VISITORS: &[(&str, &str)] = &[
    ("Lena Park", "lena.park@example.net"),
    ("Tomás Ruiz", "tomas.ruiz@example.org"),
    ("Aiko Tanaka", "aiko@tanaka-design.example"),
    ("Jonas Weber", "j.weber@example.de"),
    ("Priya Nair", "priya.nair@example.in"),
];

/// A running simulation; dropping it stops the visitors.
pub struct Activity {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Activity {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl DemoServer {
    /// Let simulated visitors write about every `every` (0.5x to 1.5x of it, at random).
    pub fn start_activity(&self, every: Duration) -> Activity {
        let inbox = self.inbox();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut rng = fastrand::Rng::new();
                loop {
                    let pause = every.mul_f64(0.5 + rng.f64());
                    let until = std::time::Instant::now() + pause;
                    while std::time::Instant::now() < until {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(20).min(pause));
                    }
                    simulate_once(&inbox, &mut rng);
                }
            })
        };
        Activity {
            stop,
            thread: Some(thread),
        }
    }

    /// A visitor writes `text` in conversation `session_id` now, as Crisp would store it; the
    /// stored message, or `None` for an unknown conversation.
    pub fn inject_message(&self, session_id: &str, text: &str) -> Option<Value> {
        self.inbox()
            .with(|seed, next| visitor_writes(seed, next, session_id, text))
    }

    /// A new visitor opens a conversation with `text`; the stored first message.
    pub fn inject_new_conversation(&self, nickname: &str, email: &str, text: &str) -> Value {
        let session_id = random_session_id(&mut fastrand::Rng::new());
        self.inbox()
            .with(|seed, next| open_conversation(seed, next, &session_id, nickname, email, text))
    }
}

fn simulate_once(inbox: &Inbox, rng: &mut fastrand::Rng) {
    let text = LINES[rng.usize(..LINES.len())];
    if rng.f64() < 0.15 {
        let (nickname, email) = VISITORS[rng.usize(..VISITORS.len())];
        let session_id = random_session_id(rng);
        inbox.with(|seed, next| open_conversation(seed, next, &session_id, nickname, email, text));
        return;
    }
    inbox.with(|seed, next| {
        // Mostly the conversations already active (the top of the list).
        let top = seed.conversations.len().min(8);
        if top == 0 {
            return;
        }
        let pick = seed.conversations[rng.usize(..top)]["session_id"]
            .as_str()
            .map(str::to_string);
        if let Some(session_id) = pick {
            visitor_writes(seed, next, &session_id, text);
        }
    });
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn random_session_id(rng: &mut fastrand::Rng) -> String {
    let mut hex = |n: usize| -> String {
        (0..n)
            .map(|_| char::from_digit(rng.u32(..16), 16).unwrap_or('0'))
            .collect()
    };
    let parts = [hex(8), hex(4), hex(3), hex(3), hex(12)];
    format!(
        "session_{}-{}-4{}-a{}-{}",
        parts[0], parts[1], parts[2], parts[3], parts[4]
    )
}

/// Store a visitor's message and update its conversation as Crisp does.
fn visitor_writes(seed: &mut Seed, next: &mut i64, session_id: &str, text: &str) -> Option<Value> {
    let at = seed
        .conversations
        .iter()
        .position(|c| c["session_id"] == session_id)?;
    let mut conversation = seed.conversations.remove(at);
    let messages = seed.messages.entry(session_id.to_string()).or_default();
    // Strictly after everything the conversation already shows, whatever the clock says.
    let last = messages
        .last()
        .and_then(|m| m["timestamp"].as_i64())
        .unwrap_or(0);
    let updated = conversation["updated_at"].as_i64().unwrap_or(0);
    let timestamp = now_ms().max(last + 1).max(updated + 1);
    let fingerprint = *next;
    *next += 1;
    let message = json!({
        "session_id": session_id, "website_id": DEMO_WEBSITE_ID, "type": "text", "from": "user",
        "origin": "chat", "content": text, "fingerprint": fingerprint, "timestamp": timestamp,
        "user": {"type": "participant", "nickname": conversation["meta"]["nickname"]},
        "read": "", "delivered": "", "edited": false, "stamped": true,
    });
    messages.push(message.clone());
    let excerpt: String = text.chars().take(120).collect();
    conversation["last_message"] = json!(excerpt);
    conversation["updated_at"] = json!(timestamp);
    conversation["preview_message"] =
        json!({"type": "text", "from": "user", "excerpt": excerpt, "fingerprint": fingerprint});
    let unread = conversation["unread"]["operator"].as_i64().unwrap_or(0);
    conversation["unread"]["operator"] = json!(unread + 1);
    if conversation["waiting_since"]
        .as_i64()
        .is_none_or(|w| w == 0)
    {
        conversation["waiting_since"] = json!(timestamp);
    }
    conversation["active"] = json!({"now": true, "last": timestamp});
    // A visitor writing again reopens a resolved conversation.
    if conversation["state"] == "resolved" {
        conversation["state"] = json!("unresolved");
    }
    // The list is newest-updated first: the conversation moves to the top.
    seed.conversations.insert(0, conversation);
    Some(message)
}

/// A new visitor's conversation with its first message, at the top of the list.
fn open_conversation(
    seed: &mut Seed,
    next: &mut i64,
    session_id: &str,
    nickname: &str,
    email: &str,
    text: &str,
) -> Value {
    let newest = seed
        .conversations
        .first()
        .and_then(|c| c["updated_at"].as_i64())
        .unwrap_or(0);
    let created = now_ms().max(newest + 1);
    let conversation = json!({
        "session_id": session_id, "website_id": DEMO_WEBSITE_ID, "inbox_id": null,
        "people_id": null, "state": "pending", "status": 0, "is_verified": false,
        "is_blocked": false, "availability": "online", "active": {"now": true, "last": created},
        "last_message": "", "mentions": [], "participants": [], "topic": null,
        "meta": {"nickname": nickname, "email": email, "origin": "chat", "segments": [], "data": {}},
        "unread": {"operator": 0, "visitor": 0},
        "created_at": created, "updated_at": created - 1, "waiting_since": 0,
    });
    seed.conversations.insert(0, conversation);
    seed.messages.insert(session_id.to_string(), Vec::new());
    visitor_writes(seed, next, session_id, text).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visitor_message_updates_the_conversation_as_crisp_does() {
        let server = DemoServer::start("127.0.0.1:0", 30).unwrap();
        let sid = "session_abc123";
        let before = server.messages(sid).len();
        let m = server.inject_message(sid, "hello again").unwrap();
        let stored = server.messages(sid);
        assert_eq!(stored.len(), before + 1);
        assert_eq!(stored.last(), Some(&m));
        assert_eq!(m["from"], "user");
        server.inbox().with(|seed, _| {
            let top = &seed.conversations[0];
            assert_eq!(top["session_id"], sid);
            assert_eq!(top["updated_at"], m["timestamp"]);
            assert_eq!(top["preview_message"]["fingerprint"], m["fingerprint"]);
            assert_eq!(top["last_message"], "hello again");
            assert!(top["unread"]["operator"].as_i64().unwrap() >= 1);
        });
        assert!(server.inject_message("session_nope", "x").is_none());
        let first = server.inject_new_conversation("Ann", "ann@example.com", "hi");
        let new_sid = first["session_id"].as_str().unwrap().to_string();
        assert_eq!(server.messages(&new_sid).len(), 1);
        server.inbox().with(|seed, _| {
            assert_eq!(seed.conversations[0]["session_id"], new_sid.as_str());
            assert_eq!(seed.conversations[0]["state"], "pending");
        });
    }
}
