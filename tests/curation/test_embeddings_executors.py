"""embed_texts through the executors: local and process give the same vectors in the same
order, the encoder is built once per worker, a killed run resumes from its finished shards,
and failing texts or crashed workers are reported and retried, never dropped."""

from __future__ import annotations

import os

import numpy as np
import pyarrow.compute as pc
import pytest

from tests.helpers import sample_rows, samples_workspace
from tvgcurate import executors
from tvgcurate.curation.embeddings import (
    EmbeddingError,
    EmbeddingRunConfig,
    HashingEncoder,
    embed,
    embed_texts,
)
from tvgcurate.curation.embeddings_stage import EmbedStage
from tvgcurate.errors import TvgError
from tvgcurate.workspace import Workspace

TEXTS = [f"person {i % 7} opens door number {i} in the kitchen" for i in range(120)]
TEXTS += TEXTS[:10]  # duplicates embed once and come back in place


class Interrupt(BaseException):
    """Stands in for a kill: not an Exception, so nothing records it as a per-item error."""


class DiesOnThirdCall(HashingEncoder):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        if self.calls == 3:
            raise Interrupt
        return super().encode(texts)


class FailsOn(HashingEncoder):
    """Raises on any batch holding a text with `word` (picklable: process workers get it)."""

    def __init__(self, word: str):
        super().__init__()
        self.word = word

    def encode(self, texts):
        if any(self.word in t for t in texts):
            raise ValueError(f"cannot embed {self.word}")
        return super().encode(texts)


class ExitsOn(FailsOn):
    """Kills the worker process that sees `word` (a crashed worker, not an exception)."""

    def encode(self, texts):
        if any(self.word in t for t in texts):
            os._exit(3)
        return super().encode(texts)


@pytest.fixture
def ws(tmp_path):
    return Workspace(tmp_path / "ws", create=True)


def _run(executor: str, shard_size: int = 16) -> EmbeddingRunConfig:
    return EmbeddingRunConfig(executor=executor, workers=2, shard_size=shard_size)


def test_local_and_process_give_the_same_vectors_in_the_same_order(tmp_path):
    local_ws = Workspace(tmp_path / "local", create=True)
    proc_ws = Workspace(tmp_path / "process", create=True)
    local = embed(local_ws, TEXTS, "hashing", progress=False, run=_run("local"))
    proc = embed(proc_ws, TEXTS, "hashing", progress=False, run=_run("process"))
    assert local.computed == proc.computed == 8 and proc.skipped == 0  # 120 distinct / 16
    np.testing.assert_allclose(proc.vectors, local.vectors, atol=1e-7)
    np.testing.assert_allclose(local.vectors, HashingEncoder().encode(TEXTS), atol=1e-7)
    # the same cache rows either way, and no shard left behind
    a, b = local_ws.read("embeddings"), proc_ws.read("embeddings")
    assert a.sort_by("text_hash").equals(b.sort_by("text_hash")) and a.num_rows == 120
    assert not list(proc.scratch.iterdir())
    # a rerun reads everything from the table
    again = embed(proc_ws, TEXTS[::-1], "hashing", progress=False, run=_run("process"))
    assert again.computed == 0 and again.embedded == 0
    np.testing.assert_array_equal(again.vectors, proc.vectors[::-1])


def test_process_workers_build_the_encoder_once_each(tmp_path):
    stage = EmbedStage(encoder="hashing", model=HashingEncoder().name)
    items = [
        {"hashes": [f"h{i}", f"h{i}b"], "texts": [t, t + "!"]} for i, t in enumerate(TEXTS[:8])
    ]
    with executors.get_executor("process", workers=2) as ex:
        report = executors.run_shards(stage, [[it] for it in items], tmp_path, ex, progress=False)
    tables = list(executors.iter_shard_tables(report.files))
    pids = {t["worker_pid"][0].as_py() for t in tables}
    assert report.computed == 8 and 1 <= len(pids) <= 2 and os.getpid() not in pids
    assert {t["encoder_loads"][0].as_py() for t in tables} == {1}  # not once per shard


def test_a_killed_run_resumes_from_its_finished_shards_and_keeps_the_cache(ws):
    old = embed_texts(ws, TEXTS[:20], "hashing", progress=False)  # the cache before the crash
    assert len(ws.versions("embeddings")) == 1
    with pytest.raises(Interrupt):
        embed(ws, TEXTS, DiesOnThirdCall(), progress=False, run=_run("local"))
    assert len(ws.versions("embeddings")) == 1 and ws.read("embeddings").num_rows == 20
    # 100 new texts in 7 shards; 2 finished before the kill. The rerun, on another
    # executor, computes only the other 5.
    res = embed(ws, TEXTS, "hashing", progress=False, run=_run("process"))
    assert (res.skipped, res.computed, res.embedded) == (2, 5, 100)
    np.testing.assert_allclose(res.vectors, HashingEncoder().encode(TEXTS), atol=1e-7)
    np.testing.assert_array_equal(res.vectors[:20], old)
    assert ws.read("embeddings").num_rows == 120 and len(ws.versions("embeddings")) == 2


