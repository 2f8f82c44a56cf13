"""The hottest guards' common cases, compiled to C by Cython when the set-up could build it.

This file is plain Python and works as it is; ``scripts/setup.sh`` also compiles it with Cython
(``scripts/build_speedups.py``) into an extension module next to it, which Python imports instead
of this file. Same code, same semantics: the compiled version only removes the cost of a Python
function call on every ``*``, ``%``, ``for`` and item/attribute write in a script.

Each function handles the cases that need no check (numbers of bounded size, the built-in
containers a script owns) and hands everything else to the full guard in ``guards.py``. Keep it
that way: no loops and no generators here, since compiled code runs no bytecode, and the
watchdog's kill lands only between bytecodes.
"""

from . import guards as _g

_LazyRange = _g.LazyRange
_BUILTIN_WRITABLE = _g._BUILTIN_WRITABLE
_slow_mul = _g.guarded_mul
_slow_mod = _g.guarded_mod
_slow_write = _g.guarded_write
_builtin_iter = iter
_enumerate = enumerate
_slow_enumerate = _g.guarded_enumerate
_stepwise = _g._stepwise
_LONG = _g.RANGE_FAST_MAX


def mul(a, b):
    """``a * b``: floats, and ints too small for the product to be big, multiply directly."""
    ta = type(a)
    tb = type(b)
    if ta is float:
        if tb is float or tb is int:
            return a * b
    elif ta is int:
        if tb is int:
            # Literal bounds (2**62): compiled, these compare machine words. Bigger ints take the
            # full guard, which allows products up to guards.INT_MAX_BITS.
            if -4611686018427387904 < a < 4611686018427387904 and -4611686018427387904 < b < 4611686018427387904:
                return a * b
        elif tb is float:
            return a * b
    return _slow_mul(a, b)


def mod(a, b):
    """``a % b``: numbers directly (a huge divisor goes to the full guard), strings to the guard."""
    ta = type(a)
    tb = type(b)
    if ta is int:
        if tb is int and -4611686018427387904 < b < 4611686018427387904:
            return a % b
    elif ta is float:
        if tb is float or tb is int:
            return a % b
    return _slow_mod(a, b)


def getiter(obj):
    """``for x in obj``: a long range stand-in loops over its real range (the loop body is Python)."""
    if type(obj) is _LazyRange:
        return _builtin_iter(obj._r)
    return _builtin_iter(obj)


def write(obj):
    """Before ``obj.x = ...`` / ``obj[k] = ...``: the script's own dicts, lists and sets pass."""
    if type(obj) in _BUILTIN_WRITABLE:
        return obj
    return _slow_write(obj)


def enumerate_(iterable, start=0):
    """``enumerate()``: over a long flat sequence, the Python-level stepping of guards._adapter
    (so ``list(enumerate(b))`` grows under the watchdog); hot in loops, hence compiled here."""
    t = type(iterable)
    if t is str or t is list or t is tuple or t is bytes or t is bytearray:
        if len(iterable) > _LONG:
            return _stepwise(_enumerate(iterable, start))
        return _enumerate(iterable, start)
    return _slow_enumerate(iterable, start)


def compiled():
    """True when this module is the Cython-compiled build."""
    return not __file__.endswith((".py", ".pyc"))
