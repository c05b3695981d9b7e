"""Which frames a sample shows: keyframe rows chosen, thinned or laid out uniformly.

Pure functions over keyframe rows (dicts with ``timestamp_s``, ``tokens``, ``height``,
``width``); no decoding, no workspace.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def select_frames(keyframes: Sequence[dict], max_frames: int | None) -> list[dict]:
    """Keyframes in time order, evenly thinned to `max_frames`."""
    kf = sorted(keyframes, key=lambda r: r["timestamp_s"])
    if max_frames is None or len(kf) <= max_frames:
        return kf
    step = len(kf) / max_frames
    return [kf[int(i * step)] for i in range(max_frames)]


def uniform_keyframes(
    video_id: str, duration_s: float, fps: float, tokens: int, aspect: float = 1.0
) -> list[dict]:
    """Keyframe rows at a fixed rate and equal size (the `uniform` frames of InputConfig)."""
    side_w = max(1, round(math.sqrt(tokens * aspect)))
    side_h = max(1, tokens // side_w)
    n = max(1, int(duration_s * fps))
    return [
        {
            "video_id": video_id,
            "frame_index": i,
            "timestamp_s": round((i + 0.5) / fps, 3),
            "tokens": side_w * side_h,
            "height": 28 * side_h,
            "width": 28 * side_w,
        }
        for i in range(n)
        if (i + 0.5) / fps < duration_s
    ]


def usable(kf: dict) -> bool:
    """A keyframe row that SAA kept: no error, a size and at least one token."""
    if kf.get("error") or kf.get("timestamp_s") is None:
        return False
    if kf.get("tokens") is not None and kf["tokens"] <= 0:
        return False
    return not (kf.get("height") is not None and (kf["height"] <= 0 or kf["width"] <= 0))
