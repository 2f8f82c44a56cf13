"""Fixtures for the documents layer: an app context acting as Administrator, event recording, cleaning."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.documents.helpers import listener, recorder  # noqa: F401


@pytest.fixture
def ctx(app, db) -> Iterator[None]:
    """Run the test body inside an app context, acting as Administrator."""
    from webapp.services.context import acting_as

    with acting_as("Administrator"):
        yield


@pytest.fixture
def services(ctx):
    from webapp.services import documents

    return documents
