"""The controllers of DocType, Custom Field and Property Setter (webapp/hooks.py): only System Managers
change them (through any door, even a script using ignore_permissions); names, fields and options are
checked before anything is written; built-in doctypes change only through Custom Field and Property
Setter; and once the rows are written, the table follows (webapp/services/schema.py) and every
process sees the new doctype on its next request (registry_cache.changed()), all in the saving
transaction.

`doc.flags.ignore_links` (set by the import, as in Frappe) lets rows name roles and doctypes that do
not exist here yet; the importer reports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

from webapp import errors
from webapp.customize import registry_cache
from webapp.doctypes import build, registry
from webapp.doctypes.customize import DOCTYPE_PROPERTIES, FIELD_PROPERTIES
from webapp.doctypes.meta import ALL, STANDARD_FIELDS, DocType, Field
from webapp.documents import store
from webapp.documents.coerce import coerce
from webapp.extensions import db
from webapp.services import documents, schema
from webapp.services.context import acting_user
from webapp.services.permissions import roles_of
from webapp.services.users import known_roles

ValidationError = errors.ValidationError


def require_system_manager(what: str) -> None:
    user = acting_user()
    if user != "Administrator" and "System Manager" not in roles_of(user):
        raise errors.PermissionError(f"Not permitted: only a System Manager may change {what} ({user} is not)")


class _SystemManagersOnly:
    what = ""

    def before_insert(self, _doc) -> None:
        require_system_manager(self.what)

    def before_validate(self, _doc) -> None:
        require_system_manager(self.what)

    def on_trash(self, _doc) -> None:
        require_system_manager(self.what)


def _rows(doc, fieldname: str) -> list[dict[str, Any]]:
    return [row.as_dict() for row in doc.get(fieldname) or []]


# -- DocType ------------------------------------------------------------------------------------------
def _reserved_slugs() -> set[str]:
    """Desk pages at /app/<something> of their own: a doctype there would never be reached."""
    out = set()
    for rule in current_app.url_map.iter_rules():
        parts = rule.rule.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "app" and "<" not in parts[1]:
            out.add(parts[1])
    return out


def _check_new_name(name: str) -> None:
    lower = name.lower()
    if registry.is_builtin(name):
        raise ValidationError(f"{name} is a built-in DocType: change it with Custom Field and Property Setter") \
            .for_fields("name")
    for other in registry.all_doctypes():
        if other.name != name and (other.name.lower() == lower or other.slug == name.lower().replace(" ", "-")):
            raise ValidationError(f"DocType name {name!r} is too close to the existing {other.name!r} (names and "
                                  "their /app/ addresses must differ in more than case)").for_fields("name")
    app_tables = {t.lower() for t in db.metadata.tables}
    if f"tab{lower}" in app_tables:
        raise ValidationError(f"DocType name {name!r} is taken by one of the app's own tables (tab{name})") \
            .for_fields("name")
    slug = name.lower().replace(" ", "-")
    if slug in _reserved_slugs() or slug == "new":
        raise ValidationError(f"DocType name {name!r} would live at /app/{slug}, a page of the desk; choose another") \
            .for_fields("name")


def _fill_fieldnames(doc) -> None:
    """A field without a fieldname gets one made of its label (layout breaks: of their type)."""
    taken = {str(r.get("fieldname") or "") for r in doc.get("fields") or []}
    for i, row in enumerate(doc.get("fields") or [], start=1):
        if str(row.get("fieldname") or "").strip():
            row._data["fieldname"] = str(row.get("fieldname")).strip()
            continue
        base = build.scrub(row.get("label")) or build.scrub(row.get("fieldtype")) or "field"
        if str(row.get("fieldtype")) in ("Section Break", "Column Break", "Tab Break") or base in taken:
            base = f"{build.scrub(row.get('fieldtype')) or 'field'}_{i}" if not row.get("label") else f"{base}_{i}"
        row._data["fieldname"] = base
        taken.add(base)


def _check_fields(meta: DocType, rows: list[dict[str, Any]], ignore_links: bool) -> None:
    seen: set[str] = set()
    for row in rows:
        name = build.check_fieldname(row.get("fieldname"), meta.name)
        if name in seen:
            raise ValidationError(f"{meta.name}: the fieldname {name!r} is used twice").for_fields("fields")
        seen.add(name)
    own = {f.fieldname: f for f in meta.fields}
    for f in meta.fields:
        build.check_field(f, meta.name, registry.get, own, creating=meta.name, ignore_links=ignore_links)
        if f.is_table and meta.istable:
            raise ValidationError(f"{meta.name} is a child table: it cannot hold a table of its own ({f.fieldname})") \
                .for_fields("fields")


def _check_permissions(doc, meta: DocType) -> None:
    ignore_links = bool(doc.flags.get("ignore_links"))
    roles = {*known_roles(), ALL, "Guest"}
    for row in doc.get("permissions") or []:
        role = str(row.get("role") or "").strip()
        if not role:
            raise ValidationError(f"{meta.name}: a permission row needs a role").for_fields("permissions")
        if build.to_int(row.get("permlevel")) > 0:
            raise ValidationError(f"{meta.name}: permissions for role {role} are at level {row.get('permlevel')}; "
                                  "only level 0 (the whole document) is supported here").for_fields("permissions")
        if role not in roles and not ignore_links:
            raise ValidationError(f"{meta.name}: role {role!r} does not exist (create it with flask --app wsgi "
                                  "create-user ... --role, or use All)").for_fields("permissions")
        if meta.istable:
            raise ValidationError(f"{meta.name} is a child table: its rows follow their parent's permissions; "
                                  "remove its permission rows").for_fields("permissions")


def _check_doctype(doc) -> DocType:
    name = build.check_doctype_name(doc.get("name"))
    before = doc.get_doc_before_save()
    if before is None:
        _check_new_name(name)
    elif registry.is_builtin(name):
        raise ValidationError(f"{name} is a built-in DocType: change it with Custom Field and Property Setter") \
            .for_fields("name")
    else:
        for prop, what in (("istable", "Is Child Table"), ("issingle", "Is Single")):
            if build.flag(before.get(prop)) != build.flag(doc.get(prop)):
                raise ValidationError(f"{name}: {what} cannot change once the DocType exists; create a new DocType") \
                    .for_fields(prop)
        _refuse_renames(doc, before)
    if build.flag(doc.get("istable")) and (build.flag(doc.get("issingle")) or build.flag(doc.get("is_submittable"))):
        raise ValidationError(f"{name}: a child table cannot be Single or Submittable").for_fields("istable")
    if build.flag(doc.get("issingle")) and build.flag(doc.get("is_submittable")):
        raise ValidationError(f"{name}: a Single cannot be Submittable").for_fields("issingle")
    _fill_fieldnames(doc)
    rows = _rows(doc, "fields")
    for row in rows:
        build.check_fieldtype(row.get("fieldtype"), f"{name}, field {row.get('fieldname')!r}")
    try:
        meta = build.doctype_from_rows(doc.as_dict(), rows, _rows(doc, "permissions"))
    except ValueError as exc:
        raise ValidationError(f"{name}: {exc}") from None
    _check_fields(meta, rows, ignore_links=bool(doc.flags.get("ignore_links")))
    build.check_column_count(meta)
    build.check_autoname(meta.naming, {f.fieldname: f for f in meta.fields}, name)
    _check_named_fields(doc, meta)
    _check_permissions(doc, meta)
    if not meta.value_fields and not meta.issingle:
        raise ValidationError(f"{name}: add at least one field").for_fields("fields")
    return meta


def _check_named_fields(values: Mapping[str, Any], meta: DocType) -> None:
    """title_field, sort_field and search_fields (of a DocType, or set by a Property Setter) name fields."""
    data = {f.fieldname: f for f in meta.data_fields}
    title = str(values.get("title_field") or "").strip()
    if title and title not in data:
        raise ValidationError(f"{meta.name}: Title Field {title!r} is not a field of it").for_fields("title_field")
    sort = str(values.get("sort_field") or "").strip()
    if sort and sort not in data and sort not in STANDARD_FIELDS:
        raise ValidationError(f"{meta.name}: Sort Field {sort!r} is not a field of it").for_fields("sort_field")
    for part in str(values.get("search_fields") or "").split(","):
        if part.strip() and part.strip() not in data:
            raise ValidationError(f"{meta.name}: Search Fields: {part.strip()!r} is not a field of it") \
                .for_fields("search_fields")


def _refuse_renames(doc, before) -> None:
    old = {r.get("name"): r.get("fieldname") for r in before.get("fields") or []}
    for row in doc.get("fields") or []:
        was = old.get(row.get("name"))
        if was and row.get("fieldname") and was != row.get("fieldname"):
            raise ValidationError(
                f"{doc.name}: a field cannot be renamed ({was} -> {row.get('fieldname')}). Add a new field "
                f"{row.get('fieldname')!r} and remove {was!r} instead (its column and data are kept)."
            ).for_fields("fields")


def _users_of(name: str) -> list[str]:
    """What refers to doctype `name`: other doctypes' Table and Link fields, and Server Scripts."""
    out = []
    for other in registry.all_doctypes():
        if other.name == name:
            continue
        for f in other.fields:
            if (f.is_table or f.fieldtype == "Link") and (f.options or "") == name:
                out.append(f"{other.name} (field {f.fieldname})")
    scripts = documents.get_list("Server Script", pluck="name", filters={"reference_doctype": name},
                                 limit_page_length=0, ignore_permissions=True)
    out += [f"Server Script {s}" for s in scripts]
    return out


