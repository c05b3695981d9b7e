"""`tvgcurate loop` end to end against a real Label Studio (the session's server from
tests/labeling): two rounds of train → score → audit → push → scripted annotation → pull
with consensus on a small demo workspace; a crash inside a step resumes there."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.helpers import ingest_demo
from tvgcurate.cli import app
from tvgcurate.workspace import Workspace

pytestmark = [pytest.mark.slow, pytest.mark.server]

# A person at the labeling UI, simulated: the true window of the shape a query names, marked
# in frames at the task's fps; a query whose shape is absent is marked irrelevant. It
# crashes once, on its third task, while CRASH_FILE exists (then deletes it).
ANNOTATOR = """
import json, os
from pathlib import Path
from tvgcurate.loop import moment_result

TRUTH = {q["sample_id"]: q for q in json.loads(Path(%(gt)r).read_text())["queries"]}
CRASH = Path(%(crash)r)
SEEN = []

def annotate(task):
    SEEN.append(task["id"])
    if CRASH.exists() and len(SEEN) == 3:
        CRASH.unlink()
        raise RuntimeError("annotator crashed")
    data = task["data"]
    q = TRUTH.get(data["sample_id"])
    if q is None or not q.get("shape"):
        return moment_result([], data["fps"], "irrelevant")
    s = q["shape"]
    return moment_result([(s["start"], s["end"])], data["fps"], "relevant")
