"""Temporal grounding metrics: one implementation, used everywhere (numpy only).

Moment-retrieval numbers are exactly those of the reference QVHighlights evaluator
(jayleicn/moment_detr ``standalone_eval/eval.py``), computed for all queries at once:

- **R1@t**: the *first* predicted window (as listed, not re-sorted by score) against the
  ground-truth window it overlaps most; a hit when IoU >= t.
- **mAP@t**: per query, at most ``max_pred_windows`` (10) predicted windows, ranked by score
  (stable: ties keep their listed order), matched greedily to the ground-truth windows
  (each prediction takes the unmatched GT window of highest IoU >= t), then the
  VOC-2011-style interpolated average precision; averaged over queries, per threshold
  0.5:0.05:0.95, and over thresholds ("average").
- **Length buckets** by GT window length: short (0, 10], middle (10, 30], long (30, 150]
  seconds. A bucket keeps only the GT windows of its length and only the queries that
  still have one; "full" keeps everything.
- Reported x100, rounded to 2 decimals.

Beyond the reference: R1@0.3, mIoU (mean IoU of the first window, x100), refusal
precision / recall / accuracy / false-refusal rate, and the refusal-aware numbers over all
queries (RA-IoU@0.3/0.5/0.7 of RA-RFT; relevance accuracy / precision / recall / F1 with
"relevant" (answered) as the positive class, as RaTSG and RA-RFT count them). Where the reference is undefined we
choose (see docs/metrics.md): a query without any predicted window (or a refusal) scores
IoU 0 and AP 0 instead of crashing; irrelevant queries (no GT window) take part in the
refusal metrics only; the IoU of two windows whose union is empty is 0 (the reference's
cross IoU gives NaN there and then counts it as a match).

Every function takes padded arrays: windows ``(Q, K, 2|3)`` with a validity mask ``(Q, K)``;
:func:`pad` builds them from per-query lists.

>>> gt = [np.array([[10.0, 20.0]])]
>>> pred = [np.array([[12.0, 20.0, 0.9], [0.0, 5.0, 0.1]])]
>>> m = evaluate(pred, gt)
>>> m["full"]["MR-R1"]["0.7"], m["extra"]["mIoU"]
(100.0, 80.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

THRESHOLDS: tuple[float, ...] = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
"""IoU thresholds of mAP and R1, as the reference spells them (keys "0.5" ... "0.95")."""
EXTRA_R1_THRESHOLD = 0.3
MAX_PRED_WINDOWS = 10
BUCKETS: dict[str, tuple[float, float] | None] = {
    "full": None,
    "long": (30.0, 150.0),
    "middle": (10.0, 30.0),
    "short": (0.0, 10.0),
}
"""GT-window length buckets (lo, hi] in seconds; None keeps every window."""


def percent(x: float | None) -> float | None:
    """``x`` as a percentage rounded to 2 decimals (the reference's formatting); None stays."""
    if x is None or not np.isfinite(x):
        return None
    return float(f"{100 * x:.2f}")


# -- IoU ---------------------------------------------------------------------------------


def interval_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise IoU of windows ``a[..., 0:2]`` and ``b[..., 0:2]`` (broadcasting).

    The union is ``len(a) + len(b) - intersection`` (the reference's cross IoU, so that
    threshold comparisons are bit-identical); an empty union gives 0.

    >>> interval_iou(np.array([0.0, 10.0]), np.array([5.0, 15.0])).round(4)
    np.float64(0.3333)
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    inter = np.clip(np.minimum(a[..., 1], b[..., 1]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    union = (a[..., 1] - a[..., 0]) + (b[..., 1] - b[..., 0]) - inter
    ok = union > 0
    return np.divide(inter, union, out=np.zeros_like(inter), where=ok)


def pairwise_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every window of ``a (..., N, 2)`` with every window of ``b (..., M, 2)``: ``(..., N, M)``.

    >>> pairwise_iou(np.array([[0.0, 2.0]]), np.array([[0.0, 1.0], [1.0, 3.0]]))
    array([[0.5       , 0.33333333]])
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return interval_iou(a[..., :, None, :2], b[..., None, :, :2])


def _hull_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Paired IoU with the convex hull as denominator, as the reference computes R1.

    For intervals the hull equals the union whenever they intersect (and the intersection
    is 0 otherwise), so this is the same IoU; the separate formula keeps R1's threshold
    comparisons bit-identical to the reference's.
    """
    inter = np.clip(np.minimum(a[..., 1], b[..., 1]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    hull = np.maximum(a[..., 1], b[..., 1]) - np.minimum(a[..., 0], b[..., 0])
    return np.divide(inter, hull, out=np.zeros_like(inter), where=hull != 0)


# -- packing -----------------------------------------------------------------------------


def pad(
    arrays: Sequence[np.ndarray], width: int, limit: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Stack per-query ``(k_i, >=width)`` arrays into ``(Q, K, width)`` plus a ``(Q, K)`` mask.

    ``limit`` keeps only the first ``limit`` rows of each query (in listed order).
    K is at least 1 so that empty inputs keep their shape.
    """
    q = len(arrays)
    counts = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=q)
    if limit is not None:
        counts = np.minimum(counts, limit)
    k = max(int(counts.max(initial=0)), 1)
    out = np.zeros((q, k, width))
    valid = np.arange(k) < counts[:, None]
    if counts.sum():
        parts = [np.asarray(a, dtype=float)[:c, :width] for a, c in zip(arrays, counts) if c]
        out[valid] = np.concatenate(parts)
    return out, valid


# -- per-query scores --------------------------------------------------------------------


def top1_iou(
    pred: np.ndarray, pred_valid: np.ndarray, gt: np.ndarray, gt_valid: np.ndarray
) -> np.ndarray:
    """IoU of each query's first predicted window with its best-overlapping GT window: ``(Q,)``.

    ``pred (Q, P, >=2)`` in listed order; a query without a prediction or without a valid GT
    window scores 0. Ties between GT windows go to the first one listed.
    """
    first = pred[:, 0, :2]
    cross = pairwise_iou(first[:, None, :], gt)[:, 0, :]  # (Q, G)
    cross = np.where(gt_valid, cross, -np.inf)
    best = cross.argmax(axis=1)
    chosen = np.take_along_axis(gt[..., :2], best[:, None, None], axis=1)[:, 0, :]
    iou = _hull_iou(first, chosen)
    return np.where(pred_valid[:, 0] & gt_valid.any(axis=1), iou, 0.0)


def recall_at_1(ious: np.ndarray, thresholds: Sequence[float] = THRESHOLDS) -> np.ndarray:
    """Fraction of queries whose top-1 IoU is >= each threshold: ``(T,)`` (NaN for no query)."""
    thr = np.asarray(thresholds, dtype=float)
    if len(ious) == 0:
        return np.full(len(thr), np.nan)
    return (np.asarray(ious)[:, None] >= thr[None, :]).mean(axis=0)


def _greedy_match(ious: np.ndarray, thr: np.ndarray) -> np.ndarray:
    """True positives ``(Q, T, P)`` of ranked predictions against GT windows, ``ious (Q, P, G)``.

    In rank order, a prediction is a hit when the unmatched GT window of highest IoU reaches
    the threshold; that window is then matched. Among equal IoUs the last listed GT window
    is taken (the reference walks a reversed argsort).
    """
    n_q, n_p, n_g = ious.shape
    if n_g == 1:  # one GT window: the first prediction that reaches it is the only hit
        hit = ious[:, None, :, 0] >= thr[None, :, None]
        return hit & (np.cumsum(hit, axis=2) == 1)
    rev = np.ascontiguousarray(ious[..., ::-1])  # argmax takes the first of equals
    n_t = len(thr)
    locked = np.zeros((n_q, n_t, n_g), dtype=bool)
    tp = np.zeros((n_q, n_t, n_p), dtype=bool)
    qi = np.arange(n_q)[:, None]
    ti = np.arange(n_t)[None, :]
    for p in range(n_p):
        cand = np.where(locked, -np.inf, rev[:, None, p, :])  # (Q, T, G)
        best = cand.argmax(axis=2)
        hit = cand[qi, ti, best] >= thr[None, :]
        tp[:, :, p] = hit
        locked[qi, ti, best] |= hit
    return tp


def average_precision(
    pred: np.ndarray,
    pred_valid: np.ndarray,
    gt: np.ndarray,
    gt_valid: np.ndarray,
    thresholds: Sequence[float] = THRESHOLDS,
) -> np.ndarray:
    """Interpolated AP of every query at every IoU threshold: ``(Q, T)``.

    ``pred (Q, P, 3)`` holds start, end, score (already cut to the windows to use); they are
    ranked by score (stable). Each prediction in rank order becomes a true positive when the
    unmatched GT window of highest IoU reaches the threshold (ties: the last listed GT
    window, as the reference's reversed argsort picks), and that window is then matched.
    AP is the area under the precision envelope at every recall step (VOC 2011).
    Queries need at least one valid GT window; a query without predictions scores 0.
    """
    thr = np.asarray(thresholds, dtype=float)
    n_q, n_p = pred_valid.shape
    n_t = len(thr)
    # rank by score, stable; padding goes last
    key = np.where(pred_valid, -pred[..., 2], np.inf)
    order = np.argsort(key, axis=1, kind="stable")
    ranked = np.take_along_axis(pred[..., :2], order[..., None], axis=1)
    ranked_valid = np.take_along_axis(pred_valid, order, axis=1)

    # IoU of every ranked prediction with every GT window; valid GT windows moved to the
    # front (order kept) so that queries can be matched in groups of similar GT counts.
    ious = pairwise_iou(ranked, gt)
    # The reference divides 0 by an empty union (an inverted window as long as a GT window,
    # or two zero-length windows): nan, which its matching counts as a hit at every
    # threshold, ahead of any other GT window. +inf does the same here.
    span = (ranked[..., 1] - ranked[..., 0])[:, :, None] + (gt[..., 1] - gt[..., 0])[:, None, :]
    ious = np.where((span == 0) & (ious == 0), np.inf, ious)
    ious = np.where(ranked_valid[:, :, None] & gt_valid[:, None, :], ious, -np.inf)
    front = np.argsort(~gt_valid, axis=1, kind="stable")
    ious = np.take_along_axis(ious, front[:, None, :], axis=2)
    n_gt = gt_valid.sum(axis=1)
    group = np.ceil(np.log2(np.maximum(n_gt, 1))).astype(np.int64)
    tp = np.zeros((n_q, n_t, n_p), dtype=bool)
    for g in np.unique(group):
        rows = np.nonzero(group == g)[0]
        width = max(int(n_gt[rows].max()), 1)
        tp[rows] = _greedy_match(ious[rows, :, :width], thr)

    # precision / recall after each ranked prediction; padded predictions count as false
    # positives after the last real one, which changes neither recall nor the envelope.
    tp_cum = np.cumsum(tp, axis=2, dtype=float)
    n_gt = gt_valid.sum(axis=1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = tp_cum / n_gt[:, None, None]
    precision = tp_cum / np.arange(1, n_p + 1, dtype=float)

    zeros = np.zeros((n_q, n_t, 1))
    env = np.concatenate([zeros, precision, zeros], axis=2)
    env = np.maximum.accumulate(env[..., ::-1], axis=2)[..., ::-1]
    rec = np.concatenate([zeros, recall, np.ones((n_q, n_t, 1))], axis=2)
    step = rec[..., 1:] - rec[..., :-1]
    terms = np.where(rec[..., 1:] != rec[..., :-1], step * env[..., 1:], 0.0)
    ap = np.zeros((n_q, n_t))
    for i in range(terms.shape[2]):  # left to right, as the reference sums its few terms
        ap += terms[..., i]
    return np.where(ranked_valid.any(axis=1)[:, None], ap, 0.0)


# -- refusal -----------------------------------------------------------------------------


def refusal_metrics(refused: np.ndarray, irrelevant: np.ndarray) -> dict[str, float | int | None]:
    """Refusal as a detector of irrelevant queries (x100, 2 decimals; None when undefined).

    precision = refusals that were right / refusals; recall = irrelevant queries refused /
    irrelevant queries; accuracy = right decisions / queries; false_refusal_rate = relevant
    queries refused / relevant queries.

    >>> refusal_metrics(np.array([True, True, False]), np.array([True, False, False]))["precision"]
    50.0
    """
    refused = np.asarray(refused, dtype=bool)
    irrelevant = np.asarray(irrelevant, dtype=bool)
    tp = int((refused & irrelevant).sum())
    fp = int((refused & ~irrelevant).sum())
    fn = int((~refused & irrelevant).sum())
    tn = int((~refused & ~irrelevant).sum())

    def ratio(num: int, den: int) -> float | None:
        return percent(num / den) if den else None

    return {
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        "accuracy": ratio(tp + tn, tp + fp + fn + tn),
        "false_refusal_rate": ratio(fp, fp + tn),
        "refused_irrelevant": tp,
        "refused_relevant": fp,
        "answered_irrelevant": fn,
        "answered_relevant": tn,
    }


def refusal_auc(scores: np.ndarray, irrelevant: np.ndarray) -> float | None:
    """ROC-AUC of a refusal score (higher = more likely irrelevant) as a detector of
    irrelevant queries, by the rank statistic (ties count half); None without both kinds.

    >>> refusal_auc(np.array([0.9, 0.2, 0.4]), np.array([True, False, False]))
    1.0
    """
    scores = np.asarray(scores, dtype=float)
    irrelevant = np.asarray(irrelevant, dtype=bool)
    pos, neg = scores[irrelevant], scores[~irrelevant]
    if not len(pos) or not len(neg):
        return None
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def refusal_threshold_at_frr(
    scores: np.ndarray, irrelevant: np.ndarray, frr: float
) -> float | None:
    """The threshold (refuse when score > threshold) that refuses at most `frr` of the
    relevant queries: the relevant scores' (1 - frr) quantile (numpy's "higher" method, so
    the rate is never exceeded); None without relevant queries.

    >>> refusal_threshold_at_frr(np.array([0.1, 0.2, 0.3, 0.9]), np.array([False] * 3 + [True]), 0.0)
    0.3
    """
    scores = np.asarray(scores, dtype=float)
    neg = scores[~np.asarray(irrelevant, dtype=bool)]
    if not len(neg):
        return None
    return float(np.quantile(neg, 1.0 - frr, method="higher"))


def refusal_accuracy_at_threshold(
    scores: np.ndarray, irrelevant: np.ndarray, threshold: float | None
) -> float | None:
    """Percent of irrelevant queries refused (score > threshold), x100; None when undefined."""
    scores = np.asarray(scores, dtype=float)
    pos = scores[np.asarray(irrelevant, dtype=bool)]
    if threshold is None or not len(pos):
        return None
    return percent(float(np.mean(pos > threshold)))


def refusal_score_metrics(
    scores: np.ndarray, irrelevant: np.ndarray, frrs: Sequence[float] = (0.05, 0.1)
) -> dict[str, float | None]:
    """AUC and refusal accuracy on irrelevant queries at false-refusal rates `frrs`.

    >>> m = refusal_score_metrics(np.array([0.9, 0.8, 0.1, 0.2]), np.array([True, True, False, False]))
    >>> m["refusal_auc"], m["refusal_acc@frr0.05"]
    (100.0, 100.0)
    """
    auc = refusal_auc(scores, irrelevant)
    out: dict[str, float | None] = {"refusal_auc": None if auc is None else percent(auc)}
    for frr in frrs:
        thr = refusal_threshold_at_frr(scores, irrelevant, frr)
        out[f"refusal_acc@frr{frr:g}"] = refusal_accuracy_at_threshold(scores, irrelevant, thr)
        out[f"refusal_threshold@frr{frr:g}"] = None if thr is None else round(thr, 6)
    return out


RA_THRESHOLDS: tuple[float, ...] = (0.3, 0.5, 0.7)
"""IoU thresholds of the refusal-aware RA-IoU@m (RA-RFT's)."""


def refusal_aware_metrics(
    refused: np.ndarray,
    irrelevant: np.ndarray,
    ious: np.ndarray,
    thresholds: Sequence[float] = RA_THRESHOLDS,
) -> dict[str, float | int | None]:
    """Grounding and refusal together, over every query of a mixed set (x100, 2 decimals).

    * ``RA-IoU@m`` (RA-RFT): share of all queries that are a hit, where an irrelevant query
      is a hit when refused and a relevant one when answered (not refused) with top-1 IoU
      >= m.
    * ``relevance_*`` (RaTSG / RA-RFT): answer-or-refuse as a classifier whose **positive
      class is "relevant" (answered)**: precision = relevant among answered, recall =
      answered among relevant, F1 their harmonic mean, accuracy = right decisions / queries.

    ``ious``: each query's top-1 IoU (0 for refused or irrelevant queries is fine: not read).
    None where a ratio is undefined (no query; nothing answered; no relevant query).

    >>> m = refusal_aware_metrics(np.array([False, False, True, False]),
    ...                           np.array([False, False, True, True]),
    ...                           np.array([0.8, 0.4, 0.0, 0.0]))
    >>> m["RA-IoU@0.3"], m["RA-IoU@0.5"], m["relevance_precision"], m["relevance_f1"]
    (75.0, 50.0, 66.67, 80.0)
    """
    refused = np.asarray(refused, dtype=bool)
    irrelevant = np.asarray(irrelevant, dtype=bool)
    ious = np.asarray(ious, dtype=float)
    n = len(refused)
    relevant, answered = ~irrelevant, ~refused
    out: dict[str, float | int | None] = {}
    for m in thresholds:
        hit = (irrelevant & refused) | (relevant & answered & (ious >= m))
        out[f"RA-IoU@{m:g}"] = percent(float(hit.mean())) if n else None
    tp = int((answered & relevant).sum())
    fp = int((answered & irrelevant).sum())
    fn = int((refused & relevant).sum())
    tn = int((refused & irrelevant).sum())
    prec = tp / (tp + fp) if tp + fp else None
    rec = tp / (tp + fn) if tp + fn else None
    f1 = None
    if prec is not None and rec is not None:
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    out.update(
        {
            "relevance_accuracy": percent((tp + tn) / n) if n else None,
            "relevance_precision": percent(prec),
            "relevance_recall": percent(rec),
            "relevance_f1": percent(f1),
        }
    )
    return out


# -- the whole report --------------------------------------------------------------------


def _keys(thresholds: Sequence[float]) -> list[str]:
    return [str(float(f"{t:.2f}")) for t in thresholds]


def _bucket(
    pred: np.ndarray,
    pred_valid: np.ndarray,
    gt: np.ndarray,
    gt_valid: np.ndarray,
    span: tuple[float, float] | None,
    max_pred_windows: int,
) -> dict:
    if span is not None:
        length = gt[..., 1] - gt[..., 0]
        gt_valid = gt_valid & (length > span[0]) & (length <= span[1])
    keep = gt_valid.any(axis=1)
    pred, pred_valid, gt, gt_valid = pred[keep], pred_valid[keep], gt[keep], gt_valid[keep]
    keys = _keys(THRESHOLDS)
    ious = top1_iou(pred, pred_valid, gt, gt_valid)
    r1 = recall_at_1(ious, THRESHOLDS)
    p = min(max_pred_windows, pred.shape[1])
    if keep.any():
        ap = average_precision(pred[:, :p], pred_valid[:, :p], gt, gt_valid, THRESHOLDS)
        ap_thr = ap.mean(axis=0)
        ap_avg = float(np.mean(ap_thr))
    else:
        ap_thr, ap_avg = np.full(len(THRESHOLDS), np.nan), np.nan
    mr_map = {k: percent(v) for k, v in zip(keys, ap_thr)}
    mr_map["average"] = percent(ap_avg)
    return {
        "MR-mAP": mr_map,
        "MR-R1": {k: percent(v) for k, v in zip(keys, r1)},
        "extra": {
            f"R1@{EXTRA_R1_THRESHOLD}": percent(recall_at_1(ious, [EXTRA_R1_THRESHOLD])[0]),
            "mIoU": percent(float(ious.mean())) if len(ious) else None,
            "num_queries": int(keep.sum()),
        },
    }


def evaluate(
    pred_windows: Sequence[np.ndarray],
    gt_windows: Sequence[np.ndarray],
    refused: Sequence[bool] | np.ndarray | None = None,
    *,
    max_pred_windows: int = MAX_PRED_WINDOWS,
) -> dict:
    """All metrics for aligned queries, in the reference evaluator's JSON layout plus "extra".

    ``pred_windows[i]``: ``(k, 3)`` start, end, score in ranked order (first = top-1; k may
    be 0). ``gt_windows[i]``: ``(m, 2)``; m = 0 marks an irrelevant query. ``refused[i]``: the
    model declined to answer (its windows are then ignored); an empty prediction counts as a
    refusal too. Moment-retrieval metrics cover the relevant queries; refusal metrics all.
    """
    if len(pred_windows) != len(gt_windows):
        raise ValueError(f"{len(pred_windows)} predictions for {len(gt_windows)} GT queries")
    n = len(gt_windows)
    refused_arr = (
        np.zeros(n, dtype=bool) if refused is None else np.asarray(refused, dtype=bool).copy()
    )
    pred, pred_valid = pad(pred_windows, 3)
    gt, gt_valid = pad(gt_windows, 2)
    refused_arr |= ~pred_valid[:, 0]
    irrelevant = ~gt_valid[:, 0]
    pred_valid = pred_valid & ~refused_arr[:, None]

    rel = ~irrelevant
    buckets = {
        name: _bucket(pred[rel], pred_valid[rel], gt[rel], gt_valid[rel], span, max_pred_windows)
        for name, span in BUCKETS.items()
    }
    full = buckets["full"]
    brief = {
        "MR-full-mAP": full["MR-mAP"]["average"],
        "MR-full-mAP@0.5": full["MR-mAP"]["0.5"],
        "MR-full-mAP@0.75": full["MR-mAP"]["0.75"],
        "MR-short-mAP": buckets["short"]["MR-mAP"]["average"],
        "MR-middle-mAP": buckets["middle"]["MR-mAP"]["average"],
        "MR-long-mAP": buckets["long"]["MR-mAP"]["average"],
        "MR-full-R1@0.5": full["MR-R1"]["0.5"],
        "MR-full-R1@0.7": full["MR-R1"]["0.7"],
    }
    out: dict = {"brief": dict(sorted(brief.items()))}
    for name in sorted(buckets):
        out[name] = {"MR-mAP": buckets[name]["MR-mAP"], "MR-R1": buckets[name]["MR-R1"]}
    out["extra"] = {
        **full["extra"],
        "num_queries": n,
        "num_relevant": int(rel.sum()),
        "num_irrelevant": int(irrelevant.sum()),
        "refusal": refusal_metrics(refused_arr, irrelevant),
        "refusal_aware": refusal_aware_metrics(
            refused_arr, irrelevant, top1_iou(pred, pred_valid, gt, gt_valid)
        ),
        "buckets": {name: b["extra"] for name, b in buckets.items()},
    }
    return out


# -- what a relabelling changed (rows with `windows` and the `prev_windows` before it) --------
def _window_pairs(row: dict) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    new = sorted((w["start"], w["end"]) for w in row.get("windows") or [])
    old = sorted((w["start"], w["end"]) for w in row.get("prev_windows") or [])
    return new, old


def windows_differ(row: dict, tol: float = 1e-6) -> bool:
    """Whether a row's `windows` differ from its `prev_windows` (in time order, by more than
    `tol` seconds, or in number)."""
    new, old = _window_pairs(row)
    if len(new) != len(old):
        return True
    return any(abs(a - c) > tol or abs(b - d) > tol for (a, b), (c, d) in zip(new, old))


def boundary_shift(rows: Sequence[dict]) -> dict:
    """How far the boundaries of `windows` moved from `prev_windows`, in seconds: pairs,
    mean, p50, p90, max. Windows are paired in time order, in rows where both sides have the
    same (non-zero) count."""
    shifts = []
    for r in rows:
        new, old = _window_pairs(r)
        if new and len(new) == len(old):
            for (s1, e1), (s0, e0) in zip(new, old):
                shifts += [abs(s1 - s0), abs(e1 - e0)]
    arr = np.asarray(shifts, dtype=float)
    if not arr.size:
        return {"pairs": 0, "mean_s": 0.0, "p50_s": 0.0, "p90_s": 0.0, "max_s": 0.0}
    return {
        "pairs": int(arr.size // 2),
        "mean_s": float(arr.mean()),
        "p50_s": float(np.percentile(arr, 50)),
        "p90_s": float(np.percentile(arr, 90)),
        "max_s": float(arr.max()),
    }
