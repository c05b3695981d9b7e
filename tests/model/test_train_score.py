"""train -> score end to end on CPU: tiny model, a few steps, through the CLI."""

import json

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from tvgcurate.cli import app
from tvgcurate.model.trainlog import read_log

pytestmark = pytest.mark.slow

SMALL = [
    "--set",
    "tiny.hidden_size=64",
    "--set",
    "tiny.num_layers=2",
    "--set",
    "tiny.intermediate_size=128",
    "--set",
    "tiny.vision_embed_dim=32",
    "--set",
    "inputs.max_frames=4",
    "--set",
    "sft.per_device_train_batch_size=4",
    "--set",
    "sft.save_steps=2",
    "--set",
    "grpo.num_generations=2",
    "--set",
    "grpo.per_device_train_batch_size=4",
    "--set",
    "grpo.max_completion_length=8",
    "--set",
    "grpo.save_steps=2",
    "--set",
    "report_to=[]",
]


@pytest.fixture(scope="module")
def run(grounding_ws, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run"
    res = CliRunner().invoke(
        app,
        [
            "train",
            "--workspace",
            str(grounding_ws.root),
            "--model",
            "tiny",
            "--stage",
            "both",
            "--recipe",
            "recipes/tiny-cpu.yaml",
            "--max-steps",
            "2",
            "--output",
            str(out),
            *SMALL,
        ],
    )
    assert res.exit_code == 0, res.output + repr(res.exception)
    return out


def test_train_writes_a_run(run):
    meta = json.loads((run / "run.json").read_text())
    assert meta["final"] == "grpo/final"
    assert meta["stages"]["sft"]["steps"] == 2 and meta["stages"]["grpo"]["steps"] == 2
    for stage in ("sft", "grpo"):
        assert (run / stage / "final" / "model.safetensors").exists()
        assert list((run / stage).glob("checkpoint-*/model.safetensors"))
        assert not list((run / stage).rglob("*.bin")) or all(
            p.name == "training_args.bin" for p in (run / stage).rglob("*.bin")
        )
    inputs = json.loads((run / "grpo/final/tvgcurate_inputs.json").read_text())
    assert inputs["timestamp_width"] == 1 and inputs["prompt_template"] == "{query}"


def test_grpo_logs_each_reward_and_group_variance(run):
    rows = [r for r in read_log(run / "grpo" / "metrics.jsonl") if "loss" in r]
    assert len(rows) == 2
    for r in rows:
        assert {"rewards/format_reward/mean", "rewards/iou_reward/mean", "group_reward_var"} <= set(
            r
        )
    sft = [r for r in read_log(run / "sft" / "metrics.jsonl") if "loss" in r]
    assert len(sft) == 2


def test_score_greedy_and_sampled(run, grounding_ws):
    ws = grounding_ws
    runner = CliRunner()
    base = ["score", "-w", str(ws.root), "--checkpoint", str(run), "--split", "val"]
    res = runner.invoke(app, [*base, "--run-id", "greedy"])
    assert res.exit_code == 0, res.output + repr(res.exception)
    assert "R1@0.5" in res.output and "mIoU" in res.output
    res = runner.invoke(app, [*base, "--num-samples", "3", "--run-id", "k3"])
    assert res.exit_code == 0, res.output + repr(res.exception)
    preds = ws.read("predictions")  # the workspace is shared: other tests' runs are in it too
    preds = preds.filter(pc.is_in(preds.column("run_id"), value_set=pa.array(["greedy", "k3"])))
    assert preds.num_rows == 4  # two runs x two val samples; the first run is kept
    k3 = preds.filter(pc.equal(preds.column("run_id"), "k3")).to_pylist()
    assert len(k3) == 2
    for r in k3:
        assert len(r["samples_text"]) == 3
        assert r["iou_spread"] is not None and 0.0 <= r["iou_spread"] <= 1.0
        assert r["raw_text"] == r["samples_text"][0]
        assert all(0.0 <= w["score"] <= 1.0 for w in r["windows"])
    greedy = preds.filter(pc.invert(pc.equal(preds.column("run_id"), "k3"))).to_pylist()
    assert all(r["iou_spread"] is None for r in greedy)


def test_resume_skips_finished_stages(run, grounding_ws):
    before = (run / "grpo/final/model.safetensors").stat().st_mtime_ns
    res = CliRunner().invoke(
        app,
        [
            "train",
            "--workspace",
            str(grounding_ws.root),
            "--stage",
            "both",
            "--recipe",
            "recipes/tiny-cpu.yaml",
            "--max-steps",
            "2",
            "--output",
            str(run),
            "--resume",
            *SMALL,
        ],
    )
    assert res.exit_code == 0, res.output + repr(res.exception)
    assert (run / "grpo/final/model.safetensors").stat().st_mtime_ns == before


def test_resume_continues_from_checkpoint(run, grounding_ws, tmp_path):
    """A stage with a checkpoint but no final model resumes from its last checkpoint."""
    import shutil

    out = tmp_path / "r"
    shutil.copytree(run / "sft", out / "sft")
    shutil.rmtree(out / "sft" / "final")
    res = CliRunner().invoke(
        app,
        [
            "train",
            "--workspace",
            str(grounding_ws.root),
            "--stage",
            "sft",
            "--recipe",
            "recipes/tiny-cpu.yaml",
            "--max-steps",
            "3",
            "--output",
            str(out),
            "--resume",
            *SMALL,
        ],
    )
    assert res.exit_code == 0, res.output + repr(res.exception)
    steps = [r["step"] for r in read_log(out / "sft" / "metrics.jsonl") if "loss" in r]
    assert steps == [1, 2, 3]  # continued at step 3; a restart would log 1, 2 again


def test_bad_inputs_are_one_line_errors(grounding_ws, tmp_path):
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "train",
            "--workspace",
            str(grounding_ws.root),
            "--model",
            str(tmp_path / "nope"),
            "--output",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 2 and "local checkpoint" in res.output
    res = runner.invoke(
        app,
        [
            "train",
            "--workspace",
            str(grounding_ws.root),
            "--output",
            str(tmp_path / "o"),
            "--set",
            "grpo.rewards=[nope]",
        ],
    )
    assert res.exit_code == 2 and "unknown reward" in res.output
    res = runner.invoke(
        app, ["score", "--workspace", str(grounding_ws.root), "--checkpoint", str(tmp_path)]
    )
    assert res.exit_code == 2 and "no model here" in res.output
