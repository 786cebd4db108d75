//! A conversation as a transcript: a header (who, state, assignee, segments), then one block
//! per message with its sender, its time and its full text wrapped to the width. Reads the
//! JSON shape `get_conversation` returns (`{conversation, data = messages}`); every string in
//! it comes from a server or a visitor and passes the sanitiser.

use serde_json::Value as Json;

use super::sanitize::{sanitize, sanitize_lines};

/// How to draw a transcript.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Width to wrap text to; `None` keeps each paragraph on one line (pipes).
    pub width: Option<usize>,
    pub colour: bool,
    pub zone: Zone,
}

/// Which clock message times are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// The machine's local time (TZ), as a person reads it.
    Local,
    /// UTC, for snapshots and tests.
    Utc,
}

/// Text lines of a message body start this far in.
const INDENT: &str = "  ";
/// Private notes carry this bar on every line, so they stand out even without colour.
const NOTE_BAR: &str = "│ ";

/// True when `v` looks like a `get_conversation` result (or a bare list of messages).
pub fn is_thread(v: &Json) -> bool {
    messages_of(v).is_some()
}

fn messages_of(v: &Json) -> Option<&Vec<Json>> {
    let list = match v {
        Json::Object(o) => o.get("data")?.as_array()?,
        Json::Array(a) => a,
        _ => return None,
    };
    // Every item is a message: it has a `from` and a `content` or a `type`.
    list.iter()
        .all(|m| m.get("from").is_some() && (m.get("content").is_some() || m.get("type").is_some()))
        .then_some(list)
}

/// The transcript of a thread, or why `v` is not one.
pub fn render(v: &Json, style: Style) -> Result<String, String> {
    let Some(messages) = messages_of(v) else {
        return Err("not a conversation: expected the result of crisp.get_conversation (a table whose data holds messages), or a conversation id".into());
    };
    let conversation = v.get("conversation").filter(|c| c.is_object());
    let mut out = String::new();
    if let Some(c) = conversation {
        header(c, messages, style, &mut out);
    }
    let count = messages.len();
    out.push_str(&paint(
        &format!(
            "{count} message{}{}",
            if count == 1 { "" } else { "s" },
            if v.get("truncated").and_then(Json::as_bool) == Some(true) {
                " (the oldest were not fetched: the thread is longer than one result holds)"
            } else {
                ""
            }
        ),
        DIM,
        style,
    ));
    out.push('\n');
    let mut day = String::new();
    for m in messages {
        let when = m
            .get("timestamp")
            .and_then(Json::as_i64)
            .and_then(|ms| clock(ms, style.zone));
        if let Some(t) = &when {
            if t.day != day {
                day = t.day.clone();
                out.push('\n');
                out.push_str(&paint(&format!("── {day} ──"), DIM, style));
                out.push('\n');
            }
        }
        out.push('\n');
        message(m, when.as_ref().map(|t| t.time.as_str()), style, &mut out);
    }
    Ok(out.trim_end().to_string())
}

/// Who, about what, in which state, with whom.
fn header(c: &Json, messages: &[Json], style: Style, out: &mut String) {
    let meta = c.get("meta");
    let text = |v: Option<&Json>| v.and_then(Json::as_str).map(|s| sanitize(s).into_owned());
    let nickname = text(meta.and_then(|m| m.get("nickname")));
    let email = text(meta.and_then(|m| m.get("email")));
    let title = text(meta.and_then(|m| m.get("subject"))).or_else(|| text(c.get("topic")));
    if let Some(title) = title {
        out.push_str(&paint(&wrap_plain(&title, style.width), BOLD, style));
        out.push('\n');
    }
    let mut who = nickname.unwrap_or_else(|| "(visitor)".into());
    if let Some(email) = email {
        who.push_str(&format!(" <{email}>"));
    }
    let session = text(c.get("session_id")).unwrap_or_default();
    out.push_str(&wrap_plain(&format!("{who} · {session}"), style.width));
    out.push('\n');
    let mut facts = Vec::new();
    if let Some(state) = text(c.get("state")) {
        facts.push(format!("state: {state}"));
    }
    let assignee = c
        .get("assigned")
        .and_then(|a| a.get("user_id"))
        .and_then(Json::as_str)
        .map(|id| operator_name(id, messages).unwrap_or_else(|| sanitize(id).into_owned()));
    facts.push(format!(
        "assigned: {}",
        assignee.unwrap_or_else(|| "nobody".into())
    ));
    let segments: Vec<String> = meta
        .and_then(|m| m.get("segments"))
        .and_then(Json::as_array)
        .map(|s| {
            s.iter()
                .filter_map(Json::as_str)
                .map(|s| sanitize(s).into_owned())
                .collect()
        })
        .unwrap_or_default();
    facts.push(format!(
        "segments: {}",
        if segments.is_empty() {
            "none".to_string()
        } else {
            segments.join(", ")
        }
    ));
    out.push_str(&wrap_plain(&facts.join(" · "), style.width));
    out.push('\n');
}

