"""Compile policy: RestrictedPython's transformer, extended, and the compile cache.

Extensions over RestrictingNodeTransformer:
- the names ``_dict`` and ``_`` may be read (Frappe's attribute dict and translation function),
  also as attributes (``frappe._``, ``frappe._dict``);
- every loop body, ``except`` handler and ``finally`` block starts with ``if _killed_: _check_()``,
  so a run the watchdog has killed can neither be caught and resumed by the script nor kept alive
  by Python code between (an API function that swallows every exception, called in a loop);
- ``*``, ``**``, ``<<``, ``%``, ``//`` become guarded calls (size checked before the C call) unless
  the operands make that needless (numeric literals, constant formats);
- f-string format specs that are not constant go through ``_format_`` (``f"{x:>{10**10}}"``);
- augmented assignment to attributes and items works (``doc.total += x``, ``d[k] += 1``) through
  the same write and operator guards;
- attribute names the runtime guard would refuse whatever the object (``gi_frame``, ``format``,
  ``mro`` ...) are refused at compile time already, and every other allowed name is read natively
  except the few whose answer depends on the object (``guards.RUNTIME_CHECKED_ATTRS``: size-hooked
  ``str`` methods, ``AttributeError.obj`` ...), which keep the ``_getattr_`` call. Scripts have no
  ``getattr`` builtin, so every attribute name a script reads is in its source;
- item reads and sequence unpacking are left native: RestrictedPython guards them for Zope's
  per-item security checks, which we don't have (our ``_getitem_`` would be ``obj[key]``), and
  every iterator that could run unbounded in C is a Python-level generator here (see guards.py).
  ``for`` loops over what may be a long range go through ``_getiter_`` (see _may_be_lazy_range).
"""

from __future__ import annotations

import ast
import hashlib
import re
import threading
import types
from dataclasses import dataclass, field
from typing import Any

from RestrictedPython import compile_restricted_exec
from RestrictedPython.transformer import IOPERATOR_TO_STR, RestrictingNodeTransformer, copy_locations

from .errors import ScriptCompileError
from .guards import INT_MAX_BITS, RUNTIME_CHECKED_ATTRS, attr_name_allowed

# Names starting with "_" that scripts may read: Frappe's attribute dict and translation function
# (``_dict``, ``_("text")``, ``frappe._("text")``); RestrictedPython itself allows the name ``_``.
ALLOWED_UNDERSCORE_NAMES = frozenset({"_dict", "_"})

_INT_CONVERSION = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxX]")

_GUARDED_BINOPS: dict[type, str] = {
    ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_",
    ast.FloorDiv: "_floordiv_",
}


def copy_node(node: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(node), mode="eval").body


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float, complex, bool)


def _small_int(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and type(node.value) is int
            and -1024 <= node.value <= 1024)


_LONG_DIGITS = re.compile(r"\d{7,}")


def _safe_format_string(node: ast.AST) -> bool:
    """A constant %-format with no huge width and no ``*``: ``"%s items" % n`` needs no guard."""
    return (isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))
            and _LONG_DIGITS.search(str(node.value)) is None and "*" not in str(node.value))


def _binop_needs_guard(node: ast.BinOp) -> bool:
    left, right, op = node.left, node.right, node.op
    if _is_number(left) and _is_number(right):
        return isinstance(op, (ast.Pow, ast.LShift))  # 10 ** 10 ** 8 is three constants
    if isinstance(op, ast.Mult):
        # x * 0.5 can't repeat a sequence; x * 2 at most doubles an existing object.
        return not (isinstance(left, ast.Constant) and type(left.value) is float
                    or isinstance(right, ast.Constant) and type(right.value) is float
                    or _small_int(left) and -2 <= left.value <= 2  # type: ignore[attr-defined]
                    or _small_int(right) and -2 <= right.value <= 2)  # type: ignore[attr-defined]
    if isinstance(op, ast.Mod):
        return not (_is_number(left) or _safe_format_string(left))
    if isinstance(op, ast.FloorDiv):
        return not _small_int(right) and not (isinstance(right, ast.Constant)
                                              and type(right.value) is float)
    return True


