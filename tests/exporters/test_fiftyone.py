"""FiftyOne's database cannot run here (mongod needs libcrypto.so.1.1, absent on Debian 12;
see docs/dev/stack.md), so the export is checked against the on-disk layout its FiftyOneDataset
importer reads (legacy JSON form: metadata.json without `version`, samples.json, frames/),
and the support arithmetic against its TemporalDetection.from_timestamps convention."""

import json
from pathlib import Path

import pyarrow as pa
import pytest

from tests.exporters.conftest import make_tricky_workspace
from tvgcurate.exporters import ExportConfig, export
from tvgcurate.exporters.fiftyone import frame_number
from tvgcurate.schemas import PREDICTIONS
from tvgcurate.schemas.audits import AUDITS_EXTENDED


@pytest.fixture(scope="module")
def audited_ws(tmp_path_factory):
    ws = make_tricky_workspace(tmp_path_factory.mktemp("fo"))
    ids = sorted(ws.read("samples").column("sample_id").to_pylist())
    preds = [
        {"run_id": "run-1", "sample_id": sid, "windows": [{"start": 0.0, "end": 4.0, "score": 0.1}],
         "refused": False, "raw_text": ""}
        for sid in ids
    ] + [
        {"run_id": "run-2", "sample_id": sid, "windows": [{"start": 1.0, "end": 2.0, "score": 0.9}],
         "refused": False, "raw_text": "<answer>1.0 to 2.0</answer>"}
        for sid in ids
    ]  # fmt: skip
    base = dict(audit_id="audit-1", family="x", value=None, data=None, error=None, rank=None)
    audits = []
    for i, sid in enumerate(ids):
        bad = i == 0
        audits.append({**base, "sample_id": sid, "check": "zero_length", "is_issue": bad,
                       "score": 0.0 if bad else 1.0, "detail": "bad" if bad else ""})  # fmt: skip
        audits.append({**base, "sample_id": sid, "check": "priority", "is_issue": bad,
                       "score": 0.0 if bad else 0.9, "value": 1.0 if bad else 0.1,
                       "detail": "", "family": "ranking", "rank": i + 1})  # fmt: skip
    with ws.transaction("fixture") as tx:
        tx.write("predictions", pa.Table.from_pylist(preds, schema=PREDICTIONS))
        tx.write("audits", pa.Table.from_pylist(audits, schema=AUDITS_EXTENDED))
    return ws, ids


def test_frame_numbers_follow_fiftyone():
    # 1 + round(t / duration * (total - 1)), clamped to [1, total]
    assert frame_number(0.0, 4.0, 16) == 1
    assert frame_number(4.0, 4.0, 16) == 16
    assert frame_number(2.0, 4.0, 16) == 1 + round(7.5)
    assert frame_number(9.0, 4.0, 16) == 16 and frame_number(1.0, 0.0, 16) == 1


def test_layout_labels_fields_and_saved_view(audited_ws, tmp_path):
    ws, ids = audited_ws
    out = tmp_path / "fo"
    res = export(ExportConfig(workspace=ws.root, format="fiftyone", out=out,
                              include_irrelevant=True, options={"top": "2"}))  # fmt: skip
    assert res.written == len(ids)
    meta = json.loads((out / "metadata.json").read_text())
    assert "version" not in meta and meta["media_type"] == "video"  # the importer's legacy JSON
    info = meta["info"]["tvgcurate"]
    assert info["saved_view"] == {"name": "audit-top-2", "top": 2}
    assert (info["run_id"], info["audit_id"]) == ("run-2", "audit-1")  # the last run by default
    docs = json.loads((out / "samples.json").read_text())["samples"]
    samples = {s["sample_id"]: s for s in ws.read("samples").to_pylist()}
    for d in docs:
        s = samples[d["sample_id"]]
        assert Path(d["filepath"]).is_file() and d["tags"] == [s["split"]]
        assert json.loads((out / d["frames"]).read_text()) == {"frames": {}}
        md = d["metadata"]
        assert md["_cls"] == "VideoMetadata" and md["total_frame_count"] == 16
        gt = d["ground_truth"]
        assert gt["_cls"] == "TemporalDetections"
        wins = sorted((w["start"], w["end"]) for w in s["windows"] or [])
        assert [x["support"] for x in gt["detections"]] == [
            [frame_number(a, 4.0, 16), frame_number(b, 4.0, 16)] for a, b in wins
        ]
        assert all(x["_cls"] == "TemporalDetection" for x in gt["detections"])
        for x in gt["detections"]:
            first, last = x["support"]
            assert 1 <= first <= last <= 16  # [first, last], 1-based
        (p,) = d["predictions"]["detections"]
        assert p["support"] == [frame_number(1.0, 4.0, 16), frame_number(2.0, 4.0, 16)]
        assert p["confidence"] == 0.9
        rank = ids.index(s["sample_id"]) + 1
        assert d["rank"] == rank and d["priority"] == (1.0 if rank == 1 else 0.1)
        assert d["check_zero_length"] == (0.0 if rank == 1 else 1.0)
        findings = d["audit"]["detections"]
        if rank == 1:
            assert {f["label"] for f in findings} == {"zero_length"}
            assert all(f["confidence"] == 1.0 and f["detail"] == "bad" for f in findings)
        else:
            assert findings == []
    loader = (out / "load_fiftyone.py").read_text()
    assert "fo.types.FiftyOneDataset" in loader and "save_view" in loader
    compile(loader, "load_fiftyone.py", "exec")


def test_without_audit_no_view_and_a_note(tricky_ws, tmp_path):
    res = export(ExportConfig(workspace=tricky_ws.root, format="fiftyone", out=tmp_path / "f"))
    meta = json.loads((tmp_path / "f" / "metadata.json").read_text())
    assert meta["info"]["tvgcurate"]["saved_view"]["top"] == 0
    assert any("no audit ranking" in n for n in res.notes)
    (doc, *_) = json.loads((tmp_path / "f" / "samples.json").read_text())["samples"]
    assert "predictions" not in doc and "audit" not in doc
