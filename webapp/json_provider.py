"""The app's JSON replies as Frappe writes them (webapp/jsonenc.py)."""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider

from webapp.jsonenc import to_jsonable


class FrappeJSONProvider(DefaultJSONProvider):
    sort_keys = False

    @staticmethod
    def default(o: Any) -> Any:
        return to_jsonable(o)
