"""Run-time guards the compiled script calls (``_getattr_``, ``_write_``, ``_mul_`` ...).

The compile policy (policy.py) rewrites attribute reads, writes, iteration and the dangerous
operators into calls of these functions; everything here assumes the script author is an attacker.
Size guards refuse an operation *before* a C call could allocate past the run's memory budget,
because an asynchronous kill cannot interrupt a running C call.
"""

from __future__ import annotations

import builtins
import decimal
import functools
import operator
import string
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from .limits import alloc_cap, over_budget

# --------------------------------------------------------------------------------------------
# Attribute reads
# --------------------------------------------------------------------------------------------

# Attributes that lead to frames, code, globals or the class graph, refused on every object.
BLOCKED_ATTRS = frozenset({
    "mro", "format", "format_map", "with_traceback", "tb_frame", "tb_next", "gi_frame", "gi_code",
    "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "cr_origin", "ag_frame", "ag_code",
    "ag_await", "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "f_trace",
    "co_code", "func_globals", "func_code", "im_func", "im_self", "im_class",
    # the regex package's str.format-style expansion (``Match.expandf("{0.__class__}")``)
    "expandf",
})
BLOCKED_PREFIXES = ("_", "gi_", "ag_", "cr_", "f_", "tb_", "co_", "func_", "im_")
# Refused only on some objects: AttributeError.obj leaks the object (CVE-2024-47532);
# string.Formatter's traversal methods resolve "{0.__class__}" (CVE-2023-41039, CVE-2026-76825).
_EXC_LEAKY = frozenset({"obj"})  # (``.name`` is only ever the str the script itself used)
_FORMATTER_METHODS = frozenset({"vformat", "get_field", "get_value", "parse", "convert_field",
                                "format_field", "check_unused_args"})
_TYPE_SENSITIVE = _EXC_LEAKY | _FORMATTER_METHODS

_STR_TYPES = (str, bytes, bytearray)
_ModuleType = types.ModuleType


def _refuse_attr(name: str) -> AttributeError:
    if name.startswith("_"):
        return AttributeError(f'"{name}" is an invalid attribute name because it starts with "_"')
    return AttributeError(f'"{name}" is a restricted name that a server script may not access')


def attr_name_allowed(name: str) -> bool:
    """The name-only part of the attribute policy (the compile policy applies it too)."""
    return not (name in BLOCKED_ATTRS or name.startswith(BLOCKED_PREFIXES))


# name -> True (fine), False (refused), None (depends on the object). Names come from the compiled
# source; only short ones are kept, at most _CACHE_MAX of them (bounded in bytes).
_name_verdicts: dict[str, bool | None] = {}
_CACHE_MAX = 4096


def _name_verdict(name: str) -> bool | None:
    if type(name) is not str:
        raise TypeError("attribute name must be a str")
    verdict = None if name in _TYPE_SENSITIVE else attr_name_allowed(name)
    if len(name) <= 64:
        if len(_name_verdicts) >= _CACHE_MAX:
            _name_verdicts.clear()
        _name_verdicts[name] = verdict
    return verdict


_MISSING = object()


def guarded_getattr(obj: Any, name: str, default: Any = _MISSING) -> Any:
    """``obj.name`` in a script, for the names the compile policy leaves to the run-time guard
    (RUNTIME_CHECKED_ATTRS, and augmented assignment). Missing attributes raise AttributeError
    (Frappe returned None)."""
    verdict = _name_verdicts.get(name, _MISSING)
    if verdict is _MISSING:
        verdict = _name_verdict(name)
    if verdict is False:
        raise _refuse_attr(name)
    hook = _hook_for(type(obj))
    if hook is not None:
        value = hook(obj, name)
        if value is not None:
            return value
    if verdict is None:
        if name in _EXC_LEAKY and isinstance(obj, (AttributeError, NameError)):
            raise _refuse_attr(name)
        if isinstance(obj, string.Formatter) or (isinstance(obj, type)
                                                 and issubclass(obj, string.Formatter)):
            raise _refuse_attr(name)
    if default is _MISSING:
        return getattr(obj, name)
    return getattr(obj, name, default)


# --- size-checked replacements for str/bytes methods that can allocate far more than their input --

def _check_len(n: int, what: str, unit: int = 1) -> None:
    if n * unit > 4 * 1024 * 1024 and n * unit > alloc_cap():
        raise over_budget(f"{what} would create an object of {n * unit // (1024 * 1024)} MB")


