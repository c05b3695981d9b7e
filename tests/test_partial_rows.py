"""One partial row, every command: score's ground truth, eval's loader, the audit, the rewards,
the model inputs and the exporters all read it as a refusal target (tvgcurate.schemas.sample):
no ground-truth window for grounding, a negative for the refusal metrics."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from tvgcurate.curation.audit import build_checks
from tvgcurate.curation.audit.context import AuditContext
from tvgcurate.curation.audit.ranking import agreement
from tvgcurate.evaluation import (
    evaluate_loaded,
    load_gt_jsonl,
    load_gt_workspace,
    load_predictions_workspace,
)
from tvgcurate.exporters import ExportConfig, export
from tvgcurate.exporters.verl_reward import compute_score
from tvgcurate.model.eta import REFUSAL, TimestampFormat
from tvgcurate.model.inputs import target_answer
from tvgcurate.model.rewards import iou_reward, refusal_reward
from tvgcurate.model.score import summarize
from tvgcurate.schemas.predictions import PREDICTIONS_TABLE
from tvgcurate.schemas.sample import expects_refusal, gt_windows
from tvgcurate.workspace import Workspace

RUN = "run1"
ANSWER = "<answer>2 to 6</answer>"


def sample(sid, relevance, windows):
    return {
        "sample_id": sid, "video_id": "v1", "query": f"query {sid}", "relevance": relevance,
        "windows": [{"start": s, "end": e} for s, e in windows], "split": "val",
        "source": "qvhighlights", "origin": "source", "duration_s": 30.0,
    }  # fmt: skip


# The partial row stores a window: a human marked where the true half of the query happens.
SAMPLES = [
    sample("rel", "relevant", [(2.0, 6.0)]),
    sample("part", "partial", [(2.0, 6.0)]),
    sample("irr", "irrelevant", []),
]


def prediction(sid, refused):
    windows = [] if refused else [{"start": 2.0, "end": 6.0, "score": 1.0}]
    return {"run_id": RUN, "sample_id": sid, "windows": windows, "refused": refused}


# The model grounds the relevant row and the partial row's true half; it refuses `irr`.
PREDICTIONS = [prediction("rel", False), prediction("part", False), prediction("irr", True)]


@pytest.fixture
def ws(tmp_path):
    ws = Workspace(tmp_path / "ws", create=True)
    ws.write("samples", pa.Table.from_pylist(SAMPLES))
    ws.write("predictions", pa.Table.from_pylist(PREDICTIONS, schema=PREDICTIONS_TABLE))
    return ws


def test_score_and_eval_score_the_partial_row_alike(ws):
    # score: summarize over the rows, ground truth as `score` builds it
    by_score = summarize(PREDICTIONS, {s["sample_id"]: gt_windows(s) for s in SAMPLES})
    # eval --gt WS: the workspace loaders
    gt = load_gt_workspace(ws)
    assert gt.windows["part"].shape == (0, 2) and gt.windows["rel"].shape == (1, 2)
    by_eval = evaluate_loaded(load_predictions_workspace(ws, RUN), gt)
    for m in (by_score, by_eval):
        ex = m["extra"]
        assert (ex["num_queries"], ex["num_relevant"], ex["num_irrelevant"]) == (3, 1, 2)
        assert m["full"]["MR-R1"]["0.7"] == 100.0  # R1 only over `rel`: part is skipped
        assert ex["mIoU"] == 100.0
        assert ex["refusal"]["recall"] == 50.0  # part is a negative the model answered
    assert by_score["brief"] == by_eval["brief"]
    assert by_score["extra"]["refusal"] == by_eval["extra"]["refusal"]


def test_audit_reads_the_partial_row_as_a_refusal_target():
    preds = {p["sample_id"]: p for p in PREDICTIONS}
    ctx = AuditContext([dict(s) for s in SAMPLES], predictions=preds)
    part = ctx.samples[1]
    window_checks = ["start_after_end", "zero_length", "iou_disagreement", "false_refusal"]
    for check in build_checks(window_checks):
        assert not check.applies(ctx, part), check.name
        assert check.applies(ctx, ctx.samples[0]), check.name
    (confident,) = build_checks(["confident_on_irrelevant"])
    assert confident.applies(ctx, part)
    (finding,) = [f for f in confident.score(ctx) if f.sample_id == "part"]
    assert confident.is_issue(finding)  # the model grounded a query it must refuse
    assert agreement(part, preds["part"]) == 0.0  # P(refusal) of an answer
    assert agreement(ctx.samples[0], preds["rel"]) == 1.0


def test_rewards_and_inputs_train_the_partial_row_towards_a_refusal():
    part = SAMPLES[1]
    cols = {"gt_windows": [gt_windows(part)], "relevance": ["partial"], "duration_s": [30.0]}
    assert cols["gt_windows"] == [[]]
    assert refusal_reward([REFUSAL, ANSWER], relevance=["partial"] * 2) == [1.0, 0.0]
    assert iou_reward([ANSWER], **cols) == [None]
    # even with its stored window passed as ground truth, a partial row gets no IoU reward
    assert iou_reward([ANSWER], **{**cols, "gt_windows": [[[2.0, 6.0]]]}) == [None]
    assert target_answer(part, TimestampFormat(2)) == REFUSAL
    gt = {"windows": [], "relevance": "partial", "duration_s": 30.0}
    assert compute_score("tvg", REFUSAL, gt) == 2.0  # format + refusal (verl export)
    assert compute_score("tvg", ANSWER, json.dumps({**gt, "windows": [[2.0, 6.0]]})) == 1.0


def test_qvhighlights_export_gives_eval_the_same_ground_truth(ws, tmp_path):
    out = tmp_path / "gt.jsonl"
    export(ExportConfig(workspace=ws.root, format="qvhighlights", out=out, include_irrelevant=True))
    records = {r["qid"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert records["part"]["relevant_windows"] == [] and records["rel"]["relevant_windows"]
    from_file, from_ws = load_gt_jsonl(out).windows, load_gt_workspace(ws).windows
    assert from_file.keys() == from_ws.keys()
    for k in from_ws:
        np.testing.assert_array_equal(from_file[k], from_ws[k])
    # the default selection (no --include-irrelevant) keeps the rows with ground truth only
    only = tmp_path / "relevant.jsonl"
    export(ExportConfig(workspace=ws.root, format="qvhighlights", out=only))
    assert [json.loads(x)["qid"] for x in only.read_text().splitlines()] == ["rel"]
    assert [s["sample_id"] for s in SAMPLES if not expects_refusal(s)] == ["rel"]
