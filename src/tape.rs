//! JSON as one flat, owned tape of nodes: how Crisp's answers travel from the HTTP client to Lua.
//!
//! A `serde_json::Value` allocates every string, array and map on its own and hashes every key;
//! for a list page that was most of a call's cost, twice over (building it, then freeing it).
//! Here simd-json parses the body and the result is kept as two buffers: the nodes in document
//! order and the strings' bytes (for a parsed body, the body itself, its strings unescaped in
//! place). An item of a list is a range of nodes, so pages are sliced and merged by copying
//! ranges (or, for one page's items, by keeping them where they are: `Tape::into_list`), and
//! Lua tables are built in one pass over them.

use std::cell::RefCell;

use serde_json::{Map, Number, Value};

/// One node. A container's children follow it, depth first; `span` counts them all (nested
/// nodes included, the container's own node not), so the next sibling is `span + 1` further.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Node {
    /// `text[start..start + len]`.
    Str {
        start: usize,
        len: usize,
    },
    /// `len` elements.
    Array {
        len: usize,
        span: usize,
    },
    /// `len` key/value pairs, each key a `Str` node followed by its value.
    Object {
        len: usize,
        span: usize,
    },
    Int(i64),
    /// Numbers with a fraction or exponent, and integers past `i64`.
    Float(f64),
    Bool(bool),
    Null,
}

impl Node {
    /// A simd-json node that is not a string.
    fn from_simd_value(node: simd_json::Node<'_>) -> Node {
        use simd_json::{Node as S, StaticNode};
        match node {
            S::Array { len, count } => Node::Array { len, span: count },
            S::Object { len, count } => Node::Object { len, span: count },
            S::Static(StaticNode::I64(i)) => Node::Int(i),
            S::Static(StaticNode::U64(u)) => match i64::try_from(u) {
                Ok(i) => Node::Int(i),
                Err(_) => Node::Float(u as f64),
            },
            S::Static(StaticNode::F64(f)) => Node::Float(f),
            S::Static(StaticNode::Bool(b)) => Node::Bool(b),
            // Strings are placed by the caller; never reached.
            S::Static(StaticNode::Null) | S::String(_) => Node::Null,
        }
    }

    /// Nodes this value occupies, its own included.
    fn width(&self) -> usize {
        match self {
            Node::Array { span, .. } | Node::Object { span, .. } => span + 1,
            _ => 1,
        }
    }
}

/// A parsed JSON document (or a sequence of values being built, see `TapeBuilder`). Strings
/// are stored in node order, so the strings of any value are one contiguous run of `text`:
/// `TapeBuilder::copy` relies on it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tape {
    nodes: Vec<Node>,
    /// The bytes of every `Str` node's range are UTF-8; what lies between them need not be (a
    /// parsed body's strings are unescaped in place, and an unescaped string is shorter).
    text: Vec<u8>,
    /// The root value's node: 0, except after `into_list`, whose nodes before it are unused.
    root: usize,
}