def _pad_method(obj: Any, meth: str) -> Callable[..., Any]:
    real = getattr(obj, meth)

    def pad(width: int, *args: Any) -> Any:
        _check_len(operator.index(width), f"{meth}()")
        return real(width, *args)

    return pad


def _expandtabs(obj: Any) -> Callable[..., Any]:
    real = obj.expandtabs

    def expandtabs(tabsize: int = 8) -> Any:
        _check_len(len(obj) * max(operator.index(tabsize), 1), "expandtabs()")
        return real(tabsize)

    return expandtabs


def _replace(obj: Any) -> Callable[..., Any]:
    real = obj.replace

    def replace(old: Any, new: Any, count: int = -1) -> Any:
        if len(new) > len(old):
            hits = obj.count(old) if count < 0 else min(count, obj.count(old))
            _check_len(len(obj) + hits * (len(new) - len(old)), "replace()")
        return real(old, new, count)

    return replace


def _join(obj: Any) -> Callable[..., Any]:
    real = obj.join

    def join(iterable: Iterable[Any]) -> Any:
        items = iterable if type(iterable) in (list, tuple) else list(iterable)
        if len(items) > 1:
            size = len(obj) * (len(items) - 1)
            try:
                size += sum(map(len, items))
            except TypeError:
                pass  # not all strings: join() says so
            _check_len(size, "join()")
        return real(items)

    return join


def _translate(obj: Any) -> Callable[..., Any]:
    real = obj.translate

    def translate(table: Any, *args: Any) -> Any:
        if isinstance(table, dict) and table:
            longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
            _check_len(len(obj) * longest, "translate()")
        return real(table, *args)

    return translate


def _encode(obj: Any) -> Callable[..., Any]:
    real = obj.encode  # AttributeError for bytes, as without the hook
    if len(obj) < _CHECK_ITEMS:
        return real

    def encode(*args: Any, **kwargs: Any) -> Any:
        _check_len(len(obj) * 4, "encode()")  # up to 4 bytes a character (utf-32)
        return real(*args, **kwargs)

    return encode


_STR_HOOKS: dict[str, Callable[[Any], Callable[..., Any]]] = {
    "encode": _encode,
    "ljust": lambda o: _pad_method(o, "ljust"),
    "rjust": lambda o: _pad_method(o, "rjust"),
    "center": lambda o: _pad_method(o, "center"),
    "zfill": lambda o: _pad_method(o, "zfill"),
    "expandtabs": _expandtabs,
    "replace": _replace,
    "join": _join,
    "translate": _translate,
}


def _str_hook(obj: Any, name: str) -> Any:
    make = _STR_HOOKS.get(name)
    return make(obj) if make is not None else None


def _int_to_bytes(obj: int) -> Callable[..., bytes]:
    def to_bytes(length: int = 1, byteorder: str = "big", *, signed: bool = False) -> bytes:
        _check_len(operator.index(length), "to_bytes()")
        return obj.to_bytes(length, byteorder, signed=signed)

    return to_bytes


def _int_from_bytes(cls: type) -> Callable[..., int]:
    real = cls.from_bytes

    def from_bytes(data: Any, byteorder: str = "big", *, signed: bool = False) -> int:
        if not hasattr(data, "__len__"):
            data = list(data)
        _int_bits_check(len(data) * 8)
        return real(data, byteorder, signed=signed)

    return from_bytes


def _int_hook(obj: Any, name: str) -> Any:
    if name == "to_bytes":
        return _int_to_bytes(obj)
    if name == "from_bytes":
        return _int_from_bytes(type(obj))
    return None


def _type_hook(obj: Any, name: str) -> Any:
    # Class attributes are fine, but reaching a str/bytes method through its class skips the size
    # guard above (``str.ljust("x", 10**10)``).
    real = obj._real if isinstance(obj, _GuardedTypeMeta) else obj
    if name in _STR_HOOKS and issubclass(real, _STR_TYPES):
        raise AttributeError(f"use the method on a value instead: x.{name}(...)")
    if issubclass(real, int):
        if name == "to_bytes":
            raise AttributeError("use the method on a value instead: n.to_bytes(...)")
        if name == "from_bytes":
            return _int_from_bytes(real)
    for base in real.__mro__:
        hook = _CLASS_HOOKS.get(base)
        if hook is not None:
            return hook(obj, name)
    return None


# Hooks that also answer reads on the class itself (``datetime.strptime``), by class.
_CLASS_HOOKS: dict[type, Callable[[Any, str], Any]] = {}


