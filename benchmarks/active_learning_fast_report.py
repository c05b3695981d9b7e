"""Tables and plots of `active_learning_fast.py` runs, one RESULTS.json per seed.

    .venv/bin/python benchmarks/active_learning_fast_report.py /tmp/al_s0 /tmp/al_s1 --out docs/active-learning-fast

Prints the markdown tables of docs/active-learning.md (find: precision@k per ranking; rounds:
held-out R1@0.5 / mIoU / refusal AUC per seed with the mean and the seed spread) and writes
precision.png (precision@k curves, base rate dashed, k = planted dotted) and rounds.png.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

ROUNDS = (("round0", "round 0 (noisy labels)"), ("round1_audit", "round 1: audit top-k"),
          ("round1_random", "round 1: random k"))  # fmt: skip
METRICS = (("R1@0.5", "R1@0.5"), ("mIoU", "mIoU"), ("refusal_auc", "refusal AUC"))


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _spread(values: list[float]) -> str:
    """Mean, and the half-range of the seeds (their spread) when there are several."""
    mean = statistics.mean(values)
    if len(values) < 2:
        return _pct(mean)
    return f"{_pct(mean)} ± {_pct((max(values) - min(values)) / 2)}"


def tables(results: list[dict]) -> str:
    lines = ["| ranking | precision@k (k = planted) | precision@5% |", "| --- | ---: | ---: |"]
    for name in ("model", "rules", "random"):
        at_k = [r["find"][f"{name}@k"] for r in results]
        at_5 = [r["find"][f"{name}@5%"] for r in results]
        per = " / ".join(_pct(x) for x in at_k)
        lines.append(f"| {name} | {_spread(at_k)} ({per}) | {_spread(at_5)} |")
    base = [r["find"]["base_rate"] for r in results]
    lines.append(f"| base rate | {_spread(base)} | |")
    lines += ["", "| held-out | " + " | ".join(m for _, m in METRICS) + " | planted left |"]
    lines.append("| --- |" + " ---: |" * (len(METRICS) + 1))
    for key, label in ROUNDS:
        if not all(key in r for r in results):
            continue
        cells = []
        for m, _ in METRICS:
            vals = [r[key]["heldout"]["all"][m] for r in results]
            cells.append(f"{_spread(vals)} ({' / '.join(_pct(v) for v in vals)})")
        left = [str(r[key].get("planted_left", r["planted"])) for r in results]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {' / '.join(left)} |")
    return "\n".join(lines)


def plots(results: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.6), squeeze=False)
    for ax, r in zip(axes[0], results):
        f = r["find"]
        for name, curve in f["curve"].items():
            ax.plot(f["curve_k"], [100 * x for x in curve], label=name)
        ax.axhline(100 * f["base_rate"], ls="--", c="grey", label="base rate")
        ax.axvline(f["k"], ls=":", c="grey", label="k = planted")
        ax.set(
            xlabel="top k", ylabel="planted rows in top k (%)", title=f"seed {r['args']['seed']}"
        )
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "precision.png", dpi=110)
    fig, axes = plt.subplots(1, len(METRICS), figsize=(4 * len(METRICS), 3.4))
    for ax, (m, label) in zip(axes, METRICS):
        for r in results:
            keys = [k for k, _ in ROUNDS if k in r]
            ax.plot(range(len(keys)), [100 * r[k]["heldout"]["all"][m] for k in keys], "o-",
                    label=f"seed {r['args']['seed']}")  # fmt: skip
        ax.set_xticks(range(len(ROUNDS)), ["round 0", "r1 audit", "r1 random"])
        ax.set(title=f"held-out {label}")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "rounds.png", dpi=110)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="--out directories of the runs")
    p.add_argument("--out", type=Path, default=None, help="write the plots and RESULTS here")
    args = p.parse_args(argv)
    results = [json.loads((d / "RESULTS.json").read_text()) for d in args.runs]
    print(tables(results))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        plots(results, args.out)
        for r in results:
            (args.out / f"RESULTS_seed{r['args']['seed']}.json").write_text(json.dumps(r, indent=1))


if __name__ == "__main__":
    main()
