//! The one description of the Lua API: every function, its parameters and the REST call behind it.
//!
//! Validation, completion, signature hints, `:doc` and `doc --json` all read this table, so adding
//! a function means one entry here, one arm in `api.rs` and one section in `docs/api.md`.

use std::collections::BTreeMap;

use serde::Serialize;

/// What values a parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ParamType {
    /// A whole number within `min..=max`.
    Integer { min: i64, max: i64 },
    /// A string; `non_empty` refuses "".
    String { non_empty: bool },
    /// One of a fixed set of strings.
    Enum { values: &'static [&'static str] },
    /// `true` or `false`.
    Boolean,
    /// A Lua array of strings (`{"vip", "billing"}`).
    StringList,
    /// A Lua array of integers (message fingerprints).
    IntegerList,
    /// A table with string keys and any JSON-representable values (custom data).
    Object,
    /// A Lua array of tables, each with at least the listed string fields (search filters).
    ObjectList { fields: &'static [&'static str] },
    /// A non-empty id, or `false` to clear it (unassign).
    IdOrFalse,
}

impl ParamType {
    /// The Lua type name shown in docs and errors.
    pub fn lua_type(&self) -> &'static str {
        match self {
            ParamType::Integer { .. } => "integer",
            ParamType::String { .. } | ParamType::Enum { .. } => "string",
            ParamType::Boolean => "boolean",
            ParamType::StringList => "array of strings",
            ParamType::IntegerList => "array of integers",
            ParamType::Object => "table",
            ParamType::ObjectList { .. } => "array of tables",
            ParamType::IdOrFalse => "string or false",
        }
    }

    /// A short human description of the accepted range, if any.
    pub fn range(&self) -> Option<String> {
        match self {
            ParamType::Integer { min, max } if *max == i64::MAX => Some(format!(">= {min}")),
            ParamType::Integer { min, max } => Some(format!("{min}..{max}")),
            ParamType::String { non_empty: true } => Some("non-empty".into()),
            ParamType::String { non_empty: false } => None,
            ParamType::Enum { values } => Some(
                values
                    .iter()
                    .map(|v| format!("\"{v}\""))
                    .collect::<Vec<_>>()
                    .join(" | "),
            ),
            ParamType::ObjectList { fields } => Some(format!("each with {}", fields.join(", "))),
            ParamType::IdOrFalse => Some("an id, or false to clear".into()),
            ParamType::Boolean
            | ParamType::StringList
            | ParamType::IntegerList
            | ParamType::Object => None,
        }
    }
}

/// One named parameter of a function.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ParamSpec {
    pub name: &'static str,
    #[serde(flatten)]
    pub ty: ParamType,
    pub required: bool,
    /// The default as Lua source text (`1`, `"text"`), for docs; `None` when required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<&'static str>,
    pub description: &'static str,
}

impl ParamSpec {
    /// The name as signatures show it: `type?` for an optional parameter.
    pub fn shown(&self) -> String {
        if self.required {
            self.name.to_string()
        } else {
            format!("{}?", self.name)
        }
    }
}

/// One function of `app.integrations.crisp`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FunctionSpec {
    pub name: &'static str,
    pub summary: &'static str,
    pub params: &'static [ParamSpec],
    /// True when the call changes data in Crisp (refused by `--read-only`).
    pub writes: bool,
    /// The REST calls it makes, relative to the API base.
    pub rest: &'static [&'static str],
    /// The shape of the returned table, as Lua-ish text.
    pub returns: &'static str,
    /// A runnable example (Lua).
    pub example: &'static str,
}

impl FunctionSpec {
    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    /// `send_message{conversation_id, text, type?, from?}`: the signature used in hints.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self.params.iter().map(ParamSpec::shown).collect();
        format!("{}{{{}}}", self.name, params.join(", "))
    }
}

const PAGE: ParamSpec = ParamSpec {
    name: "page",
    ty: ParamType::Integer {
        min: 1,
        max: i64::MAX,
    },
    required: false,
    default: Some("1"),
    description: "Page number (1-based).",
};

const fn per_page(what: &'static str) -> ParamSpec {
    ParamSpec {
        name: "per_page",
        ty: ParamType::Integer { min: 1, max: 100 },
        required: false,
        default: Some("25"),
        description: what,
    }
}

/// An optional parameter with no default: sent only when given.
const fn opt(name: &'static str, ty: ParamType, description: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        ty,
        required: false,
        default: None,
        description,
    }
}

/// A required parameter.
const fn req(name: &'static str, ty: ParamType, description: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        ty,
        required: true,
        default: None,
        description,
    }
}

const TEXT: ParamType = ParamType::String { non_empty: true };

