-- Runs scripts and `-e` code (src/lua/session.rs): a string error gets its traceback, as under
-- lua.c; error tables stay intact.
local xpcall, traceback, type = xpcall, debug.traceback, type
local function handler(e)
  local t = type(e)
  if t == "string" or t == "number" then return traceback(e, 2) end
  return e
end
return function(f, ...) return xpcall(f, handler, ...) end
