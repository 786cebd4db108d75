local mt = {__index = function(t, k) return k .. "!" end, __add = function(a, b) return "added" end, __tostring = function() return "T" end, __len = function() return 42 end, __call = function(self, x) return x * 2 end}
local t = setmetatable({}, mt)
print(t.foo, t + 1, tostring(t), #t, t(21))
print(rawget(t, "foo"), rawlen({1, 2, 3}))
