"""The awesomebar: commands ("New X", "X List", actions) and documents matching what the user types.

Commands are matched in Python against a handful of labels (one per doctype and action); documents
are found with LIKE filters through `documents.get_list`, a few per doctype the user can read, so
the database does the searching and permissions apply as everywhere else.

Ranking: the label equals the query, then starts with it, then contains it as a phrase, then
contains every word in any order; commands before actions before documents; shorter labels first.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from webapp.doctypes import registry
from webapp.doctypes.meta import DocType
from webapp.errors import FrappeError
from webapp.services import documents, permissions
from webapp.services.context import acting_user

MAX_RESULTS = 12
DOCS_PER_DOCTYPE = 3
MIN_DOC_QUERY = 2  # characters before documents are searched
_KIND_ORDER = {"command": 0, "action": 1, "document": 2}


@dataclass(frozen=True)
class Result:
    label: str
    route: str
    description: str = ""
    kind: str = "command"
    score: int = 3

    def as_dict(self) -> dict[str, str]:
        return {"label": self.label, "description": self.description, "route": self.route}


def normalize(text: str) -> str:
    return " ".join(str(text or "").lower().split())


def match_score(label: str, query: str) -> int | None:
    """0 exact, 1 prefix, 2 phrase, 3 every word in any order; None: no match (case-insensitive)."""
    label, query = normalize(label), normalize(query)
    if not query:
        return None
    if label == query:
        return 0
    if label.startswith(query):
        return 1
    if query in label:
        return 2
    if all(word in label for word in query.split()):
        return 3
    return None


def doc_route(meta: DocType, name: str) -> str:
    return f"/app/{meta.slug}/{quote(str(name), safe='')}"


def _commands(readable: list[DocType], user: str, is_system_manager: bool) -> list[Result]:
    out: list[Result] = []
    for meta in readable:
        if meta.issingle:  # one record, no list
            out.append(Result(meta.name, f"/app/{meta.slug}", f"Open {meta.name}"))
            continue
        if not meta.read_only and permissions.has_permission(meta.name, "create", user=user):
            out.append(Result(f"New {meta.name}", f"/app/{meta.slug}/new", f"Create a new {meta.name}"))
        out.append(Result(f"{meta.name} List", f"/app/{meta.slug}", f"Open the {meta.name} list"))
    out.append(Result("Home", "/app", "The desk home page", kind="action"))
    out.append(Result("My settings", "/app/my-settings", "Change your password", kind="action"))
    out.append(Result("Log out", "/logout", "End your session", kind="action"))
    if is_system_manager:
        out.append(Result("System settings", "/app/system-settings", "Site configuration", kind="action"))
        out.append(Result("New User", "/app/user/new", "Create a user", kind="command"))
        out.append(Result("Script health", "/app/script-health", "Runs, errors and durations of every script",
                          kind="action"))
    return out


def _documents(meta: DocType, query: str, user: str) -> list[Result]:
    """A few documents of `meta` whose name, title or search fields contain the query (several
    words: the title contains every word, in any order)."""
    words = normalize(query).split()
    title = meta.title_of
    fields = ["name"] if title == "name" else ["name", title]
    if len(words) == 1:
        like = f"%{words[0]}%"
        searched = list(dict.fromkeys(["name", title, *meta.search_field_names]))
        rows = documents.get_list(meta.name, fields=fields, or_filters=[[f, "like", like] for f in searched],
                                  limit_page_length=DOCS_PER_DOCTYPE, user=user)
    else:
        rows = documents.get_list(meta.name, fields=fields, filters=[[title, "like", f"%{w}%"] for w in words],
                                  limit_page_length=DOCS_PER_DOCTYPE, user=user)
    out = []
    for row in rows:
        text = str(row.get(title) or "").strip()
        label = text.splitlines()[0][:80] if text else str(row["name"])
        score = min(s for s in (match_score(label, query), match_score(row["name"], query), 3) if s is not None)
        out.append(Result(label, doc_route(meta, row["name"]), f"{meta.name} {row['name']}", kind="document",
                          score=score))
    return out


def awesomebar(query: str, user: str | None = None) -> list[dict[str, str]]:
    """Suggestions for what the user typed, best first."""
    user = user or acting_user()
    query = normalize(query)[:140]
    if not query:
        return []
    readable = [dt for dt in registry.all_doctypes() if permissions.has_permission(dt.name, "read", user=user)]
    roles = permissions.roles_of(user)
    is_sm = user == "Administrator" or "System Manager" in roles
    results: list[Result] = []
    for r in _commands(readable, user, is_sm):
        score = match_score(r.label, query)
        if score is not None:
            results.append(Result(r.label, r.route, r.description, r.kind, score))
    if len(query) >= MIN_DOC_QUERY:
        for meta in (m for m in readable if not m.issingle):
            try:
                results.extend(_documents(meta, query, user))
            except FrappeError:
                # A failing Permission Query script (its run is in the execution log), or the feature
                # switched off under one: that doctype's documents are left out, the rest still answer.
                continue
    results.sort(key=lambda r: (r.score, _KIND_ORDER[r.kind], len(r.label), r.label.lower()))
    seen: set[str] = set()
    unique = []
    for r in results:
        if r.route not in seen:
            seen.add(r.route)
            unique.append(r)
    return [r.as_dict() for r in unique[:MAX_RESULTS]]
