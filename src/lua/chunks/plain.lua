-- Makes a Rust function fail as a C function does (src/lua/plain.rs): `raw` returns `true,
-- results...` or `false, message`, and the message is raised as a plain string.
local error = error
local function check(ok, ...)
  if ok then return ... end
  error((...), 0)
end
return function(raw)
  return function(...) return check(raw(...)) end
end
