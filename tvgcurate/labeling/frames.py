"""Seconds <-> Label Studio timeline frames.

Label Studio's ``<Video>`` counts frames from 1: frame ``f`` is shown from ``(f-1)/fps``
to ``f/fps`` (``goToFrame`` seeks to ``(f-1)/fps``). A ``timelinelabels`` range
``{"start": a, "end": b}`` is inclusive of both frames, so it covers the time
``[(a-1)/fps, b/fps]``; a range over the whole video, ``[1, N]``, is ``[0, N/fps]``.

Pushing rounds a window's ends to the nearest frame boundary; a window that lies on frame
boundaries (every window pulled back from Label Studio does) survives the round trip
exactly. The fps is always the task's own (``frameRate="$fps"``), never a project default.
"""

from __future__ import annotations

import math


def _check_fps(fps: float) -> float:
    fps = float(fps)
    if not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    return fps


def seconds_to_range(start: float, end: float, fps: float) -> tuple[int, int]:
    """A window in seconds as an inclusive, 1-based frame range.

    >>> seconds_to_range(0.0, 2.0, 25)
    (1, 50)
    """
    fps = _check_fps(fps)
    a = int(round(float(start) * fps)) + 1
    b = int(round(float(end) * fps))
    a = max(a, 1)
    b = max(b, a)  # a window shorter than half a frame still covers one frame
    return a, b


def range_to_seconds(start_frame: float, end_frame: float, fps: float) -> tuple[float, float]:
    """An inclusive, 1-based frame range as a window in seconds.

    >>> range_to_seconds(1, 50, 25)
    (0.0, 2.0)
    """
    fps = _check_fps(fps)
    a, b = sorted((float(start_frame), float(end_frame)))
    return (a - 1.0) / fps, b / fps