const CONVERSATION_ID: ParamSpec = req(
    "conversation_id",
    TEXT,
    "The conversation session ID (session_...).",
);

/// The fields every search filter table needs as strings; `query` (a string or an array of
/// strings) is checked by the operation, since its type is not a plain string.
pub const FILTER_FIELDS: &[&str] = &["model", "criterion", "operator"];

const SEARCH_OPERATOR: ParamSpec = opt(
    "search_operator",
    ParamType::Enum {
        values: &["and", "or"],
    },
    "How search_filter conditions combine: \"and\" (Crisp's default) or \"or\".",
);

/// Crisp's own list options for `list_conversations` (crisp-api.md §7.3), after page/per_page.
const CONVERSATION_LIST_PARAMS: &[ParamSpec] = &[
    PAGE,
    per_page("Conversations per page (max 100)."),
    opt(
        "search_query",
        TEXT,
        "Words to find in messages, nicknames and emails (search_type \"text\"), or a segment name (search_type \"segment\").",
    ),
    ParamSpec {
        name: "search_type",
        ty: ParamType::Enum {
            values: &["text", "segment", "filter"],
        },
        required: false,
        default: Some("\"text\""),
        description: "What search_query is; \"filter\" searches with search_filter instead (implied when search_filter is given).",
    },
    SEARCH_OPERATOR,
    opt(
        "search_filter",
        ParamType::ObjectList {
            fields: FILTER_FIELDS,
        },
        "Filter conditions, each {model = \"session\", criterion = ..., operator = \"eq\", query = {...}}.",
    ),
    opt(
        "include_empty",
        ParamType::Boolean,
        "Also list conversations that have no message.",
    ),
    opt(
        "filter_inbox_id",
        TEXT,
        "Only conversations routed to this inbox.",
    ),
    opt(
        "filter_unread",
        ParamType::Boolean,
        "Only conversations with messages no operator has read.",
    ),
    opt(
        "filter_resolved",
        ParamType::Boolean,
        "Only resolved conversations.",
    ),
    opt(
        "filter_not_resolved",
        ParamType::Boolean,
        "Only conversations not resolved (pending or unresolved).",
    ),
    opt(
        "filter_mention",
        ParamType::Boolean,
        "Only conversations where the account's operator is mentioned.",
    ),
    opt(
        "filter_assigned",
        TEXT,
        "Only conversations assigned to this operator user_id (list_operators shows them).",
    ),
    opt(
        "filter_unassigned",
        ParamType::Boolean,
        "Only conversations assigned to nobody.",
    ),
    opt(
        "filter_date_start",
        TEXT,
        "Only conversations updated at or after this ISO 8601 UTC date-time (2026-10-01T00:00:00Z).",
    ),
    opt(
        "filter_date_end",
        TEXT,
        "Only conversations updated at or before this ISO 8601 UTC date-time.",
    ),
    opt(
        "order_date_created",
        ParamType::Boolean,
        "Order by creation date instead of the last update.",
    ),
    opt(
        "order_date_updated",
        ParamType::Boolean,
        "Order by the last update (Crisp's default order).",
    ),
    opt(
        "order_date_waiting",
        ParamType::Boolean,
        "Order by how long the customer has been waiting.",
    ),
];

/// Crisp's search options for `list_contacts` (crisp-api.md §7.4), after page/per_page.
const CONTACT_LIST_PARAMS: &[ParamSpec] = &[
    PAGE,
    per_page("Contacts per page (max 100)."),
    opt(
        "search_text",
        TEXT,
        "Words to find in names, emails and companies.",
    ),
    opt(
        "sort_field",
        TEXT,
        "The profile field to sort by, e.g. \"nickname\", \"email\" or \"created_at\".",
    ),
    opt(
        "sort_order",
        ParamType::Enum {
            values: &["ascending", "descending"],
        },
        "The direction of sort_field.",
    ),
    SEARCH_OPERATOR,
    opt(
        "search_filter",
        ParamType::ObjectList {
            fields: FILTER_FIELDS,
        },
        "Filter conditions, each {model = \"people\", criterion = ..., operator = \"eq\", query = {...}}.",
    ),
];

/// The states of a conversation.
pub const CONVERSATION_STATES: &[&str] = &["pending", "unresolved", "resolved"];

/// The message types `send_message` accepts.
pub const MESSAGE_TYPES: &[&str] = &["text", "note", "file"];
/// The methods `request` accepts.
pub const REQUEST_METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
/// Who a sent message appears to come from.
pub const MESSAGE_ORIGINS: &[&str] = &["operator", "user"];

