"""The synthetic grounding tasks of benchmarks/learning.py: labels that only the frames reveal."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tvgcurate.demo.render import COLOURS, DIRECTIONS, SHAPES, TEXTURES, Scene, background

REPO = Path(__file__).resolve().parents[2]
WORDS = re.compile(rf"\b({'|'.join(COLOURS)}) ({'|'.join(SHAPES)})\b")


@pytest.fixture(scope="module")
def learning():
    from benchmarks import learning

    return learning


@pytest.fixture(scope="module")
def tasks(learning, tmp_path_factory):
    """rung -> (samples, task.json) of a small task of each rung."""
    out = {}
    for rung in ("one", "multi", "textured"):
        root = tmp_path_factory.mktemp(f"learning_{rung}")
        ws = learning.build_task(root, 12, 4, seed=0, size=56, rung=rung)
        out[rung] = (ws.read("samples").to_pylist(), json.loads((root / "task.json").read_text()))
    return out


def by_video(samples):
    out = {}
    for s in samples:
        out.setdefault(s["video_id"], []).append(s)
    return out


@pytest.mark.parametrize("rung", ["one", "multi", "textured"])
def test_rows_per_video_and_splits(tasks, rung):
    samples, info = tasks[rung]
    videos = by_video(samples)
    assert len(videos) == 16
    lo, hi = {"one": (1, 1), "multi": (2, 3), "textured": (2, 3)}[rung]
    for vid, rows in videos.items():
        k = info["videos"][vid]["shapes"]
        assert lo <= k <= hi
        rel = [r for r in rows if r["relevance"] == "relevant"]
        assert len(rel) == max(2, k)  # one query per shape, two wordings of a single shape
        assert sum(r["relevance"] == "irrelevant" for r in rows) == 2
    assert {s["split"] for s in samples} == {"train", "val"}
    if rung != "one":  # both shape counts occur
        assert {d["shapes"] for d in info["videos"].values()} == {2, 3}


@pytest.mark.parametrize("rung", ["one", "multi", "textured"])
def test_the_query_colour_decides(tasks, rung):
    """Each colour once per video; irrelevant queries name a colour the video does not show."""
    samples, _ = tasks[rung]
    same_kind = 0
    for rows in by_video(samples).values():
        rel = [WORDS.search(r["query"]).groups() for r in rows if r["relevance"] == "relevant"]
        irr = [WORDS.search(r["query"]).groups() for r in rows if r["relevance"] != "relevant"]
        shown = {c for c, _ in rel}
        if rung != "one":
            assert len(shown) == len(rel)  # distinct colours, one query each
        assert not shown & {c for c, _ in irr}
        same_kind += irr[0][1] in {s for _, s in rel}
    assert same_kind == len(by_video(samples))  # the first absent query reuses a shown kind


@pytest.mark.parametrize("rung", ["one", "multi", "textured"])
def test_whole_second_windows_inside_the_video(tasks, rung):
    for s in tasks[rung][0]:
        if s["relevance"] != "relevant":
            assert s["windows"] == []
            continue
        (w,) = s["windows"]
        assert float(w["start"]).is_integer() and float(w["end"]).is_integer()
        assert 0 <= w["start"] < w["end"] <= s["duration_s"]


def test_only_the_textured_rung_has_scene_cuts(tasks):
    cuts = {r: [d["cuts"] for d in tasks[r][1]["videos"].values()] for r in tasks}
    assert max(cuts["one"]) == max(cuts["multi"]) == 0
    assert min(cuts["textured"]) >= 1


def test_irrelevant_wording_does_not_give_the_label_away(tasks):
    """A fixed direction in absent-shape queries let the model refuse by the text alone."""
    samples = [s for rung in tasks for s in tasks[rung][0]]
    found = [
        re.search(r"moves from (.+)$", s["query"]) for s in samples if s["relevance"] != "relevant"
    ]
    directions = {m.group(1) for m in found if m}
    assert len(directions) >= 2
    assert directions <= set(DIRECTIONS)


def test_best_constant_is_fitted(learning):
    rows = [{"duration_s": 10.0, "windows": [{"start": 2.0, "end": 6.0}]}] * 3
    assert learning.best_constant(rows) == (0.2, 0.6)


def test_flat_background_has_no_texture(learning):
    assert "flat" not in TEXTURES  # the plain rungs' look lives in the benchmark
    scene = Scene(0.0, (120, 80, 60), "flat", 3)
    flat = learning.flat_background(scene, 64, 64).astype(float)
    stripes = background(Scene(0.0, (120, 80, 60), "stripes", 3), 64, 64).astype(float)
    # the same seed gives the same gradient; only the texture differs
    assert np.abs(np.diff(flat, axis=0)).max() <= 2
    assert np.abs(np.diff(stripes, axis=0)).max() > 10


def test_the_headline_rung_has_large_shapes_on_grey(learning, tasks, tmp_path):
    rung = tasks["multi"][1]["rung"]
    assert rung["shape_scale"] == 2.5 and rung["grey"] is True
    one = tasks["one"][1]["rung"]  # the headline's look: one pretraining serves both
    assert one["shape_scale"] == 2.5 and one["grey"] is True
    assert tasks["textured"][1]["rung"]["plain"] is False
    # options override the rung, and task.json says what was built
    learning.build_task(tmp_path, 2, 1, seed=0, size=56, rung="multi", shape_scale=1.0, grey=False)
    built = json.loads((tmp_path / "task.json").read_text())["rung"]
    assert built["shape_scale"] == 1.0 and built["grey"] is False
    # grey: every pixel of the first frame away from the shapes is achromatic
    import av

    mp4 = sorted((tmp_path / "media").glob("*.mp4"))[0]
    with av.open(str(mp4)) as c:
        frame = next(c.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    spread = frame.max(axis=2) - frame.min(axis=2)
    assert np.median(spread) > 10  # a coloured background: the override asked for it
    grey_root = tmp_path / "grey"
    learning.build_task(grey_root, 2, 1, seed=0, size=56, rung="multi")
    mp4 = sorted((grey_root / "media").glob("*.mp4"))[0]
    with av.open(str(mp4)) as c:
        frame = next(c.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    spread = frame.max(axis=2) - frame.min(axis=2)
    assert np.median(spread) <= 6  # the background (most pixels) is grey, up to H.264 noise
