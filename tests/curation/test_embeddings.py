"""embed_texts: order, dedup, the workspace cache (a rerun embeds nothing), encoders."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from tvgcurate.curation.embeddings import HashingEncoder, embed_texts, get_encoder, vectors_of
from tvgcurate.errors import TvgError
from tvgcurate.workspace import Workspace


class Counting(HashingEncoder):
    """Hashing encoder that records what it was asked to embed."""

    def __init__(self):
        super().__init__()
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen.extend(texts)
        return super().encode(texts)


@pytest.fixture
def ws(tmp_path):
    return Workspace(tmp_path / "ws", create=True)


def test_rows_follow_input_order_and_duplicates_embed_once(ws):
    enc = Counting()
    texts = ["a dog runs.", "person opens a door.", "a dog runs.", "A man cooks."]
    out = embed_texts(ws, texts, encoder=enc, progress=False)
    assert out.shape == (4, 384) and out.dtype == np.float32
    assert sorted(enc.seen) == sorted(set(texts))
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_allclose(out, HashingEncoder().encode(texts), atol=1e-7)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)


def test_rerun_embeds_nothing_and_writes_no_version(ws):
    texts = [f"query number {i}" for i in range(50)]
    first = embed_texts(ws, texts, encoder=Counting(), progress=False)
    versions = len(ws.versions("embeddings"))
    enc = Counting()
    again = embed_texts(ws, list(reversed(texts)), encoder=enc, progress=False)
    assert enc.seen == []
    assert len(ws.versions("embeddings")) == versions == 1
    np.testing.assert_array_equal(again, first[::-1])


def test_only_new_texts_are_embedded_and_cache_is_keyed_by_sha256_and_model(ws):
    embed_texts(ws, ["old one", "old two"], encoder=Counting(), progress=False)
    enc = Counting()
    embed_texts(ws, ["old one", "brand new"], encoder=enc, progress=False)
    assert enc.seen == ["brand new"]
    table = ws.read("embeddings")
    assert set(table.column("text_hash").to_pylist()) == {
        hashlib.sha256(t.encode()).hexdigest() for t in ("old one", "old two", "brand new")
    }
    assert set(table.column("model").to_pylist()) == {enc.name}
    assert vectors_of(table).shape == (3, 384)


def test_a_different_model_does_not_reuse_vectors(ws):
    embed_texts(ws, ["same text"], encoder=HashingEncoder(384), progress=False)
    other = HashingEncoder(16)
    out = embed_texts(ws, ["same text"], encoder=other, progress=False)
    assert out.shape == (1, 16)
    assert ws.read("embeddings").num_rows == 2


def test_unknown_encoder_names_the_choices():
    with pytest.raises(TvgError, match="hashing"):
        get_encoder("no-such-model")


@pytest.mark.slow
def test_real_model_is_semantic_and_cached(ws, minilm):
    texts = ["a person opens the door.", "person opening a door.", "a dog swims in a lake."]
    out = embed_texts(ws, texts, encoder=minilm, progress=False)
    assert out.shape == (3, 384)
    assert out[0] @ out[1] > 0.8 > out[0] @ out[2]
    cached = embed_texts(ws, texts, encoder=minilm, progress=False)
    np.testing.assert_array_equal(cached, out)


class Crashing(Counting):
    """Fails on its third chunk, as a killed run would stop mid-way."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        if self.calls == 3:
            raise KeyboardInterrupt("killed")
        return super().encode(texts)


def test_a_crashed_run_keeps_finished_chunks(ws):
    texts = [f"sentence {i:03d} about a dog" for i in range(50)]
    with pytest.raises(KeyboardInterrupt):
        embed_texts(ws, texts, encoder=Crashing(), progress=False, chunk=10)
    assert ws.versions("embeddings") == []  # nothing committed
    enc = Counting()
    out = embed_texts(ws, texts, encoder=enc, progress=False, chunk=10)
    assert len(enc.seen) == 30  # the 2 finished chunks of 10 were not embedded again
    np.testing.assert_allclose(out, HashingEncoder().encode(texts), atol=1e-7)
    assert ws.read("embeddings").num_rows == 50
    assert not list(ws.scratch("embeddings").rglob("part-*.parquet"))


class Slow(Counting):
    """Counting encoder that takes its time, so two runs overlap."""

    def encode(self, texts):
        import time

        time.sleep(0.3)
        return super().encode(texts)


def test_two_runs_at_once_embed_each_text_once_and_both_succeed(tmp_path):
    # the CI failure: the second run read shard files the first had committed and deleted
    import threading

    Workspace(tmp_path / "ws", create=True)
    texts = [f"query number {i}" for i in range(12)]
    encoders, outs, errors = [Slow(), Slow()], [None, None], []

    def go(k):
        try:  # one Workspace object each, as two processes would have
            ws_k = Workspace(tmp_path / "ws")
            outs[k] = embed_texts(ws_k, texts, encoder=encoders[k], progress=False, chunk=3)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    np.testing.assert_array_equal(outs[0], outs[1])
    # one run embedded everything, the other found it cached
    assert sorted(len(e.seen) for e in encoders) == [0, len(texts)]
    table = Workspace(tmp_path / "ws").read("embeddings")
    assert sorted(table.column("text_hash").to_pylist()) == sorted(
        hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts
    )
