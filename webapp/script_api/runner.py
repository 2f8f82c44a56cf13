"""Running what the app asks to run, on the script side: one script, or the scripts of one document
event as a group, from a plain-data `spec`, answered with a plain-data `done`.

spec: {"kind", "user", "timeout_s", "memory_mb", "scripts": [{"name", "filename", "sha256", "source"}],
       "form_dict", "doc": wire or None, "metas": [meta wire], "extra": {name: value} or None,
       "request": bool, "conditions": bool, "run": number (a host's progress page names it),
       "metas_version": the version of the app's doctypes the metas are of}
done: {"runs": [{"name", "status", "output", "logs", "error": error wire or None, "lineno",
                 "duration_ms", "started"}],
       "flags", "response" (API and Scheduler runs), "doc": changed fields (a document event),
       "conditions": text or None (Permission Query)}

The scripts of a group run in order, each with its own budget, globals and output, and stop at the
first that fails; `starting(index)` hears of each script as it starts. A script's source is sent once:
later specs name it by its sha256 (and filename). Everything in `done` is made plain inside the run that produced it (the
sandbox's finish step), so no code of a script runs after its run.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from webapp.attrdict import AttrDict
from webapp.errors import ValidationError
from webapp.sandbox import Limits, RunGroup, compile_script, current_state
from webapp.sandbox.export import SCALARS, plain, plain_text
from webapp.script_api import build_namespace, commit_hooks, run
from webapp.script_api.document import METAS, ScriptDocument, diff, from_wire, plain_data
from webapp.script_api.wire import error_to_wire

REPLY_KINDS = ("API", "Scheduler Event")
_CONVERTERS = {ScriptDocument: ScriptDocument.as_dict}


def plain_value(value: Any, what: str) -> Any:
    return plain(value, what, converters=_CONVERTERS, dict_type=AttrDict)


def _settle_doc(doc: ScriptDocument, what: str = "doc") -> None:
    """Inside the run: the document's values as plain data (a table: rows of this document)."""
    data = doc._data
    meta = doc._meta
    for key, value in data.items():
        if type(value) in SCALARS:
            continue
        f = meta.get_field(key)
        if type(value) is list and f is not None and f.is_table:
            for i, row in enumerate(value):
                if type(row) is not ScriptDocument:
                    raise ValidationError(f"{what}.{key}[{i}] is a {type(row).__name__}, not a row of {key}")
                _settle_doc(row, f"{what}.{key}[{i}]")
            continue
        data[key] = plain_value(value, f"{what}.{key}")


def _snapshot(data: dict[str, Any]) -> dict[str, Any]:
    """A document's plain data as it is now, kept apart from it (what `diff` compares with). The
    wire form's dicts are already new ones (rows too); only mutable values need copying, and
    scalars are the rule."""
    for key, value in data.items():
        if type(value) in SCALARS:
            continue
        if type(value) is list and value and all(type(row) is dict for row in value):
            data[key] = [_snapshot(row) for row in value]
        else:
            data[key] = copy.deepcopy(value)
    return data


def _finisher(state: run.Run, frappe_ns: Any, doc: ScriptDocument | None, conditions: list | None):
    def finish(g: dict[str, Any]) -> None:
        if state.kind in REPLY_KINDS:
            state.flags = plain_value(frappe_ns.__dict__["flags"], "frappe.flags")  # `frappe.flags = x` replaces them
            state.response = plain_value(state.response, "frappe.response")
        if doc is not None:
            _settle_doc(doc)
        if conditions is not None:
            value = g.get("conditions")
            if value is not None and not isinstance(value, str):
                raise ValidationError(f"conditions is a {type(value).__name__}; it must be SQL text, "
                                      "e.g. conditions = \"`tabToDo`.owner = 'x'\"")
            conditions.append(None if value is None else plain_text(value))
    return finish


_compiled: dict[tuple[str, str], Any] = {}
_sources: dict[tuple[str, str], str] = {}
MAX_KNOWN = 20000  # sources a host keeps (the worker retires a host that would need more)