/// Why a body is not JSON, in serde_json's words (line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// simd-json's working buffers and its node list, kept per thread so that parsing a page
/// allocates only the result.
#[derive(Default)]
struct Scratch {
    buffers: simd_json::Buffers,
    /// Always empty between parses (so it borrows nothing).
    nodes: Option<simd_json::Tape<'static>>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Tape {
    /// Parse a JSON document. The body is left untouched, so errors can quote it.
    pub fn parse(body: &[u8]) -> Result<Tape, ParseError> {
        let parsed = SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => parse_simd(&mut scratch, body),
            // A parse re-entered on this thread (never expected) gets its own buffers.
            Err(_) => parse_simd(&mut Scratch::default(), body),
        });
        match parsed {
            Some(tape) => Ok(tape),
            // simd-json said no: serde_json decides, and words the error with a position.
            None => match serde_json::from_slice::<Value>(body) {
                Ok(value) => Ok(Tape::from_value(&value)),
                Err(e) => Err(ParseError(e.to_string())),
            },
        }
    }

    /// simd-json's nodes for a tape whose text is the buffer they were parsed from (their
    /// strings point into it), which starts at address `base` and holds `input_len` bytes;
    /// `None` if a string lies anywhere else.
    fn from_simd_in_place(
        nodes: &[simd_json::Node<'_>],
        base: usize,
        input_len: usize,
    ) -> Option<Vec<Node>> {
        let mut inside = true;
        let out = nodes
            .iter()
            .map(|node| match *node {
                simd_json::Node::String(s) => {
                    let start = (s.as_ptr() as usize).wrapping_sub(base);
                    inside &= start
                        .checked_add(s.len())
                        .is_some_and(|end| end <= input_len);
                    Node::Str {
                        start,
                        len: s.len(),
                    }
                }
                other => Node::from_simd_value(other),
            })
            .collect();
        inside.then_some(out)
    }

    /// simd-json's nodes as a tape with its own copy of their strings.
    fn from_simd_copied(nodes: &[simd_json::Node<'_>], body_len: usize) -> Tape {
        let mut text = Vec::with_capacity(body_len);
        let nodes = nodes
            .iter()
            .map(|node| match *node {
                simd_json::Node::String(s) => {
                    let start = text.len();
                    text.extend_from_slice(s.as_bytes());
                    Node::Str {
                        start,
                        len: s.len(),
                    }
                }
                other => Node::from_simd_value(other),
            })
            .collect();
        Tape {
            nodes,
            text,
            root: 0,
        }
    }

    /// The same document from a `serde_json::Value` (results the API layer computes).
    pub fn from_value(value: &Value) -> Tape {
        let mut builder = TapeBuilder::default();
        builder.value(value);
        builder.finish()
    }

    /// The document's root value.
    pub fn root(&self) -> Json<'_> {
        Json {
            tape: self,
            at: self.root,
        }
    }

    /// The value whose node is at `at` (from `Json::position`).
    pub fn value_at(&self, at: usize) -> Json<'_> {
        Json { tape: self, at }
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The memory the document holds (nodes and string bytes), for bounding what is kept.
    pub fn size_in_bytes(&self) -> usize {
        self.nodes.len() * std::mem::size_of::<Node>() + self.text.len()
    }

    /// The text of a `Str` node.
    pub fn str_of(&self, start: usize, len: usize) -> &str {
        std::str::from_utf8(self.bytes_of(start, len)).unwrap_or("")
    }

    /// The bytes of a `Str` node, unchecked (they are UTF-8: see `text`), for Lua, whose
    /// strings are bytes.
    pub fn bytes_of(&self, start: usize, len: usize) -> &[u8] {
        start
            .checked_add(len)
            .and_then(|end| self.text.get(start..end))
            .unwrap_or(b"")
    }

    /// A list result made from this document without copying its items: the object
    /// `{key: [items]}`, `items` being `count` elements of the array under `key` in the root
    /// object, from its `skip`th on, and a builder with that object open for more entries.
    /// Everything else of the document is dropped (its nodes and bytes are left unused).
    /// The tape itself when there is no such array or it holds fewer elements.
    pub fn into_list(mut self, key: &str, skip: usize, count: usize) -> Result<TapeBuilder, Tape> {
        let Some(array) = self.root().get(key).map(Json::position) else {
            return Err(self);
        };
        let Some(Node::Array { len, .. }) = self.nodes.get(array).copied() else {
            return Err(self);
        };
        if skip.checked_add(count).is_none_or(|end| end > len) {
            return Err(self);
        }
        let (first, end) = {
            let mut items = self.value_at(array).items();
            let first = items.nth(skip).map_or(array + 1, Json::position);
            let last = match count.checked_sub(1) {
                Some(more) if more > 0 => items.nth(more - 1),
                Some(_) => Some(self.value_at(first)),
                None => None,
            };
            (
                first,
                last.map_or(first, |v| v.position() + v.node().width()),
            )
        };
        // The key node (the one before its value) and the new root, array and key nodes right
        // before the first item: the array is at least the root's third node, so they fit.
        let (Some(&key_node), Some(root)) = (self.nodes.get(array - 1), first.checked_sub(3))
        else {
            return Err(self);
        };
        self.nodes.truncate(end);
        self.nodes[root] = Node::Object { len: 0, span: 0 };
        self.nodes[root + 1] = key_node;
        self.nodes[root + 2] = Node::Array {
            len: count,
            span: end - first,
        };
        self.root = root;
        Ok(TapeBuilder {
            tape: self,
            open: vec![(root, 1)],
        })
    }
}

