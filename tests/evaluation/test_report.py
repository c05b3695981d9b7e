"""tvgcurate.evaluation: loading predictions / GT from files and workspaces, matching, errors."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from tvgcurate.errors import InputError, TvgError
from tvgcurate.evaluation import (
    EvalConfig,
    evaluate_loaded,
    load_gt_jsonl,
    load_predictions_jsonl,
    run_eval,
)
from tvgcurate.workspace import Workspace


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def make_ws(tmp_path):
    """A workspace with 3 val samples (one irrelevant), 1 train sample and one predictions run."""
    ws = Workspace(tmp_path / "ws", create=True)
    rows = [
        ("qvhighlights:val:1", "1", "val", [(0.0, 10.0)], "relevant"),
        ("qvhighlights:val:2", "2", "val", [(20.0, 40.0), (50.0, 60.0)], "relevant"),
        ("qvhighlights:val:3", "3", "val", [], "irrelevant"),
        ("qvhighlights:train:9", "9", "train", [(0.0, 4.0)], "relevant"),
    ]
    ws.write(
        "samples",
        pa.table(
            {
                "sample_id": [r[0] for r in rows],
                "video_id": ["v"] * len(rows),
                "query": ["q"] * len(rows),
                "windows": [[{"start": s, "end": e} for s, e in r[3]] for r in rows],
                "relevance": [r[4] for r in rows],
                "split": [r[2] for r in rows],
                "source": ["qvhighlights"] * len(rows),
                "source_qid": [r[1] for r in rows],
                "origin": ["source"] * len(rows),
            }
        ),
    )
    preds = [
        ("run1", "qvhighlights:val:1", [(0.0, 10.0, 0.9)], False),
        ("run1", "qvhighlights:val:2", [(0.0, 5.0, 0.9), (20.0, 40.0, 0.5)], False),
        ("run1", "qvhighlights:val:3", [], True),
        ("run2", "qvhighlights:val:1", [(50.0, 60.0, 0.9)], False),
    ]
    ws.write(
        "predictions",
        pa.table(
            {
                "run_id": [p[0] for p in preds],
                "sample_id": [p[1] for p in preds],
                "windows": [
                    [{"start": s, "end": e, "score": c} for s, e, c in p[2]] for p in preds
                ],
                "refused": [p[3] for p in preds],
                "raw_text": [""] * len(preds),
            }
        ),
    )
    return ws


def test_workspace_run_against_workspace_split(tmp_path):
    ws = make_ws(tmp_path)
    out = tmp_path / "m.json"
    m = run_eval(EvalConfig(predictions="run1", gt=ws.root, split="val", out=out))
    assert json.loads(out.read_text()) == m
    x = m["extra"]
    assert (x["num_queries"], x["num_relevant"], x["num_irrelevant"]) == (3, 2, 1)
    assert x["missing_predictions"] == 0 and x["unmatched_predictions"] == 0
    assert m["full"]["MR-R1"]["0.5"] == 50.0  # query 2's first window misses
    assert x["refusal"]["precision"] == 100.0 and x["refusal"]["recall"] == 100.0
    # without --split the train sample has no prediction: a miss and a refusal
    m = run_eval(EvalConfig(predictions="run1", gt=ws.root))
    assert m["extra"]["missing_predictions"] == 1 and m["extra"]["num_relevant"] == 3
    assert m["extra"]["refusal"]["refused_relevant"] == 1


def test_jsonl_predictions_against_workspace_gt_by_native_qid(tmp_path):
    ws = make_ws(tmp_path)
    preds = write_jsonl(
        tmp_path / "p.jsonl",
        [
            {"qid": 1, "pred_relevant_windows": [[0, 10, 0.9]]},
            {"qid": 2, "pred_relevant_windows": [[20, 40, 0.9]]},
            {"qid": 3, "pred_relevant_windows": [], "refused": True},
            {"qid": 77, "pred_relevant_windows": [[0, 1, 1]]},
        ],
    )
    m = run_eval(EvalConfig(predictions=str(preds), gt=ws.root, split="val"))
    assert m["full"]["MR-R1"]["0.9"] == 100.0
    assert m["extra"]["unmatched_predictions"] == 1


def test_workspace_run_against_jsonl_gt_by_sample_id_tail(tmp_path):
    ws = make_ws(tmp_path)
    gt = write_jsonl(
        tmp_path / "gt.jsonl",
        [{"qid": 1, "relevant_windows": [[0, 10]]}, {"qid": 2, "relevant_windows": [[20, 40]]}],
    )
    m = run_eval(EvalConfig(predictions="run1", gt=gt, workspace=ws.root))
    assert m["extra"]["num_queries"] == 2 and m["extra"]["unmatched_predictions"] == 1
    assert m["full"]["MR-mAP"]["average"] == 75.0  # query 2: its hit is ranked second


def test_unknown_run_lists_the_known_ones(tmp_path):
    ws = make_ws(tmp_path)
    with pytest.raises(TvgError, match="run1, run2"):
        run_eval(EvalConfig(predictions="nope", gt=ws.root))


def test_unknown_split_lists_the_known_ones(tmp_path):
    ws = make_ws(tmp_path)
    with pytest.raises(TvgError, match="train, val"):
        run_eval(EvalConfig(predictions="run1", gt=ws.root, split="test"))


def test_split_needs_a_workspace_gt(tmp_path):
    gt = write_jsonl(tmp_path / "gt.jsonl", [{"qid": 1, "relevant_windows": [[0, 10]]}])
    with pytest.raises(TvgError, match="--split"):
        EvalConfig(predictions="x.jsonl", gt=gt, split="val")


def test_run_id_without_workspace_says_how_to_fix(tmp_path):
    gt = write_jsonl(tmp_path / "gt.jsonl", [{"qid": 1, "relevant_windows": [[0, 10]]}])
    with pytest.raises(TvgError, match="--workspace"):
        run_eval(EvalConfig(predictions="run1", gt=gt))


def test_missing_prediction_file(tmp_path):
    gt = write_jsonl(tmp_path / "gt.jsonl", [{"qid": 1, "relevant_windows": [[0, 10]]}])
    with pytest.raises(InputError, match="no such prediction file"):
        run_eval(EvalConfig(predictions=str(tmp_path / "missing.jsonl"), gt=gt))


def test_no_overlap_between_predictions_and_gt(tmp_path):
    gt = write_jsonl(tmp_path / "gt.jsonl", [{"qid": 1, "relevant_windows": [[0, 10]]}])
    preds = write_jsonl(tmp_path / "p.jsonl", [{"qid": 5, "pred_relevant_windows": [[0, 1, 1]]}])
    with pytest.raises(TvgError, match="no prediction"):
        evaluate_loaded(load_predictions_jsonl(preds), load_gt_jsonl(gt))


@pytest.mark.parametrize(
    ("line", "where"),
    [
        ("{not json", "p.jsonl:2: not valid JSON"),
        ('{"pred_relevant_windows": []}', "p.jsonl:2: field 'qid': missing"),
        ('{"qid": 1.5, "pred_relevant_windows": []}', "p.jsonl:2: field 'qid'"),
        ('{"qid": 1, "pred_relevant_windows": []}', "p.jsonl:2: field 'qid': duplicate qid 1"),
        ('{"qid": 2}', "p.jsonl:2: field 'pred_relevant_windows': missing"),
        ('{"qid": 2, "pred_relevant_windows": [["a", 1, 1]]}', "field 'pred_relevant_windows'"),
        (
            '{"qid": 2, "pred_relevant_windows": [[0, 1, 1], [0, 1]]}',
            "p.jsonl:2: field 'pred_relevant_windows'",
        ),
        ('{"qid": 2, "pred_relevant_windows": [[0, 1, 1, 4]]}', "each window must be"),
        (
            '{"qid": 2, "pred_relevant_windows": [[0, 1, 1], [5, 3, 1]]}',
            "p.jsonl:2: field 'pred_relevant_windows[1]': end 3 is before start 5",
        ),
        (
            '{"qid": 2, "pred_relevant_windows": [[0, 1e999, 1]]}',
            "'pred_relevant_windows[0]': not a finite",
        ),
        ('{"qid": 2, "pred_relevant_windows": 5}', "expected a list"),
        ('{"qid": 2, "pred_relevant_windows": [], "refused": "yes"}', "p.jsonl:2: field 'refused'"),
        ("[1, 2]", "p.jsonl:2: expected a JSON object"),
    ],
)
def test_bad_prediction_lines_name_file_line_and_field(tmp_path, line, where):
    path = tmp_path / "p.jsonl"
    path.write_text('{"qid": 1, "pred_relevant_windows": [[0, 1, 0.5]]}\n' + line + "\n")
    with pytest.raises(InputError) as info:
        load_predictions_jsonl(path)
    msg = str(info.value)
    assert where in msg and "\n" not in msg


def test_bad_gt_lines(tmp_path):
    path = write_jsonl(
        tmp_path / "gt.jsonl", [{"qid": 1, "relevant_windows": [[0, 10]]}, {"qid": 2}]
    )
    with pytest.raises(InputError, match=r"gt.jsonl:2: field 'relevant_windows': missing"):
        load_gt_jsonl(path)
    path = write_jsonl(tmp_path / "gt.jsonl", [{"qid": 1, "relevant_windows": [[0, 10, 3]]}])
    with pytest.raises(InputError, match=r"gt.jsonl:1: field 'relevant_windows'"):
        load_gt_jsonl(path)


def test_jsonl_details(tmp_path):
    # blank lines are skipped, a last line without newline is read, string qids work,
    # windows without a score keep their order, an empty GT list is an irrelevant query
    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"qid": "a", "pred_relevant_windows": [[0, 1], [2, 3]]}\n\n'
        '{"qid": "b", "pred_relevant_windows": []}'
    )
    p = load_predictions_jsonl(path)
    assert p.windows["a"].tolist() == [[0, 1, 0], [2, 3, 0]] and p.windows["b"].shape == (0, 3)
    gt = write_jsonl(
        tmp_path / "gt.jsonl",
        [{"qid": "a", "relevant_windows": [[2, 3]]}, {"qid": "b", "relevant_windows": []}],
    )
    m = evaluate_loaded(p, load_gt_jsonl(gt))
    assert m["full"]["MR-R1"]["0.5"] == 0.0 and m["full"]["MR-mAP"]["0.5"] == 50.0
    assert m["extra"]["refusal"]["refused_irrelevant"] == 1


def test_bad_window_in_a_workspace_table_names_the_row(tmp_path):
    ws = make_ws(tmp_path)
    ws.write(
        "predictions",
        pa.table(
            {
                "run_id": ["other", "r", "r"],  # the bad row is row 2 of the table
                "sample_id": ["qvhighlights:val:1", "qvhighlights:val:1", "qvhighlights:val:2"],
                "windows": [
                    [],
                    [{"start": 0.0, "end": 1.0, "score": 1.0}],
                    [{"start": 9.0, "end": 1.0, "score": 1.0}],
                ],
                "refused": [False, False, False],
                "raw_text": ["", "", ""],
            }
        ),
    )
    with pytest.raises(
        InputError, match=r"row 2, qvhighlights:val:2\): field 'windows\[0\]': end 1"
    ):
        run_eval(EvalConfig(predictions="r", gt=ws.root, strict=True))
    odd = run_eval(EvalConfig(predictions="r", gt=ws.root))["extra"]["unusual_windows"]
    assert odd == {"inverted": 1, "zero_length": 0, "out_of_range": 0}  # scored, not refused


@pytest.mark.realdata
def test_real_files_end_to_end(shared_data, tmp_path):
    out = tmp_path / "m.json"
    m = run_eval(
        EvalConfig(
            predictions=str(shared_data / "moment_detr_eval" / "sample_val_preds.jsonl"),
            gt=shared_data / "qvhighlights" / "highlight_val_release.jsonl",
            out=out,
        )
    )
    oracle = json.loads(
        (shared_data / "moment_detr_eval" / "sample_val_preds_metrics_raw.json").read_text()
    )
    written = json.loads(out.read_text())
    for name in ("full", "long", "middle", "short"):
        assert written[name] == oracle[name]
    assert oracle["brief"] == written["brief"]  # MR and HL (highlight detection)
    assert m["extra"]["missing_predictions"] == 0
