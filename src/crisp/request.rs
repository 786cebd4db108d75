//! `crisp.request{method, path, query?, body?}`: any Crisp REST v1 route with the account's
//! credentials, tier, retries, timeouts and errors; the escape hatch for what the registry's
//! functions do not cover.
//!
//! The path is checked before anything is sent, so it can only name a route under the API base:
//! no absolute URL, no `.`/`..` segment, no query or fragment smuggled in (the query has its own
//! parameter). Each segment is percent-encoded as written.

use serde_json::{json, Map, Value};

use super::api::{encode_segment, Target, WritePolicy};
use super::client::Method;
use super::error::CrispError;
use super::registry::{echo, ValidParams};
use crate::tape::Tape;

/// The one placeholder a path may hold.
const WEBSITE_ID: &str = "{website_id}";

/// Does this call change data? GET and HEAD read; everything else writes (`--read-only`).
pub fn writes(params: &ValidParams) -> bool {
    parse_method(params.str("method").unwrap_or("GET")).is_none_or(Method::writes)
}

fn parse_method(text: &str) -> Option<Method> {
    Method::ALL.into_iter().find(|m| m.as_str() == text)
}

/// Run a validated `request` call.
pub fn call(
    target: &Target,
    params: &ValidParams,
    policy: WritePolicy,
) -> Result<Tape, CrispError> {
    let method_text = params.str("method").unwrap_or("");
    let method = parse_method(method_text).ok_or_else(|| {
        CrispError::Invalid(format!(
            "method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, got \"{}\"",
            echo(method_text)
        ))
    })?;
    let path = route_path(params.str("path").unwrap_or(""), target.website_id)?;
    let query = query_pairs(params.json("query"))?;
    let body = params.json("body");
    if body.is_some() && matches!(method, Method::Get | Method::Head) {
        return Err(CrispError::Invalid(format!(
            "a {} request has no body; put parameters in query = {{...}}",
            method.as_str()
        )));
    }
    if method.writes() {
        match policy {
            WritePolicy::ReadOnly => {
                return Err(CrispError::ReadOnly(format!(
                    "request (method {})",
                    method.as_str()
                )))
            }
            WritePolicy::DryRun => {
                let borrowed: Vec<(&str, String)> =
                    query.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                let mut request = Map::new();
                request.insert("method".into(), json!(method.as_str()));
                request.insert("url".into(), json!(target.client.url_for(&path, &borrowed)));
                if let Some(body) = body {
                    request.insert("body".into(), body.clone());
                }
                return Ok(Tape::from_value(&json!({
                    "sent": false,
                    "dry_run": true,
                    "request": request,
                })));
            }
            WritePolicy::Send => {}
        }
    }
    let borrowed: Vec<(&str, String)> =
        query.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let answer = target
        .client
        .call(method, &path, &borrowed, body)
        .map_err(|e| explain(e, target, method, &path))?;
    let mut result = Map::new();
    result.insert("status".into(), json!(answer.status));
    let root = answer.envelope.root();
    if let Some(reason) = root.get("reason").and_then(|r| r.as_str()) {
        result.insert("reason".into(), json!(reason));
    }
    result.insert("data".into(), answer.data_value());
    Ok(Tape::from_value(&Value::Object(result)))
}

/// Hints that name the account, the tier and the route.
fn explain(error: CrispError, target: &Target, method: Method, path: &str) -> CrispError {
    let CrispError::Api {
        status,
        reason,
        hint,
    } = error
    else {
        return error;
    };
    let tier = target.client.tier();
    let account = target.account;
    let route = format!("{} {path}", method.as_str());
    let hint = match (status, reason.as_str()) {
        (_, "restricted_route_tier") => format!(
            "account '{account}' uses tier '{tier}', which may not call {route}; this route needs another tier (see :doc errors)"
        ),
        (401, _) => format!(
            "Crisp rejected the credentials of account '{account}' (tier '{tier}'): check the identifier, the key and the tier"
        ),
        (404, "not_subscribed") => format!(
            "the plugin is not installed on website {} (account '{account}')",
            target.website_id
        ),
        (404, _) => format!(
            "{route}: no such route or resource; check the path against Crisp's REST reference (paths are relative to /v1)"
        ),
        (500..=599, _) if method.writes() => format!(
            "{hint}. The {} may or may not have been applied and was not retried; check before trying again",
            method.as_str()
        ),
        _ => hint,
    };
    CrispError::Api {
        status,
        reason,
        hint,
    }
}

