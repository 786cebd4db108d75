print(1, 1.0, -0.0, 2^53, 1e15, 0.1, 3 // 2, 3.0 // 2, 7 % -3, -7 % 3, 1/0, -1/0, math.maxinteger + 1 == math.mininteger)
print(math.type(1), math.type(1.0), 10 // 0.0, pcall(function() return 1 // 0 end))
