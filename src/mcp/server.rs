//! The MCP handler: tools and resources from the registry and the docs, calls handed to the
//! Lua thread, cancellation and progress while they run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ProgressNotificationParam,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{json, Value as Json};

use super::tools::{self, ACCOUNT_ARG, DOC_TOOL, LUA_TOOL};
use super::worker::{Job, Outcome, Worker};
use crate::crisp::registry::{self, FUNCTIONS};
use crate::lua::session::{CallErrorFields, EvalError};

/// Where the sections of docs/api.md are offered as resources.
const DOC_URI: &str = "crisp-repl://docs/";

/// How often a long call reports progress (when the client asked for it) and how often a
/// cancelled one is reminded to stop.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
const CANCEL_EVERY: Duration = Duration::from_millis(10);

pub struct CrispMcp {
    worker: Arc<Worker>,
    tools: Vec<Tool>,
    read_only: bool,
}

impl CrispMcp {
    pub fn new(worker: Worker, read_only: bool) -> CrispMcp {
        let tools = tools::all(&worker.accounts, read_only);
        CrispMcp {
            worker: Arc::new(worker),
            tools,
            read_only,
        }
    }

    /// The job a call asks for; unknown tools and argument shapes are protocol errors, bad
    /// values are tool errors (the agent can correct those).
    fn job(&self, request: &CallToolRequestParams) -> Result<Result<Job, Outcome>, McpError> {
        let mut args = request.arguments.clone().unwrap_or_default();
        match request.name.as_ref() {
            LUA_TOOL => {
                let code = match args.remove("code") {
                    Some(Json::String(code)) => code,
                    other => {
                        return Ok(Err(invalid(
                            LUA_TOOL,
                            format!(
                                "lua needs 'code', a string of Lua source, got {}",
                                json_type(other.as_ref())
                            ),
                        )))
                    }
                };
                Ok(Ok(Job::Lua { code }))
            }
            name => {
                let Some(spec) = registry::function(name) else {
                    let mut msg = format!("unknown tool '{name}'");
                    let names = FUNCTIONS.iter().map(|f| f.name);
                    if let Some(s) = registry::did_you_mean(name, names) {
                        msg.push_str(&format!(" (did you mean '{s}'?)"));
                    }
                    return Err(McpError::invalid_params(msg, None));
                };
                let label = format!("crisp.{name}");
                let account = match args.remove(ACCOUNT_ARG) {
                    None | Some(Json::Null) => None,
                    Some(Json::String(a)) if self.worker.accounts.contains(&a) => Some(a),
                    Some(other) => {
                        let shown = match &other {
                            Json::String(s) => format!("\"{}\"", registry::echo(s)),
                            v => json_type(Some(v)).to_string(),
                        };
                        return Ok(Err(invalid(
                            &label,
                            format!(
                                "{label}: account must be one of {}, got {shown}",
                                self.worker.accounts.join(", ")
                            ),
                        )));
                    }
                };
                Ok(Ok(Job::Api {
                    spec,
                    account,
                    params: args,
                }))
            }
        }
    }

    /// Run `job` on the Lua thread; report progress while it runs, stop it when cancelled.
    async fn run(&self, job: Job, context: &RequestContext<RoleServer>) -> Option<Outcome> {
        let (id, mut answer) = self.worker.submit(job)?;
        let token = context.meta.get_progress_token();
        let started = Instant::now();
        let requests_before = crate::crisp::client::requests_sent();
        let mut ticks = tokio::time::interval(PROGRESS_EVERY);
        loop {
            tokio::select! {
                outcome = &mut answer => return outcome.ok(),
                () = context.ct.cancelled() => break,
                _ = ticks.tick(), if token.is_some() => {
                    if let Some(token) = &token {
                        let secs = started.elapsed().as_secs_f64().floor();
                        let mut note = ProgressNotificationParam::new(token.clone(), secs);
                        // The total of a crisp.all is not known ahead; what has been done is.
                        let sent = crate::crisp::client::requests_sent() - requests_before;
                        note.message = Some(format!("running for {secs} s, {sent} requests sent"));
                        let _ = context.peer.notify_progress(note).await;
                    }
                }
            }
        }
        // Cancelled: stop the call as Ctrl-C does, until the Lua thread gives it up (the
        // reminder covers a call that had not started yet when the cancel came).
        loop {
            self.worker.cancel(id);
            tokio::select! {
                outcome = &mut answer => return outcome.ok(),
                () = tokio::time::sleep(CANCEL_EVERY) => {}
            }
        }
    }

