"""Fixtures for build-irrelevant tests."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from tvgcurate.workspace import Workspace


@pytest.fixture
def make_ws(tmp_path):
    """Factory: rows -> a workspace (path) whose samples table holds them."""
    counter = iter(range(10**6))

    def make(rows) -> Path:
        root = tmp_path / f"ws{next(counter)}"
        Workspace(root, create=True).write("samples", pa.Table.from_pylist(rows))
        return root

    return make
