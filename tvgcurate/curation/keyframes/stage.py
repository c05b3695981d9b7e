"""The SAA keyframes stage: one video in, one row per sampled frame out.

decode (small) -> change scores -> boundaries -> weights (scores + boosts) -> policy
tokens -> (height, width) per frame; optionally the frames again at those sizes as JPEG.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from tvgcurate.curation.keyframes import boundaries, budget, decode, scores
from tvgcurate.schemas.constants import DEFAULT_BUDGET_TOKENS
from tvgcurate.schemas.keyframes import FRAMES, KEYFRAME_EXTRA_COLUMNS, KEYFRAME_SHARD

EXTRA_COLUMNS = KEYFRAME_EXTRA_COLUMNS
SHARD_SCHEMA = KEYFRAME_SHARD
FRAMES_SCHEMA = FRAMES


@dataclass(frozen=True)
class Allocation:
    """Everything SAA decides for one video (handy for tests and benchmarks)."""

    frame_index: np.ndarray
    timestamp_s: np.ndarray
    change_score: np.ndarray
    is_boundary: np.ndarray
    weight: np.ndarray
    tokens: np.ndarray
    height: np.ndarray
    width: np.ndarray


@dataclass(frozen=True)
class KeyframesStage:
    """Picklable settings of the stage; `process` runs one video (a `videos` row)."""

    media_root: str | None = None
    sample_fps: float = 2.0
    policy: str = "adaptive"
    budget_tokens: int = DEFAULT_BUDGET_TOKENS
    min_tokens: int = 16
    max_tokens: int = 768
    decoder: str = "auto"
    detector: str = "histogram"
    detector_threshold: float | None = None
    boundary_boost: float = 1.0
    score_width: int = 160
    cache_frames: bool = False
    jpeg_quality: int = 90
    name: str = "keyframes"

    def item_key(self, item: dict) -> str:
        return str(item["video_id"])

    def resolve(self, item: dict) -> Path:
        path = Path(str(item["path"]))
        if not path.is_absolute():
            if not self.media_root:
                raise FileNotFoundError(f"{path}: relative path and no media root")
            path = Path(self.media_root) / path
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file")
        return path

    def allocate(self, sampled: decode.Sampled) -> Allocation:
        raw = scores.content_values(sampled.frames)
        change = scores.normalise(raw)
        cuts = boundaries.detect(
            sampled.frames, self.sample_fps, self.detector, self.detector_threshold
        )
        weight = boundaries.boost(change, cuts, self.boundary_boost)
        b = budget.Budget(self.budget_tokens, self.min_tokens, self.max_tokens)
        alloc = budget.get_policy(self.policy).allocate(weight, b)
        hw = [budget.grid_size(int(t), sampled.src_width, sampled.src_height) for t in alloc]
        height = np.asarray([h for h, _ in hw], dtype=np.int32)
        width = np.asarray([w for _, w in hw], dtype=np.int32)
        tokens = (height.astype(np.int64) // budget.PATCH) * (width // budget.PATCH)
        return Allocation(
            frame_index=sampled.frame_index,
            timestamp_s=sampled.timestamp_s,
            change_score=change,
            is_boundary=cuts,
            weight=weight,
            tokens=tokens,
            height=height,
            width=width,
        )

    def process(self, item: dict) -> pa.Table:
        if item.get("probe_error"):
            return self.on_error(item, f"probe_error: {item['probe_error']}")
        path = self.resolve(item)
        dec = decode.get_decoder(self.decoder)
        sampled = dec.sample(path, self.sample_fps, self.score_width)
        a = self.allocate(sampled)
        n = len(a.tokens)
        images: list[bytes | None] = [None] * n
        if self.cache_frames:
            images = self._images(dec, path, sampled, a)
        return pa.table(
            {
                "video_id": pa.array([str(item["video_id"])] * n, pa.string()),
                "frame_index": pa.array(a.frame_index, pa.int64()),
                "timestamp_s": pa.array(np.round(a.timestamp_s, 6), pa.float64()),
                "change_score": pa.array(a.change_score, pa.float64()),
                "is_boundary": pa.array(a.is_boundary, pa.bool_()),
                "tokens": pa.array(a.tokens, pa.int64()),
                "height": pa.array(a.height, pa.int32()),
                "width": pa.array(a.width, pa.int32()),
                "error": pa.nulls(n, pa.string()),
                "sample_index": pa.array(np.arange(n), pa.int32()),
                "weight": pa.array(a.weight, pa.float64()),
                "policy": pa.array([self.policy] * n, pa.string()),
                "decoder": pa.array([sampled.decoder] * n, pa.string()),
                "image": pa.array(images, pa.binary()),
            },
            schema=SHARD_SCHEMA,
        )

    def _images(self, dec, path, sampled, a: Allocation) -> list[bytes | None]:
        import cv2

        sizes = [(int(h), int(w)) for h, w in zip(a.height, a.width, strict=True)]
        frames = dec.frames_at(path, sampled, sizes)
        out: list[bytes | None] = []
        for img in frames:
            if img is None:
                out.append(None)
                continue
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
            out.append(buf.tobytes() if ok else None)
        return out

    def on_error(self, item: dict, message: str) -> pa.Table:
        """One row for a failed video: frame_index -1, no tokens, `error` set."""
        row = {
            "video_id": [str(item.get("video_id"))],
            "frame_index": [-1],
            "timestamp_s": [0.0],
            "change_score": [None],
            "is_boundary": [False],
            "tokens": [0],
            "height": [0],
            "width": [0],
            "error": [message.splitlines()[0][:500] if message else "unknown error"],
            "sample_index": [None],
            "weight": [None],
            "policy": [self.policy],
            "decoder": [None],
            "image": [None],
        }
        return pa.table(row, schema=SHARD_SCHEMA)
