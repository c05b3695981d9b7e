"""Does Tempo-R0 `tiny` learn? SFT then a short PIR-GRPO on CPU, on a synthetic grounding task.

The task comes from `demo-data` videos (`tvgcurate.demo.data.video_spec`): each
video shows one coloured shape during a known window; a relevant query names the shape, an
irrelevant query names a shape/colour that never appears in the video (demo-data's `absent`
list). 3000 training videos by default: with 240 the model memorised its training set.
Held-out videos are scored greedily and compared with the best trivial baselines (whole
video; best constant window fitted on the training videos). PIR side by side: GRPO with and
without the refusal reward and with different shares of irrelevant prompts, all from the
same SFT model and for the same time.

    .venv/bin/python benchmarks/learning.py --out /tmp/tvg_learning --plain --whole-seconds
    .venv/bin/python benchmarks/learning.py --out /tmp/tvg_learning --quick    # smoke, ~3 min

Task sizes, largest first: the default (demo-data's textured scenes with cuts); `--simple`
(one scene, shapes 1.5x larger); `--plain` (also a flat background); `--whole-seconds`
(windows on the 1 fps frame grid). docs/learning.md has what each one reached.

Prints a table and writes RESULTS.json and rewards.png into --out (copy them to docs/).
Numbers are what the run measured. The task size and the SFT batch were chosen from earlier
runs scored on the same held-out videos (there is no third split); docs/learning.md lists them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tvgcurate.demo.data import DemoConfig, phrase, video_spec  # noqa: E402
from tvgcurate.demo.render import DIRECTIONS, render_video  # noqa: E402
from tvgcurate.metrics import evaluate  # noqa: E402
from tvgcurate.workspace import Workspace  # noqa: E402

# -- task -------------------------------------------------------------------------------


def build_task(
    root: Path,
    n_train: int,
    n_val: int,
    seed: int,
    size: int,
    duration: tuple[int, int] = (8, 12),
    shape_seconds: tuple[float, float] = (2.0, 4.0),
    simple: bool = False,
    plain: bool = False,
    absent_per_video: int = 2,
    whole_seconds: bool = False,
) -> Workspace:
    """Render the videos and write videos/samples tables, then SAA keyframes (uniform, 1 fps)."""
    from tvgcurate.curation.keyframes.run import KeyframesConfig, run_keyframes

    cfg = DemoConfig(
        out=root / "demo",
        num_videos=n_train + n_val,
        seed=seed,
        width=size,
        height=size,
        fps=4,
        min_duration=duration[0],
        max_duration=duration[1],
        min_shapes=1,
        max_shapes=1,
        min_shape_seconds=shape_seconds[0],
        max_shape_seconds=shape_seconds[1],
        num_absent=absent_per_video,
        write_videos=False,
    )
    media = root / "media"
    videos, samples = [], []
    for i in range(n_train + n_val):
        dv = video_spec(cfg, i)
        spec = dv.spec
        vid = f"lv{i:04d}"
        spec.video_id = vid
        if simple:  # the shrunk task: one scene (no cuts), shapes 1.5x larger
            spec.scenes = spec.scenes[:1]
            spec.shapes = [dataclasses.replace(t, size=int(t.size * 1.5)) for t in spec.shapes]
        if plain:  # smaller still: one background colour (and its gradient), no texture
            spec.scenes = [dataclasses.replace(spec.scenes[0], texture="flat")]
        if whole_seconds:  # windows on the 1 fps frame grid: the frames determine the answer
            t = spec.shapes[0]
            start = float(min(round(t.start), spec.duration - 1))
            end = float(min(max(round(t.end), start + 1), spec.duration))
            spec.shapes = [dataclasses.replace(t, start=start, end=end)]
        path = media / f"{vid}.mp4"
        if not path.exists():
            render_video(spec, path)
        split = "train" if i < n_train else "val"
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
        tr = spec.shapes[0]
        rng = np.random.default_rng([seed, i, 7])
        templates = rng.permutation(8)[:2]
        per = 2 + absent_per_video
        for k, t in enumerate(templates):
            samples.append(
                {
                    **base,
                    "sample_id": f"qvhighlights:{split}:{per * i + k}",
                    "source_qid": str(per * i + k),
                    "origin": "source",
                    "query": phrase(tr.shape, tr.colour, int(t), tr.direction),
                    "windows": [{"start": tr.start, "end": tr.end}],
                    "relevance": "relevant",
                }
            )
        for a, (shape, colour) in enumerate(dv.absent):
            samples.append(
                {
                    **base,
                    "sample_id": f"qvhighlights:{split}:{per * i + 2 + a}",
                    "source_qid": str(per * i + 2 + a),
                    "origin": "synthetic:absent-shape",
                    # any direction: a fixed one would tell irrelevant queries apart by text
                    "query": phrase(
                        shape, colour, int(templates[a % 2]), str(rng.choice(DIRECTIONS))
                    ),
                    "windows": [],
                    "relevance": "irrelevant",
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
    return ws


# -- baselines --------------------------------------------------------------------------


def gt_of(samples):
    return [
        np.array([[w["start"], w["end"]] for w in (s["windows"] or [])]).reshape(-1, 2)
        if s["relevance"] == "relevant"
        else np.zeros((0, 2))
        for s in samples
    ]


def baselines(ws: Workspace) -> dict:
    """Whole video and the best constant window (fractions of the duration, grid 0.05, fitted
    on train for mIoU), scored on val; both never refuse."""
    samples = ws.read("samples").to_pylist()
    train = [s for s in samples if s["split"] == "train" and s["relevance"] == "relevant"]
    val = [s for s in samples if s["split"] == "val"]

    def run(frac, rows):
        preds = [
            np.array([[frac[0] * s["duration_s"], frac[1] * s["duration_s"], 1.0]]) for s in rows
        ]
        return evaluate(preds, gt_of(rows), [False] * len(rows))

    grid = np.round(np.arange(0, 1.0001, 0.05), 2)
    best, best_m = None, -1.0
    for a in grid:
        for b in grid:
            if b > a:
                m = run((a, b), train)["extra"]["mIoU"]
                if m > best_m:
                    best, best_m = (float(a), float(b)), m
    return {
        "whole video": headline(run((0.0, 1.0), val)),
        f"best constant {best[0]:.2f}-{best[1]:.2f} of duration": headline(run(best, val)),
    }


def headline(m: dict) -> dict:
    ex, ref = m["extra"], m["extra"]["refusal"]
    return {
        "R1@0.3": ex.get("R1@0.3"),
        "R1@0.5": m["full"]["MR-R1"].get("0.5"),
        "mIoU": ex.get("mIoU"),
        "refusal_acc_irrelevant": ref.get("recall"),
        "false_refusal_rate": ref.get("false_refusal_rate"),
        "invalid_rate": 0.0,
    }


# -- runs -------------------------------------------------------------------------------


TINY_SETS = ["report_to=[]", "inputs.max_frames=16"]


def train_stage(ws, out: Path, stage: str, model: str, sets: list[str], console):
    from tvgcurate.model.config import build_config
    from tvgcurate.model.train import train

    cfg = build_config(
        REPO / "recipes/tiny-cpu.yaml",
        TINY_SETS + sets,
        workspace=ws.root,
        output=out,
        model=model,
        stage=stage,
    )
    t = time.perf_counter()
    res = train(cfg, console=console)
    return res, time.perf_counter() - t


def score_run(ws, model_dir: Path, run_id: str) -> dict:
    from tvgcurate.model.score import ScoreConfig, score
    from tvgcurate.model.score import headline as score_headline

    res = score(
        ScoreConfig(
            workspace=ws.root,
            checkpoint=model_dir,
            split="val",
            run_id=run_id,
            batch_size=16,
            torch_threads=1,
        )
    )
    h = score_headline(res.metrics)
    return {
        k: h[k]
        for k in (
            "R1@0.3",
            "R1@0.5",
            "mIoU",
            "refusal_acc_irrelevant",
            "false_refusal_rate",
            "invalid_rate",
        )
    }


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


def plot(curves: dict[str, list[dict]], sft_log: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(18, 4))
    steps = [r["step"] for r in sft_log if "loss" in r]
    axes[0].plot(steps, [r["loss"] for r in sft_log if "loss" in r])
    axes[0].set_title("SFT loss")
    axes[0].set_xlabel("step")
    for ax, key, title in zip(
        axes[1:],
        ("iou_reward", "refusal_reward", "format_reward"),
        ("GRPO IoU reward (mean)", "GRPO refusal reward (mean)", "GRPO format reward (mean)"),
        strict=True,
    ):
        for ci, (name, log) in enumerate(curves.items()):
            rows = [r for r in log if isinstance(r.get(f"rewards/{key}/mean"), float)]
            if not rows:
                continue
            y = np.array([r[f"rewards/{key}/mean"] for r in rows])
            k = min(5, len(y))
            smooth = np.convolve(y, np.ones(k) / k, mode="valid")
            ax.plot([r["step"] for r in rows][k - 1 :], smooth, label=name, color=f"C{ci}")
        ax.set_title(title + " (5-step mean)")
        ax.set_xlabel("step")
    for ax in axes[1:]:
        if ax.lines:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/tvg_learning"))
    ap.add_argument("--train-videos", type=int, default=3000)
    ap.add_argument("--val-videos", type=int, default=100)
    ap.add_argument(
        "--duration", type=int, nargs=2, default=(8, 12), help="Video length range (s)."
    )
    ap.add_argument(
        "--shape-seconds",
        type=float,
        nargs=2,
        default=(2.0, 4.0),
        help="Shape on-screen range (s).",
    )
    ap.add_argument("--size", type=int, default=112, help="Rendered frame size (px).")
    ap.add_argument("--sft-minutes", type=float, default=10.0)
    ap.add_argument("--grpo-minutes", type=float, default=3.5, help="Per GRPO run.")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="Smoke run: tiny task, 1 min stages.")
    ap.add_argument("--keep", action="store_true", help="Reuse an existing task in --out.")
    ap.add_argument("--build-only", action="store_true", help="Build the task and stop.")
    ap.add_argument(
        "--simple", action="store_true", help="Shrunk task: no scene cuts, shapes 1.5x larger."
    )
    ap.add_argument(
        "--plain",
        action="store_true",
        help="Smaller still: one flat background per video (implies --simple).",
    )
    ap.add_argument(
        "--absent-per-video",
        type=int,
        default=2,
        help="Irrelevant queries per video (shapes it never shows); 2 relevant ones per video.",
    )
    ap.add_argument(
        "--sft-irrelevant-share",
        type=float,
        default=0.33,
        help="Share of irrelevant rows (trained to refuse) in SFT.",
    )
    ap.add_argument(
        "--whole-seconds",
        action="store_true",
        help="Shape windows start and end on whole seconds (the 1 fps frame grid).",
    )
    ap.add_argument(
        "--sft-batch",
        type=int,
        default=4,
        help="SFT batch size (4 learned faster per CPU-second than the recipe's 8).",
    )
    ap.add_argument(
        "--refusal-answer-score",
        type=float,
        default=None,
        help="grpo.refusal_answer_score in the refusal-reward runs (None: the recipe's).",
    )
    args = ap.parse_args(argv)
    args.simple = args.simple or args.plain
    if args.quick:
        args.train_videos, args.val_videos = 24, 8
        args.sft_minutes, args.grpo_minutes = 0.5, 0.4

    from rich.console import Console

    console = Console()
    out = args.out
    if out.exists() and not args.keep:
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if args.keep and (out / "ws" / "manifest.json").exists():
        ws = Workspace(out / "ws")
        for d in ("calib", "main", "grpo0", "grpo1", "grpo2"):
            shutil.rmtree(out / d, ignore_errors=True)
    else:
        ws = build_task(
            out,
            args.train_videos,
            args.val_videos,
            args.seed,
            args.size,
            tuple(args.duration),
            tuple(args.shape_seconds),
            args.simple,
            args.plain,
            args.absent_per_video,
            args.whole_seconds,
        )
    if args.build_only:
        return 0
    console.print(
        f"task built in {time.perf_counter() - t0:.0f}s: {ws.current('samples').rows} "
        f"samples, {ws.current('keyframes').rows} keyframes"
    )
    results: dict = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "date": time.strftime("%Y-%m-%d"),
        "baselines": baselines(ws),
    }

    # calibrate the SFT step time, so that max_steps fits the budget and the schedule decays
    from tvgcurate.model.trainlog import read_log

    train_stage(
        ws,
        out / "calib",
        "sft",
        "tiny",
        [
            "sft.max_steps=8",
            "sft.save_steps=1000",
            f"sft.per_device_train_batch_size={args.sft_batch}",
        ],
        None,
    )
    calib_log = read_log(out / "calib" / "sft" / "metrics.jsonl")
    step_s = [r for r in calib_log if "train_runtime" in r][-1]["train_runtime"] / 8
    sft_steps = max(10, int(args.sft_minutes * 60 / step_s))
    console.print(f"SFT step {step_s:.2f}s -> {sft_steps} steps for {args.sft_minutes} min")
    sft, sft_s = train_stage(
        ws,
        out / "main",
        "sft",
        "tiny",
        [
            f"sft.max_steps={sft_steps}",
            f"sft.irrelevant_share={args.sft_irrelevant_share}",
            f"sft.per_device_train_batch_size={args.sft_batch}",
            f"sft.save_steps={sft_steps}",
            f"sft.max_seconds={args.sft_minutes * 60 * 1.15}",
        ],
        console,
    )
    sft_final = out / "main" / "sft" / "final"
    results["sft"] = {
        **sft.stages["sft"],
        "wall_seconds": round(sft_s, 1),
        "val": score_run(ws, sft_final, "sft"),
    }
    console.print(f"after SFT: {results['sft']['val']}")

    grpo_runs = {
        "refusal reward, 30% irrelevant": [
            "grpo.rewards=[format,iou,refusal]",
            "grpo.reward_weights=[0.2,1.0,1.0]",
            "grpo.irrelevant_share=0.3",
        ],
        "no refusal reward, 30% irrelevant": [
            "grpo.rewards=[format,iou]",
            "grpo.reward_weights=[0.2,1.0]",
            "grpo.irrelevant_share=0.3",
        ],
        "refusal reward, 50% irrelevant": [
            "grpo.rewards=[format,iou,refusal]",
            "grpo.reward_weights=[0.2,1.0,1.0]",
            "grpo.irrelevant_share=0.5",
        ],
    }
    if args.refusal_answer_score is not None:
        for sets in grpo_runs.values():
            if "grpo.rewards=[format,iou,refusal]" in sets:
                sets.append(f"grpo.refusal_answer_score={args.refusal_answer_score}")
    if args.quick:
        grpo_runs = dict(list(grpo_runs.items())[:2])
    results["grpo"] = {}
    curves = {}
    for i, (name, sets) in enumerate(grpo_runs.items()):
        rdir = out / f"grpo{i}"
        res, secs = train_stage(
            ws,
            rdir,
            "grpo",
            str(sft_final),
            sets
            + [
                "grpo.max_steps=100000",
                f"grpo.max_seconds={args.grpo_minutes * 60}",
                "grpo.save_steps=100000",
            ],
            console,
        )
        log = [r for r in read_log(rdir / "grpo" / "metrics.jsonl") if "loss" in r]
        curves[name] = log
        results["grpo"][name] = {
            **res.stages["grpo"],
            "wall_seconds": round(secs, 1),
            "val": score_run(ws, rdir / "grpo" / "final", f"grpo{i}"),
            "iou_reward": reward_trend(log, "rewards/iou_reward/mean"),
            "refusal_reward": reward_trend(log, "rewards/refusal_reward/mean"),
            "group_reward_var": reward_trend(log, "group_reward_var"),
        }
        console.print(f"GRPO [{name}]: {results['grpo'][name]['val']}")
    results["total_seconds"] = round(time.perf_counter() - t0, 1)
    main_name = next(iter(grpo_runs))
    results["main_training_seconds"] = round(
        results["sft"]["wall_seconds"] + results["grpo"][main_name]["wall_seconds"], 1
    )
    plot(curves, read_log(out / "main" / "sft" / "metrics.jsonl"), out / "rewards.png")
    (out / "RESULTS.json").write_text(json.dumps(results, indent=2) + "\n")
    print_table(results, console)
    return 0


def print_table(results: dict, console) -> None:
    from rich.table import Table

    t = Table(title="held-out videos (greedy)")
    cols = [
        "R1@0.3",
        "R1@0.5",
        "mIoU",
        "refusal_acc_irrelevant",
        "false_refusal_rate",
        "invalid_rate",
    ]
    t.add_column("model")
    for c in cols:
        t.add_column(c, justify="right")
    rows = [(k, v) for k, v in results["baselines"].items()]
    rows.append(("tiny after SFT", results["sft"]["val"]))
    rows += [(f"+ GRPO: {k}", v["val"]) for k, v in results["grpo"].items()]
    for name, m in rows:
        t.add_row(name, *("-" if m.get(c) is None else f"{m[c]:.2f}" for c in cols))
    console.print(t)
    for k, v in results["grpo"].items():
        console.print(f"{k}: iou reward {v['iou_reward']}, refusal reward {v['refusal_reward']}")


if __name__ == "__main__":
    raise SystemExit(main())
