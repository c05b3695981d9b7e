"""A real SIGKILL in the middle of `tvgcurate score`, then a rerun: finished shards are
skipped, and the predictions equal a clean run's (each sample once)."""

import os
import signal
import subprocess
import sys
import time

import pyarrow.compute as pc
import pytest

from tests.model.conftest import make_workspace

pytestmark = pytest.mark.slow


def test_sigkill_then_rerun(tmp_path):
    from tvgcurate.model.loading import save_model
    from tvgcurate.model.score import ScoreConfig, score
    from tvgcurate.model.tiny import TinyConfig, build_tiny

    ws = make_workspace(tmp_path, n_videos=6, n_val=1)
    model, proc = build_tiny(TinyConfig(hidden_size=64, num_layers=2, intermediate_size=128))
    ckpt = save_model(model, proc, tmp_path / "m", {"max_frames": 2, "timestamp_width": 1})
    args = [
        sys.executable, "-m", "tvgcurate", "score", "-w", str(ws.root), "--checkpoint",
        str(ckpt), "--split", "all", "--shard-size", "1", "--batch-size", "1",
        "--run-id", "killed", "--threads", "1", "--no-progress",
    ]  # fmt: skip
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    scratch = ws.root / "work" / "score"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(scratch.rglob("*.done"))) < 3:
        time.sleep(0.2)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    marked = len(list(scratch.rglob("*.done")))
    assert 3 <= marked < 12, "kill the run halfway"
    base = dict(workspace=ws.root, checkpoint=ckpt, split=None, shard_size=1, batch_size=1)
    again = score(ScoreConfig(**base, run_id="killed", progress=False, torch_threads=1))
    assert again.report.skipped >= marked and again.report.computed == 12 - again.report.skipped
    clean = score(ScoreConfig(**base, run_id="clean", progress=False, torch_threads=1))
    t = ws.read("predictions")
    for run in ("killed", "clean"):
        ids = t.filter(pc.equal(t.column("run_id"), run)).column("sample_id").to_pylist()
        assert len(ids) == len(set(ids)) == 12
    key = lambda rows: [(r["sample_id"], r["raw_text"], r["window_text"]) for r in rows]  # noqa: E731
    assert key(again.rows) == key(clean.rows)
