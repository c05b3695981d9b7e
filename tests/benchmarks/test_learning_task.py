"""The synthetic grounding task of benchmarks/learning.py: labels that only the frames reveal."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from tvgcurate.demo.render import DIRECTIONS, TEXTURES, Scene, background

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def learning():
    spec = importlib.util.spec_from_file_location("learning_bench", REPO / "benchmarks/learning.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def task(learning, tmp_path_factory):
    root = tmp_path_factory.mktemp("learning_task")
    ws = learning.build_task(root, 24, 4, seed=0, size=56, plain=True, whole_seconds=True)
    return ws.read("samples").to_pylist()


def test_rows_per_video_and_splits(task):
    by_video = {}
    for s in task:
        by_video.setdefault(s["video_id"], []).append(s)
    assert len(by_video) == 28
    for rows in by_video.values():
        assert sorted(r["relevance"] for r in rows) == ["irrelevant"] * 2 + ["relevant"] * 2
    assert {s["split"] for s in task} == {"train", "val"}


def test_whole_second_windows_inside_the_video(task):
    for s in task:
        if s["relevance"] != "relevant":
            assert s["windows"] == []
            continue
        (w,) = s["windows"]
        assert float(w["start"]).is_integer() and float(w["end"]).is_integer()
        assert 0 <= w["start"] < w["end"] <= s["duration_s"]


def test_irrelevant_wording_does_not_give_the_label_away(task):
    """A fixed direction in absent-shape queries let the model refuse by the text alone."""
    found = [
        re.search(r"moves from (.+)$", s["query"]) for s in task if s["relevance"] != "relevant"
    ]
    directions = {m.group(1) for m in found if m}
    assert len(directions) >= 2
    assert directions <= set(DIRECTIONS)


def test_flat_background_has_no_texture():
    assert "flat" not in TEXTURES  # asked for by name only: demo-data stays as it was
    flat = background(Scene(0.0, (120, 80, 60), "flat", 3), 64, 64).astype(float)
    stripes = background(Scene(0.0, (120, 80, 60), "stripes", 3), 64, 64).astype(float)
    # the same seed gives the same gradient; only the texture differs
    assert np.abs(np.diff(flat, axis=0)).max() <= 2
    assert np.abs(np.diff(stripes, axis=0)).max() > 10
