"""Sentence embeddings of query texts, cached in the workspace `embeddings` table.

`embed_texts(ws, texts)` is the one public entry: it returns one L2-normalised float32
row per input text (in input order), embedding only the texts whose
(sha256(text), model) key is not cached yet, and then writes the cache back as a new
version of the `embeddings` table. A rerun over the same texts embeds nothing.

The texts to embed run in shards through an executor (`EmbeddingRunConfig`: `local`,
`process`, `ray`; the stage is `embeddings_stage.EmbedStage`), with completion markers in
the workspace scratch, so a run killed half-way resumes from its finished shards.

Encoders are found through a registry (`ENCODERS`, in `embeddings_encoders`, re-exported
here): ``all-MiniLM-L6-v2`` (default, offline, 384 dimensions) and ``hashing`` (a
bag-of-words stand-in for tests and smoke runs).

Example::

    from tvgcurate.curation.embeddings import EmbeddingRunConfig, embed_texts
    vecs = embed_texts(ws, ["person opens the door.", "A man cooks."])  # (2, 384)
    vecs = embed_texts(ws, texts, run=EmbeddingRunConfig(executor="process", workers=2))
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tvgcurate import executors
from tvgcurate.curation.embeddings_encoders import (
    ENCODERS,
    Encoder,
    HashingEncoder,
    MiniLMEncoder,
    get_encoder,
    quiet_model_loading,
)
from tvgcurate.curation.embeddings_stage import EmbedStage
from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import require_positive, setting
from tvgcurate.registry import UnknownChoiceError
from tvgcurate.schemas import EMBEDDINGS
from tvgcurate.schemas.constants import DEFAULT_ENCODER
from tvgcurate.workspace import Workspace, file_lock

__all__ = [
    "ENCODERS",
    "TABLE",
    "EmbeddingError",
    "EmbeddingResult",
    "EmbeddingRunConfig",
    "Encoder",
    "HashingEncoder",
    "MiniLMEncoder",
    "embed",
    "embed_texts",
    "get_encoder",
    "quiet_model_loading",
    "text_hash",
    "vectors_of",
]

TABLE = "embeddings"


def text_hash(text: str) -> str:
    """The cache key's text part: sha256 of the exact UTF-8 text, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def vectors_of(table: pa.Table) -> np.ndarray:
    """The `vector` column of an embeddings table as an (n, dim) float32 array."""
    if table.num_rows == 0:
        return np.zeros((0, 0), dtype=np.float32)
    col = table.column("vector").combine_chunks()
    lengths = pc.list_value_length(col).to_numpy(zero_copy_only=False)
    if lengths.min() != lengths.max():
        raise TvgError("embeddings table holds vectors of different lengths for one model")
    flat = col.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return flat.reshape(len(lengths), int(lengths[0]))


@dataclass
class EmbeddingRunConfig:
    """How the texts that are not cached yet get embedded: in shards, through an executor
    (the same `local`, `process` and `ray` the keyframes and score stages use)."""

    executor: str = setting(
        "local", "How embedding shards run: in this process, a process pool or Ray."
    )
    workers: int | None = setting(
        None, "Embedding worker processes / Ray CPUs (default: CPUs, at most 8)."
    )
    shard_size: int = setting(1024, "Texts per embedding shard (one encode call; the resume unit).")
    ray_address: str | None = setting(None, "Ray cluster address for the embedding shards.")

    def __post_init__(self) -> None:
        try:
            executors.EXECUTORS.get(self.executor)
        except UnknownChoiceError as exc:
            raise TvgError(f"--executor {self.executor}: {exc}") from None
        require_positive(self, "workers (e.g. 2)", "shard_size (e.g. 1024)")


@dataclass
class EmbeddingResult:
    """What `embed` did: `vectors` (row i is texts[i]) and the shards it ran or reused."""

    vectors: np.ndarray
    embedded: int = 0  # distinct texts embedded by this run (not from the table)
    computed: int = 0  # shards computed by this run
    skipped: int = 0  # shards a crashed earlier run had finished
    scratch: Path | None = None


