"""PIR-GRPO on the binding harness's task: does GRPO keep (or improve) what SFT learnt?

Starts from a model that `benchmarks/binding.py --save` trained (pretraining stand-in + SFT,
e.g. run G), and runs the project's GRPO stage on it: `tvgcurate.model.grpo.run_grpo`, i.e.
TRL's GRPOTrainer with the project's rewards (format, IoU, refusal), on prompts built from
fresh videos of the same task (drawn frames, ETA stamps, the query first and last as in G).
Before and after, the held-out set of binding.py (the same 300 queries, half irrelevant) is
scored greedily, with the refusal score (P(refusal) at the answer's decision point).

The arms of issue 13's PIR table that start from one SFT checkpoint:

- `--rewards format,iou` (no refusal reward) at `--irrelevant-share 0.3`;
- `--rewards format,iou,refusal` at 0.3 and at 0.5.

Writes RESULTS.json (held-out before/after, the reward means over the first and last fifth
of the steps) and metrics.jsonl (TRL's per-step logs, through the project's callback).

    .venv/bin/python -m benchmarks.binding_grpo --model /tmp/bind/G/model --out /tmp/grpo/refusal
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from benchmarks import binding as B


def prompt_rows(enc: B.Encoder, task: B.Task, count: int, share: float, seed: int) -> list[dict]:
    """GRPO prompts (the library's grpo_row): one query per fresh video, irrelevant (the
    absent shape) with p = share."""
    from tvgcurate.model.data import grpo_row

    rng = random.Random(50_000 + seed)  # binding.py's held-out videos use seed 99991
    rows = []
    for _ in range(count):
        v = B.make_video(rng, task)
        relevant = [(q, w) for q, w in v["qa"] if w is not None]
        absent = [(q, w) for q, w in v["qa"] if w is None]
        q, w = rng.choice(absent) if absent and rng.random() < share else rng.choice(relevant)
        rows.append({**grpo_row(enc.model_input(v, q, w)), "sample_id": f"g{len(rows)}"})
    return rows


def reward_summary(metrics: Path) -> dict:
    """Mean of each reward over the first and the last fifth of the logged steps."""
    rows = [json.loads(x) for x in metrics.read_text().splitlines() if x.strip()]
    rows = [r for r in rows if any(k.startswith("rewards/") for k in r)]
    if not rows:
        return {}
    fifth = max(1, len(rows) // 5)
    out = {}
    for key in sorted({k for r in rows for k in r if k.endswith("/mean") or k == "reward"}):
        vals = [r[key] for r in rows if r.get(key) is not None]
        if len(vals) >= 2:
            out[key] = {
                "first": sum(vals[:fifth]) / len(vals[:fifth]),
                "last": sum(vals[-fifth:]) / len(vals[-fifth:]),
            }
    return out


def main(argv=None) -> dict:
    import torch

    from tvgcurate.model.config import GRPOStageConfig
    from tvgcurate.model.data import to_dataset
    from tvgcurate.model.eta import TimestampFormat
    from tvgcurate.model.grpo import run_grpo
    from tvgcurate.model.loading import load_model

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", type=Path, required=True, help="binding.py --save's OUT/model")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--steps", type=int, default=60, help="GRPO optimiser steps")
    p.add_argument("--prompts", type=int, default=600, help="training prompts (fresh videos)")
    p.add_argument("--rewards", default="format,iou,refusal")
    p.add_argument("--reward-weights", default=None, help="comma list (default: all 1)")
    p.add_argument("--irrelevant-share", type=float, default=0.3)
    p.add_argument("--num-generations", type=int, default=8)
    p.add_argument("--batch", type=int, default=32, help="completions per step")
    p.add_argument("--lr", type=float, default=2e-5)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--heldout", type=int, default=300)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-query-first", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    task = B.Task()
    fmt = TimestampFormat.for_max_duration(task.max_frames)
    model, proc = load_model(args.model)
    enc = B.Encoder(proc, fmt, not args.no_query_first)
    evargs = argparse.Namespace(heldout=args.heldout)
    t0 = time.time()
    before = B.evaluate(model, enc, evargs, task)
    eval_s = time.time() - t0

    rewards = args.rewards.split(",")
    stage = GRPOStageConfig(
        learning_rate=args.lr,
        max_steps=args.steps,
        num_generations=args.num_generations,
        per_device_train_batch_size=args.batch,
        max_completion_length=20,
        temperature=args.temperature,
        rewards=rewards,
        reward_weights=(
            [float(x) for x in args.reward_weights.split(",")] if args.reward_weights else None
        ),
        irrelevant_share=args.irrelevant_share,
        save_steps=10**6,
        logging_steps=1,
    )
    rows = prompt_rows(enc, task, args.prompts, args.irrelevant_share, args.seed)
    t1 = time.time()
    model.train()
    run_grpo(model, proc, to_dataset(rows), stage, args.out / "grpo", seed=args.seed)
    grpo_s = time.time() - t1
    after = B.evaluate(model, enc, evargs, task)
    result = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "before": before,
        "after": after,
        "rewards": reward_summary(args.out / "grpo" / "metrics.jsonl"),
        "seconds": {"grpo": round(grpo_s, 1), "eval": round(eval_s, 1)},
    }
    (args.out / "RESULTS.json").write_text(json.dumps(result, indent=1))
    keys = ("R1@0.5", "mIoU", "greedy_mIoU", "refusal_auc", "refusal_acc@frr0.1")
    for name in ("before", "after"):
        print(name, {k: round(result[name]["all"][k], 3) for k in keys})
    print(json.dumps(result["rewards"], indent=1))
    return result


if __name__ == "__main__":
    main()
