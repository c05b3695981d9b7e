"""Seconds per optimiser step of `tiny` (recipes/tiny-cpu.yaml), and what its speed-ups buy.

The learning ladder (benchmarks/learning.py) budgets optimiser steps, so its wall time is the
steps times the seconds per step. This measures one step as the trainer takes it: TRL's
collator over 8 real rows of the ladder's headline task (chat template, tokenizer, image
processor, assistant mask), then forward, backward and AdamW, float32, one torch thread.
Six variants on the same rows and the same initial weights:

- `before`: the text around the query spelt out byte by byte (`tiny.prompt_words: false`),
  transformers' own assistant-mask loop, vision attention (one call per frame), rope
  positions and image processor loop;
- `+ mask`: the vectorised assistant mask (`tvgcurate.model.processor.assistant_masks`);
- `+ words`: the prompt's words as whole-word tokens (`tiny.prompt_words: true`);
- `+ words, mask`: both;
- `+ attention`: and the vision attention over all frames in one call
  (`tvgcurate.model.vision_attention`);
- `now`: and the integer rope positions (`tvgcurate.model.rope_index`) and the frames of one
  size through the image processor as one array (`tvgcurate.model.image_batch`): tiny's
  defaults.

For each of the pretraining stand-in's rows (yes/no questions on 1-4 frame clips, 4 per
row) and SFT's (3 questions per row over the video's frames) it prints the median seconds
per step over `--steps` steps per variant (after 2 warm-up steps), the collator's share, the
tokens per row, and each variant's speed-up over `before`. The variants take turns, a step
each, so that a drift of the (shared) machine falls on all of them alike.

    .venv/bin/python -m benchmarks.step_speed                # about 4 minutes on 2 cores
    .venv/bin/python -m benchmarks.step_speed --steps 20 --json results/learning/step-speed/step_speed.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECIPE = REPO / "recipes/tiny-cpu.yaml"
VARIANTS = {  # name -> (prompt words, vectorised mask, vision attention in one call,
    #                     integer rope positions and batched image processor)
    "before": (False, False, False, False),
    "+ mask": (False, True, False, False),
    "+ words": (True, False, False, False),
    "+ words, mask": (True, True, False, False),
    "+ attention": (True, True, True, False),
    "now": (True, True, True, True),
}


def task(root: Path, videos: int):
    """The ladder's headline task, small (benchmarks/learning.py's build_task)."""
    from benchmarks.learning import build_task

    if (root / "ws" / "manifest.json").exists():
        from tvgcurate.workspace import Workspace

        return Workspace(root / "ws")
    return build_task(root, videos, 2, seed=0, size=112, rung="multi")


def rows_for(ws, cfg, kind: str, n: int) -> list[dict]:
    from tvgcurate.model.data import mix, sft_rows
    from tvgcurate.model.inputs import build_inputs
    from tvgcurate.model.pretrain import PretrainTask, pretrain_rows

    samples = [s for s in ws.read("samples").to_pylist() if s["split"] == "train"]
    inputs = build_inputs(ws, cfg.inputs, samples=samples).inputs
    if kind == "pretrain":
        rows = pretrain_rows(inputs, PretrainTask(**cfg.pretrain.task_fields()), 0)
    else:
        rows = sft_rows(mix(inputs, 0.44, 0), cfg.sft.turns, 0)
    return rows[:n]


def setup(ws, kind: str, variant: tuple[bool, bool, bool, bool], steps: int, batch: int):
    """One variant's step, ready to run: step(i) -> (seconds, collator seconds, tokens/row)."""
    import torch
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
        Qwen2VLImageProcessorPil,
    )
    from transformers.processing_utils import ProcessorMixin
    from trl import SFTTrainer

    from tvgcurate.model.config import build_config
    from tvgcurate.model.data import to_dataset
    from tvgcurate.model.loading import load_model
    from tvgcurate.model.sft import sft_args
    from tvgcurate.model.train import with_query_words

    words, fast_mask, one_call, fast_inputs = variant
    sets = ["report_to=[]", "torch_dtype=float32", f"tiny.prompt_words={str(words).lower()}"]
    cfg = build_config(RECIPE, sets, workspace=ws.root, output=Path("/tmp/unused"), model="tiny")
    cfg = with_query_words(cfg, ws)
    data = to_dataset(rows_for(ws, cfg, kind, batch * (steps + 2)))
    torch.manual_seed(0)
    model, proc = load_model("tiny", cfg.tiny, "float32")
    if not one_call:  # transformers' vision attention, one call per frame
        model.config.vision_config._attn_implementation = "sdpa"
    if not fast_mask:  # transformers' own loop (each processor built here has its own class)
        type(proc)._adjust_assistant_masks_indices = ProcessorMixin._adjust_assistant_masks_indices
    if not fast_inputs:  # transformers' rope positions and image processor
        del model.model.get_rope_index
        proc.image_processor = Qwen2VLImageProcessorPil.from_dict(proc.image_processor.to_dict())
    stage = cfg.pretrain if kind == "pretrain" else cfg.sft
    args = sft_args(stage, Path("/tmp/tvg_step_speed"), conversations=True)
    trainer = SFTTrainer(model=model, args=args, train_dataset=data, processing_class=proc)
    collate = trainer.data_collator
    opt = torch.optim.AdamW(model.parameters(), lr=stage.learning_rate)
    model.train()

    def step(i: int) -> tuple[float, float, float, float]:
        t = time.perf_counter()
        b = collate([data[j] for j in range(i * batch, (i + 1) * batch)])
        c = time.perf_counter() - t
        loss = model(**b).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        return time.perf_counter() - t, c, int(b["attention_mask"].sum()) / batch, loss.item()

    return step


def measure(ws, kind: str, steps: int, batch: int) -> dict[str, dict]:
    """Every variant's median step, the variants taking turns step by step."""
    runs = {name: setup(ws, kind, v, steps, batch) for name, v in VARIANTS.items()}
    times: dict[str, list] = {name: [] for name in runs}
    for i in range(steps + 2):
        for name, step in runs.items():
            times[name].append(step(i))
    return {
        name: {
            "s_per_step": round(statistics.median(t[0] for t in ts[2:]), 4),  # after warm-up
            "collate_s": round(statistics.median(t[1] for t in ts[2:]), 4),
            "tokens_per_row": round(statistics.mean(t[2] for t in ts[2:]), 1),
            "losses": [t[3] for t in ts],  # every step's: the same computation, the same loss
        }
        for name, ts in times.items()
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=12, help="Timed steps per variant.")
    ap.add_argument("--batch", type=int, default=8, help="Rows per step (the recipe's 8).")
    ap.add_argument("--videos", type=int, default=60, help="Training videos of the small task.")
    ap.add_argument("--work", type=Path, default=REPO / ".bench" / "step_speed")
    ap.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    ws = task(args.work, args.videos)
    out: dict = {"date": time.strftime("%Y-%m-%d"), "steps": args.steps, "batch": args.batch}
    for kind in ("pretrain", "sft"):
        res = measure(ws, kind, args.steps, args.batch)
        for r in res.values():
            r["speedup_vs_before"] = round(res["before"]["s_per_step"] / r["s_per_step"], 2)
        out[kind] = res
        print(f"{kind}: median s/step (collator s) tokens/row  speed-up over 'before'")
        for name, r in res.items():
            print(
                f"  {name:14s} {r['s_per_step']:.3f} ({r['collate_s']:.3f})  "
                f"{r['tokens_per_row']:6.1f}  {r['speedup_vs_before']:.2f}x"
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
