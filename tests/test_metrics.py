"""tvgcurate.metrics: exact agreement with the reference evaluator, and hand-made edge cases."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tvgcurate import metrics
from tvgcurate.metrics import (
    THRESHOLDS,
    average_precision,
    evaluate,
    interval_iou,
    pad,
    pairwise_iou,
    refusal_metrics,
    top1_iou,
)

# -- the reference's published numbers -----------------------------------------------------


@pytest.mark.realdata
def test_every_moment_retrieval_number_equals_the_reference(shared_data):
    preds = {}
    with open(shared_data / "moment_detr_eval" / "sample_val_preds.jsonl") as fh:
        for line in fh:
            d = json.loads(line)
            preds[d["qid"]] = np.array(d["pred_relevant_windows"], dtype=float)
    with open(shared_data / "qvhighlights" / "highlight_val_release.jsonl") as fh:
        gt = [json.loads(line) for line in fh]
    oracle = json.loads(
        (shared_data / "moment_detr_eval" / "sample_val_preds_metrics_raw.json").read_text()
    )
    ours = evaluate(
        [preds[d["qid"]] for d in gt], [np.array(d["relevant_windows"], dtype=float) for d in gt]
    )
    checked = 0
    for bucket in ("full", "long", "middle", "short"):
        for block in ("MR-mAP", "MR-R1"):
            assert set(ours[bucket][block]) == set(oracle[bucket][block])
            for key, value in oracle[bucket][block].items():
                assert ours[bucket][block][key] == value, (bucket, block, key)
                checked += 1
    for key, value in oracle["brief"].items():
        if key.startswith("MR-"):
            assert ours["brief"][key] == value, key
            checked += 1
    assert checked == 4 * 21 + 8
    assert ours["extra"]["num_queries"] == 1550
    assert 0 < ours["extra"]["mIoU"] < ours["extra"]["R1@0.3"] < 100


# -- a slow, loop-by-loop statement of the reference algorithm, for random cross-checks ----


def _loop_ap(gts: list, preds: list) -> list[float]:
    preds = sorted(preds[:10], key=lambda w: -w[2])
    out = []
    for thr in THRESHOLDS:
        taken = [False] * len(gts)
        hits = []
        for p in preds:
            ious = [float(interval_iou(np.array(p[:2]), np.array(g))) for g in gts]
            best, best_j = -1.0, None
            for j in range(len(gts) - 1, -1, -1):  # last listed wins ties
                if not taken[j] and ious[j] > best:
                    best, best_j = ious[j], j
            hit = best_j is not None and best >= thr
            if hit:
                taken[best_j] = True
            hits.append(hit)
        # interpolated AP, step by step
        precision, recall, tp = [], [], 0
        for k, h in enumerate(hits, 1):
            tp += h
            precision.append(tp / k)
            recall.append(tp / len(gts))
        ap, prev = 0.0, 0.0
        for k in range(len(hits)):
            if recall[k] != prev:
                ap += (recall[k] - prev) * max(precision[k:])
                prev = recall[k]
        out.append(ap)
    return out


def _random_queries(rng, n):
    gts, preds = [], []
    for _ in range(n):
        g = []
        for _ in range(rng.integers(1, 6)):
            s = 2 * rng.integers(0, 70)
            g.append([s, s + 2 * rng.integers(1, 10)])
        p = []
        for _ in range(rng.integers(0, 13)):
            s = 2 * rng.integers(0, 70)
            p.append(
                [s, s + 2 * rng.integers(0, 12), float(rng.choice([0.1, 0.5, 0.9, rng.random()]))]
            )
        gts.append(g)
        preds.append(p)
    return gts, preds


def test_average_precision_matches_a_loop_implementation_on_random_queries():
    rng = np.random.default_rng(0)
    gts, preds = _random_queries(rng, 300)
    p, pv = pad([np.array(x).reshape(-1, 3) for x in preds], 3, limit=10)
    g, gv = pad([np.array(x, dtype=float) for x in gts], 2)
    ours = average_precision(p, pv, g, gv)
    expected = np.array([_loop_ap(gg, pp) if pp else [0.0] * 10 for gg, pp in zip(gts, preds)])
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-12)
    assert (ours > 0).any() and (ours < 1).any()


def test_pairwise_iou_matches_scalar_iou_and_is_symmetric():
    rng = np.random.default_rng(1)
    a = np.sort(rng.uniform(0, 50, size=(7, 2)), axis=1)
    b = np.sort(rng.uniform(0, 50, size=(5, 2)), axis=1)
    m = pairwise_iou(a, b)
    assert m.shape == (7, 5)
    for i in range(7):
        for j in range(5):
            inter = max(0.0, min(a[i, 1], b[j, 1]) - max(a[i, 0], b[j, 0]))
            union = (a[i, 1] - a[i, 0]) + (b[j, 1] - b[j, 0]) - inter
            assert m[i, j] == pytest.approx(inter / union)
    np.testing.assert_array_equal(m, pairwise_iou(b, a).T)


# -- hand-made edge cases ------------------------------------------------------------------


def test_zero_length_union_is_zero_not_nan():
    assert interval_iou(np.array([5.0, 5.0]), np.array([5.0, 5.0])) == 0.0
    assert interval_iou(np.array([5.0, 5.0]), np.array([7.0, 7.0])) == 0.0
    assert interval_iou(np.array([5.0, 5.0]), np.array([0.0, 10.0])) == 0.0
    # R1 of a point prediction is 0; the reference's mAP divides 0 by the empty union of two
    # point windows (nan), which its matching counts as a hit (see evaluation/test_reference_windows)
    m = evaluate([np.array([[5.0, 5.0, 1.0]])], [np.array([[5.0, 5.0]])])
    assert m["full"]["MR-R1"]["0.5"] == 0.0 and m["full"]["MR-mAP"]["average"] == 100.0


def test_known_average_precision():
    gt = np.array([[0.0, 10.0], [20.0, 30.0]])
    pred = np.array([[0.0, 10.0, 0.9], [50.0, 60.0, 0.8], [20.0, 30.0, 0.7]])
    m = evaluate([pred], [gt])
    # hits at ranks 1 and 3: precision 1 at recall .5, 2/3 at recall 1
    assert m["full"]["MR-mAP"]["average"] == pytest.approx(100 * (0.5 + 0.5 * 2 / 3), abs=0.005)
    assert m["full"]["MR-R1"]["0.95"] == 100.0


def test_two_predictions_cannot_both_match_one_window():
    gt = [np.array([[0.0, 10.0]])]
    m = evaluate([np.array([[0.0, 10.0, 0.9], [0.0, 10.0, 0.8]])], gt)
    assert m["full"]["MR-mAP"]["0.5"] == 100.0  # the second one is a false positive after recall 1
    m = evaluate([np.array([[50.0, 60.0, 0.9], [0.0, 10.0, 0.8]])], gt)
    assert m["full"]["MR-mAP"]["0.5"] == 50.0


def test_equal_iou_goes_to_the_last_listed_gt_window():
    # [1, 11] overlaps both GT windows equally (9/11); the reference gives it the last one,
    # which leaves [0, 10] a perfect match for the second prediction.
    gt = [np.array([[0.0, 10.0], [2.0, 12.0]])]
    m = evaluate([np.array([[1.0, 11.0, 0.9], [0.0, 10.0, 0.8]])], gt)
    assert m["full"]["MR-mAP"]["0.8"] == 100.0
    assert m["full"]["MR-mAP"]["0.95"] == 25.0  # only the second prediction, at rank 2


def test_top1_is_the_first_listed_window_not_the_best_scored():
    gt = [np.array([[0.0, 10.0]])]
    m = evaluate([np.array([[40.0, 50.0, 0.1], [0.0, 10.0, 0.9]])], gt)
    assert m["full"]["MR-R1"]["0.5"] == 0.0
    assert m["full"]["MR-mAP"]["0.5"] == 100.0  # mAP ranks by score


def test_top1_uses_the_best_overlapping_gt_window():
    p, pv = pad([np.array([[20.0, 30.0, 1.0]])], 3)
    g, gv = pad([np.array([[0.0, 10.0], [20.0, 32.0]])], 2)
    assert top1_iou(p, pv, g, gv)[0] == pytest.approx(10 / 12)


def test_only_the_first_ten_windows_count_for_map():
    gt = [np.array([[0.0, 10.0]])]
    misses = [[100.0 + 10 * i, 105.0 + 10 * i, 1.0] for i in range(10)]
    m = evaluate([np.array(misses + [[0.0, 10.0, 1.0]])], gt)
    assert m["full"]["MR-mAP"]["average"] == 0.0
    m = evaluate([np.array(misses + [[0.0, 10.0, 1.0]])], gt, max_pred_windows=11)
    assert m["full"]["MR-mAP"]["average"] == pytest.approx(100 / 11, abs=0.005)


def test_empty_predictions_score_zero_and_count_as_refusals():
    gt = [np.array([[0.0, 10.0]]), np.array([[0.0, 10.0]])]
    m = evaluate([np.zeros((0, 3)), np.array([[0.0, 10.0, 1.0]])], gt)
    assert m["full"]["MR-R1"]["0.5"] == 50.0
    assert m["full"]["MR-mAP"]["average"] == 50.0
    assert m["extra"]["mIoU"] == 50.0
    assert m["extra"]["refusal"]["refused_relevant"] == 1
    assert m["extra"]["refusal"]["false_refusal_rate"] == 50.0
    m = evaluate([np.zeros((0, 3))], [np.array([[0.0, 10.0]])])
    assert m["full"]["MR-mAP"]["average"] == 0.0 and m["full"]["MR-R1"]["0.5"] == 0.0


def test_refusals_and_irrelevant_queries():
    relevant, irrelevant = np.array([[0.0, 10.0]]), np.zeros((0, 2))
    hit = np.array([[0.0, 10.0, 1.0]])
    m = evaluate(
        [hit, hit, np.zeros((0, 3)), hit, hit],
        [relevant, relevant, irrelevant, irrelevant, irrelevant],
        refused=[False, True, False, True, False],
    )
    # query 2 refused although relevant: its windows are ignored
    assert m["full"]["MR-R1"]["0.5"] == 50.0
    assert m["extra"]["num_relevant"] == 2 and m["extra"]["num_irrelevant"] == 3
    r = m["extra"]["refusal"]
    assert (r["refused_irrelevant"], r["refused_relevant"]) == (2, 1)
    assert (r["answered_irrelevant"], r["answered_relevant"]) == (1, 1)
    assert r["precision"] == pytest.approx(66.67)
    assert r["recall"] == pytest.approx(66.67)
    assert r["accuracy"] == 60.0
    assert r["false_refusal_rate"] == 50.0


def test_refusal_metrics_undefined_ratios_are_none():
    r = refusal_metrics(np.array([False, False]), np.array([False, False]))
    assert r["precision"] is None and r["recall"] is None
    assert r["accuracy"] == 100.0 and r["false_refusal_rate"] == 0.0


def test_refusal_aware_metrics_on_a_hand_computed_mixed_set():
    rel, irr = np.array([[0.0, 10.0]]), np.zeros((0, 2))
    m = evaluate(
        [
            np.array([[0.0, 8.0, 1.0]]),  # relevant, answered, IoU 0.8
            np.array([[5.0, 10.0, 1.0]]),  # relevant, answered, IoU 0.5
            np.array([[0.0, 10.0, 1.0]]),  # relevant, refused (window ignored): a miss
            np.zeros((0, 3)),  # irrelevant, refused: a hit at every m
            np.array([[1.0, 2.0, 1.0]]),  # irrelevant, answered: a miss
        ],
        [rel, rel, rel, irr, irr],
        refused=[False, False, True, False, False],
    )
    ra = m["extra"]["refusal_aware"]
    # hits: @0.3 and @0.5 queries 1, 2, 4 (3 of 5); @0.7 queries 1, 4 (2 of 5)
    assert (ra["RA-IoU@0.3"], ra["RA-IoU@0.5"], ra["RA-IoU@0.7"]) == (60.0, 60.0, 40.0)
    # positive = relevant (answered): TP 2 (q1, q2), FP 1 (q5), FN 1 (q3), TN 1 (q4)
    assert ra["relevance_precision"] == 66.67 and ra["relevance_recall"] == 66.67
    assert ra["relevance_f1"] == 66.67 and ra["relevance_accuracy"] == 60.0


def test_refusal_aware_f1_and_undefined_ratios():
    # 3 relevant answered (2 right), 1 relevant refused, 2 irrelevant refused:
    # precision 3/3, recall 3/4, F1 = 2 * 1 * 0.75 / 1.75 = 0.857142...
    refused = np.array([False, False, False, True, True, True])
    irrelevant = np.array([False, False, False, False, True, True])
    ious = np.array([0.9, 0.6, 0.1, 0.0, 0.0, 0.0])
    ra = metrics.refusal_aware_metrics(refused, irrelevant, ious)
    assert ra["relevance_precision"] == 100.0 and ra["relevance_recall"] == 75.0
    assert ra["relevance_f1"] == 85.71 and ra["relevance_accuracy"] == 83.33
    # hits: @0.3 q1, q2, q5, q6 = 4/6; @0.7 q1, q5, q6 = 3/6
    assert ra["RA-IoU@0.3"] == 66.67 and ra["RA-IoU@0.7"] == 50.0
    none = metrics.refusal_aware_metrics(np.array([True]), np.array([True]), np.zeros(1))
    assert none["relevance_precision"] is None and none["relevance_recall"] is None
    assert none["relevance_f1"] is None and none["RA-IoU@0.5"] == 100.0
    empty = metrics.refusal_aware_metrics(np.zeros(0, bool), np.zeros(0, bool), np.zeros(0))
    assert empty["RA-IoU@0.3"] is None and empty["relevance_accuracy"] is None


def test_buckets_keep_only_their_windows_and_empty_buckets_are_none():
    # one query with a short and a long GT window; the prediction hits the long one
    gt = [np.array([[0.0, 4.0], [40.0, 100.0]])]
    m = evaluate([np.array([[40.0, 100.0, 1.0]])], gt)
    assert m["long"]["MR-R1"]["0.9"] == 100.0 and m["long"]["MR-mAP"]["average"] == 100.0
    assert m["short"]["MR-R1"]["0.5"] == 0.0 and m["short"]["MR-mAP"]["average"] == 0.0
    assert m["full"]["MR-mAP"]["average"] == 50.0  # one of two windows found, precision 1
    assert m["middle"]["MR-mAP"]["average"] is None and m["middle"]["MR-R1"]["0.5"] is None
    assert m["extra"]["buckets"]["middle"]["num_queries"] == 0
    assert m["brief"]["MR-middle-mAP"] is None


def test_all_irrelevant_or_no_queries():
    m = evaluate([np.zeros((0, 3))], [np.zeros((0, 2))])
    assert m["full"]["MR-mAP"]["average"] is None and m["extra"]["mIoU"] is None
    assert m["extra"]["refusal"]["recall"] == 100.0
    m = evaluate([], [])
    assert m["extra"]["num_queries"] == 0 and m["extra"]["refusal"]["accuracy"] is None


def test_layout_matches_the_reference():
    m = evaluate([np.array([[0.0, 10.0, 1.0]])], [np.array([[0.0, 10.0]])])
    assert list(m) == ["brief", "full", "long", "middle", "short", "extra"]
    assert list(m["brief"]) == sorted(m["brief"])
    assert list(m["full"]["MR-mAP"]) == [str(t) for t in THRESHOLDS] + ["average"]
    assert list(m["full"]["MR-R1"]) == [str(t) for t in THRESHOLDS]
    json.dumps(m, allow_nan=False)


def test_percent_rounds_like_the_reference():
    assert metrics.percent(0.123456) == 12.35
    assert metrics.percent(float("nan")) is None and metrics.percent(None) is None


def test_mismatched_lengths_raise():
    with pytest.raises(ValueError, match="predictions"):
        evaluate([np.zeros((0, 3))], [])


def test_docstring_examples():
    import doctest

    result = doctest.testmod(metrics)
    assert result.attempted >= 5 and result.failed == 0
