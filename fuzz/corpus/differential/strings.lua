local s = "a\xffb\0c"
print(#s, s:byte(1, -1))
print(("%q"):format("x\n\0y"))
print(s:upper(), ("abc"):rep(3, "-"), ("hello world"):gsub("o", "0"))
print(string.format("%5.2f|%-5d|%x", 3.14159, 42, 255))