fn parse_simd(scratch: &mut Scratch, body: &[u8]) -> Option<Tape> {
    let Scratch { buffers, nodes } = scratch;
    // The copy simd-json parses (it unescapes strings in place), padded as it asks; it
    // becomes the tape's text.
    let mut input = Vec::with_capacity(body.len() + simd_json::INPUT_PADDING);
    input.extend_from_slice(body);
    input.resize(body.len() + simd_json::INPUT_PADDING, b' ');
    let base = input.as_ptr() as usize;
    let mut simd = nodes
        .take()
        .unwrap_or_else(|| simd_json::Tape::null().reset())
        .reset();
    let parsed = match simd_json::fill_tape_padded(&mut input, body.len(), buffers, &mut simd) {
        Ok(()) => Some(
            Tape::from_simd_in_place(&simd.0, base, body.len())
                .ok_or_else(|| Tape::from_simd_copied(&simd.0, body.len())),
        ),
        Err(_) => None,
    };
    *nodes = Some(simd.reset());
    let parsed = parsed.map(|in_place| match in_place {
        Ok(nodes) => {
            input.truncate(body.len());
            Tape {
                nodes,
                text: input,
                root: 0,
            }
        }
        Err(copied) => copied,
    });
    // Buffers sized for a huge answer are not worth keeping for the thread's life.
    if body.len() > SCRATCH_KEEP_BYTES {
        *scratch = Scratch::default();
    }
    parsed
}

/// Bodies up to this size leave their parse buffers in place for the next one (list pages
/// are tens of kilobytes).
const SCRATCH_KEEP_BYTES: usize = 1 << 20;

/// One value inside a tape.
#[derive(Debug, Clone, Copy)]
pub struct Json<'t> {
    tape: &'t Tape,
    at: usize,
}

impl<'t> Json<'t> {
    pub fn node(self) -> Node {
        self.tape.nodes.get(self.at).copied().unwrap_or(Node::Null)
    }

