"""Read-only namespaces and the vetted stand-ins for the modules a script may import.

A script never gets a real module: ``import datetime`` hands it a ReadOnlyNamespace exposing the
public, harmless names of the module (no submodules, nothing that leads to ``sys``/``os``/
``builtins``). Functions that could run one long C call (combinatorial iterators, factorials,
key derivation, regex backtracking, ``random.randbytes``) are wrapped with caps.
"""

from __future__ import annotations

import base64 as _base64
import calendar as _calendar
import collections as _collections
import datetime as _datetime
import decimal as _decimal
import hashlib as _hashlib
import hmac as _hmac
import importlib
import itertools as _itertools
import math as _math
import operator
import os
import random as _random
import re as _re
import statistics as _statistics
import sys
import uuid as _uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import regex as _regex
from regex import _main as _regex_main

from .guards import (
    _SCRIPT_CLASS_ATTR as SCRIPT_CLASS_ATTR,
)
from .guards import (
    DECIMAL_MAX_DIGITS,
    INT_MAX_BITS,
    _check_len,
    add_attr_hook,
    check_decimal,
    check_int,
    guarded_mul,
    mark_writable,
    stand_in_type,
)
from .limits import current_state, out_of_time, over_budget, time_left, trust_code_in

ALLOWED_MODULES: tuple[str, ...] = (
    "re", "math", "datetime", "decimal", "base64", "hashlib", "hmac", "statistics", "random",
    "itertools", "collections", "uuid", "calendar",
)


class _SharedPartType(type):
    """The class of a namespace's shared part (``ReadOnlyNamespace._shared_part``): read-only too."""

    def __setattr__(cls, name: str, value: Any) -> None:
        raise AttributeError(f"'{cls.__ns_name__}' is read-only: cannot set '{name}'")

    def __delattr__(cls, name: str) -> None:
        raise AttributeError(f"'{cls.__ns_name__}' is read-only: cannot delete '{name}'")


class ReadOnlyNamespace:
    """An object exposing the given attributes read-only (for module stand-ins and API namespaces).

    ``ReadOnlyNamespace("frappe", {"get_doc": get_doc}, db=db_namespace)``. Scripts can read the
    attributes; setting or deleting one fails, and the sandbox's write guard refuses it too.
    Reading a missing one raises AttributeError.
    """

    def __init__(self, name: str = "namespace", attrs: Mapping[str, Any] | None = None, /,
                 **more: Any) -> None:
        d = object.__getattribute__(self, "__dict__")
        if attrs:
            d.update(attrs)
        d.update(more)
        d["__ns_name__"] = name

    __ns_name__ = "namespace"

    @classmethod
    def _shared_part(cls, name: str, attrs: Mapping[str, Any]) -> type[ReadOnlyNamespace]:
        """A subclass holding ``attrs`` as class attributes, for namespaces made per run around a
        large part they all share (``frappe``): each instance (``_with(own)``) then holds only its
        own names, not a copy of the shared ones, and reads either kind as fast. Shared values are
        stored as staticmethods so that none is bound to the instance."""
        body: dict[str, Any] = {"__ns_name__": name, "__ns_shared__": tuple(attrs)}
        for key, value in attrs.items():
            body[key] = value if isinstance(value, type) else staticmethod(value)
        return _SharedPartType(f"ReadOnlyNamespace[{name}]", (cls,), body)

    @classmethod
    def _with(cls, attrs: dict[str, Any]) -> ReadOnlyNamespace:
        """An instance whose own attributes ARE ``attrs`` (no copy): for a caller that builds a
        fresh dict per namespace (one per script run) and never touches it again."""
        ns = object.__new__(cls)
        object.__setattr__(ns, "__dict__", attrs)
        return ns

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"'{self.__ns_name__}' is read-only: cannot set '{name}'")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"'{self.__ns_name__}' is read-only: cannot delete '{name}'")

    def __getattr__(self, name: str) -> Any:  # only called when the attribute is missing
        raise AttributeError(f"'{self.__ns_name__}' has no attribute '{name}'")

    def __repr__(self) -> str:
        return f"<{self.__ns_name__}>"

    def __dir__(self) -> list[str]:
        names = set(getattr(type(self), "__ns_shared__", ())) | set(self.__dict__)
        return sorted(k for k in names if not k.startswith("_"))


