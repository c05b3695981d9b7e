"""A real SIGKILL in the middle of `tvgcurate train` (tiny, CPU), then `--resume`: training
continues from the last complete checkpoint (its weights, optimizer, scheduler and data
position), reaches --max-steps, and metrics.jsonl logs every step once."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.model.test_train_score import SMALL
from tvgcurate.model.trainlog import read_log

pytestmark = pytest.mark.slow

MAX_STEPS = 6  # SMALL saves every 2 steps


def _train(ws, out, *extra, **kw):
    args = [sys.executable, "-m", "tvgcurate", "train", "--workspace", str(ws.root),
            "--stage", "sft", "--recipe", "recipes/tiny-cpu.yaml",
            "--max-steps", str(MAX_STEPS), "--output", str(out), *SMALL, *extra]  # fmt: skip
    return subprocess.Popen(args, env=dict(os.environ, OMP_NUM_THREADS="1"), text=True, **kw)


def _complete_checkpoints(sdir):
    return sorted(int(p.parent.name.split("-")[1]) for p in sdir.glob("checkpoint-*/trainer_state.json"))  # fmt: skip


def _loss_rows(sdir):
    return [r for r in read_log(sdir / "metrics.jsonl") if "loss" in r]


def test_sigkill_after_a_checkpoint_then_resume(grounding_ws, tmp_path):
    out = tmp_path / "run"
    sdir = out / "sft"
    p = _train(grounding_ws, out, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # kill once a checkpoint is complete and a later step is already logged: the resumed run
    # redoes that step, which must then not be logged twice
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and p.poll() is None:
        done = _complete_checkpoints(sdir) if sdir.is_dir() else []
        if done and max((r["step"] for r in _loss_rows(sdir)), default=0) > done[-1]:
            break
        time.sleep(0.005)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    done = _complete_checkpoints(sdir)
    before = _loss_rows(sdir)
    assert done and done[-1] < MAX_STEPS and not (sdir / "final").exists(), "kill it halfway"
    resume_step = done[-1]
    logged = [r["step"] for r in before]
    assert logged == list(range(1, len(logged) + 1)) and logged[-1] > resume_step
    # what a kill while saving the next checkpoint leaves: weights, no trainer_state.json
    torn = sdir / f"checkpoint-{resume_step + 2}"
    if not torn.exists():
        torn.mkdir()
        shutil.copy(sdir / f"checkpoint-{resume_step}" / "model.safetensors", torn)

    rerun = _train(grounding_ws, out, "--resume", stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text, _ = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, text[-3000:]
    assert "missing keys" not in text  # the checkpoint's weights were loaded, not skipped
    run = json.loads((out / "run.json").read_text())
    assert run["stages"]["sft"]["steps"] == MAX_STEPS
    final_state = json.loads((sdir / f"checkpoint-{MAX_STEPS}" / "trainer_state.json").read_text())
    assert final_state["global_step"] == MAX_STEPS
    # the resumed run began at the checkpoint: its first console line is the step after it
    first = next(line for line in text.splitlines() if line.startswith("sft step "))
    assert first.startswith(f"sft step {resume_step + 1}/{MAX_STEPS}"), text[-3000:]

    after = _loss_rows(sdir)
    assert [r["step"] for r in after] == list(range(1, MAX_STEPS + 1))  # each step once
    assert after[:resume_step] == before[:resume_step]  # the rows before the resume point kept
    # the step redone after the checkpoint repeats the killed run's: same weights, optimizer,
    # learning-rate schedule and batch (a run from fresh weights has a far higher loss)
    redo = resume_step  # index of step resume_step + 1
    assert after[redo]["learning_rate"] == pytest.approx(before[redo]["learning_rate"])
    assert after[redo]["loss"] == pytest.approx(before[redo]["loss"], rel=1e-4)
    # cosine schedule without warmup, continued where it stopped
    lr0 = after[0]["learning_rate"]
    for k, r in enumerate(after):
        assert r["learning_rate"] == pytest.approx(
            lr0 * 0.5 * (1 + math.cos(math.pi * k / MAX_STEPS))
        )
