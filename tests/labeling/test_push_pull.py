"""Push/pull edge cases against the real server: resume after a failure, predictions of a
model run, authentication (legacy token, personal access token, 401)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from tvgcurate.labeling.client import LabelStudioError, connect
from tvgcurate.labeling.media import MediaSource
from tvgcurate.labeling.push import PushConfig, push
from tvgcurate.labeling.records import read_jsonl

from .conftest import make_workspace

pytestmark = pytest.mark.server


def test_interrupted_push_leaves_a_record_and_resumes(ls_server, tmp_path):
    ws = make_workspace(tmp_path / "ws", ls_server.media_root)
    ws.write(
        "predictions",
        pa.table({"run_id": ["run-7"] * 2, "sample_id": ["qvhighlights:val:1000", "qvhighlights:val:1018"],
                  "windows": [[{"start": 1.0, "end": 3.0, "score": 0.8}], []],
                  "refused": [False, True], "raw_text": ["", ""]}),
    )  # fmt: skip
    cfg = PushConfig(
        workspace=ws.root, project="resume", select="all", url=ls_server.url,
        api_key=ls_server.token, media=MediaSource(media_root=ls_server.media_root),
        with_predictions="run-7", batch_size=6,
    )  # fmt: skip
    client = connect(ls_server.url, ls_server.token)
    real_import, calls = client.import_tasks, []

    def flaky(project_id, tasks):
        calls.append(len(tasks))
        if len(calls) == 2:
            raise LabelStudioError("connection dropped (simulated)")
        return real_import(project_id, tasks)

    client.import_tasks = flaky
    with pytest.raises(LabelStudioError, match="simulated"):
        push(cfg, client)
    log = read_jsonl(ws.root / "work" / "labeling" / "resume" / "push.jsonl")
    assert [e["event"] for e in log] == ["sending", "sent", "sending"]
    assert len(log[1]["task_ids"]) == 6

    client.import_tasks = real_import
    r = push(cfg, client)
    assert (r.sent, r.already_sent) == (14, 6)
    tasks = client.list_tasks(client.find_project("resume"))
    ids = [t["data"]["sample_id"] for t in tasks]
    assert len(ids) == len(set(ids)) == 20

    from label_studio_sdk import LabelStudio

    sdk = LabelStudio(base_url=ls_server.url, api_key=ls_server.token)
    t0 = next(t for t in tasks if t["data"]["sample_id"] == "qvhighlights:val:1000")
    versions = sorted(p.model_version for p in sdk.predictions.list(task=t0["id"]))
    assert versions == ["run-7", "samples-v1"]


def test_wrong_key_gives_a_401_message_without_the_key(ls_server):
    bad = "0123456789abcdef0123456789abcdef-not-a-key"
    with pytest.raises(LabelStudioError) as exc:
        connect(ls_server.url, bad)
    msg = str(exc.value)
    assert "LABEL_STUDIO_API_KEY" in msg and "HTTP 401" in msg
    assert bad not in msg and ls_server.token not in msg


def test_personal_access_token_works(ls_server):
    from tvgcurate.labeling.server import personal_access_token

    pat = personal_access_token(ls_server.url, ls_server.email, ls_server.password)
    assert pat.count(".") == 2  # a JWT refresh token; the SDK sends Bearer itself
    me = connect(ls_server.url, pat).whoami()
    assert me["email"] == ls_server.email
