//! Every example of the Lua API reference (shared/seeds/000_…txt), verbatim, against the demo
//! Crisp over real HTTP, with its output checked against the demo's seed data.

mod common;

use common::{stdout_of, Harness};
use crisp_repl::crisp::Tier;
use crisp_repl::demo::seed;

const LIST_CONVERSATIONS: &str = r#"local result = app.integrations.crisp.list_conversations({
page = 1,
per_page = 25
})
for _, conv in ipairs(result.data or {}) do
print(conv.session_id .. " — " .. (conv.last_message or "no messages"))
end"#;

const GET_CONVERSATION: &str = r#"local result = app.integrations.crisp.get_conversation({
conversation_id = "session_abc123"
})
for _, msg in ipairs(result.data or {}) do
print(msg.from .. ": " .. msg.content)
end"#;

const SEND_MESSAGE: &str = r#"local result = app.integrations.crisp.send_message({
conversation_id = "session_abc123",
text = "Hello! How can I help you today?",
type = "text",
from = "operator"
})
print("Message sent: " .. tostring(result.sent))"#;

const SEND_NOTE: &str = r#"local result = app.integrations.crisp.send_message({
conversation_id = "session_abc123",
text = "VIP customer — handle with priority.",
type = "note",
from = "operator"
})"#;

const LIST_CONTACTS: &str = r#"local result = app.integrations.crisp.list_contacts({
page = 1,
per_page = 50
})
for _, contact in ipairs(result.data or {}) do
print(contact.email .. " — " .. (contact.person.nickname or "unknown"))
end"#;

const GET_CONTACT: &str = r#"local result = app.integrations.crisp.get_contact({
contact_id = "[email protected]"
})
local contact = result.data or {}
print("Name: " .. (contact.person.nickname or "N/A"))
print("Email: " .. (contact.person.email or "N/A"))"#;

const LIST_CAMPAIGNS: &str = r#"local result = app.integrations.crisp.list_campaigns({
page = 1,
per_page = 25
})
for _, campaign in ipairs(result.data or {}) do
print(campaign.name .. " — status: " .. campaign.state)
end"#;

const GET_CURRENT_USER: &str = r#"local result = app.integrations.crisp.get_current_user({})
local user = result.data or {}
print("Connected as: " .. (user.email or "unknown"))"#;

const MULTI_ACCOUNT: &str = r#"-- Default account (always works)
app.integrations.crisp.list_conversations({...})
-- Explicit default (portable across setups)
app.integrations.crisp.default.list_conversations({...})
-- Named accounts
app.integrations.crisp.support.list_conversations({...})
app.integrations.crisp.sales.list_conversations({...})"#;

fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(o) => {
            let url = o.get("url").and_then(|u| u.as_str()).unwrap_or("");
            let label = o
                .get("name")
                .or_else(|| o.get("type"))
                .and_then(|u| u.as_str())
                .unwrap_or("");
            if url.is_empty() {
                o.get("text")
                    .and_then(|t| t.as_str())
                    .unwrap_or("")
                    .to_string()
            } else {
                format!("[{label}] {url}")
            }
        }
        other => other.to_string(),
    }
}

#[test]
fn list_conversations_example() {
    let h = Harness::new();
    let out = stdout_of(h.cmd().arg("-e").arg(LIST_CONVERSATIONS));
    let seed = seed::generate(seed::DEFAULT_CONVERSATIONS);
    let expected: Vec<String> = seed.conversations[..25]
        .iter()
        .map(|c| {
            let last = c["last_message"].as_str().unwrap_or("no messages");
            format!("{} — {}\n", c["session_id"].as_str().unwrap(), last)
        })
        .collect();
    assert_eq!(out, expected.concat());
}

#[test]
fn get_conversation_example() {
    let h = Harness::new();
    let out = stdout_of(h.cmd().arg("-e").arg(GET_CONVERSATION));
    let seed = seed::generate(seed::DEFAULT_CONVERSATIONS);
    let expected: Vec<String> = seed.messages["session_abc123"]
        .iter()
        .map(|m| format!("{}: {}", m["from"].as_str().unwrap(), text(&m["content"])))
        .collect();
    assert!(expected.len() >= 4);
    assert_eq!(lines(&out), expected);
}

