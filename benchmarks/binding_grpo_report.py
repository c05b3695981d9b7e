"""The PIR-GRPO table and reward curves of `binding_grpo.py` runs.

    .venv/bin/python -m benchmarks.binding_grpo_report /tmp/grpo/refusal_0.3 /tmp/grpo/norefusal_0.3 --out results/learning/harness/pir-grpo/from-share0.3

Prints one markdown row per run (rewards, irrelevant share; held-out before -> after:
R1@0.5 and mIoU on the relevant rows, refusal AUC and refusal accuracy at FRR 0.1 on the
irrelevant ones; the IoU reward over the first and last fifth of the steps) and writes
rewards.png (IoU and total reward per step, a 10-step moving mean) and each RESULTS.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _row(name: str, r: dict) -> str:
    b, a = r["before"]["all"], r["after"]["all"]

    def pair(key):
        return f"{100 * b[key]:.1f} -> {100 * a[key]:.1f}"

    iou = r["rewards"].get("rewards/iou_reward/mean", {})
    rise = f"{iou['first']:.3f} -> {iou['last']:.3f}" if iou else "-"
    args = r["args"]
    return (
        f"| {name} | {args['rewards']} | {args['irrelevant_share']} | {pair('R1@0.5')} | "
        f"{pair('mIoU')} | {pair('refusal_auc')} | {pair('refusal_acc@frr0.1')} | {rise} |"
    )


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("runs", nargs="+", type=Path)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    print(
        "| run | rewards | irrelevant share | R1@0.5 | mIoU | refusal AUC | "
        "refusal acc. @ FRR 0.1 | IoU reward, first -> last fifth |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    curves = {}
    for d in args.runs:
        r = json.loads((d / "RESULTS.json").read_text())
        print(_row(d.name, r))
        log = [json.loads(x) for x in (d / "grpo" / "metrics.jsonl").read_text().splitlines()]
        curves[d.name] = [x for x in log if "rewards/iou_reward/mean" in x]
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"RESULTS_{d.name}.json").write_text(json.dumps(r, indent=1))
    if args.out is None:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, rows in curves.items():
        for ax, key in zip(axes, ("rewards/iou_reward/mean", "reward")):
            y = np.asarray([x[key] for x in rows], dtype=float)
            w = min(10, len(y))
            smooth = np.convolve(y, np.ones(w) / w, mode="valid")
            ax.plot(np.arange(w, len(y) + 1), smooth, label=name)
    for ax, title in zip(axes, ("IoU reward (10-step mean)", "total reward (10-step mean)")):
        ax.set(xlabel="GRPO step", title=title)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out / "rewards.png", dpi=110)


if __name__ == "__main__":
    main()