class DocTypeController(_SystemManagersOnly):
    what = "DocTypes"

    def validate(self, doc) -> None:
        _check_doctype(doc)

    def on_update(self, doc) -> None:
        registry_cache.changed()
        meta = registry.get(doc.name)
        if meta is None:  # pragma: no cover - validate built the same metadata
            raise ValidationError(f"{doc.name} could not be built from its rows")
        schema.apply(meta)

    def on_trash(self, doc) -> None:
        require_system_manager(self.what)
        if registry.is_builtin(doc.name):
            raise ValidationError(f"{doc.name} is a built-in DocType and cannot be deleted")
        meta = registry.get(doc.name)
        if meta is None:  # pragma: no cover - a row the registry could not build
            return
        users = _users_of(meta.name)
        if users:
            raise ValidationError(f"{meta.name} cannot be deleted: {', '.join(users)} refer to it; change them first")
        count = schema.count_rows(meta)
        if count:
            raise ValidationError(f"{meta.name} cannot be deleted while it has {count} document(s); delete them first")
        for dt in ("Custom Field", "Property Setter"):
            key = "dt" if dt == "Custom Field" else "doc_type"
            for other in documents.get_list(dt, pluck="name", filters={key: meta.name}, limit_page_length=0,
                                            ignore_permissions=True):
                documents.delete(dt, other, ignore_permissions=True)

    def after_delete(self, doc) -> None:
        registry_cache.changed()
        if registry.get(doc.name) is None:
            schema.drop(f"tab{doc.name}")
            store.delete_single(doc.name)