pub const FUNCTIONS: &[FunctionSpec] = &[
    FunctionSpec {
        name: "list_conversations",
        summary: "List chat conversations for the website.",
        params: CONVERSATION_LIST_PARAMS,
        writes: false,
        rest: &["GET website/{website_id}/conversations/{page}?per_page=N&search_query=...&filter_...=1"],
        returns: "{ data = {conversation...}, page = int, per_page = int, has_more = bool }",
        example: "local result = crisp.list_conversations({ page = 1, per_page = 25 })\nfor _, conv in ipairs(result.data) do\n  print(conv.session_id .. \" — \" .. (conv.last_message or \"no messages\"))\nend",
    },
    FunctionSpec {
        name: "get_conversation",
        summary: "Get details and messages of a specific conversation.",
        params: &[ParamSpec {
            name: "conversation_id",
            ty: ParamType::String { non_empty: true },
            required: true,
            default: None,
            description: "The conversation session ID (session_...).",
        }],
        writes: false,
        rest: &[
            "GET website/{website_id}/conversation/{session_id}",
            "GET website/{website_id}/conversation/{session_id}/messages?timestamp_before=T",
        ],
        returns: "{ data = {message...} (oldest first), conversation = {...} }",
        example: "local result = crisp.get_conversation({ conversation_id = \"session_abc123\" })\nfor _, msg in ipairs(result.data) do\n  print(msg.from .. \": \" .. msg.content)\nend",
    },
    FunctionSpec {
        name: "send_message",
        summary: "Send a message in a Crisp conversation.",
        params: &[
            ParamSpec {
                name: "conversation_id",
                ty: ParamType::String { non_empty: true },
                required: true,
                default: None,
                description: "The conversation session ID (session_...).",
            },
            ParamSpec {
                name: "text",
                ty: ParamType::String { non_empty: true },
                required: true,
                default: None,
                description: "The message text to send; for type \"file\", the file's URL.",
            },
            ParamSpec {
                name: "type",
                ty: ParamType::Enum {
                    values: MESSAGE_TYPES,
                },
                required: false,
                default: Some("\"text\""),
                description: "Message type: \"text\", \"note\" (private, operators only) or \"file\".",
            },
            ParamSpec {
                name: "from",
                ty: ParamType::Enum {
                    values: MESSAGE_ORIGINS,
                },
                required: false,
                default: Some("\"operator\""),
                description: "Message origin: \"operator\" or \"user\".",
            },
        ],
        writes: true,
        rest: &["POST website/{website_id}/conversation/{session_id}/message"],
        returns: "{ sent = true, fingerprint = int, data = { fingerprint = int } }",
        example: "local result = crisp.send_message({\n  conversation_id = \"session_abc123\",\n  text = \"Hello! How can I help you today?\",\n})\nprint(\"Message sent: \" .. tostring(result.sent))",
    },
    FunctionSpec {
        name: "list_contacts",
        summary: "List contacts (people profiles) for the website.",
        params: CONTACT_LIST_PARAMS,
        writes: false,
        rest: &["GET website/{website_id}/people/profiles/{page}?per_page=N&search_text=...&sort_field=..."],
        returns: "{ data = {contact...}, page = int, per_page = int, has_more = bool }",
        example: "local result = crisp.list_contacts({ page = 1, per_page = 50 })\nfor _, contact in ipairs(result.data) do\n  print(contact.email .. \" — \" .. (contact.person.nickname or \"unknown\"))\nend",
    },
    FunctionSpec {
        name: "get_contact",
        summary: "Get details of a specific contact.",
        params: &[ParamSpec {
            name: "contact_id",
            ty: ParamType::String { non_empty: true },
            required: true,
            default: None,
            description: "The contact identifier (email or Crisp people ID).",
        }],
        writes: false,
        rest: &["GET website/{website_id}/people/profile/{people_id}"],
        returns: "{ data = {contact} }",
        example: "local contact = crisp.get_contact({ contact_id = \"[email protected]\" }).data\nprint(\"Name: \" .. (contact.person.nickname or \"N/A\"))",
    },
    FunctionSpec {
        name: "list_campaigns",
        summary: "List marketing campaigns for the website (user tier only).",
        params: &[PAGE, per_page("Campaigns per page (max 100).")],
        writes: false,
        rest: &["GET website/{website_id}/campaigns/list/{page}?per_page=N"],
        returns: "{ data = {campaign...}, page = int, per_page = int, has_more = bool }",
        example: "local result = crisp.list_campaigns({ page = 1, per_page = 25 })\nfor _, campaign in ipairs(result.data) do\n  print(campaign.name .. \" — status: \" .. campaign.state)\nend",
    },
    FunctionSpec {
        name: "get_current_user",
        summary: "Get the authenticated Crisp user profile. Useful for verifying credentials.",
        params: &[],
        writes: false,
        rest: &[
            "GET user/account/profile (tier user)",
            "GET plugin/connect/account (tier plugin)",
            "GET website/{website_id} (tier website)",
        ],
        returns: "{ data = { tier = string, email? = string, ... } }",
        example: "local user = crisp.get_current_user({}).data\nprint(\"Connected as: \" .. (user.email or \"unknown\"))",
    },
    FunctionSpec {
        name: "set_conversation_state",
        summary: "Set a conversation's state: pending, unresolved or resolved.",
        params: &[
            CONVERSATION_ID,
            req(
                "state",
                ParamType::Enum {
                    values: CONVERSATION_STATES,
                },
                "The new state: \"pending\", \"unresolved\" or \"resolved\".",
            ),
        ],
        writes: true,
        rest: &["PATCH website/{website_id}/conversation/{session_id}/state"],
        returns: "{ updated = true, state = string }",
        example: "crisp.set_conversation_state({ conversation_id = \"session_abc123\", state = \"resolved\" })",
    },
    FunctionSpec {
        name: "mark_read",
        summary: "Mark the visitor's messages in a conversation as read by the operator.",
        params: &[
            CONVERSATION_ID,
            opt(
                "fingerprints",
                ParamType::IntegerList,
                "Only these messages (their fingerprints); all of them when left out.",
            ),
        ],
        writes: true,
        rest: &["PATCH website/{website_id}/conversation/{session_id}/read"],
        returns: "{ updated = true }",
        example: "crisp.mark_read({ conversation_id = \"session_abc123\" })",
    },
    FunctionSpec {
        name: "assign_conversation",
        summary: "Assign a conversation to an operator, or unassign it with user_id = false.",
        params: &[
            CONVERSATION_ID,
            req(
                "user_id",
                ParamType::IdOrFalse,
                "The operator's user_id (list_operators shows them), or false to unassign.",
            ),
        ],
        writes: true,
        rest: &["PATCH website/{website_id}/conversation/{session_id}/routing"],
        returns: "{ updated = true, assigned = string or nil }",
        example: "local op = crisp.list_operators({}).data[1]\ncrisp.assign_conversation({ conversation_id = \"session_abc123\", user_id = op.user_id })",
    },
    FunctionSpec {
        name: "update_conversation_meta",
        summary: "Update a conversation's metas: nickname, email, phone, subject, segments, data.",
        params: &[
            CONVERSATION_ID,
            opt("nickname", TEXT, "The visitor's name."),
            opt("email", TEXT, "The visitor's email."),
            opt("phone", TEXT, "The visitor's phone number."),
            opt("subject", TEXT, "The conversation's subject."),
            opt(
                "segments",
                ParamType::StringList,
                "The conversation's segments (tags); replaces the list, so send all of them.",
            ),
            opt(
                "data",
                ParamType::Object,
                "Custom data, {key = value} with string, number or boolean values.",
            ),
        ],
        writes: true,
        rest: &["PATCH website/{website_id}/conversation/{session_id}/meta"],
        returns: "{ updated = true }",
        example: "crisp.update_conversation_meta({ conversation_id = \"session_abc123\", segments = { \"vip\", \"billing\" } })",
    },
    FunctionSpec {
        name: "list_operators",
        summary: "List the website's operators with their user id, name, email, role and availability.",
        params: &[],
        writes: false,
        rest: &["GET website/{website_id}/operators/list"],
        returns: "{ data = { {user_id, name, email, role, availability, ...}... } }",
        example: "for _, op in ipairs(crisp.list_operators({}).data) do\n  print(op.user_id .. \" \" .. op.name .. \" (\" .. op.availability .. \")\")\nend",
    },
    FunctionSpec {
        name: "list_contact_conversations",
        summary: "List the conversation ids of one contact (by email or people ID).",
        params: &[
            req(
                "contact_id",
                TEXT,
                "The contact identifier (email or Crisp people ID).",
            ),
            PAGE,
        ],
        writes: false,
        rest: &[
            "GET website/{website_id}/people/profile/{email} (an email is resolved to its people_id first)",
            "GET website/{website_id}/people/conversations/{people_id}/list/{page}",
        ],
        returns: "{ data = {session_id...}, people_id = string, page = int }",
        example: "local ids = crisp.list_contact_conversations({ contact_id = \"[email protected]\" }).data\nfor _, id in ipairs(ids) do print(id) end",
    },
    // A helper rather than one route: `writes` is true because it may write; whether a call
    // does is decided per call from its method (GET and HEAD read), see `crisp/request.rs`.
    FunctionSpec {
        name: "request",
        summary: "Call any Crisp REST v1 route with this account's credentials (GET and HEAD read; other methods write).",
        params: &[
            ParamSpec {
                name: "method",
                ty: ParamType::Enum {
                    values: REQUEST_METHODS,
                },
                required: true,
                default: None,
                description: "The HTTP method.",
            },
            ParamSpec {
                name: "path",
                ty: ParamType::String { non_empty: true },
                required: true,
                default: None,
                description: "The route relative to /v1, e.g. \"website/{website_id}/operators/list\"; {website_id} is the account's.",
            },
            ParamSpec {
                name: "query",
                ty: ParamType::Object,
                required: false,
                default: None,
                description: "Query parameters: strings, numbers, booleans (sent as 1/0).",
            },
            ParamSpec {
                name: "body",
                ty: ParamType::Object,
                required: false,
                default: None,
                description: "The JSON body (not for GET and HEAD).",
            },
        ],
        writes: true,
        rest: &["METHOD {path} (any route under the API base)"],
        returns: "{ status = int, reason = string, data = <Crisp's data> }",
        example: "local ops = crisp.request({ method = \"GET\", path = \"website/{website_id}/operators/list\" })\nprint(ops.status, #ops.data)",
    },
];