/// The path as sent: relative to the API base, `{website_id}` filled in, every segment
/// percent-encoded. Refuses what would leave the API base or name another route.
pub fn route_path(path: &str, website_id: &str) -> Result<String, CrispError> {
    let invalid = |why: String| CrispError::Invalid(format!("path {why}"));
    let trimmed = path.trim();
    if trimmed.is_empty() {
        return Err(invalid(
            "must not be empty: a route relative to /v1, e.g. \"website/{website_id}/operators/list\"".into(),
        ));
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.contains("://")
        || trimmed.starts_with("//")
        || lower.starts_with("http:")
        || lower.starts_with("https:")
    {
        return Err(invalid(format!(
            "must be relative to the account's API base (/v1), not a URL: got \"{}\"; the host comes from CRISP_API_URL",
            echo(trimmed)
        )));
    }
    if let Some(c) = trimmed.chars().find(|c| matches!(c, '?' | '#')) {
        return Err(invalid(format!(
            "must not contain '{c}': put query parameters in query = {{name = value}} (got \"{}\")",
            echo(trimmed)
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(invalid("must not contain control characters".into()));
    }
    let relative = trimmed.strip_prefix('/').unwrap_or(trimmed);
    if relative == "v1" || relative.starts_with("v1/") {
        return Err(invalid(format!(
            "is already relative to /v1: drop the leading v1/ (got \"{}\")",
            echo(trimmed)
        )));
    }
    let mut segments = Vec::new();
    for segment in relative.split('/') {
        match segment {
            "" => {
                return Err(invalid(format!(
                    "has an empty segment ('//' or a trailing '/'): \"{}\"",
                    echo(trimmed)
                )))
            }
            "." | ".." => {
                return Err(invalid(format!(
                    "must not contain '.' or '..' segments, which would name another route: \"{}\"",
                    echo(trimmed)
                )))
            }
            WEBSITE_ID => segments.push(encode_segment(website_id)),
            s if s.contains('{') || s.contains('}') => {
                return Err(invalid(format!(
                    "has an unknown placeholder in \"{}\": only {{website_id}} is filled in; write other ids as they are",
                    echo(s)
                )))
            }
            s => segments.push(encode_segment(s)),
        }
    }
    Ok(segments.join("/"))
}

/// `query = {name = value}` as query pairs, sorted by name (a Lua table has no order).
/// Booleans go out as 1/0 and tables as JSON text, as Crisp's SDKs send them.
pub fn query_pairs(query: Option<&Value>) -> Result<Vec<(String, String)>, CrispError> {
    let Some(query) = query else {
        return Ok(Vec::new());
    };
    let Value::Object(map) = query else {
        return Err(CrispError::Invalid(
            "query must be a table of name = value pairs".into(),
        ));
    };
    let mut pairs = Vec::with_capacity(map.len());
    for (name, value) in map {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Bool(b) => if *b { "1" } else { "0" }.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Array(_) | Value::Object(_) => value.to_string(),
            Value::Null => continue,
        };
        if name.is_empty() {
            return Err(CrispError::Invalid(
                "query has an empty parameter name".into(),
            ));
        }
        pairs.push((encode_segment(name), text));
    }
    pairs.sort();
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: &str = "8c1d4c35-5d7b-4b0a-9f51-2f3c9e8a7b10";

    #[test]
    fn paths_fill_the_website_and_encode_segments() {
        assert_eq!(
            route_path("website/{website_id}/operators/list", W).unwrap(),
            format!("website/{W}/operators/list")
        );
        assert_eq!(
            route_path("/website/{website_id}/people/profile/sam+x@example.com", W).unwrap(),
            format!("website/{W}/people/profile/sam%2Bx%40example.com")
        );
        assert_eq!(route_path("user/account", W).unwrap(), "user/account");
        // A literal percent sign is data, not an escape.
        assert_eq!(route_path("a/100%", W).unwrap(), "a/100%25");
    }

    #[test]
    fn paths_that_leave_the_route_are_refused() {
        for bad in [
            "",
            "  ",
            "https://evil.example/v1/x",
            "//evil.example/x",
            "http:x",
            "website/../user/account",
            "website/./x",
            "..",
            "website/x?per_page=50",
            "website/x#frag",
            "website//x",
            "website/x/",
            "v1/website/x",
            "/v1/website/x",
            "website/{session_id}/x",
            "website/x\r\nHost: evil",
        ] {
            let err = route_path(bad, W).unwrap_err();
            assert!(err.to_string().starts_with("path "), "{bad:?}: {err}");
        }
        let err = route_path("website/x?a=1", W).unwrap_err().to_string();
        assert!(err.contains("query = {"), "{err}");
        let err = route_path("https://h/x", W).unwrap_err().to_string();
        assert!(err.contains("not a URL"), "{err}");
    }

    #[test]
    fn queries_are_sorted_and_typed_as_the_sdks_send_them() {
        let q = json!({"per_page": 50, "filter_unread": true, "search_query": "a b", "x": false, "f": [{"a": 1}]});
        assert_eq!(
            query_pairs(Some(&q)).unwrap(),
            vec![
                ("f".into(), r#"[{"a":1}]"#.into()),
                ("filter_unread".into(), "1".into()),
                ("per_page".into(), "50".into()),
                ("search_query".into(), "a b".into()),
                ("x".into(), "0".into()),
            ]
        );
        assert_eq!(
            query_pairs(Some(&json!({"a&b": "1"}))).unwrap(),
            vec![("a%26b".to_string(), "1".to_string())]
        );
    }

    #[test]
    fn only_get_and_head_read() {
        for (m, w) in [
            ("GET", false),
            ("HEAD", false),
            ("POST", true),
            ("PATCH", true),
            ("DELETE", true),
            ("PUT", true),
        ] {
            assert_eq!(parse_method(m).map(Method::writes), Some(w), "{m}");
        }
    }
}
