"""`tvgcurate train`'s options reach the config as typed values, and `--set` reaches nested
keys (the training itself is stubbed: tests/model/test_train_score.py runs it)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tvgcurate.cli import app


@pytest.fixture
def captured(monkeypatch):
    import tvgcurate.model.train as train_mod

    seen: dict = {}

    def fake_train(cfg, console=None, fold=None, fold_seed=0):
        seen.update(cfg=cfg, fold=fold, fold_seed=fold_seed)
        return train_mod.TrainResult(cfg.output, cfg.output / "final", {}, {})

    monkeypatch.setattr(train_mod, "train", fake_train)
    return seen


def _train(tmp_path, *args):
    base = ["train", "--workspace", str(tmp_path), "--output", str(tmp_path / "o")]
    return CliRunner().invoke(app, [*base, *args])


def test_flags_and_nested_sets_reach_the_config(tmp_path, captured):
    res = _train(
        tmp_path,
        "--stage", "all", "--max-steps", "7", "--learning-rate", "2e-4", "--loss-type", "yes",
        "--beta", "0.5", "--set", "sft.peft.r=4", "--set", "grpo.trl_args.epsilon=0.2",
        "--set", "grpo.beta=0.1", "--fold", "1/3", "--fold-seed", "2",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    cfg = captured["cfg"]
    assert [cfg.pretrain.max_steps, cfg.sft.max_steps, cfg.grpo.max_steps] == [7, 7, 7]
    assert cfg.sft.learning_rate == 2e-4 and cfg.grpo.learning_rate == 2e-4
    assert cfg.grpo.loss_type == "yes"  # typed: never read back as YAML's True
    assert cfg.grpo.beta == 0.5  # the flag wins over --set
    assert cfg.sft.peft == {"r": 4} and cfg.grpo.peft is None
    assert cfg.grpo.trl_args == {"epsilon": 0.2}
    assert (captured["fold"], captured["fold_seed"]) == ("1/3", 2)


def test_a_set_key_that_does_not_exist_is_one_line(tmp_path, captured):
    res = _train(tmp_path, "--set", "sft.peft_r=4")
    assert res.exit_code == 2 and not captured
    line = [ln for ln in res.output.splitlines() if "peft_r" in ln]
    assert len(line) == 1 and "--set sft.peft_r: unknown key 'peft_r' in 'sft'" in line[0]
