"""`_` (translation) and `_dict` are the only names starting with "_" a script may use (#13): they
lead nowhere else."""

from __future__ import annotations

import pytest

from webapp.sandbox import Limits, ScriptCompileError, compile_script, execute
from webapp.script_api.messages import translate

REFUSED_AT_SAVE = [
    "_.__globals__", "_.__code__", "_.__class__", "_.__dict__", "frappe._.__globals__", "frappe._.__wrapped__",
    "_('x').__class__", "_dict.__init__", "_dict.__subclasses__()", "__", "_x = 1", "x = __builtins__",
    "x = _print", "x = _getattr_", "x._y", "frappe.__dict__", "def f(_a): pass",
]


@pytest.mark.parametrize("source", REFUSED_AT_SAVE)
def test_other_underscore_names_are_refused_at_compile_time(source):
    with pytest.raises(ScriptCompileError):
        compile_script(source)


def test_underscore_reads_only_attributes_literally_named_underscore():
    """`x._` is read natively; no object the sandbox hands out has an attribute `_` but `frappe`."""

    class Holder:  # a script's own class may define `_`
        pass

    holder = Holder()
    object.__setattr__(holder, "_", "mine")
    ns = {"h": holder, "t": translate, "n": 5, "s": "text"}
    result = execute(compile_script("a = h._\nb = _dict(_='k')._\ntry:\n    n._\nexcept AttributeError:\n    c = 1"),
                     {**ns, "_dict": __import__("webapp.documents.document", fromlist=["_dict"])._dict}, Limits())
    assert result.error is None, result.error
    assert result.run_globals["a"] == "mine" and result.run_globals["b"] == "k" and result.run_globals["c"] == 1


def test_translate_is_a_plain_function():
    assert translate("Hello") == "Hello"
    assert translate(5) == "5"
    assert {k for k in vars(translate) if not k.startswith("_")} == set()
