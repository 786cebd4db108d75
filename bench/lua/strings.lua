-- String-heavy: concatenation, formatting, patterns, table.concat.
local parts, n = {}, 0
for i = 1, 600000 do
  local s = string.format("%d:%s", i, ("x"):rep(i % 10))
  if s:find("xxx", 1, true) then n = n + 1 end
  parts[#parts + 1] = s:upper():gsub("X", "y")
  if #parts == 1000 then n = n + #table.concat(parts, ",") parts = {} end
end
for w in ("the quick brown fox "):rep(60000):gmatch("%a+") do n = n + #w end
print(n)
