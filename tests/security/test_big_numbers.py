"""Big-number paths (issue #11): one C call on a huge int or Decimal holds the GIL for seconds and
no timeout can interrupt it. Every way a script can make such a number, or hand one to a
super-linear C routine, is refused with a clear error before the call."""

from __future__ import annotations

import decimal
import sys
import threading
import time

import pytest

from webapp.sandbox import Limits, ScriptCompileError, ScriptMemoryError, compile_script, execute
from webapp.sandbox.guards import DECIMAL_MAX_DIGITS, INT_MAX_BITS

LIMITS = Limits(timeout_s=1.0, memory_mb=64)
# An int of 100,000 bits made by additions alone (x + x is linear and not size-checked).
GROWN = "x = 1\nfor i in range(100000):\n    x = x + x\n"


def _run(source: str, limits: Limits = LIMITS, **namespace):
    return execute(compile_script(source, "<numbers>"), dict(namespace), limits)


def _stall_during(fn) -> float:
    """Run ``fn`` while another thread ticks; the longest time that thread was kept waiting."""
    gaps = [0.0]
    stop = threading.Event()

    def tick() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            time.sleep(0.005)
            now = time.perf_counter()
            gaps[0] = max(gaps[0], now - last)
            last = now

    t = threading.Thread(target=tick, daemon=True)
    t.start()
    try:
        fn()
    finally:
        stop.set()
        t.join()
    return gaps[0]


REFUSED = [
    # (id, source): the run ends as Memory, with the guard's message, at once
    ("int-of-decimal", "import decimal\nx = int(decimal.Decimal('1e500000'))"),
    ("decimal-huge-exponent", "import decimal\nd = decimal.Decimal('1e999999999')"),
    ("decimal-tuple", "import decimal\nd = decimal.Decimal((0, (1,) * 10**6, 0))"),
    ("decimal-long-string", "import decimal\nd = decimal.Decimal('9' * 10**6)"),
    ("from-bytes", "x = int.from_bytes(b'\\xff' * 3_000_000, 'big')"),
    ("from-bytes-value", "x = (0).from_bytes(b'\\xff' * 3_000_000, 'big')"),
    ("from-bytes-bool", "x = bool.from_bytes(b'\\xff' * 3_000_000, 'big')"),
    ("from-bytes-bool-value", "x = True.from_bytes(b'\\xff' * 3_000_000, 'big')"),
    ("from-bytes-subclass", "class I(int):\n    pass\nx = I.from_bytes(b'\\xff' * 3_000_000, 'big')"),
    ("from-bytes-list", "x = int.from_bytes([255] * 3_000_000, 'big')"),
    ("statistics-variance", "import statistics\n"
                            "x = statistics.variance([int.from_bytes(b'\\xff' * 3_000_000, 'big'), 1])"),
    ("statistics-grown", GROWN + "import statistics\ny = statistics.variance([x, 1, 2])"),
    ("statistics-kwarg", GROWN + "import statistics\ny = statistics.pvariance([1, 2], mu=x)"),
    ("statistics-generator", GROWN + "import statistics\ny = statistics.mean(v for v in [x, 1])"),
    ("normaldist-samples", GROWN + "import statistics\ny = statistics.NormalDist.from_samples([x, 1])"),
    ("lcm-range", "import math\nx = math.lcm(*range(1, 180000))"),
    ("gcd-grown", GROWN + "import math\ny = math.gcd(x, x - 1)"),
    ("isqrt-grown", GROWN + "import math\ny = math.isqrt(x)"),
    ("pow-grown", GROWN + "y = pow(x, 2)"),
    ("pow-op-grown", GROWN + "y = x ** 2"),
    ("mul-grown", GROWN + "y = x * x"),
    ("int-hex-string", "x = int('f' * 10**6, 16)"),
    ("int-bin-string", "x = int(b'1' * 10**6, 2)"),
    ("bool-shift", "x = True << 10**9"),
    ("intflag-pow", "import re\nx = re.S ** (10**8)"),
    ("intflag-shift", "import re\nx = re.S << 10**9"),
    ("intflag-mul", "import re\nx = (re.S << 40000) * (re.S << 40000)"),
]


