"""Time-R1 / TimeZero are training repositories, not installable libraries: the layout is
checked against their published annotation files (Time-R1's dataset/timer1/annotations/
train_2k5.json, TimeZero's charades_annotation/train.json as its preprocess_dataset.py reads it)."""

import json
from pathlib import Path

from tvgcurate.exporters import ExportConfig, export

TIME_R1_KEYS = {"video", "duration", "timestamp", "sentence", "qid", "video_start", "video_end"}


def test_time_r1_list_layout(tricky_ws, tmp_path):
    out = tmp_path / "train.json"
    res = export(ExportConfig(workspace=tricky_ws.root, format="timer1", out=out))
    records = json.loads(out.read_text(encoding="utf-8"))
    samples = {s["sample_id"]: s for s in tricky_ws.read("samples").to_pylist()}
    assert res.written == len(records) == 4 and any("several windows" in n for n in res.notes)
    for r in records:
        assert set(r) == TIME_R1_KEYS
        s = samples[r["qid"]]
        assert r["sentence"] == s["query"] and r["duration"] == s["duration_s"]
        assert r["timestamp"] == list(min((w["start"], w["end"]) for w in s["windows"]))
        assert Path(r["video"]).is_file() and r["video"].endswith(f"{s['video_id']}.mp4")


def test_timezero_per_video_layout_as_its_preprocessing_reads_it(tricky_ws, tmp_path):
    out = tmp_path / "train.json"
    export(ExportConfig(workspace=tricky_ws.root, format="timer1", out=out,
                        options={"layout": "timezero"}))  # fmt: skip
    data = json.loads(out.read_text(encoding="utf-8"))
    samples = [s for s in tricky_ws.read("samples").to_pylist() if s["relevance"] == "relevant"]
    assert sorted(data) == ["vid0", "vid1"]
    pairs = []
    for video_id, d in data.items():  # preprocess_dataset.py's loop
        assert set(d) == {"duration", "timestamps", "sentences"}
        for ts, sentence in zip(d["timestamps"], d["sentences"], strict=True):
            solution = (ts[0] / d["duration"], ts[1] / d["duration"])
            assert 0 <= solution[0] <= solution[1] <= 1
            pairs.append((video_id, sentence, tuple(ts)))
    want = {
        (s["video_id"], s["query"], min((w["start"], w["end"]) for w in s["windows"]))
        for s in samples
    }
    assert set(pairs) == want and len(pairs) == len(samples)
