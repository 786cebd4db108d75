print("before")
local x <const> = 5
do local c <close> = setmetatable({}, {__close = function() print("closed") end}) print("in") end
print(x)
error("stop here")
print("never")
