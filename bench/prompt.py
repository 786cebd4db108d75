#!/usr/bin/env python3
"""Time from starting the REPL in a pseudo-terminal to its first prompt, with one history file
against another, alternating; then Ctrl-D. Never hangs: every run has a deadline.

usage: prompt.py BINARY EMPTY_HISTORY FULL_HISTORY ROUNDS
prints: empty=<median seconds> full=<median seconds>
"""
import os
import pty
import re
import select
import signal
import statistics
import sys
import time

PROMPT = re.compile(rb"crisp:\w+> ")


def run(binary, history, env, deadline_s=10.0):
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(binary, [binary, "--no-pager", "--history", history], env)
    seen = b""
    elapsed = None
    deadline = started + deadline_s
    try:
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if elapsed is None and PROMPT.search(seen):
                elapsed = time.perf_counter() - started
                os.write(fd, b"\x04")  # Ctrl-D at the prompt quits
    finally:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done == 0:
                time.sleep(0.2)
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        os.close(fd)
    if elapsed is None:
        sys.exit(f"no prompt within {deadline_s}s; the REPL printed: {seen[-300:]!r}")
    return elapsed


def main():
    binary, empty, full, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    env = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"], "TERM": "xterm",
           "LANG": "C.UTF-8"}
    times = {"empty": [], "full": []}
    for _ in range(3):  # warm-up
        run(binary, empty, env)
        run(binary, full, env)
    for _ in range(rounds):
        times["empty"].append(run(binary, empty, env))
        times["full"].append(run(binary, full, env))
    print(" ".join(f"{k}={statistics.median(v)}" for k, v in times.items()))


if __name__ == "__main__":
    main()