# ``_getiter_`` only swaps a long range's stand-in (guards.LazyRange) for its fast C iterator; it
# checks nothing. Loops over expressions that are not a range skip the call: literals,
# comprehensions, method calls and the builtins that build other iterables. If a script rebinds one
# of these names to ``range``, its loop is merely slower (the stand-in's generator), never unsafe.
_NOT_A_RANGE_BUILTINS = frozenset({"enumerate", "zip", "reversed", "sorted", "filter", "map", "list",
                                   "tuple", "set", "frozenset", "dict", "iter"})
_LITERALS = (ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.JoinedStr, ast.ListComp,
             ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _may_be_lazy_range(node: ast.expr) -> bool:
    if isinstance(node, _LITERALS):
        return False
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute):
            return False
        if isinstance(func, ast.Name) and func.id in _NOT_A_RANGE_BUILTINS:
            return False
    return True


class SandboxPolicy(RestrictingNodeTransformer):
    """The compile policy of server scripts (see the module docstring)."""

    def _call(self, name: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
        call = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
        copy_locations(call, like)
        return call

    def _checkpoint(self, like: ast.AST) -> ast.stmt:
        # ``if _killed_: _check_()``: a global flag the watchdog sets; reading it costs a few ns.
        stmt = ast.If(test=ast.Name("_killed_", ast.Load()),
                      body=[ast.Expr(self._call("_check_", [], like))], orelse=[])
        copy_locations(stmt, like)
        return stmt

    def visit_For(self, node: ast.For) -> Any:
        node = super().visit_For(node)
        node.body.insert(0, self._checkpoint(node.body[0]))
        return node

    def visit_While(self, node: ast.While) -> Any:
        node = super().visit_While(node)
        node.body.insert(0, self._checkpoint(node.body[0]))
        return node

    def visit_Constant(self, node: ast.Constant) -> Any:
        # A hex literal is as long as the script wants: keep it under the run-time integer limit.
        if type(node.value) is int and node.value.bit_length() > INT_MAX_BITS:
            self.error(node, f"integer literal of {node.value.bit_length()} bits is too large "
                             f"(limit {INT_MAX_BITS})")
        return super().visit_Constant(node)

    # -- names ------------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in ALLOWED_UNDERSCORE_NAMES and isinstance(node.ctx, ast.Load):
            self.used_names[node.id] = True
            return node
        return super().visit_Name(node)

    # -- attributes, items, unpacking -------------------------------------------------------------
    def visit_Attribute(self, node: ast.Attribute) -> Any:
        name = node.attr
        if name in ALLOWED_UNDERSCORE_NAMES and isinstance(node.ctx, ast.Load):
            # ``frappe._("...")``: exactly this name, read natively; it leads only to attributes
            # literally named ``_`` (no object of the interpreter has one).
            return self.node_contents_visit(node)
        if not name.startswith("_"):
            if not attr_name_allowed(name):
                self.error(node, f'"{name}" is a restricted name that a server script may not access.')
            elif isinstance(node.ctx, ast.Load) and name not in RUNTIME_CHECKED_ATTRS:
                # Vetted here, whatever the object: read natively (see guards.RUNTIME_CHECKED_ATTRS).
                return self.node_contents_visit(node)
        return super().visit_Attribute(node)

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        if isinstance(node.ctx, ast.Load):
            return self.node_contents_visit(node)
        return super().visit_Subscript(node)

    def guard_iter(self, node: Any) -> Any:
        node = self.node_contents_visit(node)
        if _may_be_lazy_range(node.iter):
            node.iter = self._call("_getiter_", [node.iter], node.iter)
        return node

    def visit_Assign(self, node: ast.Assign) -> Any:
        return self.node_contents_visit(node)

    def visit_With(self, node: ast.With) -> Any:
        return self.node_contents_visit(node)

    # -- kills cannot be caught -----------------------------------------------------------------
    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, self._checkpoint(node))
        return node

    def visit_Try(self, node: ast.Try) -> Any:
        node = super().visit_Try(node)
        if node.finalbody:
            node.finalbody.insert(0, self._checkpoint(node.finalbody[0]))
        return node

    # -- operators that can allocate without bound in one C call ---------------------------------
    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        guard = _GUARDED_BINOPS.get(type(node.op))
        if guard is None:
            return node
        if not _binop_needs_guard(node):
            if isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) and \
                    _INT_CONVERSION.search(str(node.left.value)):
                # '%d' % x turns x into an int: a Decimal from outside is size-checked first.
                return self._call("_intfmt_", [node.left, node.right], node)
            return node
        guarded = self._call(guard, [node.left, node.right], node)
        # ``i % 7`` and ``n * 12`` are hot in loops: when a plain name meets a small int constant,
        # test the name's type inline (an int or float times/modulo a small constant is cheap and
        # bounded) and only call the guard for anything else.
        name = None
        if isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Name) and _small_int(node.right):
            name = node.left
        elif isinstance(node.op, ast.Mult):
            if isinstance(node.left, ast.Name) and _small_int(node.right):
                name = node.left
            elif isinstance(node.right, ast.Name) and _small_int(node.left):
                name = node.right
        if name is None:
            return guarded
        kind = ast.Call(func=ast.Name("_type_", ast.Load()), args=[ast.Name(name.id, ast.Load())],
                        keywords=[])
        test = ast.BoolOp(op=ast.Or(), values=[
            ast.Compare(left=kind, ops=[ast.Is()], comparators=[ast.Name("_int_", ast.Load())]),
            ast.Compare(left=copy_node(kind), ops=[ast.Is()],
                        comparators=[ast.Name("_float_", ast.Load())])])
        fast = ast.IfExp(test=test, body=node, orelse=guarded)
        copy_locations(fast, node)
        return fast

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = self.node_contents_visit(node)
        spec = node.format_spec
        if spec is None:
            return node
        constant = isinstance(spec, ast.JoinedStr) and all(
            isinstance(v, ast.Constant) for v in spec.values)
        if constant and not any(_LONG_DIGITS.search(str(v.value)) for v in spec.values):  # type: ignore[attr-defined]
            return node
        call = self._call("_format_", [node.value, spec, ast.Constant(node.conversion)], node)
        new = ast.FormattedValue(value=call, conversion=-1, format_spec=None)
        copy_locations(new, node)
        return new

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        if isinstance(node.target, ast.Name):
            if type(node.op) not in _GUARDED_BINOPS:
                return self.node_contents_visit(node)  # x += 1: nothing to guard
            return super().visit_AugAssign(node)
        # ``a.b op= c`` -> ``_tmp = a; _write_(_tmp).b = _inplacevar_(op, _getattr_(_tmp, "b"), c)``
        # (and the same for ``a[k] op= c``), each sub-expression evaluated once.
        target = node.target
        if isinstance(target, ast.Attribute):
            if target.attr.startswith("_"):
                self.error(node, f'"{target.attr}" is an invalid attribute name because it '
                                 'starts with "_".')
                return node
            obj = self.visit(target.value)
            tmp = self.gen_tmp_name()
            stmts: list[ast.stmt] = [ast.Assign(targets=[ast.Name(tmp, ast.Store())], value=obj)]
            current: ast.expr = self._call("_getattr_", [ast.Name(tmp, ast.Load()),
                                                         ast.Constant(target.attr)], node)
            store: ast.expr = ast.Attribute(
                value=self._call("_write_", [ast.Name(tmp, ast.Load())], node),
                attr=target.attr, ctx=ast.Store())
            temps = [tmp]
        elif isinstance(target, ast.Subscript):
            obj = self.visit(target.value)
            key = self.visit(target.slice)
            tmp, tmpk = self.gen_tmp_name(), self.gen_tmp_name()
            stmts = [ast.Assign(targets=[ast.Name(tmp, ast.Store())], value=obj),
                     ast.Assign(targets=[ast.Name(tmpk, ast.Store())], value=key)]
            current = self._call("_getitem_", [ast.Name(tmp, ast.Load()),
                                               ast.Name(tmpk, ast.Load())], node)
            store = ast.Subscript(value=self._call("_write_", [ast.Name(tmp, ast.Load())], node),
                                  slice=ast.Name(tmpk, ast.Load()), ctx=ast.Store())
            temps = [tmp, tmpk]
        else:  # pragma: no cover - the grammar allows nothing else
            self.not_allowed(node)
            return node
        value = self.visit(node.value)
        new_value = self._call("_inplacevar_", [ast.Constant(IOPERATOR_TO_STR[type(node.op)]),
                                                current, value], node)
        stmts.append(ast.Assign(targets=[store], value=new_value))
        body = ast.Try(body=stmts, handlers=[], orelse=[],
                       finalbody=[ast.Delete(targets=[ast.Name(t, ast.Del()) for t in temps])])
        for stmt in [*stmts, body, *body.finalbody]:
            copy_locations(stmt, node)
        return body