def _public(module: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(module, name) for name in names}


def _interruptible(it: Iterable[Any]) -> Iterator[Any]:
    # A Python-level loop: a C consumer (sum, list, "".join) of this generator runs bytecode for
    # every item, so the watchdog's kill lands between items.
    for item in it:
        yield item


# --- re -----------------------------------------------------------------------------------
# Backed by the ``regex`` package in its re-compatible mode (VERSION0): every match runs with the
# run's remaining time as its timeout and without the GIL (``concurrent=True``), so a pattern that
# backtracks for ever neither freezes the worker's other threads nor outlives the run's budget. A
# run out of time there ends as a Timeout at the script's line, like any other.

# re's flag values (what scripts pass and read) -> the regex package's.
_RE_FLAG_BITS = {int(_re.I): _regex.I, int(_re.L): _regex.L, int(_re.M): _regex.M,
                 int(_re.S): _regex.S, int(_re.U): _regex.U, int(_re.X): _regex.X,
                 int(_re.A): _regex.A}
_RE_FLAGS = sum(_RE_FLAG_BITS)
_MAXSIZE = sys.maxsize
# Compiled patterns, shared by every run: only short patterns given as exact str/bytes (bounded in
# bytes, holding nothing of a script); a long or unusual one is compiled per call.
_PATTERN_CACHE_MAX = 512
_PATTERN_CACHEABLE_LEN = 1000
_compiled_patterns: dict[tuple[Any, type, int], SafePattern] = {}