def _module_hook(obj: Any, name: str) -> Any:
    raise AttributeError("modules are not available to server scripts")


def _function_hook(obj: Any, name: str) -> Any:
    # Functions and methods have no public attribute a script needs, and what callers hang on
    # them (caches, wrapped objects, state) is not the script's to read.
    raise AttributeError(f"a server script cannot read attributes of functions ('{name}')")


LRU_CACHE_WRAPPER = type(functools.lru_cache(maxsize=1)(len))
_ATTR_HOOKS: dict[type, Callable[[Any, str], Any]] = {
    str: _str_hook, bytes: _str_hook, bytearray: _str_hook, int: _int_hook, bool: _int_hook,
    type: _type_hook, _ModuleType: _module_hook,
}
for _ftype in (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
               types.MethodWrapperType, types.WrapperDescriptorType, types.MethodDescriptorType,
               types.ClassMethodDescriptorType, functools.partial,
               LRU_CACHE_WRAPPER):
    _ATTR_HOOKS[_ftype] = _function_hook

_hooks_by_type: dict[type, Callable[[Any, str], Any] | None] = {}


def add_attr_hook(tp: type, hook: Callable[[Any, str], Any], *, on_class: bool = False) -> None:
    """Let ``hook(obj, name)`` answer the run-time checked attribute reads on ``tp`` (and its
    subclasses; with ``on_class``, on those classes too): a value, or None for the plain read."""
    _ATTR_HOOKS[tp] = hook
    if on_class:
        _CLASS_HOOKS[tp] = hook
    _hooks_by_type.clear()


def _hook_for(tp: type) -> Callable[[Any, str], Any] | None:
    """The hook of ``tp`` or of its nearest hooked base: a ``str`` subclass gets the str hook."""
    try:
        return _hooks_by_type[tp]
    except KeyError:
        pass
    hook = None
    for base in tp.__mro__:
        hook = _ATTR_HOOKS.get(base)
        if hook is not None:
            break
    if not made_by_script(tp):  # a script's class would keep its run's globals alive
        if len(_hooks_by_type) >= _CACHE_MAX:
            _hooks_by_type.clear()
        _hooks_by_type[tp] = hook
    return hook


# Attribute names that keep the run-time guard whatever the object: the answer depends on its type
# (size-hooked str/bytes/int methods, leaky exception fields, string.Formatter's traversal). Every
# other allowed name is read natively (the compile policy emits a plain ``obj.name``): names are
# static in scripts (no ``getattr`` builtin), so the name policy is complete at compile time.
# ``re``: a match object's pattern is handed out wrapped (modules.py), never the engine's own.
# ``as_integer_ratio``: of a Decimal made outside the sandbox's limits (see check_decimal).
# ``strptime``: its format is bounded (modules.py).
RUNTIME_CHECKED_ATTRS = (frozenset(_STR_HOOKS)
                         | {"to_bytes", "from_bytes", "re", "as_integer_ratio", "strptime"}
                         | _TYPE_SENSITIVE)

# --------------------------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------------------------

# Built-in mutable containers are the script's own data wherever they were made. Exact types only:
# a caller's dict subclass (a config mapping, say) is not writable unless marked.
_BUILTIN_WRITABLE = frozenset({dict, list, set, bytearray})
_MARKED: set[type] = set()
_writable_cache: dict[type, bool] = {}


def mark_writable(cls: type) -> type:
    """Let scripts set attributes and items on instances of ``cls`` (and its subclasses).

    Usable as a class decorator. Meant for documents, ``_dict``, ``flags``: objects whose state is
    the script's to change. Never for classes, modules or API namespaces.
    """
    if not isinstance(cls, type) or issubclass(cls, (type, types.ModuleType)):
        raise TypeError("mark_writable() takes a class whose instances are plain data")
    _MARKED.add(cls)
    _writable_cache.clear()
    return cls


_SCRIPT_CLASS_ATTR = "__sandbox_script_class__"


def made_by_script(tp: type) -> bool:
    """A class a script made (a ``class`` statement, ``namedtuple()``), or a subclass of one. The
    module-level caches keyed by type never keep one: through its methods it holds the globals of
    the run that made it."""
    return getattr(tp, _SCRIPT_CLASS_ATTR, False) is True


