"""Folds by video (tvgcurate.folds): deterministic, one fold per video, every row in exactly
one fold, roughly even."""

from __future__ import annotations

import pytest

from tvgcurate.errors import TvgError
from tvgcurate.folds import assign, fold_of, in_fold, parse_fold


def rows():
    return [
        {"sample_id": f"s{v}-{q}", "video_id": f"video{v}"} for v in range(200) for q in range(3)
    ]


def test_every_row_in_exactly_one_fold_and_videos_never_straddle():
    k = 4
    folds = {r["sample_id"]: fold_of(r["video_id"], k, seed=7) for r in rows()}
    by_video: dict[str, set[int]] = {}
    for r in rows():
        by_video.setdefault(r["video_id"], set()).add(folds[r["sample_id"]])
    assert all(len(f) == 1 for f in by_video.values())
    members = [[r for r in rows() if in_fold(r["video_id"], (i, k), seed=7)] for i in range(k)]
    assert sum(len(m) for m in members) == len(rows())
    ids = [r["sample_id"] for m in members for r in m]
    assert len(set(ids)) == len(ids)
    assert all(len(m) >= 0.15 * len(rows()) for m in members)  # roughly even


def test_deterministic_and_seeded():
    a = assign([r["video_id"] for r in rows()], 3, seed=1)
    assert a == assign([r["video_id"] for r in rows()], 3, seed=1)
    assert a != assign([r["video_id"] for r in rows()], 3, seed=2)
    assert set(a.values()) == {0, 1, 2}
    assert fold_of("video5", 1) == 0


def test_parse_fold():
    assert parse_fold("2/5") == (2, 5) and parse_fold(None) is None
    for bad in ("5/5", "x", "1/1", "-1/3"):
        with pytest.raises(TvgError, match="fold"):
            parse_fold(bad)
