-- Call-heavy: method calls through a metatable's __index.
local Counter = {}
Counter.__index = Counter
function Counter.new() return setmetatable({n = 0}, Counter) end
function Counter:add(k) self.n = self.n + k return self end
function Counter:get() return self.n end
local c = Counter.new()
for i = 1, 10000000 do c:add(i % 7) end
print(c:get())
