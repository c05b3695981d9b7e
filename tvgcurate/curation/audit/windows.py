"""Window sanity: inverted, negative, past the end, zero-length, whole-video and overlapping
windows. Each applies to samples that have windows (relevant ones: not irrelevant or
partial rows, which the model must refuse)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tvgcurate.curation.audit.base import Check, Finding, Threshold, binary, register_check
from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import setting
from tvgcurate.metrics import pairwise_iou
from tvgcurate.schemas.sample import has_windows, stored_windows


def _fmt(w: tuple[float, float]) -> str:
    return f"[{w[0]:g}, {w[1]:g}]"


class WindowCheck(Check):
    family = "windows"

    def applies(self, ctx, row: dict) -> bool:
        return has_windows(row) and bool(row.get("windows"))


class AgainstDuration(WindowCheck):
    """A window check that measures the windows against the video's duration (`measure`);
    a sample whose duration is unknown is not measured."""

    def score_one(self, ctx, row):
        dur = ctx.duration(row)
        if dur is None:
            return Finding(row["sample_id"], None, error="no duration (annotated or probed)")
        return self.measure(row, stored_windows(row), dur)

    def measure(self, row: dict, windows: list[tuple[float, float]], dur: float) -> Finding:
        raise NotImplementedError


@register_check
class StartAfterEnd(WindowCheck):
    name = "start_after_end"
    description = "a window whose start is after its end"

    def score_one(self, ctx, row):
        bad = [w for w in stored_windows(row) if w[0] > w[1]]
        gap = max((w[0] - w[1] for w in bad), default=0.0)
        return binary(row["sample_id"], bool(bad), f"window {_fmt(bad[0])}" if bad else "", gap)


@register_check
class NegativeTime(WindowCheck):
    name = "negative_time"
    description = "a window with a negative start or end"

    def score_one(self, ctx, row):
        low = min(min(w) for w in stored_windows(row))
        return binary(row["sample_id"], low < 0, f"window time {low:g} s", low)


@dataclass
class PastDurationConfig:
    tolerance_s: float = setting(
        0.0, "Flag when a window ends more than this many seconds after the end."
    )

    def __post_init__(self):
        if self.tolerance_s < 0:
            raise TvgError("past_duration.tolerance_s must be >= 0 (seconds)")


@register_check
class PastDuration(AgainstDuration):
    name = "past_duration"
    description = "a window ending after the video's duration"
    Config = PastDurationConfig

    def measure(self, row, windows, dur):
        end = max(max(w) for w in windows)
        over = end - dur
        score = 1.0 if over <= 0 else math.exp(-over / 2.0)
        detail = f"ends at {end:g} s, duration {dur:g} s (+{over:.2f} s)" if over > 0 else ""
        return Finding(row["sample_id"], score, detail, over)

    def is_issue(self, f):
        return f.value is not None and f.value > self.config.tolerance_s + 1e-9


@register_check
class ZeroLength(WindowCheck):
    name = "zero_length"
    description = "a window of zero length"

    def score_one(self, ctx, row):
        zero = [w for w in stored_windows(row) if abs(w[1] - w[0]) < 1e-9]
        return binary(row["sample_id"], bool(zero), f"window {_fmt(zero[0])}" if zero else "", 0.0)


@dataclass
class WholeVideoConfig:
    max_share: float = setting(0.9, "Flag when one window covers at least this share of the video.")

    def __post_init__(self):
        if not 0 < self.max_share <= 1:
            raise TvgError("whole_video.max_share must be in (0, 1], e.g. 0.9")


def covered(windows: list[tuple[float, float]]) -> float:
    """Seconds covered by the union of the windows (inverted ones taken as written reversed)."""
    total, end = 0.0, -np.inf
    for s, e in sorted((min(w), max(w)) for w in windows):
        if e > end:
            total += e - max(s, end)
            end = e
    return total


@register_check
class WholeVideo(AgainstDuration):
    name = "whole_video"
    description = "the windows cover (nearly) the whole video: uninformative"
    Config = WholeVideoConfig

    def measure(self, row, windows, dur):
        share = covered(windows) / dur
        return Finding(
            row["sample_id"],
            1.0 - min(share, 1.0),
            f"windows cover {share:.0%} of {dur:g} s",
            share,
        )

    def is_issue(self, f):
        return f.value is not None and f.value >= self.config.max_share - 1e-9


@register_check
class OverlappingWindows(WindowCheck):
    name = "overlapping_windows"
    description = "two windows of one sample overlap or repeat"
    Config = Threshold  # score = 1 - max pairwise IoU; any overlap scores < 1

    def applies(self, ctx, row):
        return has_windows(row) and len(row.get("windows") or []) > 1

    def score_one(self, ctx, row):
        w = np.array([sorted(x) for x in stored_windows(row)], dtype=float)
        iou = pairwise_iou(w, w)
        np.fill_diagonal(iou, 0.0)
        i, j = np.unravel_index(int(iou.argmax()), iou.shape)
        best = float(iou[i, j])
        detail = (
            f"windows {_fmt(tuple(w[i]))} and {_fmt(tuple(w[j]))} (IoU {best:.2f})"
            if best > 0
            else ""
        )
        return Finding(row["sample_id"], 1.0 - best, detail, best)

    def is_issue(self, f):
        return f.value is not None and f.value > 0