# -- Custom Field -------------------------------------------------------------------------------------
def _customizable(name: Any, what: str) -> DocType:
    meta = registry.get(str(name or ""))
    if meta is None:
        raise ValidationError(f"{what}: DocType {name!r} does not exist").for_fields("dt" if what == "Custom Field"
                                                                                     else "doc_type")
    if not meta.customizable or meta.read_only:
        raise ValidationError(f"{what}: {meta.name} cannot be customized (its documents are managed by the app "
                              "itself)").for_fields("dt" if what == "Custom Field" else "doc_type")
    return meta


class CustomFieldController(_SystemManagersOnly):
    what = "Custom Fields"

    def before_naming(self, doc) -> None:
        if not str(doc.get("fieldname") or "").strip():
            doc._data["fieldname"] = build.scrub(doc.get("label")) or build.scrub(doc.get("fieldtype"))
        if not str(doc.get("name") or "").strip():
            doc._data["name"] = f"{doc.get('dt')}-{doc.get('fieldname')}"

    def validate(self, doc) -> None:
        meta = _customizable(doc.get("dt"), "Custom Field")
        build.check_fieldtype(doc.get("fieldtype"), f"Custom Field {doc.name}")
        fieldname = build.check_fieldname(doc.get("fieldname"), f"Custom Field {doc.name}")
        before = doc.get_doc_before_save()
        if before is not None:
            for key, what in (("dt", "Document Type"), ("fieldname", "Fieldname")):
                if before.get(key) != doc.get(key):
                    raise ValidationError(f"Custom Field {doc.name}: its {what} cannot change. Add a new Custom Field "
                                          "and delete this one instead (its column and data are kept).") \
                        .for_fields(key)
        mine = before.get("fieldname") if before is not None else None
        existing = meta.get_field(fieldname)
        if existing is not None and fieldname != mine:
            raise ValidationError(f"Custom Field {doc.name}: {meta.name} already has a field {fieldname!r}") \
                .for_fields("fieldname")
        f = build.field_from_row(doc.as_dict())
        own = {x.fieldname: x for x in meta.fields}
        own[f.fieldname] = f
        build.check_field(f, meta.name, registry.get, own, ignore_links=bool(doc.flags.get("ignore_links")))
        if before is None:
            build.check_column_count(build.customize(meta, [doc.as_dict()], ()))
        if f.is_table and meta.istable:
            raise ValidationError(f"Custom Field {doc.name}: {meta.name} is a child table and cannot hold a table") \
                .for_fields("fieldtype")
        if f.default is not None and f.has_column:
            _check_default(f, f"Custom Field {doc.name}")

    def on_update(self, doc) -> None:
        registry_cache.changed()
        schema.apply(registry.get(doc.get("dt")))

    def after_delete(self, _doc) -> None:
        registry_cache.changed()


