"""Does Tempo-R0 `tiny` learn? The task ladder: pretrain stand-in, SFT, PIR-GRPO, on CPU.

The project path end to end: real MP4s rendered by `tvgcurate.demo`, uniform 1 fps SAA
keyframes (4 visual tokens each), then `tvgcurate train --stage all` (pretrain stand-in,
SFT, GRPO; tvgcurate.model.pretrain) and `tvgcurate score` through the library. Three rungs:

- ``one``: one shape per video, in the headline's look (2.5x shapes on grey, so the
  headline's base model serves it). The shortcut: the answer does not depend on the query's
  words, so it is only a sanity rung.
- ``multi`` (the headline): 2-3 shapes per video, each colour once in its video, so the
  query's colour decides the answer; shapes 2.5x demo-data's on a flat grey background, one
  scene (the size of benchmarks/binding.py's drawn shapes: docs/learning.md, run 2).
- ``textured`` (the hard rung): demo-data's textured backgrounds with scene cuts, 2-3 shapes
  of demo-data's size.

Every rung has whole-second windows (the 1 fps frame grid: the frames determine the answer).
Relevant queries: one per shape (two wordings with one shape); irrelevant queries (2 per
video) name a colour absent from the video, the first with a shape kind the video shows.
Held-out videos are scored greedily; the refusal score is `score`'s ``refusal_score``
(P(refusal) at the answer's decision point) when it has one. Every rung prints both
baselines (whole video; best constant window fitted on the training videos), an
always-answer and an always-refuse line, then the model after pretraining (refusal only),
after SFT and after GRPO, split by the number of shapes in the video.

Budgets are optimiser steps (machines differ about 5x in speed); wall time is printed beside
them; float32 on CPU. Every figure is percent (x100, as `tvgcurate.metrics`), the AUC too.

    .venv/bin/python -m benchmarks.learning --out /tmp/tvg_ladder --ladder --seeds 0,1
    .venv/bin/python -m benchmarks.learning --out /tmp/tvg_pir --rung multi --pir
    .venv/bin/python -m benchmarks.learning --out /tmp/tvg_quick --quick --rung multi  # smoke

With `--ladder` the headline rung (multi) runs every seed of `--seeds` and the other rungs
the first; with `--rung X` that rung runs them all. `--pir` (headline rung, first seed):
from one pretrained checkpoint and for the same steps, SFT with irrelevant share 0 and
`--sft-share` (0.44), then from the latter GRPO without the refusal reward, with it, and
with it at irrelevant share 0.5 (the ladder's own multi run is reused when it ran in the same call).
Writes RESULTS.json (everything) and rewards.png (losses and GRPO reward curves) to --out.

`--pretrained OUT/multi/seed0` starts SFT from that run's pretraining instead of pretraining
again (the stand-in plays the base model, and one base model serves every task), so the
other rungs can reuse the headline's; `--pretrain-only` makes such a base, `--grpo-steps 0`
stops after SFT, `--task-root` builds or reuses the tasks in one place, and GRPO replays a
fixed pool of `--grpo-pool` prompts (its reward per pass is over the same prompts).
A model's held-out rows are kept beside it per task (`val_scores_*.json`), so a shared base
is scored once; `trained.json` in a run marks its weights saved. benchmarks/ladder.sh runs
the whole ladder this way as one command (docs/learning.md, run 9).

On several cores, run seeds or rungs as separate processes (one each, `--threads 1`) and pool
them with `--merge DIR ...`: one RESULTS.json with the seeds' means, spreads and targets.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import platform
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from tvgcurate.demo.data import DemoConfig, phrase, video_spec
from tvgcurate.demo.render import COLOURS, DIRECTIONS, SHAPES, render_video
from tvgcurate.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]

RECIPE = REPO / "recipes/tiny-cpu.yaml"
TASK_FILE = "task.json"
TRAINED = "trained.json"  # a ladder run's stages, written once its weights are saved
CONTROL = "grpo_control"  # a ladder run's no-update GRPO control (grpo_control)
CONTROL_LR = 1e-12

# -- task -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rung:
    """One rung of the ladder: how many shapes a video shows and how it looks."""

    name: str
    min_shapes: int
    max_shapes: int
    plain: bool  # one scene, flat background, larger shapes than demo-data's
    what: str
    shape_scale: float = 1.5  # plain rungs: shape size as a multiple of demo-data's
    grey: bool = False  # plain rungs: an achromatic background (binding.py's drawn frames)


RUNGS = {
    # the headline's look (2.5x shapes, grey), so one pretraining serves both (docs/learning.md)
    "one": Rung(
        "one", 1, 1, True, "one large shape per video, grey background (the shortcut)", 2.5, True
    ),
    # shapes 2.5x and a grey background: the size of binding.py's drawn shapes (docs/learning.md)
    "multi": Rung(
        "multi", 2, 3, True, "2-3 large shapes per video, grey background (the headline)", 2.5, True
    ),
    "textured": Rung(
        "textured", 2, 3, False, "2-3 shapes, demo-data's textured scenes with cuts (hard)"
    ),
}
HEADLINE = "multi"


def flat_background(scene, width: int, height: int) -> np.ndarray:
    """A plain rung's background: the scene's colour under demo-data's gradient, no texture
    (the `flat` look; demo-data itself always draws one of its TEXTURES)."""
    rng = np.random.default_rng(scene.seed)  # the same draws as tvgcurate.demo.render's
    y = np.linspace(-1, 1, height)[:, None]
    x = np.linspace(-1, 1, width)[None, :]
    angle = rng.uniform(0, 2 * np.pi)
    grad = 1.0 + 0.18 * (np.cos(angle) * x + np.sin(angle) * y)
    img = np.asarray(scene.rgb, dtype=np.float32)[None, None, :] * grad[..., None]
    return np.clip(img, 0, 255).astype(np.uint8)


def build_task(
    root: Path,
    n_train: int,
    n_val: int,
    seed: int,
    size: int,
    rung: str | Rung = HEADLINE,
    duration: tuple[int, int] = (8, 12),
    shape_seconds: tuple[float, float] = (2.0, 4.0),
    absent_per_video: int = 2,
    whole_seconds: bool = True,
    shape_scale: float | None = None,
    grey: bool | None = None,
) -> Workspace:
    """Render the rung's videos, write videos/samples tables and SAA keyframes (uniform, 1 fps).

    Writes ``root/task.json``: the rung, and per video its shape count and scene cuts.
    """
    from tvgcurate.curation.keyframes.run import KeyframesConfig, run_keyframes

    r = RUNGS[rung] if isinstance(rung, str) else rung
    r = dataclasses.replace(
        r,
        shape_scale=r.shape_scale if shape_scale is None else shape_scale,
        grey=r.grey if grey is None else grey,
    )
    cfg = DemoConfig(
        out=root / "demo",
        num_videos=n_train + n_val,
        seed=seed,
        width=size,
        height=size,
        fps=4,
        min_duration=duration[0],
        max_duration=duration[1],
        min_shapes=r.min_shapes,
        max_shapes=r.max_shapes,
        min_shape_seconds=shape_seconds[0],
        max_shape_seconds=shape_seconds[1],
        num_absent=absent_per_video,
        write_videos=False,
    )
    media = root / "media"
    videos, samples, info = [], [], {}
    for i in range(n_train + n_val):
        spec = video_spec(cfg, i).spec
        vid = f"lv{i:04d}"
        spec.video_id = vid
        rng = np.random.default_rng([seed, i, 7])
        # each colour once per video (the query's colour decides); absent colours for refusal
        colours = [str(c) for c in rng.permutation(list(COLOURS))]
        spec.shapes = [dataclasses.replace(t, colour=colours[k]) for k, t in enumerate(spec.shapes)]
        if r.plain:  # one scene, one flat background colour (and its gradient), larger shapes
            scene = dataclasses.replace(spec.scenes[0], texture="flat")
            if r.grey:  # an achromatic background, as binding.py's drawn frames have
                v = int(rng.integers(0, 141))
                scene = dataclasses.replace(scene, rgb=(v, v, v))
            spec.scenes = [scene]
            spec.shapes = [
                dataclasses.replace(t, size=int(t.size * r.shape_scale)) for t in spec.shapes
            ]
        if whole_seconds:  # windows on the 1 fps frame grid: the frames determine the answer
            spec.shapes = [_whole_seconds(t, spec.duration) for t in spec.shapes]
        path = media / f"{vid}.mp4"
        if not path.exists():
            bgs = None  # demo-data's textures; the plain rungs' scene is flat
            if r.plain:
                bgs = [flat_background(sc, spec.width, spec.height) for sc in spec.scenes]
            render_video(spec, path, backgrounds=bgs)
        split = "train" if i < n_train else "val"
        info[vid] = {"shapes": len(spec.shapes), "cuts": len(spec.cuts)}
        videos.append(
            {
                "video_id": vid,
                "path": path.name,
                "duration_s": spec.duration,
                "fps": float(spec.fps),
                "num_frames": spec.num_frames,
                "width": spec.width,
                "height": spec.height,
                "codec": "h264",
            }
        )
        base = {
            "video_id": vid,
            "split": split,
            "source": "qvhighlights",
            "duration_s": spec.duration,
            "needs_review": False,
        }
        queries = []  # (query, windows, relevance, origin)
        templates = [int(t) for t in rng.permutation(8)]
        if len(spec.shapes) == 1:  # two wordings of the one shape
            tr = spec.shapes[0]
            queries += [
                (phrase(tr.shape, tr.colour, t, tr.direction), [tr], "relevant", "source")
                for t in templates[:2]
            ]
        else:
            queries += [
                (
                    phrase(tr.shape, tr.colour, templates[k], tr.direction),
                    [tr],
                    "relevant",
                    "source",
                )
                for k, tr in enumerate(spec.shapes)
            ]
        shown = [t.shape for t in spec.shapes]
        for a, colour in enumerate(colours[len(spec.shapes) : len(spec.shapes) + absent_per_video]):
            # the first names a shape kind the video shows: only the colour tells it apart
            kind = str(rng.choice(shown)) if a == 0 else str(rng.choice(list(SHAPES)))
            # any direction: a fixed one would tell irrelevant queries apart by text
            q = phrase(kind, colour, templates[a % 2], str(rng.choice(DIRECTIONS)))
            queries.append((q, [], "irrelevant", "synthetic:absent-colour"))
        for q, tracks, relevance, origin in queries:
            n = len(samples)
            samples.append(
                {
                    **base,
                    "sample_id": f"qvhighlights:{split}:{n}",
                    "source_qid": str(n),
                    "origin": origin,
                    "query": q,
                    "windows": [{"start": t.start, "end": t.end} for t in tracks],
                    "relevance": relevance,
                }
            )
    ws = Workspace(root / "ws", create=True)
    with ws.transaction("benchmarks/learning.py") as tx:
        tx.write("videos", pa.Table.from_pylist(videos))
        tx.write("samples", pa.Table.from_pylist(samples))
        tx.set_meta("media_root", str(media))
    run_keyframes(
        KeyframesConfig(
            workspace=ws.root,
            policy="uniform",
            sample_fps=1.0,
            budget_tokens=64,
            min_tokens=4,
            max_tokens=4,
            cache_frames=True,
            progress=False,
        )
    )
    (root / TASK_FILE).write_text(
        json.dumps({"rung": dataclasses.asdict(r), "seed": seed, "videos": info}, indent=1)
    )
    return ws


def _whole_seconds(t, duration: float):
    start = float(min(round(t.start), duration - 1))
    end = float(min(max(round(t.end), start + 1), duration))
    return dataclasses.replace(t, start=start, end=end)


def shape_counts(root: Path) -> dict[str, int]:
    """video_id -> number of shapes it shows (from build_task's task.json)."""
    info = json.loads((root / TASK_FILE).read_text())["videos"]
    return {v: d["shapes"] for v, d in info.items()}


# -- measuring ---------------------------------------------------------------------------


COLUMNS = (
    "R1@0.3",
    "R1@0.5",
    "mIoU",
    "refusal_acc",
    "false_refusals",
    "refusal_auc",
    "refusal_acc@frr0.05",
    "refusal_acc@frr0.1",
)
GROUNDING = ("R1@0.3", "R1@0.5", "mIoU")
HEADERS = {
    "refusal_acc": "refusal acc",
    "false_refusals": "false ref",
    "refusal_auc": "AUC",
    "refusal_acc@frr0.05": "acc@FRR.05",
    "refusal_acc@frr0.1": "acc@FRR.1",
}


def block(rows: list[dict], gts: dict[str, list]) -> dict:
    """The columns over scored rows (score's row dicts); AUC and accuracy@FRR need every row's
    `refusal_score`."""
    from tvgcurate.model.score import headline, summarize

    ok = [r for r in rows if not r.get("error")]
    h = headline(summarize(ok, gts))
    out = {
        "queries": h["queries"],
        "relevant": h["relevant"],
        "irrelevant": h["irrelevant"],
        "R1@0.3": h["R1@0.3"],
        "R1@0.5": h["R1@0.5"],
        "mIoU": h["mIoU"],
        "refusal_acc": h["refusal_acc_irrelevant"],
        "false_refusals": h["false_refusal_rate"],
        "invalid": h["invalid_rate"],
        # score's refusal_score (P(refusal)) through tvgcurate.metrics.refusal_score_metrics
        "refusal_auc": h.get("refusal_auc"),
        "refusal_acc@frr0.05": h.get("refusal_acc@frr0.05"),
        "refusal_acc@frr0.1": h.get("refusal_acc@frr0.1"),
    }
    return out


def measure(rows: list[dict], samples: list[dict], shapes: dict[str, int]) -> dict:
    """{'all': columns, '1 shapes'/'2 shapes'/...: the same by the video's shape count}."""
    from tvgcurate.schemas.sample import gt_windows

    by_id = {s["sample_id"]: s for s in samples}
    gts = {sid: gt_windows(s) for sid, s in by_id.items()}
    out = {"all": block(rows, gts)}
    k_of = {r["sample_id"]: shapes[by_id[r["sample_id"]]["video_id"]] for r in rows}
    for k in sorted(set(k_of.values())):
        out[f"{k} shapes"] = block([r for r in rows if k_of[r["sample_id"]] == k], gts)
    return out


def _row(sid: str, window: tuple[float, float] | None, refusal_score: float) -> dict:
    return {
        "sample_id": sid,
        "windows": [] if window is None else [{"start": window[0], "end": window[1], "score": 1.0}],
        "refused": window is None,
        "refusal_score": refusal_score,
        "error": None,
    }


def best_constant(train_rows: list[dict]) -> tuple[float, float]:
    """The constant window (fractions of the duration, grid 0.05) of best mIoU on `train_rows`."""
    d = np.array([s["duration_s"] for s in train_rows])
    g = np.array([[s["windows"][0]["start"], s["windows"][0]["end"]] for s in train_rows])
    best, best_m = (0.0, 1.0), -1.0
    grid = np.round(np.arange(0, 1.0001, 0.05), 2)
    for a in grid:
        for b in grid[grid > a]:
            inter = np.clip(np.minimum(b * d, g[:, 1]) - np.maximum(a * d, g[:, 0]), 0, None)
            union = np.maximum(b * d, g[:, 1]) - np.minimum(a * d, g[:, 0])
            m = float(np.mean(inter / union))
            if m > best_m:
                best, best_m = (float(a), float(b)), m
    return best


def reference_lines(samples: list[dict], shapes: dict[str, int]) -> dict:
    """Both baselines (relevant rows: grounding only), always-answer and always-refuse (all
    rows; their refusal score is a constant, so AUC 50)."""
    train = [s for s in samples if s["split"] == "train" and s["relevance"] == "relevant"]
    val = [s for s in samples if s["split"] == "val"]
    rel = [s for s in val if s["relevance"] == "relevant"]
    a, b = best_constant(train)

    def const(s, fa, fb):
        return (fa * s["duration_s"], fb * s["duration_s"])

    def grounding_only(m):
        for split in m.values():
            for c in COLUMNS:
                if c not in GROUNDING:
                    split[c] = None
        return m

    return {
        "whole video": grounding_only(
            measure([_row(s["sample_id"], const(s, 0, 1), 0.0) for s in rel], val, shapes)
        ),
        f"best constant {a:.2f}-{b:.2f}": grounding_only(
            measure([_row(s["sample_id"], const(s, a, b), 0.0) for s in rel], val, shapes)
        ),
        "always answer (the constant)": measure(
            [_row(s["sample_id"], const(s, a, b), 0.0) for s in val], val, shapes
        ),
        "always refuse": measure([_row(s["sample_id"], None, 1.0) for s in val], val, shapes),
    }


# -- runs -------------------------------------------------------------------------------


TINY_SETS = ["report_to=[]", "inputs.max_frames=16", "torch_dtype=float32"]
GRPO_REFUSAL = ["grpo.rewards=[format,iou,refusal]", "grpo.reward_weights=[0.2,1.0,1.0]"]
GRPO_NO_REFUSAL = ["grpo.rewards=[format,iou]", "grpo.reward_weights=[0.2,1.0]"]


def steps_sets(stage: str, steps: int) -> list[str]:
    return [f"{stage}.max_steps={steps}", f"{stage}.save_steps={steps}"]


def grpo_sets(args) -> list[str]:
    """Every GRPO run's budget: --grpo-steps of --grpo-batch completions, over a fixed pool
    of --grpo-pool prompts."""
    pool = [] if args.grpo_pool is None else [f"grpo.max_rows={args.grpo_pool}"]
    return (
        steps_sets("grpo", args.grpo_steps)
        + [f"grpo.per_device_train_batch_size={args.grpo_batch}"]
        + pool
    )


def train_run(ws, out: Path, stage: str, model: str, sets: list[str], args, seed: int):
    """One `tvgcurate train` run through the library; (TrainResult, wall seconds)."""
    from tvgcurate.model.config import build_config
    from tvgcurate.model.train import train

    cfg = build_config(
        RECIPE,
        TINY_SETS + [f"tiny.seed={seed}"] + sets + list(args.set),
        workspace=ws.root,
        output=out,
        model=model,
        stage=stage,
        seed=seed,
        torch_threads=args.threads,
    )
    t = time.perf_counter()
    res = train(cfg, console=args.console if args.verbose else None)
    return res, time.perf_counter() - t


def score_rows(ws, model_dir: Path, run_id: str, args) -> list[dict]:
    """The held-out rows scored by `model_dir`, kept beside it for the task they were scored
    on: a shared base model is scored once for every run that starts from it."""
    from tvgcurate.model.score import ScoreConfig, score

    key = hashlib.sha1(str(Path(ws.root).resolve()).encode()).hexdigest()[:10]
    cache = model_dir.parent / f"val_scores_{key}.json"
    if cache.exists() and cache.stat().st_mtime >= (model_dir / "config.json").stat().st_mtime:
        return json.loads(cache.read_text())
    res = score(
        ScoreConfig(
            workspace=ws.root,
            checkpoint=model_dir,
            split="val",
            run_id=run_id,
            batch_size=16,
            torch_threads=args.threads,
        )
    )
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(res.rows))
    tmp.replace(cache)  # whole or absent: the other lane may read it
    return res.rows


