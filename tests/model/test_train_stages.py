"""The stage registry `tvgcurate train` runs its plan through, and the trainer plumbing
that the stages share (tvgcurate.model.trainers)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tvgcurate.model import config
from tvgcurate.model.stages import STAGES
from tvgcurate.registry import UnknownChoiceError

MODEL = Path(config.__file__).parent


def test_every_stage_of_every_plan_is_registered_in_order():
    assert STAGES.names() == list(config.STAGE_PLAN["all"])
    for plan in config.STAGE_PLAN.values():
        assert all(name in STAGES and name in config.SECTIONS for name in plan)
    assert set(config.STAGE_PLAN) == set(config.STAGES)


def test_an_unknown_stage_names_the_choices():
    with pytest.raises(UnknownChoiceError, match="training stage 'nope'; choose from: pretrain"):
        STAGES.get("nope")


def _imports(name: str) -> set[str]:
    tree = ast.parse((MODEL / f"{name}.py").read_text(encoding="utf-8"))
    return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}


def test_grpo_takes_its_plumbing_from_trainers_not_from_sft():
    assert "tvgcurate.model.sft" not in _imports("grpo")
    assert "tvgcurate.model.trainers" in _imports("grpo") & _imports("sft")


def test_train_picks_no_stage_by_name():
    """train runs each stage of the plan through STAGES, not through if/elif on its name."""
    tree = ast.parse((MODEL / "train.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name):
            consts = [c.value for c in node.comparators if isinstance(c, ast.Constant)]
            assert not set(consts) & set(STAGES.names()), ast.unparse(node)


def test_a_stage_run_passes_the_run_options():
    from tvgcurate.model.stages import StageRun

    cfg = config.build_config(None, ["seed=3", "report_to=[]"], model="tiny")
    run = StageRun("sft", cfg, cfg.sft, [], None, None, Path("o"), None, None, Path("s"))
    assert run.options() == dict(seed=3, report_to=[], resume=False, console=None)


def test_last_checkpoint_skips_an_unfinished_save(tmp_path):
    from tvgcurate.model.trainers import checkpoint_step, last_checkpoint

    assert last_checkpoint(tmp_path / "none") is None
    for step, done in ((2, True), (4, True), (6, False)):
        ckpt = tmp_path / f"checkpoint-{step}"
        ckpt.mkdir()
        if done:
            (ckpt / "trainer_state.json").write_text(f'{{"global_step": {step}}}')
    assert last_checkpoint(tmp_path) == str(tmp_path / "checkpoint-4")
    assert checkpoint_step(tmp_path / "checkpoint-4") == 4