def _check_default(f: Field, where: str) -> None:
    if f.fieldtype in ("Date", "Datetime") and str(f.default).lower() in ("today", "now"):
        return
    try:
        coerce(f, f.default)
    except ValidationError as exc:
        raise ValidationError(f"{where}: Default: {exc.message}").for_fields("default") from None


# -- Property Setter ----------------------------------------------------------------------------------
_CHECK_PROPERTIES = ("reqd", "hidden", "in_list_view", "read_only", "in_standard_filter", "allow_on_submit",
                     "fetch_if_empty", "bold", "track_changes")


class PropertySetterController(_SystemManagersOnly):
    what = "Property Setters"

    def before_naming(self, doc) -> None:
        if not str(doc.get("name") or "").strip():
            doc._data["name"] = f"{doc.get('doc_type')}-{doc.get('field_name') or 'main'}-{doc.get('property')}"

    def validate(self, doc) -> None:
        meta = _customizable(doc.get("doc_type"), "Property Setter")
        prop = str(doc.get("property") or "").strip()
        field_name = str(doc.get("field_name") or "").strip()
        level = "DocType" if not field_name else "DocField"
        doc._data["doctype_or_field"] = level
        doc._data["property_type"] = doc.get("property_type") or ("Check" if prop in _CHECK_PROPERTIES else "Data")
        allowed = FIELD_PROPERTIES if level == "DocField" else DOCTYPE_PROPERTIES
        if level == "DocField" and meta.get_field(field_name) is None:
            if doc.flags.get("ignore_links"):
                return
            raise ValidationError(f"Property Setter {doc.name}: {meta.name} has no field {field_name!r}") \
                .for_fields("field_name")
        if prop not in allowed:
            if doc.flags.get("ignore_links"):
                return  # kept as Frappe wrote it; the import reports it changes nothing here
            raise ValidationError(f"Property Setter {doc.name}: {prop!r} is not a property this app applies "
                                  f"{'to a field' if level == 'DocField' else 'to a doctype'}; it can change: "
                                  f"{', '.join(allowed)}").for_fields("property")
        changed = build.customize(meta, (), [doc.as_dict()])
        if level == "DocField":
            f = changed.get_field(field_name)
            build.check_field(f, meta.name, registry.get, {x.fieldname: x for x in changed.fields})
            if prop == "default" and f.default is not None and f.has_column:
                _check_default(f, f"Property Setter {doc.name}")
        else:
            _check_named_fields({prop: doc.get("value")}, changed)

    def on_update(self, doc) -> None:
        registry_cache.changed()
        schema.apply(registry.get(doc.get("doc_type")))

    def after_delete(self, _doc) -> None:
        registry_cache.changed()

