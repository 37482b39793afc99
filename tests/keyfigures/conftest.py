from __future__ import annotations

import pytest

from apps.keyfigures.services import ensure_shipped_dataset


@pytest.fixture(autouse=True)
def shipped_key_figures(db) -> None:
    """The shipped dataset as the default version, as migration 0002 leaves it: a test with a
    transactional database empties the tables when it ends, migrated data included."""
    ensure_shipped_dataset()
