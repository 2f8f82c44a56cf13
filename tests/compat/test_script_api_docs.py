"""The README's Script API table is generated from the namespace (scripts/script_api_table.py) and
the namespace covers at least 90% of Frappe's names (tests/compat/frappe_names.txt), every other
one left out with a documented reason."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def table():
    spec = importlib.util.spec_from_file_location("script_api_table", ROOT / "scripts" / "script_api_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def namespace(app, table):
    with app.test_request_context("/api/method/table"):
        yield table._namespace()


def test_the_readme_table_is_the_namespace(app, table, namespace):
    with app.test_request_context("/api/method/table"):
        block = table.render(namespace)
    readme = (ROOT / "README.md").read_text()
    assert table.current_block(readme) == block, "README.md drifted: run .venv/bin/python scripts/script_api_table.py --write"


def test_at_least_90_percent_of_frappes_names_resolve(table, namespace):
    covered, missing = table.coverage(namespace)
    share = len(covered) / (len(covered) + len(missing))
    assert share >= 0.9, f"{len(covered)} of {len(covered) + len(missing)} ({share:.0%}); missing: {missing}"


def test_every_name_left_out_says_why(table, namespace):
    _, missing = table.coverage(namespace)
    assert [name for name in missing if table.left_out_reason(name) is None] == []
    # and no reason is kept for a name that is there now
    covered, _ = table.coverage(namespace)
    assert [name for name in covered if table.left_out_reason(name)] == []


def test_the_coverage_check_can_fail(table, namespace):
    crippled = {k: v for k, v in namespace.items() if k != "frappe"}
    covered, missing = table.coverage(crippled)
    assert len(covered) / (len(covered) + len(missing)) < 0.9