/// Look a function up by name.
pub fn function(name: &str) -> Option<&'static FunctionSpec> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// The closest known name to `wanted`, if one is close enough to be a plausible typo.
/// camelCase is folded to snake_case first, so `conversationId` finds `conversation_id`.
pub fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let folded = snake_case(wanted);
    candidates
        .into_iter()
        .map(|c| {
            // A mistyped start (`sned` for `send_message`) is compared with the same-length prefix.
            let prefix: String = c.chars().take(folded.chars().count()).collect();
            let score =
                strsim::jaro_winkler(&folded, c).max(strsim::jaro_winkler(&folded, &prefix) * 0.9);
            (score, c)
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

fn snake_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for (i, ch) in s.chars().enumerate() {
        if ch.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(ch.to_lowercase());
        } else if ch == '-' {
            out.push('_');
        } else {
            out.push(ch);
        }
    }
    out
}

/// A parameter value after validation.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Int(i64),
    Str(String),
    Bool(bool),
    /// Lists and tables, as JSON (arrays stay arrays, `{}` is an empty array for list types).
    Json(serde_json::Value),
}

/// A raw argument as the caller gave it, before validation (decoupled from Lua).
#[derive(Debug, Clone, PartialEq)]
pub enum RawArg {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    /// A Lua table, converted to JSON (an empty table is an empty object).
    Table(serde_json::Value),
    /// A Lua string that is not valid UTF-8; the offset of its first bad byte.
    NotUtf8(usize),
    /// Anything else, described by its Lua type name.
    Other(&'static str),
}

impl RawArg {
    fn type_name(&self) -> &'static str {
        match self {
            RawArg::Int(_) | RawArg::Float(_) => "number",
            RawArg::Str(_) | RawArg::NotUtf8(_) => "string",
            RawArg::Bool(_) => "boolean",
            RawArg::Table(_) => "table",
            RawArg::Other(t) => t,
        }
    }
}

