"""benchmarks/ladder.sh end to end on learning.py's --quick task: two lanes, one merged file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_ladder_runs_two_lanes_and_merges_every_rung(tmp_path):
    env = {**os.environ, "PY": sys.executable, "SIDE_PRETRAIN": "shared"}
    out = tmp_path / "ladder"
    res = subprocess.run(
        ["bash", "benchmarks/ladder.sh", str(out), "--quick"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    merged = json.loads((out / "merged" / "RESULTS.json").read_text())
    rungs = merged["rungs"]
    assert set(rungs) == {"multi", "one", "textured"}
    assert list(rungs["multi"]["seeds"]) == ["0", "2"]  # the headline: both lanes' seeds
    assert list(rungs["one"]["seeds"]) == ["0"] and list(rungs["textured"]["seeds"]) == ["2"]
    # the side rungs started from their lane's headline pretraining
    one = rungs["one"]["seeds"]["0"]["stages"]["pretrain"]
    assert one["shared_from"] == str(out / "multi_s0" / "multi" / "seed0")
    assert "checks_per_seed" in rungs["multi"] and (out / "merged" / "rewards.png").exists()
    assert "ladder in" in res.stdout


def test_ladder_refuses_an_unknown_side_pretraining(tmp_path):
    env = {**os.environ, "SIDE_PRETRAIN": "both"}
    res = subprocess.run(
        ["bash", "benchmarks/ladder.sh", str(tmp_path / "x")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert res.returncode == 2 and "SIDE_PRETRAIN must be own or shared" in res.stderr
    assert not (tmp_path / "x").exists()
