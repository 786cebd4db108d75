local a, b <const>
local x <close>