/// Parameters that passed validation, defaults filled in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidParams(BTreeMap<&'static str, ParamValue>);

impl ValidParams {
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.0.get(name) {
            Some(ParamValue::Int(v)) => Some(*v),
            _ => None,
        }
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(ParamValue::Str(v)) => Some(v),
            _ => None,
        }
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.0.get(name) {
            Some(ParamValue::Bool(v)) => Some(*v),
            _ => None,
        }
    }

    pub fn json(&self, name: &str) -> Option<&serde_json::Value> {
        match self.0.get(name) {
            Some(ParamValue::Json(v)) => Some(v),
            _ => None,
        }
    }

    /// Any validated value, as JSON (for request bodies and dry runs).
    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.0.get(name)
    }
}

/// Check `args` against `spec`; the error text is the whole message the user sees
/// (the caller prefixes the function name).
pub fn validate(spec: &FunctionSpec, args: &[(String, RawArg)]) -> Result<ValidParams, String> {
    // Every unknown name at once: fixing them one error at a time is tedious.
    let known: Vec<&str> = spec.params.iter().map(|p| p.name).collect();
    let unknown: Vec<String> = args
        .iter()
        .filter(|(name, _)| spec.param(name).is_none())
        .map(|(name, _)| {
            let mut shown = format!("'{}'", echo(name));
            if let Some(s) = did_you_mean(name, known.iter().copied()) {
                shown.push_str(&format!(" (did you mean '{s}'?)"));
            }
            shown
        })
        .collect();
    if !unknown.is_empty() {
        let mut msg = if unknown.len() == 1 {
            format!("unknown parameter {}", unknown[0])
        } else {
            format!("unknown parameters {}", unknown.join(", "))
        };
        if known.is_empty() {
            msg.push_str("; this function takes no parameters");
        } else {
            msg.push_str(&format!("; accepted: {}", known.join(", ")));
        }
        return Err(msg);
    }
    let mut out = BTreeMap::new();
    for (name, raw) in args {
        if let Some(param) = spec.param(name) {
            out.insert(param.name, check_value(param, raw)?);
        }
    }
    for param in spec.params {
        if out.contains_key(param.name) {
            continue;
        }
        if param.required {
            return Err(format!(
                "missing required parameter '{}' ({}): {}",
                param.name,
                param.ty.lua_type(),
                param.description
            ));
        }
        if let Some(default) = param.default {
            out.insert(param.name, parse_default(default));
        }
    }
    Ok(ValidParams(out))
}