def stage_info(res, name: str) -> dict:
    return stage_figures(res.stages[name])


def stage_figures(s: dict) -> dict:
    """A stage's steps, seconds and loss, as `train` records them (TrainResult, run.json)."""
    steps, secs = s["steps"], s["seconds"]
    return {
        "steps": steps,
        "seconds": secs,
        "seconds_per_step": round(secs / steps, 3) if steps else None,
        "train_loss": s.get("train_loss"),
        "rows": s.get("rows"),
        "irrelevant_rows": s.get("irrelevant_rows"),
    }


def read_metrics(path: Path) -> list[dict]:
    from tvgcurate.model.trainlog import read_log

    return read_log(path) if path.exists() else []


def reward_trend(log: list[dict], key: str) -> dict:
    vals = [r[key] for r in log if isinstance(r.get(key), float)]
    if len(vals) < 4:
        return {"first_quarter": None, "last_quarter": None, "steps": len(vals)}
    q = max(1, len(vals) // 4)
    return {
        "first_quarter": round(statistics.mean(vals[:q]), 4),
        "last_quarter": round(statistics.mean(vals[-q:]), 4),
        "steps": len(vals),
    }


def versus_control(log: list[dict], control: list[dict], key: str) -> dict:
    """A GRPO run's reward minus its no-update control's, step by step over the same prompts.

    A quarter's mean reward also moves with which prompts that quarter draws (run 5: seed 0's
    mean IoU reward fell 0.443 -> 0.396 with no update at all), so "the reward rises" is
    measured as the gap to the control growing from the first quarter to the last.
    """
    ours = {r["step"]: r[key] for r in log if isinstance(r.get(key), float)}
    theirs = {r["step"]: r[key] for r in control if isinstance(r.get(key), float)}
    steps = sorted(set(ours) & set(theirs))
    gaps = [ours[s] - theirs[s] for s in steps]
    if len(gaps) < 4:
        return {"first_quarter": None, "last_quarter": None, "steps": len(gaps)}
    q = max(1, len(gaps) // 4)
    first = steps[0]
    return {
        "first_quarter": round(statistics.mean(gaps[:q]), 4),  # GRPO minus control
        "last_quarter": round(statistics.mean(gaps[-q:]), 4),
        "steps": len(gaps),
        # the same model, prompts and sampling seed at step 1: the two must agree there
        "same_first_step": abs(ours[first] - theirs[first]) < 1e-6,
        "control": reward_trend(control, key),
    }


def steps_per_pass(run: Path) -> int | None:
    """GRPO steps in one pass over its fixed pool of prompts (`grpo.max_rows`), from run.json:
    the pool's rows over the prompts a step draws (None: no pool, or not a whole pass)."""
    try:
        meta = json.loads((run / "run.json").read_text())
        grpo, rows = meta["config"]["grpo"], meta["stages"]["grpo"]["rows"]
    except (OSError, ValueError, KeyError):
        return None
    if grpo.get("max_rows") is None:
        return None
    prompts = grpo["per_device_train_batch_size"] * grpo["gradient_accumulation_steps"]
    prompts //= grpo["num_generations"]
    return rows // prompts if prompts and rows >= prompts else None


def reward_by_pass(log: list[dict], key: str, per_pass: int | None) -> dict | None:
    """A GRPO reward's mean over each pass over the same pool of prompts, and the last pass
    minus the first with its standard error (from the step means): the same prompts in both,
    so the difference is the policy's, not the prompts' (no control run needed)."""
    vals = [r[key] for r in log if isinstance(r.get(key), float)]
    if not per_pass or len(vals) < 2 * per_pass:
        return None
    passes = [vals[i : i + per_pass] for i in range(0, len(vals) - per_pass + 1, per_pass)]
    first, last = passes[0], passes[-1]
    se = (statistics.variance(first) / len(first) + statistics.variance(last) / len(last)) ** 0.5
    return {
        "steps_per_pass": per_pass,
        "passes": [round(statistics.mean(p), 4) for p in passes],
        "first_pass": round(statistics.mean(first), 4),
        "last_pass": round(statistics.mean(last), 4),
        "rise": round(statistics.mean(last) - statistics.mean(first), 4),
        "rise_se": round(se, 4),
    }


def grpo_summary(run: Path) -> dict:
    log = [r for r in read_metrics(run / "grpo" / "metrics.jsonl") if "loss" in r]
    per_pass = steps_per_pass(run)
    out = {
        "iou_reward": reward_trend(log, "rewards/iou_reward/mean"),
        "iou_reward_by_pass": reward_by_pass(log, "rewards/iou_reward/mean", per_pass),
        "refusal_reward": reward_trend(log, "rewards/refusal_reward/mean"),
        "refusal_reward_by_pass": reward_by_pass(log, "rewards/refusal_reward/mean", per_pass),
        "group_reward_var": reward_trend(log, "group_reward_var"),
    }
    control = run / CONTROL / "grpo" / "metrics.jsonl"
    if control.exists():
        ctrl = [r for r in read_metrics(control) if "loss" in r]
        out["iou_reward_vs_control"] = versus_control(log, ctrl, "rewards/iou_reward/mean")
    return out


def ladder_grpo_sets(args) -> list[str]:
    """The ladder's GRPO: refusal reward, irrelevant share 0.3, --grpo-steps."""
    return grpo_sets(args) + ["grpo.irrelevant_share=0.3"] + GRPO_REFUSAL + args.refusal_extra


def grpo_control(ws, run: Path, args, seed: int) -> float:
    """The ladder GRPO's no-update control: the same GRPO from the same SFT model, seed and
    prompts at lr 1e-12 (the config refuses 0; float32 weights do not move at that rate), so
    its reward is the prompts' own difficulty. Writes run/CONTROL; returns its wall seconds."""
    ctrl = run / CONTROL
    shutil.rmtree(ctrl, ignore_errors=True)
    sets = ladder_grpo_sets(args) + [f"grpo.learning_rate={CONTROL_LR}"]
    _, secs = train_run(ws, ctrl, "grpo", str(run / "sft" / "final"), sets, args, seed)
    return secs


def scored(ws, run: Path, stage: str, tag: str, samples, shapes, args, refusal_only=False):
    rows = score_rows(ws, run / stage / "final", f"{tag}:{stage}", args)
    m = measure(rows, samples, shapes)
    m["has_refusal_score"] = any(r.get("refusal_score") is not None for r in rows)
    if refusal_only:  # the pretrained model answers yes/no: only its refusal is a question
        for split in m.values():
            if isinstance(split, dict):
                for c in GROUNDING:
                    split[c] = None
    return m


def ladder_seed(ws, root: Path, rung: str, seed: int, samples, shapes, args) -> dict:
    """pretrain -> SFT (irrelevant share --sft-share) -> GRPO (refusal reward, 0.3), one
    `tvgcurate train` run; --pretrain-only stops after pretraining, --pretrained starts from
    an earlier run's, --grpo-steps 0 stops after SFT."""
    run = root / f"seed{seed}"
    shutil.rmtree(run, ignore_errors=True)
    names = [] if args.pretrain_only else ["sft", "grpo"] if args.grpo_steps else ["sft"]
    sets = []
    if "sft" in names:
        sets += steps_sets("sft", args.sft_steps) + [f"sft.irrelevant_share={args.sft_share}"]
    if "grpo" in names:
        sets += ladder_grpo_sets(args)
    shared = args.pretrained  # a base model's stand-in: one pretraining can serve every rung
    if shared is None:  # main() refuses SFT alone without --pretrained
        sets = steps_sets("pretrain", args.pretrain_steps) + sets
        stage, model, pre = ("all" if names else "pretrain"), "tiny", run
    else:
        stage = "both" if "grpo" in names else "sft"
        model, pre = str(shared / "pretrain" / "final"), shared
    say(args, f"[{rung} seed {seed}] training: {plan(args)}")
    res, secs = train_run(ws, run, stage, model, sets, args, seed)
    stages = {name: stage_info(res, name) for name in names}
    if shared is None:
        stages = {"pretrain": stage_info(res, "pretrain"), **stages}
    else:  # its seconds are the shared run's, not counted in this run's wall time
        stages = {"pretrain": {**pretrained_stage(shared), "shared_from": str(shared)}, **stages}
    say(args, f"[{rung} seed {seed}] trained in {secs:.0f}s: " + steps_line(stages))
    (run / TRAINED).write_text(json.dumps(stages, indent=1) + "\n")  # ladder.sh waits on it
    control_secs = None
    if args.grpo_control and "grpo" in names:
        control_secs = round(grpo_control(ws, run, args, seed), 1)
        say(args, f"[{rung} seed {seed}] GRPO's no-update control in {control_secs:.0f}s")
    tag = f"{rung}:seed{seed}"
    lines = {
        "after pretrain (refusal only)": scored(
            ws, pre, "pretrain", tag, samples, shapes, args, True
        ),
    }
    for name in names:
        lines[f"after {name.upper()}"] = scored(ws, run, name, tag, samples, shapes, args)
    return {
        "run": str(run),
        "wall_seconds": round(secs, 1),
        "control_seconds": control_secs,
        "stages": stages,
        "lines": lines,
        "grpo": grpo_summary(run) if "grpo" in names else None,
    }


def earlier_ladder(args) -> dict | None:
    """--ladder-results: the headline rung of an earlier RESULTS.json, whose run of this seed
    (its pretraining, SFT and GRPO) --pir reuses instead of training it again."""
    if args.ladder_results is None:
        return None
    try:
        rung = json.loads(args.ladder_results.read_text())["rungs"][HEADLINE]
        rung["seeds"][str(args.seed_list[0])]["run"]
    except (OSError, ValueError, KeyError) as e:
        raise SystemExit(
            f"--ladder-results {args.ladder_results}: no {HEADLINE} run of seed "
            f"{args.seed_list[0]} in it ({type(e).__name__}: {e})"
        ) from None
    return rung


def pretrained_stage(run: Path) -> dict:
    """The pretraining of an earlier ladder run (--pretrained), from its run.json."""
    try:
        return stage_figures(json.loads((run / "run.json").read_text())["stages"]["pretrain"])
    except (OSError, ValueError, KeyError) as e:
        raise SystemExit(
            f"--pretrained {run}: no finished pretrain stage in run.json ({e})"
        ) from None


def plan(args) -> str:
    pre = f"pretrained {args.pretrained}" if args.pretrained else f"pretrain {args.pretrain_steps}"
    if args.pretrain_only:
        return f"pretrain {args.pretrain_steps} steps only"
    if not args.grpo_steps:
        return f"{pre} + SFT {args.sft_steps} steps"
    return f"{pre} + SFT {args.sft_steps} + GRPO {args.grpo_steps} steps"


def steps_line(stages: dict) -> str:
    return ", ".join(
        f"{k} {v['steps']} steps {v['seconds']:.0f}s ({v['seconds_per_step'] or 0:.2f} s/step)"
        + (" shared" if "shared_from" in v else "")
        for k, v in stages.items()
    )


def mean_spread(values: list) -> dict | None:
    vals = [v for v in values if isinstance(v, (int, float))]
    if not vals:
        return None
    return {
        "mean": round(statistics.mean(vals), 4),
        "spread": round((max(vals) - min(vals)) / 2, 4),  # half the range: 2 seeds -> +-
        "values": vals,
    }


def over_seeds(per_seed: list[dict]) -> dict:
    """line -> split -> column -> {mean, spread (half range), values} over the seeds."""
    out: dict = {}
    for line in per_seed[0]["lines"]:
        out[line] = {}
        for split, cols in per_seed[0]["lines"][line].items():
            if not isinstance(cols, dict):
                continue
            out[line][split] = {
                c: mean_spread([s["lines"][line].get(split, {}).get(c) for s in per_seed])
                for c in cols
            }
    return out


def value(cell) -> float | None:
    return cell["mean"] if isinstance(cell, dict) else cell


def checks(baselines: dict, models: dict, seeds: list[dict]) -> dict:
    """The issue's targets, measured (means over the seeds)."""
    const = next(v for k, v in baselines.items() if k.startswith("best constant"))["all"]
    sft = models["after SFT"]["all"]
    grpo = models["after GRPO"]["all"] if "after GRPO" in models else None
    final = grpo or sft  # the targets of the last stage (side rungs may stop after SFT)
    r15, m = value(final["R1@0.5"]), value(final["mIoU"])
    out = {
        "R1@0.5 >= 2x constant": None if r15 is None else r15 >= 2 * const["R1@0.5"],
        "mIoU >= constant + 15": None if m is None else m >= const["mIoU"] + 15,
    }
    acc, auc = value(final["refusal_acc@frr0.1"]), value(final["refusal_auc"])
    out["refusal acc >= 80 at false refusals <= 0.1"] = None if acc is None else acc >= 80
    out["refusal AUC >= 90"] = None if auc is None else auc >= 90
    if grpo is None:
        return out
    sm, gm = value(sft["mIoU"]), value(grpo["mIoU"])
    out["GRPO mIoU >= SFT's - 2"] = None if None in (sm, gm) else gm >= sm - 2
    sa, ga = value(sft["refusal_auc"]), value(grpo["refusal_auc"])
    out["GRPO refusal AUC >= SFT's"] = None if None in (sa, ga) else ga >= sa
    runs = [s["grpo"] or {} for s in seeds]
    out["GRPO IoU reward rises"] = rises([g.get("iou_reward") for g in runs])
    out["GRPO IoU reward rises, last pass over the first (same prompts)"] = rises_by_pass(
        [g.get("iou_reward_by_pass") for g in runs]
    )
    out["GRPO IoU reward rises against its no-update control"] = rises(
        [g.get("iou_reward_vs_control") for g in runs]
    )
    return out


def seed_checks(baselines: dict, seeds: list, per_seed: list[dict]) -> dict:
    """The same targets for each seed on its own (the means can hide a seed that misses)."""
    return {
        str(seed): checks(baselines, over_seeds([run]), [run])
        for seed, run in zip(seeds, per_seed, strict=True)
    }


def rises(trends: list[dict | None]) -> bool | None:
    """Every seed's last quarter above its first (None: no seed has a trend)."""
    known = [t for t in trends if t and t.get("first_quarter") is not None]
    if not known:
        return None
    return all(t["last_quarter"] > t["first_quarter"] for t in known)


def rises_by_pass(passes: list[dict | None]) -> bool | None:
    """Every seed's last pass over its pool above its first (None: no seed has a pool)."""
    known = [p for p in passes if p]
    return all(p["rise"] > 0 for p in known) if known else None


def run_rung(rung: str, seeds: list[int], args) -> dict:
    root = task_root(rung, args)
    ws = task_for(rung, root, args)
    samples = ws.read("samples").to_pylist()
    shapes = shape_counts(root)
    refs = reference_lines(samples, shapes)
    runs = args.out / rung
    per_seed = [ladder_seed(ws, runs, rung, s, samples, shapes, args) for s in seeds]
    if args.pretrain_only:  # a base model for later runs (--pretrained): no targets
        return {"rung": json.loads((root / TASK_FILE).read_text())["rung"],
                "task": task_stats(samples, shapes), "lines": refs,
                "seeds": {str(s): r for s, r in zip(seeds, per_seed, strict=True)}}  # fmt: skip
    models = over_seeds(per_seed)
    return {
        "rung": json.loads((root / TASK_FILE).read_text())["rung"],  # as built (overrides too)
        "task": task_stats(samples, shapes),
        "seeds": {str(s): r for s, r in zip(seeds, per_seed, strict=True)},
        "lines": {**refs, **models},
        "checks": checks(refs, models, per_seed),
        "checks_per_seed": seed_checks(refs, seeds, per_seed),
    }


def merge_rungs(parts: list[dict]) -> dict:
    """Rungs of several RESULTS.json (seeds or rungs run as separate processes, e.g. one per
    core) as one: their seeds pooled per rung, the means, spreads and targets recomputed.
    A rung's task and step budget must be the same in every part (the same --task-seed and
    sizes); rungs may differ in budget (benchmarks/ladder.sh gives the side rungs fewer steps)."""
    merged: dict = {}
    for part in parts:
        for name, r in part.get("rungs", {}).items():
            m = merged.setdefault(name, {"rung": r["rung"], "task": r["task"], "seeds": {},
                                         "refs": {}, "budget": part.get("budget")})  # fmt: skip
            if r["task"] != m["task"]:
                raise SystemExit(f"--merge: rung {name} was built on different tasks")
            if part.get("budget") != m["budget"]:
                raise SystemExit(f"--merge: rung {name} ran with different step budgets")
            model_lines = set(next(iter(r["seeds"].values()))["lines"])
            m["refs"].update({k: v for k, v in r["lines"].items() if k not in model_lines})
            for seed, sr in r["seeds"].items():
                if seed in m["seeds"]:
                    raise SystemExit(f"--merge: rung {name} seed {seed} is in two parts")
                m["seeds"][seed] = sr
    out = {}
    for name, m in merged.items():
        seeds = dict(sorted(m["seeds"].items(), key=lambda kv: int(kv[0])))
        per_seed = list(seeds.values())
        models = over_seeds(per_seed)
        out[name] = {"rung": m["rung"], "task": m["task"], "budget": m["budget"], "seeds": seeds,
                     "lines": {**m["refs"], **models}, "checks": checks(m["refs"], models, per_seed),
                     "checks_per_seed": seed_checks(m["refs"], list(seeds), per_seed)}  # fmt: skip
    return out


def task_root(rung: str, args) -> Path:
    """Where the rung's task lives: under --task-root (shared by runs) or --out."""
    return (args.task_root or args.out) / rung


def task_for(rung: str, root: Path, args) -> Workspace:
    """The rung's task, built once per call (or reused with --keep, or from --task-root)."""
    built = getattr(args, "tasks", None)
    if built is None:
        built = args.tasks = {}
    if rung in built:
        return built[rung]
    reuse = args.keep or args.task_root is not None
    if reuse and (root / "ws" / "manifest.json").exists() and (root / TASK_FILE).exists():
        built[rung] = Workspace(root / "ws")
        return built[rung]
    shutil.rmtree(root, ignore_errors=True)
    t = time.perf_counter()
    ws = build_task(
        root,
        args.train_videos,
        args.val_videos,
        args.task_seed,
        args.size,
        rung,
        tuple(args.duration),
        tuple(args.shape_seconds),
        args.absent_per_video,
        shape_scale=args.shape_scale,
        grey=args.grey,
    )
    built[rung] = ws
    say(
        args,
        f"[{rung}] task built in {time.perf_counter() - t:.0f}s: "
        f"{ws.current('samples').rows} samples, {ws.current('keyframes').rows} keyframes",
    )
    return ws


def task_stats(samples: list[dict], shapes: dict[str, int]) -> dict:
    out = {}
    for split in ("train", "val"):
        rows = [s for s in samples if s["split"] == split]
        vids = {s["video_id"] for s in rows}
        out[split] = {
            "videos": len(vids),
            "relevant": sum(s["relevance"] == "relevant" for s in rows),
            "irrelevant": sum(s["relevance"] != "relevant" for s in rows),
            "videos_by_shapes": {
                str(k): sum(shapes[v] == k for v in vids) for k in sorted(set(shapes.values()))
            },
        }
    return out


def run_pir(args, ladder: dict | None) -> dict:
    """PIR side by side on the headline rung, first seed, from one pretrained checkpoint."""
    rung, seed = HEADLINE, args.seed_list[0]
    root = task_root(rung, args)
    ws = task_for(rung, root, args)
    samples = ws.read("samples").to_pylist()
    shapes = shape_counts(root)
    base = (ladder or {}).get("seeds", {}).get(str(seed))
    if base is None:  # the ladder's multi run: pretrain -> SFT --sft-share -> GRPO refusal 0.3
        base = ladder_seed(ws, args.out / rung, rung, seed, samples, shapes, args)
    run = Path(base["run"])
    shared = base["stages"].get("pretrain", {}).get("shared_from")  # a ladder.sh base model
    pre = args.pretrained or (Path(shared) if shared else run)  # the run's pretraining
    pir = args.out / "pir"
    shutil.rmtree(pir, ignore_errors=True)
    ladder_sft = f"SFT, irrelevant {args.sft_share:g}"
    out: dict = {
        "rung": rung,
        "seed": seed,
        "pretrained": str(pre / "pretrain" / "final"),
        "runs": {
            ladder_sft: {
                "from": "pretrain",
                "run": str(run),
                "stage": base["stages"]["sft"],
                "val": base["lines"]["after SFT"],
            },
        },
    }
    # SFT without irrelevant rows, from the same pretrained checkpoint
    say(args, f"[pir] SFT, irrelevant 0: {args.sft_steps} steps")
    res, _ = train_run(
        ws,
        pir / "sft0",
        "sft",
        str(pre / "pretrain" / "final"),
        steps_sets("sft", args.sft_steps) + ["sft.irrelevant_share=0.0"],
        args,
        seed,
    )
    out["runs"] = {
        "SFT, irrelevant 0": {
            "from": "pretrain",
            "run": str(pir / "sft0"),
            "stage": stage_info(res, "sft"),
            "val": scored(ws, pir / "sft0", "sft", "pir:sft0", samples, shapes, args),
        },
        **out["runs"],
    }
    variants = {
        "GRPO, no refusal reward, irrelevant 0.3": GRPO_NO_REFUSAL + ["grpo.irrelevant_share=0.3"],
        "GRPO, refusal reward, irrelevant 0.3": None,  # the ladder's own GRPO
        "GRPO, refusal reward, irrelevant 0.5": GRPO_REFUSAL
        + args.refusal_extra
        + ["grpo.irrelevant_share=0.5"],
    }
    for i, (name, sets) in enumerate(variants.items()):
        if sets is None:
            out["runs"][name] = {
                "from": ladder_sft,
                "run": str(run),
                "stage": base["stages"]["grpo"],
                "val": base["lines"]["after GRPO"],
                "grpo": base["grpo"],
            }
            continue
        rdir = pir / f"grpo{i}"
        say(args, f"[pir] {name}: {args.grpo_steps} steps")
        res, _ = train_run(
            ws,
            rdir,
            "grpo",
            str(run / "sft" / "final"),
            grpo_sets(args) + sets,
            args,
            seed,
        )
        out["runs"][name] = {
            "from": ladder_sft,
            "run": str(rdir),
            "stage": stage_info(res, "grpo"),
            "val": scored(ws, rdir, "grpo", f"pir:grpo{i}", samples, shapes, args),
            "grpo": grpo_summary(rdir),
        }
    return out


# -- output -----------------------------------------------------------------------------


def plot(results: dict, path: Path) -> None:
    """Pretrain/SFT loss and the GRPO runs' mean IoU and refusal rewards per step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grpo_runs, loss_runs, pretrain_offset = {}, {}, {}
    for rung, r in results.get("rungs", {}).items():
        for seed, s in r["seeds"].items():
            pre = s["stages"].get("pretrain") or {}
            if pre.get("shared_from"):  # a base model's pretraining, drawn once
                base = Path(pre["shared_from"])
                loss_runs.setdefault(f"base {base.parent.name} {base.name}", base)
                pretrain_offset[f"{rung} s{seed}"] = pre.get("steps") or 0
            loss_runs[f"{rung} s{seed}"] = Path(s["run"])
            if s.get("grpo"):
                grpo_runs[f"{rung} s{seed} (refusal reward, 0.3)"] = Path(s["run"])
            if (Path(s["run"]) / CONTROL).exists():
                grpo_runs[f"{rung} s{seed} no-update control"] = Path(s["run"]) / CONTROL
    for name, r in results.get("pir", {}).get("runs", {}).items():
        if name.startswith("GRPO") and Path(r["run"]) not in grpo_runs.values():
            grpo_runs[f"pir: {name[6:]}"] = Path(r["run"])
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.2))
    for ci, (name, run) in enumerate(loss_runs.items()):
        offset = pretrain_offset.get(name, 0)  # SFT after a shared pretraining starts after it
        for stage, style in (("pretrain", ":"), ("sft", "-")):
            log = [r for r in read_metrics(run / stage / "metrics.jsonl") if "loss" in r]
            if log:
                axes[0].plot(
                    [offset + r["step"] for r in log],
                    [r["loss"] for r in log],
                    style,
                    color=f"C{ci}",
                    label=f"{name} {stage}",
                    lw=0.8,
                )
                offset += log[-1]["step"]
    axes[0].set_title("pretrain (dotted) then SFT loss (log scale)")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("step")
    for ax, key, title in (
        (axes[1], "iou_reward", "GRPO IoU reward (5-step mean; dotted: each pass's mean)"),
        (axes[2], "refusal_reward", "GRPO refusal reward (mean, 5-step mean)"),
    ):
        for ci, (name, run) in enumerate(grpo_runs.items()):
            rows = [
                r
                for r in read_metrics(run / "grpo" / "metrics.jsonl")
                if isinstance(r.get(f"rewards/{key}/mean"), float)
            ]
            if not rows:
                continue
            y = np.array([r[f"rewards/{key}/mean"] for r in rows])
            k = min(5, len(y))
            smooth = np.convolve(y, np.ones(k) / k, mode="valid")
            style = "--" if name.endswith("control") else "-"
            ax.plot([r["step"] for r in rows][k - 1 :], smooth, style, label=name, color=f"C{ci}")
            by_pass = reward_by_pass(rows, f"rewards/{key}/mean", steps_per_pass(run))
            for i, mean in enumerate((by_pass or {}).get("passes", [])):  # each pass's mean
                n = by_pass["steps_per_pass"]
                ax.hlines(mean, rows[i * n]["step"], rows[(i + 1) * n - 1]["step"], colors=f"C{ci}",
                          linestyles=":", lw=2)  # fmt: skip
        ax.set_title(title)
        ax.set_xlabel("step")
    for ax in axes:
        if ax.lines:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def cell(v, column: str) -> str:
    if isinstance(v, dict):
        if v["spread"] and len(v["values"]) > 1:
            return f"{cell(v['mean'], column)}±{cell(v['spread'], column)}"
        v = v["mean"]
    if v is None:
        return "-"
    return f"{v:.1f}"


def print_rung(name: str, r: dict, console) -> None:
    from rich.table import Table

    seeds = ",".join(r["seeds"])
    t = Table(title=f"rung {name}: {r['rung']['what']} (held-out, greedy; seeds {seeds})")
    t.add_column("line")
    t.add_column("shapes")
    for c in COLUMNS:
        t.add_column(HEADERS.get(c, c), justify="right")
    for line, splits in r["lines"].items():
        for split, cols in splits.items():
            if not isinstance(cols, dict):
                continue
            t.add_row(
                line if split == "all" else "",
                split.replace(" shapes", ""),
                *(cell(cols.get(c), c) for c in COLUMNS),
            )
    console.print(t)
    for seed, s in r["seeds"].items():
        console.print(f"  seed {seed}: {steps_line(s['stages'])}; total {s['wall_seconds']:.0f}s")
        g = s["grpo"] or {}
        if g:
            console.print(
                f"    GRPO IoU reward {g['iou_reward']}, refusal reward {g['refusal_reward']}"
            )
        if g.get("iou_reward_by_pass"):
            console.print(f"    GRPO IoU reward per pass over its pool {g['iou_reward_by_pass']}")
        if g.get("iou_reward_vs_control"):
            console.print(f"    GRPO IoU reward minus its control {g['iou_reward_vs_control']}")
    if "checks" not in r:  # --pretrain-only
        return
    console.print(f"  targets (means over the seeds): {r['checks']}")
    for seed, c in (r.get("checks_per_seed") or {}).items():
        missed = [k for k, v in c.items() if v is False]
        console.print(f"  seed {seed} on its own misses: {', '.join(missed) or 'none'}")


def print_pir(p: dict, console) -> None:
    from rich.table import Table

    t = Table(title=f"PIR side by side (rung {p['rung']}, seed {p['seed']}, same pretrained model)")
    t.add_column("run")
    t.add_column("steps", justify="right")
    t.add_column("seconds", justify="right")
    for c in COLUMNS:
        t.add_column(HEADERS.get(c, c), justify="right")
    for name, r in p["runs"].items():
        m = r["val"]["all"]
        st = r["stage"]
        t.add_row(
            name, str(st["steps"]), f"{st['seconds']:.0f}", *(cell(m.get(c), c) for c in COLUMNS)
        )
    console.print(t)
    console.print("  grounding columns: relevant rows; refusal columns: irrelevant rows")


def machine() -> dict:
    import torch

    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    flags = next((ln for ln in lines if ln.startswith("flags")), "")
    return {
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "avx512": "avx512f" in flags,
        "avx512_bf16": "avx512_bf16" in flags,
        "amx": "amx_tile" in flags,
        "torch": torch.__version__,
    }


def say(args, text: str) -> None:
    args.console.print(text, highlight=False, markup=False)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/tvg_learning"))
    which = ap.add_mutually_exclusive_group()
    which.add_argument(
        "--rung", choices=list(RUNGS), default=None, help="One rung (default multi)."
    )
    which.add_argument("--ladder", action="store_true", help="Every rung, one after the other.")
    ap.add_argument("--pir", action="store_true", help="PIR side by side on the headline rung.")
    ap.add_argument("--pretrain-steps", type=int, default=2000)
    ap.add_argument(
        "--pretrained",
        type=Path,
        default=None,
        help="An earlier ladder run's directory (e.g. OUT/multi/seed0): start SFT from its "
        "pretrain/final instead of pretraining, as every task starts from one base model.",
    )
    ap.add_argument(
        "--sft-steps", type=int, default=3000, help="SFT steps (3,000: docs/learning.md, run 7)."
    )
    ap.add_argument("--grpo-steps", type=int, default=60, help="Per GRPO run (0: stop after SFT).")
    ap.add_argument(
        "--pretrain-only",
        action="store_true",
        help="Only pretrain (and score the refusal): a base model for --pretrained runs.",
    )
    ap.add_argument(
        "--task-root",
        type=Path,
        default=None,
        help="Build the rungs' tasks under this directory, or reuse them there (benchmarks/"
        "ladder.sh builds each once for every run); default: under --out.",
    )
    ap.add_argument(
        "--grpo-pool",
        type=int,
        default=240,
        help="Every GRPO run's fixed pool of prompts (grpo.max_rows), replayed over its steps: "
        "240 prompts of 8 per step are 2 passes of 30 steps in 60, and the IoU reward's rise is "
        "its last pass over its first, on the same prompts (0: every training row; "
        "docs/learning.md, run 8).",
    )
    ap.add_argument(
        "--grpo-control",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="After each ladder run, GRPO again at lr 1e-12 over the same prompts, to measure "
        "the reward's rise against it (runs 5-7, before --grpo-pool; costs a GRPO run).",
    )
    ap.add_argument(
        "--grpo-batch",
        type=int,
        default=64,
        help="Completions per GRPO step (8 prompts x 8; binding_grpo.py's setting).",
    )
    ap.add_argument("--seed", type=int, default=0, help="Training seed (and tiny's init).")
    ap.add_argument(
        "--seeds",
        type=str,
        default=None,
        help="Comma-separated training seeds, run one after the other (e.g. 0,1); with "
        "--ladder only the headline rung runs them all.",
    )
    ap.add_argument("--task-seed", type=int, default=0, help="Seed of the videos (all seeds).")
    ap.add_argument("--threads", type=int, default=1, help="torch threads.")
    ap.add_argument("--train-videos", type=int, default=3000)
    ap.add_argument("--val-videos", type=int, default=100)
    ap.add_argument("--duration", type=int, nargs=2, default=(8, 12), help="Video length (s).")
    ap.add_argument(
        "--shape-seconds", type=float, nargs=2, default=(2.0, 4.0), help="Shape on screen (s)."
    )
    ap.add_argument("--size", type=int, default=112, help="Rendered frame size (px).")
    ap.add_argument("--absent-per-video", type=int, default=2, help="Irrelevant queries/video.")
    ap.add_argument(
        "--sft-share",
        type=float,
        default=0.44,
        help="SFT's irrelevant share in the ladder (0.44: nearly all of the 2 absent queries per "
        "video; docs/learning.md, run 5). --pir compares it with 0.",
    )
    ap.add_argument(
        "--shape-scale",
        type=float,
        default=None,
        help="Flat rungs: shape size as a multiple of demo-data's (0.16-0.26 of the frame); "
        "default: the rung's (multi 2.5, one 1.5).",
    )
    ap.add_argument(
        "--grey",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Flat rungs: an achromatic background (binding.py's); default: the rung's (multi).",
    )
    ap.add_argument(
        "--refusal-answer-score",
        type=float,
        default=None,
        help="grpo.refusal_answer_score in the refusal-reward runs (None: the recipe's).",
    )
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Extra recipe override for every training run (repeatable).",
    )
    ap.add_argument(
        "--ladder-results",
        type=Path,
        default=None,
        help="With --pir: an earlier ladder's RESULTS.json (e.g. OUT/merged/RESULTS.json) whose "
        "headline run of --seed is reused (same --task-seed and sizes) instead of trained again.",
    )
    ap.add_argument("--quick", action="store_true", help="Smoke run: tiny task, a few steps.")
    ap.add_argument("--keep", action="store_true", help="Reuse the tasks already in --out.")
    ap.add_argument("--build-only", action="store_true", help="Build the task(s) and stop.")
    ap.add_argument("--verbose", action="store_true", help="Print every training step.")
    ap.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        default=None,
        help="Train nothing: pool the rungs and seeds of these runs' RESULTS.json into --out.",
    )
    args = ap.parse_args(argv)
    if args.quick:  # a small task and budget; a step budget given explicitly still counts
        quick = dict(train_videos=16, val_videos=6, size=56, pretrain_steps=3, sft_steps=4,
                     grpo_steps=2, grpo_batch=16)  # fmt: skip
        for k, v in quick.items():
            if getattr(args, k) == ap.get_default(k):
                setattr(args, k, v)
    args.seed_list = [int(s) for s in args.seeds.split(",")] if args.seeds else [args.seed]
    args.grpo_pool = args.grpo_pool or None
    if args.grpo_steps == 0 and args.pretrained is None and not args.pretrain_only:
        raise SystemExit("--grpo-steps 0 needs --pretrained (a run of pretraining and SFT only)")
    if args.pretrained is not None:
        if not (args.pretrained / "pretrain" / "final").is_dir():
            raise SystemExit(f"--pretrained {args.pretrained}: no pretrain/final in it")
        args.pretrain_steps = pretrained_stage(args.pretrained)["steps"]
    args.refusal_extra = (
        []
        if args.refusal_answer_score is None
        else [f"grpo.refusal_answer_score={args.refusal_answer_score}"]
    )
    from rich.console import Console

    args.console = Console(width=None if sys.stdout.isatty() else 180)
    out = args.out
    if args.merge:  # never clears --out: the parts may lie under it
        out.mkdir(parents=True, exist_ok=True)
        return merge_main(args)
    if out.exists() and not args.keep:
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    rungs = (
        list(RUNGS)
        if args.ladder
        else ([args.rung or HEADLINE] if args.rung or not args.pir else [])
    )
    if args.build_only:
        for rung in rungs or [HEADLINE]:
            task_for(rung, task_root(rung, args), args)
        return 0
    t0 = time.perf_counter()
    results: dict = {
        "args": {k: str(v) for k, v in vars(args).items() if k != "console"},
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "recipe": RECIPE.read_text(),
        "budget": {
            "pretrain_steps": args.pretrain_steps,
            "sft_steps": args.sft_steps,
            "grpo_steps": args.grpo_steps,
        },
        "units": "percent (x100, refusal_auc too); spread = half the range over seeds",
        "rungs": {},
    }

    def save():
        results["total_seconds"] = round(time.perf_counter() - t0, 1)
        (out / "RESULTS.json").write_text(json.dumps(results, indent=1, default=str) + "\n")

    for rung in rungs:
        all_seeds = rung == HEADLINE or not args.ladder
        seeds = args.seed_list if all_seeds else args.seed_list[:1]
        results["rungs"][rung] = run_rung(rung, seeds, args)
        print_rung(rung, results["rungs"][rung], args.console)
        save()
    if args.pir:
        results["pir"] = run_pir(args, results["rungs"].get(HEADLINE) or earlier_ladder(args))
        print_pir(results["pir"], args.console)
    if (
        not any(
            s["lines"].get("after SFT", {}).get("has_refusal_score")
            for r in results["rungs"].values()
            for s in r["seeds"].values()
        )
        and results["rungs"]
    ):
        say(args, "no refusal_score in score's rows: AUC and accuracy@FRR not computed")
    save()
    plot(results, out / "rewards.png")
    say(args, f"RESULTS.json and rewards.png in {out} ({results['total_seconds']:.0f}s)")
    return 0


def merge_main(args) -> int:
    """--merge: one RESULTS.json, tables and rewards.png from runs made apart."""
    parts = [json.loads((Path(d) / "RESULTS.json").read_text()) for d in args.merge]
    rungs = merge_rungs(parts)
    results = {
        "merged_from": [str(d) for d in args.merge],
        "date": time.strftime("%Y-%m-%d"),
        "machine": parts[0].get("machine"),
        # the headline's; each rung has its own "budget"
        "budget": rungs[HEADLINE]["budget"] if HEADLINE in rungs else parts[0]["budget"],
        "units": parts[0]["units"],
        "part_seconds": [p.get("total_seconds") for p in parts],
        "rungs": rungs,
    }
    for name, r in results["rungs"].items():
        print_rung(name, r, args.console)
    (args.out / "RESULTS.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    plot(results, args.out / "rewards.png")
    say(args, f"RESULTS.json and rewards.png in {args.out} (merged from {len(parts)} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