class EmbeddingError(TvgError):
    """Some texts could not be embedded. Nothing was committed; the finished shards are
    kept (marked) in `scratch`, the failed ones hold error rows and are retried on a rerun."""

    def __init__(self, message: str, failed: list[str], scratch: Path):
        super().__init__(message)
        self.failed, self.scratch = failed, scratch


def embed_texts(
    ws: Workspace, texts: Sequence[str], encoder: Encoder | str | None = None, **options: Any
) -> np.ndarray:
    """Embeddings of `texts` (row i is texts[i]), L2-normalised float32.

    Cached texts are read from the workspace `embeddings` table; the others are embedded
    in shards through `run`'s executor (`chunk`: texts per shard, overriding
    `run.shard_size`) and appended to the table as one new version. Duplicated texts are
    embedded once. `options` are `embed`'s (progress, chunk, run); see `embed` for the
    details."""
    return embed(ws, texts, encoder, **options).vectors


def embed(
    ws: Workspace,
    texts: Sequence[str],
    encoder: Encoder | str | None = None,
    progress: bool = True,
    chunk: int | None = None,
    run: EmbeddingRunConfig | None = None,
) -> EmbeddingResult:
    """`embed_texts`, returning what ran as well.

    - `encoder`: an Encoder, or a registry name (default: DEFAULT_ENCODER). With the
      `process` and `ray` executors a name is built once in each worker; an object is
      pickled to the workers (MiniLMEncoder pickles without its loaded model);
    - the distinct texts not cached yet are sorted by length (longest first, ties by hash,
      so batches pad little and the shards depend only on which texts are missing) and cut
      into shards of `shard_size`; a finished shard is written to the workspace scratch
      (``WS/work/embeddings/<key>/shard-*.parquet``) with a ``.done`` marker, so a rerun
      after a crash embeds only the shards that were not finished;
    - a text the encoder fails on is an error row of its shard: nothing is committed, the
      shard is left unmarked (retried next time) and `EmbeddingError` names the failures;
    - on success the new vectors are appended to the `embeddings` table as one version and
      this run's shard files are deleted (the table now holds them).
    """
    run = run or EmbeddingRunConfig()
    shard_size = int(chunk) if chunk is not None else run.shard_size
    spec: Encoder | str = encoder if encoder is not None else DEFAULT_ENCODER
    enc = get_encoder(spec) if isinstance(spec, str) else spec  # models load lazily
    hashes = [text_hash(t) for t in texts]
    unique: dict[str, str] = {}
    for h, t in zip(hashes, texts, strict=True):
        unique.setdefault(h, t)

    scratch = ws.scratch("embeddings", executors.run_key("embeddings", enc.name))
    # two runs with one encoder share the scratch: the second waits, then finds the first's
    # vectors in the cache (rather than reading shard files the first has committed and deleted)
    with file_lock(scratch.with_name(scratch.name + ".lock")):  # beside it: scratch empties
        cached = ws.read(TABLE)
        if cached.num_rows:
            cached = cached.filter(pc.equal(cached.column("model"), enc.name))
        known = cached.column("text_hash").to_pylist() if cached.num_rows else []
        cached_vecs = vectors_of(cached)
        index = {h: i for i, h in enumerate(known)}

        missing = sorted((h for h in unique if h not in index), key=lambda h: (-len(unique[h]), h))
        result = EmbeddingResult(np.zeros((0, 0), dtype=np.float32))
        new_vecs = np.zeros((0, 0), dtype=np.float32)
        if missing:
            new_vecs = _embed_missing(
                ws, missing, unique, spec, enc, run, shard_size, progress, result, scratch
            )
            if cached_vecs.size and new_vecs.shape[1] != cached_vecs.shape[1]:
                raise TvgError(
                    f"encoder {enc.name} returned {new_vecs.shape[1]}-d vectors but the cache holds "
                    f"{cached_vecs.shape[1]}-d ones under the same model name"
                )

    dim = new_vecs.shape[1] if new_vecs.size else cached_vecs.shape[1] if cached_vecs.size else 0
    out = np.empty((len(texts), dim), dtype=np.float32)
    pos_new = {h: i for i, h in enumerate(missing)}
    for i, h in enumerate(hashes):
        j = pos_new.get(h)
        out[i] = new_vecs[j] if j is not None else cached_vecs[index[h]]
    result.vectors = out
    return result


