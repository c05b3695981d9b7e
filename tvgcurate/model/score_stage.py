"""The scoring stage the executors run, and how ranks split its shards.

An *item* of the stage is one generate batch (`{"samples": [...]}`, each sample either a
plan -- the sample and the keyframe rows it shows -- or the error that kept it from being
planned); a shard is a few batches. The model is loaded once per worker process (a module
cache keyed by the stage), frames are decoded in the worker, and each sample becomes one
predictions row. Under `accelerate launch` / torchrun (or `--rank/--world-size` for Ray or
Slurm) rank r runs the shards i with i % world_size == r.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from tvgcurate.model.backends.base import GenOptions
from tvgcurate.model.eta import TimestampFormat, parse_answer
from tvgcurate.model.pool import pool_answers
from tvgcurate.schemas.predictions import PREDICTIONS_TABLE
from tvgcurate.schemas.sample import answer_window

_BACKENDS: dict = {}  # per process: stage key -> backend (the model, loaded once; one kept)
_SOURCES: dict = {}  # per process: stage key -> FrameSource


@dataclass
class ScoreStage:
    """Picklable: what a worker needs to score batches (no model, no open file)."""

    name = "score"
    model_dir: str
    backend: str
    gen: GenOptions
    inputs: dict  # InputConfig fields
    timestamp_width: int
    run_id: str
    media_root: str | None
    video_paths: dict[str, str] = field(repr=False)
    frames_path: str | None = None
    # the model files' identity when the stage was planned (loading.model_identity's digest):
    # a model retrained into the same directory is another model, for the model cache and
    # the scratch key alike
    model_stamp: str = ""
    # set in each worker: spawned workers start at torch's default
    torch_threads: int | None = None

    def key(self) -> str:
        parts = (
            self.model_dir, self.model_stamp, self.backend, repr(self.gen),
            sorted(self.inputs.items()),
        )  # fmt: skip
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]

    def item_key(self, item: dict) -> str:
        ids = "\n".join(s["sample_id"] for s in item["samples"])
        return hashlib.sha256(ids.encode()).hexdigest()[:16]

    def item_size(self, item: dict) -> int:
        return len(item["samples"])

    def process(self, item: dict) -> pa.Table:
        from tvgcurate.model.inputs import InputConfig, build_input

        cfg = InputConfig(**self.inputs)
        fmt = TimestampFormat(self.timestamp_width)
        source = self._source()
        built, rows = [], {}
        for s in item["samples"]:
            sid = s["sample_id"]
            if s.get("error"):
                rows[sid] = self.error_row(sid, s["error"])
                continue
            try:
                images = source.frames(s["sample"]["video_id"], s["keyframes"])
                built.append(build_input(s["sample"], s["keyframes"], images, fmt, cfg))
            except Exception as exc:  # noqa: BLE001 - per-sample failure is data
                rows[sid] = self.error_row(sid, f"{type(exc).__name__}: {exc}")
        if built:
            _seed(self.gen.seed, self.item_key(item))
            for m, g in zip(built, self._backend().generate(built), strict=True):
                rows[m.sample_id] = self.row(m, g)
        return pa.Table.from_pylist(
            [rows[s["sample_id"]] for s in item["samples"]], schema=PREDICTIONS_TABLE
        )

    def on_error(self, item: dict, message: str) -> pa.Table:
        rows = [self.error_row(s["sample_id"], message) for s in item["samples"]]
        return pa.Table.from_pylist(rows, schema=PREDICTIONS_TABLE)

    # -- rows ----------------------------------------------------------------------------
    def row(self, m, g) -> dict:
        pooled = pool_answers(g.texts, m.duration_s or None)
        windows = pooled["windows"]
        best = answer_window(parse_answer(g.window_text), m.duration_s or None, order=True)
        if best is not None and (self.gen.num_samples == 1 or not windows):
            # the window decoded with the refusal suppressed, even when the greedy text refuses
            score = 1.0 if self.gen.num_samples == 1 else 0.0
            windows = [{"start": best[0], "end": best[1], "score": score}]
        return {
            "run_id": self.run_id,
            "sample_id": m.sample_id,
            "windows": windows,
            "refused": pooled["refused"],
            "raw_text": g.texts[0] if g.texts else None,
            "refusal_score": None if g.refusal_score is None else round(g.refusal_score, 6),
            "iou_spread": pooled["iou_spread"],
            "refusal_rate": pooled["refusal_rate"],
            "num_samples": self.gen.num_samples,
            "samples_text": list(g.texts),
            "window_text": g.window_text,
            "error": None,
        }

    def error_row(self, sid: str, message: str) -> dict:
        return {
            "run_id": self.run_id,
            "sample_id": sid,
            "windows": [],
            "refused": None,
            "raw_text": None,
            "refusal_score": None,
            "iou_spread": None,
            "refusal_rate": None,
            "num_samples": self.gen.num_samples,
            "samples_text": [],
            "window_text": None,
            "error": message,
        }

    # -- per-process caches --------------------------------------------------------------
    def _backend(self):
        from tvgcurate.model.backends.base import get_backend

        k = self.key()
        if k not in _BACKENDS:
            if self.torch_threads:
                import torch

                torch.set_num_threads(self.torch_threads)
            _BACKENDS.clear()  # one model per process: a long run scores many in turn
            _BACKENDS[k] = get_backend(self.backend, Path(self.model_dir), self.gen)
        return _BACKENDS[k]

    def _source(self):
        from tvgcurate.model.decode import FrameSource, FrameStore

        k = (self.frames_path, self.media_root, len(self.video_paths))
        if k not in _SOURCES:
            store = FrameStore(Path(self.frames_path)) if self.frames_path else None
            root = Path(self.media_root) if self.media_root else None
            _SOURCES[k] = FrameSource(root, dict(self.video_paths), store)
        return _SOURCES[k]


def _seed(seed: int, key: str) -> None:
    """A seed per batch, so that K sampled answers do not depend on which worker ran it."""
    import torch

    torch.manual_seed(seed + int(key[:8], 16) % 1_000_003)


def stage_fields(stage: ScoreStage) -> dict:
    d = dataclasses.asdict(stage)
    d.pop("video_paths")
    d.pop("torch_threads")  # not part of what is computed
    return d


# -- ranks ------------------------------------------------------------------------------


def dist_rank(rank: int | None = None, world_size: int | None = None) -> tuple[int, int]:
    """(rank, world_size): the given values, else RANK / WORLD_SIZE as set by accelerate
    launch and torchrun, else (0, 1)."""
    r = rank if rank is not None else int(os.environ.get("RANK", "0"))
    w = world_size if world_size is not None else int(os.environ.get("WORLD_SIZE", "1"))
    if w < 1 or not 0 <= r < w:
        from tvgcurate.errors import TvgError

        raise TvgError(f"rank {r} / world size {w}: need 0 <= rank < world_size")
    return r, w


def rank_shards(n_shards: int, rank: int, world_size: int) -> list[int]:
    """The shard positions rank `rank` runs: i % world_size == rank.

    >>> rank_shards(7, 1, 3)
    [1, 4]
    """
    return [i for i in range(n_shards) if i % world_size == rank]
