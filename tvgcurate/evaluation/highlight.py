"""Highlight detection (QVHighlights HL-min-Fair/Good/VeryGood mAP and Hit@1).

The numbers are the reference evaluator's (jayleicn/moment_detr standalone_eval/eval.py,
``eval_highlight``), computed without its per-query scikit-learn calls:

- the ground truth of a query is a ``(num_clips, annotators)`` score array (0..4) over the
  whole video, ``num_clips = int(duration / 2)``, zero outside ``relevant_clip_ids``;
- for a minimum score m (Fair 2, Good 3, VeryGood 4), a clip is positive for an annotator
  when its score is >= m;
- the predicted ``pred_saliency_scores`` are cut or zero-padded to ``num_clips``; the AP of
  one (query, annotator) is the reference's ``get_ap`` (precision at each recall step,
  interpolated as the best precision at an equal or higher recall, tied scores counting as
  one threshold; 0 with no positive clip, 1 with all positive); HL-mAP is the mean over
  queries and annotators;
- Hit@1: the clip with the highest predicted score (the first of equal ones, on the
  uncut prediction) is a hit when any annotator scored it >= m; a clip beyond the video
  is a miss.

Every (query, annotator) pair is scored at once on flat sorted arrays (one sort, segment
cumulative sums and a segment-wise suffix maximum), so HL adds milliseconds to ``eval``.

Saliency is read beside the windows: predictions' ``pred_saliency_scores`` (a jsonl) or a
``saliency`` column of the predictions table (``score`` writes none today); ground truth's
``saliency_scores``, ``relevant_clip_ids`` and ``duration`` (a jsonl) or the samples
table's ``saliency``, ``relevant_clip_ids`` and ``duration_s``. When either side has none,
the metrics JSON says why in ``extra.highlight`` and holds no HL number.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow.compute as pc

from tvgcurate.errors import InputError
from tvgcurate.workspace import Workspace

CLIP_LENGTH_S = 2.0  # QVHighlights' clip grid
LEVELS = {"Fair": 2, "Good": 3, "VeryGood": 4}  # HL-min-<name>: minimum positive score

__all__ = [
    "CLIP_LENGTH_S",
    "LEVELS",
    "add_highlight",
    "gt_clip_scores",
    "highlight_metrics",
    "load_gt_saliency",
    "load_pred_saliency",
]


# -- the numbers ------------------------------------------------------------------------------


def gt_clip_scores(
    duration: float,
    relevant_clip_ids: Sequence[int],
    saliency_scores: Sequence[Sequence[int]],
    clip_length: float = CLIP_LENGTH_S,
) -> np.ndarray:
    """The reference's ``mk_gt_scores``: ``(int(duration / clip_length), annotators)``.

    A relevant clip id past the end (where the reference raises IndexError) grows the array.
    """
    sal = np.asarray(saliency_scores, dtype=float).reshape(len(relevant_clip_ids), -1)
    ids = np.asarray(relevant_clip_ids, dtype=np.int64)
    n = int(duration / clip_length)
    if len(ids):
        n = max(n, int(ids.max()) + 1)
    full = np.zeros((n, sal.shape[1] if sal.size else 3))
    full[ids] = sal
    return full


def _fit(pred: np.ndarray, n: int) -> np.ndarray:
    """Cut or zero-pad a prediction to `n` clips (the reference's ``compute_ap_from_tuple``)."""
    if len(pred) >= n:
        return pred[:n]
    return np.concatenate([pred, np.zeros(n - len(pred))])


class _Sorted:
    """Every query's clips on one flat array, by query and then predicted score (descending),
    cut to the thresholds (one per distinct score within a query): built once, scored at
    each minimum."""

    def __init__(self, preds: Sequence[np.ndarray], gts: Sequence[np.ndarray]):
        self.gts = gts
        self.q_n = q_n = len(gts)
        self.n_ann = gts[0].shape[1]
        # Hit@1: the GT row of the top clip of the uncut prediction (zeros past the video)
        self.top_row = np.zeros((q_n, self.n_ann))
        for i, (p, g) in enumerate(zip(preds, gts, strict=True)):
            j = int(np.argmax(p))
            if j < len(g):
                self.top_row[i] = g[j]
        lengths = np.array([len(g) for g in gts], dtype=np.int64)
        self.total = total = int(lengths.sum())
        if total == 0:
            return
        scores = np.concatenate([_fit(p, len(g)) for p, g in zip(preds, gts, strict=True)])
        query = np.repeat(np.arange(q_n), lengths)
        # by query, then score descending: a stable score sort, then a stable sort by query
        by_score = np.argsort(-scores, kind="stable")
        order = by_score[np.argsort(query[by_score], kind="stable")]
        scores, query = scores[order], query[order]
        self.order = order
        self.starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        self.query = query
        end = np.ones(total, dtype=bool)  # the last row of each run of equal scores
        end[:-1] = (scores[1:] != scores[:-1]) | (query[1:] != query[:-1])
        self.end = end
        rank = np.arange(total) - np.repeat(self.starts, lengths) + 1  # 1-based, in query
        self.rank = rank[end]
        self.q_e = q_e = query[end]
        first = np.ones(len(q_e), dtype=bool)
        first[1:] = q_e[1:] != q_e[:-1]
        self.first = first
        self.offset = 2.0 * (q_n - 1 - q_e)[::-1, None]  # precision <= 1: queries never mix
        self.flat_gt = np.concatenate(gts)[order]

    def ap_and_hit(self, minimum: float) -> tuple[np.ndarray, np.ndarray]:
        """Per query: AP per annotator ``(Q, A)`` and Hit@1 ``(Q,)`` at one minimum score."""
        q_n, n_ann = self.q_n, self.n_ann
        ap = np.zeros((q_n, n_ann))
        hit = (self.top_row >= minimum).max(axis=1).astype(float)
        if self.total == 0:
            return ap, hit
        cum = np.cumsum(self.flat_gt >= minimum, axis=0, dtype=np.float64)
        before = np.zeros((q_n, n_ann))
        nz = self.starts > 0
        before[nz] = cum[self.starts[nz] - 1]
        tps = cum[self.end] - before[self.q_e]
        precision = tps / self.rank[:, None]
        prev = np.zeros_like(tps)
        prev[~self.first] = tps[:-1][~self.first[1:]]
        step = tps > prev  # recall grows at this threshold
        # best precision at an equal or higher recall: a suffix max within each query
        off = self.offset
        best = (np.maximum.accumulate(precision[::-1] + off, axis=0) - off)[::-1]
        for a in range(n_ann):
            num = np.bincount(self.q_e, weights=best[:, a] * step[:, a], minlength=q_n)
            den = np.bincount(self.q_e, weights=step[:, a], minlength=q_n)
            ap[:, a] = np.divide(num, den, out=np.zeros(q_n), where=den > 0)
        return ap, hit


def _pct(x: float) -> float:
    return float(f"{100 * x:.2f}")


def highlight_metrics(preds: Sequence[np.ndarray], gts: Sequence[np.ndarray]) -> dict:
    """``{"HL-min-Fair": {"HL-mAP", "HL-Hit1"}, ...}`` (x100, 2 decimals) for aligned queries:
    ``preds[i]`` per-clip predicted saliency, ``gts[i]`` :func:`gt_clip_scores`' array."""
    if not len(gts):
        raise ValueError("no query to evaluate")
    widths = {g.shape[1] for g in gts}
    if len(widths) != 1:
        raise ValueError(f"queries have different numbers of annotators: {sorted(widths)}")
    out = {}
    ranked = _Sorted(preds, gts)
    for name, minimum in LEVELS.items():
        ap, hit = ranked.ap_and_hit(minimum)
        out[f"HL-min-{name}"] = {"HL-mAP": _pct(np.mean(ap)), "HL-Hit1": _pct(np.mean(hit))}
    return out


# -- reading saliency -------------------------------------------------------------------------


def _jsonl(path: Path):
    with open(path, encoding="utf-8") as fh:
        for lineno, text in enumerate(fh, 1):
            if text.strip():
                rec = json.loads(text)
                if isinstance(rec, dict) and "qid" in rec:
                    yield lineno, str(rec["qid"]), rec


def _numbers(value: object, path, line, name: str, ndim: int) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.ndim != ndim or not np.isfinite(arr).all():
        raise InputError(
            path, line, name, f"expected {'a list' if ndim == 1 else 'lists'} of numbers"
        )
    return arr


def load_pred_saliency(source: str, workspace: Workspace | None) -> dict[str, np.ndarray]:
    """Per-clip predicted saliency by prediction key ({} when the predictions carry none)."""
    path = Path(source)
    out: dict[str, np.ndarray] = {}
    if path.is_file():
        for lineno, key, rec in _jsonl(path):
            value = rec.get("pred_saliency_scores")
            if value is not None and len(value):
                out[key] = _numbers(value, path, lineno, "pred_saliency_scores", 1)
        return out
    if workspace is None or not workspace.has("predictions"):
        return out
    table = workspace.read("predictions")
    if "saliency" not in table.column_names:
        return out
    table = table.filter(pc.equal(table.column("run_id"), source))
    for sid, value in zip(
        table.column("sample_id").to_pylist(), table.column("saliency").to_pylist(), strict=True
    ):
        if value:
            out[sid] = np.asarray(value, dtype=float)
    return out


def load_gt_saliency(gt: Path, split: str | None) -> dict[str, np.ndarray]:
    """Full-video clip scores by GT key ({} when the ground truth has no saliency)."""
    gt = Path(gt)
    out: dict[str, np.ndarray] = {}
    if gt.is_file():
        for lineno, key, rec in _jsonl(gt):
            ids, sal = rec.get("relevant_clip_ids"), rec.get("saliency_scores")
            if ids is None or sal is None or rec.get("duration") is None:
                continue
            _numbers(sal, gt, lineno, "saliency_scores", 2) if len(sal) else None
            if len(ids) != len(sal):
                raise InputError(
                    gt,
                    lineno,
                    "saliency_scores",
                    f"{len(sal)} rows for {len(ids)} relevant_clip_ids",
                )
            out[key] = gt_clip_scores(float(rec["duration"]), ids, sal)
        return out
    table = Workspace(gt).read("samples")
    needed = ("sample_id", "saliency", "relevant_clip_ids", "duration_s")
    if table.num_rows == 0 or any(c not in table.column_names for c in needed):
        return out
    if split is not None and "split" in table.column_names:
        table = table.filter(pc.equal(table.column("split"), split))
    cols = [table.column(c).to_pylist() for c in needed]
    for sid, sal, ids, duration in zip(*cols, strict=True):
        if sal is not None and ids is not None and duration is not None and len(ids) == len(sal):
            out[sid] = gt_clip_scores(duration, ids, sal)
    return out


# -- into the eval result ---------------------------------------------------------------------


def add_highlight(
    result: dict,
    pred_saliency: dict[str, np.ndarray],
    gt_saliency: dict[str, np.ndarray],
    resolve: Callable[[str], str | None],
) -> dict:
    """Put the HL metrics in `result` (reference keys, brief included) and say in
    ``extra.highlight`` what they cover, or why there are none. `resolve` maps a prediction
    key to its GT key (None: no GT query)."""
    info: dict = {"available": False}
    if not pred_saliency:
        info["reason"] = "the predictions carry no per-clip saliency (pred_saliency_scores)"
    elif not gt_saliency:
        info["reason"] = (
            "the ground truth has no saliency (saliency_scores, relevant_clip_ids, duration)"
        )
    else:
        pairs = {}
        for key, scores in pred_saliency.items():
            target = resolve(key)
            if target is not None and target in gt_saliency:
                pairs[target] = scores
        keys = [k for k in gt_saliency if k in pairs]
        if not keys:
            info["reason"] = "no prediction with saliency names a GT query with saliency"
        else:
            hl = highlight_metrics([pairs[k] for k in keys], [gt_saliency[k] for k in keys])
            info = {
                "available": True,
                "num_queries": len(keys),
                "gt_without_prediction": len(gt_saliency) - len(keys),
                "clip_length_s": CLIP_LENGTH_S,
            }
            brief = result.setdefault("brief", {})
            for level, values in hl.items():
                for k, v in values.items():
                    brief[f"{level}-{k.split('-')[1]}"] = v
            rest = {k: v for k, v in result.items() if k != "brief"}
            result.clear()
            result.update({"brief": brief, **hl, **rest})
    result.setdefault("extra", {})["highlight"] = info
    return result


def add_highlight_for(result: dict, cfg, gt) -> dict:
    """`add_highlight` for one `tvgcurate eval` run: the saliency of ``cfg``'s inputs, keys
    resolved as the windows' are (`gt` is the loaded GroundTruth)."""
    from tvgcurate.evaluation.config import is_workspace
    from tvgcurate.evaluation.matching import _resolve

    ws_path = cfg.workspace or (cfg.gt if is_workspace(cfg.gt) else None)
    workspace = Workspace(ws_path) if ws_path is not None else None
    pred = load_pred_saliency(cfg.predictions, workspace)
    gt_sal = load_gt_saliency(cfg.gt, cfg.split) if pred else {}
    return add_highlight(result, pred, gt_sal, lambda key: _resolve(key, gt))
