"""Frames as images: from the `frames` cache table, or decoded from the video with PyAV at
the keyframe timestamps (one sequential pass per video), resized to each keyframe's size."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from tvgcurate.errors import WorkspaceError


def decode_frames(path: str | Path, keyframes: Sequence[dict]) -> list:
    """Decode the frames nearest each keyframe timestamp in one sequential PyAV pass, resized
    to each keyframe's width x height (PIL RGB). Raises on unreadable files."""
    import av

    wanted = sorted(range(len(keyframes)), key=lambda i: keyframes[i]["timestamp_s"])
    out: list = [None] * len(keyframes)
    if not wanted:
        return out
    j = 0
    prev = None  # (time, frame)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            t = float(frame.time) if frame.time is not None else 0.0
            while j < len(wanted) and t >= keyframes[wanted[j]]["timestamp_s"]:
                target = keyframes[wanted[j]]["timestamp_s"]
                use = frame
                if prev is not None and abs(prev[0] - target) < abs(t - target):
                    use = prev[1]
                out[wanted[j]] = _resize(use, keyframes[wanted[j]])
                j += 1
            if j >= len(wanted):
                break
            prev = (t, frame)
        while j < len(wanted) and prev is not None:  # timestamps past the last frame
            out[wanted[j]] = _resize(prev[1], keyframes[wanted[j]])
            j += 1
    if any(o is None for o in out):
        raise ValueError(f"{path}: no decodable frames")
    return out


def _resize(frame, kf: dict):
    w, h = int(kf.get("width") or 56), int(kf.get("height") or 56)
    return frame.reformat(width=w, height=h, format="rgb24", interpolation="AREA").to_image()


class FrameSource:
    """Frames for keyframe rows: from the `frames` cache when present, else decoded from video."""

    def __init__(self, media_root: Path | None, video_paths: dict[str, str], cache=None):
        self.media_root = media_root
        self.video_paths = video_paths
        self._cache: dict[tuple[str, int], bytes] = {}
        if cache is not None and cache.num_rows:
            col = _binary_column(cache)
            if col is not None:
                vids = cache.column("video_id").to_pylist()
                idx = cache.column("frame_index").to_pylist()
                data = cache.column(col).to_pylist()
                self._cache = {(v, i): b for v, i, b in zip(vids, idx, data, strict=True) if b}

    def path_of(self, video_id: str) -> Path:
        rel = self.video_paths.get(video_id)
        if rel is None:
            raise WorkspaceError(f"video '{video_id}' is not in the videos table")
        p = Path(rel)
        if not p.is_absolute() and self.media_root is not None:
            p = self.media_root / p
        return p

    def frames(self, video_id: str, keyframes: Sequence[dict]) -> list:
        from PIL import Image

        keys = [(video_id, int(k["frame_index"])) for k in keyframes]
        if keys and all(k in self._cache for k in keys):
            out = []
            for k, kf in zip(keys, keyframes, strict=True):
                img = Image.open(io.BytesIO(self._cache[k])).convert("RGB")
                size = (int(kf.get("width") or img.width), int(kf.get("height") or img.height))
                out.append(img if img.size == size else img.resize(size, Image.BILINEAR))
            return out
        return decode_frames(self.path_of(video_id), keyframes)


def _binary_column(table) -> str | None:
    import pyarrow as pa

    for f in table.schema:
        if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type):
            return f.name
    return None