/// An operator's name as their own messages give it (no request needed).
fn operator_name(user_id: &str, messages: &[Json]) -> Option<String> {
    messages.iter().find_map(|m| {
        let user = m.get("user")?;
        (user.get("user_id")?.as_str()? == user_id)
            .then(|| {
                user.get("nickname")?
                    .as_str()
                    .map(|s| sanitize(s).into_owned())
            })
            .flatten()
    })
}

fn message(m: &Json, time: Option<&str>, style: Style, out: &mut String) {
    let kind = m.get("type").and_then(Json::as_str).unwrap_or("text");
    let from = m.get("from").and_then(Json::as_str).unwrap_or("");
    let is_note = kind == "note";
    let nickname = m
        .get("user")
        .and_then(|u| u.get("nickname"))
        .and_then(Json::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(|s| sanitize(s).into_owned());
    let (name, role, colour) = match from {
        "operator" => (
            nickname.unwrap_or_else(|| "operator".into()),
            "operator",
            GREEN,
        ),
        "user" => (
            nickname.unwrap_or_else(|| "visitor".into()),
            "visitor",
            CYAN,
        ),
        other => (
            nickname.unwrap_or_else(|| sanitize(other).into_owned()),
            "",
            CYAN,
        ),
    };
    let mut line = paint(&name, colour, style);
    if !role.is_empty() {
        line.push_str(&paint(&format!(" ({role})"), DIM, style));
    }
    if let Some(t) = time {
        line.push_str(&paint(&format!(" · {t}"), DIM, style));
    }
    if is_note {
        line.push_str(&paint(" · private note", YELLOW, style));
    }
    if m.get("edited").and_then(Json::as_bool) == Some(true) {
        line.push_str(&paint(" · edited", DIM, style));
    }
    out.push_str(&line);
    out.push('\n');
    let body = body_text(kind, m.get("content").unwrap_or(&Json::Null));
    let prefix = if is_note {
        format!("{INDENT}{}", paint(NOTE_BAR, YELLOW, style))
    } else {
        INDENT.to_string()
    };
    let room = style.width.map(|w| {
        w.saturating_sub(INDENT.len() + if is_note { 2 } else { 0 })
            .max(10)
    });
    for l in wrap_plain(&body, room).lines() {
        out.push_str(&prefix);
        out.push_str(l);
        out.push('\n');
    }
}

/// A message's content as readable text (already sanitised).
fn body_text(kind: &str, content: &Json) -> String {
    let s = |v: Option<&Json>| {
        v.and_then(Json::as_str)
            .map(|t| sanitize_lines(t).replace('\t', "    "))
    };
    let f = |key: &str| s(content.get(key));
    if let Json::String(text) = content {
        let text = sanitize_lines(text).replace('\t', "    ");
        return match kind {
            "text" | "note" => text,
            other => format!("[{}] {text}", sanitize(other)),
        };
    }
    match kind {
        "file" => format!(
            "[file] {} ({})",
            f("name").unwrap_or_else(|| "file".into()),
            f("url").unwrap_or_default()
        ),
        "animation" => format!("[animation] {}", f("url").unwrap_or_default()),
        "audio" => {
            let duration = content
                .get("duration")
                .and_then(Json::as_f64)
                .map(|d| format!("{d} s "))
                .unwrap_or_default();
            format!("[audio] {duration}({})", f("url").unwrap_or_default())
        }
        "picker" => {
            let mut out = format!("[picker] {}", f("text").unwrap_or_default());
            for choice in content
                .get("choices")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                let selected = choice.get("selected").and_then(Json::as_bool) == Some(true);
                let label = s(choice.get("label"))
                    .or_else(|| s(choice.get("value")))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "\n  {} {label}",
                    if selected { "(x)" } else { "( )" }
                ));
            }
            out
        }
        "field" => {
            let mut out = format!("[field] {}", f("text").unwrap_or_default());
            if let Some(explain) = f("explain") {
                out.push_str(&format!(" ({explain})"));
            }
            out.push_str(&format!(
                "\n  value: {}",
                f("value").unwrap_or_else(|| "(not filled in)".into())
            ));
            out
        }
        "carousel" => {
            let mut out = format!("[carousel] {}", f("text").unwrap_or_default());
            for target in content
                .get("targets")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                out.push_str(&format!(
                    "\n  • {}",
                    s(target.get("title")).unwrap_or_default()
                ));
                if let Some(d) = s(target.get("description")) {
                    out.push_str(&format!(" — {d}"));
                }
                for action in target
                    .get("actions")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    out.push_str(&format!(
                        "\n    → {} ({})",
                        s(action.get("label")).unwrap_or_default(),
                        s(action.get("url")).unwrap_or_default()
                    ));
                }
            }
            out
        }
        "event" => {
            let mut out = format!("[event] {}", f("namespace").unwrap_or_default());
            if let Some(text) = f("text") {
                out.push_str(&format!(": {text}"));
            }
            out
        }
        other => {
            // An unknown content type: its data, readable and safe.
            let label = if other.is_empty() { "content" } else { other };
            format!(
                "[{}] {}",
                sanitize(label),
                sanitize(&crate::lua::convert::json_text(content, false))
            )
        }
    }
}

