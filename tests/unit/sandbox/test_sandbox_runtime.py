"""Unit tests of the sandbox: legitimate scripts, guards, compile cache, errors, limits, nesting."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from webapp.sandbox import (
    ALLOWED_MODULES,
    Limits,
    ReadOnlyNamespace,
    RunResult,
    SandboxError,
    ScriptCompileError,
    ScriptMemoryError,
    ScriptNestingError,
    ScriptTimeoutError,
    compile_script,
    execute,
    mark_writable,
    safe_builtins,
)

ROOT = Path(__file__).resolve().parents[3]


class ValidationError(Exception):
    http_status_code = 417


@mark_writable
class _dict(dict):  # noqa: N801 - Frappe's name
    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        self[key] = value


def _ns(**extra) -> dict:
    frappe = ReadOnlyNamespace("frappe", {"ValidationError": ValidationError, "flags": _dict()})
    ns = {"frappe": frappe, "_dict": _dict, "ValidationError": ValidationError,
          "json": ReadOnlyNamespace("json", {"dumps": json.dumps, "loads": json.loads})}
    ns.update(extra)
    return ns


def run(source: str, limits: Limits | None = None, **extra) -> RunResult:
    return execute(compile_script(source, "<unit>"), _ns(**extra), limits)


def ok(source: str, **extra) -> RunResult:
    result = run(source, **extra)
    assert result.status == "Success", repr(result.error)
    return result


# --- legitimate scripts -------------------------------------------------------------------------

LEGIT = {
    "tuple-unpacking": ("a, b = 1, 2\n(c, (d, e)) = (3, (4, 5))\nx, *rest = [1, 2, 3]\n"
                        "out = [a, b, c, d, e, x, rest]", [1, 2, 3, 4, 5, 1, [2, 3]]),
    "for-unpacking": ("out = []\nfor k, v in sorted({'b': 2, 'a': 1}.items()):\n    out.append(k * v)",
                      ["a", "bb"]),
    "class-methods": ("class Acc:\n    def __init__(self, n):\n        self.n = n\n        self.items = []\n"
                      "    def add(self, x):\n        self.items.append(x)\n        self.total = sum(self.items)\n"
                      "        return self\na = Acc('x').add(2).add(3)\nout = [a.n, a.items, a.total]",
                      ["x", [2, 3], 5]),
    "class-inheritance": ("class A:\n    def f(self):\n        return 1\nclass B(A):\n    def g(self):\n"
                          "        return self.f() + 1\nout = [B().g(), isinstance(B(), A)]", [2, True]),
    "class-comparison": ("class V:\n    def __init__(self, v):\n        self.v = v\n    def __lt__(self, o):\n"
                         "        return self.v < o.v\nout = [x.v for x in sorted([V(3), V(1), V(2)])]", [1, 2, 3]),
    "script-exception-class": ("class MyError(Exception):\n    pass\ntry:\n    raise MyError('m')\n"
                               "except MyError as e:\n    out = str(e)", "m"),
    "closures": ("def make(k):\n    def mul(x):\n        return x * k\n    return mul\nout = make(3)(4)", 12),
    "functions-see-top-level": ("def f():\n    return TAX * 2\nTAX = 21\nout = f()", 42),
    "functions-see-doc": ("def f():\n    return doc['name']\nout = f()", "D-1"),
    "comprehensions": ("out = [[i * i for i in range(4)], {i: i % 2 for i in range(3)}, "
                       "sorted({c for c in 'abca'}), sum(i for i in range(5))]",
                       [[0, 1, 4, 9], {0: 0, 1: 1, 2: 0}, ["a", "b", "c"], 10]),
    "generators": ("def gen(n):\n    for i in range(n):\n        yield i * 2\nout = list(gen(4))", [0, 2, 4, 6]),
    "generator-next": ("g = (i for i in [5, 6])\nout = [next(g), next(g)]", [5, 6]),
    "try-except-namespace": ("try:\n    raise ValidationError('bad')\nexcept ValidationError as e:\n"
                             "    out = 'caught ' + str(e)", "caught bad"),
    "try-finally": ("out = []\ntry:\n    out.append(1)\nfinally:\n    out.append(2)", [1, 2]),
    "frappe-exception": ("try:\n    raise frappe.ValidationError('v')\nexcept frappe.ValidationError:\n"
                         "    out = 'ok'", "ok"),
    "fstrings": ("n = 3.14159\nw = 8\nout = [f'{n:.2f}', f'{n!r}', f'{\"x\":>{w}}', f'{42:05d}']",
                 ["3.14", "3.14159", "       x", "00042"]),
    "percent-format": ("out = ['%s=%d' % ('a', 5), '%.1f' % 2.25, '%(k)s' % {'k': 'v'}]",
                       ["a=5", "2.2", "v"]),
    "datetime": ("import datetime\nd = datetime.date(2024, 1, 31) + datetime.timedelta(days=1)\n"
                 "t = datetime.date.today()\nout = [d.isoformat(), t.year > 2000]", ["2024-02-01", True]),
    "collections": ("from collections import defaultdict, Counter, OrderedDict, deque\n"
                    "d = defaultdict(int)\nd['a'] += 2\nc = Counter('abca')\nq = deque([1])\nq.append(2)\n"
                    "out = [dict(d), c.most_common(1), list(q), list(OrderedDict(x=1))]",
                    [{"a": 2}, [("a", 2)], [1, 2], ["x"]]),
    "re": ("import re\nout = [re.sub(r'\\d+', '#', 'a1b22'), re.findall(r'\\w+', 'x y'), "
           "bool(re.match(r'^[\\w.]+@\\w+\\.\\w+$', 'a.b@c.de')), re.compile('(a)(b)').match('ab').groups(), "
           "re.sub('(a)', r'<\\1>', 'aa'), bool(re.match(r'(\\w|\\d)+$', '1x'))]",
           ["a#b#", ["x", "y"], True, ("a", "b"), "<a><a>", True]),
    "json": ("out = json.loads(json.dumps({'a': [1, 2]}))", {"a": [1, 2]}),
    "hashlib-hmac": ("import hashlib, hmac\nh = hashlib.sha256(b'abc').hexdigest()[:8]\n"
                     "m = hmac.new(b'k', b'msg', hashlib.sha256).hexdigest()[:8]\nout = [h, len(m)]",
                     ["ba7816bf", 8]),
    "statistics": ("import statistics\nout = [statistics.mean([1, 2, 3, 4]), statistics.median([3, 1, 2])]",
                   [2.5, 2]),
    "sorted-key-lambda": ("out = sorted([{'n': 2}, {'n': 1}], key=lambda r: r['n'])", [{"n": 1}, {"n": 2}]),
    "_dict": ("d = _dict(a=1)\nd.b = 2\nout = [d.a, d.b, d['b']]", [1, 2, 2]),
    "flags-writable": ("frappe.flags.done = True\nout = frappe.flags.done", True),
    "augassign-targets": ("d = {'a': 1}\nd['a'] += 4\nl = [1]\nl += [2]\nclass O:\n    pass\no = O()\n"
                          "o.x = 1\no.x *= 5\ns = 'ab'\ns *= 2\nout = [d, l, o.x, s]", [{"a": 5}, [1, 2], 5, "abab"]),
    "math-decimal": ("import math, decimal\nout = [math.floor(2.5), math.factorial(5), str(decimal.Decimal('1.10') "
                     "+ decimal.Decimal('2.205')), math.gcd(12, 18), math.prod([2, 3, 4])]",
                     [2, 120, "3.305", 6, 24]),
    "random-seed": ("import random\nrandom.seed(7)\na = random.random()\nrandom.seed(7)\nout = a == random.random()",
                    True),
    "itertools": ("import itertools\nout = [list(itertools.islice(itertools.count(5), 3)), "
                  "list(itertools.chain([1], [2])), len(list(itertools.permutations('abc')))]",
                  [[5, 6, 7], [1, 2], 6]),
    "base64-uuid-calendar": ("import base64, uuid, calendar\nout = [base64.b64encode(b'hi').decode(), "
                             "len(str(uuid.uuid4())), calendar.isleap(2024), calendar.monthrange(2024, 2)[1]]",
                             ["aGk=", 36, True, 29]),
    "big-loop-range": ("n = 0\nfor i in range(2_000_000):\n    if i == 3:\n        break\n    n += i\nout = n", 3),
    "int-math": ("out = [2 ** 100 % 7, 10 ** 20 // 3, 7 * 6, divmod(17, 5), pow(3, 4, 5), round(2.675, 2), 1 << 10]",
                 [2, 33333333333333333333, 42, (3, 2), 1, 2.67, 1024]),
    "walrus": ("if (n := 5) > 3:\n    out = n", 5),
    "lambda-default": ("f = lambda x, y=2: x * y\nout = f(4)", 8),
    "bytes-types": ("b = bytes([65, 66])\nba = bytearray(b'x')\nba.extend(b'y')\n"
                    "out = [b, bytes(ba), isinstance(b, bytes), isinstance(ba, bytearray)]",
                    [b"AB", b"xy", True, True]),
    "missing-attribute-raises": ("class A:\n    pass\ntry:\n    A().nope\nexcept AttributeError:\n    out = 'raised'",
                                 "raised"),
    "str-methods": ("out = ['a'.ljust(3, '.'), '-'.join(['a', 'b']), 'aXa'.replace('X', 'yy'), '7'.zfill(3)]",
                    ["a..", "a-b", "ayya", "007"]),
}


@pytest.mark.parametrize("source,expected", list(LEGIT.values()), ids=list(LEGIT))
def test_legitimate_script_works(source: str, expected) -> None:
    result = ok(source, doc={"name": "D-1"})
    assert result.namespace["out"] == expected


def test_print_goes_to_output_and_printed_works() -> None:
    result = ok("print('a', 1, sep='-')\nprint('b', end='!')\ndef f():\n    print('in f')\nf()\nx = printed")
    assert result.output == "a-1\nb!in f\n"
    assert result.namespace["x"] == "a-1\nb!in f\n"


def test_default_log_writes_to_output() -> None:
    assert ok("log('hello')").output == "hello\n"


def test_output_is_capped() -> None:
    result = run("for i in range(1000):\n    print('x' * 100)", Limits(max_output_chars=1000))
    assert result.status == "Success"
    assert result.output.endswith("[output truncated]")
    assert len(result.output) <= 1000 + len("\n[output truncated]")


def test_namespace_is_copied_and_returned() -> None:
    ns = _ns()
    result = execute(compile_script("conditions = 'owner = 1'\nx = 2"), ns)
    assert "conditions" not in ns
    assert result.namespace["conditions"] == "owner = 1"
    assert "_getattr_" not in result.namespace and "__builtins__" not in result.namespace


# --- compile errors, cache, line numbers ----------------------------------------------------------

def test_compile_error_names_the_line() -> None:
    with pytest.raises(ScriptCompileError) as info:
        compile_script("x = 1\ny = 2\nif x\n")
    assert info.value.lineno == 3
    assert str(info.value).startswith("Line 3: ")
    assert info.value.http_status_code == 417


def test_compile_error_for_underscore_name() -> None:
    with pytest.raises(ScriptCompileError) as info:
        compile_script("x = 1\n_x = 2")
    assert str(info.value) == 'Line 2: "_x" is an invalid variable name because it starts with "_"'
    assert info.value.lineno == 2 and info.value.msg.startswith('"_x"')


def test_compile_cache_hits_by_source() -> None:
    a = compile_script("x = 40 + 2")
    assert compile_script("x = 40 + 2") is a
    assert compile_script("x = 40 + 3") is not a
    assert a.sha256 and len(a.sha256) == 64


def test_error_keeps_original_exception_and_script_line() -> None:
    result = run("x = 1\n\ndef check():\n    raise ValidationError('Amount too high')\n\ncheck()\n")
    assert result.status == "Error"
    assert type(result.error) is ValidationError
    assert str(result.error) == "Amount too high"
    assert result.lineno == 4


def test_error_in_api_function_reports_calling_line() -> None:
    def boom():
        raise ValueError("from python")

    result = run("a = 1\nboom()", boom=boom)
    assert isinstance(result.error, ValueError) and result.lineno == 2


def test_error_classes() -> None:
    for cls in (ScriptCompileError, ScriptTimeoutError, ScriptMemoryError, ScriptNestingError):
        assert issubclass(cls, SandboxError) and cls.http_status_code == 417


# --- guards -------------------------------------------------------------------------------------

def test_read_only_namespace() -> None:
    ns = ReadOnlyNamespace("frappe", {"a": 1}, b=2)
    assert ns.a == 1 and ns.b == 2
    with pytest.raises(AttributeError):
        ns.a = 3
    with pytest.raises(AttributeError):
        del ns.a
    with pytest.raises(AttributeError):
        ns.missing  # noqa: B018
    result = run("frappe.nope()")
    assert isinstance(result.error, AttributeError)


def test_namespace_with_a_shared_part() -> None:
    def shout(text):
        return str(text).upper()

    shared = ReadOnlyNamespace._shared_part("frappe", {"shout": shout, "ValidationError": ValidationError,
                                                       "utils": ReadOnlyNamespace("frappe.utils", {"n": 1})})
    one, two = shared._with({"flags": _dict()}), shared._with({"flags": _dict()})
    # Shared functions are not bound to the instance; per-run names are the instance's own.
    assert one.shout("a") == "A" and one.ValidationError is ValidationError and one.utils.n == 1
    assert one.flags is not two.flags
    assert dir(one) == ["ValidationError", "flags", "shout", "utils"]
    for target in (one, shared):
        with pytest.raises(AttributeError):
            target.shout = None
    with pytest.raises(AttributeError, match="'frappe' has no attribute 'nope'"):
        one.nope  # noqa: B018
    ok_run = ok("frappe.flags.x = frappe.shout('y')\nout = frappe.flags.x", frappe=one)
    assert ok_run.namespace["out"] == "Y" and two.flags == {}
    for source in ("frappe.shout = 1", "frappe.flags = 1", "del frappe.shout"):
        assert run(source, frappe=one).status == "Error", source
    assert shared.shout is shout  # nothing a script did changed the shared part
    for source in ("x = frappe._with({})", "x = frappe.__ns_shared__", "x = frappe.__class__"):
        with pytest.raises(ScriptCompileError):
            compile_script(source)


def test_mark_writable_only_affects_marked_classes() -> None:
    class Plain(dict):
        pass

    @mark_writable
    class Doc:
        pass

    result = run("d.x = 1\np['k'] = 1", d=Doc(), p=Plain())
    assert result.status == "Error" and result.lineno == 2
    with pytest.raises(TypeError):
        mark_writable(len)


def test_safe_builtins() -> None:
    b = safe_builtins()
    for name in ("abs", "sorted", "zip", "ValueError", "KeyError", "range", "__import__"):
        assert name in b
    for name in ("type", "getattr", "vars", "globals", "open", "compile", "exec", "eval", "setattr",
                 "ExceptionGroup", "iter", "input", "memoryview", "dir"):
        assert name not in b


def test_imports() -> None:
    assert set(ALLOWED_MODULES) == {"re", "math", "datetime", "decimal", "base64", "hashlib", "hmac",
                                    "statistics", "random", "itertools", "collections", "uuid", "calendar"}
    result = run("import os")
    assert isinstance(result.error, ImportError)
    assert "allowed modules: re, math" in str(result.error)
    ok("import datetime as dt\nx = dt.date(2020, 1, 1)")


def test_random_state_does_not_leak_across_runs() -> None:
    first = ok("import random\nrandom.seed(1)\nx = random.random()").namespace["x"]
    second = ok("import random\nx = random.random()").namespace["x"]
    assert first != second or first != ok("import random\nrandom.seed(1)\nx = random.random()").namespace["x"]


def test_getattr_default_form() -> None:
    from webapp.sandbox.guards import guarded_getattr

    assert guarded_getattr({}, "nothing_here", 5) == 5
    with pytest.raises(AttributeError):
        guarded_getattr({}, "__class__")
    with pytest.raises(AttributeError):
        guarded_getattr(AttributeError("x", obj=1), "obj")


# --- limits -------------------------------------------------------------------------------------

def test_timeout_is_near_budget_and_sticky() -> None:
    t0 = time.perf_counter()
    result = run("while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n"
                 "        pass", Limits(timeout_s=0.3))
    elapsed = time.perf_counter() - t0
    assert result.status == "Timeout" and isinstance(result.error, ScriptTimeoutError)
    assert result.lineno is not None
    assert elapsed < 2.0
    ok("x = 1")


def test_swallowed_by_python_code_between_is_still_killed() -> None:
    def swallow(fn):
        try:
            fn()
        except BaseException:  # noqa: BLE001 - a careless API function
            return "swallowed"

    result = run("def spin():\n    while True:\n        pass\nwhile True:\n    swallow(spin)",
                 Limits(timeout_s=0.3), swallow=swallow)
    assert result.status == "Timeout"


def test_memory_limit() -> None:
    result = run("x = []\nwhile True:\n    x.append('a' * 10**6)", Limits(memory_mb=48, timeout_s=5))
    assert result.status == "Memory" and isinstance(result.error, ScriptMemoryError)
    ok("x = 1")


def test_recursion_limit_restored_and_clear_message() -> None:
    before = sys.getrecursionlimit()
    result = run("def f(n):\n    return f(n + 1)\nf(0)", Limits(max_recursion=50))
    assert isinstance(result.error, RecursionError) and "50" in str(result.error)
    assert sys.getrecursionlimit() == before
    ok("def f(n):\n    return 0 if n == 0 else f(n - 1)\nx = f(40)")


def test_other_threads_keep_working_during_a_bomb() -> None:
    done = threading.Event()
    answers = []

    def trivial_loop():
        while not done.is_set():
            r = execute(compile_script("y = 2 + 2"), {})
            answers.append(r.status)

    worker = threading.Thread(target=trivial_loop)
    worker.start()
    try:
        bomb = run("x = sum(range(10**12))", Limits(timeout_s=0.5))
    finally:
        done.set()
        worker.join(5)
    assert bomb.status == "Timeout"
    assert answers and set(answers) == {"Success"}


def test_concurrent_bombs_in_threads() -> None:
    results = []

    def bomb():
        results.append(run("while True:\n    pass", Limits(timeout_s=0.3)).status)

    threads = [threading.Thread(target=bomb) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == ["Timeout"] * 3


# --- nesting ------------------------------------------------------------------------------------

def _runner(limits: Limits | None = None):
    def run_script(source: str) -> str:
        result = execute(compile_script(source, "<inner>"), {"run_script": run_script}, limits)
        if result.error is not None:
            raise result.error
        return result.output

    return run_script


def test_nested_runs_work_and_report_inner_output() -> None:
    result = run("out = run_script('print(40 + 2)')", run_script=_runner())
    assert result.status == "Success" and result.namespace["out"] == "42\n"


def test_nesting_depth_limit() -> None:
    source = "run_script(\"run_script('run_script(\\\\'x = 1\\\\')')\")"
    result = run(source, Limits(max_nesting=2), run_script=_runner())
    assert isinstance(result.error, ScriptNestingError)
    assert result.status == "Error"


def test_inner_timeout_kills_outer_run_and_cannot_be_caught() -> None:
    source = ("try:\n    run_script('while True:\\n    pass')\nexcept BaseException:\n    pass\n"
              "while True:\n    pass")
    t0 = time.perf_counter()
    result = run(source, Limits(timeout_s=0.4), run_script=_runner(Limits(timeout_s=30)))
    assert result.status == "Timeout"
    assert time.perf_counter() - t0 < 2.5  # the inner run shared the outer deadline


def test_inner_script_error_is_catchable_by_outer() -> None:
    source = "try:\n    run_script('raise ValueError(1)')\nexcept ValueError:\n    out = 'inner failed'"
    result = run(source, run_script=_runner())
    assert result.namespace["out"] == "inner failed"


# --- purity -------------------------------------------------------------------------------------

_PURITY_CHECK = """
import sys, types
# webapp/__init__.py (the app factory) imports Flask itself; stand in for the parent package so
# that what gets imported below is exactly what webapp.sandbox pulls in.
parent = types.ModuleType("webapp")
parent.__path__ = [{webapp_dir!r}]
sys.modules["webapp"] = parent
import webapp.sandbox
from webapp.sandbox import compile_script, execute
execute(compile_script("import datetime, re, random\\nx = datetime.date.today()"), {{}})
bad = [m for m in sys.modules
       if m.split(".")[0] in ("flask", "sqlalchemy", "flask_sqlalchemy", "werkzeug", "jinja2")
       or (m.startswith("webapp.") and not m.startswith("webapp.sandbox"))]
print(bad)
"""


def test_sandbox_imports_nothing_from_flask_sqlalchemy_or_webapp() -> None:
    code = _PURITY_CHECK.format(webapp_dir=str(ROOT / "webapp"))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_sandbox_sources_import_only_stdlib_restrictedpython_and_themselves() -> None:
    import ast

    allowed_roots = set(sys.stdlib_module_names) | {"RestrictedPython", "regex", "__future__"}
    for path in (ROOT / "webapp" / "sandbox").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: inside webapp.sandbox
                    continue
                roots = [(node.module or "").split(".")[0]]
            else:
                continue
            for root in roots:
                assert root in allowed_roots, f"{path.name} imports {root}"
