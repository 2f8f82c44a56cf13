"""`frappe.render_template`: Jinja's sandbox (SandboxedEnvironment refuses `_` attributes, unsafe
callables and str.format traversal); templates that try to load others are refused too."""

from __future__ import annotations

from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from webapp.attrdict import AttrDict
from webapp.errors import ValidationError
from webapp.script_api.messages import translate

_env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
# Frappe's template globals that need no site: its attribute dict and translation.
_env.globals.update(_dict=AttrDict, _=translate)
MAX_TEMPLATE = 100_000
MAX_OUTPUT = 1_000_000


def render_template(template: str, context: dict[str, Any] | None = None, **_ignored: Any) -> str:
    """Render a Jinja template string in Jinja's sandbox (no attribute walks to the interpreter)."""
    template, context = str(template), dict(context or {})
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
