"""How much a flag of each check is worth, measured on the audited rows themselves.

Every check is read as a noisy witness that the label is wrong. Its flag carries the log
likelihood ratio ``w = ln((1 - f) / f)``, where ``f`` is the check's **false-alarm rate**:
how often it fires on a row whose label is fine. That is the weight of a voter in the
one-coin Dawid-Skene model (a witness wrong with probability f), and it spreads the checks
the way their rarity asks: a check firing on 1% of rows carries ~ln(99) = 4.6 nats, one
firing on 45% carries ln(55/45) = 0.2, one firing on half the rows or more carries 0. A
check's silence adds nothing: each check looks for one kind of error, so not seeing it says
little about the others.

``f`` comes from DATA, never a constant. Labelled rows carry no truth, but errors are a
minority, so the rows a check fires on are mostly clean rows: the fire rate is an estimate
of f that errors can only inflate (it errs toward under-weighting, never toward trusting a
check more than it earned). Two refinements keep it honest when the rows carry errors (held
out labels are not clean either: TimeLens finds boundary problems in a third of Charades-STA):

* **Rows another decisive check flags are left out** of the estimate. A row flagged by a
  check whose own false-alarm rate is at most ``decisive`` (5%) is probably wrong, so it
  should not count as a clean row that the check under estimation fired on. Weak checks
  never exclude rows: weak model flags (iou_disagreement, iou_spread) fire together on the
  same hard but correct rows, and leaving out one's rows would make the other look rare.
  Two passes from the raw rates reach the fixed point for practical purposes.
* **Shrinkage toward the pooled rate** (empirical Bayes): ``f = (alarms + s * f0) / (rows +
  s)`` with ``f0`` the alarm rate of all checks together and ``s = PRIOR_ROWS`` (4) rows'
  worth of prior. A check whose domain is tiny (overlapping_windows applies only to rows
  with two windows: 2 rows on a small set, both flagged) is read as an ordinary check until
  it has rows enough to say otherwise, and no check reaches an infinite weight.

The rate is measured within the check's domain (the rows it scored: false_refusal on rows
labelled relevant, confident_on_irrelevant on rows labelled irrelevant), as the likelihood
ratio of a flag asks: a model that grounds half of the irrelevant rows is a coin flip
there, however few irrelevant rows the set has.

What is counted is the check's *alarm* (`Check.alarm`): its fixed threshold, before any
quantile of the data narrows its flags (a model with mean IoU 0.5 "disagrees" with 45% of
rows, so its disagreement weighs ~0 however few of those rows it flags).

>>> rows = [{"sample_id": str(i), "check": "zero_length", "score": 0.0 if i < 2 else 1.0,
...          "is_issue": i < 2, "value": 0.0} for i in range(200)]
>>> r = estimate(rows)["zero_length"]
>>> r.alarms, r.measured, round(r.false_alarm, 4), round(r.weight, 2)
(2, 200, 0.01, 4.59)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from tvgcurate.curation.audit.base import CHECKS

PRIOR_ROWS = 4  # rows' worth of prior at the pooled alarm rate


@dataclass
class Reliability:
    """One check's measured reliability on one audit."""

    check: str
    measured: int  # rows the check scored
    alarms: int  # rows past its fixed threshold
    flagged: int  # rows it flagged (alarms, narrowed by a data-driven threshold if any)
    fire_rate: float  # alarms / measured (raw)
    clean_rows: int  # rows the false-alarm rate was measured on (no other decisive flag)
    false_alarm: float  # f: the robust estimate of how often it fires on a clean row
    weight: float  # ln((1 - f) / f), at least 0: the nats one flag adds to the evidence

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        """e.g. "false_refusal +3.81 (f 2.2%)": the weight and the false-alarm rate it comes
        from."""
        f = self.false_alarm
        return (
            f"{self.check} +{self.weight:.2f} (f {f:.1%})"
            if f < 0.1
            else (f"{self.check} +{self.weight:.2f} (f {f:.0%})")
        )


def log_odds(f: float) -> float:
    """The weight of a flag with false-alarm rate f: ln((1 - f) / f), never below 0."""
    return max(0.0, math.log((1.0 - f) / f))


def _alarms(rows: list[dict], checks: dict | None) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in rows:
        name = r["check"]
        if name not in CHECKS:
            alarm = bool(r["is_issue"]) and r.get("score") is not None
        else:
            inst = (checks or {}).get(name)
            alarm = (inst if inst is not None else CHECKS.get(name)()).alarm_row(r)
        if alarm:
            out.setdefault(name, set()).add(r["sample_id"])
    return out


def estimate(
    rows: list[dict], checks: dict | None = None, decisive: float = 0.05, passes: int = 2
) -> dict[str, Reliability]:
    """The reliability of every check in audit `rows` (one row per sample and check; the
    priority rows, if any, are ignored). `checks`: the check instances that wrote the rows
    (their thresholds define the alarms); defaults are built where one is missing."""
    rows = [r for r in rows if r["check"] != "priority"]
    measured: dict[str, set[str]] = {}
    flagged: dict[str, set[str]] = {}
    for r in rows:
        if r.get("score") is None or r.get("error"):
            continue
        measured.setdefault(r["check"], set()).add(r["sample_id"])
        if r["is_issue"]:
            flagged.setdefault(r["check"], set()).add(r["sample_id"])
    alarms = _alarms(rows, checks)
    total = sum(len(m) for m in measured.values())
    pooled = (sum(len(alarms.get(n, ())) for n in measured) + 0.5) / (total + 1)

    def rate(name: str, excluded: set[str]) -> tuple[int, float]:
        base = measured[name] - excluded
        hits = len(alarms.get(name, set()) & base)
        return len(base), (hits + PRIOR_ROWS * pooled) / (len(base) + PRIOR_ROWS)

    f = {n: rate(n, set())[1] for n in measured}
    clean = {n: len(measured[n]) for n in measured}
    for _ in range(passes):
        strong = [n for n in measured if f[n] <= decisive]
        new = {}
        for n in measured:
            excluded = set().union(*(flagged.get(d, set()) for d in strong if d != n))
            clean[n], new[n] = rate(n, excluded)
        f = new
    out = {}
    for n in measured:
        a = len(alarms.get(n, set()))
        out[n] = Reliability(
            check=n, measured=len(measured[n]), alarms=a, flagged=len(flagged.get(n, ())),
            fire_rate=a / len(measured[n]), clean_rows=clean[n], false_alarm=f[n],
            weight=log_odds(f[n]),
        )  # fmt: skip
    return out
