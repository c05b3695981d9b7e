"""Matching predictions to GT queries by key, and the metrics over the matched set."""

from __future__ import annotations

import numpy as np

from tvgcurate import metrics
from tvgcurate.errors import InputError, TvgError
from tvgcurate.evaluation.loaders import GroundTruth, Predictions


def _resolve(key: str, gt: GroundTruth) -> str | None:
    if key in gt.windows:
        return key
    if key in gt.aliases:
        target = gt.aliases[key]
        if target is None:
            raise InputError(
                gt.source,
                None,
                "source_qid",
                f"qid {key} matches several samples; use sample ids or --split",
            )
        return target
    tail = key.split(":", 2)[-1]  # source:split:qid -> qid
    return tail if tail != key and tail in gt.windows else None


def evaluate_loaded(preds: Predictions, gt: GroundTruth, max_pred_windows: int = 10) -> dict:
    """Match predictions to GT queries and compute the metrics (reference layout + extra)."""
    matched: dict[str, str] = {}
    unmatched = 0
    for key in preds.windows:
        target = _resolve(key, gt)
        if target is None:
            unmatched += 1
        elif target in matched:
            raise InputError(
                preds.source,
                None,
                "qid",
                f"{matched[target]} and {key} both name GT query {target}",
            )
        else:
            matched[target] = key
    if not matched:
        raise TvgError(
            f"no prediction in {preds.source} names a query of {gt.source} "
            "(are they the same dataset and split?)"
        )
    keys = list(gt.windows)
    empty = np.zeros((0, 3))
    pred_windows = [preds.windows[matched[k]] if k in matched else empty for k in keys]
    refused = [preds.refused[matched[k]] if k in matched else False for k in keys]
    result = metrics.evaluate(
        pred_windows, [gt.windows[k] for k in keys], refused, max_pred_windows=max_pred_windows
    )
    result["extra"]["missing_predictions"] = len(keys) - len(matched)
    result["extra"]["unmatched_predictions"] = unmatched
    result["extra"]["predictions"] = preds.source
    result["extra"]["ground_truth"] = gt.source
    return result
