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
import random as _random
import re as _re
import statistics as _statistics
import uuid as _uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from .guards import INT_MAX_BITS, _check_len, guarded_mul, mark_writable
from .limits import current_state, over_budget

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


# --- re ------------------------------------------------------------------------------------

try:
    from re import _constants as _sre_c  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # Python < 3.11
    import sre_constants as _sre_c  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

_REPEATS = {_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT}
if hasattr(_sre_c, "POSSESSIVE_REPEAT"):
    _REPEATS.add(_sre_c.POSSESSIVE_REPEAT)
_checked_patterns: dict[tuple[Any, int], bool] = {}


_WILD = object()


def _ambiguous_branch(alternatives: list[Any]) -> bool:
    """Alternatives that can start the same way (or be empty), e.g. ``(a|aa)``: under a repeat
    they let the engine split the subject in exponentially many ways."""
    firsts = []
    for alt in alternatives:
        if not alt:
            return True
        op, av = alt[0]
        firsts.append(av if op == _sre_c.LITERAL else _WILD)
    return _WILD in firsts or len(set(firsts)) < len(firsts)


def _nested_unbounded(parsed: Any, inside: bool) -> bool:
    for op, av in parsed:
        if op in _REPEATS:
            lo, hi, sub = av
            unbounded = hi == _sre_c.MAXREPEAT or hi > 100
            if unbounded and inside:
                return True
            if _nested_unbounded(sub, inside or unbounded):
                return True
        elif op == _sre_c.SUBPATTERN:
            if _nested_unbounded(av[-1], inside):
                return True
        elif op == _sre_c.BRANCH:
            if inside and _ambiguous_branch(av[1]):
                return True
            if any(_nested_unbounded(b, inside) for b in av[1]):
                return True
        elif op in (_sre_c.ASSERT, _sre_c.ASSERT_NOT):
            if _nested_unbounded(av[1], inside):
                return True
        elif op == _sre_c.GROUPREF_EXISTS:
            if any(b is not None and _nested_unbounded(b, inside) for b in av[1:]):
                return True
        elif hasattr(_sre_c, "ATOMIC_GROUP") and op == _sre_c.ATOMIC_GROUP:
            continue  # an atomic group never backtracks into itself
    return False


def _vet_pattern(pattern: Any, flags: int) -> None:
    """Refuse patterns with nested unbounded repetition, e.g. ``(a+)+``: their backtracking is
    exponential and runs inside one C call that no timeout can interrupt."""
    if isinstance(pattern, SafePattern):
        return
    key = (pattern, flags)
    if key not in _checked_patterns:
        if len(_checked_patterns) > 2048:
            _checked_patterns.clear()
        try:
            parsed = _sre_parse.parse(pattern, flags)
        except _re.error:
            _checked_patterns[key] = True  # re.compile below raises the user-facing error
        else:
            _checked_patterns[key] = not _nested_unbounded(parsed, False)
    if not _checked_patterns[key]:
        raise _re.error("nested repetition such as (a+)+ is not allowed in server scripts "
                        "(catastrophic backtracking)")


def _sub(rx: _re.Pattern[Any], repl: Any, string: Any, count: int = 0) -> tuple[Any, int]:
    """``Pattern.subn`` that refuses to build a result over the memory budget."""
    if isinstance(repl, (str, bytes)):
        backslash = "\\" if isinstance(repl, str) else b"\\"
        if backslash not in repl and len(string) + (len(string) + 1) * len(repl) <= 1 << 20:
            return rx.subn(repl, string, count)
        template = repl

        def expand(m: _re.Match[Any]) -> Any:
            return m.expand(template)

        fn: Callable[[Any], Any] = expand
    else:
        fn = repl
    produced = [len(string)]

    def counted(m: _re.Match[Any]) -> Any:
        out = fn(m)
        produced[0] += len(out)
        if produced[0] > 1 << 20:
            _check_len(produced[0], "re.sub()")
        return out

    return rx.subn(counted, string, count)


class SafePattern:
    """A compiled pattern as a script sees it: the matching methods, with the size guards."""

    __slots__ = ("_rx",)

    def __init__(self, rx: _re.Pattern[Any]) -> None:
        object.__setattr__(self, "_rx", rx)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("patterns are read-only")

    pattern = property(lambda self: self._rx.pattern)
    flags = property(lambda self: self._rx.flags)
    groups = property(lambda self: self._rx.groups)
    groupindex = property(lambda self: dict(self._rx.groupindex))

    def match(self, string: Any, *args: Any) -> Any:
        return self._rx.match(string, *args)

    def search(self, string: Any, *args: Any) -> Any:
        return self._rx.search(string, *args)

    def fullmatch(self, string: Any, *args: Any) -> Any:
        return self._rx.fullmatch(string, *args)

    def findall(self, string: Any, *args: Any) -> Any:
        return self._rx.findall(string, *args)

    def finditer(self, string: Any, *args: Any) -> Any:
        return _interruptible(self._rx.finditer(string, *args))

    def split(self, string: Any, maxsplit: int = 0) -> Any:
        return self._rx.split(string, maxsplit)

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
    if isinstance(pattern, SafePattern):
        return pattern
    _vet_pattern(pattern, flags)
    return SafePattern(_re.compile(pattern, flags))


def _re_module() -> ReadOnlyNamespace:
    def compiled(pattern: Any, flags: int) -> SafePattern:
        return _re_compile(pattern, flags)

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
        "escape": _re.escape, "error": _re.error,
    }
    for flag in ("A", "ASCII", "I", "IGNORECASE", "M", "MULTILINE", "S", "DOTALL", "X", "VERBOSE",
                 "U", "UNICODE"):
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

    names = [n for n in dir(_math) if not n.startswith("_")]
    attrs = _public(_math, names)
    attrs.update(factorial=factorial, comb=comb, perm=perm, prod=prod,
                 gcd=_int_args("gcd", _math.gcd), lcm=_int_args("lcm", _math.lcm),
                 isqrt=_int_args("isqrt", _math.isqrt))
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

def _datetime_module() -> ReadOnlyNamespace:
    names = ("date", "datetime", "time", "timedelta", "timezone", "tzinfo", "MINYEAR", "MAXYEAR")
    attrs = _public(_datetime, names)
    attrs["UTC"] = _datetime.UTC
    return ReadOnlyNamespace("datetime", attrs)


def _decimal_module() -> ReadOnlyNamespace:
    names = ["Decimal", "DecimalException", "InvalidOperation", "DivisionByZero", "Overflow",
             "Underflow", "Inexact", "Rounded", "Subnormal", "Clamped", "FloatOperation"]
    names += [n for n in dir(_decimal) if n.startswith("ROUND_")]
    return ReadOnlyNamespace("decimal", _public(_decimal, names))


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


def _statistics_module() -> ReadOnlyNamespace:
    names = [n for n in getattr(_statistics, "__all__", dir(_statistics)) if not n.startswith("_")]
    return ReadOnlyNamespace("statistics", _public(_statistics, names))


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


def _collections_module() -> ReadOnlyNamespace:
    return ReadOnlyNamespace("collections", {
        "deque": _collections.deque, "defaultdict": _collections.defaultdict,
        "OrderedDict": _collections.OrderedDict, "Counter": Counter,
        "namedtuple": _collections.namedtuple, "ChainMap": _collections.ChainMap,
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
