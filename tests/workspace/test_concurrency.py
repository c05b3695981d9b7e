"""Optimistic concurrency (docs/dev/architecture.md §3): a commit whose inputs moved is refused or,
for a replayable change, rebased; lineage records the version actually read."""

from __future__ import annotations

import multiprocessing as mp
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tvgcurate.errors import WorkspaceError
from tvgcurate.workspace import ConflictError, Workspace


def _rows(tag: str, n: int) -> pa.Table:
    return pa.table({"audit_id": [f"{tag}{i}" for i in range(n)], "sample_id": ["s"] * n,
                     "check": ["c"] * n})  # fmt: skip


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in (root / "tables").rglob("*"))


def test_moved_input_refuses_the_commit_and_writes_nothing(tmp_path):
    ws = Workspace(tmp_path, create=True)
    ws.write("notes", _rows("a", 1), command="first")
    mine = Workspace(tmp_path)
    base = mine.read("notes")
    Workspace(tmp_path).write("notes", _rows("b", 2), command="tvgcurate other")
    manifest, files = (tmp_path / "manifest.json").read_bytes(), _files(tmp_path)
    with pytest.raises(ConflictError) as err:
        mine.write("notes", pa.concat_tables([base, _rows("c", 1)]), command="mine")
    msg = str(err.value)
    assert "\n" not in msg and "'notes'" in msg and "v1 to v2" in msg
    assert "tvgcurate other" in msg and "nothing was written" in msg
    assert isinstance(err.value, WorkspaceError)  # the CLI's exit 2
    assert (tmp_path / "manifest.json").read_bytes() == manifest
    assert _files(tmp_path) == files  # no stray staged file


def test_an_input_that_is_only_read_is_checked_too(tmp_path):
    ws = Workspace(tmp_path, create=True)
    ws.write("samples", pa.table({"sample_id": ["a"], "video_id": ["v"], "query": ["q"]}),
             validate=False)  # fmt: skip
    mine = Workspace(tmp_path)
    mine.read("samples")
    Workspace(tmp_path).write("samples", pa.table({"sample_id": ["b"]}), validate=False)
    with pytest.raises(ConflictError, match="'samples' moved from v1 to v2"):
        mine.write("audits", _rows("a", 1), reads=mine.inputs("samples"), validate=False)
    assert not Workspace(tmp_path).has("audits")


def test_rebase_replays_an_append_and_says_so(tmp_path, capsys):
    Workspace(tmp_path, create=True).write("notes", _rows("a", 1))
    mine = Workspace(tmp_path)
    base = mine.read("notes")
    Workspace(tmp_path).write("notes", pa.concat_tables([base, _rows("b", 2)]), command="other")
    ours = _rows("c", 1)
    tv = mine.write(
        "notes",
        pa.concat_tables([base, ours]),
        reads=mine.inputs("notes"),
        rebase=lambda cur: pa.concat_tables([cur, ours]),
    )
    ids = Workspace(tmp_path).read("notes").column("audit_id").to_pylist()
    assert ids == ["a0", "b0", "b1", "c0"]
    assert (tv.version, tv.parent, tv.reads) == (3, 2, {"notes": 2})  # the version replayed on
    assert "rebased from v1 onto v2" in tv.note
    assert "notes moved from v1 to v2" in capsys.readouterr().err


def test_parent_is_the_version_read(tmp_path):
    ws = Workspace(tmp_path, create=True)
    for i in range(3):
        ws.write("notes", _rows(str(i), 1))
    mine = Workspace(tmp_path)
    mine.read("notes", 2)  # an older version on purpose
    ws.checkout("notes", 2)
    tv = mine.write("notes", _rows("x", 1), reads=mine.inputs("notes"))
    assert (tv.parent, tv.reads) == (2, {"notes": 2})
    # a blind write (nothing read) still chains onto the current version
    assert Workspace(tmp_path).write("notes", _rows("y", 1)).parent == tv.version


def test_checkout_during_a_write_is_detected(tmp_path):
    ws = Workspace(tmp_path, create=True)
    ws.write("notes", _rows("a", 1))
    ws.write("notes", _rows("b", 2))
    mine = Workspace(tmp_path)
    mine.read("notes")  # v2
    with (
        pytest.raises(ConflictError, match=r"v2 to v1 \(by `"),
        mine.transaction(reads=mine.inputs("notes")) as tx,
    ):
        tx.write("notes", _rows("c", 3))
        Workspace(tmp_path).checkout("notes", 1)  # lands between the read and the commit
    assert Workspace(tmp_path).current("notes").version == 1
    assert [v.version for v in Workspace(tmp_path).versions("notes")] == [1, 2]


def test_own_writes_do_not_conflict_with_themselves(tmp_path):
    ws = Workspace(tmp_path, create=True)
    t = ws.read("notes")
    for i in range(3):
        t = pa.concat_tables([t, _rows(str(i), 1)]) if t.num_rows else _rows(str(i), 1)
        tv = ws.write("notes", t, reads=ws.inputs("notes"))
    assert (tv.version, tv.parent, tv.rows) == (3, 2, 3)


# -- a labels pull and an ingest at the same time -----------------------------------
class _Client:
    """The Label Studio client calls `pull` makes; `overlap` runs `meanwhile` (it is called
    after the export was read and before the commit)."""

    def __init__(self, tasks, meanwhile=None):
        self.tasks, self.meanwhile = tasks, meanwhile

    def find_project(self, title):
        return 7

    def export_tasks(self, project_id):
        return self.tasks

    def users(self):
        return {1: "a@x"}

    def overlap(self, project_id):
        if self.meanwhile:
            self.meanwhile()
        return 1


