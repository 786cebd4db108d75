-- Table-heavy: arrays filled, read, sorted; hash tables with string and integer keys.
local sum = 0
for round = 1, 10 do
  local t = {}
  for i = 1, 100000 do t[i] = (i * 7919) % 100003 end
  table.sort(t)
  local h = {}
  for i = 1, 50000 do h["k" .. (i % 5000)] = (h["k" .. (i % 5000)] or 0) + t[i] end
  for _, v in pairs(h) do sum = sum + v end
end
print(sum)