def _is_writable_type(tp: type) -> bool:
    ok = _writable_cache.get(tp)
    if ok is None:
        ok = (not issubclass(tp, (type, types.ModuleType))) and (
            any(base in _MARKED for base in tp.__mro__) or made_by_script(tp))
        if not made_by_script(tp):
            if len(_writable_cache) >= _CACHE_MAX:
                _writable_cache.clear()
            _writable_cache[tp] = ok
    return ok


def guarded_write(obj: Any) -> Any:
    """``_write_(obj)`` before ``obj.x = ...``, ``obj[k] = ...``, ``del obj.x``, ``del obj[k]``."""
    tp = type(obj)
    if tp in _BUILTIN_WRITABLE or _is_writable_type(tp):
        return obj
    raise TypeError(f"a server script cannot modify {_describe(obj)}")


def _describe(obj: Any) -> str:
    if isinstance(obj, type):
        return "a class"
    if isinstance(obj, types.ModuleType):
        return "a module"
    if callable(obj) and isinstance(obj, (types.FunctionType, types.BuiltinFunctionType,
                                          types.MethodType)):
        return "a function"
    return f"objects of type {type(obj).__name__!r}"


def script_class(name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> type:
    """``__metaclass__`` for ``class`` statements: a normal class, marked as the script's own.

    Its instances are writable by the script (they are its data); the class object is not.
    """
    metaclass: type = builtins.type
    real_bases = []
    for base in bases:
        if not isinstance(base, type):
            raise TypeError("class bases must be classes")
        if isinstance(base, _GuardedTypeMeta):  # class L(list): the real list, with list()'s checks
            if metaclass is builtins.type:
                namespace["__sandbox_check__"] = base._check  # type: ignore[attr-defined]
                namespace["__sandbox_post__"] = base._post  # type: ignore[attr-defined]
                metaclass = _CheckedClassMeta
            base = base._real  # type: ignore[attr-defined]
        real_bases.append(base)
    namespace[_SCRIPT_CLASS_ATTR] = True
    return metaclass(name, tuple(real_bases), namespace)


# --------------------------------------------------------------------------------------------
# Operators that can build huge objects in one C call
# --------------------------------------------------------------------------------------------

INT_MAX_BITS = 65536  # ~19,700 decimal digits: plenty for business scripts and RSA-size math
_SMALL = 1 << 20  # results under this many items/bytes skip the budget lookup entirely


def _seq_repeat_check(seq: Any, times: Any) -> None:
    if type(times) is not int and type(times) is not bool:
        return  # let Python raise its own TypeError
    n = len(seq) * times
    if n > _SMALL:
        unit = 8 if isinstance(seq, (list, tuple)) else 1
        _check_len(n, "repeating a sequence", unit)


def _int_bits_check(bits: int) -> None:
    if bits > INT_MAX_BITS:
        raise over_budget(f"the result would be an integer of about {bits} bits "
                          f"(limit {INT_MAX_BITS})")


# Decimals a script makes stay within this many digits either side of the point (the sandbox's
# decimal context bounds arithmetic, the Decimal stand-in bounds construction), so turning one into
# an int (int(), round(), math.floor(), as_integer_ratio(), '%d', statistics) stays cheap.
DECIMAL_MAX_DIGITS = int(INT_MAX_BITS * 0.30103)  # about INT_MAX_BITS, in decimal digits
# Every run computes under this context (executor.RunGroup): the default one, with exponents bounded.
DECIMAL_CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN,
                                  Emin=-DECIMAL_MAX_DIGITS, Emax=DECIMAL_MAX_DIGITS,
                                  capitals=1, clamp=0, flags=[],
                                  traps=[decimal.InvalidOperation, decimal.DivisionByZero,
                                         decimal.Overflow])
_Decimal = decimal.Decimal


def check_decimal(d: Any, what: str) -> Any:
    """Refuse a Decimal whose integer value would be over the size limit (made outside the
    sandbox's context: by the host, or exactly by a constructor)."""
    if d.is_finite() and d.adjusted() > DECIMAL_MAX_DIGITS:
        raise over_budget(f"{what} of a Decimal with {d.adjusted() + 1} digits "
                          f"(limit {DECIMAL_MAX_DIGITS})")
    return d


def check_int(x: Any, what: str) -> Any:
    if x.bit_length() > INT_MAX_BITS:
        raise over_budget(f"{what} of an integer of {x.bit_length()} bits (limit {INT_MAX_BITS})")
    return x


