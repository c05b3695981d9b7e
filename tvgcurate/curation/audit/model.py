"""Model/label disagreement, from one predictions run (`tvgcurate score`).

Each sample gets: the IoU of the top prediction with its label; a refusal on a relevant
sample; a confident answer on an irrelevant sample; and, when the run drew K answers
(`score --num-samples K`), their IoU spread (how much the K answers disagree, as a GRPO
group sees it).

The refusal checks read P(refusal) from the run's `refusal_score` column (0..1) when it has
one, else the share of K answers that refused (`refusal_rate`), else the greedy `refused`
flag (`ranking.refusal_prob`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tvgcurate.curation.audit.base import Check, Finding, register_check
from tvgcurate.curation.audit.context import is_relevant, windows_of
from tvgcurate.curation.audit.ranking import refusal_prob
from tvgcurate.metrics import top1_iou


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


def top_iou(pred_windows: list[dict], label: list[tuple[float, float]]) -> float:
    """IoU of the first predicted window with the best-matching label window (metrics.top1_iou)."""
    if not pred_windows or not label:
        return 0.0
    w = pred_windows[0]
    p = np.array([[[w["start"], w["end"]]]], dtype=float)
    g = np.array([[sorted(w) for w in label]], dtype=float)
    return float(top1_iou(p, np.ones((1, 1), bool), g, np.ones((1, len(label)), bool))[0])


@dataclass
class IoUConfig:
    min_iou: float = field(
        default=0.5,
        metadata={"help": "Flag when the top prediction's IoU with the label is below."},
    )


@register_check
class IoUDisagreement(ModelCheck):
    name = "iou_disagreement"
    description = "the model's top window disagrees with the label (score = IoU)"
    weight = 0.7
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
            p is not None and is_relevant(row) and bool(row.get("windows")) and not p.get("refused")
        )

    def score_one(self, ctx, row):
        p = self.pred(ctx, row)
        wins = p.get("windows") or []
        iou = top_iou(wins, windows_of(row))
        w0 = wins[0] if wins else None
        detail = (
            f"model [{w0['start']:g}, {w0['end']:g}] vs label IoU {iou:.2f}" if w0 else "no window"
        )
        return Finding(row["sample_id"], iou, detail, iou)

    def is_issue(self, f):
        return f.value is not None and f.value < self.config.min_iou


@dataclass
class FalseRefusalConfig:
    max_score: float = field(
        default=0.5,
        metadata={
            "help": "Flag when the share of answers that answer (1 - refusal rate) is below."
        },
    )


@register_check
class FalseRefusal(ModelCheck):
    name = "false_refusal"
    description = "the model refuses a sample labelled relevant"
    weight = 0.6
    Config = FalseRefusalConfig

    def applies(self, ctx, row):
        return self.pred(ctx, row) is not None and is_relevant(row)

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
    min_confidence: float = field(
        default=0.5,
        metadata={"help": "Flag an irrelevant sample answered with at least this confidence."},
    )


@register_check
class ConfidentOnIrrelevant(ModelCheck):
    name = "confident_on_irrelevant"
    description = "the model confidently grounds a sample labelled irrelevant"
    weight = 0.6
    Config = ConfidentConfig

    def applies(self, ctx, row):
        return self.pred(ctx, row) is not None and not is_relevant(row)

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
    max_spread: float = field(
        default=0.5, metadata={"help": "Flag when the K answers' IoU spread exceeds this."}
    )


@register_check
class IoUSpread(ModelCheck):
    name = "iou_spread"
    description = "the K sampled answers disagree with each other (uncertainty)"
    weight = 0.4
    Config = SpreadConfig

    def applies(self, ctx, row):
        p = self.pred(ctx, row)
        return p is not None and p.get("iou_spread") is not None

    def score_one(self, ctx, row):
        s = float(self.pred(ctx, row)["iou_spread"])
        return Finding(row["sample_id"], 1.0 - s, f"IoU spread {s:.2f}" if s > 0 else "", s)

    def is_issue(self, f):
        return f.value is not None and f.value > self.config.max_spread
