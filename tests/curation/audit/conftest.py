"""Fixtures for the audit tests: the session's planted demo data ingested (the helpers
`ingest_demo` and `oracle_predictions` live in tests/helpers.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import ingest_demo
from tvgcurate.workspace import Workspace


@pytest.fixture(scope="session")
def planted_ws_template(demo_dir, tmp_path_factory) -> Path:
    """demo_dir ingested with probed videos and keyframes (read-only template)."""
    from tvgcurate.curation.keyframes.run import KeyframesConfig, run_keyframes

    root = tmp_path_factory.mktemp("audit") / "ws"
    ingest_demo(demo_dir, root)
    run_keyframes(KeyframesConfig(workspace=root, progress=False))
    return root


@pytest.fixture
def planted_ws(planted_ws_template, tmp_path) -> Workspace:
    """A private copy of the planted workspace (tests may write audits into it)."""
    dst = tmp_path / "ws"
    shutil.copytree(planted_ws_template, dst)
    return Workspace(dst)