def _embed_missing(ws, missing, unique, spec, enc, run, shard_size, progress, result, scratch):
    """Embed the `missing` hashes through the executor, commit them, return their vectors
    (row i is missing[i])."""
    items = [
        {"hashes": hs, "texts": [unique[h] for h in hs]}
        for hs in (missing[i : i + shard_size] for i in range(0, len(missing), shard_size))
    ]
    local = run.executor == "local"
    threads = None
    if not local:  # spawned workers would each start one torch thread per core
        n = run.workers or max(1, min(os.cpu_count() or 1, 8))
        threads = max(1, (os.cpu_count() or 1) // n)
    stage = EmbedStage(encoder=spec if isinstance(spec, str) else enc, model=enc.name,
                       torch_threads=threads)  # fmt: skip
    shards = [[it] for it in items]
    with executors.get_executor(run.executor, run.workers, run.ray_address) as ex:
        report = executors.run_shards(
            stage, shards, scratch, ex, progress=progress, description=f"embedding ({ex.name})"
        )
    result.computed, result.skipped, result.scratch = report.computed, report.skipped, scratch

    tables = list(executors.iter_shard_tables(report.files))
    failed = list(report.failed)
    for f, t in zip(report.files, tables, strict=True):
        errors = t.filter(pc.is_valid(t.column("error")))
        if errors.num_rows:
            f.with_suffix(".done").unlink(missing_ok=True)  # retried by the next run
            if not any(x.startswith(f.stem) for x in failed):
                first = errors.slice(0, 1).to_pylist()[0]
                failed.append(
                    f"{f.stem}: {errors.num_rows} text(s) failed, e.g. "
                    f"{unique[first['text_hash']]!r}: {first['error']}"
                )
    if failed:
        bad = sum(pc.sum(pc.is_valid(t.column("error"))).as_py() or 0 for t in tables)
        raise EmbeddingError(
            f"{bad} of {len(missing)} texts failed to embed with {enc.name} in {len(failed)} "
            f"shard(s); nothing was committed, finished shards are kept in {scratch} and a "
            f"rerun embeds only the failed ones. {failed[0]}",
            failed,
            scratch,
        )

    new = pa.concat_tables([t.select(EMBEDDINGS.names).cast(EMBEDDINGS) for t in tables])
    vecs = vectors_of(new)
    if new.column("text_hash").to_pylist() != missing:  # shards are in order; a guard only
        raise TvgError(f"embedding shards in {scratch} do not match the texts; delete it")
    _append_cache(ws, new, enc.name)
    for f in report.files:
        f.with_suffix(".done").unlink(missing_ok=True)
        f.unlink(missing_ok=True)
    result.embedded = len(missing)
    return vecs


def _to_table(hashes: list[str], model: str, vecs: np.ndarray) -> pa.Table:
    flat = pa.array(vecs.reshape(-1), type=pa.float32())
    offsets = pa.array(np.arange(0, vecs.size + 1, vecs.shape[1], dtype=np.int32))
    return pa.Table.from_arrays(
        [
            pa.array(hashes, type=pa.string()),
            pa.array([model] * len(hashes), type=pa.string()),
            pa.ListArray.from_arrays(offsets, flat),
        ],
        schema=EMBEDDINGS,
    )


def _append_cache(ws: Workspace, new: pa.Table, model: str) -> None:
    old = ws.read(TABLE)
    table = pa.concat_tables([old.select(EMBEDDINGS.names).cast(EMBEDDINGS), new])

    def replay(current: pa.Table) -> pa.Table:  # another run cached embeddings meanwhile
        cur = current.select(EMBEDDINGS.names).cast(EMBEDDINGS)
        have = pc.is_in(
            new.column("text_hash"), cur.filter(pc.equal(cur["model"], model))["text_hash"]
        )
        return pa.concat_tables([cur, new.filter(pc.invert(have))])

    ws.write(TABLE, table, note=f"+{new.num_rows} embeddings ({model})", rebase=replay)
