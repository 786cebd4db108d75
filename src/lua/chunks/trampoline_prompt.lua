-- Runs what is typed at the prompt (src/lua/session.rs). The traceback is kept aside for the
-- short traceback and `:trace`; the error value itself stays as it is. `pcall`: a failing
-- traceback (no memory) must not replace the error.
local xpcall, pcall, traceback, last = xpcall, pcall, debug.traceback, ...
local function handler(e)
  local ok, t = pcall(traceback, "", 3)
  last[1] = ok and t or nil
  return e
end
return function(f, ...) return xpcall(f, handler, ...) end
