"""Fixtures for build-irrelevant tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import samples_workspace


@pytest.fixture
def make_ws(tmp_path):
    """Factory: rows -> a workspace (path) whose samples table holds them."""
    counter = iter(range(10**6))

    def make(rows) -> Path:
        return samples_workspace(tmp_path / f"ws{next(counter)}", rows)

    return make
