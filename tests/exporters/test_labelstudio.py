import json

from label_studio_sdk.label_interface import LabelInterface

from tvgcurate.exporters import ExportConfig, export
from tvgcurate.labeling.frames import range_to_seconds
from tvgcurate.labeling.offline import tasks_for


def test_offline_tasks_round_trip(tricky_ws, tmp_path):
    out = tmp_path / "ls"
    res = export(
        ExportConfig(
            workspace=tricky_ws.root, format="labelstudio", out=out, include_irrelevant=True
        )
    )
    tasks = json.loads((out / "tasks.json").read_text(encoding="utf-8"))
    li = LabelInterface((out / "labeling-config.xml").read_text(encoding="utf-8"))
    samples = {s["sample_id"]: s for s in tricky_ws.read("samples").to_pylist()}
    assert res.written == len(tasks) == len(samples)
    for t in tasks:
        s = samples[t["data"]["sample_id"]]
        assert t["data"]["query"] == s["query"]
        assert t["data"]["video"] == f"/data/local-files/?d=media/{s['video_id']}.mp4"
        pred = t["predictions"][0]
        assert pred["model_version"] == f"samples-v{tricky_ws.current('samples').version}"
        assert li.validate_prediction(pred)  # the consumer's own check of region shapes
        ranges = [r["value"]["ranges"][0] for r in pred["result"] if r["type"] == "timelinelabels"]
        back = [range_to_seconds(r["start"], r["end"], t["data"]["fps"]) for r in ranges]
        want = [(w["start"], w["end"]) for w in s["windows"]]
        assert len(back) == len(want)
        for (a, b), (c, d) in zip(back, want, strict=True):  # frame precision (fps 4)
            assert abs(a - c) <= 0.125 + 1e-9 and abs(b - d) <= 0.125 + 1e-9
        verdict = [r["value"]["choices"] for r in pred["result"] if r["type"] == "choices"]
        assert len(verdict) == 1


def test_same_tasks_as_the_relabel_code(tricky_ws, tmp_path):
    from tvgcurate.labeling.media import MediaSource

    out = tmp_path / "ls"
    export(
        ExportConfig(
            workspace=tricky_ws.root,
            format="labelstudio",
            out=out,
            options={"video_url_prefix": "http://host/v"},
        )
    )
    rel = [s for s in tricky_ws.read("samples").to_pylist() if s["relevance"] == "relevant"]
    want = tasks_for(
        rel,
        tricky_ws.read("videos"),
        video_url=MediaSource(url_prefix="http://host/v").url,
        samples_version=tricky_ws.current("samples").version,
    )
    assert json.loads((out / "tasks.json").read_text(encoding="utf-8")) == want
    assert want[0]["data"]["video"] == "http://host/v/vid0.mp4"