    fn doc(&self, request: &CallToolRequestParams) -> CallToolResult {
        let name = request
            .arguments
            .as_ref()
            .and_then(|a| a.get("name"))
            .and_then(Json::as_str);
        match crate::docs::render_topic(name, None, false) {
            Ok(markdown) => {
                let mut result = CallToolResult::success(vec![ContentBlock::text(&markdown)]);
                result.structured_content =
                    Some(json!({ "name": name.unwrap_or("index"), "markdown": markdown }));
                result
            }
            Err(message) => into_result(invalid(DOC_TOOL, message)),
        }
    }
}

/// A validation error as `--json` reports one.
fn invalid(function: &str, message: String) -> Outcome {
    super::worker::error_outcome(&EvalError::Runtime {
        message,
        crisp: Some(CallErrorFields {
            kind: "validation".into(),
            function: Some(function.to_string()),
            status: None,
            reason: None,
        }),
    })
}

fn json_type(v: Option<&Json>) -> &'static str {
    match v {
        None | Some(Json::Null) => "nothing",
        Some(Json::Bool(_)) => "a boolean",
        Some(Json::Number(_)) => "a number",
        Some(Json::String(_)) => "a string",
        Some(Json::Array(_)) => "an array",
        Some(Json::Object(_)) => "an object",
    }
}

fn into_result(outcome: Outcome) -> CallToolResult {
    let mut result = if outcome.ok {
        CallToolResult::success(vec![ContentBlock::text(outcome.text)])
    } else {
        CallToolResult::error(vec![ContentBlock::text(outcome.text)])
    };
    result.structured_content = Some(outcome.structured);
    result
}

impl ServerHandler for CrispMcp {
    fn get_info(&self) -> ServerConfig {
        let mut instructions = String::from(
            "Crisp (crisp.chat) inbox tools generated from crisp-repl's function registry. Read with list_*/get_* tools, write with send_message and the other write tools, or run Lua with the `lua` tool (one persistent state; crisp.paginate and crisp.all walk whole lists). `doc` and the resources hold the API reference.",
        );
        if self.read_only {
            instructions.push_str(" This server is read-only: no tool changes data.");
        }
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("crisp-repl", env!("CARGO_PKG_VERSION")))
        .with_instructions(instructions)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.tools.clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        if request.name == DOC_TOOL {
            return Ok(self.doc(&request).into());
        }
        let job = match self.job(&request)? {
            Ok(job) => job,
            Err(refused) => return Ok(into_result(refused).into()),
        };
        match self.run(job, &context).await {
            Some(outcome) => Ok(into_result(outcome).into()),
            None if context.ct.is_cancelled() => Err(McpError::internal_error(
                "cancelled",
                Some(json!({"kind": "interrupted"})),
            )),
            None => Err(McpError::internal_error("the Lua thread has stopped", None)),
        }
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let resources = crate::docs::sections()
            .into_iter()
            .map(|s| {
                let description = section_summary(&s.name);
                Resource::new(format!("{DOC_URI}{}", s.name), s.name)
                    .with_mime_type("text/markdown")
                    .with_description(description)
            })
            .collect();
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let section = request
            .uri
            .strip_prefix(DOC_URI)
            .and_then(|name| crate::docs::sections().into_iter().find(|s| s.name == name))
            .ok_or_else(|| {
                McpError::resource_not_found(
                    format!(
                        "no resource '{}'; resources/list names them ({DOC_URI}<section>)",
                        registry::echo(&request.uri)
                    ),
                    None,
                )
            })?;
        let contents = ResourceContents::text(section.markdown, request.uri.clone())
            .with_mime_type("text/markdown");
        Ok(ReadResourceResult::new(vec![contents]).into())
    }
}

/// A resource's description: the function's summary, or the topic's name.
fn section_summary(name: &str) -> String {
    match registry::function(name) {
        Some(f) => format!("crisp.{}: {}", f.name, f.summary),
        None => format!("API reference: {name}"),
    }
}
