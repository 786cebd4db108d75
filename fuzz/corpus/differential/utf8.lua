print(utf8.char(233, 8364), utf8.len("\xe9t\xc3\xa9"), #utf8.char(0x10FFFF))
for p, c in utf8.codes("h\u{e9}") do print(p, c) end
print(("x"):rep(0), string.pack and #string.pack("i4", 7))
