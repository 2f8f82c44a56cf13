"""Script host benchmarks (issue #15; ratios and figures in one run, never part of the test suite).

    .venv/bin/python bench/script_host.py

Measured at the transport, the boundary a run crosses (runtime/transport.py), on a throw-away
SQLite site, in one process, the two transports interleaved round by round, median of rounds:

1. per-run cost of a trivial script (`x = 1`): in a script host (process) vs in the worker
   (inline). Target: the host's extra cost <= 60 us.
2. one data call's round trip: a script making 200 cheap calls (`frappe.has_permission("ToDo")`,
   which the worker answers from the user's roles it already holds), per call, process vs inline.
   Target: a call's extra cost in a host <= 30 us.
3. a killed host: SIGKILL of a warm host, then the next trivial run (which forks a fresh one from
   the zygote), vs a trivial run on a warm host. Target: kill + ready <= 50 ms. (A host frozen in
   a C call is killed GRACE_S after its run's deadline: its own watchdog gets that long to report
   a Python-level overrun first; that grace is policy, not the cost measured here.)
"""

from __future__ import annotations

import os
import signal
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._instance import throwaway_app  # noqa: E402

ROUNDS = 15
RUNS_PER_ROUND = 200


def _spec(source: str, name: str) -> dict:
    import hashlib

    return {"kind": "API", "user": "Administrator", "timeout_s": 10.0, "memory_mb": 128,
            "scripts": [{"name": name, "filename": f"<bench {name}>",
                         "sha256": hashlib.sha256(source.encode()).hexdigest(), "source": source}],
            "form_dict": {}, "extra": None, "request": False, "conditions": False, "metas_version": None}


def _time_runs(transport, source: str, name: str, n: int) -> float:
    """Seconds per run of `source`, over n runs."""
    started = time.perf_counter()
    for _ in range(n):
        done = transport.execute(_spec(source, name), time.monotonic() + 10)
        assert done["runs"][-1]["status"] == "Success", done
    return (time.perf_counter() - started) / n


def main() -> None:
    app = throwaway_app("bench-host-")
    from webapp.runtime import hosts, transport
    from webapp.services import run_context
    from webapp.services.context import acting_as, transaction
    from webapp.services.run_context import RunContext

    calls = 200
    trivial = "x = 1"
    calling = f"for i in range({calls}):\n    p = frappe.has_permission('ToDo')"
    figures: dict[str, list[float]] = {k: [] for k in ("run_process", "run_inline", "call_process", "call_inline",
                                                       "warm_run", "kill_ready")}
    with app.app_context(), acting_as("Administrator"), transaction(read_only=True, reason="bench"):
        ctx = RunContext("bench", "API", "Administrator")
        ctx.deadline = time.monotonic() + 3600
        token = run_context.enter(ctx)
        try:
            for t in (transport.of("process"), transport.of("inline")):  # warm both up
                _time_runs(t, trivial, "trivial", 50)
                _time_runs(t, calling, "calling", 5)
            for _ in range(ROUNDS):
                figures["run_process"].append(_time_runs(transport.of("process"), trivial, "trivial", RUNS_PER_ROUND))
                figures["run_inline"].append(_time_runs(transport.of("inline"), trivial, "trivial", RUNS_PER_ROUND))
                figures["call_process"].append(_time_runs(transport.of("process"), calling, "calling", 5) / calls)
                figures["call_inline"].append(_time_runs(transport.of("inline"), calling, "calling", 5) / calls)
                # A killed host and the next run, against a run on a warm host.
                pool = hosts.pool()
                figures["warm_run"].append(_time_runs(transport.of("process"), trivial, "trivial", 1))
                host = pool.current_host() or pool.acquire(128)
                if pool.current_host() is None:
                    pool.release(host)
                started = time.perf_counter()
                os.kill(host.pid, signal.SIGKILL)
                host.kill()  # what the worker does when a run's deadline passes
                pool.release(host)
                _time_runs(transport.of("process"), trivial, "trivial", 1)
                figures["kill_ready"].append(time.perf_counter() - started)
        finally:
            run_context.leave(token)
    med = {k: statistics.median(v) * 1e6 for k, v in figures.items()}
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {ROUNDS} rounds (medians)")
    print(f"1. trivial run: process {med['run_process']:.1f} us, inline {med['run_inline']:.1f} us: "
          f"the host adds {med['run_process'] - med['run_inline']:.1f} us (target <= 60)")
    print(f"2. one call: process {med['call_process']:.1f} us, inline {med['call_inline']:.1f} us: "
          f"the channel adds {med['call_process'] - med['call_inline']:.1f} us (target <= 30)")
    print(f"3. kill + next run on a fresh host: {med['kill_ready'] / 1000:.1f} ms "
          f"(a run on a warm host: {med['warm_run'] / 1000:.2f} ms; target <= 50 ms)")


if __name__ == "__main__":
    main()
