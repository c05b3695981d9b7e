"""Boundary precision: an annotated boundary far from any content change or scene cut.

Events of a video, from its keyframes table: the scene cuts (`is_boundary`), the video's
start and end, and the steps of the change-score curve (where the median change level
of the `step_window_s` after a frame differs from the one before by at least `min_step`:
something entered or left the picture). A boundary's distance is the time to the nearest
event; a sample reports both of its outer boundaries and scores by the worse one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tvgcurate.curation.audit.base import Check, Finding, register_check
from tvgcurate.curation.audit.context import Keyframes
from tvgcurate.keyvalue import setting
from tvgcurate.schemas.sample import has_windows, stored_windows


@dataclass
class BoundaryConfig:
    max_distance_s: float = setting(
        3.0, "Flag when a boundary is further than this from every change (s)."
    )
    min_step: float = setting(
        0.01, "Change-level step (normalised change score) that counts as an event."
    )
    step_window_s: float = setting(2.0, "Seconds before/after a frame compared for a step.")


def events(kf: Keyframes, duration: float | None, min_step: float, window_s: float) -> np.ndarray:
    """Times of scene cuts, change-level steps, and the video's start and end."""
    t, cs = kf.t, kf.change
    out = [0.0, float(duration if duration else (t[-1] if len(t) else 0.0))]
    out += t[kf.cut].tolist()
    if len(t) > 2:
        dt = float(np.median(np.diff(t))) or 0.5
        w = max(1, int(round(window_s / dt)))
        step = np.zeros(len(t))
        for i in range(1, len(t)):
            before = cs[max(0, i - w) : i]
            after = cs[i : i + w]
            step[i] = abs(float(np.median(after)) - float(np.median(before)))
        peak = (step >= min_step) & (step >= np.r_[0, step[:-1]]) & (step >= np.r_[step[1:], 0])
        idx = np.flatnonzero(peak)
        out += ((t[idx] + t[idx - 1]) / 2).tolist()
    return np.array(sorted(out))


@register_check
class BoundaryPrecision(Check):
    name = "boundary_precision"
    family = "boundary"
    description = "an annotated boundary far from any content change or scene cut"
    requires = ("keyframes",)
    section = "Boundary shift"
    section_missing = "No keyframes table (run tvgcurate keyframes)."
    section_order = 2
    Config = BoundaryConfig

    def plot(self, rows, dpi):
        from tvgcurate.curation.audit.plots import plot_boundaries

        return plot_boundaries(rows, self.config.max_distance_s, dpi)

    def applies(self, ctx, row):
        return has_windows(row) and bool(row.get("windows"))

    def score(self, ctx):
        cache: dict[str, np.ndarray] = {}
        out = []
        for row in ctx.samples:
            if not self.applies(ctx, row):
                continue
            vid = row["video_id"]
            kf = ctx.keyframes.get(vid)
            if kf is None:
                out.append(Finding(row["sample_id"], None, error="no keyframes for this video"))
                continue
            if vid not in cache:
                c = self.config
                cache[vid] = events(kf, ctx.duration(row), c.min_step, c.step_window_s)
            ev = cache[vid]
            w = stored_windows(row)
            start, end = min(min(x) for x in w), max(max(x) for x in w)
            d = {k: float(np.abs(ev - b).min()) for k, b in (("start", start), ("end", end))}
            worst = max(d.values())
            out.append(
                Finding(
                    row["sample_id"],
                    math.exp(-worst / 2.0),
                    f"start {start:g} s is {d['start']:.1f} s and end {end:g} s is "
                    f"{d['end']:.1f} s from the nearest change",
                    worst,
                    {"start_s": round(d["start"], 3), "end_s": round(d["end"], 3)},
                )
            )
        return out

    def is_issue(self, f):
        return f.value is not None and f.value > self.config.max_distance_s + 1e-9