fn parse_default(text: &str) -> ParamValue {
    match text {
        "true" => return ParamValue::Bool(true),
        "false" => return ParamValue::Bool(false),
        _ => {}
    }
    match text.parse::<i64>() {
        Ok(n) => ParamValue::Int(n),
        Err(_) => ParamValue::Str(text.trim_matches('"').to_string()),
    }
}

fn check_value(param: &ParamSpec, raw: &RawArg) -> Result<ParamValue, String> {
    let name = param.name;
    let wrong_type = || {
        let shown = match raw {
            RawArg::Float(f) => format!("number {f}"),
            other => other.type_name().to_string(),
        };
        format!(
            "{name} must be {}, got {shown}",
            article(param.ty.lua_type())
        )
    };
    if let RawArg::NotUtf8(at) = raw {
        return Err(format!(
            "{name} is not valid UTF-8 (bad byte at offset {at}); Crisp takes UTF-8 text, so fix the string's encoding (a \\xNN escape or bytes read from a file?)"
        ));
    }
    match param.ty {
        ParamType::Integer { min, max } => {
            let n = match raw {
                RawArg::Int(n) => *n,
                // Lua 5.4 keeps 2.0 a float; accept it when it is whole.
                RawArg::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => *f as i64,
                _ => return Err(wrong_type()),
            };
            if n < min || n > max {
                let range = param.ty.range().unwrap_or_default();
                return Err(format!("{name} must be {range}, got {n}"));
            }
            Ok(ParamValue::Int(n))
        }
        ParamType::String { non_empty } => match raw {
            RawArg::Str(s) if non_empty && s.trim().is_empty() => {
                Err(format!("{name} must not be empty"))
            }
            // `.` and `..` in a URL path name another route once a server or proxy resolves them.
            RawArg::Str(s) if is_id(name) && (s == "." || s == "..") => Err(format!(
                "{name} must be an id, got \"{s}\" (a path segment that would name another route)"
            )),
            RawArg::Str(s) => Ok(ParamValue::Str(s.clone())),
            _ => Err(wrong_type()),
        },
        ParamType::Enum { values } => match raw {
            RawArg::Str(s) if values.contains(&s.as_str()) => Ok(ParamValue::Str(s.clone())),
            RawArg::Str(s) => Err(format!(
                "{name} must be one of {}, got \"{}\"",
                param.ty.range().unwrap_or_default(),
                echo(s)
            )),
            _ => Err(wrong_type()),
        },
        ParamType::Boolean => match raw {
            RawArg::Bool(b) => Ok(ParamValue::Bool(*b)),
            _ => Err(wrong_type()),
        },
        ParamType::IdOrFalse => match raw {
            RawArg::Bool(false) => Ok(ParamValue::Bool(false)),
            RawArg::Str(s) if s.trim().is_empty() => {
                Err(format!("{name} must not be empty (use false to clear it)"))
            }
            RawArg::Str(s) if s == "." || s == ".." => Err(format!(
                "{name} must be an id, got \"{s}\" (a path segment that would name another route)"
            )),
            RawArg::Str(s) => Ok(ParamValue::Str(s.clone())),
            _ => Err(wrong_type()),
        },
        ParamType::Object => match raw {
            RawArg::Table(v @ serde_json::Value::Object(_)) => Ok(ParamValue::Json(v.clone())),
            RawArg::Table(_) => Err(format!(
                "{name} must be a table with string keys ({{key = value}}), got an array"
            )),
            _ => Err(wrong_type()),
        },
        ParamType::StringList | ParamType::IntegerList | ParamType::ObjectList { .. } => {
            let items = match raw {
                RawArg::Table(serde_json::Value::Array(items)) => items.clone(),
                // `{}` has no elements, so it reads as an empty object.
                RawArg::Table(serde_json::Value::Object(map)) if map.is_empty() => Vec::new(),
                RawArg::Table(_) => {
                    return Err(format!(
                        "{name} must be {} (a Lua sequence {{...}}), got a table with named keys",
                        article(param.ty.lua_type())
                    ))
                }
                _ => return Err(wrong_type()),
            };
            for (i, item) in items.iter().enumerate() {
                check_item(param, i + 1, item)?;
            }
            Ok(ParamValue::Json(serde_json::Value::Array(items)))
        }
    }
}

