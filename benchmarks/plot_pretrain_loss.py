"""Plot pretraining loss curves (50-step means) from `tvgcurate train` metrics.jsonl files.

    .venv/bin/python -m benchmarks.plot_pretrain_loss OUT.png LABEL=RUN/pretrain/metrics.jsonl ...

docs/learning.md's plateau figure: which pretraining runs leave the base-rate plateau.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path


def curve(path: Path, every: int = 50) -> list[float]:
    rows = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    loss = [r["loss"] for r in rows if isinstance(r.get("loss"), float)]
    return [statistics.mean(loss[i : i + every]) for i in range(0, len(loss), every)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out", help="the figure (PNG)")
    p.add_argument("runs", nargs="+", metavar="LABEL=METRICS", help="a run's metrics.jsonl")
    args = p.parse_args(argv)
    if any("=" not in a for a in args.runs):
        p.error("each run is LABEL=RUN/pretrain/metrics.jsonl")
    argv = [args.out, *args.runs]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6))
    for arg in argv[1:]:
        label, path = arg.split("=", 1)
        ys = curve(Path(path))
        ax.plot([50 * (i + 1) for i in range(len(ys))], ys, label=label)
    ax.set(xlabel="pretraining step", ylabel="loss (mean of 50 steps)", ylim=(0, 0.2))
    ax.legend(fontsize=7)
    fig.savefig(argv[0], dpi=90, bbox_inches="tight")
    print(argv[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
