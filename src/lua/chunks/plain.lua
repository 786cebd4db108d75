-- Raises a Rust function's error from Lua (src/lua/plain.rs): `raw` returns `true,
-- results...` or `false, error`, and the error value is raised as it is (a plain string, as a
-- C function's; or a `crisp` error table), so `pcall` hands it over intact.
local error = error
local function check(ok, ...)
  if ok then return ... end
  error((...), 0)
end
return function(raw)
  return function(...) return check(raw(...)) end
end
