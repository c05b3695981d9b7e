"""demo-data: deterministic, decodable videos with known cuts/shapes, native annotation files."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tvgcurate.cli import app
from tvgcurate.curation.audit.clip_grid import clip_ids
from tvgcurate.demo.data import (
    DemoConfig,
    build,
    generate,
    load_ground_truth,
    phrase,
    video_spec,
)
from tvgcurate.demo.plants import KINDS
from tvgcurate.demo.render import COLOURS, VideoSpec, draw_frame, shape_mask
from tvgcurate.errors import TvgError

ANNOTATION_FILES = [
    "qvhighlights/demo_train_release.jsonl",
    "qvhighlights/demo_val_release.jsonl",
    "charades/charades_sta_train.txt",
    "charades/charades_sta_test.txt",
    "charades/Charades_v1_train.csv",
    "charades/Charades_v1_test.csv",
    "activitynet/train.json",
    "activitynet/val_1.json",
    "ground_truth.json",
]
DEMO_KW: dict = {}  # filled from the demo_kwargs fixture (tests/conftest.py)
CHARADES_LINE = re.compile(r"^([A-Z0-9]{5}) (-?\d+\.\d) (-?\d+\.\d)##(.*)$")


@pytest.fixture(autouse=True, scope="module")
def _demo_kw(demo_kwargs):
    DEMO_KW.update(demo_kwargs)


@pytest.fixture(scope="module")
def gt(demo_dir):
    return load_ground_truth(demo_dir)


def _clean(gt):
    return [q for q in gt["queries"] if q["planted"] is None]


def _video(gt, video_id):
    return next(v for v in gt["videos"] if v["video_id"] == video_id)


# --- determinism ----------------------------------------------------------------------


def test_same_seed_same_annotation_bytes(demo_dir, tmp_path):
    res = generate(DemoConfig(out=tmp_path / "again", write_videos=False, **DEMO_KW))
    assert res.videos == []
    for name in ANNOTATION_FILES:
        assert (res.out / name).read_bytes() == (demo_dir / name).read_bytes(), name


def test_other_seed_other_data():
    a = build(DemoConfig(out="x", **DEMO_KW))
    b = build(DemoConfig(out="x", **{**DEMO_KW, "seed": 1}))
    assert [v.spec.to_dict() for v in a[0]] != [v.spec.to_dict() for v in b[0]]


def test_video_spec_depends_only_on_seed_and_index():
    small = DemoConfig(out="x", **{**DEMO_KW, "num_videos": 2})
    big = DemoConfig(out="x", **{**DEMO_KW, "num_videos": 9})
    assert video_spec(small, 1).spec == video_spec(big, 1).spec
    assert video_spec(big, 1).spec != video_spec(big, 2).spec


def test_spec_roundtrips_through_ground_truth(gt):
    videos, _ = build(DemoConfig(out="x", **DEMO_KW))
    assert len(videos) == len(gt["videos"])
    for dv, v in zip(videos, gt["videos"], strict=True):
        spec = VideoSpec.from_dict(v["spec"])
        assert spec == dv.spec
        assert spec.cuts == v["cuts"] and v["file"] == f"videos/{spec.video_id}.mp4"


# --- videos ---------------------------------------------------------------------------


def test_videos_decode_with_pyav(demo_dir, gt):
    import av

    assert len(gt["videos"]) == DEMO_KW["num_videos"]
    for v in gt["videos"]:
        with av.open(str(demo_dir / v["file"])) as c:
            s = c.streams.video[0]
            n = sum(1 for _ in c.decode(s))
            assert s.codec_context.name == "h264"
            assert (s.codec_context.width, s.codec_context.height) == (160, 120)
            assert float(s.average_rate) == 24
        assert n == v["num_frames"] == round(v["duration"] * 24)
        assert DEMO_KW["min_duration"] <= v["duration"] <= DEMO_KW["max_duration"]


def test_videos_decode_with_decord(demo_dir, gt):
    decord = pytest.importorskip("decord")
    for v in gt["videos"]:
        vr = decord.VideoReader(str(demo_dir / v["file"]))
        assert len(vr) == v["num_frames"]
        assert vr.get_avg_fps() == pytest.approx(24)
        assert vr[0].shape == (120, 160, 3)


def test_decoded_frames_match_the_drawing(demo_dir, gt):
    """The encoder keeps what was drawn (colours survive H.264 + yuv420p)."""
    decord = pytest.importorskip("decord")
    v = gt["videos"][0]
    spec = VideoSpec.from_dict(v["spec"])
    vr = decord.VideoReader(str(demo_dir / v["file"]))
    idx = [0, spec.num_frames // 2, spec.num_frames - 1]
    frames = vr.get_batch(idx).asnumpy().astype(int)
    for i, f in zip(idx, frames, strict=True):
        drawn = draw_frame(spec, i / spec.fps).astype(int)
        assert np.abs(f - drawn).mean() < 6


def test_scenedetect_finds_the_cuts(demo_dir, gt):
    scenedetect = pytest.importorskip("scenedetect")
    with_cuts = [v for v in gt["videos"] if v["cuts"]]
    assert with_cuts
    for v in with_cuts:
        scenes = scenedetect.detect(str(demo_dir / v["file"]), scenedetect.ContentDetector())
        found = [s[0].seconds for s in scenes[1:]]
        for cut in v["cuts"]:
            assert min(abs(cut - f) for f in found) <= 0.5, (v["video_id"], v["cuts"], found)
        assert len(found) == len(v["cuts"]), (v["video_id"], v["cuts"], found)


# --- queries --------------------------------------------------------------------------


def test_every_clean_query_names_a_shape_on_screen_in_its_window(gt):
    clean = _clean(gt)
    assert len(clean) >= 18  # repeated_event plants all 3 queries of a shape
    for q in clean:
        v = _video(gt, q["video_id"])
        spec = VideoSpec.from_dict(v["spec"])
        sh = q["shape"]
        assert sh["colour"] in q["query"] and sh["shape"] in q["query"], q
        track = next(t for t in spec.shapes if (t.shape, t.colour) == (sh["shape"], sh["colour"]))
        for s, e in q["windows"]:
            assert track.start <= s < e <= track.end <= v["duration"], q
            # visible and not hidden behind other shapes at the window's middle
            t = (s + e) / 2
            assert track.visible(t)
            frame = draw_frame(spec, t)
            cx, cy = track.centre(t)
            x0, y0 = round(cx - track.size / 2), round(cy - track.size / 2)
            box = frame[y0 : y0 + track.size, x0 : x0 + track.size]
            mask = shape_mask(track.shape, track.size)[: box.shape[0], : box.shape[1]]
            share = (box[mask] == COLOURS[track.colour]).all(axis=1).mean()
            assert share > 0.3, (q, share)


def test_absent_shapes_never_appear(gt):
    for v in gt["videos"]:
        present = {(s["shape"], s["colour"]) for s in v["shapes"]}
        absent = {(s["shape"], s["colour"]) for s in v["absent"]}
        assert len(absent) == 3 and not present & absent
        twice = {
            (q["shape"]["shape"], q["shape"]["colour"])
            for q in gt["queries"]
            if q["video_id"] == v["video_id"] and q["planted"] == "repeated_event"
        }
        # no shape/colour twice in a video, except a planted repeated event
        assert len(present) == len(v["shapes"]) - len(twice)


def test_one_shape_per_video_option():
    videos, anns = build(
        DemoConfig(out="x", **{**DEMO_KW, "min_shapes": 1, "max_shapes": 1, "plant_errors": False})
    )
    assert all(len(v.spec.shapes) == 1 for v in videos)
    assert len(anns) == len(videos) * 3


def test_phrasing_varies():
    texts = {phrase("circle", "orange", t) for t in range(8)}
    assert len(texts) == 8
    assert "an orange circle moves across the screen" in texts


# --- native files -----------------------------------------------------------------------


def test_qvh_jsonl_is_native(demo_dir, gt):
    rows = []
    for split in ("train", "val"):
        lines = (demo_dir / f"qvhighlights/demo_{split}_release.jsonl").read_text().splitlines()
        assert lines
        rows += [(split, json.loads(x)) for x in lines]
    planted = {p["sample_id"]: p["kind"] for p in gt["planted"]}
    for split, r in rows:
        assert list(r) == [
            "qid", "query", "duration", "vid", "relevant_clip_ids", "saliency_scores",
            "relevant_windows",
        ]  # fmt: skip
        assert isinstance(r["qid"], int) and isinstance(r["duration"], int)
        m = re.fullmatch(r"dm\d{4}_(\d+\.\d)_(\d+\.\d)", r["vid"])
        assert m and (demo_dir / "videos" / f"{r['vid']}.mp4").exists()
        assert len(r["saliency_scores"]) == len(r["relevant_clip_ids"])
        assert all(len(s) == 3 and all(0 <= x <= 4 for x in s) for s in r["saliency_scores"])
        kind = planted.get(f"qvhighlights:{split}:{r['qid']}")
        if kind is None:
            assert float(m[2]) - float(m[1]) == r["duration"]
            assert r["relevant_clip_ids"] == sorted(clip_ids(r["relevant_windows"], r["duration"]))
            assert all(x % 2 == 0 for w in r["relevant_windows"] for x in w)


def test_charades_files_are_native(demo_dir):
    for split in ("train", "test"):
        lines = (demo_dir / f"charades/charades_sta_{split}.txt").read_text().splitlines()
        assert lines
        with open(demo_dir / f"charades/Charades_v1_{split}.csv", newline="") as fh:
            reader = csv.DictReader(fh)
            assert reader.fieldnames == [
                "id",
                "subject",
                "scene",
                "quality",
                "relevance",
                "verified",
                "script",
                "objects",
                "descriptions",
                "actions",
                "length",
            ]
            lengths = {r["id"]: float(r["length"]) for r in reader}
        for line in lines:
            m = CHARADES_LINE.match(line)
            assert m, line
            assert m[1] in lengths and (demo_dir / "videos" / f"{m[1]}.mp4").exists()


def test_activitynet_files_are_native(demo_dir):
    for name in ("train.json", "val_1.json"):
        data = json.loads((demo_dir / "activitynet" / name).read_text())
        assert data
        for vid, entry in data.items():
            assert vid.startswith("v_") and (demo_dir / "videos" / f"{vid}.mp4").exists()
            assert set(entry) == {"duration", "timestamps", "sentences"}
            assert len(entry["timestamps"]) == len(entry["sentences"])
            assert all(len(w) == 2 for w in entry["timestamps"])


def test_sample_ids_follow_the_native_files(demo_dir, gt):
    ids = set()
    for split in ("train", "val"):
        for line in (
            (demo_dir / f"qvhighlights/demo_{split}_release.jsonl").read_text().splitlines()
        ):
            ids.add(f"qvhighlights:{split}:{json.loads(line)['qid']}")
    for split in ("train", "test"):
        n = len((demo_dir / f"charades/charades_sta_{split}.txt").read_text().splitlines())
        ids |= {f"charades-sta:{split}:{i}" for i in range(n)}
    for split, name in (("train", "train.json"), ("val", "val_1.json")):
        for vid, e in json.loads((demo_dir / "activitynet" / name).read_text()).items():
            ids |= {f"activitynet:{split}:{vid}#{i}" for i in range(len(e["sentences"]))}
    listed = [q["sample_id"] for q in gt["queries"]]
    assert len(listed) == len(set(listed))
    assert set(listed) == ids


# --- planted errors -------------------------------------------------------------------


def _has(kind, q, v):
    """Does the ground-truth query record show the planted error?"""
    w = q["windows"]
    s, e = w[0]
    dur = v["annotated_duration"] if q["source"] != "qvhighlights" else v["duration"]
    sh = q["shape"]
    checks = {
        "start_after_end": s > e,
        "negative_time": s < 0,
        "past_duration": e > dur,
        "zero_length": s == e,
        "whole_video": e - s >= 0.95 * dur,
        "overlapping_windows": len(w) == 2 and w[1][0] < w[0][1] and w[0][0] < w[1][1],
        "boundary_shift": abs(s - sh["start"]) >= 5 and abs(e - sh["end"]) >= 5,
        "duplicate_query": True,  # checked below across samples
        "duration_mismatch": abs(v["annotated_duration"] - v["duration"]) > 2,
        "vid_span_mismatch": True,  # checked in the native file below
        "clip_ids_mismatch": True,
        "whitespace_query": q["query"] != q["query"].strip() and q["query"].strip(),
        "empty_query": q["query"] == "",
        "positional_leak": " of the video, " in q["query"],
        "split_leak": True,
        "repeated_event": len(q["occurrences"]) == 2
        and (
            q["occurrences"][1][0] >= q["occurrences"][0][1] + 2
            or q["occurrences"][1][1] <= q["occurrences"][0][0] - 2
        )
        and [s, e] == q["occurrences"][0],
    }
    return bool(checks[kind])


def test_plant_errors_plants_every_kind(demo_dir, gt):
    planted = gt["planted"]
    assert {p["kind"] for p in planted} == set(KINDS)
    by_id = {q["sample_id"]: q for q in gt["queries"]}
    for p in planted:
        q = by_id[p["sample_id"]]
        assert q["planted"] == p["kind"] and p["detail"]
        assert _has(p["kind"], q, _video(gt, q["video_id"])), p
    assert 0 < len(planted) < len(gt["queries"])
    # duplicate_query: same text as another query of the video, different window
    for p in (p for p in planted if p["kind"] == "duplicate_query"):
        q = by_id[p["sample_id"]]
        twins = [
            o for o in gt["queries"]
            if o["video_id"] == q["video_id"] and o["query"] == q["query"] and o is not q
        ]  # fmt: skip
        assert twins and all(o["windows"] != q["windows"] for o in twins)
    # split_leak: the video is annotated in another split too
    for p in (p for p in planted if p["kind"] == "split_leak"):
        q = by_id[p["sample_id"]]
        splits = {o["split"] for o in gt["queries"] if o["video_id"] == q["video_id"]}
        assert len(splits) == 2


def test_planted_qvh_line_errors_are_in_the_file(demo_dir, gt):
    kinds = {p["sample_id"]: p["kind"] for p in gt["planted"]}
    seen = set()
    for split in ("train", "val"):
        for line in (
            (demo_dir / f"qvhighlights/demo_{split}_release.jsonl").read_text().splitlines()
        ):
            r = json.loads(line)
            kind = kinds.get(f"qvhighlights:{split}:{r['qid']}")
            s0, s1 = map(float, r["vid"].split("_")[1:])
            if kind == "vid_span_mismatch":
                assert s1 - s0 != r["duration"]
            if kind == "clip_ids_mismatch":
                assert r["relevant_clip_ids"] != sorted(
                    clip_ids(r["relevant_windows"], r["duration"])
                )
            seen.add(kind)
    assert {"vid_span_mismatch", "clip_ids_mismatch", "overlapping_windows"} <= seen


def test_no_errors_without_the_flag():
    cfg = DemoConfig(out="x", **{**DEMO_KW, "plant_errors": False})
    videos, anns = build(cfg)
    assert all(a.kind is None for a in anns)
    for a in anns:
        t = videos[a.video].spec.shapes[a.shape]
        assert a.windows == [[t.start, t.end]]


def test_error_rate_is_respected_with_many_samples():
    cfg = DemoConfig(out="x", **{**DEMO_KW, "num_videos": 30, "error_rate": 0.25})
    _, anns = build(cfg)
    share = sum(a.kind is not None for a in anns) / len(anns)
    assert 0.2 <= share <= 0.45
    assert {a.kind for a in anns if a.kind} == set(KINDS)


# --- config and CLI -------------------------------------------------------------------


def test_config_errors_say_how_to_fix():
    with pytest.raises(TvgError, match="multiple of 4"):
        DemoConfig(out="x", height=250)
    with pytest.raises(TvgError, match="min-duration"):
        DemoConfig(out="x", min_duration=6, min_shape_seconds=5)
    with pytest.raises(TvgError, match="max_duration"):
        replace(DemoConfig(out="x"), min_duration=30, max_duration=20)


def test_cli_writes_and_replaces_a_demo_dir(tmp_path):
    runner = CliRunner()
    out = tmp_path / "d"
    args = ["demo-data", "--out", str(out), "--num-videos", "4", "--min-duration", "8",
            "--max-duration", "9", "--width", "64", "--height", "48", "--fps", "8"]  # fmt: skip
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert len(list((out / "videos").glob("*.mp4"))) == 4
    r = runner.invoke(app, [*args[:4], "2", *args[5:], "--no-videos"])
    assert r.exit_code == 0, r.output
    assert list((out / "videos").glob("*.mp4")) == []  # the old demo was replaced
    assert len(load_ground_truth(out)["videos"]) == 2


def test_cli_refuses_a_foreign_directory(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    r = CliRunner().invoke(app, ["demo-data", "--out", str(tmp_path), "--no-videos"])
    assert r.exit_code == 2
    assert (tmp_path / "precious.txt").exists()


def test_cli_help_has_an_example():
    r = CliRunner().invoke(app, ["demo-data", "--help"])
    assert r.exit_code == 0 and "Example" in r.output


def test_demo_dir_fixture_is_reusable(demo_dir: Path):
    assert (demo_dir / "ground_truth.json").exists()


def test_ingest_reads_every_demo_file(demo_dir, gt, tmp_path):
    """The contract with `ingest`: every planted file parses and ids match the ground truth."""
    from tvgcurate.workspace import Workspace

    files = [str(demo_dir / n) for n in ANNOTATION_FILES if not n.endswith((".csv", "truth.json"))]
    ws = tmp_path / "ws"
    r = CliRunner().invoke(
        app, ["ingest", *files, "--workspace", str(ws), "--videos", str(demo_dir / "videos")]
    )
    assert r.exit_code == 0, r.output
    samples = Workspace(ws).read("samples").to_pylist()
    assert sorted(s["sample_id"] for s in samples) == sorted(q["sample_id"] for q in gt["queries"])
    videos = {v["video_id"]: v for v in Workspace(ws).read("videos").to_pylist()}
    for v in gt["videos"]:
        assert videos[v["video_id"]]["probe_error"] is None
        assert videos[v["video_id"]]["duration_s"] == pytest.approx(v["duration"], abs=0.05)


def test_every_dataset_has_a_writer():
    from tvgcurate.demo.data import WRITERS
    from tvgcurate.demo.datasets import DATASETS

    assert WRITERS.names() == list(DATASETS)


def test_native_files_are_what_the_exporters_write(demo_dir, tmp_path):
    """The demo writes through the exporters: ingesting its files and exporting them again
    gives the same QVH and Charades-STA text (ANet: the same JSON)."""
    from tvgcurate.curation.ingest import IngestConfig, ingest
    from tvgcurate.exporters import ExportConfig, export

    ws = tmp_path / "ws"
    files = [demo_dir / n for n in ANNOTATION_FILES if not n.endswith((".csv", "truth.json"))]
    ingest(IngestConfig(sources=files, workspace=ws))
    for fmt, name, split in (
        ("qvhighlights", "qvhighlights/demo_val_release.jsonl", "val"),
        ("charades-sta", "charades/charades_sta_test.txt", "test"),
        ("activitynet", "activitynet/val_1.json", "val"),
    ):
        out = tmp_path / fmt / Path(name).name  # format names are the source names
        export(ExportConfig(workspace=ws, format=fmt, out=out, source=fmt, split=split))
        if fmt == "activitynet":
            assert json.loads(out.read_text()) == json.loads((demo_dir / name).read_text())
        else:
            assert out.read_text() == (demo_dir / name).read_text(), fmt


def test_preset_and_gop_give_high_profile_streams_with_b_frames(tmp_path):
    import av

    base = dict(num_videos=1, min_duration=6, max_duration=6, fps=10, seed=3)
    streams = {}
    for name, extra in {"default": {}, "high": {"preset": "veryfast", "gop_seconds": 1.5}}.items():
        generate(DemoConfig(out=tmp_path / name, **base, **extra))
        (video,) = (tmp_path / name).rglob("*.mp4")
        with av.open(str(video)) as c:
            s = c.streams.video[0]
            keys = [p.pts for p in c.demux(s) if p.is_keyframe and p.pts is not None]
            streams[name] = (s.codec_context.profile, s.codec_context.has_b_frames, len(keys))
    assert streams["default"][1] is False
    assert streams["high"][:2] == ("High", True)
    assert streams["high"][2] == 4  # a keyframe every 15 frames over 60 frames
    with pytest.raises(TvgError, match="gop_seconds"):
        DemoConfig(out=tmp_path / "x", gop_seconds=0)
