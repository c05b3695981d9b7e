"""Change scores: PySceneDetect's content value between consecutive sampled frames.

content value = mean over H, S and V of the mean absolute pixel difference (the default
weights of ``ContentDetector``: hue, saturation and luma 1, edges 0), on the small BGR
frames. The first frame scores 0. ``normalise`` divides by the video's largest value so
scores lie in 0..1 (a still video scores all zeros).
"""

from __future__ import annotations

import numpy as np


def hsv_frames(frames: np.ndarray) -> np.ndarray:
    """(n, h, w, 3) BGR uint8 -> HSV uint8 (OpenCV's ranges, as PySceneDetect uses)."""
    import cv2

    if len(frames) == 0:
        return frames
    n, h, w, _ = frames.shape
    # One cvtColor call over the stacked frames (rows concatenated) is faster than n calls.
    return cv2.cvtColor(frames.reshape(n * h, w, 3), cv2.COLOR_BGR2HSV).reshape(n, h, w, 3)


def content_values(frames: np.ndarray) -> np.ndarray:
    """Raw content values (0..255 scale); element 0 is 0."""
    n = len(frames)
    out = np.zeros(n, dtype=np.float64)
    if n < 2:
        return out
    import cv2

    hsv = hsv_frames(frames).reshape(n, -1)
    diff = cv2.absdiff(hsv[1:], hsv[:-1])  # uint8, (n - 1, h * w * 3)
    # The mean over H, S and V of per-channel means == the mean over all values.
    out[1:] = diff.sum(axis=1, dtype=np.int64) / diff.shape[1]
    return out


def normalise(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)
