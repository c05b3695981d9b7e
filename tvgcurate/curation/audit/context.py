"""What checks read: the samples (as dicts), and, lazily, videos, keyframes, predictions and
query embeddings. Built once per audit; checks never touch the workspace themselves.

A row's relevance and windows are read with `tvgcurate.schemas.sample`: window checks apply
to rows that `has_windows` (relevant ones; a partial row is a refusal target, as in `score`
and `eval`) and read `stored_windows`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass
class Keyframes:
    """One video's sampled frames: timestamps, change scores (0..1) and scene-cut flags."""

    t: np.ndarray
    change: np.ndarray
    cut: np.ndarray


@dataclass
class AuditContext:
    samples: list[dict]
    videos: dict[str, dict] = field(default_factory=dict)
    keyframes_table: pa.Table | None = None
    predictions: dict[str, dict] | None = None
    run_id: str | None = None
    embed: Callable[[list[str]], np.ndarray] | None = None

    @functools.cached_property
    def by_video(self) -> dict[str, list[dict]]:
        """Annotated (non-synthetic) samples per video."""
        out: dict[str, list[dict]] = {}
        for row in self.samples:
            if (row.get("origin") or "").startswith("synthetic"):
                continue
            out.setdefault(row["video_id"], []).append(row)
        return out

    @functools.cached_property
    def keyframes(self) -> dict[str, Keyframes]:
        kf = self.keyframes_table
        if kf is None or kf.num_rows == 0:
            return {}
        if "error" in kf.column_names:
            kf = kf.filter(pc.is_null(kf.column("error")))
        kf = kf.sort_by([("video_id", "ascending"), ("timestamp_s", "ascending")])
        vids = kf.column("video_id").to_numpy(zero_copy_only=False)
        t = kf.column("timestamp_s").to_numpy(zero_copy_only=False).astype(float)
        cs = pc.fill_null(kf.column("change_score"), 0.0).to_numpy(zero_copy_only=False)
        cut = pc.fill_null(kf.column("is_boundary"), False).to_numpy(zero_copy_only=False)
        out = {}
        if len(vids) == 0:
            return out
        starts = np.flatnonzero(np.r_[True, vids[1:] != vids[:-1]])
        ends = np.r_[starts[1:], len(vids)]
        for a, b in zip(starts, ends, strict=True):
            out[str(vids[a])] = Keyframes(t[a:b], cs[a:b].astype(float), cut[a:b].astype(bool))
        return out

    def duration(self, row: dict) -> float | None:
        """The sample's duration: as annotated, else the probed video's."""
        d = row.get("duration_s")
        if d is not None and np.isfinite(d) and d > 0:
            return float(d)
        v = self.videos.get(row["video_id"])
        if v and v.get("duration_s"):
            return float(v["duration_s"])
        return None
