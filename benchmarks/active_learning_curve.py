"""The learning curve that sizes benchmarks/active_learning.py: held-out grounding and refusal
of the round-0 model (SFT on the noisy training split) against the pretraining and SFT step
budgets, on the same task, noise and seed as the experiment.

Per seed: build the headline task and plant the same label noise (`active_learning`'s own
functions), pretrain `--pretrain-steps` yes/no steps (on this task's videos, or with
`--pretrain-videos N` on N other videos of another task seed, as a released checkpoint would
be), then one SFT run per budget in `--steps`, each scored greedily on the held-out split.
Each budget is its own run (the cosine schedule ends where the run ends). The pretraining
loss per 100 steps shows whether it left the plateau (docs/learning.md: binding shows as the
loss falling from about 0.15 to about 0.02).

    # from pretraining alone (the task's own videos, or 1000 others): SFT 400 and 900 steps
    .venv/bin/python -m benchmarks.active_learning_curve --out /tmp/tvg_al_curve/own \
        --pretrain-steps 2000 --steps 400 900
    .venv/bin/python -m benchmarks.active_learning_curve --out /tmp/tvg_al_curve/other \
        --pretrain-steps 2000 --pretrain-videos 1000 --steps 400 900
    # from a grounding base (1500 or 2500 SFT steps on the 1000 other videos): 0, 200, 400
    .venv/bin/python -m benchmarks.active_learning_curve --out /tmp/tvg_al_curve/base2500 \
        --pretrain-steps 2000 --pretrain-videos 1000 --base-sft-steps 2500 --steps 0 200 400
    # the same labels, four training seeds: how far one run's greedy refusal moves
    .venv/bin/python -m benchmarks.active_learning_curve --out /tmp/tvg_al_curve/swing \
        --pretrain-steps 2000 --steps 400 --train-seeds 0 1 2 3

With `--train-seeds`, every budget is trained once per training seed on the same noisy
labels (the task and its noise stay those of `--seed`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from benchmarks import active_learning as al


def pretrain_losses(run: Path, every: int = 100) -> list[float]:
    """Mean pretraining loss per `every` steps, from the run's metrics.jsonl."""
    rows = [json.loads(line) for line in (run / "pretrain" / "metrics.jsonl").read_text().splitlines()
            if line.strip()]  # fmt: skip
    loss = [r["loss"] for r in rows if r.get("stage") == "pretrain" and "loss" in r]
    return [round(statistics.fmean(loss[i : i + every]), 4) for i in range(0, len(loss), every)]


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("/tmp/tvg_al_curve"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--pretrain-steps", type=int, default=2000)
    p.add_argument("--pretrain-videos", type=int, default=0,
                   help="0: pretrain on the task's own videos; N: on N videos of another task seed.")  # fmt: skip
    p.add_argument("--base-sft-steps", type=int, default=0,
                   help="With --pretrain-videos: grounding SFT on those videos first (the base).")  # fmt: skip
    p.add_argument("--base-irrelevant-share", type=float, default=0.44)
    p.add_argument("--pretrained", type=Path, default=None, help="Skip pretraining: start here.")
    p.add_argument("--steps", type=int, nargs="+", default=[0, 200, 400],
                   help="SFT budgets on the noisy training split (0: the start as it is).")  # fmt: skip
    p.add_argument("--noise", type=float, default=0.15)
    p.add_argument("--train-videos", type=int, default=al.DEFAULTS["train_videos"])
    p.add_argument("--val-videos", type=int, default=al.DEFAULTS["val_videos"])
    p.add_argument("--size", type=int, default=al.DEFAULTS["size"])
    p.add_argument("--irrelevant-share", type=float, default=0.3)
    p.add_argument("--val-split", default="val")
    p.add_argument("--set", action="append", default=[])
    p.add_argument("--train-seeds", type=int, nargs="+", default=None,
                   help="Train every budget once per training seed on the same labels "
                        "(default: --seed only).")  # fmt: skip
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    root = args.out / f"seed{args.seed}"
    res: dict = {"args": {k: str(v) for k, v in vars(args).items()}, "seconds": {}}
    t = time.perf_counter()
    ws = al.headline_task(root, args, args.seed)
    al.plant_noise(ws, args.noise, args.seed)
    res["seconds"]["task"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    given = args.pretrained is not None
    args.start = al.pretrained(ws, args, root, args.seed)
    res["seconds"]["pretrain"] = round(time.perf_counter() - t, 1)
    if not given:
        res["pretrain_loss_per_100"] = pretrain_losses(root / "pretrain")
    res["start"] = str(args.start)
    res["curve"] = []
    seeds = args.train_seeds or [args.seed]
    for steps in args.steps:  # 0: the start itself
        for tseed in seeds if steps else seeds[:1]:
            t = time.perf_counter()
            model, name = args.start, f"{steps}" if tseed == args.seed else f"{steps}-t{tseed}"
            if steps:
                model = al.train_full(ws, argparse.Namespace(**{**vars(args), "steps": steps}),
                                      root / f"sft-{name}", tseed).output  # fmt: skip
            train_s = round(time.perf_counter() - t, 1)
            m = al.held_out(ws, args, model, args.seed, f"curve-{name}")
            res["curve"].append({"sft_steps": steps, "train_seed": tseed, "train_seconds": train_s,
                                 **m})  # fmt: skip
            print(f"[curve] sft {steps} steps, training seed {tseed} ({train_s:.0f} s): {m}",
                  flush=True)  # fmt: skip
        (args.out / f"CURVE-seed{args.seed}.json").write_text(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    main()