def _learn(scripts: list[dict[str, Any]]) -> None:
    """Keep the sources a spec brings (later specs name them only), compiled when first run."""
    for script in scripts:
        source = script.get("source")
        if source is not None:
            if len(_sources) >= MAX_KNOWN:
                _sources.clear()
                _compiled.clear()
            _sources[(script["sha256"], script["filename"])] = source


def _compiled_for(script: dict[str, Any]) -> Any:
    key = (script["sha256"], script["filename"])
    found = _compiled.get(key)
    if found is None:
        source = _sources.get(key)
        if source is None:
            raise ValidationError(f"Server Script {script['name']!r}: its source was never sent here")
        found = _compiled[key] = compile_script(source, script["filename"])
    return found


def execute_spec(spec: dict[str, Any], starting: Any = None) -> dict[str, Any]:
    """Run what `spec` asks for (see the module's docstring)."""
    METAS.at_version(spec.get("metas_version"))
    for wire in spec.get("metas") or ():
        METAS.add(wire)
    _learn(spec["scripts"])
    kind, user = spec["kind"], spec["user"]
    limits = Limits(timeout_s=float(spec["timeout_s"]), memory_mb=int(spec["memory_mb"]))
    doc = from_wire(spec["doc"]) if spec.get("doc") else None
    before = _snapshot(plain_data(doc)) if doc is not None else None
    extra = spec.get("extra")
    in_request = bool(spec.get("request"))
    runs: list[dict[str, Any]] = []
    done: dict[str, Any] = {"runs": runs}
    state: run.Run | None = None
    conditions: list | None = [] if spec.get("conditions") else None
    with RunGroup(limits) as group:
        for index, script in enumerate(spec["scripts"]):
            if starting is not None:
                starting(index)
            state = run.Run(script["name"], kind, user, AttrDict(spec.get("form_dict") or {}))
            started = time.time()
            try:
                compiled = _compiled_for(script)
            except Exception as exc:  # noqa: BLE001 - saved scripts compile; say so if one no longer does
                runs.append({"name": script["name"], "status": "Error", "output": "", "logs": [],
                             "error": error_to_wire(ValidationError(f"does not compile: {exc}")), "lineno": None,
                             "duration_ms": 0.0, "started": started})
                break
            ns = build_namespace(state, doc, in_request, dict(extra) if extra else None)
            finish = _finisher(state, ns["frappe"], doc, conditions)
            token = run.enter(state)
            try:
                result = group.run(compiled, ns, limits, own=True, finish=finish)
            except BaseException:
                # A nested run (a script's call fired this one) whose outer run is over budget:
                # the kill is the outer run's, and ends this run too; it is said in this run's
                # answer, and the outer run is stopped when its call returns.
                outer = current_state()
                if outer is None or outer.killed is None:
                    raise
                runs.append({"name": script["name"], "status": outer.killed, "output": "", "logs": list(state.logs),
                             "error": error_to_wire(outer.kill_error()), "lineno": None,
                             "duration_ms": (time.time() - started) * 1000.0, "started": started})
                break
            finally:
                run.leave(token)
            runs.append({"name": script["name"], "status": result.status, "output": result.output or "",
                         "logs": list(state.logs), "error": None if result.error is None else error_to_wire(result.error),
                         "lineno": result.lineno, "duration_ms": result.duration_ms, "started": started})
            if result.error is not None:
                break
    if state is not None and kind in REPLY_KINDS and not runs[-1]["error"]:
        done["flags"] = state.flags
        done["response"] = state.response
    if doc is not None and not runs[-1]["error"]:
        done["doc"] = diff(doc, before or {})
    if conditions is not None:
        done["conditions"] = conditions[-1] if conditions else None
    return done


def execute_callback(number: int, timeout_s: float, memory_mb: int) -> dict[str, Any] | None:
    """Run a transaction hook's function (`commit_hooks`); its error as plain data, or None."""
    result = commit_hooks.run_callback(number, Limits(timeout_s=timeout_s, memory_mb=memory_mb))
    if result is None or result.error is None:
        return None
    return error_to_wire(result.error)