class _BoundedCache(dict):  # type: ignore[type-arg]
    """Stands in for the regex package's own module-level caches (keyed by a pattern or template
    string): keeps entries whose key holds only short exact str/bytes, at most ``limit`` of them,
    so a script's 50 MB pattern or template is never kept after its run."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: Any, value: Any) -> None:
        for part in key if type(key) is tuple else (key,):
            if isinstance(part, (str, bytes)) and (type(part) not in (str, bytes)
                                                   or len(part) > _PATTERN_CACHEABLE_LEN):
                return
        if len(self) >= self.limit:
            self.clear()
        super().__setitem__(key, value)


def _bound_regex_caches() -> None:
    # ``_locale_sensitive`` gets every compiled pattern (even uncached ones) and is only shrunk with
    # the pattern cache we do not use; ``_replacement_cache`` holds each sub()/expand() template.
    for name in ("_locale_sensitive", "_replacement_cache", "_named_args"):
        current = getattr(_regex_main, name)
        if not isinstance(current, _BoundedCache):
            setattr(_regex_main, name, _BoundedCache(_PATTERN_CACHE_MAX))


_bound_regex_caches()
trust_code_in(os.path.dirname(_regex.__file__))


def _engine_flags(flags: Any, pattern: Any) -> int:
    flags = operator.index(flags)
    unknown = flags & ~_RE_FLAGS
    if unknown:
        raise ValueError(f"unsupported regular expression flags in server scripts: {unknown} "
                         "(use re.I, re.M, re.S, re.X, re.A, re.U, re.L)")
    if flags & _re.L and isinstance(pattern, str):
        raise ValueError("cannot use LOCALE flag with a str pattern")
    engine = _regex.VERSION0
    for bit, value in _RE_FLAG_BITS.items():
        if flags & bit:
            engine |= value
    return engine


def _script_flags(rx: Any, asked: int) -> int:
    """``Pattern.flags`` as re reports it (re's values, inline flags included)."""
    engine = rx.flags
    flags = 0
    for bit, value in _RE_FLAG_BITS.items():
        if engine & value and bit != _re.A:
            flags |= bit
    if engine & _regex.A and (isinstance(rx.pattern, str) or asked & _re.A):
        flags |= int(_re.A)
    return flags


def _time_budget() -> float:
    left = time_left()
    if left <= 0:
        raise out_of_time("in a regular expression")
    return left


def _regex_timeout(exc: TimeoutError) -> BaseException:
    return out_of_time("in a regular expression") if str(exc) == "regex timed out" else exc


def _timed(call: Callable[..., Any], *args: Any) -> Any:
    """``call(*args)`` of the engine, timed to what is left of the run and without the GIL."""
    try:
        return call(*args, concurrent=True, timeout=_time_budget())
    except TimeoutError as exc:
        raise _regex_timeout(exc) from None


def _sub(rx: Any, repl: Any, string: Any, count: int) -> tuple[Any, int]:
    """``Pattern.subn`` that refuses to build a result over the memory budget."""
    if isinstance(repl, (str, bytes)):
        backslash = "\\" if isinstance(repl, str) else b"\\"
        if backslash not in repl and len(string) + (len(string) + 1) * len(repl) <= 1 << 20:
            return _timed(rx.subn, repl, string, count)
        template = repl

        def expand(m: Any) -> Any:
            return m.expand(template)

        fn: Callable[[Any], Any] = expand
    else:
        fn = repl
    produced = [len(string)]

    def counted(m: Any) -> Any:
        out = fn(m)
        produced[0] += len(out)
        if produced[0] > 1 << 20:
            _check_len(produced[0], "re.sub()")
        return out

    return _timed(rx.subn, counted, string, count)


def _timed_iter(it: Iterator[Any]) -> Iterator[Any]:
    # A Python-level loop (the watchdog's kill lands between matches); each step is timed too.
    try:
        for item in it:
            yield item
    except TimeoutError as exc:
        raise _regex_timeout(exc) from None


class _PatternType(type):
    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("cannot create 're.Pattern' instances")


class SafePattern(metaclass=_PatternType):
    """A compiled pattern as a script sees it (``re.Pattern``): re's methods, timed and with the
    size guards. ``Match.re`` gives one too (see guards' attribute hooks)."""

    __slots__ = ("_rx", "_flags")

    @staticmethod
    def _wrap(rx: Any, asked: int = 0) -> SafePattern:
        self = object.__new__(SafePattern)
        object.__setattr__(self, "_rx", rx)
        object.__setattr__(self, "_flags", _script_flags(rx, asked))
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("patterns are read-only")

    pattern = property(lambda self: self._rx.pattern)
    flags = property(lambda self: self._flags)
    groups = property(lambda self: self._rx.groups)
    groupindex = property(lambda self: dict(self._rx.groupindex))

    def match(self, string: Any, pos: int = 0, endpos: int = _MAXSIZE) -> Any:
        return _timed(self._rx.match, string, pos, endpos)

    def search(self, string: Any, pos: int = 0, endpos: int = _MAXSIZE) -> Any:
        return _timed(self._rx.search, string, pos, endpos)

    def fullmatch(self, string: Any, pos: int = 0, endpos: int = _MAXSIZE) -> Any:
        return _timed(self._rx.fullmatch, string, pos, endpos)

    def findall(self, string: Any, pos: int = 0, endpos: int = _MAXSIZE) -> Any:
        return _timed(self._rx.findall, string, pos, endpos)

    def finditer(self, string: Any, pos: int = 0, endpos: int = _MAXSIZE) -> Any:
        return _timed_iter(_timed(self._rx.finditer, string, pos, endpos))

    def split(self, string: Any, maxsplit: int = 0) -> Any:
        return _timed(self._rx.split, string, maxsplit)

    def sub(self, repl: Any, string: Any, count: int = 0) -> Any:
        return _sub(self._rx, repl, string, count)[0]

    def subn(self, repl: Any, string: Any, count: int = 0) -> Any:
        return _sub(self._rx, repl, string, count)

    def __repr__(self) -> str:
        return f"re.compile({self._rx.pattern!r})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, SafePattern) and other._rx == self._rx

    def __hash__(self) -> int:
        return hash(self._rx)


def _re_compile(pattern: Any, flags: int = 0) -> SafePattern:
    if type(pattern) is SafePattern:
        if flags:
            raise ValueError("cannot process flags argument with a compiled pattern")
        return pattern
    key = (pattern, type(pattern), flags)
    try:
        hit = _compiled_patterns.get(key)
    except TypeError:  # unhashable: regex names the type below
        hit = None
    if hit is not None:
        return hit
    if isinstance(pattern, str):
        pattern = str(pattern)  # a script's str subclass: compile (and keep) a plain copy
    elif isinstance(pattern, (bytes, bytearray)) and type(pattern) is not bytes:
        pattern = bytes(pattern)
    elif not isinstance(pattern, (str, bytes)):
        raise TypeError("first argument must be string or compiled pattern")
    asked = operator.index(flags)
    rx = _regex.compile(pattern, _engine_flags(asked, pattern), cache_pattern=False)
    compiled = SafePattern._wrap(rx, asked)
    if type(key[0]) in (str, bytes) and len(pattern) <= _PATTERN_CACHEABLE_LEN:
        if len(_compiled_patterns) >= _PATTERN_CACHE_MAX:
            _compiled_patterns.clear()
        _compiled_patterns[key] = compiled
    return compiled


def _match_hook(obj: Any, name: str) -> Any:
    return SafePattern._wrap(obj.re) if name == "re" else None


add_attr_hook(_regex.Match, _match_hook)


def _re_module() -> ReadOnlyNamespace:
    compiled = _re_compile

    def match(pattern: Any, string: Any, flags: int = 0) -> Any:
        return compiled(pattern, flags).match(string)

    def search(pattern: Any, string: Any, flags: int = 0) -> Any:
        return compiled(pattern, flags).search(string)

    def fullmatch(pattern: Any, string: Any, flags: int = 0) -> Any:
        return compiled(pattern, flags).fullmatch(string)

    def findall(pattern: Any, string: Any, flags: int = 0) -> Any:
        return compiled(pattern, flags).findall(string)

    def finditer(pattern: Any, string: Any, flags: int = 0) -> Any:
        return compiled(pattern, flags).finditer(string)

    def split(pattern: Any, string: Any, maxsplit: int = 0, flags: int = 0) -> Any:
        return compiled(pattern, flags).split(string, maxsplit)

    def sub(pattern: Any, repl: Any, string: Any, count: int = 0, flags: int = 0) -> Any:
        return compiled(pattern, flags).sub(repl, string, count)

    def subn(pattern: Any, repl: Any, string: Any, count: int = 0, flags: int = 0) -> Any:
        return compiled(pattern, flags).subn(repl, string, count)

    attrs: dict[str, Any] = {
        "compile": _re_compile, "match": match, "search": search, "fullmatch": fullmatch,
        "findall": findall, "finditer": finditer, "split": split, "sub": sub, "subn": subn,
        "escape": _re.escape, "error": _regex.error, "Pattern": SafePattern,
        "Match": _regex.Match, "NOFLAG": _re.NOFLAG,
    }
    for flag in ("A", "ASCII", "I", "IGNORECASE", "L", "LOCALE", "M", "MULTILINE", "S", "DOTALL",
                 "X", "VERBOSE", "U", "UNICODE"):
        attrs[flag] = getattr(_re, flag)
    return ReadOnlyNamespace("re", attrs)


# --- math ----------------------------------------------------------------------------------

def _math_module() -> ReadOnlyNamespace:
    def factorial(n: int) -> int:
        if n > 5000:
            raise over_budget("factorial() of more than 5000")
        return _math.factorial(n)

    def comb(n: int, k: int) -> int:
        if n > INT_MAX_BITS:
            raise over_budget(f"comb() with n over {INT_MAX_BITS}")
        return _math.comb(n, k)

    def perm(n: int, k: int | None = None) -> int:
        kk = n if k is None else k
        if kk > 1 and max(n, 1).bit_length() * kk > INT_MAX_BITS:
            raise over_budget("perm() result too large")
        return _math.perm(n, k)

    def prod(iterable: Iterable[Any], *, start: Any = 1) -> Any:
        result = start
        for x in iterable:
            result = guarded_mul(result, x)
        return result

    def _int_args(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            for a in args:
                if isinstance(a, int) and a.bit_length() > INT_MAX_BITS:
                    raise over_budget(f"{name}() of integers over {INT_MAX_BITS} bits")
            return fn(*args)

        wrapper.__name__ = name
        return wrapper

    def lcm(*integers: int) -> int:
        # One step at a time, each one bounded: math.lcm(*range(1, 180000)) grows its result to
        # hundreds of thousands of bits inside one C call.
        result = 1
        for n in integers:
            result = _math.lcm(result, check_int(operator.index(n), "lcm()"))
            if result.bit_length() > INT_MAX_BITS:
                raise over_budget(f"lcm() result over {INT_MAX_BITS} bits")
        return result

    def _to_int(name: str, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        what = f"{name}()"

        def wrapper(x: Any) -> Any:
            if isinstance(x, _decimal.Decimal):
                check_decimal(x, what)
            return fn(x)

        wrapper.__name__ = name
        return wrapper

    names = [n for n in dir(_math) if not n.startswith("_")]
    attrs = _public(_math, names)
    attrs.update(factorial=factorial, comb=comb, perm=perm, prod=prod, lcm=lcm,
                 gcd=_int_args("gcd", _math.gcd), isqrt=_int_args("isqrt", _math.isqrt),
                 floor=_to_int("floor", _math.floor), ceil=_to_int("ceil", _math.ceil),
                 trunc=_to_int("trunc", _math.trunc))
    return ReadOnlyNamespace("math", attrs)


# --- hashlib / hmac / base64 ---------------------------------------------------------------

_HASHES = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_224", "sha3_256",
           "sha3_384", "sha3_512", "blake2b", "blake2s")


def _hashlib_module() -> ReadOnlyNamespace:
    def new(name: str, data: bytes = b"", **kwargs: Any) -> Any:
        if str(name).lower().replace("-", "_") not in _HASHES:
            raise ValueError(f"unsupported hash type {name!r}; available: {', '.join(_HASHES)}")
        return _hashlib.new(name, data, **kwargs)

    def pbkdf2_hmac(hash_name: str, password: bytes, salt: bytes, iterations: int,
                    dklen: int | None = None) -> bytes:
        # One C loop: keep it under a second or so.
        if iterations > 200_000 or (dklen is not None and dklen > 1024):
            raise over_budget("pbkdf2_hmac() with more than 200000 iterations")
        return _hashlib.pbkdf2_hmac(hash_name, password, salt, iterations, dklen)

    attrs = _public(_hashlib, _HASHES)
    attrs.update(new=new, pbkdf2_hmac=pbkdf2_hmac,
                 algorithms_guaranteed=frozenset(_HASHES), algorithms_available=frozenset(_HASHES))
    return ReadOnlyNamespace("hashlib", attrs)


def _hmac_module() -> ReadOnlyNamespace:
    return ReadOnlyNamespace("hmac", _public(_hmac, ("new", "compare_digest", "digest")))


def _base64_module() -> ReadOnlyNamespace:
    names = ("b64encode", "b64decode", "standard_b64encode", "standard_b64decode",
             "urlsafe_b64encode", "urlsafe_b64decode", "b32encode", "b32decode", "b32hexencode",
             "b32hexdecode", "b16encode", "b16decode", "b85encode", "b85decode", "a85encode",
             "a85decode", "encodebytes", "decodebytes")
    return ReadOnlyNamespace("base64", _public(_base64, names))


# --- datetime / decimal / calendar / uuid / statistics ---------------------------------------

_FORMAT_MAX = 1000


def _strptime_hook(obj: Any, name: str) -> Any:
    if name != "strptime":
        return None
    real = obj.strptime

    def strptime(date_string: str, format: str) -> Any:  # noqa: A002 - datetime's name
        # _strptime keeps the regex of each format in two caches (its own and re's): keep
        # formats a sane length so those hold nothing big of a script.
        if isinstance(format, str) and len(format) > _FORMAT_MAX:
            raise ValueError(f"strptime() format longer than {_FORMAT_MAX} characters")
        return real(date_string, format)

    return strptime


add_attr_hook(_datetime.date, _strptime_hook, on_class=True)
add_attr_hook(_datetime.time, _strptime_hook, on_class=True)


def _datetime_module() -> ReadOnlyNamespace:
    names = ("date", "datetime", "time", "timedelta", "timezone", "tzinfo", "MINYEAR", "MAXYEAR")
    attrs = _public(_datetime, names)
    attrs["UTC"] = _datetime.UTC
    return ReadOnlyNamespace("datetime", attrs)


def _decimal_check(value: Any = "0", context: Any = None) -> None:
    # Construction is exact (no context): bound the digits it may take...
    if isinstance(value, str):
        if len(value) > DECIMAL_MAX_DIGITS + 100:
            raise over_budget(f"Decimal() of a string of {len(value)} characters")
    elif isinstance(value, (tuple, list)) and len(value) == 3 and hasattr(value[1], "__len__"):
        if len(value[1]) > DECIMAL_MAX_DIGITS:
            raise over_budget(f"Decimal() of {len(value[1])} digits")


def _decimal_post(d: _decimal.Decimal) -> _decimal.Decimal:
    # ... and the exponent.
    if d.is_finite() and d and abs(d.adjusted()) > DECIMAL_MAX_DIGITS:
        raise over_budget(f"Decimal() with an exponent over {DECIMAL_MAX_DIGITS} "
                          f"(use a smaller number)")
    return d


def _decimal_hook(obj: Any, name: str) -> Any:
    if name == "as_integer_ratio":
        check_decimal(obj, "as_integer_ratio()")
    return None


add_attr_hook(_decimal.Decimal, _decimal_hook)


def _decimal_module() -> ReadOnlyNamespace:
    names = ["DecimalException", "InvalidOperation", "DivisionByZero", "Overflow",
             "Underflow", "Inexact", "Rounded", "Subnormal", "Clamped", "FloatOperation"]
    names += [n for n in dir(_decimal) if n.startswith("ROUND_")]
    attrs = _public(_decimal, names)
    attrs["Decimal"] = stand_in_type(_decimal.Decimal, _decimal_check, _decimal_post)
    return ReadOnlyNamespace("decimal", attrs)


def _calendar_module() -> ReadOnlyNamespace:
    def month(theyear: int, themonth: int, w: int = 0, l: int = 0) -> str:  # noqa: E741
        return _calendar.month(theyear, themonth, min(w, 20), min(l, 5))

    def calendar(theyear: int, w: int = 2, l: int = 1, c: int = 6, m: int = 3) -> str:  # noqa: E741
        return _calendar.calendar(theyear, min(w, 20), min(l, 5), min(c, 20), max(1, min(m, 12)))

    names = ("isleap", "leapdays", "monthrange", "weekday", "monthcalendar", "timegm",
             "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
    attrs = _public(_calendar, names)
    attrs.update(month=month, calendar=calendar, month_name=list(_calendar.month_name),
                 month_abbr=list(_calendar.month_abbr), day_name=list(_calendar.day_name),
                 day_abbr=list(_calendar.day_abbr))
    return ReadOnlyNamespace("calendar", attrs)


def _uuid_module() -> ReadOnlyNamespace:
    def uuid1(node: int | None = None, clock_seq: int | None = None) -> _uuid.UUID:
        # uuid.getnode() may run external commands to find a MAC address: use a random node.
        return _uuid.uuid1(node if node is not None else _random.getrandbits(48) | (1 << 40),
                           clock_seq)

    attrs = _public(_uuid, ("UUID", "uuid3", "uuid4", "uuid5", "NAMESPACE_DNS", "NAMESPACE_URL",
                            "NAMESPACE_OID", "NAMESPACE_X500"))
    attrs["uuid1"] = uuid1
    return ReadOnlyNamespace("uuid", attrs)


def _checked_number(x: Any, what: str) -> Any:
    if type(x) is not float:
        if isinstance(x, int):
            check_int(x, what)
        elif isinstance(x, _decimal.Decimal):
            check_decimal(x, what)
    return x


def _checked_data(data: Any, what: str) -> Any:
    """The data of a statistics function as a list whose numbers are within the size limits:
    statistics computes exactly (fractions), and its big-number steps are single C calls."""
    if isinstance(data, (int, float, _decimal.Decimal)):
        return _checked_number(data, what)
    if isinstance(data, (str, bytes, Mapping)) or not isinstance(data, Iterable):
        return data
    items = data if type(data) is list else list(data)
    for x in items:
        _checked_number(x, what)
    return items


def _statistics_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    what = f"statistics.{fn.__name__}()"

    def checked(*args: Any, **kwargs: Any) -> Any:
        args = tuple(_checked_data(a, what) for a in args)
        kwargs = {k: _checked_data(v, what) for k, v in kwargs.items()}
        return fn(*args, **kwargs)

    checked.__name__ = fn.__name__
    return checked


class NormalDist(_statistics.NormalDist):
    """statistics.NormalDist whose ``from_samples`` checks its data like the functions."""

    __slots__ = ()

    @classmethod
    def from_samples(cls, data: Iterable[Any]) -> NormalDist:
        return super().from_samples(_checked_data(data, "NormalDist.from_samples()"))


def _statistics_module() -> ReadOnlyNamespace:
    names = [n for n in getattr(_statistics, "__all__", dir(_statistics)) if not n.startswith("_")]
    attrs = _public(_statistics, names)
    for name, value in attrs.items():
        if callable(value) and not isinstance(value, type):
            attrs[name] = _statistics_function(value)
    attrs["NormalDist"] = NormalDist
    return ReadOnlyNamespace("statistics", attrs)


# --- random (one generator per run: seeding does not leak into the next run) ----------------

_RANDOM_METHODS = ("random", "uniform", "randint", "randrange", "choice", "choices", "shuffle",
                   "sample", "seed", "gauss", "normalvariate", "lognormvariate", "expovariate",
                   "vonmisesvariate", "gammavariate", "betavariate", "paretovariate",
                   "weibullvariate", "triangular")


def _random_module() -> ReadOnlyNamespace:
    rng = _random.Random()

    def getrandbits(k: int) -> int:
        if k > INT_MAX_BITS:
            raise over_budget(f"getrandbits() of more than {INT_MAX_BITS} bits")
        return rng.getrandbits(k)

    def randbytes(n: int) -> bytes:
        _check_len(n, "randbytes()")
        return rng.randbytes(n)

    attrs = {name: getattr(rng, name) for name in _RANDOM_METHODS}
    attrs.update(getrandbits=getrandbits, randbytes=randbytes)
    return ReadOnlyNamespace("random", attrs)


# --- itertools / collections ----------------------------------------------------------------

def _itertools_module() -> ReadOnlyNamespace:
    def wrap(fn: Callable[..., Iterable[Any]]) -> Callable[..., Iterator[Any]]:
        def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            return _interruptible(fn(*args, **kwargs))

        wrapper.__name__ = fn.__name__
        return wrapper

    def tee(iterable: Iterable[Any], n: int = 2) -> tuple[Iterator[Any], ...]:
        if n > 1000:
            raise over_budget("tee() with more than 1000 copies")
        return _itertools.tee(iterable, n)

    bounded = ("accumulate", "chain", "compress", "dropwhile", "filterfalse", "groupby", "islice",
               "pairwise", "starmap", "takewhile", "zip_longest")
    attrs = _public(_itertools, [n for n in bounded if hasattr(_itertools, n)])
    # Infinite or combinatorial: could feed a C consumer for ever.
    for name in ("count", "cycle", "repeat", "product", "permutations", "combinations",
                 "combinations_with_replacement"):
        attrs[name] = wrap(getattr(_itertools, name))
    attrs["tee"] = tee
    return ReadOnlyNamespace("itertools", attrs)


@mark_writable
class Counter(_collections.Counter):  # type: ignore[type-arg]
    """collections.Counter whose ``elements()`` stays interruptible (Counter(a=10**12))."""

    def elements(self) -> Iterator[Any]:  # type: ignore[override]
        return _interruptible(super().elements())


for _cls in (_collections.deque, _collections.defaultdict, _collections.OrderedDict,
             _collections.ChainMap):
    mark_writable(_cls)


def _namedtuple(typename: str, field_names: Any, *, rename: bool = False, defaults: Any = None,
                module: Any = None) -> type:
    cls = _collections.namedtuple(typename, field_names, rename=rename, defaults=defaults,
                                  module="__server_script__")
    type.__setattr__(cls, SCRIPT_CLASS_ATTR, True)  # the script's, like its class statements
    return cls


def _collections_module() -> ReadOnlyNamespace:
    return ReadOnlyNamespace("collections", {
        "deque": _collections.deque, "defaultdict": _collections.defaultdict,
        "OrderedDict": _collections.OrderedDict, "Counter": Counter,
        "namedtuple": _namedtuple, "ChainMap": _collections.ChainMap,
    })


# --- the import hook -----------------------------------------------------------------------

_BUILDERS: dict[str, Callable[[], ReadOnlyNamespace]] = {
    "re": _re_module, "math": _math_module, "datetime": _datetime_module,
    "decimal": _decimal_module, "base64": _base64_module, "hashlib": _hashlib_module,
    "hmac": _hmac_module, "statistics": _statistics_module, "random": _random_module,
    "itertools": _itertools_module, "collections": _collections_module, "uuid": _uuid_module,
    "calendar": _calendar_module,
}
_PER_RUN = {"random"}  # stand-ins with state: built once per run
_shared: dict[str, ReadOnlyNamespace] = {}


def stand_in(name: str) -> ReadOnlyNamespace:
    """The stand-in for an allowed module (raises ImportError for any other name)."""
    builder = _BUILDERS.get(name)
    if builder is None:
        raise ImportError(f"import of '{name}' is not allowed in server scripts; "
                          f"allowed modules: {', '.join(ALLOWED_MODULES)}", name=name)
    if name in _PER_RUN:
        state = current_state()
        if state is None:
            return builder()
        module = state.stdlib_state.get(name)
        if module is None:
            module = state.stdlib_state[name] = builder()
        return module
    module = _shared.get(name)
    if module is None:
        module = _shared[name] = builder()
    return module


def guarded_import(name: str, globals: Any = None, locals: Any = None,  # noqa: A002
                   fromlist: Any = (), level: int = 0) -> ReadOnlyNamespace:
    """``__import__`` for scripts: only ALLOWED_MODULES, only absolute, never a real module."""
    if type(fromlist) is list and level == 0:
        # C code (``date.today()`` needs ``time``) imports through the builtins of the running
        # frame, passing a *list* fromlist; compiled ``import`` statements pass None or a tuple,
        # and a script cannot call ``__import__`` itself. The module goes back to that C code,
        # never to the script.
        return importlib.import_module(name)
    if level != 0:
        raise ImportError("relative imports are not allowed in server scripts")
    return stand_in(name)