"""


def test_two_rounds_against_label_studio_with_a_crash(ls_server, tmp_path, monkeypatch):
    from tvgcurate.curation.keyframes.run import KeyframesConfig, run_keyframes
    from tvgcurate.demo.data import DemoConfig, generate

    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_server.token)
    # the videos must lie under the server's document root (the media root's parent)
    demo = ls_server.media_root / "loop-demo"
    generate(DemoConfig(out=demo, num_videos=6, seed=1, width=96, height=64, fps=8,
                        min_duration=6, max_duration=8, min_shapes=2, max_shapes=2))  # fmt: skip
    ws = ingest_demo(demo, tmp_path / "ws")
    # tiny's frame size (the learning benchmark's): SAA's defaults upscale these 96x64 frames
    # to up to 759 tokens each, which made every tiny forward pass take seconds
    run_keyframes(KeyframesConfig(workspace=ws.root, budget_tokens=64, min_tokens=4,
                                  max_tokens=16, progress=False))  # fmt: skip
    start_samples = ws.current("samples").version
    crash = tmp_path / "crash-once"
    crash.touch()
    script = tmp_path / "annotate.py"
    script.write_text(ANNOTATOR % {"gt": str(demo / "ground_truth.json"), "crash": str(crash)})
    args = ["loop", "-w", ws.root, "--rounds", 2, "--budget", 4, "--labelstudio", ls_server.url,
            "--annotator", script, "--media-root", demo / "videos", "--train-steps", 2,
            "--num-samples", 2, "--encoder", "hashing", "--runs", tmp_path / "runs",
            "--poll", 1, "--wait-timeout", 60]  # fmt: skip
    args = [str(a) for a in args]

    first = CliRunner().invoke(app, args)
    assert first.exit_code != 0 and "annotator crashed" in str(first.exception)
    rec = Workspace(ws.root).meta("loop")["rounds"][0]
    assert rec["current"] == "annotate" and not rec["done"]
    assert sorted(rec["steps"]) == ["audit", "push", "score", "train"]
    assert rec["steps"]["push"]["sent"] == 4

    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "round 1 train" not in again.output  # resumed: round 1 went on from `annotate`
    assert "round 1 annotate: done" in again.output and "round 2 pull: done" in again.output

    state = Workspace(ws.root).meta("loop")
    r1, r2 = state["rounds"]
    assert r1["done"] and r2["done"]
    assert r1["steps"]["train"]["samples_version"] == start_samples
    new1 = r1["steps"]["pull"]["samples_version"]
    assert new1 is not None and new1 > start_samples  # the corrections are a new version
    assert r2["steps"]["train"]["samples_version"] == new1  # round 2 trained on them
    assert r2["steps"]["score"]["predictions_version"] > r1["steps"]["score"]["predictions_version"]
    assert r2["steps"]["audit"]["audits_version"] > r1["steps"]["audit"]["audits_version"]
    assert r1["steps"]["pull"]["consensus"]["accepted"] == 4
    trust = r1["steps"]["audit"]["trust"]
    assert trust["source"] == "held-out" and trust["rows"] > 0  # earned on non-train splits
    ws2 = Workspace(ws.root)
    relabelled = [s for s in ws2.read("samples").to_pylist()
                  if (s.get("origin") or "").startswith("relabel:")]  # fmt: skip
    assert len(relabelled) >= 4

    log = CliRunner().invoke(app, ["log", "-w", str(ws.root)])
    assert log.exit_code == 0 and "active-learning rounds" in log.output
    assert json.dumps(state)  # plain JSON in the manifest


def test_two_out_of_fold_rounds_with_a_budget_in_seconds(ls_server, tmp_path, monkeypatch):
    """`loop --folds 2 --budget-seconds S`: two models per round, each trained without one
    fold of videos and scoring that fold; one predictions run in which every row names the
    fold that scored it; the relabel budget is seconds of video to watch."""
    from tvgcurate.curation.keyframes.run import KeyframesConfig, run_keyframes
    from tvgcurate.demo.data import DemoConfig, generate
    from tvgcurate.folds import assign, fold_of

    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_server.token)
    demo = ls_server.media_root / "loop-folds"
    generate(DemoConfig(out=demo, num_videos=6, seed=2, width=96, height=64, fps=8,
                        min_duration=6, max_duration=8, min_shapes=2, max_shapes=2))  # fmt: skip
    ws = ingest_demo(demo, tmp_path / "ws")
    run_keyframes(KeyframesConfig(workspace=ws.root, budget_tokens=64, min_tokens=4,
                                  max_tokens=16, progress=False))  # fmt: skip
    samples = ws.read("samples").to_pylist()
    train_videos = [s["video_id"] for s in samples if s["split"] == "train"]
    # a seed whose two folds both hold training videos (each fold model needs rows)
    seed = next(i for i in range(50) if len(set(assign(train_videos, 2, i).values())) == 2)
    script = tmp_path / "annotate.py"
    script.write_text(ANNOTATOR % {"gt": str(demo / "ground_truth.json"),
                                   "crash": str(tmp_path / "no-crash")})  # fmt: skip
    args = ["loop", "-w", ws.root, "--rounds", 2, "--folds", 2, "--budget-seconds", 15,
            "--labelstudio", ls_server.url, "--annotator", script, "--media-root",
            demo / "videos", "--train-steps", 1, "--num-samples", 2, "--encoder", "hashing",
            "--runs", tmp_path / "runs", "--poll", 1, "--wait-timeout", 60, "--seed", seed,
            "--project", "loop-folds"]  # fmt: skip
    res = CliRunner().invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    state = Workspace(ws.root).meta("loop")
    r1, r2 = state["rounds"]
    assert r1["done"] and r2["done"]
    for rec in (r1, r2):
        assert len(rec["steps"]["train"]["folds"]) == 2
        assert 0 < rec["steps"]["push"]["seconds"] <= 15 or rec["steps"]["push"]["sent"] == 1
    w = Workspace(ws.root)
    preds = w.read("predictions", r2["steps"]["score"]["predictions_version"]).to_pylist()
    mine = [p for p in preds if p["run_id"] == r2["run_id"]]
    now = {s["sample_id"]: s for s in w.read("samples").to_pylist()}
    assert len(mine) == len(now)  # every row scored once
    assert all(p["fold"] == fold_of(now[p["sample_id"]]["video_id"], 2, seed) for p in mine)
    assert r2["steps"]["train"]["samples_version"] == r1["steps"]["pull"]["samples_version"]
