"""The Label Studio server SIGKILLed in the middle of a push and of a pull, restarted on the
same data directory, and the command run again: every sample is a task once, and every
annotation made before the crash comes back once.

The server here is this module's own (the session one is shared with other tests): started
with `tvgcurate.labeling.server.start`, killed with SIGKILL on its process group, started
again on the same data dir and port (the credentials and the token live in the data dir)."""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import dataclass

import pytest

from tvgcurate.labeling.client import LabelStudioError, RetryPolicy, connect
from tvgcurate.labeling.frames import seconds_to_range
from tvgcurate.labeling.media import MediaSource
from tvgcurate.labeling.pull import PullConfig, pull
from tvgcurate.labeling.push import PushConfig, push

from .conftest import make_workspace, server_config, ui_result

pytestmark = [pytest.mark.server, pytest.mark.slow]
FAST_FAIL = RetryPolicy(attempts=2, backoff_s=0.2)  # a dead server: give up within a second


@dataclass
class Restartable:
    cfg: object
    server: object

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def token(self) -> str:
        return self.server.credentials.token

    def kill(self) -> None:
        """SIGKILL the whole server (its own process group), as a crash or the OOM killer."""
        os.killpg(self.server.pid, signal.SIGKILL)
        self.server.process.wait(timeout=30)

    def restart(self) -> None:
        from tvgcurate.labeling.server import start

        self.server = start(self.cfg)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tvgcurate.labeling.server import start

    cfg = server_config(tmp_path_factory, "ls-kill")
    s = Restartable(cfg, start(cfg))
    yield s
    s.server.stop()


def _push_cfg(server, ws, project):
    return PushConfig(workspace=ws.root, project=project, select="all", url=server.url,
                      api_key=server.token, media=MediaSource(media_root=server.cfg.media_root),
                      batch_size=4)  # fmt: skip


def _kill_soon(server, delay_s=0.02):
    """Kill the server from another thread `delay_s` after now (while a request is out)."""
    t = threading.Timer(delay_s, server.kill)
    t.start()
    return t


def test_server_killed_mid_push_then_restarted(server, tmp_path):
    ws = make_workspace(tmp_path / "ws", server.cfg.media_root)
    cfg = _push_cfg(server, ws, "killed push")
    client = connect(server.url, server.token, FAST_FAIL)
    real_import, calls, timers = client.import_tasks, [], []

    def import_tasks(project_id, tasks):
        calls.append(len(tasks))
        if len(calls) == 3:  # the third of five batches: kill the server while it imports
            timers.append(_kill_soon(server))
        elif timers:  # the kill lands before the next batch at the latest
            timers[0].join()
        return real_import(project_id, tasks)

    client.import_tasks = import_tasks
    with pytest.raises(LabelStudioError):
        push(cfg, client)
    timers[0].join()
    assert server.server.process.poll() is not None  # it is dead
    assert 3 <= len(calls) <= 4

    server.restart()
    client = connect(server.url, server.token)
    on_server = client.list_tasks(client.find_project("killed push"))
    kept = len(on_server)
    assert 8 <= kept <= 12  # two batches sent, the third lost or committed before the crash
    r = push(cfg, client)
    assert (r.sent, r.already_sent) == (20 - kept, kept)
    tasks = client.list_tasks(client.find_project("killed push"))
    ids = [t["data"]["sample_id"] for t in tasks]
    assert len(ids) == len(set(ids)) == 20  # none twice, none missing
    assert set(ids) == set(ws.read("samples").column("sample_id").to_pylist())
    again = push(cfg, client)
    assert (again.sent, again.already_sent) == (0, 20)


def test_server_killed_mid_pull_then_restarted(server, tmp_path):
    from label_studio_sdk import LabelStudio

    project = "killed pull"
    ws = make_workspace(tmp_path / "ws", server.cfg.media_root)
    client = connect(server.url, server.token)
    assert push(_push_cfg(server, ws, project), client).sent == 20
    tasks = {t["data"]["sample_id"]: t for t in client.list_tasks(client.find_project(project))}
    fps = {v["video_id"]: v["fps"] for v in ws.read("videos").to_pylist()}
    samples = {s["sample_id"]: s for s in ws.read("samples").to_pylist()}

    def annotate(indices):
        sdk = LabelStudio(base_url=server.url, api_key=server.token)
        for i in indices:
            sid = f"qvhighlights:val:{1000 + i}"
            s, f = 2.0 * (i % 3), fps[samples[sid]["video_id"]]
            sdk.annotations.create(id=tasks[sid]["id"], lead_time=3.0,
                                   result=ui_result([seconds_to_range(s, s + 1.5, f)], "relevant"))  # fmt: skip

    def pcfg():
        return PullConfig(workspace=ws.root, project=project, url=server.url, api_key=server.token)

    annotate(range(6))
    first = pull(pcfg(), client)
    assert (first.new, first.labels_version) == (6, 1)
    annotate(range(6, 12))  # made just before the crash: must survive it
    client = connect(server.url, server.token, FAST_FAIL)
    real_export, timers = client.export_tasks, []

    def export_tasks(project_id):
        timers.append(_kill_soon(server))  # the server dies while it exports
        return real_export(project_id)

    def users():
        timers[0].join()  # the kill lands before pull goes on at the latest
        return real_users()

    real_users = client.users
    client.export_tasks, client.users = export_tasks, users
    with pytest.raises(LabelStudioError):
        pull(pcfg(), client)
    timers[0].join()
    assert server.server.process.poll() is not None
    assert ws.current("labels").version == 1 and ws.read("labels").num_rows == 6

    server.restart()
    client = connect(server.url, server.token)
    sdk = LabelStudio(base_url=server.url, api_key=server.token)
    on_server = {a.id for t in tasks.values() for a in sdk.annotations.list(id=t["id"])}
    assert len(on_server) == 12  # nothing lost in the crash
    r = pull(pcfg(), client)
    assert (r.new, r.updated, r.unchanged) == (6, 0, 6)
    labels = ws.read("labels")
    ids = labels.column("annotation_id").to_pylist()
    assert len(ids) == len(set(ids)) == 12 and set(ids) == on_server
    assert ws.current("labels").version == 2
    again = pull(pcfg(), client)
    assert (again.new, again.unchanged, again.labels_version) == (0, 12, None)
