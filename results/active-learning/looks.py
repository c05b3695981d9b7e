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

With the confirmation's RESULTS.json as a second argument it also prints the pre-registered
confirmation on fresh seeds (`confirmation/PLAN.md`) and its verdict:

    .venv/bin/python results/active-learning/looks.py results/active-learning/RESULTS.json \
        results/active-learning/confirmation/RESULTS.json
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

    models = st.Runs.of_args(summary["args"]).models
    lines = ["| look | round | mean | 95% | 97.5% (Bonferroni, 2 looks) | 95%, variance at "
             "least the training part | training part / variance over seeds | P(spread this "
             "small) |", "| --- | --- | ---: | --- | --- | --- | --- | ---: |"]  # fmt: skip
    for name, arms in LOOKS.items():
        runs = st.Runs(models, arms)
        views = [st.averaged(r, runs) for r in summary["seeds"]]
        look = {**summary, "args": {**summary["args"], "arm_repeats": str(arms)}}
        for rn in summary["paired_on_test"]:
            d = paired(views, int(rn[len("round") :]), "mIoU", "test")["diffs"]
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


CONFIRMED_ON = "mIoU"  # confirmation/PLAN.md: the hypothesis is on test mIoU, both rounds
BESIDE = ("refusal_auc", "refusal_acc@frr0.1")  # reported beside it, not part of the test


def confirmation(reported: dict, fresh: dict) -> list[str]:
    """The pre-registered confirmation (confirmation/PLAN.md) on the fresh seeds at their own
    runs per arm model: per round, audit - random on the test task with its 95% interval (one
    look), and the verdict: confirmed when every round's mIoU lower bound is above 0. Beside
    it, descriptive only: every seed of both runs at the fresh run's runs per arm model (the
    reported run's arm models cut to their first runs)."""
    runs = st.Runs.of_args(fresh["args"])
    arms = runs.arms or runs.models
    cut = st.Runs(st.Runs.of_args(reported["args"]).models, arms)
    views = [st.averaged(r, runs) for r in fresh["seeds"]]
    both = [st.averaged(r, cut) for r in reported["seeds"]] + views
    seeds = [r["seed"] for r in fresh["seeds"]]
    pooled = sorted(r["seed"] for r in reported["seeds"]) + seeds
    lines = [f"| test task, audit − random | round | fresh seeds {seeds[0]}-{seeds[-1]}: mean | "
             f"95% | per seed | all seeds {pooled[0]}-{pooled[-1]} (descriptive): mean | 95% |",
             "| --- | --- | ---: | --- | --- | ---: | --- |"]  # fmt: skip
    lows = {}
    for metric in (CONFIRMED_ON, *BESIDE):
        for rn in fresh["paired_on_test"]:
            number = int(rn[len("round") :])
            d = paired(views, number, metric, "test")["diffs"]
            m, lo, hi = interval(d, 0.95)
            pm, plo, phi = interval(paired(both, number, metric, "test")["diffs"], 0.95)
            if metric == CONFIRMED_ON:
                lows[rn] = lo
            lines.append(f"| {metric} | {rn} | {m:+.2f} | [{lo:.2f}, {hi:.2f}] | "
                         f"{', '.join(f'{x:+.2f}' for x in d)} | {pm:+.2f} | "
                         f"[{plo:.2f}, {phi:.2f}] |")  # fmt: skip
    lines += ["", f"Each arm model: the mean of its first {arms} training runs. {verdict(lows)}"]
    return lines


def verdict(lows: dict[str, float]) -> str:
    """confirmation/PLAN.md's rule: confirmed when every round's 95% lower bound is above 0."""
    short = [rn for rn, lo in lows.items() if not lo > 0]
    if not short:
        return f"**Confirmed**: every round's {CONFIRMED_ON} interval is above 0."
    return (f"**Not confirmed**: the {CONFIRMED_ON} interval of {', '.join(short)} reaches 0 "
            "or below.")  # fmt: skip


if __name__ == "__main__":
    reported = json.loads(Path(sys.argv[1]).read_text())
    print("\n".join(looks(reported)))
    if len(sys.argv) > 2:  # the confirmation on fresh seeds
        print("\n" + "\n".join(confirmation(reported, json.loads(Path(sys.argv[2]).read_text()))))
