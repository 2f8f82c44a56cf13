"""Document pages, rendered from doctype metadata: list, new, form, and the submit/cancel/delete
buttons. Each view parses its input, calls the documents service, and renders or redirects (PRG)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from webapp.blueprints.access import login_required
from webapp.blueprints.desk import doctype_views, script_editor
from webapp.blueprints.desk import forms as F
from webapp.blueprints.desk.blueprint import bp
from webapp.doctypes import registry
from webapp.doctypes.meta import DocType, Field
from webapp.errors import DoesNotExistError, FrappeError, ValidationError
from webapp.services import documents, messages, permissions, users
from webapp.services.settings import format_names, parse_date

# Doctypes whose form shows more than its fields, and who supplies it: fn(values, is_new) -> dict
# (or None), handed to the form template as `extras`; its "top" and "bottom" name the templates
# included above and below the fields.
FORM_EXTRAS = {"Server Script": script_editor.form_extras, "DocType": doctype_views.form_extras}
# Doctypes whose Code fields are Server Script source (the editor checks them as scripts while typing).
CODE_EDITORS = ("Server Script",)
PAGE_SIZE = 20
LINK_OPTIONS = 20
_DOCSTATUS = {0: "Draft", 1: "Submitted", 2: "Cancelled"}


def _meta(slug: str) -> DocType:
    meta = registry.by_slug(slug)
    if meta is None or meta.istable:
        abort(404, description=f"No document type at /app/{slug}")
    return meta


def _doc_url(meta: DocType, name: str) -> str:
    return url_for("desk.doc_form", slug=meta.slug, name=name)


# -- list ------------------------------------------------------------------------------------------
def filter_fields(meta: DocType) -> list[Field]:
    return [f for f in meta.fields if f.in_standard_filter and not f.is_table and not f.hidden]


def _list_query(meta: DocType, args: MultiDict) -> dict[str, Any]:
    """GET args -> filters, order and page. Text filters match a part ("like"), others exactly."""
    filters: list[list[Any]] = []
    chosen: dict[str, str] = {}
    if args.get("name", "").strip():
        chosen["name"] = args["name"].strip()
        filters.append(["name", "like", f"%{chosen['name']}%"])
    for f in filter_fields(meta):
        if f.fieldtype in ("Date", "Datetime"):
            filters.extend(_date_range(f, args, chosen))
            continue
        value = args.get(f.fieldname, "").strip()
        if value == "":
            continue
        chosen[f.fieldname] = value
        op = "like" if f.kind == "text" or f.fieldtype in ("Data", "Phone", "Read Only") else "="
        filters.append([f.fieldname, op, f"%{value}%" if op == "like" else value])
    if meta.is_submittable and args.get("docstatus", "") in ("0", "1", "2"):
        chosen["docstatus"] = args["docstatus"]
        filters.append(["docstatus", "=", int(args["docstatus"])])
    sortable = {"name", "modified", "creation", *(f.fieldname for f in meta.list_view_fields)}
    order_by = f"{meta.sort_field} {meta.sort_order}"
    words = args.get("order_by", "").split()
    if len(words) in (1, 2) and words[0] in sortable:
        order_by = f"{words[0]} {words[1].lower() if len(words) == 2 and words[1].lower() == 'desc' else 'asc'}"
    try:
        page = max(1, int(args.get("page", 1)))
    except ValueError:
        page = 1
    return {"filters": filters, "chosen": chosen, "order_by": order_by, "page": page}


def _date_range(f: Field, args: MultiDict, chosen: dict[str, str]) -> list[list[Any]]:
    """``<field>`` (from) and ``<field>_to`` (to), both days and inclusive; a Datetime matches any
    time on those days. A value that is not a date is reported (flash) and not applied."""
    filters: list[list[Any]] = []
    for key, op in ((f.fieldname, ">="), (f"{f.fieldname}_to", "<")):
        value = args.get(key, "").strip()
        if value == "":
            continue
        try:
            day = parse_date(value)
        except ValueError:
            flash(f"{f.label} {'to' if op == '<' else 'from'}: {value!r} is not a date; use {format_names()[0]}",
                  "error")
            continue
        chosen[key] = day.isoformat()
        if op == "<":  # up to the end of that day
            day += dt.timedelta(days=1)
        filters.append([f.fieldname, op, day.isoformat() if f.fieldtype == "Date" else f"{day.isoformat()} 00:00:00"])
    return filters


@bp.route("/app/<slug>")
@login_required
def doc_list(slug: str):
    meta = _meta(slug)
    if meta.issingle:  # one record and no list: /app/<slug> is its form
        return doc_form(slug, meta.name)
    q = _list_query(meta, request.args)
    columns = [f for f in meta.list_view_fields if f.fieldname != "name"]
    fields = ["name", "modified", *(f.fieldname for f in columns)]
    if meta.is_submittable:
        fields.append("docstatus")
    if meta.title_of != "name" and meta.title_of not in fields:
        fields.append(meta.title_of)
    rows = documents.get_list(meta.name, fields=fields, filters=q["filters"], order_by=q["order_by"],
                              limit_start=(q["page"] - 1) * PAGE_SIZE, limit_page_length=PAGE_SIZE)
    total = documents.get_count(meta.name, filters=q["filters"])
    pages = max(1, math.ceil(total / PAGE_SIZE))

    def list_url(**changes: Any) -> str:
        params = {**q["chosen"], "order_by": request.args.get("order_by", ""), "page": q["page"], **changes}
        params = {k: v for k, v in params.items() if v not in ("", None) and not (k == "page" and v == 1)}
        return url_for("desk.doc_list", slug=meta.slug) + (f"?{urlencode(params)}" if params else "")

    sort_field, _, sort_dir = q["order_by"].partition(" ")
    return render_template(
        "desk/list.html", meta=meta, rows=rows, columns=columns, total=total, page=q["page"], pages=pages,
        page_size=PAGE_SIZE, chosen=q["chosen"], filter_fields=filter_fields(meta), list_url=list_url,
        sort_field=sort_field, sort_dir=sort_dir, can_create=_can_create(meta), docstatus_labels=_DOCSTATUS,
        # A log is ordered by its own time column: a "Last Updated" beside it would repeat it.
        show_modified=not any(f.fieldname == meta.sort_field for f in columns),
    )


def _can_create(meta: DocType) -> bool:
    if meta.name == "User":  # managed by the users service, from its own pages (user_views.py)
        return users.can_manage_users()
    return not meta.read_only and permissions.has_permission(meta.name, "create")


# -- form ------------------------------------------------------------------------------------------
def _perms(meta: DocType, doc: Any) -> dict[str, bool]:
    return {p: permissions.has_permission(meta.name, p, doc) for p in ("write", "create", "delete", "submit", "cancel")}


def _link_options(meta: DocType, editable: list[Field]) -> dict[str, list[str]]:
    """A few names of each Link target the user can read (the datalist; form.js adds matches as you type)."""
    out: dict[str, list[str]] = {}
    fields = list(editable)
    for tf in meta.table_fields:
        if tf in editable:
            fields += registry.child_meta(tf).fields
    for f in fields:
        if f.fieldtype == "Link" and f.options and f.options not in out:
            target = registry.get(f.options)
            out[f.options] = []
            if target is not None and not target.istable and permissions.has_permission(target.name, "read"):
                try:
                    out[f.options] = documents.get_list(target.name, pluck="name", limit_page_length=LINK_OPTIONS)
                except FrappeError:
                    # Suggestions only: a failing Permission Query script on the linked doctype (its run is
                    # in the execution log) must not keep the form from opening.
                    pass
    return out


def _render_form(meta: DocType, values: dict[str, Any], *, is_new: bool, docstatus: int, perms: dict[str, bool],
                 errors: dict[str, str] | None = None, message: str | None = None, stale: bool = False,
                 status: int = 200):
    can_write = perms["create"] if is_new else perms["write"]
    editable = F.editable_fields(meta, docstatus, can_write)
    editable_names = {f.fieldname for f in editable}
    name = values.get("name") or ""
    on_submit_fields = [f for f in meta.fields if f.allow_on_submit and not f.hidden and not f.read_only]
    buttons = {
        "save": bool(editable) and (is_new or docstatus == 0 or (docstatus == 1 and bool(on_submit_fields))),
        "submit": not is_new and meta.is_submittable and docstatus == 0 and perms["submit"],
        "cancel": not is_new and docstatus == 1 and perms["cancel"],
        "delete": not is_new and docstatus != 1 and perms["delete"] and not meta.read_only,
        "rename": not is_new and meta.allow_rename and perms["write"] and not meta.read_only,
        "print": not is_new,
    }
    # Child rows are shown with one spare empty row while editable (the no-JS way to add one).
    rows = {}
    for tf in meta.table_fields:
        current = [dict(r) for r in values.get(tf.fieldname) or []]
        if tf.fieldname in editable_names and (not current or any(v not in ("", None, 0) for v in current[-1].values())):
            current.append({})
        rows[tf.fieldname] = current
    visible = registry.visible_fields(meta)
    editor_fields = {f.fieldname for f in visible if f.fieldtype == "Code" and meta.name in CODE_EDITORS}
    errors = errors or {}
    html = render_template(
        "desk/form.html", meta=meta, values=values, rows=rows, name=name, is_new=is_new, docstatus=docstatus,
        docstatus_label=_DOCSTATUS.get(docstatus, "Draft"), editable=editable_names, buttons=buttons,
        errors=errors, message=F.error_banner(meta, errors, message), stale=stale,
        link_options=_link_options(meta, editable), choices=F.field_choices(meta, values),
        fields=visible, child_meta=registry.child_meta, needs_editor=bool(editor_fields), editor_fields=editor_fields,
        form_layout=F.layout(visible) if any(f.is_layout for f in visible) else None,
        modified=str(values.get("modified") or ""), failed=status != 200,
        extras=FORM_EXTRAS[meta.name](values, is_new) if meta.name in FORM_EXTRAS else None,
    )
    return html, status


def _failed(meta: DocType, exc: ValidationError, values: dict[str, Any], **kw: Any):
    from webapp.errors import TimestampMismatchError

    if isinstance(exc, DoesNotExistError):
        raise exc
    return _render_form(meta, values, errors=F.field_errors(meta, exc), message=exc.message,
                        stale=isinstance(exc, TimestampMismatchError), status=exc.http_status_code, **kw)


@bp.route("/app/<slug>/new", methods=["GET", "POST"])
@login_required
def doc_new(slug: str):
    meta = _meta(slug)
    if meta.issingle:
        return redirect(url_for("desk.doc_list", slug=meta.slug))
    if meta.read_only:
        abort(403, description=f"{meta.name} documents are managed elsewhere and cannot be created here")
    permissions.check(meta.name, "create")
    perms = _perms(meta, None)
    if request.method == "GET":
        prefill = {k: v for k, v in request.args.items() if meta.get_field(k) and not meta.get_field(k).is_table}
        doc = documents.new_doc(meta.name, prefill)
        return _render_form(meta, doc.as_dict(), is_new=True, docstatus=0, perms=perms)
    posted = F.parse_form(meta, request.form, 0, True, True, keep_blank_rows="row_action" in request.form)
    shown = {**documents.new_doc(meta.name).as_dict(), **posted, "name": None}
    if "row_action" in request.form:
        F.apply_row_action(shown, request.form["row_action"])
        return _render_form(meta, shown, is_new=True, docstatus=0, perms=perms)
    try:
        doc = documents.create(meta.name, posted)
    except ValidationError as exc:
        return _failed(meta, exc, {**shown, "__name": posted.get("name")}, is_new=True, docstatus=0, perms=perms)
    _flash_messages()
    flash(f"{meta.name} {doc.name} saved", "success")
    return redirect(_doc_url(meta, doc.name))


@bp.route("/app/<slug>/<path:name>", methods=["GET", "POST"])
@login_required
def doc_form(slug: str, name: str):
    meta = _meta(slug)
    doc = documents.get_doc(meta.name, name)
    docstatus = int(doc.docstatus or 0)
    perms = _perms(meta, doc)
    stored = doc.as_dict()
    if request.method == "GET":
        return _render_form(meta, stored, is_new=False, docstatus=docstatus, perms=perms)
    posted = F.parse_form(meta, request.form, docstatus, perms["write"], False,
                          keep_blank_rows="row_action" in request.form)
    shown = {**stored, **posted}
    if "row_action" in request.form:
        F.apply_row_action(shown, request.form["row_action"])
        return _render_form(meta, shown, is_new=False, docstatus=docstatus, perms=perms)
    if not perms["write"]:
        permissions.check(meta.name, "write", doc)
    try:
        documents.update(meta.name, doc.name, posted)
    except ValidationError as exc:
        return _failed(meta, exc, shown, is_new=False, docstatus=docstatus, perms=perms)
    _flash_messages()
    flash(f"{meta.name} {doc.name} saved", "success")
    return redirect(_doc_url(meta, doc.name))


def _lifecycle(slug: str, name: str, action: str):
    meta = _meta(slug)
    try:
        if action == "delete":
            documents.delete(meta.name, name)
        else:
            doc = documents.get_doc(meta.name, name)
            doc.modified = request.form.get("modified") or None  # a stale page is refused, not applied
            (documents.submit if action == "submit" else documents.cancel)(doc)
    except ValidationError as exc:
        if isinstance(exc, DoesNotExistError):
            raise
        flash(exc.message, "error")
        return redirect(_doc_url(meta, name))
    _flash_messages()
    if action == "delete":
        flash(f"{meta.name} {name} deleted", "success")
        return redirect(url_for("desk.doc_list", slug=meta.slug))
    flash(f"{meta.name} {name} {'submitted' if action == 'submit' else 'cancelled'}", "success")
    return redirect(_doc_url(meta, name))


@bp.post("/app/<slug>/<path:name>/rename")
@login_required
def doc_rename(slug: str, name: str):
    meta = _meta(slug)
    try:
        doc = documents.rename(meta.name, name, request.form.get("new_name", ""))
    except ValidationError as exc:
        if isinstance(exc, DoesNotExistError):
            raise
        flash(exc.message, "error")
        return redirect(_doc_url(meta, name))
    _flash_messages()
    flash(f"{meta.name} {name} renamed to {doc.name}", "success")
    return redirect(_doc_url(meta, doc.name))


def _flash_messages() -> None:
    """What scripts said with frappe.msgprint during the operation, shown after the redirect."""
    for entry in messages.collected():
        flash(entry["message"], "info")


@bp.post("/app/<slug>/<path:name>/submit")
@login_required
def doc_submit(slug: str, name: str):
    return _lifecycle(slug, name, "submit")


@bp.post("/app/<slug>/<path:name>/cancel")
@login_required
def doc_cancel(slug: str, name: str):
    return _lifecycle(slug, name, "cancel")


@bp.post("/app/<slug>/<path:name>/delete")
@login_required
def doc_delete(slug: str, name: str):
    return _lifecycle(slug, name, "delete")
