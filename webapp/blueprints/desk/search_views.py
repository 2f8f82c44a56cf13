"""GET /api/desk/awesomebar?q=<text>: suggestions for the navbar search (JSON)."""

from __future__ import annotations

from flask import jsonify, request

from webapp.blueprints.access import login_required
from webapp.blueprints.desk.blueprint import bp
from webapp.services import search


@bp.route("/api/desk/awesomebar")
@login_required
def awesomebar():
    return jsonify({"results": search.awesomebar(request.args.get("q", ""))})
