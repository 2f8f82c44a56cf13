"""RunGroup: several runs in a row sharing one watchdog registration, each with its own budget."""

from __future__ import annotations

import os
import select
import sys
import time

import pytest

from webapp.sandbox import Limits, RunGroup, ScriptMemoryError, ScriptTimeoutError, compile_script, execute
from webapp.sandbox.limits import RESEND_S, WATCHDOG, current_state, stack_depth

SPIN = "while True:\n    pass"


def run(source: str, limits: Limits | None = None, **namespace):
    return execute(compile_script(source, "<group>"), namespace, limits)


def _watched() -> bool:
    with WATCHDOG.lock:
        return any(state.tid == WATCHDOG_TID for state in WATCHDOG.active.values())


WATCHDOG_TID = None


@pytest.fixture(autouse=True)
def _tid():
    global WATCHDOG_TID
    import threading

    WATCHDOG_TID = threading.get_ident()
    yield
    assert current_state() is None
    assert not _watched()


def test_runs_are_separate() -> None:
    with RunGroup() as group:
        first = group.run(compile_script("x = 1\nprint('one')"), {})
        second = run("print('two')\ny = globals_seen()", globals_seen=lambda: "x" in first.namespace)
        third = run("z = x")
    assert (first.status, first.output, first.namespace["x"]) == ("Success", "one\n", 1)
    assert (second.status, second.output) == ("Success", "two\n")
    assert "x" not in second.namespace
    assert third.status == "Error" and isinstance(third.error, NameError)


def test_a_timeout_ends_that_run_only_and_the_next_gets_a_full_budget() -> None:
    budget = Limits(timeout_s=0.3)
    with RunGroup(budget):
        t0 = time.perf_counter()
        killed = run(SPIN, budget)
        assert time.perf_counter() - t0 < 2.0
        # Spins past what was left of the first run's budget, well within its own.
        survivor = run("n = 0\nwhile now() < stop:\n    n += 1", budget, now=time.monotonic,
                       stop=time.monotonic() + 0.2)
        after = run("x = 1", budget)
    assert killed.status == "Timeout" and isinstance(killed.error, ScriptTimeoutError)
    assert killed.lineno is not None
    assert survivor.status == "Success", repr(survivor.error)
    assert after.status == "Success"


def test_a_kill_cannot_be_caught_inside_a_group_run() -> None:
    with RunGroup(Limits(timeout_s=0.2)):
        result = run("while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n"
                     "        pass", Limits(timeout_s=0.2))
    assert result.status == "Timeout"


def test_no_kill_reaches_the_callers_code_between_runs() -> None:
    budget = Limits(timeout_s=0.2)
    with RunGroup(budget):
        assert run(SPIN, budget).status == "Timeout"
        # Plain Python between runs, long after the deadline and over many resend periods: the
        # watchdog must neither kill it nor leave a kill pending for it.
        end = time.monotonic() + 30 * RESEND_S
        spins = 0
        while time.monotonic() < end:
            spins += 1
        time.sleep(0.3)  # past the run's own timeout as well
        assert run("x = 1", budget).status == "Success"
    # The loop above ran to its end: no kill landed in it (a kill would have raised out of the
    # loop, and this line would not be reached), and it really spun, many times.
    assert spins > 1000, f"the loop between runs spun only {spins} times"


def test_time_between_runs_does_not_count() -> None:
    budget = Limits(timeout_s=0.25)
    with RunGroup(budget):
        assert run("x = 1", budget).status == "Success"
        time.sleep(0.4)
        assert run("n = 0\nwhile now() < stop:\n    n += 1", budget, now=time.monotonic,
                   stop=time.monotonic() + 0.1).status == "Success"


def test_memory_kill_ends_that_run_only() -> None:
    budget = Limits(memory_mb=48, timeout_s=5)
    with RunGroup(budget):
        bomb = run("x = []\nwhile True:\n    x.append('a' * 10**6)", budget)
        after = run("y = [0] * 1000", budget)
    assert bomb.status == "Memory" and isinstance(bomb.error, ScriptMemoryError)
    assert after.status == "Success"


