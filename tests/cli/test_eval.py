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


# -- the eval card: score -> eval --out -> eval --compare (tiny model, CPU) -----------------


SMALL = dict(hidden_size=64, num_layers=2, intermediate_size=128, vision_embed_dim=32)


def _tiny(path, **inputs):
    from tvgcurate.model.loading import save_model
    from tvgcurate.model.tiny import TinyConfig, build_tiny

    model, processor = build_tiny(TinyConfig(**SMALL))
    meta = {"frames": "uniform", "max_frames": 2, "timestamp_width": 1, **inputs}
    return save_model(model, processor, path, meta)


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """A grounding workspace scored by one tiny model at 1 fps (run "fps1") and one at 2 fps
    (run "fps2"), each evaluated with `eval --out`."""
    pytest.importorskip("torch")
    from tests.model.conftest import make_workspace

    root = tmp_path_factory.mktemp("card")
    ws = make_workspace(root, n_videos=2, n_val=1)
    outs = {}
    for run, fps in (("fps1", 1.0), ("fps2", 2.0)):
        ckpt = _tiny(root / run, uniform_fps=fps)
        r = runner.invoke(
            app,
            [
                "score", "-w", str(ws.root), "--checkpoint", str(ckpt), "--split", "val",
                "--run-id", run, "--threads", "1", "--batch-size", "2",
                "--max-new-tokens", "6", "--no-progress",
            ],
        )  # fmt: skip
        assert r.exit_code == 0, r.output + repr(r.exception)
        out = root / f"{run}.json"
        r = runner.invoke(
            app, ["eval", "-p", run, "--gt", str(ws.root), "--split", "val", "--out", str(out)]
        )
        assert r.exit_code == 0, r.output + repr(r.exception)
        outs[run] = out
    return ws, outs


def test_score_then_eval_writes_a_card_with_every_field(scored):
    from tvgcurate.model.card import parser_version

    ws, outs = scored
    m = json.loads(outs["fps1"].read_text())
    card = m["card"]
    assert card["run_id"] == "fps1"
    assert card["predictions"]["version"] == 1  # the first predictions version
    ck = card["checkpoint"]
    assert len(ck["weights_sha256"]) == 64 and ck["model_dir"].endswith("fps1")
    assert ck["base_model"] == "qwen2_vl"
    fr = card["frames"]
    assert (fr["policy"], fr["fps"], fr["tokens_per_frame"]) == ("uniform (inputs)", 1.0, 4)
    assert fr["max_frames"] == 2 and fr["frames_per_sample"]["max"] == 2
    assert card["timestamp_format"] == {"width": 1, "example": "<t>1.5</t>"}
    assert "{query}" in card["prompt"]["template"] and len(card["prompt"]["sha256"]) == 64
    dec = card["decoding"]
    assert (dec["mode"], dec["num_samples"], dec["temperature"]) == ("greedy", 1, None)
    assert card["parser"]["version"] == parser_version()
    assert 0.0 <= card["parser"]["parse_failure_rate"] <= 100.0
    assert set(card["versions"]) >= {"tvgcurate", "torch", "transformers", "trl"}
    assert card["versions"]["torch"]
    gt = card["ground_truth"]
    assert gt["sources"] == ["qvhighlights"] and gt["splits"] == ["val"]
    assert gt["labels"] == "original" and gt["relabelled"] == 0
    assert gt["samples_version"] == ws.current("samples").version
    assert gt["samples_sha256"] == ws.current("samples").sha256
    assert (gt["num_queries"], gt["num_irrelevant"]) == (2, 1)
    assert card["score_ground_truth"]["gt_sha256"] == gt["gt_sha256"]  # same queries
    # the side file in the workspace, keyed by predictions version and run id
    assert len(list((ws.root / "cards").glob("predictions-v0001-*.json"))) == 1


def test_compare_flags_another_fps_as_incomparable(scored):
    _, outs = scored
    r = runner.invoke(app, ["eval", "--compare", str(outs["fps1"]), str(outs["fps2"])])
    assert r.exit_code == 0, r.output
    assert "INCOMPARABLE" in r.output and "other fps" in r.output
    assert "frames.fps" in r.output and "RA-IoU@0.5" in r.output


def test_compare_flags_other_ground_truth_as_incomparable(scored, tmp_path):
    ws, outs = scored
    other = tmp_path / "all.json"
    r = runner.invoke(app, ["eval", "-p", "fps1", "--gt", str(ws.root), "--out", str(other)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["eval", "--compare", str(outs["fps1"]), str(other), "--json"])
    assert r.exit_code == 0, r.output
    cmp = json.loads(r.output)
    assert cmp["verdict"] == "incomparable"
    flagged = {f["name"] for f in cmp["fields"] if f["level"] == "incomparable"}
    assert {"ground_truth.gt_sha256", "ground_truth.splits"} <= flagged


def test_compare_same_file_is_comparable_and_relabelled_is_not(scored, tmp_path):
    _, outs = scored
    r = runner.invoke(app, ["eval", "--compare", str(outs["fps1"]), str(outs["fps1"])])
    assert r.exit_code == 0 and "comparable: the cards agree" in r.output
    m = json.loads(outs["fps1"].read_text())
    m["card"]["ground_truth"]["labels"] = "relabelled"
    m["card"]["versions"]["transformers"] = "0.0.1"
    b = tmp_path / "b.json"
    b.write_text(json.dumps(m))
    r = runner.invoke(app, ["eval", "--compare", str(outs["fps1"]), str(b)])
    assert "INCOMPARABLE" in r.output and "original vs relabelled" in r.output
    m["card"]["ground_truth"]["labels"] = "original"
    b.write_text(json.dumps(m))
    r = runner.invoke(app, ["eval", "--compare", str(outs["fps1"]), str(b)])
    assert "comparable with caution" in r.output and "other library versions" in r.output


def test_eval_shows_refusal_aware_numbers_in_the_table_and_json(tmp_path):
    preds, gt = _files(tmp_path)  # q1 answered IoU 0.8, q2 irrelevant and refused
    r = runner.invoke(app, ["eval", "--predictions", str(preds), "--gt", str(gt)])
    assert r.exit_code == 0, r.output
    assert "RA-IoU@0.7" in r.output and "relevance f1" in r.output and "100.00" in r.output
    r = runner.invoke(app, ["eval", "--predictions", str(preds), "--gt", str(gt), "--json"])
    ra = json.loads(r.output)["extra"]["refusal_aware"]
    # both queries are hits up to m = 0.8; one relevant answered, nothing else answered
    assert (ra["RA-IoU@0.3"], ra["RA-IoU@0.5"], ra["RA-IoU@0.7"]) == (100.0, 100.0, 100.0)
    assert (ra["relevance_precision"], ra["relevance_recall"], ra["relevance_f1"]) == (
        100.0,
        100.0,
        100.0,
    )
