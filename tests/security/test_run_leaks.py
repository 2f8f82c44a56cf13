"""Leaks that outlive the run (issue #11): every cache a run can reach is bounded in bytes and holds
no object of the script. A script's class keeps its run's globals alive through its methods; the
write guard's type cache kept every one (+152 MB after 3 runs), the regex pre-check kept failing
50 MB patterns."""

from __future__ import annotations

import gc
import weakref

from webapp.sandbox import Limits, compile_script, execute, guards, modules, policy
from webapp.sandbox.limits import read_rss

LIMITS = Limits(timeout_s=5.0, memory_mb=256)

# One run of everything that reached a module-level cache, with a 1 MB global to keep alive.
SCRIPT = """import re
import collections
import datetime
ballast = 'x' * (1024 * 1024) + str(n)
class Thing(dict):
    def size(self):
        return len(ballast)
t = Thing(a=1)
t['b'] = 2
t.c = None if False else 0
p = Thing
s = t.replace if False else None
Point = collections.namedtuple('Point', ['x', 'y'])
pt = Point(1, 2)
class Holder:
    pass
h = Holder()
h.value = ballast
h.value += 'y'
x = t.size()
try:
    re.compile('(' * 20 + ballast[:3000] + str(n))
except re.error:
    pass
y = re.sub('(a)', '\\\\1' + ballast[:3000] + str(n), 'a')
z = re.compile(ballast[:3000] + str(n)).match('x')
f = '%Y' + ' ' * 2000 + str(n)
try:
    datetime.datetime.strptime('2020', f)
except ValueError:
    pass
"""


def _classes_of(result) -> list:
    return [v for v in result.namespace.values() if isinstance(v, type)]


def test_two_hundred_runs_leave_the_process_memory_flat() -> None:
    code = compile_script(SCRIPT, "<leak test>")

    def one(n: int) -> list:
        result = execute(code, {"n": n}, LIMITS)
        assert result.status == "Success", repr(result.error)
        return [weakref.ref(c) for c in _classes_of(result)]

    for n in range(20):  # warm up: caches fill to their steady size
        one(n)
    gc.collect()
    before = read_rss()
    refs = []
    for n in range(20, 220):
        refs += one(n)
    gc.collect()
    grown = read_rss() - before
    # Kept, 200 runs' globals would be 200 MB and more.
    assert grown < 40 * 2**20, f"{grown / 2**20:.0f} MB"
    alive = [r() for r in refs if r() is not None]
    assert alive == [], f"{len(alive)} script classes outlived their runs"


def test_type_keyed_caches_never_hold_a_script_class() -> None:
    result = execute(compile_script(SCRIPT, "<leak test>"), {"n": 1}, LIMITS)
    assert result.status == "Success", repr(result.error)
    classes = _classes_of(result)
    assert len(set(classes)) == 3  # Thing, Point (namedtuple), Holder
    for cache in (guards._writable_cache, guards._hooks_by_type):
        assert not any(c in cache for c in classes)


def test_caches_keyed_by_script_strings_keep_only_short_ones() -> None:
    execute(compile_script(SCRIPT, "<leak test>"), {"n": 2}, LIMITS)
    limit = modules._PATTERN_CACHEABLE_LEN
    for key in modules._compiled_patterns:
        assert len(key[0]) <= limit
    for cache in (modules._regex_main._locale_sensitive, modules._regex_main._replacement_cache,
                  modules._regex_main._named_args):
        assert isinstance(cache, modules._BoundedCache)
        assert len(cache) <= cache.limit
        for key in cache:
            for part in key if isinstance(key, tuple) else (key,):
                assert not isinstance(part, (str, bytes)) or len(part) <= limit
    assert all(len(name) <= 64 for name in guards._name_verdicts)
    assert len(guards._name_verdicts) <= guards._CACHE_MAX


def test_long_augmented_attribute_names_are_not_kept() -> None:
    name = "a" * 100_000
    source = f"class A:\n    pass\no = A()\no.{name} = 1\no.{name} += 1\n"
    result = execute(compile_script(source, "<leak test>"), {}, LIMITS)
    assert result.status == "Success", repr(result.error)
    assert name not in guards._name_verdicts


def test_the_compile_cache_is_bounded_in_bytes() -> None:
    big = "x = 1\n" + "# pad\n" * 500_000  # 3 MB of source
    for i in range(8):
        compile_script(big + f"y = {i}\n", "<leak test>")
    assert policy._cached_chars <= policy._CACHE_CHARS
    assert sum(len(c.source) for c in policy._cache.values()) <= policy._CACHE_CHARS
