"""Fixtures for the compatibility suite: the Server Script helpers of tests/integration/scripts."""

from tests.integration.scripts.conftest import admin_headers, enable_scripts, logs, make_script  # noqa: F401
