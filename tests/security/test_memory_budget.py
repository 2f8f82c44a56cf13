"""Memory that overshoots the budget (issue #11): one C call that builds a container from a big
input allocates many times the input's size before the watchdog's next RSS reading, and cannot be
interrupted. Where the result's size can be known it is checked against what is left of the run's
memory budget first; where it cannot, the C call is made to run bytecode per item (so the
watchdog's kill lands while it grows)."""

from __future__ import annotations

import pytest

from webapp.sandbox import Limits, ScriptMemoryError, compile_script, execute
from webapp.sandbox.guards import check_parse_size
from webapp.sandbox.limits import read_rss

BUDGET = Limits(timeout_s=5.0, memory_mb=128)
BIG = "b = b'a' * (100 * 2**20)\n"  # 100 MB: fits the 128 MB budget; a list of it does not


def _run(source: str, limits: Limits = BUDGET):
    return execute(compile_script(source, "<memory>"), {}, limits)


REFUSED = [
    ("list", BIG + "x = list(b)"),
    ("tuple", BIG + "x = tuple(b)"),
    ("sorted", BIG + "x = sorted(b)"),
    ("set-of-list", "b = [0] * (10 * 2**20)\nx = set(b)"),
    ("frozenset-of-list", "b = [0] * (10 * 2**20)\nx = frozenset(b)"),
    ("dict-fromkeys", "b = [0] * (10 * 2**20)\nx = dict.fromkeys(b)"),
    ("dict-of-pairs", "b = [(1, 2)] * (10 * 2**20)\nx = dict(b)"),
    ("list-subclass", BIG + "class L(list):\n    pass\nx = L(b)"),
    ("tuple-subclass", BIG + "class T(tuple):\n    pass\nx = T(b)"),
    ("wide-str", "s = '\u20ac' * (5 * 2**20)\nx = list(s)"),
    ("long-range", "x = list(range(10**7))"),
    ("join-total", "p = 'a' * (60 * 2**20)\nx = ''.join([p, p, p])"),
    ("encode-utf32", "s = 'a' * (60 * 2**20)\nx = s.encode('utf-32')"),
    ("bytes-utf32", "s = 'a' * (60 * 2**20)\nx = bytes(s, 'utf-32')"),
    ("mul-over-what-is-left", "a = b'a' * (90 * 2**20)\nc = b'b' * (90 * 2**20)"),
]


@pytest.mark.parametrize("source", [c[1] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_a_container_too_big_for_the_budget_is_refused_before_it_is_built(source: str) -> None:
    before = read_rss()
    result = _run(source)
    assert result.status == "Memory", repr(result.error)
    assert isinstance(result.error, ScriptMemoryError)
    assert "memory limit:" in str(result.error)  # the guard's message, naming the operation
    assert result.duration_ms < 4000
    # Nothing near the estimated result was allocated (the input itself is at most ~200 MB).
    assert read_rss() - before < 250 * 2**20


STEPWISE = [
    ("zip", BIG + "x = list(zip(b))"),
    ("enumerate", BIG + "x = list(enumerate(b))"),
    ("map-builtin", BIG + "x = list(map(str, b))"),
    ("reversed", BIG + "x = list(reversed(b))"),
    ("filter", BIG + "x = list(filter(None, b))"),
]


@pytest.mark.parametrize("source", [c[1] for c in STEPWISE], ids=[c[0] for c in STEPWISE])
def test_adapters_over_a_big_input_grow_under_the_watchdog(source: str) -> None:
    result = _run(source)
    assert result.status in ("Memory", "Timeout"), repr(result.error)


def test_ordinary_containers_and_subclasses_still_work() -> None:
    result = _run(
        "class D(dict):\n    def total(self):\n        return sum(self.values())\n"
        "class L(list):\n    pass\n"
        "d = D(a=1, b=2)\nl = L([3, 1, 2])\nl.append(4)\nd['c'] = 3\n"
        "def f(x: list[int], y: dict[str, int]) -> tuple:\n    return tuple(x)\n"
        "out = [d.total(), sorted(l), isinstance(d, dict), isinstance(l, list), isinstance(l, L),\n"
        "       list(b'ab'), tuple('ab'), set([1, 1]), frozenset('a'), dict([('k', 1)]), dict.fromkeys('ab', 0),\n"
        "       sorted([3, 1], reverse=True), sorted(['b', 'a'], key=len), f([1], {}), list(), dict(),\n"
        "       list(zip('ab', [1, 2])), list(enumerate('ab', 1)), list(map(str, [1])), ''.join(['a', 'b']),\n"
        "       '-'.join(map(str, range(3))), 'é'.encode(), bytes('é', 'utf-8'), list(range(3)),\n"
        "       isinstance([], (list, tuple)), 'L']"
    )
    assert result.status == "Success", repr(result.error)
    out = result.namespace["out"]
    assert out[:5] == [6, [1, 2, 3, 4], True, True, True]
    assert out[5:11] == [[97, 98], ("a", "b"), {1}, frozenset("a"), {"k": 1}, {"a": 0, "b": 0}]
    assert out[11:16] == [[3, 1], ["b", "a"], (1,), [], {}]
    assert out[16:21] == [[("a", 1), ("b", 2)], [(1, "a"), (2, "b")], ["1"], "ab", "0-1-2"]
    assert out[21:] == [b"\xc3\xa9", b"\xc3\xa9", [0, 1, 2], True, "L"]
    assert result.namespace["D"].__name__ == "D"


def test_a_script_class_on_a_builtin_type_is_still_read_only_as_a_class() -> None:
    result = _run("class L(list):\n    pass\nL.append = None")
    assert result.status == "Error" and isinstance(result.error, TypeError)


def test_parse_size_check_for_the_json_stand_in() -> None:
    check_parse_size("[" + "{}," * 1000 + "{}]", "json.loads()")  # small: never refused
    state = execute(compile_script("ok = check('[1, 2]')\ncheck('[' + '{},' * 8000000 + '{}]')"),
                    {"check": lambda text: check_parse_size(text, "json.loads()") or True}, BUDGET)
    assert state.namespace["ok"] is True
    assert state.status == "Memory"
    assert "json.loads()" in str(state.error)


@pytest.mark.parametrize("call", ["json.loads(text)", "frappe.parse_json(text)", "frappe.utils.parse_json(text)",
                                  "orjson.loads(text)"])
def test_json_parsers_refuse_an_input_that_would_exceed_the_budget(client, api_keys, site_config, call):
    # '[' + '{},' * 8M + '{}]' is 24 MB of text and half a gigabyte of dicts once parsed.
    site_config(server_script_enabled=True, server_script_max_memory_mb=128)
    admin = api_keys("Administrator")
    r = client.post("/api/resource/Server Script", headers=admin, json={
        "name": "parse", "script_type": "API", "api_method": "parse",
        "script": "text = '[' + '{},' * 8000000 + '{}]'\nx = " + call})
    assert r.status_code == 200, r.get_json()
    r = client.post("/api/method/parse", headers=admin)
    assert r.status_code == 417 and r.get_json()["exc_type"] in ("ScriptMemoryError", "MemoryError"), r.get_json()
    # Refused before the parser ran (named by it), not killed by the watchdog after the overshoot.
    assert call.split("(")[0].split(".")[-1] + "()" in r.get_json()["exception"], r.get_json()
