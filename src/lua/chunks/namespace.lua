-- The Lua side of `app.integrations.crisp` (src/lua/namespace.rs). Run once, before any user
-- code, so the library functions kept here are Lua's own.
local next, type, gmatch, error = next, type, string.gmatch, error

-- One account's table: a closure per registry function (`names`, separated by spaces) around
-- the account's one Rust entry point, which takes the function's position in the registry.
local function build(raw, account, names, index, paginate, all, watch)
  local t = {}
  local i = 0
  for name in gmatch(names, "%S+") do
    i = i + 1
    local n = i
    local function f(...)
      local ok, result = raw(n, ...)
      if ok then return result end
      error(result, 0)
    end
    t[name] = f
    index[f] = account .. "/" .. name
  end
  t.paginate, t.all, t.watch = paginate, all, watch
  return t
end

-- `crisp.default`: the functions of `crisp` itself, in a table of its own.
local function copy(from)
  local t = {}
  for k, v in next, from do
    if type(v) == "function" then t[k] = v end
  end
  return t
end

return build, copy
