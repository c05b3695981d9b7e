"""Regression: a composed `partial` query that equals an existing (video, query) pair is
skipped and replaced by another candidate, never an internal error (issue 16)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import ingest_demo
from tvgcurate.curation.irrelevant import IrrelevantConfig, build_irrelevant
from tvgcurate.curation.irrelevant.text import normalise
from tvgcurate.errors import TvgError
from tvgcurate.workspace import Workspace


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory, demo_dir) -> Path:
    root = tmp_path_factory.mktemp("partial") / "ws"
    ingest_demo(demo_dir, root, videos=False)
    return root


def _unique(root: Path) -> None:
    rows = Workspace(root).read("samples").to_pylist()
    assert len({r["sample_id"] for r in rows}) == len(rows)
    source = {(r["video_id"], normalise(r["query"])) for r in rows if r["origin"] == "source"}
    synthetic = [(r["video_id"], normalise(r["query"])) for r in rows if r["origin"] != "source"]
    assert synthetic and len(set(synthetic)) == len(synthetic)  # (the demo's own rows may repeat)
    assert not source & set(synthetic)


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(0, 200), ratio=st.sampled_from([0.2, 0.5, 1.0]))
def test_partial_never_repeats_a_pair(demo_ws, tmp_path_factory, hashing, seed, ratio):
    import shutil

    root = tmp_path_factory.mktemp("run") / "ws"
    shutil.copytree(demo_ws, root)
    cfg = IrrelevantConfig(workspace=root, strategies=("partial",), ratio=ratio, seed=seed,
                           progress=False)  # fmt: skip
    try:
        build_irrelevant(cfg, encoder=hashing)
    except TvgError as exc:  # too few donors is the only acceptable refusal
        assert "internal" not in str(exc) and "found only" in str(exc)
        return
    _unique(root)


@pytest.mark.slow
def test_issue_reproduction_seed_12(tmp_path):
    """The exact report: a fresh default demo workspace, partial, --ratio 0.2 --seed 12."""
    exe = str(Path(sys.executable).with_name("tvgcurate"))
    demo, ws = tmp_path / "demo", tmp_path / "ws"
    subprocess.run([exe, "demo-data", "--out", str(demo)], check=True, capture_output=True)
    files = [*demo.glob("qvhighlights/*.jsonl"), *demo.glob("charades/*.txt"),
             *demo.glob("activitynet/*.json")]  # fmt: skip
    subprocess.run([exe, "ingest", *map(str, files), "--workspace", str(ws)], check=True,
                   capture_output=True)  # fmt: skip
    r = subprocess.run([exe, "build-irrelevant", "-w", str(ws), "--strategy", "partial",
                        "--ratio", "0.2", "--seed", "12"], capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 0, r.stderr
    _unique(ws)
    origin = Workspace(ws).read("samples").column("origin")
    assert pc.sum(pc.equal(origin, "synthetic:partial")).as_py() > 0
