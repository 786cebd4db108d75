"""Drive `crisp-repl mcp` with the official MCP Python SDK (stdio client).

Usage: client.py SCENARIO BINARY [ARGS...]; the server gets this process's environment (the
Rust test sets a hermetic one, with the demo account when it needs one). Every check is an
assert with a message; a failure exits non-zero and tests/mcp.rs shows the traceback.
"""

import json
import os
import sys

import anyio
from mcp import ClientSession, MCPError, StdioServerParameters, stdio_client
from jsonschema import Draft202012Validator

SCENARIO, BINARY = sys.argv[1], sys.argv[2]
ARGS = sys.argv[3:]

# ParamType -> JSON Schema "type", as `doc --json` names the Lua types.
LUA_TO_SCHEMA = {
    "integer": "integer",
    "string": "string",
    "boolean": "boolean",
    "array of strings": "array",
    "array of integers": "array",
    "table": "object",
    "array of tables": "array",
}


async def connect(server_args, body):
    params = StdioServerParameters(command=BINARY, args=server_args, env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        # A bound on every request: a handshake that waited for a frozen keyring fails here.
        async with ClientSession(read, write, read_timeout_seconds=30) as session:
            init = await session.initialize()
            assert init.server_info.name == "crisp-repl", init
            assert init.protocol_version, "no protocol version negotiated"
            await body(session)


async def call(session, name, arguments=None, **kw):
    result = await session.call_tool(name, arguments or {}, **kw)
    assert result.structured_content is not None, f"{name}: no structuredContent: {result}"
    assert result.content and result.content[0].type == "text", f"{name}: no text content"
    return result


def tools_by_name(listed):
    return {t.name: t for t in listed.tools}


def check_schemas(tools, registry, accounts):
    """Every tool's inputSchema and annotations against `crisp-repl doc --json`."""
    for f in registry["functions"]:
        name = f["name"]
        assert name in tools, f"no tool for registry function {name}"
        tool = tools[name]
        assert tool.description == f["summary"], (name, tool.description)
        schema = tool.input_schema
        Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object" and schema.get("additionalProperties") is False, name
        props = schema["properties"]
        required = [p["name"] for p in f["parameters"] if p["required"]]
        assert sorted(schema.get("required", [])) == sorted(required), (name, schema.get("required"))
        assert set(props) == {p["name"] for p in f["parameters"]} | {"account"}, (name, list(props))
        assert props["account"]["enum"] == accounts, (name, props["account"])
        for p in f["parameters"]:
            s = props[p["name"]]
            where = f"{name}.{p['name']}"
            assert s["description"] == p["description"], where
            if p["type"] == "string or false":
                kinds = sorted(alt.get("type") for alt in s["anyOf"])
                assert kinds == ["boolean", "string"], (where, s)
                assert any(alt.get("const") is False for alt in s["anyOf"]), (where, s)
            else:
                assert s["type"] == LUA_TO_SCHEMA[p["type"]], (where, s, p["type"])
            if "enum" in p:
                assert s["enum"] == p["enum"], where
            if "min" in p:
                assert s["minimum"] == p["min"], where
            if "max" in p:
                assert s["maximum"] == p["max"], where
            else:
                assert "maximum" not in s, where
            if "default" in p:
                assert s["default"] == p["default"], where
            if p.get("non_empty"):
                assert s["minLength"] == 1, where
            if p["type"] == "array of strings":
                assert s["items"] == {"type": "string"}, where
            if p["type"] == "array of integers":
                assert s["items"] == {"type": "integer"}, where
            if "item_fields" in p:
                assert sorted(s["items"]["required"]) == sorted(p["item_fields"]), where
        hints = tool.annotations
        assert hints is not None, name
        assert hints.read_only_hint is (not f["writes"]), (name, hints)
        if f["writes"]:
            assert hints.destructive_hint is not None and hints.idempotent_hint is not None, (name, hints)
            if any(r.startswith("POST") for r in f["rest"]):
                assert hints.idempotent_hint is False, (name, "a POST sends again when repeated")
    assert "lua" in tools and "doc" in tools


def error_of(result):
    assert result.is_error, f"expected an error, got {result.structured_content}"
    return result.structured_content["error"]


def fill(param, ids):
    """A value for a required parameter, from the demo's own data where it names one."""
    name, kind = param["name"], param["type"]
    if name in ids:
        return ids[name]
    if "enum" in param:
        return param["enum"][0]
    return {
        "integer": param.get("min", 1),
        "string": "hello from the MCP test",
        "boolean": False,
        "array of strings": [],
        "array of integers": [],
        "table": {},
        "array of tables": [],
        "string or false": False,
    }[kind]


async def main_scenario(session):
    registry = json.load(open(ARGS[0]))
    accounts = json.loads(ARGS[1])
    tools = tools_by_name(await session.list_tools())
    check_schemas(tools, registry, accounts)

    # The same JSON the Lua call returns, paging included.
    listed = await call(session, "list_conversations", {"per_page": 3})
    assert not listed.is_error, listed
    data = listed.structured_content
    assert len(data["data"]) == 3 and data["has_more"] is True and data["per_page"] == 3, data
    same = await call(session, "lua", {"code": "return crisp.list_conversations{per_page = 3}"})
    assert same.structured_content["values"][0] == data, "tool result differs from the Lua call"
    contacts = (await call(session, "list_contacts", {"per_page": 1})).structured_content["data"]
    ids = {
        "conversation_id": data["data"][0]["session_id"],
        "contact_id": contacts[0].get("email") or contacts[0]["people_id"],
        "people_id": contacts[0]["people_id"],
    }

    # Every API tool, called with its required parameters.
    for f in registry["functions"]:
        args = {p["name"]: fill(p, ids) for p in f["parameters"] if p["required"]}
        result = await call(session, f["name"], args)
        if result.is_error and "give at least one of" in error_of(result)["message"]:
            # A function whose optional parameters are not all optional together
            # (update_conversation_meta): add the first optional one.
            first = next(p for p in f["parameters"] if not p["required"])
            args[first["name"]] = fill(first, ids)
            result = await call(session, f["name"], args)
        if result.is_error:
            err = error_of(result)
            # Functions added later may need ids this test cannot guess: only Crisp may refuse.
            assert err["kind"] == "http" and f["name"] not in SEVEN, (f["name"], args, err)
    named = await call(session, "get_current_user", {"account": accounts[-1]})
    assert not named.is_error, named.structured_content

    # A validation error names the parameter and what it accepts.
    err = error_of(await call(session, "list_conversations", {"per_page": 500}))
    assert err["kind"] == "validation" and "per_page" in err["message"] and "1..100" in err["message"], err
    assert err["fn"] == "crisp.list_conversations", err
    err = error_of(await call(session, "send_message", {"conversation_id": ids["conversation_id"], "text": "x", "type": "sms"}))
    assert '"text" | "note" | "file"' in err["message"], err
    err = error_of(await call(session, "get_contact", {"contact_id": ids["contact_id"], "contactid": 1}))
    assert "unknown parameter 'contactid'" in err["message"], err
    err = error_of(await call(session, "get_contact", {"contact_id": "x", "account": "nobody"}))
    assert err["kind"] == "validation" and "account must be one of" in err["message"], err

    # An HTTP error carries status and reason.
    err = error_of(await call(session, "get_contact", {"contact_id": "nobody@example.invalid"}))
    assert err["kind"] == "http" and err["status"] == 404 and err.get("reason"), err
    assert err["fn"] == "crisp.get_contact", err

    # `lua`: one state for the session; print is captured, never written to stdout.
    first = await call(session, "lua", {"code": "counter = 41\nlocal offset = 1\nprint('hello', 1)"})
    assert first.structured_content == {"ok": True, "values": [], "output": "hello\t1\n"}, first.structured_content
    second = await call(session, "lua", {"code": "counter + offset"})
    assert second.structured_content["values"] == [42], second.structured_content
    err = error_of(await call(session, "lua", {"code": "error('boom')"}))
    assert err["kind"] == "lua" and "boom" in err["message"], err
    err = error_of(await call(session, "lua", {"code": "return crisp.get_contact{contact_id = 'nobody@example.invalid'}"}))
    assert err["kind"] == "http" and err["status"] == 404, err
    noisy = await call(session, "lua", {"code": "io.write('x'); io.stdout:write('y'); os.execute('echo to-fd-1'); return 1"})
    assert noisy.structured_content["output"] == "xy", noisy.structured_content

    # Protocol errors only for protocol mistakes.
    try:
        await session.call_tool("no_such_tool", {})
        raise AssertionError("an unknown tool must be a protocol error")
    except MCPError as e:
        assert "no_such_tool" in str(e.error.message), e

    # doc tool and resources.
    doc = await call(session, "doc", {"name": "send_message"})
    assert "send_message" in doc.structured_content["markdown"], doc
    assert error_of(await call(session, "doc", {"name": "nonsense_topic"}))["kind"] == "validation"
    resources = (await session.list_resources()).resources
    sections = [line[3:].strip() for line in open(ARGS[2]) if line.startswith("## ")]
    assert [r.name for r in resources] == sections, [r.name for r in resources]
    read = await session.read_resource(resources[0].uri)
    assert read.contents[0].text.startswith("## " + sections[0]), read

    # Progress notifications for long work, when asked for.
    seen = []
    messages = []

    async def progress(value, total, message):
        seen.append(value)
        messages.append(message)

    slow = "local t = os.clock() while os.clock() - t < 1.5 do end return 'done'"
    result = await call(session, "lua", {"code": slow}, progress_callback=progress)
    assert result.structured_content["values"] == ["done"], result
    assert seen, "no progress notification for a 1.5 s call"
    assert seen == sorted(seen), seen
    # Work that makes requests says how many it has sent so far.
    messages.clear()
    busy = "local n, t = 0, os.time() while os.time() - t < 3 do crisp.list_conversations{per_page = 1} n = n + 1 end return n"
    result = await call(session, "lua", {"code": busy}, progress_callback=progress)
    done = result.structured_content["values"][0]
    counts = [int(m.split(", ")[1].split()[0]) for m in messages if m and "requests sent" in m]
    assert counts and 0 < counts[-1] <= done, (messages, done)
    print(json.dumps({"progress": seen}))


SEVEN = {"list_conversations", "get_conversation", "send_message", "list_contacts",
         "get_contact", "list_campaigns", "get_current_user"}


async def read_only_scenario(session):
    registry = json.load(open(ARGS[0]))
    names = set(tools_by_name(await session.list_tools()))
    for f in registry["functions"]:
        assert (f["name"] in names) == (not f["writes"]), (f["name"], names)
    conv = (await call(session, "list_conversations", {"per_page": 1})).structured_content["data"][0]
    err = error_of(await call(session, "lua", {"code": f"crisp.send_message{{conversation_id = '{conv['session_id']}', text = 'hi'}}"}))
    assert err["kind"] == "validation" and "read-only" in err["message"], err
    # A hidden write tool called anyway is refused the same way.
    err = error_of(await call(session, "send_message", {"conversation_id": conv["session_id"], "text": "hi"}))
    assert "read-only" in err["message"], err


async def dry_run_scenario(session):
    conv = (await call(session, "list_conversations", {"per_page": 1})).structured_content["data"][0]
    sent = await call(session, "send_message", {"conversation_id": conv["session_id"], "text": "dry"})
    s = sent.structured_content
    assert not sent.is_error and s["dry_run"] is True and s["sent"] is False, s
    assert s["request"]["method"] == "POST" and s["request"]["body"]["content"] == "dry", s


async def cancel_scenario(session):
    # The server behind the account never answers; the server's --timeout is an hour.
    with anyio.move_on_after(3) as scope:
        await session.call_tool("get_current_user", {})
    assert scope.cancelled_caught, "a call to a silent server answered"
    # The Lua thread is free again only if the cancelled call was abandoned.
    after = await session.call_tool("lua", {"code": "return 1 + 1"}, read_timeout_seconds=60)
    assert after.structured_content["values"] == [2], after


async def demo_scenario(session):
    tools = tools_by_name(await session.list_tools())
    assert "send_message" in tools
    listed = await call(session, "list_conversations", {"per_page": 2})
    assert not listed.is_error and len(listed.structured_content["data"]) == 2, listed


async def examples_scenario(session):
    """Every example call of docs/api.md, as tool arguments, is valid for its tool's schema."""
    tools = tools_by_name(await session.list_tools())
    examples = json.load(open(ARGS[0]))
    assert examples, "no examples extracted"
    for ex in examples:
        schema = tools[ex["function"]].input_schema
        errors = [e.message for e in Draft202012Validator(schema).iter_errors(ex["arguments"])]
        assert not errors, (ex, errors)
        # And the server agrees: no validation error (a write is a dry run here).
        result = await call(session, ex["function"], ex["arguments"])
        if result.is_error:
            assert error_of(result)["kind"] != "validation", (ex, result.structured_content)
    print(json.dumps({"validated": len(examples)}))


async def keyring_scenario(session):
    """The account's secret is in a keyring that never answers: the handshake, the tool list
    and a call that needs no secret work all the same (connect() bounds each by 30 s)."""
    tools = tools_by_name(await session.list_tools())
    assert tools["get_current_user"].input_schema["properties"]["account"]["enum"] == ["default", "support"]
    result = await call(session, "lua", {"code": "return 1 + 1"})
    assert result.structured_content["values"] == [2], result


SCENARIOS = {
    "main": (main_scenario, []),
    "read-only": (read_only_scenario, ["--read-only"]),
    "dry-run": (dry_run_scenario, ["--dry-run"]),
    "cancel": (cancel_scenario, ["--timeout", "3600"]),
    "demo": (demo_scenario, ["--demo"]),
    "keyring": (keyring_scenario, []),
    "examples": (examples_scenario, ["--dry-run", "--demo"]),
}

if __name__ == "__main__":
    body, flags = SCENARIOS[SCENARIO]
    anyio.run(connect, ["mcp", *flags], body)
