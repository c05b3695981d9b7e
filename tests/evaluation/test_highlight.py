"""Highlight detection metrics: equal to the reference evaluator's, absent without saliency."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tvgcurate.evaluation import EvalConfig, run_eval
from tvgcurate.evaluation.highlight import gt_clip_scores, highlight_metrics

# -- the reference's algorithm, loop by loop (moment_detr standalone_eval), for cross-checks --


def ref_get_ap(y_true, y_predict):
    """The reference's get_ap (interpolate=True, point_11=False), on scikit-learn: precision
    made monotone from the lowest threshold up, averaged where the recall changes."""
    from sklearn.metrics import precision_recall_curve

    if len(set(y_true)) == 1:
        return 0 if y_true[0] == 0 else 1
    precision, recall, _ = precision_recall_curve(y_true, y_predict)
    recall = recall.astype(np.float32)
    for i in range(1, len(precision)):
        precision[i] = max(precision[i - 1], precision[i])
    return np.mean(precision[np.where(np.diff(recall))])


def ref_hl(preds, gts, minimum):
    ap = np.zeros((len(gts), gts[0].shape[1]))
    hit = np.zeros((len(gts), gts[0].shape[1]))
    for i, (p, g) in enumerate(zip(preds, gts, strict=True)):
        binary = (g >= minimum).astype(float)
        j = np.argmax(p)
        if j < len(binary):
            hit[i] = binary[j]
        y = p[: len(g)] if len(p) >= len(g) else np.r_[p, np.zeros(len(g) - len(p))]
        for a in range(g.shape[1]):
            ap[i, a] = ref_get_ap(binary[:, a], y)
    return float(f"{100 * np.mean(ap):.2f}"), float(f"{100 * np.mean(hit.max(1)):.2f}")


def test_gt_clip_scores_places_relevant_clips():
    full = gt_clip_scores(10, [1, 3], [[1, 2, 3], [4, 4, 0]])
    assert full.shape == (5, 3)
    assert full[1].tolist() == [1, 2, 3] and full[3].tolist() == [4, 4, 0]
    assert full[[0, 2, 4]].sum() == 0


def test_matches_reference_algorithm_on_random_queries():
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(0)
    preds, gts = [], []
    for _ in range(60):
        n = int(rng.integers(3, 40))
        g = np.zeros((n, 3))
        ids = rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False)
        g[ids] = rng.integers(0, 5, size=(len(ids), 3))
        # ties (rounded scores) and length mismatches both ways, as the reference meets them
        p = np.round(rng.normal(size=n + int(rng.integers(-3, 4))), 1)
        preds.append(p if len(p) else np.zeros(1))
        gts.append(g)
    ours = highlight_metrics(preds, gts)
    for name, minimum in (("Fair", 2), ("Good", 3), ("VeryGood", 4)):
        m, h = ref_hl(preds, gts, minimum)
        assert ours[f"HL-min-{name}"] == {"HL-mAP": m, "HL-Hit1": h}


def test_all_positive_and_no_positive_queries():
    g_all = np.full((4, 3), 4.0)
    g_none = np.zeros((4, 3))
    out = highlight_metrics([np.arange(4.0), np.arange(4.0)], [g_all, g_none])
    assert out["HL-min-VeryGood"] == {"HL-mAP": 50.0, "HL-Hit1": 50.0}


@pytest.mark.realdata
def test_equals_reference_output_on_sample_predictions(shared_data, tmp_path):
    preds = shared_data / "moment_detr_eval" / "sample_val_preds.jsonl"
    gt = shared_data / "qvhighlights" / "highlight_val_release.jsonl"
    oracle = json.loads(
        (shared_data / "moment_detr_eval" / "sample_val_preds_metrics_raw.json").read_text()
    )
    result = run_eval(EvalConfig(predictions=str(preds), gt=gt, out=tmp_path / "m.json"))
    for level in ("HL-min-Fair", "HL-min-Good", "HL-min-VeryGood"):
        assert result[level] == oracle[level]
    for key, value in oracle["brief"].items():
        assert result["brief"][key] == value, key
    assert result["extra"]["highlight"]["num_queries"] == 1550
    written = json.loads((tmp_path / "m.json").read_text())
    assert written["HL-min-VeryGood"] == {"HL-mAP": 35.65, "HL-Hit1": 55.55}


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_no_saliency_in_predictions_says_so(tmp_path):
    gt = _write(
        tmp_path / "gt.jsonl",
        [{"qid": 1, "relevant_windows": [[0, 4]], "duration": 10,
          "relevant_clip_ids": [0, 1], "saliency_scores": [[4, 4, 4], [2, 2, 2]]}],
    )  # fmt: skip
    preds = _write(tmp_path / "p.jsonl", [{"qid": 1, "pred_relevant_windows": [[0, 4, 1.0]]}])
    result = run_eval(EvalConfig(predictions=str(preds), gt=gt))
    assert not any(k.startswith("HL") for k in result)
    assert not any(k.startswith("HL") for k in result["brief"])
    info = result["extra"]["highlight"]
    assert info["available"] is False and "pred_saliency_scores" in info["reason"]


def test_no_saliency_in_ground_truth_says_so(tmp_path):
    gt = _write(tmp_path / "gt.jsonl", [{"qid": "a", "relevant_windows": [[0, 4]], "duration": 10}])
    preds = _write(
        tmp_path / "p.jsonl",
        [{"qid": "a", "pred_relevant_windows": [[0, 4, 1.0]], "pred_saliency_scores": [1, 0]}],
    )
    info = run_eval(EvalConfig(predictions=str(preds), gt=gt))["extra"]["highlight"]
    assert info["available"] is False and "ground truth" in info["reason"]


def test_saliency_from_files_end_to_end(tmp_path):
    gt = _write(
        tmp_path / "gt.jsonl",
        [{"qid": 1, "relevant_windows": [[0, 4]], "duration": 8,
          "relevant_clip_ids": [0, 1], "saliency_scores": [[4, 4, 4], [2, 1, 0]]}],
    )  # fmt: skip
    preds = _write(
        tmp_path / "p.jsonl",
        [
            {
                "qid": 1,
                "pred_relevant_windows": [[0, 4, 1.0]],
                "pred_saliency_scores": [0.1, 0.9, 0, 0],
            }
        ],
    )
    result = run_eval(EvalConfig(predictions=str(preds), gt=gt))
    # top clip 1 scores (2, 1, 0): Fair hit, VeryGood miss; VeryGood AP: clip 0 ranked 2nd -> 0.5
    assert result["HL-min-Fair"]["HL-Hit1"] == 100.0
    assert result["HL-min-VeryGood"] == {"HL-mAP": 50.0, "HL-Hit1": 0.0}
    assert result["brief"]["HL-min-VeryGood-mAP"] == 50.0