_HALF = 1 << (INT_MAX_BITS // 2)
_NHALF = -_HALF


def guarded_mul(a: Any, b: Any) -> Any:
    ta = type(a)
    tb = type(b)
    if ta is int and tb is int:
        if not (_NHALF < a < _HALF and _NHALF < b < _HALF):
            _int_bits_check(a.bit_length() + b.bit_length())
    elif ta is float or tb is float:
        pass
    elif isinstance(a, int) and isinstance(b, int):  # bool, IntFlag ...
        _int_bits_check(a.bit_length() + b.bit_length())
    elif hasattr(a, "__len__") and not isinstance(a, dict):
        _seq_repeat_check(a, b)
    elif hasattr(b, "__len__") and not isinstance(b, dict):
        _seq_repeat_check(b, a)
    return a * b


def guarded_pow(a: Any, b: Any, mod: Any = None) -> Any:
    if mod is not None:
        return guarded_pow3(a, b, mod)
    if isinstance(a, int) and isinstance(b, int) and b > 1 and a not in (0, 1, -1):
        _int_bits_check(b * a.bit_length())
    return a ** b


def guarded_pow3(a: Any, b: Any, mod: Any) -> Any:
    # Modular exponentiation is one long C loop: keep it to RSA-size numbers.
    if isinstance(b, int) and isinstance(mod, int) and (b.bit_length() > 4096
                                                         or mod.bit_length() > 4096):
        raise over_budget("pow(a, b, m) with numbers over 4096 bits")
    return builtins.pow(a, b, mod)


def guarded_lshift(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and a and b > 0:
        _int_bits_check(a.bit_length() + b)
    return a << b


_BIG = 1 << 4096
_NBIG = -_BIG


def _bigdiv_check(a: Any, b: Any) -> None:
    # Dividing two huge ints is quadratic and cannot be interrupted.
    if type(a) is int and type(b) is int:
        la = a.bit_length()
        lb = b.bit_length()
        if la > 4096 and lb > 4096 and la * lb > (1 << 34):
            raise over_budget("division of two huge integers")


def guarded_floordiv(a: Any, b: Any) -> Any:
    if type(b) is int and b.bit_length() > 4096:
        _bigdiv_check(a, b)
    return a // b


_PCT_SPEC = None


def _check_percent_format(fmt: Any, args: Any) -> None:
    # "%999999999d" % 1 allocates a gigabyte in C: check widths and precisions first.
    global _PCT_SPEC
    if _PCT_SPEC is None:
        import re

        _PCT_SPEC = re.compile(rb"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?"
                               if isinstance(fmt, bytes) else
                               r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
    pattern = _PCT_SPEC
    if isinstance(fmt, bytes) != isinstance(pattern.pattern, bytes):
        import re

        pattern = re.compile(pattern.pattern.encode() if isinstance(fmt, bytes)
                             else pattern.pattern.decode())
    star = b"*" if isinstance(fmt, bytes) else "*"
    for m in pattern.finditer(fmt):
        for part in m.groups():
            if part is None:
                continue
            if part == star:
                values = args if isinstance(args, tuple) else (args,)
                for v in values:
                    if type(v) is int and v > 100_000:
                        _check_len(v, "%-formatting width")
            elif len(part) > 6:
                _check_len(int(part), "%-formatting width")


def guarded_mod(a: Any, b: Any) -> Any:
    ta = type(a)
    if ta is int and type(b) is int and _NBIG < b < _BIG:
        return a % b
    if ta is str or ta is bytes or ta is bytearray:
        if (b"%" if ta is not str else "%") in a:
            _check_percent_format(a, b)
            return guarded_int_format(a, b)
    elif ta is int and type(b) is int and b.bit_length() > 4096:
        _bigdiv_check(a, b)
    return a % b


def guarded_int_format(fmt: Any, args: Any) -> Any:
    """``fmt % args`` for a constant format with integer conversions (%d, %x ...): the only check
    it needs is on Decimal arguments, which it turns into ints."""
    if type(args) is tuple:
        for v in args:
            if isinstance(v, _Decimal):
                check_decimal(v, "%-formatting")
    elif isinstance(args, _Decimal):
        check_decimal(args, "%-formatting")
    elif isinstance(args, dict):
        for v in args.values():
            if isinstance(v, _Decimal):
                check_decimal(v, "%-formatting")
    return fmt % args


def guarded_divmod(a: Any, b: Any) -> Any:
    _bigdiv_check(a, b)
    return builtins.divmod(a, b)


_CONVERSIONS = {115: str, 114: repr, 97: ascii}


def guarded_format_value(value: Any, spec: str, conversion: int = -1) -> str:
    """f-string ``{value!c:spec}``: refuse huge widths/precisions before formatting."""
    if conversion != -1:
        value = _CONVERSIONS[conversion](value)
    if type(spec) is str and len(spec) > 6:
        digits = ""
        for ch in spec:
            if ch.isdigit():
                digits += ch
                if len(digits) > 6:
                    _check_len(int(digits[:12]), "an f-string width")
            else:
                digits = ""
    return builtins.format(value, spec)


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
    "@=": operator.imatmul,
}


def guarded_inplacevar(op: str, x: Any, y: Any) -> Any:
    """``x op= y`` (RestrictedPython's ``_inplacevar_``), with the same size checks as ``x op y``."""
    if op == "+=":
        if type(x) is int:
            return x + y
        if type(x) in _STR_TYPES or type(x) is list:
            n = len(x) + len(y)
            if n > _SMALL:
                _check_len(n, "growing a sequence", 8 if type(x) is list else 1)
        x += y
        return x
    if op == "*=":
        if type(x) is list or type(x) is bytearray:
            _seq_repeat_check(x, y)
            x *= y
            return x
        return guarded_mul(x, y)
    if op == "**=":
        return guarded_pow(x, y)
    if op == "<<=":
        return guarded_lshift(x, y)
    if op == "%=":
        return guarded_mod(x, y)
    if op == "//=":
        return guarded_floordiv(x, y)
    fn = _INPLACE.get(op)
    if fn is None:
        raise SyntaxError(f"unsupported augmented assignment {op}")
    return fn(x, y)


# --------------------------------------------------------------------------------------------
# Items, iteration, calls
# --------------------------------------------------------------------------------------------

def guarded_getitem(obj: Any, key: Any) -> Any:
    return obj[key]


RANGE_FAST_MAX = 1_000_000


class LazyRange:
    """What ``range()`` returns above RANGE_FAST_MAX items.

    A real range that long handed to a C consumer (``sum``, ``sorted``, ``list``, ``"".join``) would
    run for minutes inside one C call that no timeout can interrupt. This object is iterated by a
    Python generator instead, so those consumers stay interruptible; a script's own ``for`` loop
    gets the fast C iterator (see ``_fast.getiter``), its loop body being Python anyway.
    """

    __slots__ = ("_r",)

    def __init__(self, r: range) -> None:
        self._r = r

    def __iter__(self) -> Iterator[int]:
        for i in self._r:
            yield i

    def __reversed__(self) -> Iterator[int]:
        for i in reversed(self._r):
            yield i

    def __contains__(self, x: Any) -> bool:
        return x in self._r

    def __getitem__(self, i: Any) -> Any:
        v = self._r[i]
        return LazyRange(v) if isinstance(v, range) and len(v) > RANGE_FAST_MAX else v

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, LazyRange) and other._r == self._r

    def __hash__(self) -> int:
        return hash(self._r)

    def __repr__(self) -> str:
        return repr(self._r)

    def count(self, x: Any) -> int:
        return self._r.count(x)

    def index(self, x: Any) -> int:
        return self._r.index(x)

    @property
    def start(self) -> int:
        return self._r.start

    @property
    def stop(self) -> int:
        return self._r.stop

    @property
    def step(self) -> int:
        return self._r.step


def guarded_apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def iter_unpack_sequence(it: Any, spec: Any, _getiter_: Any) -> Any:
    return guarded_iter_unpack_sequence(it, spec, _getiter_)


def unpack_sequence(it: Any, spec: Any, _getiter_: Any) -> Any:
    return guarded_unpack_sequence(it, spec, _getiter_)


# --------------------------------------------------------------------------------------------
# Builtins
# --------------------------------------------------------------------------------------------

class _GuardedTypeMeta(type):
    """A stand-in for a builtin type whose constructor needs a size check.

    ``isinstance(x, bytes)`` keeps working; ``bytes(n)`` runs the stand-in's ``_check`` on the
    arguments first (and its ``_post`` on the result). A script's ``class L(list)`` gets the real
    type as its base and the same checks (see script_class).
    """

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, cls._real)  # type: ignore[attr-defined]

    def __subclasscheck__(cls, sub: Any) -> bool:
        return issubclass(sub, cls._real)  # type: ignore[attr-defined]

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        cls._check(*args, **kwargs)  # type: ignore[attr-defined]
        obj = cls._real(*args, **kwargs)  # type: ignore[attr-defined]
        post = cls._post  # type: ignore[attr-defined]
        return obj if post is None else post(obj)

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(cls._real, name)  # type: ignore[attr-defined]

    def __getitem__(cls, item: Any) -> Any:  # list[int] in an annotation
        return cls._real[item]  # type: ignore[attr-defined]

    def __repr__(cls) -> str:
        return repr(cls._real)  # type: ignore[attr-defined]


