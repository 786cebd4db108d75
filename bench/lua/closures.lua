-- Call-heavy: closures created and called, upvalues read and written.
local function counter()
  local n = 0
  return function(k) n = n + k return n end
end
local total = 0
for i = 1, 1200000 do
  local f = counter()
  for j = 1, 10 do total = total + f(j) end
end
print(total)
