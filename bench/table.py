#!/usr/bin/env python3
"""Turn bench/run's raw results (key=value lines) into the one table of targets.

Prints a markdown table (it pastes into the README as is) and a few notes on what was
measured; exits 0 when every target passed, 3 otherwise.
"""
import os
import platform
import sys


def load(path):
    values = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            try:
                values[key] = float(value)
            except ValueError:
                values[key] = value
    return values


def ms(seconds):
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def main():
    r = load(sys.argv[1])
    rows = []  # (target, limit, measured, baseline, ratio, ok)

    def row(target, limit, measured, baseline="", ratio=None, ok=True):
        rows.append((target, limit, measured, baseline, "" if ratio is None else f"{ratio:.2f}x", ok))

    s, lua = r["startup_crisp"], r["startup_lua"]
    row("start-up `-e 'return 1'`, median wall", "≤ 2x lua5.4 and < 15 ms", ms(s),
        f"lua5.4 -e 'print(1)': {ms(lua)}", s / lua, s / lua <= 2 and s < 0.015)
    rss = r["startup_rss_kb"]
    row("start-up peak RSS (median of 21)", "≤ 15 MiB", f"{mib(rss)} (max {mib(r['startup_rss_max_kb'])})",
        f"lua5.4: {mib(r['startup_lua_rss_kb'])}", rss / r["startup_lua_rss_kb"], rss <= 15 * 1024)
    net = r.get("startup_net_syscalls")
    if net == "n/a":
        row("start-up opens no socket, reads no keyring", "0", "not measured (strace cannot trace here)", ok=False)
    else:
        proof = r.get("call_net_syscalls", 0)
        row("start-up opens no socket, reads no keyring", "0 network syscalls, 0 secret files",
            f"{int(net)} network syscalls, {int(r['startup_secret_files'])} secret files",
            f"a call: {int(proof)} connect", None,
            net == 0 and r["startup_secret_files"] == 0 and proof > 0)
    extra = r["history_10k"] - r["history_empty"]
    row("10,000-entry history, start to first prompt (pty)", "< 5 ms added", f"+{ms(max(extra, 0))}",
        f"empty history: {ms(r['history_empty'])}", r["history_10k"] / r["history_empty"], extra < 0.005)
    row("10,000-entry history, rustyline load (criterion)", "< 5 ms", ms(r["history_load"]),
        ok=r["history_load"] < 0.005)
    c, b = r["percall_crisp"], r["percall_base"]
    row("2,000 `list_conversations{per_page = 20}`", "≤ 1.5x curl", ms(c),
        f"curl, same 2,000 URLs: {ms(b)}", c / b, c / b <= 1.5)
    c, b = r["paging_crisp"], r["paging_base"]
    row("`crisp.all` over 10,000 conversations", "≤ 1.3x curl", ms(c),
        f"curl, same {int(r['paging_requests'])} pages: {ms(b)}", c / b, c / b <= 1.3)
    row("10,000-row table to a pipe, wall", "< 200 ms", ms(r["render"]), ok=r["render"] < 0.2)
    row("10,000-row table to a pipe, peak RSS", "< 60 MiB", mib(r["render_rss_kb"]),
        ok=r["render_rss_kb"] < 60 * 1024)
    row("`:doc send_message` rendered (criterion)", "< 5 ms", ms(r["doc"]), ok=r["doc"] < 0.005)
    row("two rows with 1 MB fields, 80 columns (criterion)", "< 100 ms", ms(r["render_1mb"]),
        ok=r["render_1mb"] < 0.1)
    p, pc = r["json_parse"], r["json_convert"]
    row(f"JSON -> Lua, {r['json_bytes'] / 1e6:.1f} MB answer: parse + convert", "≤ 1.5x parse",
        ms(pc), f"serde_json parse alone: {ms(p)}", pc / p, pc / p <= 1.5)

    header = ("target", "limit", "measured", "baseline", "ratio", "result")
    table = [header] + [(t, l, m, b, ra, "PASS" if ok else "FAIL") for t, l, m, b, ra, ok in rows]
    widths = [max(len(str(line[i])) for line in table) for i in range(len(header))]
    def fmt(line):
        return "| " + " | ".join(str(v).ljust(w) for v, w in zip(line, widths)) + " |"
    print(fmt(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in table[1:]:
        print(fmt(line))
    cpus = os.cpu_count()
    print()
    print(f"machine: {cpus} cores, {platform.machine()}, Linux {platform.release()}")
    print(f"per-call URL (as the client sends it): {r['percall_path']}")
    print(f"paging: {int(r['paging_requests'])} requests, {r['paging_first']} ... {r['paging_last']};"
          f" crisp.all peak RSS {mib(r['paging_rss_kb'])}")
    failed = [t for t, _, _, _, _, ok in rows if not ok]
    print(f"{len(rows) - len(failed)} passed, {len(failed)} failed")
    sys.exit(3 if failed else 0)


if __name__ == "__main__":
    main()
