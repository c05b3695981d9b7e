"""The paired test-task mIoU intervals of docs/active-learning.md's "second look".

The reported run's arm models were averaged over three training runs first (the first
look), then over six (the second look, `--arm-repeats 6`). For each look and round this
prints audit - random over the seeds with:
- its 95% t-interval (what `--markdown` reports for the look it was run at);
- the interval at 1 - 0.05 / 2 per look (Bonferroni over the two looks);
- the 95% interval with the variance over seeds raised to at least the training runs' part
  (`active_learning_stake.training_part`), for when the seeds happen to agree more closely
  than the training noise allows;
- how rare a spread as small as the seeds' is under the training noise alone (chi-square).

    .venv/bin/python results/active-learning/looks.py results/active-learning/RESULTS.json
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks import active_learning_stake as st  # noqa: E402
from benchmarks.active_learning import paired  # noqa: E402

LOOKS = {"first look": 3, "second look": 6}  # runs per arm model


def interval(diffs: list[float], level: float, variance: float | None = None) -> tuple:
    from scipy.stats import t

    n = len(diffs)
    mean = statistics.mean(diffs)
    var = statistics.variance(diffs) if variance is None else variance
    half = t.ppf(1 - (1 - level) / 2, n - 1) * math.sqrt(var / n)
    return mean, mean - half, mean + half


def looks(summary: dict) -> list[str]:
    from scipy.stats import chi2

    models = int(summary["args"].get("repeats", 1) or 1)
    lines = ["| look | round | mean | 95% | 97.5% (Bonferroni, 2 looks) | 95%, variance at "
             "least the training part | training part / variance over seeds | P(spread this "
             "small) |", "| --- | --- | ---: | --- | --- | --- | --- | ---: |"]  # fmt: skip
    for name, arms in LOOKS.items():
        runs = st.Runs(models, arms)
        views = [st.averaged(r, runs) for r in summary["seeds"]]
        look = {**summary, "args": {**summary["args"], "arm_repeats": str(arms)}}
        for rn in summary["paired_on_test"]:
            d = paired(views, int(rn[len("round"):]), "mIoU", "test")["diffs"]
            part = st.training_part(look, rn)["variance"]
            var = statistics.variance(d)
            m, lo, hi = interval(d, 0.95)
            _, blo, bhi = interval(d, 0.975)
            _, flo, fhi = interval(d, 0.95, max(var, part))
            rare = chi2.cdf((len(d) - 1) * var / part, len(d) - 1)
            lines.append(f"| {name} ({arms} runs) | {rn} | {m:+.2f} | [{lo:.2f}, {hi:.2f}] | "
                         f"[{blo:.2f}, {bhi:.2f}] | [{flo:.2f}, {fhi:.2f}] | {part:.2f} / "
                         f"{var:.2f} | {rare:.3f} |")  # fmt: skip
    return lines


if __name__ == "__main__":
    print("\n".join(looks(json.loads(Path(sys.argv[1]).read_text()))))