def test_each_run_gets_its_own_memory_baseline() -> None:
    kept = []
    budget = Limits(memory_mb=64, timeout_s=5)
    with RunGroup(budget):
        # The caller keeps 80 MB between runs (more than one run may allocate): the next run's
        # baseline includes it, so that run is not killed for the caller's memory.
        kept.append(bytearray(80 * 1024 * 1024))
        for i in range(len(kept[0]) // 4096):
            kept[0][i * 4096] = 1
        time.sleep(0.05)
        result = run("y = [0] * 1000", budget)
    assert result.status == "Success"


def test_recursion_budget_and_limit_restored() -> None:
    before = sys.getrecursionlimit()
    with RunGroup(Limits(max_recursion=60)):
        deep = run("def f(n):\n    return f(n + 1)\nf(0)")
        fine = run("def f(n):\n    return 0 if n == 0 else f(n - 1)\nx = f(40)")
    assert isinstance(deep.error, RecursionError) and "60" in str(deep.error)
    assert fine.status == "Success"
    assert sys.getrecursionlimit() == before


def test_caller_error_inside_a_group_leaves_nothing_behind() -> None:
    before = sys.getrecursionlimit()
    with pytest.raises(ValueError):
        with RunGroup():
            run("x = 1")
            raise ValueError("the caller failed")
    assert current_state() is None and not _watched()
    assert sys.getrecursionlimit() == before
    assert run("x = 1").status == "Success"


def test_random_state_does_not_leak_between_group_runs() -> None:
    with RunGroup():
        first = run("import random\nrandom.seed(7)\nx = random.random()").namespace["x"]
        second = run("import random\nx = random.random()").namespace["x"]
    seeded_again = run("import random\nrandom.seed(7)\nx = random.random()").namespace["x"]
    assert first == seeded_again and second != first


def test_inside_a_run_a_group_does_nothing_and_runs_nest() -> None:
    def inner(source):
        with RunGroup(Limits(timeout_s=30)) as group:
            result = group.run(compile_script(source, "<inner>"), {}, Limits(timeout_s=30))
        if result.error is not None:
            raise result.error
        return result.output

    t0 = time.perf_counter()
    result = run("try:\n    inner('while True:\\n    pass')\nexcept BaseException:\n    pass\nwhile True:\n    pass",
                 Limits(timeout_s=0.3), inner=inner)
    assert result.status == "Timeout"
    assert time.perf_counter() - t0 < 2.5  # the inner run shared the outer run's deadline


def test_nested_runs_inside_a_group_run() -> None:
    def run_script(source):
        result = execute(compile_script(source, "<inner>"), {})
        if result.error is not None:
            raise result.error
        return result.output

    with RunGroup():
        result = run("out = run_script('print(6 * 7)')", run_script=run_script)
        timed_out = run("run_script('while True:\\n    pass')", Limits(timeout_s=0.2), run_script=run_script)
        after = run("out = run_script('print(1)')", run_script=run_script)
    assert result.namespace["out"] == "42\n"
    assert timed_out.status == "Timeout"
    assert after.status == "Success" and after.namespace["out"] == "1\n"


def _depth_by_walking() -> int:
    frame, depth = sys._getframe(1), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def test_stack_depth_is_exact_at_any_depth() -> None:
    def at(n):
        if n:
            return at(n - 1)
        return stack_depth(), _depth_by_walking()

    for n in (0, 5, 5, 1, 40, 40, 0):  # repeats use the last answer as a hint; changes must not
        got, expected = at(n)
        assert got == expected


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_has_a_working_watchdog() -> None:
    # Fork while the parent's watchdog lock is held (as when its thread is mid-tick): the child
    # must get a fresh lock and thread, or its first run would hang or never be killed.
    run("x = 1")
    read_end, write_end = os.pipe()
    with WATCHDOG.lock:
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read_end)
            status = run(SPIN, Limits(timeout_s=0.2)).status
            os.write(write_end, status.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 10)
        answer = os.read(read_end, 100).decode() if ready else "(no answer: the child hung)"
    finally:
        os.close(read_end)
        if not ready:
            os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert answer == "Timeout"


@pytest.mark.parametrize("name", ["_getattr_", "_write_", "_getiter_", "_print_", "_check_", "_killed_"])
def test_a_namespace_cannot_shadow_a_guard(name: str) -> None:
    with pytest.raises(ValueError, match="guards use those names"):
        execute(compile_script("x = 1"), {name: lambda *a: None})


def test_output_belongs_to_the_run_that_printed() -> None:
    def run_script(source):
        result = execute(compile_script(source, "<inner>"), {}, Limits(max_output_chars=5))
        return result.output

    with RunGroup() as group:
        outer = group.run(compile_script("print('a')\ninner = run_script('print(123456789)')\nprint('b')\n"
                                         "log('c')\nx = printed"), {"run_script": run_script})
        quiet = group.run(compile_script("x = 1"), {})
        logged = group.run(compile_script("log('only', 'this')"), {})
    assert outer.status == "Success", outer.error
    assert outer.output == "a\nb\nc\n" and outer.namespace["x"] == "a\nb\nc\n"
    assert outer.namespace["inner"] == "12345\n[output truncated]"  # the inner run's own cap
    assert "log" not in outer.namespace  # the default log is the sandbox's, not the script's
    assert quiet.output == "" and logged.output == "only this\n"


def test_an_owned_namespace_is_the_runs_globals_and_a_lent_one_is_copied() -> None:
    lent = {"a": 1}
    result = execute(compile_script("b = a + 1"), lent)
    assert lent == {"a": 1} and result.namespace["b"] == 2
    owned = {"a": 1}
    with RunGroup() as group:
        result = group.run(compile_script("b = a + 1"), owned, own=True)
    assert owned["b"] == 2 and result.namespace["b"] == 2
    with pytest.raises(ValueError, match="guards use those names"):
        execute(compile_script("x = 1"), {"_getattr_": None}, own=True)