@dataclass(frozen=True)
class CompiledScript:
    """A script compiled under the policy; what ``execute()`` runs."""

    code: types.CodeType
    source: str
    filename: str
    sha256: str
    warnings: tuple[str, ...] = field(default=())


_CACHE_SIZE = 1024
_CACHE_CHARS = 16 * 1024 * 1024  # and at most this much source (with its code objects)
_cached_chars = 0
_cache: dict[tuple[str, str], CompiledScript] = {}
_cache_lock = threading.Lock()
_LINE_PREFIX = re.compile(r"^Line (\d+): (.*)$", re.S)


def _digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


def compile_script(source: str, filename: str = "<server script>") -> CompiledScript:
    """Compile ``source`` under the sandbox policy; cached by sha256 of the source (and filename).

    Raises ScriptCompileError with a message naming the line.
    """
    if not isinstance(source, str):
        raise TypeError("source must be a str")
    digest = _digest(source)
    key = (digest, filename)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    try:
        tree = ast.parse(source, filename, "exec")
    except SyntaxError as exc:
        raise ScriptCompileError(exc.msg, exc.lineno, exc.offset) from None
    except ValueError as exc:  # null bytes on older Pythons
        raise ScriptCompileError(str(exc), 1, None) from None
    try:
        result = compile_restricted_exec(tree, filename, policy=SandboxPolicy)
    except SyntaxError as exc:  # found by the bytecode compiler ('return' outside function ...)
        raise ScriptCompileError(exc.msg, exc.lineno, exc.offset) from None
    if result.errors or result.code is None:
        errors = tuple(result.errors) or ("Line 1: the script could not be compiled",)
        first = _LINE_PREFIX.match(errors[0])
        lineno = int(first.group(1)) if first and first.group(1) != "None" else None
        msg = first.group(2) if first else errors[0]
        raise ScriptCompileError(msg, lineno, None, errors=errors)
    compiled = CompiledScript(result.code, source, filename, digest, tuple(result.warnings))
    global _cached_chars
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE or _cached_chars + len(source) > _CACHE_CHARS:
            _cache.clear()  # simple and bounded; recompiling is cheap next to a request
            _cached_chars = 0
        _cache[key] = compiled
        _cached_chars += len(source)
    return compiled


def clear_cache() -> None:
    """Forget every compiled script (tests, or after a policy change)."""
    global _cached_chars
    with _cache_lock:
        _cache.clear()
        _cached_chars = 0