    /// This value's nodes, its own first.
    pub fn nodes(self) -> &'t [Node] {
        let width = self.node().width();
        self.tape.nodes.get(self.at..self.at + width).unwrap_or(&[])
    }

    pub fn tape(self) -> &'t Tape {
        self.tape
    }

    /// Where this value's node sits in its tape (see `Tape::value_at`).
    pub fn position(self) -> usize {
        self.at
    }

    pub fn as_str(self) -> Option<&'t str> {
        match self.node() {
            Node::Str { start, len } => Some(self.tape.str_of(start, len)),
            _ => None,
        }
    }

    pub fn as_bool(self) -> Option<bool> {
        match self.node() {
            Node::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_i64(self) -> Option<i64> {
        match self.node() {
            Node::Int(i) => Some(i),
            _ => None,
        }
    }

    pub fn is_null(self) -> bool {
        self.node() == Node::Null
    }

    /// The elements of an array (nothing for anything else).
    pub fn items(self) -> impl Iterator<Item = Json<'t>> + 't {
        let (tape, len) = match self.node() {
            Node::Array { len, .. } => (self.tape, len),
            _ => (self.tape, 0),
        };
        let mut at = self.at + 1;
        (0..len).map(move |_| {
            let item = Json { tape, at };
            at += item.node().width();
            item
        })
    }

    /// The key/value pairs of an object (nothing for anything else).
    pub fn entries(self) -> impl Iterator<Item = (&'t str, Json<'t>)> + 't {
        let (tape, len) = match self.node() {
            Node::Object { len, .. } => (self.tape, len),
            _ => (self.tape, 0),
        };
        let mut at = self.at + 1;
        (0..len).map(move |_| {
            let key = Json { tape, at }.as_str().unwrap_or("");
            let value = Json { tape, at: at + 1 };
            at += 1 + value.node().width();
            (key, value)
        })
    }

    /// A field of an object; the last one when a key repeats (as serde_json and Lua keep it).
    pub fn get(self, key: &str) -> Option<Json<'t>> {
        self.entries()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v)
            .last()
    }

    /// A `serde_json::Value` copy, for the few results the API layer reshapes.
    pub fn to_value(self) -> Value {
        self.to_value_at_depth(0)
    }

    fn to_value_at_depth(self, depth: usize) -> Value {
        if depth > MAX_VALUE_DEPTH {
            return Value::Null;
        }
        match self.node() {
            Node::Str { start, len } => Value::String(self.tape.str_of(start, len).to_string()),
            Node::Int(i) => Value::from(i),
            Node::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            Node::Bool(b) => Value::Bool(b),
            Node::Null => Value::Null,
            Node::Array { .. } => Value::Array(
                self.items()
                    .map(|v| v.to_value_at_depth(depth + 1))
                    .collect(),
            ),
            Node::Object { .. } => {
                let mut map = Map::new();
                for (k, v) in self.entries() {
                    map.insert(k.to_string(), v.to_value_at_depth(depth + 1));
                }
                Value::Object(map)
            }
        }
    }

    /// How many nodes and string bytes a copy of this value takes (`TapeBuilder::reserve`).
    pub fn footprint(self) -> (usize, usize) {
        let nodes = self.nodes();
        let (first, last) = string_bounds(nodes);
        (nodes.len(), last.saturating_sub(first))
    }

    /// Compact JSON text, for error messages.
    pub fn to_json_string(self) -> String {
        self.to_value().to_string()
    }
}

/// `to_value` stops here (serde_json's own parser refuses deeper documents anyway).
const MAX_VALUE_DEPTH: usize = 128;

/// Builds a tape value by value: `begin_object`/`begin_array` ... `end`, keys with `key`.
#[derive(Debug, Default)]
pub struct TapeBuilder {
    tape: Tape,
    /// Open containers: their node's index and how many values they hold so far.
    open: Vec<(usize, usize)>,
}

impl TapeBuilder {
    fn counted(&mut self) {
        if let Some((_, n)) = self.open.last_mut() {
            *n += 1;
        }
    }

    fn push_str_node(&mut self, s: &str) {
        let start = self.tape.text.len();
        self.tape.text.extend_from_slice(s.as_bytes());
        self.tape.nodes.push(Node::Str {
            start,
            len: s.len(),
        });
    }

    /// A key inside an object; the next value is its value.
    pub fn key(&mut self, key: &str) -> &mut Self {
        self.push_str_node(key);
        self
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        self.push_str_node(s);
        self.counted();
        self
    }

    pub fn int(&mut self, i: i64) -> &mut Self {
        self.tape.nodes.push(Node::Int(i));
        self.counted();
        self
    }

    pub fn bool(&mut self, b: bool) -> &mut Self {
        self.tape.nodes.push(Node::Bool(b));
        self.counted();
        self
    }

    pub fn begin_array(&mut self) -> &mut Self {
        self.open.push((self.tape.nodes.len(), 0));
        self.tape.nodes.push(Node::Array { len: 0, span: 0 });
        self
    }

    pub fn begin_object(&mut self) -> &mut Self {
        self.open.push((self.tape.nodes.len(), 0));
        self.tape.nodes.push(Node::Object { len: 0, span: 0 });
        self
    }

