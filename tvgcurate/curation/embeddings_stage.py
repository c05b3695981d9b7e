"""The embedding stage the executors run (`embed_texts` drives it; see embeddings.py).

An *item* is one batch of distinct texts (`{"hashes": [...], "texts": [...]}`) and a shard
holds one item, so `shard_size` texts are encoded in one call. The encoder is built once
per worker process and kept in a module cache (`_ENCODERS`), never once per shard: a
spawned `process` worker or a Ray worker (Ray reuses its worker processes for tasks) loads
a model the first time it runs a shard and reuses it for every later one. In the process
that made the stage (the `local` executor) an encoder object given by the caller is used
as is.

A batch whose encode call raises is encoded again text by text, so a text that breaks the
encoder becomes one error row (with the message) and the others still get vectors.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from tvgcurate.curation.embeddings_encoders import Encoder, get_encoder

SHARD_SCHEMA = pa.schema(
    [
        pa.field("text_hash", pa.string()),
        pa.field("model", pa.string()),
        pa.field("vector", pa.list_(pa.float32())),
        pa.field("error", pa.string()),
        # diagnostics: which process embedded the shard, and how many encoders it had built
        pa.field("worker_pid", pa.int64()),
        pa.field("encoder_loads", pa.int64()),
    ]
)

_ENCODERS: dict[str, Encoder] = {}  # per process: encoder key -> encoder (model loaded once)


def encoder_loads() -> int:
    """How many encoders this process has built for embedding shards."""
    return len(_ENCODERS)


@dataclass
class EmbedStage:
    """Picklable: what a worker needs to embed batches (an encoder name, or an encoder
    object whose pickled form holds no loaded model)."""

    name = "embed"
    encoder: Any  # a registry name (str) or an Encoder object
    model: str  # the encoder's `name`, the cache key's model part
    torch_threads: int | None = None  # set in each worker process (spawned ones start at all cores)
    home_pid: int = field(default_factory=os.getpid)

    def item_key(self, item: dict) -> str:
        return hashlib.sha256("\n".join(item["hashes"]).encode()).hexdigest()[:16]

    def item_size(self, item: dict) -> int:
        return len(item["hashes"])

    def process(self, item: dict) -> pa.Table:
        enc = self._encoder()
        texts = list(item["texts"])
        try:
            vecs: list[np.ndarray | None] = list(self._encode(enc, texts))
            errors: list[str | None] = [None] * len(texts)
        except Exception:  # noqa: BLE001 - isolate the texts that fail, as data
            vecs, errors = [], []
            for t in texts:
                try:
                    vecs.append(self._encode(enc, [t])[0])
                    errors.append(None)
                except Exception as exc:  # noqa: BLE001
                    vecs.append(None)
                    errors.append(f"{type(exc).__name__}: {exc}")
        return self._table(item["hashes"], vecs, errors)

    def on_error(self, item: dict, message: str) -> pa.Table:
        n = len(item["hashes"])
        return self._table(item["hashes"], [None] * n, [message] * n)

    # -- helpers ---------------------------------------------------------------------------
    def _encode(self, enc: Encoder, texts: list[str]) -> np.ndarray:
        vecs = np.asarray(enc.encode(texts), dtype=np.float32)
        if vecs.ndim != 2 or vecs.shape[0] != len(texts):
            raise ValueError(f"encoder returned shape {vecs.shape} for {len(texts)} texts")
        return vecs

    def _table(self, hashes, vecs, errors) -> pa.Table:
        n = len(hashes)
        return pa.table(
            {
                "text_hash": pa.array(hashes, pa.string()),
                "model": pa.array([self.model] * n, pa.string()),
                "vector": _vectors(vecs),
                "error": pa.array(errors, pa.string()),
                "worker_pid": pa.array([os.getpid()] * n, pa.int64()),
                "encoder_loads": pa.array([encoder_loads()] * n, pa.int64()),
            },
            schema=SHARD_SCHEMA,
        )

    def _encoder(self) -> Encoder:
        if not isinstance(self.encoder, str) and os.getpid() == self.home_pid:
            return self.encoder  # the caller's own object, in the caller's process
        key = self.encoder if isinstance(self.encoder, str) else f"object:{self.model}"
        if key not in _ENCODERS:
            enc = get_encoder(self.encoder) if isinstance(self.encoder, str) else self.encoder
            if self.torch_threads and hasattr(enc, "set_threads"):
                enc.set_threads(self.torch_threads)
            _ENCODERS[key] = enc
        return _ENCODERS[key]


def _vectors(vecs: list[np.ndarray | None]) -> pa.Array:
    """Rows of a list<float32> column; None -> null (a text that failed)."""
    kind = pa.list_(pa.float32())
    valid = [v for v in vecs if v is not None]
    if not valid:
        return pa.nulls(len(vecs), kind)
    dim = len(valid[0])
    flat = np.zeros((len(vecs), dim), dtype=np.float32)
    for i, v in enumerate(vecs):
        if v is not None:
            flat[i] = v
    offsets = pa.array(np.arange(len(vecs) + 1, dtype=np.int32) * dim)
    mask = pa.array([v is None for v in vecs])
    return pa.ListArray.from_arrays(offsets, pa.array(flat.reshape(-1)), mask=mask).cast(kind)