def _no_check(*args: Any, **kwargs: Any) -> None:
    return None


def stand_in_type(real: type, check: Callable[..., None] = _no_check,
                  post: Callable[[Any], Any] | None = None, **attrs: Any) -> type:
    """A stand-in for the class ``real``: a call runs ``check(*args, **kwargs)`` (raising when the
    result would be too big) and then ``post(result)``; ``isinstance``/``issubclass`` and class
    attributes answer as ``real``'s, except ``attrs``."""
    body: dict[str, Any] = {"_real": real, "_check": staticmethod(check),
                            "_post": None if post is None else staticmethod(post)}
    body.update({k: staticmethod(v) for k, v in attrs.items()})
    return _GuardedTypeMeta(real.__name__, (), body)


class _CheckedClassMeta(type):
    """The class of a script class built on a stand-in type (``class L(list)``): constructing one
    runs the stand-in's checks, as ``list(...)`` would."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        cls.__sandbox_check__(*args, **kwargs)  # type: ignore[attr-defined]
        obj = super().__call__(*args, **kwargs)
        post = cls.__sandbox_post__  # type: ignore[attr-defined]
        return obj if post is None else post(obj)


def _bytes_check(source: Any = b"", *args: Any) -> None:
    if type(source) is int or type(source) is bool:
        _check_len(source, "bytes()")
    elif args and isinstance(source, str):
        _check_len(_estimate(source, 4), "bytes()")  # utf-32 and friends: up to 4 per char


# int() of a string in a power-of-two base is linear (CPython limits only the other bases, to
# sys.get_int_max_str_digits() digits): a hex string this long is an INT_MAX_BITS integer.
INT_STR_MAX = INT_MAX_BITS // 4
_int = builtins.int


def _int_check(*args: Any, **kwargs: Any) -> None:
    if args:
        x = args[0]
        tx = type(x)
        if tx is not _int and tx is not float:
            if isinstance(x, (str, bytes, bytearray)):
                if len(x) > INT_STR_MAX:
                    raise over_budget(f"int() of a string of {len(x)} characters "
                                      f"(limit {INT_STR_MAX})")
            elif isinstance(x, _Decimal):
                check_decimal(x, "int()")


guarded_int = stand_in_type(_int, _int_check, from_bytes=_int_from_bytes(_int))

# --- containers built in one C call from a big sized input -------------------------------------

# Bytes a container spends per item (the pointer, or a hash-table slot), and per item object the
# build creates: a str's characters beyond Latin-1 and a range's ints are new objects each.
_ITEM_BYTES = {"list": 8, "tuple": 8, "sorted": 8, "set": 32, "frozenset": 32, "dict": 40}
_CHECK_ITEMS = 1 << 16  # inputs shorter than this are never worth a look


def _estimate(x: Any, per_item: int) -> int:
    """Bytes a container built from ``x`` would take (0 when ``x`` is short or not sized)."""
    try:
        n = len(x._r if type(x) is LazyRange else x)
    except TypeError:
        return 0  # an iterator: a Python-level one is interrupted by the watchdog as it grows
    if n < _CHECK_ITEMS:
        return 0
    if isinstance(x, str):
        if sys.getsizeof(x) > n + 100:  # wider than Latin-1: each character becomes an object
            per_item += 56
    elif isinstance(x, (range, LazyRange)):
        per_item += 32
    return n * per_item


def _container_check(name: str) -> Callable[..., None]:
    per_item = _ITEM_BYTES[name]
    what = f"{name}()"

    def check(iterable: Any = (), /, *args: Any, **kwargs: Any) -> None:
        _check_len(_estimate(iterable, per_item), what)

    return check


# What a parser's result may take per character of its input, at worst: json.loads("[{},{},...]")
# makes a 64-byte dict and an 8-byte pointer from every three characters.
PARSE_EXPANSION = 24


def check_parse_size(text: Any, what: str) -> None:
    """Refuse to parse ``text`` (``json.loads``) when its result could exceed what is left of the
    run's memory budget; inputs under 1 MB always pass."""
    n = len(text)
    if n > 1 << 20:
        _check_len(n * PARSE_EXPANSION, what)