    /// Close the innermost open array or object.
    pub fn end(&mut self) -> &mut Self {
        if let Some((at, count)) = self.open.pop() {
            let span = self.tape.nodes.len() - at - 1;
            if let Some(node) = self.tape.nodes.get_mut(at) {
                *node = match node {
                    Node::Array { .. } => Node::Array { len: count, span },
                    _ => Node::Object { len: count, span },
                };
            }
            self.counted();
        }
        self
    }

    /// Room for `nodes` more nodes and `text` more string bytes, so copying a page's items
    /// grows each buffer once instead of doubling it a dozen times.
    pub fn reserve(&mut self, nodes: usize, text: usize) -> &mut Self {
        self.tape.nodes.reserve(nodes);
        self.tape.text.reserve(text);
        self
    }

    /// A copy of a value from another tape.
    pub fn copy(&mut self, value: Json<'_>) -> &mut Self {
        let source = value.tape;
        let base = self.tape.text.len();
        // Copy the strings the range uses, in order, and shift their offsets.
        let nodes = value.nodes();
        let (first, last) = string_bounds(nodes);
        if first < last {
            self.tape
                .text
                .extend_from_slice(source.text.get(first..last).unwrap_or(b""));
        }
        self.tape.nodes.extend(nodes.iter().map(|node| match *node {
            Node::Str { start, len } => Node::Str {
                start: start - first + base,
                len,
            },
            other => other,
        }));
        self.counted();
        self
    }

    /// A `serde_json::Value`, recursively.
    pub fn value(&mut self, value: &Value) -> &mut Self {
        self.value_at_depth(value, 0)
    }

    fn value_at_depth(&mut self, value: &Value, depth: usize) -> &mut Self {
        match value {
            Value::Null => {
                self.tape.nodes.push(Node::Null);
                self.counted();
            }
            Value::Bool(b) => {
                self.bool(*b);
            }
            Value::Number(n) => {
                let node = match n.as_i64() {
                    Some(i) => Node::Int(i),
                    None => Node::Float(n.as_f64().unwrap_or(f64::NAN)),
                };
                self.tape.nodes.push(node);
                self.counted();
            }
            Value::String(s) => {
                self.str(s);
            }
            // serde_json refuses to parse deeper documents; built ones are cut the same way.
            _ if depth >= MAX_VALUE_DEPTH => {
                self.tape.nodes.push(Node::Null);
                self.counted();
            }
            Value::Array(items) => {
                self.begin_array();
                for item in items {
                    self.value_at_depth(item, depth + 1);
                }
                self.end();
            }
            Value::Object(map) => {
                self.begin_object();
                for (k, v) in map {
                    self.key(k);
                    self.value_at_depth(v, depth + 1);
                }
                self.end();
            }
        }
        self
    }

    /// The finished document: the first value built (close every container first).
    pub fn finish(mut self) -> Tape {
        while !self.open.is_empty() {
            self.end();
        }
        if self.tape.nodes.is_empty() {
            self.tape.nodes.push(Node::Null);
        }
        self.tape
    }
}