@pytest.mark.parametrize("source", [c[1] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_big_number_paths_are_refused_before_the_c_call(source: str) -> None:
    holder = {}
    stall = _stall_during(lambda: holder.setdefault("r", _run(source, Limits(timeout_s=5.0, memory_mb=64))))
    result = holder["r"]
    assert result.status == "Memory", repr(result.error)
    assert isinstance(result.error, ScriptMemoryError)
    assert "memory limit:" in str(result.error)  # the guard's own message, naming the operation
    assert stall < 1.0, stall  # the C call alone would hold the GIL for seconds


def test_a_guards_error_stands_when_the_kill_it_asked_for_lands_meanwhile(monkeypatch) -> None:
    # A guard that refuses marks the run killed, and the watchdog re-sends that kill into the
    # thread every few ms: it may land while the guard's error is being settled (it did in CI,
    # replacing "memory limit: lcm() result over ..." by the budget's generic message).
    from webapp.sandbox import executor
    from webapp.sandbox.limits import _KillMemory

    real = executor.settle_error

    def kill_lands(exc):
        if isinstance(exc, ScriptMemoryError):
            raise _KillMemory()
        return real(exc)

    monkeypatch.setattr(executor, "settle_error", kill_lands)
    result = _run("x = True << 10**9")
    assert result.status == "Memory"
    assert "memory limit: the result would be an integer" in str(result.error), str(result.error)
    assert result.error.__context__ is None


def test_decimal_arithmetic_is_bounded_by_the_sandbox_context() -> None:
    result = _run("import decimal\nd = decimal.Decimal('1e19000')\ntry:\n    e = d ** 50\n"
                  "except decimal.Overflow:\n    e = 'overflow'\n"
                  "f = decimal.Decimal(1) / decimal.Decimal(7)\nn = int(decimal.Decimal('1e19000'))")
    assert result.status == "Success", repr(result.error)
    assert result.namespace["e"] == "overflow"
    assert len(str(result.namespace["f"])) == 30  # 28 significant digits, as by default
    assert result.namespace["n"] == 10**19000


def test_the_hosts_decimal_context_is_not_the_scripts_and_comes_back() -> None:
    ctx = decimal.Context(prec=100_000, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
    saved = decimal.getcontext()
    decimal.setcontext(ctx)
    try:
        result = _run("import decimal\nf = decimal.Decimal(1) / decimal.Decimal(7)")
        assert result.status == "Success"
        assert len(str(result.namespace["f"])) == 30
        assert decimal.getcontext() is ctx
    finally:
        decimal.setcontext(saved)


@pytest.mark.parametrize("expr", ["int(d)", "round(d)", "'%d' % d", "'%d' % (d,)", "'%(a)i' % {'a': d}", "'%s %i' % ('x', d)",
                                  "math.floor(d)", "math.ceil(d)", "math.trunc(d)", "d.as_integer_ratio()",
                                  "statistics.mean([d, d])"])
def test_a_huge_decimal_from_the_host_is_not_turned_into_an_int(expr: str) -> None:
    result = _run(f"import math\nimport statistics\nx = {expr}", d=decimal.Decimal("1e500000"))
    assert result.status == "Memory", repr(result.error)


def test_hex_literals_over_the_limit_are_refused_when_saved() -> None:
    with pytest.raises(ScriptCompileError, match="integer literal of .* bits is too large"):
        compile_script("x = 0x" + "f" * (INT_MAX_BITS // 4 + 1))
    compile_script("x = 0x" + "f" * (INT_MAX_BITS // 4))


def test_python_int_str_limit_is_enforced_for_runs() -> None:
    saved = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # a host that lifted it
    try:
        result = _run("x = 7 ** 20000\ny = str(x)")
        assert result.status == "Error"
        assert isinstance(result.error, ValueError) and "4300" in str(result.error)
    finally:
        sys.set_int_max_str_digits(saved)


def test_numbers_within_the_limits_still_work() -> None:
    result = _run(
        "import math, statistics, decimal\n"
        "a = math.lcm(*range(1, 200))\nb = math.gcd(2**1000, 6**500)\nc = int.from_bytes(b'\\x01\\x00', 'big')\n"
        "d = (5).from_bytes(b'\\x02', 'little')\ne = int('ff', 16) + int(' 42 ') + int(3.9) + int(True)\n"
        "f = statistics.variance([1, 2, 3, 4])\ng = statistics.mean([decimal.Decimal('1.5'), decimal.Decimal('2.5')])\n"
        "h = int(decimal.Decimal('123.9'))\ni = round(decimal.Decimal('2.5'))\nj = math.floor(decimal.Decimal('-1.5'))\n"
        "k = statistics.NormalDist.from_samples([1, 2, 3]).mean\nl = isinstance(5, int) and not isinstance('5', int)\n"
        "m = int(x='7') if False else int('7', base=8)\nn = math.lcm()\no = '%d items' % 3\n"
        "p = str(decimal.Decimal('1e19000') * 2)\nq = [isinstance(decimal.Decimal(1), decimal.Decimal), int.bit_length(255)]"
    )
    assert result.status == "Success", repr(result.error)
    ns = result.namespace
    import math as m

    assert ns["a"] == m.lcm(*range(1, 200))
    assert (ns["b"], ns["c"], ns["d"], ns["e"]) == (2**500, 256, 2, 255 + 42 + 3 + 1)
    assert ns["f"] == 1.6666666666666667 and ns["g"] == decimal.Decimal("2.0")
    assert (ns["h"], ns["i"], ns["j"], ns["k"], ns["l"]) == (123, 2, -2, 2.0, True)
    assert (ns["m"], ns["n"], ns["o"], ns["p"], ns["q"]) == (7, 1, "3 items", "2E+19000", [True, 8])


def test_decimal_limits_match_the_int_limit() -> None:
    # An int made from the largest allowed Decimal is within the int limit (and the other way).
    assert (10 ** DECIMAL_MAX_DIGITS).bit_length() <= INT_MAX_BITS
    assert (10 ** (DECIMAL_MAX_DIGITS + 2)).bit_length() > INT_MAX_BITS