def _fromkeys(real: type) -> Callable[..., Any]:
    def fromkeys(iterable: Any, value: Any = None) -> Any:
        _check_len(_estimate(iterable, _ITEM_BYTES["dict"]), "dict.fromkeys()")
        return real.fromkeys(iterable, value)

    return fromkeys


def _stepwise(it: Iterator[Any]) -> Iterator[Any]:
    for item in it:
        yield item


def _long_input(x: Any) -> bool:
    try:
        return len(x) > RANGE_FAST_MAX
    except TypeError:
        return False


def _adapter(real: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """``zip``/``map``/``enumerate`` ... over a long sized input hand out a Python-level iterator,
    as a long range does: a C consumer (``list(zip(b))``) then runs bytecode for every item, so the
    watchdog's memory and time kills land while it grows, instead of after one huge C call."""

    def adapter(*args: Any, **kwargs: Any) -> Iterator[Any]:
        it = real(*args, **kwargs)
        for a in args:
            if _long_input(a):
                return _stepwise(it)
        return it

    adapter.__name__ = real.__name__
    return adapter


guarded_enumerate = _adapter(builtins.enumerate)


def guarded_sorted(iterable: Any, /, *, key: Any = None, reverse: bool = False) -> list[Any]:
    _check_len(_estimate(iterable, _ITEM_BYTES["sorted"]), "sorted()")
    return builtins.sorted(iterable, key=key, reverse=reverse)


def _lazy_if_long(r: range) -> Any:
    return r if len(r) <= RANGE_FAST_MAX else LazyRange(r)


guarded_range = stand_in_type(builtins.range, post=_lazy_if_long)


def guarded_round(number: Any, ndigits: Any = None) -> Any:
    # round(5, -10**9) computes 10**(10**9) in C.
    if ndigits is not None and type(ndigits) is int and abs(ndigits) > 5000:
        raise over_budget("round() with more than 5000 digits")
    if ndigits is None:
        if isinstance(number, _Decimal):
            check_decimal(number, "round()")
        return builtins.round(number)
    return builtins.round(number, ndigits)


def guarded_pow_builtin(base: Any, exp: Any, mod: Any = None) -> Any:
    return guarded_pow(base, exp, mod)


_BUILTIN_NAMES = (
    "abs all any bool callable chr dict divmod enumerate filter float hash hex int isinstance "
    "issubclass len list map max min oct ord pow range repr reversed round set slice sorted str "
    "sum tuple zip frozenset next object bytes bytearray"
).split()

_EXCEPTION_NAMES = sorted(
    name for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
    and not issubclass(value, BaseExceptionGroup)  # except* escapes: CVE-2025-22153
)

_OVERRIDES: dict[str, Any] = {
    "range": guarded_range,
    "round": guarded_round,
    "pow": guarded_pow_builtin,
    "divmod": guarded_divmod,
    "bytes": stand_in_type(bytes, _bytes_check),
    "bytearray": stand_in_type(bytearray, _bytes_check),
    "int": guarded_int,
    "sorted": guarded_sorted,
    "list": stand_in_type(list, _container_check("list")),
    "tuple": stand_in_type(tuple, _container_check("tuple")),
    "set": stand_in_type(set, _container_check("set")),
    "frozenset": stand_in_type(frozenset, _container_check("frozenset")),
    "dict": stand_in_type(dict, _container_check("dict"), fromkeys=_fromkeys(dict)),
    **{name: _adapter(getattr(builtins, name)) for name in ("zip", "map", "filter", "reversed")},
    "enumerate": guarded_enumerate,
    # (the executor installs _fast.enumerate_, which hands anything but a plain sequence to this)
}


def base_builtins() -> dict[str, Any]:
    """Builtins without ``__import__`` (the executor adds the guarded import)."""
    # __build_class__ runs ``class`` statements (with the policy's __metaclass__); scripts cannot
    # name it themselves.
    result: dict[str, Any] = {"__build_class__": builtins.__build_class__, "None": None,
                              "True": True, "False": False, "Ellipsis": Ellipsis,
                              "NotImplemented": NotImplemented}
    for name in _BUILTIN_NAMES:
        result[name] = _OVERRIDES.get(name, getattr(builtins, name, None))
    for name in _EXCEPTION_NAMES:
        result[name] = getattr(builtins, name)
    return result
