"""A real SIGKILL of `tvgcurate relabel pull` (the CLI in a subprocess, a real Label Studio),
then a rerun: the labels and the corrected samples version equal a clean pull's, and no
annotation is stored twice or lost.

Pull is not paged: it reads the project in one JSON export, then commits `labels`, then
(consensus) `samples`. So the points a crash can land between are: before anything is
written (during or just after the export) and between the two commits. A timed kill would
almost always land in Python's start-up instead, so the child SIGKILLs itself at those two
points: the process dies as from `kill -9` (no cleanup, no exception handlers)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest

from tvgcurate.labeling.client import connect
from tvgcurate.labeling.frames import seconds_to_range
from tvgcurate.labeling.media import MediaSource
from tvgcurate.labeling.push import PushConfig, push
from tvgcurate.workspace import Workspace

from .conftest import make_workspace, ui_result

pytestmark = [pytest.mark.server, pytest.mark.slow]
PROJECT = "pull kill"

# run the real CLI, but SIGKILL the process at TVG_KILL_AT ("export": the export was read and
# nothing written yet; "consensus": `labels` committed, `samples` not yet)
CHILD = """
import os, signal, sys
import tvgcurate.labeling.pull as pull
from tvgcurate.labeling.client import LabelStudioClient

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if os.environ.get("TVG_KILL_AT") == "export":
    real = LabelStudioClient.export_tasks
    LabelStudioClient.export_tasks = lambda self, pid: (real(self, pid), die())[0]
elif os.environ.get("TVG_KILL_AT") == "consensus":
    pull.apply_consensus = die
from tvgcurate.cli import main
sys.argv = ["tvgcurate", *sys.argv[1:]]
main()
"""


def _pull(ls_server, ws_root, kill_at=None):
    env = dict(os.environ, LABEL_STUDIO_API_KEY=ls_server.token, TVG_KILL_AT=kill_at or "")
    args = [sys.executable, "-c", CHILD, "relabel", "pull", "-w", str(ws_root),
            "--url", ls_server.url, "--project", PROJECT, "--json"]  # fmt: skip
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)


def _rows(table, key, drop=()):
    return sorted(({k: v for k, v in r.items() if k not in drop} for r in table.to_pylist()),
                  key=lambda r: tuple(r[k] for k in key))  # fmt: skip


def test_killed_pull_then_rerun_equals_a_clean_pull(ls_server, tmp_path):
    from label_studio_sdk import LabelStudio

    ws = make_workspace(tmp_path / "ws", ls_server.media_root)
    cfg = PushConfig(workspace=ws.root, project=PROJECT, select="all", url=ls_server.url,
                     api_key=ls_server.token, media=MediaSource(media_root=ls_server.media_root))  # fmt: skip
    assert push(cfg).sent == 20
    client = connect(ls_server.url, ls_server.token)
    tasks = {t["data"]["sample_id"]: t for t in client.list_tasks(client.find_project(PROJECT))}
    sdk = LabelStudio(base_url=ls_server.url, api_key=ls_server.token)
    fps = {v["video_id"]: v["fps"] for v in ws.read("videos").to_pylist()}
    samples = {s["sample_id"]: s for s in ws.read("samples").to_pylist()}
    for i in range(14):  # 12 relevant with moved windows, 1 irrelevant, 1 skipped
        sid = f"qvhighlights:val:{1000 + i}"
        f = fps[samples[sid]["video_id"]]
        if i == 12:
            result, cancelled = ui_result([], "irrelevant"), False
        elif i == 13:
            result, cancelled = [], True
        else:
            s = 2.0 * (i % 3)
            result, cancelled = (
                ui_result([seconds_to_range(s + 0.5, s + 2.5, f)], "relevant"),
                False,
            )
        sdk.annotations.create(id=tasks[sid]["id"], result=result, lead_time=5.0,
                               was_cancelled=cancelled)  # fmt: skip
    annotations = {
        a.id
        for t in tasks.values()
        for a in sdk.annotations.list(id=t["id"])
        if not a.was_cancelled
    }
    assert len(annotations) == 13
    clean = Workspace(shutil.copytree(ws.root, tmp_path / "clean"))
    manifest = (ws.root / "manifest.json").read_bytes()

    died = _pull(ls_server, ws.root, kill_at="export")
    assert died.returncode == -signal.SIGKILL, died.stdout + died.stderr
    assert (ws.root / "manifest.json").read_bytes() == manifest  # nothing written
    assert ws.current("labels") is None and ws.current("samples").version == 1

    died = _pull(ls_server, ws.root, kill_at="consensus")
    assert died.returncode == -signal.SIGKILL, died.stdout + died.stderr
    assert ws.current("labels").version == 1 and ws.current("samples").version == 1
    half = ws.read("labels")
    assert sorted(half.column("annotation_id").to_pylist()) == sorted(annotations)

    rerun = _pull(ls_server, ws.root)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert '"unchanged": 13' in rerun.stdout and '"new": 0' in rerun.stdout
    assert ws.current("labels").version == 1  # the labels were kept, not pulled again
    assert ws.current("samples").version == 2

    ref = _pull(ls_server, clean.root)
    assert ref.returncode == 0, ref.stdout + ref.stderr
    assert '"new": 13' in ref.stdout
    assert clean.current("samples").version == 2 and clean.current("labels").version == 1

    got, want = ws.read("labels"), clean.read("labels")
    ids = got.column("annotation_id").to_pylist()
    assert len(ids) == len(set(ids)) and set(ids) == annotations  # none twice, none lost
    key = ("annotation_id", "updated_at")
    assert _rows(got, key, drop={"pulled_at"}) == _rows(want, key, drop={"pulled_at"})
    corrected = ws.read("samples")
    assert corrected.schema == clean.read("samples").schema
    assert _rows(corrected, ("sample_id",)) == _rows(clean.read("samples"), ("sample_id",))
    origins = [r["origin"] for r in corrected.to_pylist()]
    assert origins.count("relabel:pull-kill") == 13  # every annotation was applied once
