local t = {}
for i = 1, 10 do t[i] = i * i end
print(#t, table.concat(t, ","))
table.sort(t, function(a, b) return a > b end)
print(table.concat(t, " "), table.unpack({1, 2, 3}))
print(next({}), type(next), select(-1, 1, 2, 3))
local p = table.pack(1, nil, 3)
print(p.n, p[3])
