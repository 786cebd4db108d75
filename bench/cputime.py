#!/usr/bin/env python3
"""Run a command; print the CPU seconds (user + system, microsecond resolution) it and its
children used, from the kernel's own accounting (wait4). Its output goes to /dev/null.

    bench/cputime.py CMD ARGS...
"""
import os
import subprocess
import sys

proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
if os.waitstatus_to_exitcode(status) != 0:
    sys.exit(f"{sys.argv[1:]} failed: {os.waitstatus_to_exitcode(status)}")
print(f"{usage.ru_utime + usage.ru_stime:.6f}")