def test_a_text_the_encoder_fails_on_is_reported_kept_and_retried(ws):
    boom = "a person BOOM opens the door number 999 in the kitchen at night"  # longest: shard 0
    texts = [*TEXTS[:40], boom]
    with pytest.raises(EmbeddingError, match="1 of 41 texts failed") as info:
        embed(ws, texts, FailsOn("BOOM"), progress=False, run=_run("local", 8))
    err = info.value
    assert len(err.failed) == 1 and f"{boom!r}: ValueError: cannot embed BOOM" in err.failed[0]
    assert ws.versions("embeddings") == []  # nothing committed
    # the failed shard is kept as data: its file holds the error row (and vectors for the
    # other texts of its batch), and it carries no marker
    files = sorted(err.scratch.glob("shard-*.parquet"))
    bad = [f for f in files if not f.with_suffix(".done").exists()]
    assert len(files) == 6 and len(bad) == 1
    table = next(executors.iter_shard_tables(bad))
    errors = table.filter(pc.is_valid(table["error"]))
    assert errors.num_rows == 1 and table.num_rows == 8
    assert pc.sum(pc.is_valid(table["vector"])).as_py() == 7
    res = embed(ws, texts, "hashing", progress=False, run=_run("local", 8))
    assert (res.skipped, res.computed) == (5, 1)
    np.testing.assert_allclose(res.vectors, HashingEncoder().encode(texts), atol=1e-7)


def test_a_crashed_process_worker_is_reported_and_its_shards_retried(ws):
    texts = [*TEXTS[:40], "CRASH now"]
    with pytest.raises(EmbeddingError, match="shard failed") as info:
        embed(ws, texts, ExitsOn("CRASH"), progress=False, run=_run("process", 8))
    failed = len(info.value.failed)
    assert failed >= 1 and ws.versions("embeddings") == []
    res = embed(ws, texts, "hashing", progress=False, run=_run("process", 8))
    assert res.computed == failed and res.skipped == 6 - failed
    np.testing.assert_allclose(res.vectors, HashingEncoder().encode(texts), atol=1e-7)


def test_build_irrelevant_through_the_process_executor_equals_local(tmp_path):
    from tests.curation.irrelevant.test_irrelevant_build import synthetic_items
    from tvgcurate.curation.irrelevant import IrrelevantConfig, build_irrelevant

    rows = sample_rows(synthetic_items(n_videos=30))
    out = {}
    for name in ("local", "process"):
        root = samples_workspace(tmp_path / name, rows)
        cfg = IrrelevantConfig(
            workspace=root, encoder="hashing", progress=False, embedding=_run(name, 20)
        )
        build_irrelevant(cfg)
        out[name] = Workspace(root).read("samples")
    assert out["process"].equals(out["local"])


def test_the_run_config_is_validated():
    with pytest.raises(TvgError, match="--shard-size must be >= 1"):
        EmbeddingRunConfig(shard_size=0)
    with pytest.raises(TvgError, match="--executor nope: unknown"):
        EmbeddingRunConfig(executor="nope")
    with pytest.raises(TvgError, match="--workers must be >= 1"):
        EmbeddingRunConfig(workers=0)


@pytest.mark.parametrize("command", ["build-irrelevant", "audit"])
def test_the_cli_options_reach_the_config(command, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import tvgcurate.curation.audit as audit_mod
    import tvgcurate.curation.irrelevant as irr_mod
    from tvgcurate.cli import app

    seen = {}

    def capture(cfg, *a, **kw):
        seen["cfg"] = cfg
        raise TvgError("stop here")

    monkeypatch.setattr(irr_mod, "build_irrelevant", capture)
    monkeypatch.setattr(audit_mod, "run_audit", capture)
    args = [command, "-w", str(tmp_path), "--executor", "process", "--workers", "2"]
    r = CliRunner().invoke(app, [*args, "--shard-size", "7", "--ray-address", "auto"])
    assert r.exit_code == 2 and "stop here" in r.stderr, r.output
    assert seen["cfg"].embedding == EmbeddingRunConfig("process", 2, 7, "auto")


@pytest.mark.slow
def test_minilm_through_the_process_executor_equals_local(tmp_path, minilm):
    # `minilm` loads the model in this process once per session (the local path reuses it);
    # one process worker loads its own copy.
    texts = [
        "a person opens the door.",
        "person opening a door.",
        "a dog swims in a lake.",
        "a man cooks pasta in the kitchen.",
    ] * 6
    texts = [f"{t} ({i})" for i, t in enumerate(texts)]
    out = {}
    for name in ("local", "process"):
        ws = Workspace(tmp_path / name, create=True)
        run = EmbeddingRunConfig(executor=name, workers=1, shard_size=8)
        res = embed(ws, texts, "all-MiniLM-L6-v2", progress=False, run=run)
        assert res.computed == 3
        out[name] = res.vectors
    assert out["local"].shape == (24, 384)
    np.testing.assert_allclose(out["process"], out["local"], atol=1e-5)
    assert out["local"][0] @ out["local"][1] > 0.8 > out["local"][0] @ out["local"][2]
