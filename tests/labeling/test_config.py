"""The labeling config and the tasks: valid for Label Studio, fps from the task."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from tvgcurate.labeling import config as lc
from tvgcurate.labeling.media import MediaSource
from tvgcurate.labeling.offline import sample_hash, tasks_for, write_offline


def test_config_has_every_control_and_takes_fps_from_the_task():
    root = ET.fromstring(lc.labeling_config())
    tags = {el.tag: el.attrib for el in root.iter()}
    assert tags["Video"]["frameRate"] == "$fps"
    assert tags["Video"]["value"] == "$video"
    assert tags["TimelineLabels"]["toName"] == lc.VIDEO
    assert [c.attrib["value"] for c in root.iter("Choice")] == list(lc.VERDICTS)
    assert tags["TextArea"]["name"] == lc.REWRITE


def test_config_is_accepted_by_the_sdk_label_interface():
    from label_studio_sdk.label_interface import LabelInterface

    li = LabelInterface(lc.labeling_config())
    assert {c.name for c in li.controls} >= {lc.MOMENT, lc.VERDICT, lc.REWRITE}


def test_tasks_carry_id_url_query_fps_duration_and_a_prediction(offline_ws):
    ws, media = offline_ws
    src = MediaSource(media_root=media)
    tasks = tasks_for(ws.read("samples"), ws.read("videos"), video_url=src.url, samples_version=1)
    assert len(tasks) == 20
    t = tasks[2]  # third video: 29.97 fps
    assert t["data"]["sample_id"] == "qvhighlights:val:1002"
    assert t["data"]["video"] == "/data/local-files/?d=videos/fps2997.mp4"
    assert t["data"]["fps"] == 30000 / 1001
    assert t["data"]["duration_s"] > 8
    (pred,) = t["predictions"]
    assert pred["model_version"] == "samples-v1"
    region = pred["result"][0]
    # window [4, 6] s at 29.97 fps -> frames 121..180 (rounded to the nearest boundary)
    assert region["value"]["ranges"] == [{"start": 121, "end": 180}]
    assert pred["result"][-1]["value"]["choices"] == ["relevant"]


def test_sample_hash_changes_with_content_only():
    row = {"sample_id": "a", "video_id": "v", "query": "q", "relevance": "relevant",
           "windows": [{"start": 1.0, "end": 2.0}], "split": "val"}  # fmt: skip
    h = sample_hash(row)
    assert sample_hash({**row, "split": "test", "needs_review": True}) == h
    assert sample_hash({**row, "query": "q2"}) != h
    assert sample_hash({**row, "windows": [{"start": 1.0, "end": 2.5}]}) != h


def test_missing_video_or_fps_is_recorded_not_raised(offline_ws):
    ws, media = offline_ws
    videos = ws.read("videos").to_pylist()
    videos[0]["fps"] = None
    skipped = []
    tasks = tasks_for(
        ws.read("samples"), videos[:2], video_url=MediaSource(media_root=media).url,
        skipped=skipped,
    )  # fmt: skip
    assert len(tasks) + len(skipped) == 20
    reasons = {s.error.split(" ")[0] + " " + s.error.split("'")[1] for s in skipped}
    assert any("fps24" in r for r in reasons) and any("fps2997" in r for r in reasons)


def test_url_prefix_and_offline_bundle(offline_ws, tmp_path):
    ws, _ = offline_ws
    src = MediaSource(url_prefix="https://cdn.example.org/qvh/")
    tasks = tasks_for(ws.read("samples"), ws.read("videos"), video_url=src.url)
    assert tasks[0]["data"]["video"] == "https://cdn.example.org/qvh/fps24.mp4"
    files = write_offline(tmp_path / "out", tasks)
    assert [f.name for f in files] == ["labeling-config.xml", "tasks.json"]
    assert json.loads(files[1].read_text())[0]["data"]["sample_id"] == "qvhighlights:val:1000"
    ET.fromstring(files[0].read_text())


def test_cli_offline_mode_needs_no_server_and_no_key(offline_ws, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from tvgcurate.cli import app

    ws, media = offline_ws
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    out = tmp_path / "bundle"
    r = CliRunner().invoke(
        app,
        ["relabel", "-w", str(ws.root), "--select", "needs_review", "--media-root", str(media),
         "--out", str(out)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    tasks = json.loads((out / "tasks.json").read_text())
    assert [t["data"]["sample_id"] for t in tasks] == [
        "qvhighlights:val:1018",
        "qvhighlights:val:1019",
    ]
    assert tasks[0]["predictions"][0]["result"] == [
        {"id": "curverdict", "type": "choices", "from_name": "verdict", "to_name": "video",
         "origin": "prediction", "value": {"choices": ["irrelevant"]}}
    ]  # fmt: skip


def test_media_root_must_sit_below_the_document_root(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="subdirectory"):
        MediaSource(media_root=tmp_path, document_root=tmp_path)
    with pytest.raises(ValueError, match="exactly one"):
        MediaSource()
