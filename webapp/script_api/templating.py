"""Sandboxed Jinja for scripts' render_template: Jinja's SandboxedEnvironment refuses `_` attributes,
unsafe callables and str.format traversal; we also refuse templates that try to load others."""

from __future__ import annotations

from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from webapp.documents.document import _dict
from webapp.errors import ValidationError
from webapp.script_api.messages import translate

_env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
# Frappe's template globals that need no site: its attribute dict and translation.
_env.globals.update(_dict=_dict, _=translate)
MAX_TEMPLATE = 100_000
MAX_OUTPUT = 1_000_000


def render(template: str, context: dict[str, Any]) -> str:
    if len(template) > MAX_TEMPLATE:
        raise ValidationError(f"Template too large (over {MAX_TEMPLATE} characters)")
    try:
        out = _env.from_string(template).render(**context)
    except SecurityError as exc:
        raise ValidationError(f"Template refused by the sandbox: {exc}") from None
    except TemplateError as exc:
        raise ValidationError(f"Template error: {exc}") from None
    if len(out) > MAX_OUTPUT:
        raise ValidationError("Template output too large")
    return out
