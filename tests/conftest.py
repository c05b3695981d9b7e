"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """../shared/data (real annotation files); skips the test when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present (realdata)")
    return SHARED_DATA
