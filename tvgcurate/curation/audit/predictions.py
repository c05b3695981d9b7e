"""How one prediction reads against its label: the pieces the model checks (`model`) and the
ranking (`ranking`, held-out agreement) share, kept here so neither imports the other.

    >>> refusal_prob({"refusal_score": 0.8})
    0.8
    >>> model_evidence({"a": {"fold": 0}, "b": {"fold": 1}})
    'out of fold (2 folds)'
    >>> model_evidence({"a": {"windows": []}})
    'in-sample'
"""

from __future__ import annotations

import numpy as np

from tvgcurate.metrics import top1_iou
from tvgcurate.schemas.sample import expects_refusal, stored_windows


def refusal_prob(pred: dict) -> float:
    """P(refusal) of one prediction: `refusal_score` when the run has it, else the share of
    K answers that refused, else the greedy `refused` flag (0 or 1)."""
    for key in ("refusal_score", "refusal_rate"):
        v = pred.get(key)
        if v is not None:
            return min(1.0, max(0.0, float(v)))
    return 1.0 if pred.get("refused") else 0.0


def top_iou(pred_windows: list[dict], label: list[tuple[float, float]]) -> float:
    """IoU of the first predicted window with the best-matching label window (metrics.top1_iou)."""
    if not pred_windows or not label:
        return 0.0
    w = pred_windows[0]
    p = np.array([[[w["start"], w["end"]]]], dtype=float)
    g = np.array([[sorted(w) for w in label]], dtype=float)
    return float(top1_iou(p, np.ones((1, 1), bool), g, np.ones((1, len(label)), bool))[0])


def agreement(row: dict, pred: dict) -> float:
    """How far one prediction agrees with its label (0..1): the top window's IoU with the
    label times P(answer) for a relevant row; P(refusal) for an irrelevant one."""
    p_ref = refusal_prob(pred)
    if expects_refusal(row):
        return p_ref
    label = stored_windows(row)
    if not label:
        return 1.0 - p_ref
    iou = 0.0 if pred.get("refused") else top_iou(pred.get("windows") or [], label)
    return iou * (1.0 - p_ref) if pred.get("refusal_score") is not None else iou


def folds(preds: dict[str, dict] | None) -> int | None:
    """How many folds scored the run out of fold: the number of distinct `fold` values when
    every prediction of the run has one (written by the loop's out-of-fold mode: a row scored
    by a model that did not train on it), else None (in-sample, or no `fold` column at all)."""
    rows = list((preds or {}).values())
    if not rows or any(p.get("fold") is None for p in rows):
        return None
    return len({p["fold"] for p in rows})


def model_evidence(preds: dict[str, dict] | None) -> str | None:
    """ "out of fold (K folds)", "in-sample", or None without predictions."""
    if not preds:
        return None
    k = folds(preds)
    return f"out of fold ({k} folds)" if k else "in-sample"
