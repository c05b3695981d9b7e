"""Plot pretraining loss curves (50-step means) from `tvgcurate train` metrics.jsonl files.

    .venv/bin/python benchmarks/plot_pretrain_loss.py OUT.png LABEL=RUN/pretrain/metrics.jsonl ...

docs/learning.md's plateau figure: which pretraining runs leave the base-rate plateau.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def curve(path: Path, every: int = 50) -> list[float]:
    rows = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    loss = [r["loss"] for r in rows if isinstance(r.get("loss"), float)]
    return [statistics.mean(loss[i : i + every]) for i in range(0, len(loss), every)]


def main(argv: list[str]) -> int:
    if len(argv) < 2 or any("=" not in a for a in argv[1:]):
        raise SystemExit(__doc__)
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
    raise SystemExit(main(sys.argv[1:]))
