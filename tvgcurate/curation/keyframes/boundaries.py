"""Shot boundaries on the sampled frames, with scenedetect's detectors (a registry).

The detector sees the small sampled frames, so its frame numbers are sample numbers and
its minimum scene length is counted in samples. A boundary is marked on the first sample
of the new shot; `boost` then raises the weight of that sample and of its neighbours.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tvgcurate.registry import Registry

DETECTORS: Registry[Callable[..., object]] = Registry("boundary detector")


def _scenedetect(detector: str, default: float, threshold_arg: str = "threshold", **fixed):
    """A factory of scenedetect's `detector` (imported when it is built), its threshold
    argument `threshold_arg` set to the threshold given, or `default` when that is None."""

    def make(threshold: float | None, min_scene_len: int):
        import scenedetect

        value = default if threshold is None else threshold
        kwargs = {threshold_arg: value, "min_scene_len": min_scene_len, **fixed}
        return getattr(scenedetect, detector)(**kwargs)

    return make


DETECTORS.add("content", _scenedetect("ContentDetector", 27.0))
DETECTORS.add(
    "adaptive", _scenedetect("AdaptiveDetector", 3.0, "adaptive_threshold", window_width=2)
)
DETECTORS.add("histogram", _scenedetect("HistogramDetector", 0.2))
DETECTORS.add("hash", _scenedetect("HashDetector", 0.35))


@DETECTORS.register("none")
def _none(threshold: float | None, min_scene_len: int):
    return None


def detect(
    frames: np.ndarray,
    sample_fps: float,
    detector: str = "histogram",
    threshold: float | None = None,
    min_scene_len: int = 1,
) -> np.ndarray:
    """Boolean array: True on the first sample of each new shot."""
    det = DETECTORS.get(detector)(threshold, min_scene_len)
    out = np.zeros(len(frames), dtype=bool)
    if det is None or len(frames) < 2:
        return out
    from scenedetect import FrameTimecode

    cuts = []
    last = None
    for i, frame in enumerate(frames):
        last = FrameTimecode(i, sample_fps)
        cuts.extend(det.process_frame(last, frame))
    cuts.extend(det.post_process(last))
    for tc in cuts:
        i = int(tc.frame_num)
        if 0 < i < len(out):
            out[i] = True
    return out


def boost(scores: np.ndarray, is_boundary: np.ndarray, amount: float, radius: int = 1):
    """Weights = scores + `amount` on boundary samples, + amount/2 on their neighbours."""
    w = np.asarray(scores, dtype=np.float64).copy()
    if amount <= 0:
        return w
    extra = np.zeros_like(w)
    for i in np.flatnonzero(is_boundary):
        extra[i] = max(extra[i], amount)
        for d in range(1, radius + 1):
            for j in (i - d, i + d):
                if 0 <= j < len(w):
                    extra[j] = max(extra[j], amount / 2)
    return w + extra
