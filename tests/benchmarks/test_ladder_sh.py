"""benchmarks/ladder.sh end to end on learning.py's --quick task: two lanes, one base model,
one merged file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_ladder_runs_two_lanes_from_one_base_and_merges_every_rung(tmp_path):
    env = {**os.environ, "PY": sys.executable, "BASE_PRETRAIN": "3", "SIDE_PRETRAIN": "2",
           "SIDE_SFT": "2", "SIDE_SFT_TEXTURED": "2"}  # fmt: skip
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
    base = str(out / "base" / "multi" / "seed0")
    for rung, seed in (("multi", "0"), ("multi", "2"), ("one", "0")):  # one base model
        pre = rungs[rung]["seeds"][seed]["stages"]["pretrain"]
        assert pre["shared_from"] == base and pre["steps"] == 3
    # the base is scored once per task (its rows kept beside it): the headline's line is
    # both seeds'
    scores = (out / "base" / "multi" / "seed0" / "pretrain").glob("val_scores_*.json")
    assert len(list(scores)) == 2  # the headline and the one-shape task
    line = "after pretrain (refusal only)"
    assert (
        rungs["multi"]["seeds"]["0"]["lines"][line] == rungs["multi"]["seeds"]["2"]["lines"][line]
    )
    assert (out / "base" / "multi" / "seed0" / "trained.json").exists()  # what lane 2 waits on
    textured = rungs["textured"]["seeds"]["2"]
    assert textured["stages"]["pretrain"]["shared_from"].endswith("textured_base/textured/seed2")
    assert textured["stages"]["pretrain"]["steps"] == 2
    # the side rungs stop after SFT: their targets are the SFT model's, no GRPO checks
    assert textured["grpo"] is None and "after GRPO" not in textured["lines"]
    assert textured["stages"]["sft"]["steps"] == 2
    assert not any(k.startswith("GRPO") for k in rungs["one"]["checks"])
    assert "GRPO refusal AUC >= SFT's" in rungs["multi"]["checks"]
    # every task was built once, under tasks/, and the runs hold none
    assert sorted(p.name for p in (out / "tasks").iterdir()) == ["multi", "one", "textured"]
    assert not (out / "multi_s0" / "multi" / "ws").exists()
    assert "checks_per_seed" in rungs["multi"] and (out / "merged" / "rewards.png").exists()
    assert "ladder in" in res.stdout


def test_ladder_refuses_a_budget_that_is_not_a_number_of_steps(tmp_path):
    env = {**os.environ, "SIDE_SFT": "many"}
    res = subprocess.run(
        ["bash", "benchmarks/ladder.sh", str(tmp_path / "x")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert res.returncode == 2 and "SIDE_SFT must be a positive number of steps" in res.stderr
    assert not (tmp_path / "x").exists()
