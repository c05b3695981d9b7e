"""benchmarks/learning.py end to end on its --quick task (the headline rung, a few steps)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import learning as learning_bench

LINES = (
    "whole video",
    "always answer (the constant)",
    "always refuse",
    "after pretrain (refusal only)",
    "after SFT",
    "after GRPO",
)


def load():
    return learning_bench


@pytest.mark.slow
def test_quick_multi_rung_end_to_end(tmp_path, capsys):
    learning = load()
    out = tmp_path / "ladder"
    argv = ["--quick", "--rung", "multi", "--out", str(out), "--grpo-control", "--grpo-pool", "4"]
    assert learning.main(argv) == 0
    printed = capsys.readouterr().out
    res = json.loads((out / "RESULTS.json").read_text())
    assert (out / "rewards.png").stat().st_size > 0
    assert res["budget"] == {"pretrain_steps": 3, "sft_steps": 4, "grpo_steps": 2}
    rung = res["rungs"]["multi"]
    lines = rung["lines"]
    constant = [k for k in lines if k.startswith("best constant")]
    assert len(constant) == 1 and set(LINES) <= set(lines)
    for name in [*LINES, *constant]:
        assert name in printed
        assert {"all", "2 shapes", "3 shapes"} <= set(lines[name]), name
        assert set(learning.COLUMNS) <= set(lines[name]["all"]), name

    # both baselines score grounding on the relevant rows only, and never refuse
    for name in ("whole video", constant[0]):
        b = lines[name]["all"]
        assert b["irrelevant"] == 0 and 0 < b["mIoU"] <= 100
        assert b["refusal_acc"] is None
    assert lines["whole video"]["all"]["R1@0.3"] >= lines["whole video"]["all"]["R1@0.5"]
    refuse, answer = lines["always refuse"]["all"], lines["always answer (the constant)"]["all"]
    assert refuse["refusal_acc"] == 100.0 and refuse["false_refusals"] == 100.0
    assert refuse["mIoU"] == 0.0 and refuse["refusal_auc"] == 50.0
    assert answer["refusal_acc"] == 0.0 and answer["false_refusals"] == 0.0
    assert answer["mIoU"] == lines[constant[0]]["all"]["mIoU"]

    # model rows: aggregated over the seeds, the pretrained model only for refusal
    assert lines["after pretrain (refusal only)"]["all"]["mIoU"] is None
    sft = lines["after SFT"]["all"]
    assert sft["mIoU"]["values"] and sft["refusal_acc"]["mean"] is not None
    # score's refusal_score: AUC and accuracy at the false-refusal rates (percent)
    assert 0.0 <= sft["refusal_auc"]["mean"] <= 100.0
    assert sft["refusal_acc@frr0.1"]["mean"] is not None
    seed = rung["seeds"]["0"]
    assert [seed["stages"][s]["steps"] for s in ("pretrain", "sft", "grpo")] == [3, 4, 2]
    assert all(seed["stages"][s]["seconds"] > 0 for s in seed["stages"])
    assert set(seed["grpo"]) == {
        "iou_reward", "iou_reward_by_pass", "refusal_reward", "refusal_reward_by_pass",
        "group_reward_var", "iou_reward_vs_control"
    }  # fmt: skip
    # a pool of 4 prompts (2 per step of 16 completions): 2 steps per pass
    run_json = json.loads((Path(seed["run"]) / "run.json").read_text())
    assert run_json["config"]["grpo"]["max_rows"] == 4 and run_json["stages"]["grpo"]["rows"] == 4
    assert learning.steps_per_pass(Path(seed["run"])) == 2
    # the no-update control ran over the same prompts: its first step is GRPO's first step
    assert (Path(seed["run"]) / learning.CONTROL / "grpo" / "metrics.jsonl").exists()
    assert seed["control_seconds"] > 0
    assert rung["task"]["val"]["videos"] == 6 and "checks" in rung

    # another rung from this run's pretraining (--pretrained): SFT and GRPO only
    one = tmp_path / "one"
    argv = ["--quick", "--rung", "one", "--out", str(one)]
    assert learning.main([*argv, "--pretrained", seed["run"]]) == 0
    shared = json.loads((one / "RESULTS.json").read_text())["rungs"]["one"]["seeds"]["0"]
    assert shared["stages"]["pretrain"]["shared_from"] == seed["run"]
    assert shared["stages"]["pretrain"]["steps"] == 3 and shared["control_seconds"] is None
    assert not (Path(shared["run"]) / "pretrain").exists()
    assert (Path(shared["run"]) / "grpo" / "final").is_dir()
    assert "iou_reward_vs_control" not in shared["grpo"]
    with pytest.raises(SystemExit, match="no pretrain/final"):
        learning.main([*argv, "--pretrained", str(tmp_path)])


def _part(seed: int, r15: float, task: dict | None = None, budget: dict | None = None) -> dict:
    """A RESULTS.json of one seed of rung 'multi', as learning.py writes it (figures made up)."""
    cols = {"R1@0.5": r15, "mIoU": r15 - 5, "refusal_acc@frr0.1": 90.0, "refusal_auc": 95.0}
    model = {"all": cols}
    const = {"all": {"R1@0.5": 20.0, "mIoU": 30.0}}
    reward = {"first_quarter": 0.5, "last_quarter": 0.6, "steps": 10}
    run = {"run": f"/runs/s{seed}", "wall_seconds": 1.0, "stages": {},
           "lines": {"after SFT": model, "after GRPO": model}, "grpo": {"iou_reward": reward}}  # fmt: skip
    rung = {"rung": {"name": "multi"}, "task": task or {"train": {"videos": 3}},
            "seeds": {str(seed): run},
            "lines": {"best constant 0.2-0.9": const, "after SFT": model, "after GRPO": model}}  # fmt: skip
    return {"rungs": {"multi": rung}, "budget": budget or {"sft_steps": 2000}}


def test_merge_pools_seeds_and_recomputes_the_spread_and_targets():
    learning = load()
    merged = learning.merge_rungs([_part(2, 90.0), _part(0, 50.0)])["multi"]
    assert list(merged["seeds"]) == ["0", "2"]
    r15 = merged["lines"]["after GRPO"]["all"]["R1@0.5"]
    assert r15["mean"] == 70.0 and r15["spread"] == 20.0 and sorted(r15["values"]) == [50, 90]
    assert merged["lines"]["best constant 0.2-0.9"]["all"]["R1@0.5"] == 20.0
    assert merged["checks"]["R1@0.5 >= 2x constant"] is True  # 70 >= 40
    assert merged["checks"]["mIoU >= constant + 15"] is True  # 65 >= 45
    assert merged["checks"]["GRPO IoU reward rises"] is True


def test_merge_checks_each_seed_on_its_own_too():
    learning = load()
    merged = learning.merge_rungs([_part(2, 90.0), _part(0, 42.0)])["multi"]
    assert merged["checks"]["mIoU >= constant + 15"] is True  # mean 61 >= 45
    per_seed = merged["checks_per_seed"]
    assert per_seed["0"]["mIoU >= constant + 15"] is False  # 37 < 45: the mean hides it
    assert per_seed["0"]["R1@0.5 >= 2x constant"] is True  # 42 >= 40
    assert per_seed["2"]["mIoU >= constant + 15"] is True


def test_merge_refuses_a_seed_twice_or_two_tasks():
    learning = load()
    with pytest.raises(SystemExit, match="seed 0 is in two parts"):
        learning.merge_rungs([_part(0, 50.0), _part(0, 60.0)])
    with pytest.raises(SystemExit, match="different tasks"):
        learning.merge_rungs([_part(0, 50.0), _part(1, 60.0, {"train": {"videos": 4}})])
    with pytest.raises(SystemExit, match="different step budgets"):
        learning.merge_rungs([_part(0, 50.0), _part(1, 60.0, budget={"sft_steps": 1000})])


def test_merge_keeps_each_rungs_own_budget():
    """benchmarks/ladder.sh: the side rungs train fewer steps than the headline."""
    learning = load()
    side = _part(0, 90.0, budget={"sft_steps": 1000})
    side["rungs"] = {"one": {**side["rungs"]["multi"], "rung": {"name": "one"}}}
    merged = learning.merge_rungs([_part(0, 50.0), _part(2, 60.0), side])
    assert merged["multi"]["budget"] == {"sft_steps": 2000}
    assert merged["one"]["budget"] == {"sft_steps": 1000}
    assert list(merged["one"]["seeds"]) == ["0"]


def _log(rewards: list[float]) -> list[dict]:
    return [
        {"step": i + 1, "loss": 0.0, "rewards/iou_reward/mean": r} for i, r in enumerate(rewards)
    ]


def test_versus_control_measures_the_gap_over_the_same_prompts():
    learning = load()
    # the prompts get harder: the raw reward falls although GRPO gains on the control
    control = _log([0.5, 0.48, 0.46, 0.44, 0.42, 0.40, 0.38, 0.36])
    grpo = _log([0.5, 0.49, 0.48, 0.47, 0.46, 0.45, 0.44, 0.43])
    raw = learning.reward_trend(grpo, "rewards/iou_reward/mean")
    assert raw["last_quarter"] < raw["first_quarter"]
    vs = learning.versus_control(grpo, control, "rewards/iou_reward/mean")
    assert vs["same_first_step"] is True and vs["steps"] == 8
    assert vs["first_quarter"] == pytest.approx(0.005) and vs["last_quarter"] == pytest.approx(
        0.065
    )
    assert learning.rises([raw]) is False and learning.rises([vs]) is True
    # a control that is not over the same prompts shows at step 1
    assert (
        learning.versus_control(_log([0.9] + [0.5] * 7), control, "rewards/iou_reward/mean")[
            "same_first_step"
        ]
        is False
    )
    assert learning.rises([None, {"first_quarter": None}]) is None
    assert (
        learning.versus_control(grpo[:3], control, "rewards/iou_reward/mean")["last_quarter"]
        is None
    )


def test_checks_use_the_control_where_a_seed_has_one():
    learning = load()
    part = _part(0, 50.0)
    seed = part["rungs"]["multi"]["seeds"]["0"]
    seed["grpo"]["iou_reward"] = {"first_quarter": 0.6, "last_quarter": 0.5, "steps": 10}
    seed["grpo"]["iou_reward_vs_control"] = {
        "first_quarter": 0.0,
        "last_quarter": 0.03,
        "steps": 10,
    }
    checks = learning.merge_rungs([part])["multi"]["checks"]
    assert checks["GRPO IoU reward rises"] is False
    assert checks["GRPO IoU reward rises against its no-update control"] is True
    assert (
        learning.merge_rungs([_part(1, 50.0)])["multi"]["checks"][
            "GRPO IoU reward rises against its no-update control"
        ]
        is None
    )


def test_reward_by_pass_compares_the_same_prompts_and_checks_every_seed():
    learning = load()
    key = "rewards/iou_reward/mean"
    log = [{key: v} for v in [0.40, 0.44, 0.42, 0.50, 0.52, 0.48]]
    by_pass = learning.reward_by_pass(log, key, 3)
    assert by_pass["passes"] == [0.42, 0.5] and by_pass["rise"] == 0.08
    assert by_pass["rise_se"] == round(((0.0004 + 0.0004) / 3) ** 0.5, 4)
    assert learning.reward_by_pass(log, key, 4) is None  # not two whole passes
    assert learning.reward_by_pass(log, key, None) is None  # no pool
    part = _part(0, 50.0)
    part["rungs"]["multi"]["seeds"]["0"]["grpo"]["iou_reward_by_pass"] = by_pass
    name = "GRPO IoU reward rises, last pass over the first (same prompts)"
    assert learning.merge_rungs([part])["multi"]["checks"][name] is True
    part["rungs"]["multi"]["seeds"]["0"]["grpo"]["iou_reward_by_pass"] = {**by_pass, "rise": -0.01}
    assert learning.merge_rungs([part])["multi"]["checks"][name] is False


def test_a_rung_that_stops_after_sft_is_checked_on_its_sft_model():
    learning = load()
    part = _part(0, 50.0)
    rung = part["rungs"]["multi"]
    for lines in (rung["lines"], rung["seeds"]["0"]["lines"]):
        lines["after SFT"] = {"all": {**lines["after SFT"]["all"], "R1@0.5": 30.0}}
        del lines["after GRPO"]
    rung["seeds"]["0"]["grpo"] = None
    checks = learning.merge_rungs([part])["multi"]["checks"]
    assert checks["R1@0.5 >= 2x constant"] is False  # 30 < 2 x 20: the SFT model's figure
    assert not any(k.startswith("GRPO") for k in checks)


def test_pir_reuses_an_earlier_ladders_headline_run_or_says_what_is_missing(tmp_path):
    learning = load()
    results = tmp_path / "RESULTS.json"
    results.write_text(json.dumps(_part(2, 60.0)))
    args = learning.argparse.Namespace(ladder_results=results, seed_list=[2])
    assert learning.earlier_ladder(args)["seeds"]["2"]["run"] == "/runs/s2"
    args.seed_list = [0]
    with pytest.raises(SystemExit, match="no multi run of seed 0"):
        learning.earlier_ladder(args)
    args.ladder_results = None
    assert learning.earlier_ladder(args) is None