#[test]
fn send_message_examples() {
    let h = Harness::new();
    let before = h.server.messages("session_abc123").len();
    let out = stdout_of(h.cmd().arg("-e").arg(SEND_MESSAGE).arg("-e").arg(SEND_NOTE));
    assert_eq!(out, "Message sent: true\n");
    let messages = h.server.messages("session_abc123");
    assert_eq!(messages.len(), before + 2);
    let text = &messages[before];
    assert_eq!(text["type"], "text");
    assert_eq!(text["content"], "Hello! How can I help you today?");
    let note = &messages[before + 1];
    assert_eq!(note["type"], "note");
    assert_eq!(note["from"], "operator");
    // And it shows up in get_conversation afterwards.
    let out = stdout_of(h.cmd().arg("-e").arg(GET_CONVERSATION));
    assert!(out.ends_with(
        "operator: Hello! How can I help you today?\noperator: VIP customer — handle with priority.\n"
    ));
}

#[test]
fn list_contacts_example() {
    let h = Harness::new();
    let out = stdout_of(h.cmd().arg("-e").arg(LIST_CONTACTS));
    let seed = seed::generate(seed::DEFAULT_CONVERSATIONS);
    let expected: Vec<String> = seed.contacts[..50]
        .iter()
        .map(|c| {
            format!(
                "{} — {}",
                c["email"].as_str().unwrap(),
                c["person"]["nickname"].as_str().unwrap_or("unknown")
            )
        })
        .collect();
    assert_eq!(lines(&out), expected);
}

#[test]
fn get_contact_example() {
    let h = Harness::new();
    let out = stdout_of(h.cmd().arg("-e").arg(GET_CONTACT));
    assert_eq!(out, "Name: Reference Example\nEmail: [email protected]\n");
    let req = &h.requests_to("/people/profile/")[0];
    assert!(
        req.path
            .ends_with("/people/profile/%5Bemail%20protected%5D"),
        "{}",
        req.path
    );
}

#[test]
fn list_campaigns_example() {
    let h = Harness::new();
    let out = stdout_of(h.cmd().arg("-e").arg(LIST_CAMPAIGNS));
    let seed = seed::generate(seed::DEFAULT_CONVERSATIONS);
    let expected: Vec<String> = seed.campaigns[..seed.campaigns.len().min(25)]
        .iter()
        .map(|c| {
            format!(
                "{} — status: {}",
                c["name"].as_str().unwrap(),
                crisp_repl::crisp::api::campaign_state(c)
            )
        })
        .collect();
    assert_eq!(lines(&out), expected);
    for state in ["draft", "ready", "sending", "paused", "done"] {
        assert!(
            out.contains(&format!("status: {state}\n")),
            "no {state} campaign:\n{out}"
        );
    }
}

#[test]
fn get_current_user_example() {
    let h = Harness::new();
    let out = stdout_of(h.cmd().arg("-e").arg(GET_CURRENT_USER));
    assert_eq!(out, "Connected as: alex.morgan@northwind.cloud\n");
    // Other tiers have no email: the example still runs and says so.
    let out = stdout_of(h.cmd_as(Tier::Plugin).arg("-e").arg(GET_CURRENT_USER));
    assert_eq!(out, "Connected as: unknown\n");
}

#[test]
fn multi_account_example_under_demo() {
    let h = Harness::new();
    let out = stdout_of(h.bare().arg("--demo").arg("-e").arg(MULTI_ACCOUNT));
    assert_eq!(out, "");
}

#[test]
fn multi_account_example_with_env_accounts() {
    let h = Harness::new();
    let plugin = crisp_repl::demo::demo_token(Tier::Plugin);
    let website = crisp_repl::demo::demo_token(Tier::Website);
    let mut cmd = h.cmd();
    cmd.env("CRISP_SUPPORT_WEBSITE_ID", seed::DEMO_WEBSITE_ID)
        .env("CRISP_SUPPORT_IDENTIFIER", plugin.identifier)
        .env("CRISP_SUPPORT_KEY", plugin.key)
        .env("CRISP_SUPPORT_TIER", "plugin")
        .env("CRISP_SALES_WEBSITE_ID", seed::DEMO_WEBSITE_ID)
        .env("CRISP_SALES_IDENTIFIER", website.identifier)
        .env("CRISP_SALES_KEY", website.key)
        .env("CRISP_SALES_TIER", "website");
    assert_eq!(stdout_of(cmd.arg("-e").arg(MULTI_ACCOUNT)), "");
    let tiers: Vec<String> = h
        .requests_to("/conversations/")
        .iter()
        .map(|r| r.header("X-Crisp-Tier").unwrap_or("").to_string())
        .collect();
    assert_eq!(tiers, ["user", "user", "plugin", "website"]);
}
