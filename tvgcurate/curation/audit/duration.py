"""Duration: the annotated duration against the probed video, and a QVHighlights `vid`'s
`_start_end` span against its `duration`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tvgcurate.curation.audit.base import Check, Finding, register_check
from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import setting
from tvgcurate.schemas.constants import QVHIGHLIGHTS

VID_SPAN = re.compile(r"_(\d+(?:\.\d+)?)_(\d+(?:\.\d+)?)$")


@dataclass
class DurationConfig:
    tolerance_s: float = setting(1.0, "Flag when |annotated - probed| exceeds this (seconds).")
    rel_tolerance: float = setting(0.02, "... and exceeds this share of the probed duration.")

    def __post_init__(self):
        if self.tolerance_s < 0 or self.rel_tolerance < 0:
            raise TvgError("duration tolerances must be >= 0")


def _severity(diff: float) -> float:
    """Score of a duration disagreement of `diff` seconds: 1 at 0, 0.5 at 1 s, 0.2 at 4 s."""
    return 1.0 / (1.0 + abs(diff))


@register_check
class DurationMismatch(Check):
    name = "duration_mismatch"
    family = "duration"
    description = "the annotated duration disagrees with the probed video"
    requires = ("videos",)
    Config = DurationConfig

    def applies(self, ctx, row):
        return row.get("duration_source") in ("annotation", None) and row.get("duration_s")

    def score_one(self, ctx, row):
        v = ctx.videos.get(row["video_id"])
        if v is None:
            return Finding(row["sample_id"], None, error="video not in the videos table")
        if v.get("probe_error") or not v.get("duration_s"):
            return Finding(
                row["sample_id"], None, error=f"video not probed: {v.get('probe_error')}"
            )
        ann, probed = float(row["duration_s"]), float(v["duration_s"])
        diff = ann - probed
        return Finding(
            row["sample_id"],
            _severity(diff),
            f"annotated {ann:g} s, video {probed:g} s ({diff:+.2f} s)" if abs(diff) > 1e-6 else "",
            diff,
            {"probed_s": probed},
        )

    def is_issue(self, f):
        if f.value is None:
            return False
        probed = (f.data or {}).get("probed_s", 0.0)
        limit = max(self.config.tolerance_s, self.config.rel_tolerance * probed)
        return abs(f.value) > limit + 1e-9


@dataclass
class VidSpanConfig:
    tolerance_s: float = setting(2.0, "Flag when |vid span - duration| exceeds this (seconds).")
    flag_longer_duration_only: bool = setting(
        False,
        "Only flag a duration longer than the span (a clipped source video "
        "legitimately ends before the span).",
    )


@register_check
class VidSpanMismatch(Check):
    name = "vid_span_mismatch"
    family = "duration"
    description = "a QVHighlights vid's _start_end span disagrees with its duration"
    Config = VidSpanConfig

    def applies(self, ctx, row):
        return row.get("source") == QVHIGHLIGHTS and bool(VID_SPAN.search(row["video_id"] or ""))

    def score_one(self, ctx, row):
        m = VID_SPAN.search(row["video_id"])
        span = float(m.group(2)) - float(m.group(1))
        dur = row.get("duration_s")
        if dur is None:
            return Finding(row["sample_id"], None, error="no annotated duration")
        diff = float(dur) - span
        return Finding(
            row["sample_id"],
            _severity(diff),
            f"vid span {span:g} s, duration {float(dur):g} s ({diff:+g} s)" if diff else "",
            diff,
        )

    def is_issue(self, f):
        if f.value is None:
            return False
        if self.config.flag_longer_duration_only and f.value < 0:
            return False
        return abs(f.value) > self.config.tolerance_s + 1e-9
