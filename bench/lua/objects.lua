-- Allocation-heavy: short-lived objects with methods and closures (collector and allocator).
local Point = {}
Point.__index = Point
function Point.new(x, y) return setmetatable({x = x, y = y}, Point) end
function Point:add(o) return Point.new(self.x + o.x, self.y + o.y) end
local acc = Point.new(0, 0)
for i = 1, 1500000 do
  local p = Point.new(i, -i)
  local f = function() return p.x end
  acc = acc:add(p)
  acc.x = acc.x + f() * 0
end
print(acc.x, acc.y)
