"""Clip grid: QVHighlights `relevant_clip_ids` against `relevant_windows` on the 2-second grid."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tvgcurate.curation.audit.base import Check, Finding, register_check
from tvgcurate.keyvalue import setting
from tvgcurate.schemas.constants import QVHIGHLIGHTS
from tvgcurate.schemas.sample import has_windows, stored_windows

CLIP_S = 2.0


def clip_ids(windows: list[tuple[float, float]], duration: float | None) -> set[int]:
    """Indices of the 2-second clips the windows touch (clipped to the video when known)."""
    n = math.ceil(duration / CLIP_S) if duration else None
    ids: set[int] = set()
    for s, e in windows:
        lo, hi = min(s, e), max(s, e)
        a, b = max(0, math.floor(lo / CLIP_S)), math.ceil(hi / CLIP_S)
        if n is not None:
            b = min(n, b)
        ids.update(range(a, b))
    return ids


@dataclass
class ClipGridConfig:
    min_jaccard: float = setting(
        1.0, "Flag when Jaccard(clip ids, clips of the windows) is below this."
    )


@register_check
class ClipIdsMismatch(Check):
    name = "clip_ids_mismatch"
    family = "clip_grid"
    description = "relevant_clip_ids disagree with the windows on the 2-second grid"
    Config = ClipGridConfig

    def applies(self, ctx, row):
        return (
            row.get("source") == QVHIGHLIGHTS
            and row.get("relevant_clip_ids") is not None
            and has_windows(row)
            and bool(row.get("windows"))
        )

    def score_one(self, ctx, row):
        want = clip_ids(stored_windows(row), ctx.duration(row))
        got = set(row["relevant_clip_ids"])
        union = want | got
        jac = len(want & got) / len(union) if union else 1.0
        detail = ""
        if jac < 1:
            extra, missing = sorted(got - want), sorted(want - got)
            detail = (
                f"{len(extra)} clip id(s) outside the windows (e.g. {extra[:3]}), "
                f"{len(missing)} window clip(s) missing (e.g. {missing[:3]})"
            )
        return Finding(row["sample_id"], jac, detail, jac)

    def is_issue(self, f):
        return f.value is not None and f.value < self.config.min_jaccard - 1e-9
