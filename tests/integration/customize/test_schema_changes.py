"""The table follows the doctype: fields added get columns, removed fields keep their column and data,
a type change converts the values or is refused naming one, a rename is refused, and a save that fails
leaves nothing half made, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
import sqlalchemy as sa


def _columns(app, table: str) -> dict[str, str]:
    from webapp.extensions import db

    with app.app_context():
        inspector = sa.inspect(db.engine)
        if not inspector.has_table(table):
            return {}
        return {c["name"]: type(c["type"]).__name__.upper() for c in inspector.get_columns(table)}


def _raw(app, sql: str, **params):
    from webapp.extensions import db

    with app.app_context():
        rows = db.session.execute(sa.text(sql), params).all()
        db.session.rollback()
        return rows


def _doctype(client, admin_headers, name: str) -> dict:
    return client.get(f"/api/resource/DocType/{name}", headers=admin_headers).get_json()["data"]


def _save_doctype(client, admin_headers, body: dict):
    return client.put(f"/api/resource/DocType/{body['name']}", json=body, headers=admin_headers)


@pytest.fixture
def book(make_doctype, client, admin_headers):
    make_doctype("Book", [{"label": "Title", "fieldtype": "Data", "reqd": 1},
                          {"label": "Pages", "fieldtype": "Data"},
                          {"label": "Published", "fieldtype": "Date"},
                          {"label": "Isbn", "fieldtype": "Data"}], autoname="field:title")
    for title, pages, published in (("Dune", "412", "1965-08-01"), ("Emma", " 474 ", "1815-12-23"),
                                    ("Ulysses", "", None)):
        r = client.post("/api/resource/Book", json={"title": title, "pages": pages, "published": published,
                                                    "isbn": f"isbn-{title}"}, headers=admin_headers)
        assert r.status_code == 200, r.get_json()
    return _doctype(client, admin_headers, "Book")


def test_adding_a_field_adds_its_column_and_keeps_the_data(app, client, admin_headers, book):
    book["fields"].append({"label": "Author", "fieldtype": "Data", "in_standard_filter": 1})
    r = _save_doctype(client, admin_headers, book)
    assert r.status_code == 200, r.get_json()
    assert "author" in _columns(app, "tabBook")
    r = client.put("/api/resource/Book/Dune", json={"author": "Herbert"}, headers=admin_headers)
    assert r.get_json()["data"]["author"] == "Herbert" and r.get_json()["data"]["pages"] == "412"


def test_a_removed_field_is_hidden_but_its_column_and_data_stay(app, client, admin_headers, book):
    book["fields"] = [f for f in book["fields"] if f["fieldname"] != "isbn"]
    assert _save_doctype(client, admin_headers, book).status_code == 200
    got = client.get("/api/resource/Book/Dune", headers=admin_headers).get_json()["data"]
    assert "isbn" not in got
    assert _raw(app, 'select isbn from "tabBook" where name = :n', n="Dune") == [("isbn-Dune",)]
    book = _doctype(client, admin_headers, "Book")
    book["fields"].append({"label": "Isbn", "fieldname": "isbn", "fieldtype": "Data"})  # back again: so is the data
    assert _save_doctype(client, admin_headers, book).status_code == 200
    assert client.get("/api/resource/Book/Dune", headers=admin_headers).get_json()["data"]["isbn"] == "isbn-Dune"


def test_a_type_change_converts_the_data(app, client, admin_headers, book):
    for f in book["fields"]:
        if f["fieldname"] == "pages":
            f["fieldtype"] = "Int"
        if f["fieldname"] == "published":
            f["fieldtype"] = "Datetime"
    r = _save_doctype(client, admin_headers, book)
    assert r.status_code == 200, r.get_json()
    assert _columns(app, "tabBook")["pages"] == "INTEGER"
    rows = client.get("/api/resource/Book", query_string={"fields": '["name", "pages", "published"]',
                                                          "order_by": "name asc"}, headers=admin_headers)
    assert rows.get_json()["data"] == [{"name": "Dune", "pages": 412, "published": "1965-08-01 00:00:00"},
                                       {"name": "Emma", "pages": 474, "published": "1815-12-23 00:00:00"},
                                       {"name": "Ulysses", "pages": None, "published": None}]
    r = client.get("/api/resource/Book", query_string={"filters": '[["pages", ">", 420]]'}, headers=admin_headers)
    assert r.get_json()["data"] == [{"name": "Emma"}]  # compared as numbers now
    book = _doctype(client, admin_headers, "Book")
    for f in book["fields"]:
        if f["fieldname"] == "pages":
            f["fieldtype"] = "Float"
    assert _save_doctype(client, admin_headers, book).status_code == 200
    assert client.get("/api/resource/Book/Dune", headers=admin_headers).get_json()["data"]["pages"] == 412.0
    assert client.get("/api/resource/Book/Dune", headers=admin_headers).get_json()["data"]["title"] == "Dune"


def test_a_type_change_that_would_not_convert_is_refused_naming_the_value(app, client, admin_headers, book):
    client.put("/api/resource/Book/Emma", json={"pages": "about 470"}, headers=admin_headers)
    for f in book["fields"]:
        if f["fieldname"] == "pages":
            f["fieldtype"] = "Int"
    r = _save_doctype(client, admin_headers, book)
    assert r.status_code == 417
    message = r.get_json()["exception"]
    assert "Pages (pages) cannot become Int" in message and "Book Emma holds 'about 470'" in message
    assert "add a new field of type Int instead" in message
    assert _columns(app, "tabBook")["pages"] == "VARCHAR"  # nothing changed
    assert _doctype(client, admin_headers, "Book")["fields"][1]["fieldtype"] == "Data"
    book = _doctype(client, admin_headers, "Book")
    book["fields"][2]["fieldtype"] = "Int"  # a date never becomes a number
    r = _save_doctype(client, admin_headers, book)
    assert r.status_code == 417 and "holds dates, which do not convert to whole numbers" in r.get_json()["exception"]
    book = _doctype(client, admin_headers, "Book")
    book["fields"][0]["fieldtype"] = "Table"
    book["fields"][0]["options"] = "Book"
    r = _save_doctype(client, admin_headers, book)
    assert r.status_code == 417 and "needs a child table doctype" in r.get_json()["exception"]


def test_shortening_a_field_is_refused_while_a_value_is_longer(client, admin_headers, book):
    client.put("/api/resource/Book/Dune", json={"isbn": "978-0441172719"}, headers=admin_headers)
    book["fields"][3]["length"] = 13  # isbn-Ulysses fits, 978-0441172719 does not
    r = _save_doctype(client, admin_headers, book)
    assert r.status_code == 417 and "Book Dune holds '978-0441172719'" in r.get_json()["exception"]
    book["fields"][3]["length"] = 200
    assert _save_doctype(client, admin_headers, book).status_code == 200
    r = client.put("/api/resource/Book/Dune", json={"isbn": "9" * 200}, headers=admin_headers)
    assert r.status_code == 200


def test_renaming_a_field_is_refused(client, admin_headers, book):
    book["fields"][1]["fieldname"] = "page_count"
    r = _save_doctype(client, admin_headers, book)
    assert r.status_code == 417
    assert "a field cannot be renamed (pages -> page_count). Add a new field 'page_count' and remove 'pages'" in \
        r.get_json()["exception"]


def test_a_failed_save_leaves_no_table_and_no_row(app, client, admin_headers):
    from webapp import hooks

    def fail_after_the_table(doc, event):
        if doc.doctype == "DocType" and event == "on_update":
            raise RuntimeError("after the DDL")

    with app.app_context():
        wiring = hooks.current()
    wiring.doc_listeners.append(fail_after_the_table)
    try:
        r = client.post("/api/resource/DocType", headers=admin_headers, json={
            "name": "Half Made", "fields": [{"label": "A", "fieldtype": "Data"}]})
        assert r.status_code == 500
    finally:
        wiring.doc_listeners.remove(fail_after_the_table)
    assert _columns(app, "tabHalf Made") == {}
    assert client.get("/api/resource/DocType/Half Made", headers=admin_headers).status_code == 404
    with app.app_context():
        from webapp.doctypes import registry

        assert registry.get("Half Made") is None
    # and the same name works afterwards
    r = client.post("/api/resource/DocType", headers=admin_headers, json={
        "name": "Half Made", "fields": [{"label": "A", "fieldtype": "Data"}]})
    assert r.status_code == 200 and "a" in _columns(app, "tabHalf Made")


def test_a_failed_field_addition_leaves_no_column(app, client, admin_headers, book):
    from webapp import hooks

    def fail(doc, event):
        if doc.doctype == "DocType" and event == "on_update":
            raise RuntimeError("after the DDL")

    book["fields"].append({"label": "Extra", "fieldtype": "Int"})
    book["fields"][1]["fieldtype"] = "Int"
    with app.app_context():
        wiring = hooks.current()
    wiring.doc_listeners.append(fail)
    try:
        assert _save_doctype(client, admin_headers, book).status_code == 500
    finally:
        wiring.doc_listeners.remove(fail)
    cols = _columns(app, "tabBook")
    assert "extra" not in cols and cols["pages"] == "VARCHAR"
    assert _raw(app, 'select pages from "tabBook" where name = :n', n="Emma") == [(" 474 ",)]


def test_deleting_a_doctype(app, client, admin_headers, book, make_doctype):
    r = client.delete("/api/resource/DocType/Book", headers=admin_headers)
    assert r.status_code == 417 and "while it has 3 document(s)" in r.get_json()["exception"]
    make_doctype("Review", [{"label": "Book", "fieldtype": "Link", "options": "Book"}])
    for name in ("Dune", "Emma", "Ulysses"):
        client.delete(f"/api/resource/Book/{name}", headers=admin_headers)
    r = client.delete("/api/resource/DocType/Book", headers=admin_headers)
    assert r.status_code == 417 and "Review (field book) refer to it" in r.get_json()["exception"]
    assert client.delete("/api/resource/DocType/Review", headers=admin_headers).status_code == 200
    assert client.delete("/api/resource/DocType/Book", headers=admin_headers).status_code == 200
    assert _columns(app, "tabBook") == {} and _columns(app, "tabReview") == {}
    assert client.get("/api/resource/Book", headers=admin_headers).status_code == 404
