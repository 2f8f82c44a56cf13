"""Sandbox benchmarks: run as ``.venv/bin/python bench/sandbox.py``.

1. A CPU-bound script run in the sandbox (all limits on) vs the same source under plain ``exec``,
   in the same process and run: prints the ratio (target <= 1.5).
2. Per-run overhead of a trivial script on a compile-cache hit: prints the median in microseconds
   (target <= 50 us).

Timings are printed, never asserted (see bench/README.md).
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from webapp.sandbox import Limits, compile_script, execute  # noqa: E402

CPU_SCRIPT = '''
def score(word, weights):
    total = 0
    for i, ch in enumerate(word):
        total += weights.get(ch, 1) * (i % 7 + 1)
    return total

class Account:
    def __init__(self, name):
        self.name = name
        self.entries = []

    def post(self, amount):
        self.entries.append(amount)
        return len(self.entries)

weights = {c: (ord(c) * 31) % 17 for c in "abcdefghijklmnopqrstuvwxyz"}
words = []
for i in range(6000):
    w = ""
    for j in range(8):
        w += chr(97 + (i * 7 + j * 13) % 26)
    words.append(w)

totals = {}
accounts = [Account("acc-%d" % k) for k in range(50)]
for n in range(14):
    for idx, word in enumerate(words):
        s = score(word, weights)
        key = word[:2]
        totals[key] = totals.get(key, 0) + s
        accounts[idx % 50].post(s * 2 - n)
ranked = sorted(totals.items(), key=lambda kv: -kv[1])[:5]
report = ", ".join("%s=%d" % (k, v) for k, v in ranked)
result = sum(len(a.entries) for a in accounts)
'''

TRIVIAL = "x = 1 + 1\n"


def _best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_cpu(repeat: int = 9) -> tuple[float, float, float]:
    plain_code = compile(CPU_SCRIPT, "<plain>", "exec")
    compiled = compile_script(CPU_SCRIPT, "<bench>")
    limits = Limits(timeout_s=60, memory_mb=512)

    def plain() -> None:
        exec(plain_code, {"__builtins__": __builtins__})  # noqa: S102

    def sandboxed() -> None:
        result = execute(compiled, {}, limits)
        assert result.status == "Success", result.error

    plain()
    sandboxed()  # warm caches
    # Interleave the two so drift (CPU frequency, other load) hits both alike.
    plain_times, sandbox_times = [], []
    for _ in range(repeat):
        plain_times.append(_best_of(plain, 1))
        sandbox_times.append(_best_of(sandboxed, 1))
    p, s = min(plain_times), min(sandbox_times)
    return p, s, s / p


def bench_call_floor(repeat: int = 5) -> float:
    """Same compiled code, guards replaced by no-op functions: the cost of the indirection alone,
    which any RestrictedPython-style sandbox pays, before our checks."""
    from webapp.sandbox import executor

    compiled = compile_script(CPU_SCRIPT, "<bench>")
    g0 = dict(executor._GUARD_GLOBALS)

    def ga(o, n, d=None):
        return getattr(o, n)

    g0.update(_getattr_=ga, _write_=lambda o: o, _getiter_=iter, _mul_=lambda a, b: a * b,
              _mod_=lambda a, b: a % b, _check_=lambda: None, _killed_=False)
    best = float("inf")
    for _ in range(repeat):
        g = dict(g0)
        t0 = time.perf_counter()
        exec(compiled.code, g)  # noqa: S102
        best = min(best, time.perf_counter() - t0)
    return best


def bench_overhead(n: int = 20000) -> tuple[float, float]:
    compiled = compile_script(TRIVIAL, "<trivial>")
    namespace = {"frappe": object(), "doc": {}, "json": object()}
    limits = Limits()
    for _ in range(1000):
        execute(compile_script(TRIVIAL, "<trivial>"), namespace, limits)
    samples = []
    gc.disable()
    try:
        for _ in range(n):
            t0 = time.perf_counter_ns()
            execute(compile_script(TRIVIAL, "<trivial>"), namespace, limits)
            samples.append(time.perf_counter_ns() - t0)
    finally:
        gc.enable()
    base = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        exec(compiled.code, {"__builtins__": {}})  # noqa: S102
        base.append(time.perf_counter_ns() - t0)
    return statistics.median(samples) / 1000, statistics.median(base) / 1000


def main() -> None:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    print(f"machine: nproc={os.cpu_count()} cpu={cpu!r} python={platform.python_version()}")
    p, s, ratio = bench_cpu()
    print(f"cpu-bound script: plain exec {p * 1000:.1f} ms, sandbox {s * 1000:.1f} ms, "
          f"ratio {ratio:.2f} (target <= 1.5)")
    floor = bench_call_floor()
    print(f"  same code with no-op guards (the call indirection alone): {floor * 1000:.1f} ms, "
          f"ratio {floor / p:.2f}")
    median_us, bare_us = bench_overhead()
    print(f"per-run overhead (trivial script, cache hit): median {median_us:.1f} us "
          f"(bare exec of the same code {bare_us:.1f} us; target <= 50 us)")


if __name__ == "__main__":
    main()