def _task(tid: int, aid: int) -> dict:
    return {
        "id": tid,
        "data": {"sample_id": f"qvhighlights:val:{tid}", "fps": 10},
        "annotations": [{"id": aid, "updated_at": f"2026-01-01T00:00:{aid:02d}",
                         "completed_by": 1, "result": []}],
    }  # fmt: skip


def test_ingest_and_another_pull_during_a_pull(tmp_path, demo_dir):
    from tests.helpers import demo_annotation_files, ingest_demo
    from tvgcurate.curation.ingest import IngestConfig, ingest
    from tvgcurate.labeling.pull import PullConfig, pull

    ws_dir = tmp_path / "ws"
    ingest_demo(demo_dir, ws_dir, videos=False)
    cfg = PullConfig(workspace=ws_dir, project="p", api_key="k")

    def meanwhile():
        files = [p for p in demo_annotation_files(demo_dir) if "charades" in str(p)]
        ingest(IngestConfig(sources=files, workspace=ws_dir))  # samples v2
        pull(cfg, _Client([_task(2, 20)]))  # labels v1 by another pull

    res = pull(cfg, _Client([_task(1, 10)], meanwhile))
    ws = Workspace(ws_dir)
    labels = ws.read("labels")
    assert sorted(labels.column("annotation_id").to_pylist()) == [10, 20]
    assert res.labels_version == 2 and ws.current("labels").parent == 1
    assert ws.current("samples").version == 2  # ingest's commit is untouched


# -- many processes appending to one workspace ----------------------------------------
def _append_worker(root: str, worker: int, commits: int, rebase: bool, out) -> None:
    conflicts = 0
    for i in range(commits):
        mine = _rows(f"w{worker}-", 1).set_column(0, "audit_id", pa.array([f"w{worker}-{i}"]))
        while True:
            ws = Workspace(root)
            base = ws.read("notes")
            try:
                ws.write(
                    "notes",
                    pa.concat_tables([base, mine]) if base.num_rows else mine,
                    command=f"worker {worker} commit {i}",
                    reads=ws.inputs("notes"),
                    rebase=(lambda cur, m=mine: pa.concat_tables([cur, m])) if rebase else None,
                )
                break
            except ConflictError:
                conflicts += 1  # refused cleanly: read again and retry
    out.put((worker, conflicts))


@pytest.mark.parametrize("rebase", [True, False], ids=["rebase", "retry"])
def test_eight_processes_twenty_commits_each_lose_nothing(tmp_path, rebase):
    Workspace(tmp_path, create=True)
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_append_worker, args=(str(tmp_path), w, 20, rebase, out))
             for w in range(8)]  # fmt: skip
    for p in procs:
        p.start()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    ws = Workspace(tmp_path)
    ids = ws.read("notes").column("audit_id").to_pylist()
    assert sorted(ids) == sorted(f"w{w}-{i}" for w in range(8) for i in range(20))
    versions = ws.versions("notes")
    assert len(versions) == 160 and ws.current("notes").version == 160
    # one linear history: each version's parent is the one before it, and it holds one row more
    assert [v.parent for v in versions] == [None] + list(range(1, 160))
    assert [v.rows for v in versions] == list(range(1, 161))
    assert len({v.command for v in versions}) == 160
    assert sorted(w for w, _ in results) == list(range(8))  # every worker finished


# -- the reproduction: two build-irrelevant strategies at once -----------------
@pytest.mark.slow
def test_two_build_irrelevant_at_once_keep_both(tmp_path, demo_dir):
    from tests.helpers import ingest_demo

    src = tmp_path / "src"
    ingest_demo(demo_dir, src, videos=False)
    ws_dir = tmp_path / "ws"
    shutil.copytree(src, ws_dir)
    exe = Path(sys.executable).with_name("tvgcurate")
    cmd = [str(exe), "build-irrelevant", "-w", str(ws_dir), "--encoder", "hashing", "--seed", "3"]
    procs = [subprocess.Popen([*cmd, "-s", s], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for s in ("cross-video", "partial")]  # fmt: skip
    outs = [p.communicate(timeout=300) for p in procs]
    codes = [p.returncode for p in procs]
    assert all(c in (0, 2) for c in codes), outs
    for p, (_o, e) in zip(procs, outs, strict=True):
        assert "Traceback" not in e, e
        if p.returncode == 2:  # refused cleanly: a rerun adds its rows
            assert "moved from" in e and "nothing was written" in e
            s = p.args[-1]
            rerun = subprocess.run([*cmd, "-s", s], capture_output=True, text=True, timeout=300)
            assert rerun.returncode == 0, rerun.stderr
    ws = Workspace(ws_dir)
    origins = pc.value_counts(ws.read("samples").column("origin")).to_pylist()
    got = {d["values"]: d["counts"] for d in origins}
    assert got.get("synthetic:cross-video", 0) > 0 and got.get("synthetic:partial", 0) > 0
    # lineage: each version's parent is the version its writer read (a linear chain)
    vs = ws.versions("samples")
    assert [v.parent for v in vs] == [None] + [v.version for v in vs[:-1]]
