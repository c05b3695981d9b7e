"""Benchmark: `tvgcurate eval` against the reference QVHighlights evaluator's algorithm.

The reference (jayleicn/moment_detr standalone_eval/eval.py) is reimplemented below in its
own style - lists of dicts, a deep copy per length bucket, per-query AP computed in a
multiprocessing Pool (8 workers, chunks of 50, as it does), Python loops for the greedy
matching and the interpolation - so that both run on the same files on this machine.
Highlight detection (HL-min-Fair/Good/VeryGood mAP and Hit@1) is timed the same way: the
reference's ``eval_highlight`` with scikit-learn's precision_recall_curve per (query,
annotator) in its Pool. Prints the median times, the ratio (target: ours >= 10x faster,
MR and HL together) and checks that every number is identical (and equal to the
reference's published output).

    .venv/bin/python -m benchmarks.eval [--runs 5] [--workers 8]
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import multiprocessing as mp
import statistics
import time
from collections import defaultdict
from functools import partial
from pathlib import Path

import numpy as np

from tvgcurate.evaluation import (
    EvalConfig,
    evaluate_loaded,
    load_gt_jsonl,
    load_predictions_jsonl,
    run_eval,
)
from tvgcurate.evaluation.highlight import (
    add_highlight,
    load_gt_saliency,
    load_pred_saliency,
)

REPO = Path(__file__).resolve().parents[1]

DATA = REPO.parent / "shared" / "data"
PREDS = DATA / "moment_detr_eval" / "sample_val_preds.jsonl"
GT = DATA / "qvhighlights" / "highlight_val_release.jsonl"
ORACLE = DATA / "moment_detr_eval" / "sample_val_preds_metrics_raw.json"


# -- the reference's algorithm, in the reference's style ----------------------------------


def ref_read_jsonl(path):
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def ref_iou_cross(a, b):
    """(N, 2) x (M, 2) -> (N, M), union from the lengths (no guard: 0/0 is NaN)."""
    left = np.maximum(a[:, None, 0], b[None, :, 0])
    right = np.minimum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(right - left, 0, None)
    union = (a[:, 1] - a[:, 0])[:, None] + (b[:, 1] - b[:, 0])[None, :] - inter
    return inter / union


def ref_iou_paired(a, b):
    """(N, 2) with (N, 2) -> (N,), the hull as denominator."""
    inter = np.maximum(0, np.minimum(a[:, 1], b[:, 1]) - np.maximum(a[:, 0], b[:, 0]))
    hull = np.maximum(a[:, 1], b[:, 1]) - np.minimum(a[:, 0], b[:, 0])
    return np.divide(inter, hull, out=np.zeros_like(inter), where=hull != 0)


def ref_interpolated_ap(precision, recall):
    prec = np.hstack([[0], precision, [0]])
    rec = np.hstack([[0], recall, [1]])
    for i in range(len(prec) - 2, -1, -1):
        prec[i] = max(prec[i], prec[i + 1])
    steps = np.where(rec[1:] != rec[:-1])[0] + 1
    return np.sum((rec[steps] - rec[steps - 1]) * prec[steps])


def ref_query_ap(triple, thresholds):
    qid, gts, preds = triple
    ap = np.zeros(len(thresholds))
    if not preds:
        return qid, ap
    preds = sorted(preds, key=lambda d: -d["score"])
    taken = np.full((len(thresholds), len(gts)), -1)
    tp = np.zeros((len(thresholds), len(preds)))
    fp = np.zeros((len(thresholds), len(preds)))
    gt_arr = np.array([[g["t-start"], g["t-end"]] for g in gts])
    for i, p in enumerate(preds):
        if not gts:
            fp[:, i] = 1
            continue
        ious = ref_iou_cross(np.array([[p["t-start"], p["t-end"]]]), gt_arr).reshape(-1)
        by_iou = ious.argsort()[::-1]
        for t, thr in enumerate(thresholds):
            for j in by_iou:
                if ious[j] < thr:
                    fp[t, i] = 1
                    break
                if taken[t, j] >= 0:
                    continue
                tp[t, i] = 1
                taken[t, j] = i
                break
            if tp[t, i] == 0 and fp[t, i] == 0:
                fp[t, i] = 1
    tp_c = np.cumsum(tp, axis=1)
    fp_c = np.cumsum(fp, axis=1)
    recall = tp_c / float(len(gts))
    precision = tp_c / (tp_c + fp_c)
    for t in range(len(thresholds)):
        ap[t] = ref_interpolated_ap(precision[t], recall[t])
    return qid, ap


def ref_mr_ap(submission, ground_truth, workers, chunksize=50, max_pred=10):
    thresholds = [float(f"{e:.2f}") for e in np.linspace(0.5, 0.95, 10)]
    preds = defaultdict(list)
    for d in submission:
        for w in d["pred_relevant_windows"][:max_pred]:
            preds[d["qid"]].append({"t-start": w[0], "t-end": w[1], "score": w[2]})
    gts = defaultdict(list)
    for d in ground_truth:
        for w in d["relevant_windows"]:
            gts[d["qid"]].append({"t-start": w[0], "t-end": w[1]})
    triples = [[q, gts[q], preds[q]] for q in preds]
    fn = partial(ref_query_ap, thresholds=thresholds)
    qid2ap = {}
    if workers > 1:
        with mp.Pool(workers) as pool:
            for q, ap in pool.imap_unordered(fn, triples, chunksize=chunksize):
                qid2ap[q] = ap
    else:
        for triple in triples:
            q, ap = fn(triple)
            qid2ap[q] = ap
    per_thr = np.array(list(qid2ap.values())).mean(0)
    out = dict(zip([str(t) for t in thresholds], per_thr))
    out["average"] = np.mean(per_thr)
    return {k: float(f"{100 * v:.2f}") for k, v in out.items()}


def ref_mr_r1(submission, ground_truth):
    thresholds = [float(f"{e:.2f}") for e in np.linspace(0.5, 0.95, 10)]
    top1 = {d["qid"]: d["pred_relevant_windows"][0][:2] for d in submission}
    best_gt = {}
    for d in ground_truth:
        wins = d["relevant_windows"]
        j = 0
        if wins:
            j = np.argmax(ref_iou_cross(np.array([top1[d["qid"]]]), np.array(wins))[0])
        best_gt[d["qid"]] = wins[j]
    qids = list(top1)
    ious = ref_iou_paired(
        np.array([top1[q] for q in qids], dtype=float),
        np.array([best_gt[q] for q in qids], dtype=float),
    )
    return {str(t): float(f"{np.mean(ious >= t) * 100:.2f}") for t in thresholds}


def ref_in_range(submission, ground_truth, lo, hi):
    if lo == 0 and hi == 150:
        return submission, ground_truth
    kept_gt, kept = [], set()
    for d in ground_truth:
        wins = [w for w in d["relevant_windows"] if lo < w[1] - w[0] <= hi]
        if wins:
            d = copy.deepcopy(d)
            d["relevant_windows"] = wins
            kept_gt.append(d)
            kept.add(d["qid"])
    return [copy.deepcopy(d) for d in submission if d["qid"] in kept], kept_gt


def ref_eval_moment_retrieval(submission, ground_truth, workers):
    out = {}
    for (lo, hi), name in zip(
        [(0, 10), (10, 30), (30, 150), (0, 150)], ["short", "middle", "long", "full"]
    ):
        sub, gt = ref_in_range(submission, ground_truth, lo, hi)
        out[name] = {"MR-mAP": ref_mr_ap(sub, gt, workers), "MR-R1": ref_mr_r1(sub, gt)}
    return out


def ref_get_ap(y_true, y_predict):
    from sklearn.metrics import precision_recall_curve

    if len(set(y_true)) == 1:
        return 0 if y_true[0] == 0 else 1
    precision, recall, _ = precision_recall_curve(y_true, y_predict)
    recall = recall.astype(np.float32)
    for i in range(1, len(precision)):
        precision[i] = max(precision[i - 1], precision[i])
    return np.mean(precision[np.where(np.diff(recall))])


def ref_ap_from_tuple(t):
    idx, w_idx, y_true, y_predict = t
    if len(y_true) < len(y_predict):
        y_predict = y_predict[: len(y_true)]
    elif len(y_true) > len(y_predict):
        padded = np.zeros(len(y_true))
        padded[: len(y_predict)] = y_predict
        y_predict = padded
    return idx, w_idx, ref_get_ap(y_true, y_predict)


def ref_mk_gt_scores(d, clip_length=2):
    full = np.zeros((int(d["duration"] / clip_length), 3))
    full[np.array(d["relevant_clip_ids"])] = np.array(d["saliency_scores"])
    return full


def ref_eval_highlight(submission, ground_truth, workers, chunksize=50):
    qid2preds = {d["qid"]: d for d in submission}
    qid2gt = {d["qid"]: ref_mk_gt_scores(d) for d in ground_truth}
    out = {}
    for minimum, name in zip([2, 3, 4], ["Fair", "Good", "VeryGood"]):
        binary = {k: (v >= minimum).astype(float) for k, v in qid2gt.items()}
        qids = list(qid2preds)
        hits = np.zeros((len(qids), 3))
        for i, q in enumerate(qids):
            j = np.argmax(qid2preds[q]["pred_saliency_scores"])
            if j < len(binary[q]):
                hits[i] = binary[q][j]
        tuples = [
            (i, w, binary[q][:, w], np.array(qid2preds[q]["pred_saliency_scores"]))
            for i, q in enumerate(qids)
            for w in range(3)
        ]
        ap = np.zeros((len(qids), 3))
        if workers > 1:
            with mp.Pool(workers) as pool:
                for i, w, score in pool.imap_unordered(ref_ap_from_tuple, tuples, chunksize):
                    ap[i, w] = score
        else:
            for t in tuples:
                i, w, score = ref_ap_from_tuple(t)
                ap[i, w] = score
        out[f"HL-min-{name}"] = {
            "HL-mAP": float(f"{100 * np.mean(ap):.2f}"),
            "HL-Hit1": float(f"{100 * np.mean(np.max(hits, 1)):.2f}"),
        }
    return out


def ref_eval(submission, ground_truth, workers):
    out = ref_eval_moment_retrieval(submission, ground_truth, workers)
    out.update(ref_eval_highlight(submission, ground_truth, workers))
    return out


# -- timing --------------------------------------------------------------------------------


def median_time(fn, runs):
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=8, help="reference's Pool size (it uses 8)")
    args = ap.parse_args()
    if not PREDS.exists():
        print(f"needs {PREDS} (../shared/data)")
        return 1

    def ours_end_to_end():
        return run_eval(EvalConfig(predictions=str(PREDS), gt=GT))

    def ref_end_to_end():
        return ref_eval(ref_read_jsonl(PREDS), ref_read_jsonl(GT), args.workers)

    preds, gt = load_predictions_jsonl(PREDS), load_gt_jsonl(GT)
    pred_sal, gt_sal = load_pred_saliency(str(PREDS), None), load_gt_saliency(GT, None)
    sub, ref_gt = ref_read_jsonl(PREDS), ref_read_jsonl(GT)

    def ours_loaded():
        result = evaluate_loaded(preds, gt)
        return add_highlight(result, pred_sal, gt_sal, lambda k: k if k in gt_sal else None)

    t_ours, ours = median_time(ours_loaded, args.runs)
    t_ref, ref = median_time(lambda: ref_eval(sub, ref_gt, args.workers), args.runs)
    t_ref1, _ = median_time(lambda: ref_eval(sub, ref_gt, 1), args.runs)
    t_ours_e2e, _ = median_time(ours_end_to_end, args.runs)
    t_ref_e2e, _ = median_time(ref_end_to_end, args.runs)

    oracle = json.loads(ORACLE.read_text())
    mismatches = []
    for name in ("full", "long", "middle", "short"):
        for block in ("MR-mAP", "MR-R1"):
            for k, v in ref[name][block].items():
                if ours[name][block][k] != v or oracle[name][block][k] != v:
                    mismatches.append(
                        (name, block, k, ours[name][block][k], v, oracle[name][block][k])
                    )
    for level in ("HL-min-Fair", "HL-min-Good", "HL-min-VeryGood"):
        for k, v in ref[level].items():
            if ours[level][k] != v or oracle[level][k] != v:
                mismatches.append((level, k, ours[level][k], v, oracle[level][k]))
    n_numbers = sum(len(ref[n][b]) for n in ref for b in ref[n] if isinstance(ref[n][b], dict))
    n_numbers += sum(len(ref[n]) for n in ref if n.startswith("HL-"))

    print(
        f"date {dt.date.today().isoformat()}, {PREDS.name} vs {GT.name}, median of {args.runs} runs"
    )
    print(f"{'':28s}{'ours':>10s}{'reference':>12s}{'ratio':>9s}")
    print(f"{'evaluation (loaded data)':28s}{t_ours:9.3f}s{t_ref:11.3f}s{t_ref / t_ours:8.1f}x")
    print(f"{'  reference without Pool':28s}{'':10s}{t_ref1:11.3f}s{t_ref1 / t_ours:8.1f}x")
    print(
        f"{'end to end (load + eval)':28s}{t_ours_e2e:9.3f}s{t_ref_e2e:11.3f}s{t_ref_e2e / t_ours_e2e:8.1f}x"
    )
    print(f"reference Pool workers: {args.workers}")
    if mismatches:
        print(f"MISMATCH in {len(mismatches)} of {n_numbers} numbers (ours, ref-style, published):")
        for m in mismatches:
            print("  ", m)
        return 1
    print(
        f"identical: all {n_numbers} MR and HL numbers equal (ours = reference-style = published output)"
    )
    ok = t_ref / t_ours >= 10
    print(f"target ours >= 10x faster: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