/// One element of a list parameter; `at` is its 1-based Lua index.
fn check_item(param: &ParamSpec, at: usize, item: &serde_json::Value) -> Result<(), String> {
    use serde_json::Value as J;
    let name = param.name;
    let json_type = |v: &J| match v {
        J::Null => "nil",
        J::Bool(_) => "boolean",
        J::Number(_) => "number",
        J::String(_) => "string",
        J::Array(_) | J::Object(_) => "table",
    };
    match (param.ty, item) {
        (ParamType::StringList, J::String(_)) => Ok(()),
        (ParamType::IntegerList, J::Number(n)) if n.is_i64() || n.is_u64() => Ok(()),
        (ParamType::ObjectList { fields }, J::Object(map)) => {
            for field in fields {
                match map.get(*field) {
                    Some(J::String(_)) => {}
                    Some(other) => {
                        return Err(format!(
                            "{name}[{at}].{field} must be a string, got {}",
                            json_type(other)
                        ))
                    }
                    None => {
                        return Err(format!(
                            "{name}[{at}] is missing '{field}' (each needs {})",
                            fields.join(", ")
                        ))
                    }
                }
            }
            Ok(())
        }
        (ParamType::StringList, other) => Err(format!(
            "{name}[{at}] must be a string, got {}",
            json_type(other)
        )),
        (ParamType::IntegerList, other) => Err(format!(
            "{name}[{at}] must be an integer, got {}",
            json_type(other)
        )),
        (_, other) => Err(format!(
            "{name}[{at}] must be a table, got {}",
            json_type(other)
        )),
    }
}

/// Parameters that end up as a URL path segment.
fn is_id(name: &str) -> bool {
    name.ends_with("_id")
}

/// A value as error messages echo it: long values are cut, so a 1 MB id is not a 1 MB message.
pub fn echo(s: &str) -> String {
    const MAX_CHARS: usize = 60;
    match s.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}... ({} bytes)", &s[..cut], s.len()),
        None => s.to_string(),
    }
}

