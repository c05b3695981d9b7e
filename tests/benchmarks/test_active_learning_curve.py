"""benchmarks/active_learning_curve.py: the curve that sizes the active-learning experiment
runs on a tiny task and records, per SFT budget, its own run's held-out figures."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_curve_runs_one_sft_per_budget(tmp_path):
    from benchmarks import active_learning_curve as curve

    res = curve.main(["--out", str(tmp_path), "--train-videos", "4", "--val-videos", "2",
                      "--size", "56", "--pretrain-steps", "2", "--steps", "0", "1", "2"])  # fmt: skip
    assert [c["sft_steps"] for c in res["curve"]] == [0, 1, 2]  # 0: the start itself
    for c in res["curve"]:
        assert 0.0 <= c["mIoU"] <= 100.0 and (c["train_seconds"] > 0) == (c["sft_steps"] > 0)
    assert len(res["pretrain_loss_per_100"]) == 1  # 2 steps: one bucket
    # each budget is its own run (its schedule ends where it ends), not a checkpoint
    assert (tmp_path / "seed0" / "sft-1").is_dir() and (tmp_path / "seed0" / "sft-2").is_dir()
    assert not (tmp_path / "seed0" / "sft-0").exists()
    assert json.loads((tmp_path / "CURVE-seed0.json").read_text())["curve"] == res["curve"]
    # --train-seeds: every budget once per training seed, on the same labels
    res = curve.main(["--out", str(tmp_path / "swing"), "--train-videos", "4", "--val-videos",
                      "2", "--size", "56", "--pretrain-steps", "2", "--steps", "0", "1",
                      "--train-seeds", "0", "5"])  # fmt: skip
    assert [(c["sft_steps"], c["train_seed"]) for c in res["curve"]] == [(0, 0), (1, 0), (1, 5)]
    runs = [json.loads((tmp_path / "swing" / "seed0" / d / "run.json").read_text())["config"]
            for d in ("sft-1", "sft-1-t5")]  # fmt: skip
    assert [r["seed"] for r in runs] == [0, 5] and runs[0]["workspace"] == runs[1]["workspace"]


def test_pretrain_losses_average_per_bucket(tmp_path):
    from benchmarks.active_learning_curve import pretrain_losses

    run = tmp_path / "pretrain"
    run.mkdir()
    rows = [{"stage": "pretrain", "step": i, "loss": float(i)} for i in range(1, 6)]
    rows.append({"stage": "pretrain", "train_runtime": 1.0})  # the summary line has no loss
    (run / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert pretrain_losses(tmp_path, every=2) == [1.5, 3.5, 5.0]
