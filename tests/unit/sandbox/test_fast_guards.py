"""The hot guards in webapp/sandbox/_fast.py: compiled (Cython) or not, they must answer exactly as
the full guards in guards.py, since they only skip checks for operands that need none."""

from __future__ import annotations

import os

import pytest

from webapp.sandbox import compile_script, execute, executor, guards
from webapp.sandbox.errors import ScriptMemoryError


def _modules():
    loaded = executor._fast
    source = executor.fast_from_source()
    assert not source.compiled()
    return [pytest.param(loaded, id="compiled" if loaded.compiled() else "loaded-source"),
            pytest.param(source, id="source")]


BIG = 1 << 40000
OPERANDS = [0, 1, -7, 12, 2**61, -(2**62), 2**62, 2**63 + 1, 1 << 32767, -(1 << 32767), BIG, -BIG, 1.5,
            -0.0, float("inf"), float("nan"), True, "ab", b"xy", [1, 2], (3,), {"k": 1}, None, 10**10]


def _outcome(fn, *args):
    try:
        value = fn(*args)
    except Exception as exc:  # noqa: BLE001 - the type is the outcome
        return ("raises", type(exc))
    if isinstance(value, float) and value != value:
        return ("nan",)
    return ("value", value)


@pytest.mark.parametrize("fast", _modules())
def test_mul_and_mod_answer_as_the_full_guards(fast) -> None:
    for a in OPERANDS:
        for b in OPERANDS:
            assert _outcome(fast.mul, a, b) == _outcome(guards.guarded_mul, a, b), (a, b)
            if isinstance(b, (int, float)) and b == 0:
                continue
            if isinstance(a, int) and isinstance(b, int) and a.bit_length() > 4096 and b.bit_length() > 4096:
                continue  # equal either way; just slow to compute twice
            assert _outcome(fast.mod, a, b) == _outcome(guards.guarded_mod, a, b), (a, b)


@pytest.mark.parametrize("fast", _modules())
def test_bombs_still_go_to_the_full_guards(fast) -> None:
    with pytest.raises(ScriptMemoryError):
        fast.mul("a", 10**10)
    with pytest.raises(ScriptMemoryError):
        fast.mul([0], 10**9)
    with pytest.raises(ScriptMemoryError):
        fast.mul(BIG, BIG)
    with pytest.raises(ScriptMemoryError):
        fast.mod("%0999999999d", 7)


@pytest.mark.parametrize("fast", _modules())
def test_write_and_iter(fast) -> None:
    d, items, s = {}, [], set()
    assert fast.write(d) is d and fast.write(items) is items and fast.write(s) is s
    with pytest.raises(TypeError, match="cannot modify"):
        fast.write(guards)
    with pytest.raises(TypeError, match="cannot modify"):
        fast.write(int)

    class Sub(dict):
        pass

    with pytest.raises(TypeError, match="cannot modify"):
        fast.write(Sub())  # exact built-in types only, as guarded_write
    lazy = guards.guarded_range(10**7)
    assert isinstance(lazy, guards.LazyRange)
    it = fast.getiter(lazy)
    assert type(it) is type(iter(range(1)))  # the fast C iterator for a script's own loop
    assert next(it) == 0
    assert list(fast.getiter([1, 2])) == [1, 2]
    with pytest.raises(TypeError):
        fast.getiter(5)


def test_the_compiled_build_is_used_where_it_was_built() -> None:
    """CI builds the speedups (scripts/setup.sh): a broken build must fail here, not run slowly."""
    if not os.environ.get("REQUIRE_ALL_TESTS") and not executor._fast.compiled():
        pytest.skip("the Cython build of the sandbox speedups is not there (scripts/build_speedups.py)")
    assert executor._fast.compiled()
    assert executor._GUARDS["_mul_"] is executor._fast.mul


def test_a_stale_build_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp.sandbox import _fast

    if not _fast.compiled():
        pytest.skip("no compiled build to go stale")
    real = os.path.getmtime

    def newer_source(path: str) -> float:
        return real(_fast.__file__) + 10 if path.endswith("_fast.py") else real(path)

    monkeypatch.setattr(os.path, "getmtime", newer_source)
    module = executor._load_fast()
    assert not module.compiled()
    assert module.mul(6, 7) == 42


def test_scripts_run_the_same_with_the_source_guards(monkeypatch: pytest.MonkeyPatch) -> None:
    source = executor.fast_from_source()
    script = compile_script("x = 6 * 7\ny = 'a%sb' % 'c'\nz = [i * 2 for i in range(3)]\nd = {}\nd['k'] = x % 5\n")
    for fast in (executor._fast, source):
        monkeypatch.setitem(executor._BUILTINS, "_mul_", fast.mul)
        monkeypatch.setitem(executor._BUILTINS, "_mod_", fast.mod)
        monkeypatch.setitem(executor._BUILTINS, "_write_", fast.write)
        monkeypatch.setitem(executor._BUILTINS, "_getiter_", fast.getiter)
        result = execute(script, {})
        assert result.status == "Success", result.error
        assert (result.namespace["x"], result.namespace["y"], result.namespace["z"], result.namespace["d"]) == (
            42, "acb", [0, 2, 4], {"k": 2})


@pytest.mark.parametrize("fast", _modules())
def test_enumerate_answers_as_the_full_guard(fast) -> None:
    import types

    for value in ["ab", [1, 2], (3,), b"xy", bytearray(b"z"), {"k": 1}, {5}, range(3)]:
        assert list(fast.enumerate_(value, 1)) == list(guards.guarded_enumerate(value, 1)), value
    long = b"a" * (guards.RANGE_FAST_MAX + 1)
    for value in (long, list(long), long.decode()):
        assert isinstance(fast.enumerate_(value), types.GeneratorType)
        assert isinstance(guards.guarded_enumerate(value), types.GeneratorType)
    assert not isinstance(fast.enumerate_("ab"), types.GeneratorType)
