"""Model/label disagreement, from one predictions run (`tvgcurate score`).

Each sample gets: the IoU of the top prediction with its label; a refusal on a relevant
sample; a confident answer on an irrelevant sample; and, when the run drew K answers
(`score --num-samples K`), their IoU spread (how much the K answers disagree, as a GRPO
group sees it).

The refusal checks read P(refusal) from the run's `refusal_score` column (0..1) when it has
one, else the share of K answers that refused (`refusal_rate`), else the greedy `refused`
flag (`predictions.refusal_prob`).

Thresholds that follow the model (cleanlab's per-class thresholds): a weak model (mean IoU
0.5) disagrees with half of the correct labels, so a fixed IoU < 0.5 would flag half the
clean rows. `iou_disagreement` and `iou_spread` therefore flag only the tail of the model's
own distribution for the sample's class (its `source` dataset; all rows pooled when a class
has fewer than `MIN_CLASS` rows): IoU below both `min_iou` and the `tail` quantile; spread
above both `max_spread` and the `1 - tail` quantile. Their fixed thresholds still define
the check's *alarm* (`Check.alarm`), which is what the ranking's false-alarm rate counts:
a model that disagrees with 45% of the rows gets a weight near 0 however few of them it
flags (`reliability`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tvgcurate.curation.audit.base import Check, Finding, register_check
from tvgcurate.curation.audit.predictions import refusal_prob, top_iou
from tvgcurate.keyvalue import setting
from tvgcurate.schemas.sample import expects_refusal, has_windows, stored_windows

MIN_CLASS = 20  # rows a class needs for its own quantile (else the pooled one)


class ModelCheck(Check):
    family = "model"
    requires = ("predictions",)
    model = True
    synthetic = True

    def pred(self, ctx, row):
        p = (ctx.predictions or {}).get(row["sample_id"])
        if p is not None and p.get("error"):
            return None
        return p

    def applies(self, ctx, row):
        return self.pred(ctx, row) is not None


def class_cuts(ctx, findings: list[Finding], q: float) -> dict[str, float]:
    """sample_id -> the `q` quantile of the findings' values in the sample's class (its
    `source`), pooled over all classes for a class with fewer than MIN_CLASS values; empty
    when even the pool is smaller (then only the fixed threshold applies)."""
    source = {r["sample_id"]: r.get("source") or "" for r in ctx.samples}
    vals: dict[str, list[float]] = {}
    for f in findings:
        if f.value is not None and f.error is None:
            vals.setdefault(source.get(f.sample_id, ""), []).append(float(f.value))
    pooled = [v for vs in vals.values() for v in vs]
    if len(pooled) < MIN_CLASS:
        return {}
    pool_cut = float(np.quantile(pooled, q))
    cut = {c: float(np.quantile(vs, q)) if len(vs) >= MIN_CLASS else pool_cut
           for c, vs in vals.items()}  # fmt: skip
    return {f.sample_id: cut[source.get(f.sample_id, "")] for f in findings if f.value is not None}


def _tail(help_side: str):
    return setting(
        0.2,
        f"Flag only the {help_side} this share of the model's own distribution in "
        "the sample's class (source dataset); 1: the fixed threshold alone.",
    )


@dataclass
class IoUConfig:
    min_iou: float = setting(0.5, "Flag when the top prediction's IoU with the label is below.")
    tail: float = _tail("lowest")


@register_check
class IoUDisagreement(ModelCheck):
    name = "iou_disagreement"
    description = "the model's top window disagrees with the label (score = IoU)"
    Config = IoUConfig
    section = "Model/label agreement"
    section_missing = "No predictions run audited (pass --predictions RUN)."
    section_order = 1

    @classmethod
    def trust(cls, rows):
        """min(1, 2 * mean IoU) of the run's top windows: a run that rarely agrees with any
        label cannot tell a wrong label from its own mistake."""
        ious = [r["score"] for r in rows if r["score"] is not None]
        return float(min(1.0, 2.0 * float(np.mean(ious)))) if ious else None

    def plot(self, rows, dpi):
        from tvgcurate.curation.audit.plots import plot_iou

        return plot_iou(rows, self.config.min_iou, dpi)

    def applies(self, ctx, row):
        p = self.pred(ctx, row)
        return (
            p is not None and has_windows(row) and bool(row.get("windows")) and not p.get("refused")
        )

    def score_one(self, ctx, row):
        p = self.pred(ctx, row)
        wins = p.get("windows") or []
        iou = top_iou(wins, stored_windows(row))
        w0 = wins[0] if wins else None
        detail = (
            f"model [{w0['start']:g}, {w0['end']:g}] vs label IoU {iou:.2f}" if w0 else "no window"
        )
        return Finding(row["sample_id"], iou, detail, iou)

    def calibrate(self, ctx, findings):
        self.cuts = class_cuts(ctx, findings, self.config.tail) if self.config.tail < 1 else {}

    def alarm(self, f):
        return f.value is not None and f.value < self.config.min_iou

    def is_issue(self, f):
        cut = getattr(self, "cuts", {}).get(f.sample_id)
        return self.alarm(f) and (cut is None or f.value <= cut)


@dataclass
class FalseRefusalConfig:
    max_score: float = setting(
        0.5, "Flag when the share of answers that answer (1 - refusal rate) is below."
    )


@register_check
class FalseRefusal(ModelCheck):
    name = "false_refusal"
    description = "the model refuses a sample labelled relevant"
    Config = FalseRefusalConfig

    def applies(self, ctx, row):
        return self.pred(ctx, row) is not None and has_windows(row)

    def score_one(self, ctx, row):
        p = self.pred(ctx, row)
        p_ref = refusal_prob(p)
        has_score = p.get("refusal_score") is not None
        refused = p_ref >= 0.5 if has_score else bool(p.get("refused"))
        if has_score:
            detail = f"refuses (P(refusal) {p_ref:.2f})"
        elif p.get("refusal_rate") is not None:
            detail = f"refused ({p_ref:.0%} of answers)"
        else:
            detail = "refused"
        return Finding(row["sample_id"], 1.0 - p_ref, detail if refused else "", p_ref)

    def is_issue(self, f):
        return f.score is not None and f.score < self.config.max_score


@dataclass
class ConfidentConfig:
    min_confidence: float = setting(
        0.5, "Flag an irrelevant sample answered with at least this confidence."
    )


@register_check
class ConfidentOnIrrelevant(ModelCheck):
    name = "confident_on_irrelevant"
    description = "the model confidently grounds a sample labelled irrelevant"
    Config = ConfidentConfig

    def applies(self, ctx, row):
        return self.pred(ctx, row) is not None and expects_refusal(row)

    def score_one(self, ctx, row):
        p = self.pred(ctx, row)
        rate = p.get("refusal_rate")
        wins = p.get("windows") or []
        if p.get("refusal_score") is not None:  # P(answer) of the model, refused or not
            conf = 1.0 - refusal_prob(p)
        elif p.get("refused") or not wins:
            conf = 0.0 if rate is None else 1.0 - float(rate)
        else:
            s = wins[0].get("score")
            conf = float(s) if s is not None else 1.0
            if rate is not None:
                conf = min(conf, 1.0 - float(rate))
        detail = (
            f"answered [{wins[0]['start']:g}, {wins[0]['end']:g}] (confidence {conf:.2f})"
            if wins and not p.get("refused")
            else ""
        )
        return Finding(row["sample_id"], 1.0 - conf, detail, conf)

    def is_issue(self, f):
        return f.value is not None and f.value >= self.config.min_confidence


@dataclass
class SpreadConfig:
    max_spread: float = setting(0.5, "Flag when the K answers' IoU spread exceeds this.")
    tail: float = _tail("highest")


@register_check
class IoUSpread(ModelCheck):
    name = "iou_spread"
    description = "the K sampled answers disagree with each other (uncertainty)"
    Config = SpreadConfig
    # the answers against each other, never against the label: on the active-learning
    # benchmark it fired on 20% of the correct rows and 18% of the planted errors
    # (docs/active-learning.md), so it adds no evidence to the priority
    reads_label = False

    def applies(self, ctx, row):
        p = self.pred(ctx, row)
        return p is not None and p.get("iou_spread") is not None

    def score_one(self, ctx, row):
        s = float(self.pred(ctx, row)["iou_spread"])
        return Finding(row["sample_id"], 1.0 - s, f"IoU spread {s:.2f}" if s > 0 else "", s)

    def calibrate(self, ctx, findings):
        tail = self.config.tail
        self.cuts = class_cuts(ctx, findings, 1.0 - tail) if tail < 1 else {}

    def alarm(self, f):
        return f.value is not None and f.value > self.config.max_spread

    def is_issue(self, f):
        cut = getattr(self, "cuts", {}).get(f.sample_id)
        return self.alarm(f) and (cut is None or f.value >= cut)