/// Wrap already-sanitised text to `width` (keeping its line breaks); unchanged without one.
fn wrap_plain(text: &str, width: Option<usize>) -> String {
    match width {
        Some(w) => {
            let options = textwrap::Options::new(w.max(10))
                .break_words(true)
                .word_splitter(textwrap::WordSplitter::NoHyphenation);
            textwrap::wrap(text, options).join("\n")
        }
        None => text.to_string(),
    }
}

const DIM: &str = "2";
const BOLD: &str = "1";
const GREEN: &str = "32";
const CYAN: &str = "36";
const YELLOW: &str = "33";

fn paint(text: &str, sgr: &str, style: Style) -> String {
    if style.colour {
        format!("\x1b[{sgr}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// A timestamp as a day heading and a time of day.
struct Clock {
    day: String,
    time: String,
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Milliseconds since the epoch in `zone`; `None` for values no calendar shows.
fn clock(ms: i64, zone: Zone) -> Option<Clock> {
    // time_t is narrower than i64 on some targets.
    #[allow(clippy::useless_conversion)]
    let secs: libc::time_t = ms.div_euclid(1000).try_into().ok()?;
    // SAFETY: `tm` is plain data that gmtime_r/localtime_r fill in; both only read `secs`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe {
        match zone {
            Zone::Utc => !libc::gmtime_r(&secs, &mut tm).is_null(),
            Zone::Local => !libc::localtime_r(&secs, &mut tm).is_null(),
        }
    };
    if !ok || !(0..=8099).contains(&tm.tm_year) {
        return None;
    }
    let weekday = DAYS.get(usize::try_from(tm.tm_wday).ok()?)?;
    let month = MONTHS.get(usize::try_from(tm.tm_mon).ok()?)?;
    Some(Clock {
        day: format!(
            "{weekday} {} {month} {}",
            tm.tm_mday,
            i64::from(tm.tm_year) + 1900
        ),
        time: format!("{:02}:{:02}", tm.tm_hour, tm.tm_min),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PLAIN: Style = Style {
        width: Some(60),
        colour: false,
        zone: Zone::Utc,
    };

    fn thread(messages: Json) -> Json {
        json!({
            "conversation": {"session_id": "session_x", "state": "pending",
                "assigned": {"user_id": "op1"},
                "meta": {"nickname": "Ana", "email": "ana@x", "segments": ["vip", "eu"], "subject": "Refund"}},
            "data": messages,
        })
    }

    #[test]
    fn header_names_the_assignee_from_the_messages() {
        let v = thread(json!([
            {"type": "text", "from": "user", "content": "hello", "timestamp": 1_793_534_400_000i64, "user": {"nickname": "Ana"}},
            {"type": "note", "from": "operator", "content": "check refund", "timestamp": 1_793_534_460_000i64, "user": {"nickname": "Alex", "user_id": "op1"}},
        ]));
        let out = render(&v, PLAIN).unwrap();
        assert!(out.starts_with("Refund\nAna <ana@x> · session_x\nstate: pending · assigned: Alex · segments: vip, eu\n2 messages\n"), "{out}");
        assert!(out.contains("── Sunday 1 November 2026 ──"), "{out}");
        assert!(out.contains("Ana (visitor) · 12:00\n  hello"), "{out}");
        assert!(
            out.contains("Alex (operator) · 12:01 · private note\n  │ check refund"),
            "{out}"
        );
    }

    #[test]
    fn long_text_wraps_and_is_never_cut() {
        let long = "word ".repeat(100);
        let v = thread(json!([{"type": "text", "from": "user", "content": long}]));
        let out = render(&v, PLAIN).unwrap();
        assert_eq!(out.matches("word").count(), 100, "{out}");
        assert!(out.lines().all(|l| l.chars().count() <= 60), "{out}");
        let unwrapped = render(
            &v,
            Style {
                width: None,
                ..PLAIN
            },
        )
        .unwrap();
        assert!(unwrapped.lines().any(|l| l.matches("word").count() == 100));
    }

    #[test]
    fn content_types_read_as_text() {
        let v = thread(json!([
            {"type": "file", "from": "user", "content": {"name": "a.png", "url": "https://x/a.png", "type": "image/png"}},
            {"type": "audio", "from": "user", "content": {"url": "https://x/a.webm", "type": "audio/webm", "duration": 12}},
            {"type": "animation", "from": "operator", "content": {"url": "https://x/c.gif", "type": "image/gif"}},
            {"type": "picker", "from": "operator", "content": {"id": "p", "text": "Topic?", "choices": [
                {"value": "a", "label": "Billing", "selected": false}, {"value": "b", "label": "Tech", "selected": true}]}},
            {"type": "field", "from": "operator", "content": {"id": "f", "text": "Your email", "explain": "to reply", "value": "a@x"}},
            {"type": "carousel", "from": "operator", "content": {"text": "Plans", "targets": [
                {"title": "Pro", "description": "more", "actions": [{"label": "Buy", "url": "https://x/buy"}]}]}},
            {"type": "event", "from": "user", "content": {"namespace": "state:resolved", "text": "done"}},
            {"type": "mystery", "from": "user", "content": {"k": 1}},
        ]));
        let out = render(
            &v,
            Style {
                width: None,
                ..PLAIN
            },
        )
        .unwrap();
        for want in [
            "[file] a.png (https://x/a.png)",
            "[audio] 12 s (https://x/a.webm)",
            "[animation] https://x/c.gif",
            "[picker] Topic?\n    ( ) Billing\n    (x) Tech",
            "[field] Your email (to reply)\n    value: a@x",
            "[carousel] Plans\n    • Pro — more\n      → Buy (https://x/buy)",
            "[event] state:resolved: done",
            "[mystery] {\"k\":1}",
        ] {
            assert!(out.contains(want), "{want:?} missing in\n{out}");
        }
    }

    #[test]
    fn hostile_text_is_escaped() {
        let h = "\x1b]52;c;AAAA\x07 \u{202e}evil \x1b[2J \u{9b}2J";
        let v = json!({
            "conversation": {"session_id": h, "state": h, "assigned": {"user_id": h},
                "meta": {"nickname": h, "email": h, "segments": [h], "subject": h}},
            "data": [{"type": h, "from": h, "content": h, "user": {"nickname": h}},
                     {"type": "file", "from": "user", "content": {"name": h, "url": h}},
                     {"type": "picker", "from": "user", "content": {"text": h, "choices": [{"label": h}]}}]
        });
        for colour in [false, true] {
            for width in [Some(40), None] {
                let out = render(
                    &v,
                    Style {
                        width,
                        colour,
                        zone: Zone::Utc,
                    },
                )
                .unwrap();
                if let Some(p) = crate::render::sanitize::terminal_safety_problem(&out) {
                    panic!("{p}\n{out:?}");
                }
                assert!(out.contains("\\e]52;c;AAAA\\x07"), "{out}");
                assert!(out.contains("\\u{202e}evil"), "{out}");
            }
        }
    }

    #[test]
    fn not_a_thread() {
        assert!(render(&json!({"data": [{"session_id": "s"}]}), PLAIN).is_err());
        assert!(render(&json!(3), PLAIN).is_err());
        assert!(is_thread(&json!({"data": []})));
    }
}
