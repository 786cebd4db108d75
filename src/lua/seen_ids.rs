//! Ids seen in this session's results (`session_id`, `people_id`, ...), so Tab can offer them
//! as parameter values without making a request.
//!
//! Off unless the interactive REPL turns it on: scripts, pipes and benchmarks pay nothing.
//! Bounded: a few keys, the most recent ids of each.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::tape;

/// Most ids kept per key (the most recent win).
const PER_KEY: usize = 200;
/// Most distinct keys kept.
const MAX_KEYS: usize = 16;
/// How deep into a result ids are looked for (`data[i].session_id` is depth 3).
const MAX_DEPTH: usize = 4;
/// Most values visited per result: a huge answer is sampled, never walked whole.
const MAX_VISITS: usize = 20_000;

/// (key, ids newest first); `None` while recording is off.
type Store = Option<Vec<(String, VecDeque<String>)>>;

static STORE: Mutex<Store> = Mutex::new(None);

/// Start recording (the interactive REPL).
pub fn enable() {
    if let Ok(mut store) = STORE.lock() {
        store.get_or_insert_with(Vec::new);
    }
}

/// Remember the ids found in one converted result: string values of keys ending in `_id`.
pub fn record(json: tape::Json<'_>) {
    let Ok(mut guard) = STORE.lock() else {
        return;
    };
    let Some(store) = guard.as_mut() else {
        return;
    };
    let mut visits = 0;
    walk(json, 0, &mut visits, store);
}

fn walk(
    json: tape::Json<'_>,
    depth: usize,
    visits: &mut usize,
    store: &mut Vec<(String, VecDeque<String>)>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    for item in json.items() {
        *visits += 1;
        if *visits > MAX_VISITS {
            return;
        }
        walk(item, depth + 1, visits, store);
    }
    for (key, value) in json.entries() {
        *visits += 1;
        if *visits > MAX_VISITS {
            return;
        }
        match value.as_str() {
            Some(id) if key.ends_with("_id") && is_plain_id(id) => remember(store, key, id),
            _ => walk(value, depth + 1, visits, store),
        }
    }
}

/// Ids worth offering: short and printable (no control or spacing characters that could
/// drive a terminal or break the Lua string they are inserted into).
fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && id
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '\\'))
}

fn remember(store: &mut Vec<(String, VecDeque<String>)>, key: &str, id: &str) {
    let index = match store.iter().position(|(k, _)| k == key) {
        Some(i) => i,
        None if store.len() < MAX_KEYS => {
            store.push((key.to_string(), VecDeque::new()));
            store.len() - 1
        }
        None => return,
    };
    let ids = &mut store[index].1;
    if let Some(old) = ids.iter().position(|i| i == id) {
        ids.remove(old);
    }
    ids.push_front(id.to_string());
    ids.truncate(PER_KEY);
}

/// The ids seen under `key`, newest first.
pub fn ids(key: &str) -> Vec<String> {
    let Ok(guard) = STORE.lock() else {
        return Vec::new();
    };
    guard
        .as_ref()
        .and_then(|store| store.iter().find(|(k, _)| k == key))
        .map(|(_, ids)| ids.iter().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_recorded_bounded_and_clean() {
        enable();
        let mut items = Vec::new();
        for i in 0..(PER_KEY + 5) {
            items.push(serde_json::json!({"session_id": format!("session_t{i}"), "meta": {"people_id": "p1"}}));
        }
        items.push(serde_json::json!({"session_id": "bad\u{1b}[31m"}));
        let value = serde_json::json!({"data": items});
        let tape = tape::Tape::from_value(&value);
        record(tape.root());
        let seen = ids("session_id");
        assert_eq!(seen.len(), PER_KEY);
        assert_eq!(seen[0], format!("session_t{}", PER_KEY + 4));
        assert!(seen.iter().all(|s| s.starts_with("session_t")));
        assert_eq!(ids("people_id"), ["p1"]);
    }
}
