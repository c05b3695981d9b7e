"""Executors: local, process and ray give identical tables; a killed run resumes."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest

from tests.helpers import Square, clip_set, make_workspace
from tvgcurate import executors
from tvgcurate.curation.keyframes.run import KeyframesConfig, run_keyframes
from tvgcurate.curation.keyframes.stage import KeyframesStage


@pytest.fixture(scope="session")
def local_ray(tmp_path_factory):
    """A local Ray for the session (2 CPUs, no dashboard, session files under tmp)."""
    ray = pytest.importorskip("ray")
    os.environ["RAY_TMPDIR"] = str(tmp_path_factory.mktemp("ray"))
    # Ray workers must import the toy stage from tests.helpers (tvgcurate itself is installed).
    here = str(Path(__file__).resolve().parents[2])
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    executors.start_local_ray(2)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("media")
    return root, clip_set(root)


def _run(stage, ex, scratch, n=10, size=3):
    shards = executors.shard_items([{"x": i} for i in range(n)], size)
    with ex:
        report = executors.run_shards(stage, shards, scratch, ex, progress=False)
    return report, pa.concat_tables(executors.iter_shard_tables(report.files))


@pytest.mark.slow
@pytest.mark.server
@pytest.mark.parametrize("name", executors.EXECUTORS.names())
def test_generic_runner_on_every_executor(name, tmp_path, request):
    if name == "ray":
        request.getfixturevalue("local_ray")
    report, table = _run(Square(), executors.get_executor(name, workers=2), tmp_path)
    assert table.column("x").to_pylist() == list(range(10))
    assert table.column("error").to_pylist()[3] == "ValueError: three is bad"
    assert report.computed == 4 and report.skipped == 0
    report2, table2 = _run(Square(), executors.get_executor(name, workers=2), tmp_path)
    assert report2.computed == 0 and report2.skipped == 4 and table2.equals(table)


def _keyframes(ws, name, **kw):
    return run_keyframes(
        KeyframesConfig(workspace=ws.root, executor=name, workers=2, progress=False, **kw)
    )


@pytest.mark.slow
@pytest.mark.server
def test_three_executors_write_identical_keyframes(media, tmp_path, local_ray):
    root, clips = media
    tables = {}
    for name in ("local", "process", "ray"):
        ws = make_workspace(tmp_path / name, root, clips)
        res = _keyframes(ws, name)
        assert res.computed_shards == len(clips) and res.failed_videos == 1
        tables[name] = ws.read("keyframes")
    assert tables["local"].num_rows > 30
    assert tables["process"].equals(tables["local"])
    assert tables["ray"].equals(tables["local"])


class Interrupt(BaseException):
    """Stands in for a kill: not an Exception, so nothing records it as a per-item error."""


def test_killed_run_resumes_and_matches_an_uninterrupted_run(media, tmp_path, monkeypatch):
    root, clips = media
    clean = make_workspace(tmp_path / "clean", root, clips)
    _keyframes(clean, "local")

    ws = make_workspace(tmp_path / "ws", root, clips)
    calls: list[str] = []
    original = KeyframesStage.process

    def dies_on_v3(self, item):
        calls.append(item["video_id"])
        if item["video_id"] == "v3":
            raise Interrupt
        return original(self, item)

    monkeypatch.setattr(KeyframesStage, "process", dies_on_v3)
    with pytest.raises(Interrupt):
        _keyframes(ws, "local")
    assert not ws.has("keyframes")  # nothing half-written became current
    scratch = next((ws.root / "work" / "keyframes").iterdir())
    done = sorted(scratch.glob("*.done"))
    assert len(done) == 3  # v0bad, v1, v2 finished before the kill (sorted by video_id)
    mtimes = {p: p.stat().st_mtime_ns for p in done}

    calls.clear()

    def counted(self, item):
        calls.append(item["video_id"])
        return original(self, item)

    monkeypatch.setattr(KeyframesStage, "process", counted)
    res = _keyframes(ws, "local")
    assert calls == ["v3", "v4"]  # finished videos were skipped
    assert res.skipped_shards == 3 and res.computed_shards == 2
    assert all(p.stat().st_mtime_ns == m for p, m in mtimes.items())
    assert ws.read("keyframes").equals(clean.read("keyframes"))


def test_options_change_the_run_key_so_nothing_stale_is_reused(media, tmp_path):
    root, clips = media
    ws = make_workspace(tmp_path / "ws", root, {"v1": clips["v1"]})
    a = _keyframes(ws, "local")
    b = _keyframes(ws, "local", policy="uniform")
    assert a.scratch != b.scratch and b.computed_shards == 1
    c = _keyframes(ws, "local")
    assert c.skipped_shards == 1 and c.version == 3


def test_crashed_shard_becomes_error_rows_and_is_retried(tmp_path):
    class Boom(executors.LocalExecutor):
        def imap_unordered(self, fn, calls):
            for i, _args in enumerate(calls):
                yield i, RuntimeError("worker died")

    report, table = _run(Square(), Boom(), tmp_path, n=4, size=2)
    assert report.failed and all(
        e.startswith("shard failed") for e in table.column("error").to_pylist()
    )
    assert not list(tmp_path.glob("*.done"))
    report2, table2 = _run(Square(), executors.get_executor("local"), tmp_path, n=4, size=2)
    assert report2.computed == 2 and table2.column("y").to_pylist()[:3] == [0, 1, 4]


@pytest.mark.slow
@pytest.mark.server
def test_ray_workers_build_the_encoder_once_each(local_ray, tmp_path):
    """Ray reuses its worker processes for tasks, so the stage's module cache holds the
    encoder once per worker, as an actor would: not once per shard."""
    from tvgcurate.curation.embeddings import HashingEncoder
    from tvgcurate.curation.embeddings_stage import EmbedStage

    stage = EmbedStage(encoder="hashing", model=HashingEncoder().name)
    items = [{"hashes": [f"h{i}"], "texts": [f"query {i}"]} for i in range(12)]
    with executors.get_executor("ray", workers=2) as ex:
        report = executors.run_shards(stage, [[it] for it in items], tmp_path, ex, progress=False)
    tables = list(executors.iter_shard_tables(report.files))
    pids = {t["worker_pid"][0].as_py() for t in tables}
    assert report.computed == 12 and 1 <= len(pids) <= 2 and os.getpid() not in pids
    loads = {}
    for t in tables:  # each worker's count only grows by shards, never by reloads
        loads.setdefault(t["worker_pid"][0].as_py(), set()).add(t["encoder_loads"][0].as_py())
    assert all(v == {1} for v in loads.values()), loads