fn article(ty: &str) -> String {
    if ty.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {ty}")
    } else {
        format!("a {ty}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[(&str, RawArg)]) -> Vec<(String, RawArg)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn defaults_are_filled_in() {
        let spec = function("list_conversations").unwrap();
        let p = validate(spec, &[]).unwrap();
        assert_eq!(p.int("page"), Some(1));
        assert_eq!(p.int("per_page"), Some(25));
        let send = function("send_message").unwrap();
        let p = validate(
            send,
            &args(&[
                ("conversation_id", RawArg::Str("session_x".into())),
                ("text", RawArg::Str("hi".into())),
            ]),
        )
        .unwrap();
        assert_eq!(p.str("type"), Some("text"));
        assert_eq!(p.str("from"), Some("operator"));
    }

    #[test]
    fn wrong_type_names_both_types() {
        let spec = function("list_conversations").unwrap();
        let err = validate(spec, &args(&[("page", RawArg::Str("2".into()))])).unwrap_err();
        assert_eq!(err, "page must be an integer, got string");
        let err = validate(spec, &args(&[("page", RawArg::Float(1.5))])).unwrap_err();
        assert_eq!(err, "page must be an integer, got number 1.5");
        let p = validate(spec, &args(&[("page", RawArg::Float(2.0))])).unwrap();
        assert_eq!(p.int("page"), Some(2));
    }

    #[test]
    fn ranges_are_enforced() {
        let spec = function("list_contacts").unwrap();
        for (name, v) in [("page", 0), ("per_page", 0), ("per_page", 101)] {
            let err = validate(spec, &args(&[(name, RawArg::Int(v))])).unwrap_err();
            assert!(err.starts_with(&format!("{name} must be")), "{err}");
        }
        assert!(validate(spec, &args(&[("per_page", RawArg::Int(100))])).is_ok());
    }

    #[test]
    fn enums_and_empty_text() {
        let send = function("send_message").unwrap();
        let base = [
            ("conversation_id", RawArg::Str("session_x".into())),
            ("text", RawArg::Str("hi".into())),
        ];
        let mut bad = base.to_vec();
        bad.push(("type", RawArg::Str("sms".into())));
        let err = validate(send, &args(&bad)).unwrap_err();
        assert_eq!(
            err,
            "type must be one of \"text\" | \"note\" | \"file\", got \"sms\""
        );
        let mut bad = base.to_vec();
        bad.push(("from", RawArg::Str("bot".into())));
        assert!(validate(send, &args(&bad))
            .unwrap_err()
            .starts_with("from must be one of"));
        let empty = [
            ("conversation_id", RawArg::Str("session_x".into())),
            ("text", RawArg::Str("  ".into())),
        ];
        assert_eq!(
            validate(send, &args(&empty)).unwrap_err(),
            "text must not be empty"
        );
    }

    #[test]
    fn missing_and_unknown_parameters() {
        let spec = function("get_conversation").unwrap();
        let err = validate(spec, &[]).unwrap_err();
        assert!(err.starts_with("missing required parameter 'conversation_id'"));
        let err = validate(
            spec,
            &args(&[("conversationId", RawArg::Str("session_x".into()))]),
        )
        .unwrap_err();
        assert_eq!(
            err,
            "unknown parameter 'conversationId' (did you mean 'conversation_id'?); accepted: conversation_id"
        );
        let send = function("send_message").unwrap();
        let err = validate(
            send,
            &args(&[
                ("conversation_id", RawArg::Str("s".into())),
                ("txt", RawArg::Str("hi".into())),
                ("kind", RawArg::Str("note".into())),
            ]),
        )
        .unwrap_err();
        assert!(
            err.starts_with("unknown parameters 'txt' (did you mean 'text'?), 'kind'; accepted:"),
            "{err}"
        );
        let me = function("get_current_user").unwrap();
        let err = validate(me, &args(&[("id", RawArg::Int(1))])).unwrap_err();
        assert!(err.ends_with("this function takes no parameters"), "{err}");
    }

    #[test]
    fn ids_are_never_dot_segments_and_text_is_utf8() {
        let get = function("get_conversation").unwrap();
        for id in [".", ".."] {
            let err =
                validate(get, &args(&[("conversation_id", RawArg::Str(id.into()))])).unwrap_err();
            assert!(err.contains("path segment"), "{err}");
        }
        assert!(validate(
            get,
            &args(&[("conversation_id", RawArg::Str("...".into()))])
        )
        .is_ok());
        let err = validate(get, &args(&[("conversation_id", RawArg::NotUtf8(8))])).unwrap_err();
        assert!(
            err.contains("not valid UTF-8") && err.contains("offset 8"),
            "{err}"
        );
        let send = function("send_message").unwrap();
        let err = validate(
            send,
            &args(&[
                ("conversation_id", RawArg::Str("s".into())),
                ("text", RawArg::NotUtf8(0)),
            ]),
        )
        .unwrap_err();
        assert!(err.starts_with("text is not valid UTF-8"), "{err}");
    }

    #[test]
    fn echoed_values_are_cut() {
        let long = "x".repeat(1_000_000);
        let send = function("send_message").unwrap();
        let err = validate(
            send,
            &args(&[
                ("conversation_id", RawArg::Str("s".into())),
                ("text", RawArg::Str("hi".into())),
                ("type", RawArg::Str(long.clone())),
            ]),
        )
        .unwrap_err();
        assert!(err.len() < 300, "{} bytes", err.len());
        assert!(err.contains("(1000000 bytes)"), "{err}");
        let err = validate(send, &args(&[(long.as_str(), RawArg::Int(1))])).unwrap_err();
        assert!(err.len() < 400, "{} bytes", err.len());
        // Cut on a character boundary.
        assert_eq!(
            echo(&"é".repeat(100)).chars().filter(|c| *c == 'é').count(),
            60
        );
    }

    #[test]
    fn did_you_mean_is_not_too_eager() {
        let names = ["page", "per_page"];
        assert_eq!(did_you_mean("perPage", names), Some("per_page"));
        assert_eq!(did_you_mean("pgae", names), Some("page"));
        assert_eq!(did_you_mean("zzzzzz", names), None);
        let fns = FUNCTIONS.iter().map(|f| f.name);
        assert_eq!(did_you_mean("sned", fns.clone()), Some("send_message"));
        assert_eq!(
            did_you_mean("list_conversation", fns.clone()),
            Some("list_conversations")
        );
        assert_eq!(did_you_mean("support", fns), None);
    }

    #[test]
    fn signatures_mark_optional_parameters() {
        assert_eq!(
            function("send_message").unwrap().signature(),
            "send_message{conversation_id, text, type?, from?}"
        );
        assert_eq!(
            function("get_current_user").unwrap().signature(),
            "get_current_user{}"
        );
    }
}