/// The byte range of `text` that the strings of `nodes` use (they are stored in order).
fn string_bounds(nodes: &[Node]) -> (usize, usize) {
    let span = |n: &Node| match *n {
        Node::Str { start, len } => Some((start, start + len)),
        _ => None,
    };
    match (
        nodes.iter().find_map(span),
        nodes.iter().rev().find_map(span),
    ) {
        (Some((first, _)), Some((_, last))) => (first, last),
        _ => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A tape's nodes from its root on, strings as their text (where they sit varies).
    fn contents(tape: &Tape) -> Vec<(Node, &str)> {
        tape.root()
            .nodes()
            .iter()
            .map(|&node| match node {
                Node::Str { start, len } => (Node::Str { start: 0, len }, tape.str_of(start, len)),
                other => (other, ""),
            })
            .collect()
    }

    #[test]
    fn parses_what_serde_json_parses() {
        let doc = json!({
            "error": false,
            "reason": "listed",
            "data": [
                {"session_id": "session_1", "meta": {"nickname": "Ana \"A\" \u{e9}", "tags": []}},
                {"n": -3, "big": 18446744073709551615u64, "f": 1.5, "e": 1e300, "z": null, "t": true},
                [], {}, "", "\\n\n\u{1F600}"
            ]
        });
        let text = serde_json::to_vec(&doc).unwrap();
        let tape = Tape::parse(&text).unwrap();
        assert_eq!(contents(&tape), contents(&Tape::from_value(&doc)));
        // Integers past i64 become floats, as Lua holds them.
        let big = tape
            .root()
            .get("data")
            .unwrap()
            .items()
            .nth(1)
            .unwrap()
            .get("big");
        assert_eq!(
            big.unwrap().node(),
            Node::Float(18446744073709551615u64 as f64)
        );
        let small = json!({"a": [1, -2, 0.5, "s", null, true, {"b": {}}]});
        let tape = Tape::parse(small.to_string().as_bytes()).unwrap();
        assert_eq!(tape.root().to_value(), small);
    }

    #[test]
    fn walks_items_and_fields() {
        let tape = Tape::parse(br#"{"data":[{"a":1,"b":[1,2]},{"a":2}],"a":"x","a":"y"}"#).unwrap();
        let root = tape.root();
        assert_eq!(root.get("a").and_then(|v| v.as_str()), Some("y"));
        let data = root.get("data").unwrap();
        let ids: Vec<i64> = data
            .items()
            .filter_map(|i| i.get("a").and_then(|v| v.as_i64()))
            .collect();
        assert_eq!(ids, [1, 2]);
        assert_eq!(root.get("missing").map(|v| v.node()), None);
        assert_eq!(
            Json {
                tape: &tape,
                at: 99
            }
            .node(),
            Node::Null
        );
    }

    #[test]
    fn builds_results_from_copied_items() {
        let page = Tape::parse(br#"[{"id":"a","m":{"x":"1"}},{"id":"b"},{"id":"c"}]"#).unwrap();
        let mut b = TapeBuilder::default();
        b.begin_object().key("data").begin_array();
        for item in page.root().items().skip(1) {
            b.copy(item);
        }
        b.end().key("page").int(2).key("has_more").bool(false).end();
        let built = b.finish();
        assert_eq!(
            built.root().to_value(),
            json!({"data": [{"id": "b"}, {"id": "c"}], "page": 2, "has_more": false})
        );
        let mut b = TapeBuilder::default();
        b.begin_array()
            .copy(page.root().items().next().unwrap())
            .end();
        assert_eq!(
            b.finish().root().to_value(),
            json!([{"id": "a", "m": {"x": "1"}}])
        );
    }

    /// `into_list` against the same result built by copying.
    fn list_by_copy(page: &Tape, skip: usize, count: usize) -> Value {
        let mut b = TapeBuilder::default();
        b.begin_object().key("data").begin_array();
        for item in page
            .root()
            .get("data")
            .unwrap()
            .items()
            .skip(skip)
            .take(count)
        {
            b.copy(item);
        }
        b.end().key("page").int(3).key("more").bool(true).end();
        b.finish().root().to_value()
    }

    #[test]
    fn into_list_keeps_items_in_place() {
        let body = br#"{"error":false,"reason":"listed \"x\"","data":[{"id":"a\n","m":{"x":["1",2]}},{"id":"b"},[],"s",{"id":"\u00e9"},{}],"after":"z"}"#;
        let page = Tape::parse(body).unwrap();
        let len = 6;
        for skip in 0..=len {
            for count in 0..=len - skip {
                let mut b = page.clone().into_list("data", skip, count).unwrap();
                b.key("page").int(3).key("more").bool(true).end();
                let built = b.finish();
                assert_eq!(
                    built.root().to_value(),
                    list_by_copy(&page, skip, count),
                    "skip {skip} count {count}"
                );
                // Copying a value out of it (crisp.all, paginate) still finds its strings.
                let mut again = TapeBuilder::default();
                again.copy(built.root());
                assert_eq!(again.finish().root().to_value(), built.root().to_value());
                let items: Vec<Value> = built
                    .root()
                    .get("data")
                    .unwrap()
                    .items()
                    .map(|i| i.to_value())
                    .collect();
                assert_eq!(items.len(), count);
            }
        }
        // The key first, the last of repeated keys, and a document built in code.
        let page = Tape::parse(br#"{"data":[1],"x":{},"data":[{"a":"b"},"c"]}"#).unwrap();
        let mut b = page.clone().into_list("data", 1, 1).unwrap();
        b.key("page").int(3).key("more").bool(true).end();
        assert_eq!(b.finish().root().to_value(), list_by_copy(&page, 1, 1));
        let built = Tape::from_value(&json!({"data": [{"a": 1}, {"b": [2]}]}));
        let mut b = built.clone().into_list("data", 0, 2).unwrap();
        b.key("page").int(3).key("more").bool(true).end();
        assert_eq!(b.finish().root().to_value(), list_by_copy(&built, 0, 2));
    }

    #[test]
    fn into_list_refuses_what_it_cannot_cut() {
        let page = Tape::parse(br#"{"data":[1,2],"other":{"a":1}}"#).unwrap();
        for (key, skip, count) in [
            ("data", 0, 3),
            ("data", 2, 1),
            ("data", 3, 0),
            ("other", 0, 0),
            ("none", 0, 0),
        ] {
            let back = page.clone().into_list(key, skip, count).unwrap_err();
            assert_eq!(back, page, "{key} {skip} {count}");
        }
        let array = Tape::parse(b"[[1]]").unwrap();
        assert!(array.into_list("data", 0, 0).is_err());
    }

    #[test]
    fn parsed_strings_are_read_from_the_body_or_copied() {
        // Strings with and without escapes, unescaped in place in the parsed copy.
        let body = br#"["plain", "tab\there", "\u00e9t\u00e9", "\ud83d\ude00!", "", "q\"q"]"#;
        let tape = Tape::parse(body).unwrap();
        let strings: Vec<&str> = tape.root().items().filter_map(|s| s.as_str()).collect();
        assert_eq!(strings, ["plain", "tab\there", "été", "😀!", "", "q\"q"]);
        // A node list whose strings are not in the buffer is refused (and then copied).
        let mut input = b"[\"a\"]".to_vec();
        input.resize(input.len() + simd_json::INPUT_PADDING, b' ');
        let mut buffers = simd_json::Buffers::default();
        let mut simd = simd_json::Tape::null().reset();
        simd_json::fill_tape_padded(&mut input, 5, &mut buffers, &mut simd).unwrap();
        let elsewhere = [0u8; 16];
        assert!(Tape::from_simd_in_place(&simd.0, elsewhere.as_ptr() as usize, 16).is_none());
        let copied = Tape::from_simd_copied(&simd.0, 5);
        assert_eq!(copied.root().to_value(), json!(["a"]));
    }

    #[test]
    fn errors_say_where() {
        let err = Tape::parse(b"{\"a\": tru}").unwrap_err();
        assert!(err.0.contains("line 1 column"), "{err}");
        assert!(Tape::parse(b"").is_err());
        assert!(Tape::parse(b"\xff").is_err());
        assert!(Tape::parse(b"[1,]").is_err());
        assert!(Tape::parse(b"{} x").is_err());
        assert_eq!(Tape::parse(b" 7 ").unwrap().root().as_i64(), Some(7));
    }

    #[test]
    fn deep_documents_do_not_overflow() {
        let deep = "[".repeat(5000) + &"]".repeat(5000);
        let _ = Tape::parse(deep.as_bytes());
        let mut v = json!(1);
        for _ in 0..200 {
            v = json!([v]);
        }
        let t = Tape::from_value(&v);
        assert!(t.root().to_value().is_array());
    }
}
