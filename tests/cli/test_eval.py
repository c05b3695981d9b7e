"""`tvgcurate eval` through typer's CliRunner."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from tvgcurate.cli import app
from tvgcurate.workspace import Workspace

runner = CliRunner()


def _files(tmp_path):
    gt = tmp_path / "gt.jsonl"
    gt.write_text(
        json.dumps({"qid": 1, "relevant_windows": [[0, 10]]})
        + "\n"
        + json.dumps({"qid": 2, "relevant_windows": []})
        + "\n"
    )
    preds = tmp_path / "p.jsonl"
    preds.write_text(
        json.dumps({"qid": 1, "pred_relevant_windows": [[0, 8, 0.9]]})
        + "\n"
        + json.dumps({"qid": 2, "pred_relevant_windows": [], "refused": True})
        + "\n"
    )
    return preds, gt


def test_eval_files_prints_a_table_and_writes_json(tmp_path):
    preds, gt = _files(tmp_path)
    out = tmp_path / "m.json"
    r = runner.invoke(
        app, ["eval", "--predictions", str(preds), "--gt", str(gt), "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "full" in r.output and "80.00" in r.output  # mIoU of [0, 8] vs [0, 10]
    m = json.loads(out.read_text())
    assert m["brief"]["MR-full-R1@0.7"] == 100.0
    assert m["full"]["MR-R1"]["0.8"] == 100.0 and m["full"]["MR-R1"]["0.85"] == 0.0
    assert m["extra"]["refusal"]["precision"] == 100.0


def test_eval_workspace_run(tmp_path):
    ws = Workspace(tmp_path / "ws", create=True)
    ws.write(
        "samples",
        pa.table(
            {
                "sample_id": ["qvhighlights:val:1"],
                "video_id": ["v"],
                "query": ["q"],
                "windows": [[{"start": 0.0, "end": 10.0}]],
                "relevance": ["relevant"],
                "split": ["val"],
                "source": ["qvhighlights"],
                "source_qid": ["1"],
                "origin": ["source"],
            }
        ),
    )
    ws.write(
        "predictions",
        pa.table(
            {
                "run_id": ["sft"],
                "sample_id": ["qvhighlights:val:1"],
                "windows": [[{"start": 5.0, "end": 10.0, "score": 1.0}]],
                "refused": [False],
                "raw_text": ["<answer>0005.0 to 0010.0</answer>"],
            }
        ),
    )
    r = runner.invoke(app, ["eval", "-p", "sft", "--gt", str(ws.root), "--split", "val"])
    assert r.exit_code == 0, r.output
    assert "50.00" in r.output


def test_bad_input_is_one_line_naming_file_line_and_field(tmp_path):
    preds, gt = _files(tmp_path)
    preds.write_text(preds.read_text() + '{"qid": 3, "pred_relevant_windows": [[9, 2, 1]]}\n')
    r = runner.invoke(app, ["eval", "--predictions", str(preds), "--gt", str(gt), "--strict"])
    assert r.exit_code == 2
    lines = [x for x in r.output.strip().splitlines() if x.strip()]
    assert len(lines) == 1, r.output
    assert "p.jsonl:3" in lines[0] and "pred_relevant_windows[0]" in lines[0]


def test_split_with_a_jsonl_gt_is_refused(tmp_path):
    preds, gt = _files(tmp_path)
    r = runner.invoke(app, ["eval", "-p", str(preds), "--gt", str(gt), "--split", "val"])
    assert r.exit_code == 2 and "--split" in r.output


@pytest.mark.realdata
def test_eval_reference_files(shared_data, tmp_path):
    out = tmp_path / "m.json"
    r = runner.invoke(
        app,
        [
            "eval",
            "--predictions",
            str(shared_data / "moment_detr_eval" / "sample_val_preds.jsonl"),
            "--gt",
            str(shared_data / "qvhighlights" / "highlight_val_release.jsonl"),
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    oracle = json.loads(
        (shared_data / "moment_detr_eval" / "sample_val_preds_metrics_raw.json").read_text()
    )
    m = json.loads(out.read_text())
    assert all(m[b] == oracle[b] for b in ("full", "long", "middle", "short"))
    assert "32.20" in r.output and "53.94" in r.output
