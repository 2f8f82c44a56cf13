"""A Permission Query's condition text is read the way the database reads it: accepted only when it is
one self-contained expression, with Frappe's MariaDB quoting turned into PostgreSQL's there."""

from __future__ import annotations

import pytest

from webapp.documents.query import _checked_condition
from webapp.errors import ValidationError


def check(text: str, dialect: str = "sqlite") -> str:
    return _checked_condition(text, dialect, "Server Script 'S'")


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@pytest.mark.parametrize("condition", [
    "owner = 'ann@example.com'",
    "(status = 'Open' OR priority = 'High') AND docstatus < 2",
    "description LIKE '%(%' AND description != ')'",  # parentheses inside a string do not count
    "description = 'it''s -- not a comment; nor /* this */'",
    '"tabToDo".owner = \'x\'',
    "name IN (SELECT name FROM \"tabToDo\" WHERE status = 'Open')",
    "creation > '2024-01-01 10:00:00'",
])
def test_ordinary_conditions_pass(condition, dialect):
    out = check(condition, dialect)
    assert out.replace('"', "") == condition.replace('"', "")


def test_postgresql_gets_double_quotes_for_backquoted_and_unquoted_doctype_tables():
    assert check("`tabToDo`.`owner` = 'a`b'", "postgresql") == "\"tabToDo\".\"owner\" = 'a`b'"
    assert check("tabToDo.owner = 'x' AND `tabExpense Claim`.name = 'y'", "postgresql") == \
        "\"tabToDo\".owner = 'x' AND \"tabExpense Claim\".name = 'y'"
    assert check('`a"b` = 1', "postgresql") == '"a""b" = 1'
    # Only real doctype tables, only as whole words, never inside strings.
    assert check("mytabToDo = 'tabToDo' AND tabtodo = 1", "postgresql") == "mytabToDo = 'tabToDo' AND tabtodo = 1"
    # SQLite reads backquotes itself: untouched.
    assert check("`tabToDo`.`owner` = 'x'") == "`tabToDo`.`owner` = 'x'"


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@pytest.mark.parametrize("condition,why", [
    ("1=1; DELETE FROM `tabToDo`", "';' may not appear"),
    ("1=0) OR (1=1", "closes a parenthesis"),
    ("(1=1", "'(' is not closed"),
    ("1=1 -- rest", "comments"),
    ("1=1 /* x */", "comments"),
    ("owner = 'x", "string literal is not closed"),
    ('"owner = 1', "quoted name is not closed"),
    ("`owner = 1", "quoted name is not closed"),
    ("owner = 'it''s) OR (1=1", "string literal is not closed"),
    ("owner = $$x$$", "'$' may not appear"),
    ("owner = ?", "'?' may not appear"),
    ("owner = 'a\x00'", "NUL"),
    ("x" * 100_001, "longer than"),
])
def test_conditions_that_could_escape_are_refused(condition, why, dialect):
    with pytest.raises(ValidationError) as caught:
        check(condition, dialect)
    assert why in str(caught.value)
    assert "Server Script 'S'" in str(caught.value)


def test_sqlite_bracket_names_hide_nothing():
    # SQLite reads [..] as a quoted name: a ")" inside it must not count (nor be missed) either way.
    assert check("[weird)name] = 1") == "[weird)name] = 1"
    with pytest.raises(ValidationError):
        check("[(]) OR (1=1 [)]")


def test_postgresql_backslashes_in_strings_are_refused():
    # E'\'' is one string on PostgreSQL and two on a reader that ignores the E prefix.
    with pytest.raises(ValidationError, match="backslashes"):
        check("owner = E'\\') OR (1=1 --'", "postgresql")
    assert check("owner = 'a\\b'") == "owner = 'a\\b'"  # SQLite: a backslash is just a character


def test_frappe_db_sql_queries_read_as_postgresql_reads_them(app):
    from webapp.documents.query import postgres_names

    with app.app_context():
        assert postgres_names("select name from tabDocType where name='tabToDo `x`'") == \
            "select name from \"tabDocType\" where name='tabToDo `x`'"  # string literals untouched
        assert postgres_names("select `name` from `tabToDo` t, tabtodo") == 'select "name" from "tabToDo" t, tabtodo'
        assert postgres_names('select "tabToDo".name from "tabToDo"') == 'select "tabToDo".name from "tabToDo"'
