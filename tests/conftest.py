"""Shared test fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
if str(REPO) not in sys.path:  # `from tests.helpers import ...` (--import-mode=importlib)
    sys.path.insert(0, str(REPO))


@pytest.fixture
def shared_data() -> Path:
    """../shared/data (real annotation files); skips the test when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present (realdata)")
    return SHARED_DATA


_DEMO_KW = dict(
    num_videos=6, seed=0, plant_errors=True, width=160, height=120, fps=24,
    min_duration=8, max_duration=12, min_shapes=2, max_shapes=3,
)  # fmt: skip


@pytest.fixture(scope="session")
def demo_kwargs() -> dict:
    """The DemoConfig options (all but `out`) that made `demo_dir`."""
    return dict(_DEMO_KW)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory, demo_kwargs) -> Path:
    """A small `tvgcurate demo-data` directory (6 videos of 8-12 s, 160x120, 24 fps, errors
    planted: every kind at least once), made once per session. Read its ground truth with
    `tvgcurate.demo.data.load_ground_truth(demo_dir)`. Treat it as read-only."""
    from tvgcurate.demo.data import DemoConfig, generate

    out = tmp_path_factory.mktemp("demo") / "demo"
    generate(DemoConfig(out=out, **demo_kwargs))
    return out


@pytest.fixture(scope="session")
def ls_server(tmp_path_factory):
    """ONE real Label Studio for the whole session (tests/labeling/conftest.py says how)."""
    from tests.labeling.conftest import LSServer, server_config
    from tvgcurate.labeling.server import start

    cfg = server_config(tmp_path_factory, "labelstudio")
    media = cfg.media_root
    server = start(cfg)
    creds = server.credentials
    yield LSServer(
        server.url, creds.token, creds.email, creds.password, media, cfg.data_dir, server.pid,
        server.log_path,
    )  # fmt: skip
    server.stop()
