#!/usr/bin/env python3
"""Write a Lua program that builds one JSON value N times from a literal table constructor.

The floor for turning an API answer into Lua tables: lua5.4 running a constructor has no JSON
to parse and its strings are constants already interned, so no client can build the same
tables for less.

    bench/page_ctor.py VALUE.json N > prog.lua
"""
import json
import sys


def lua_string(s):
    out = []
    for byte in s.encode("utf-8"):
        c = chr(byte)
        if c in '"\\' or byte < 32 or byte == 127:
            out.append("\\%03d" % byte)
        elif byte < 128:
            out.append(c)
        else:
            out.append("\\%03d" % byte)
    return '"' + "".join(out) + '"'


def lua_value(v):
    if isinstance(v, dict):
        return "{" + ",".join("[%s]=%s" % (lua_string(k), lua_value(x)) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "{" + ",".join(lua_value(x) for x in v) + "}"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "nil"
    if isinstance(v, str):
        return lua_string(v)
    if isinstance(v, float):
        return repr(v)
    return str(v)


def main():
    value = json.load(open(sys.argv[1]))
    n = int(sys.argv[2])
    print("local keep")
    print("for _ = 1, %d do keep = %s end" % (n, lua_value(value)))
    print("assert(keep)")


if __name__ == "__main__":
    main()
