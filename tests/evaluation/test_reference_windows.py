"""`eval` scores inverted, zero-length and out-of-range windows exactly as the reference
QVHighlights evaluator (moment_detr standalone_eval), whose algorithm is restated below
line by line; `--strict` refuses them (issue 16)."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from tvgcurate.cli import app
from tvgcurate.evaluation import EvalConfig, run_eval

THDS = np.linspace(0.5, 0.95, 10)


# -- the reference, as published (standalone_eval/utils.py and eval.py) ------------------
def _iou_cross(spans1, spans2):
    areas1 = spans1[:, 1] - spans1[:, 0]
    areas2 = spans2[:, 1] - spans2[:, 0]
    left = np.maximum(spans1[:, None, 0], spans2[None, :, 0])
    right = np.minimum(spans1[:, None, 1], spans2[None, :, 1])
    inter = np.clip(right - left, 0, None)
    union = areas1[:, None] + areas2[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return inter / union


def _iou_paired(pred, gt):
    inter = np.maximum(0, np.minimum(pred[:, 1], gt[:, 1]) - np.maximum(pred[:, 0], gt[:, 0]))
    union = np.maximum(pred[:, 1], gt[:, 1]) - np.minimum(pred[:, 0], gt[:, 0])
    return np.divide(inter, union, out=np.zeros_like(inter), where=union != 0)


def _interp(precision, recall):
    mprecision = np.hstack([[0], precision, [0]])
    mrecall = np.hstack([[0], recall, [1]])
    for i in range(len(mprecision) - 1)[::-1]:
        mprecision[i] = max(mprecision[i], mprecision[i + 1])
    idx = np.where(mrecall[1::] != mrecall[0:-1])[0] + 1
    return np.sum((mrecall[idx] - mrecall[idx - 1]) * mprecision[idx])


def _ap(gts, preds):
    preds = sorted(preds, key=lambda x: -x[2])
    tp = np.zeros((len(THDS), len(preds)))
    fp = np.zeros((len(THDS), len(preds)))
    lock = np.ones((len(THDS), len(gts))) * -1
    g = np.array(gts, dtype=float)
    for idx, p in enumerate(preds):
        tiou = _iou_cross(np.array([p[:2]], dtype=float), g)[0].reshape(-1)
        order = tiou.argsort()[::-1]
        for t, thr in enumerate(THDS):
            for j in order:
                if tiou[j] < thr:
                    fp[t, idx] = 1
                    break
                if lock[t, j] >= 0:
                    continue
                tp[t, idx] = 1
                lock[t, j] = idx
                break
            if fp[t, idx] == 0 and tp[t, idx] == 0:
                fp[t, idx] = 1
    tpc, fpc = np.cumsum(tp, axis=1), np.cumsum(fp, axis=1)
    rec, prec = tpc / len(gts), tpc / (tpc + fpc)
    return [_interp(prec[t], rec[t]) for t in range(len(THDS))]


def _reference(gt_rows, pred_rows):
    preds = {d["qid"]: d["pred_relevant_windows"] for d in pred_rows}
    aps = np.array([_ap(g["relevant_windows"], preds[g["qid"]][:10]) for g in gt_rows])
    pred_top, gt_best = [], []
    for g in gt_rows:
        top = preds[g["qid"]][0][:2]
        ious = _iou_cross(np.array([top], dtype=float), np.array(g["relevant_windows"], float))
        gt_best.append(g["relevant_windows"][int(np.argmax(ious[0]))])
        pred_top.append(top)
    r1 = _iou_paired(np.array(pred_top, float), np.array(gt_best, float))
    key = [str(float(f"{t:.2f}")) for t in THDS]
    m = {k: float(f"{100 * v:.2f}") for k, v in zip(key, aps.mean(axis=0), strict=True)}
    m["average"] = float(f"{100 * aps.mean():.2f}")
    r = {k: float(f"{100 * np.mean(r1 >= t):.2f}") for k, t in zip(key, THDS, strict=True)}
    return {"MR-mAP": m, "MR-R1": r}


# -- predictions full of what LLMs write --------------------------------------------------
def _files(tmp_path, seed=0, n=120):
    rng = np.random.default_rng(seed)
    gts, preds = [], []
    for q in range(n):
        duration = 150.0
        g = []
        for _ in range(rng.integers(1, 4)):
            s = 2.0 * rng.integers(0, 70)
            g.append([s, s + 2.0 * rng.integers(1, 6)])
        p = []
        for _ in range(rng.integers(1, 12)):
            s = 2.0 * rng.integers(-3, 80)
            kind = rng.choice(["ok", "inverted", "zero", "past", "exact"])
            if kind == "ok":
                w = [s, s + 2.0 * rng.integers(1, 8)]
            elif kind == "inverted":
                w = [s + 2.0 * rng.integers(1, 8), s]
            elif kind == "zero":
                w = [s, s]
            elif kind == "past":
                w = [duration - 4.0, duration + 2.0 * rng.integers(1, 10)]
            else:  # inverted by exactly a GT window's length: the reference's 0/0
                a, b = g[int(rng.integers(len(g)))]
                w = [s + (b - a), s]
            p.append([*w, float(rng.choice([0.2, 0.5, 0.9, rng.random()]))])
        gts.append({"qid": q, "relevant_windows": g, "duration": duration})
        preds.append({"qid": q, "pred_relevant_windows": p})
    gt_path, pred_path = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    gt_path.write_text("".join(json.dumps(r) + "\n" for r in gts))
    pred_path.write_text("".join(json.dumps(r) + "\n" for r in preds))
    return gts, preds, gt_path, pred_path


def test_unusual_windows_score_exactly_as_the_reference(tmp_path):
    for seed in range(3):
        gts, preds, gt_path, pred_path = _files(tmp_path, seed)
        ours = run_eval(EvalConfig(predictions=str(pred_path), gt=gt_path))
        ref = _reference(gts, preds)
        assert ours["full"]["MR-mAP"] == ref["MR-mAP"]
        assert ours["full"]["MR-R1"] == ref["MR-R1"]
        odd = ours["extra"]["unusual_windows"]
        assert odd["inverted"] > 0 and odd["zero_length"] > 0 and odd["out_of_range"] > 0


def test_the_reference_counts_0_over_0_as_a_hit(tmp_path):
    # [20, 10] is inverted by exactly the GT window's length: 0 / (−10 + 10) is nan there
    gts = [{"qid": 1, "relevant_windows": [[0, 10]]}]
    preds = [{"qid": 1, "pred_relevant_windows": [[20, 10, 0.9]]}]
    (tmp_path / "g.jsonl").write_text(json.dumps(gts[0]) + "\n")
    (tmp_path / "p.jsonl").write_text(json.dumps(preds[0]) + "\n")
    ours = run_eval(EvalConfig(predictions=str(tmp_path / "p.jsonl"), gt=tmp_path / "g.jsonl"))
    assert ours["full"]["MR-mAP"] == _reference(gts, preds)["MR-mAP"]
    assert ours["full"]["MR-mAP"]["average"] == 100.0 and ours["full"]["MR-R1"]["0.5"] == 0.0


def test_cli_prints_one_count_line_and_strict_refuses(tmp_path):
    _, _, gt_path, pred_path = _files(tmp_path, n=20)
    runner = CliRunner()
    r = runner.invoke(app, ["eval", "-p", str(pred_path), "--gt", str(gt_path)])
    assert r.exit_code == 0, r.output
    lines = [x for x in r.output.splitlines() if "scored as the reference does" in x]
    assert len(lines) == 1 and "inverted" in lines[0] and "out-of-range" in lines[0]
    r = runner.invoke(app, ["eval", "-p", str(pred_path), "--gt", str(gt_path), "--strict"])
    assert r.exit_code == 2
    assert "p.jsonl:" in r.output and "is before start" in r.output
