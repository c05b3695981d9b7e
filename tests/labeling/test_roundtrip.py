"""The full round trip against a real Label Studio: push, two annotators, pull, consensus,
corrected version, export; re-push and re-pull are idempotent; fps conversion is exact."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tvgcurate.cli import app
from tvgcurate.labeling.client import connect
from tvgcurate.labeling.frames import range_to_seconds, seconds_to_range

from .conftest import make_workspace, ui_result

pytestmark = pytest.mark.server
PROJECT = "cqvh round trip"


def cli(*args):
    r = CliRunner().invoke(app, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r.output


def cli_json(*args):
    return json.loads(cli(*args, "--json"))


def annotate(sdk, task_id, result, lead=7.5, cancelled=False):
    return sdk.annotations.create(
        id=task_id, result=result, lead_time=lead, was_cancelled=cancelled
    )


def test_full_round_trip(ls_server, annotator_b, tmp_path, monkeypatch):
    from label_studio_sdk import LabelStudio

    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_server.token)
    ws = make_workspace(tmp_path / "ws", ls_server.media_root)
    fps_of = {v["video_id"]: v["fps"] for v in ws.read("videos").to_pylist()}
    assert sorted(fps_of.values()) == [24.0, 25.0, 30000 / 1001]
    push_args = ["relabel", "push", "-w", ws.root, "--url", ls_server.url,
                 "--project", PROJECT, "--select", "split=val", "--media-root", ls_server.media_root]  # fmt: skip

    first = cli_json(*push_args)
    assert (first["sent"], first["already_sent"]) == (20, 0)
    again = cli_json(*push_args)
    assert (again["sent"], again["already_sent"]) == (0, 20)  # idempotent

    client = connect(ls_server.url, ls_server.token)
    pid = client.find_project(PROJECT)
    tasks = {t["data"]["sample_id"]: t for t in client.list_tasks(pid)}
    assert len(tasks) == 20
    samples = {s["sample_id"]: s for s in ws.read("samples").to_pylist()}
    # the video is served through local-files storage
    import httpx

    t0 = tasks["qvhighlights:val:1000"]
    r = httpx.get(
        ls_server.url + t0["data"]["video"], headers={"Authorization": f"Token {ls_server.token}"}
    )
    assert r.status_code == 200 and r.content[4:8] == b"ftyp"

    a_sdk = LabelStudio(base_url=ls_server.url, api_key=ls_server.token)
    b_sdk = LabelStudio(base_url=ls_server.url, api_key=annotator_b)
    expect: dict[str, tuple] = {}
    for i in range(20):
        sid = f"qvhighlights:val:{1000 + i}"
        task, fps = tasks[sid], fps_of[samples[sid]["video_id"]]
        assert task["data"]["fps"] == fps
        s = 2.0 * (i % 3)
        fa = seconds_to_range(s + 0.5, s + 2.5, fps)
        fb = seconds_to_range(s + 1.0, s + 2.5, fps)
        if i < 12:
            annotate(a_sdk, task["id"], ui_result([fa], "relevant"))
            annotate(b_sdk, task["id"], ui_result([fb], "relevant"))
            (as_, ae), (bs, be) = range_to_seconds(*fa, fps), range_to_seconds(*fb, fps)
            expect[sid] = ("accepted", [{"start": (as_ + bs) / 2, "end": (ae + be) / 2}])
        elif i in (12, 13):
            annotate(a_sdk, task["id"], ui_result([fa], "relevant"))
            annotate(b_sdk, task["id"], ui_result([], "irrelevant"))
            expect[sid] = ("disagree", None)
        elif i == 14:
            annotate(a_sdk, task["id"], ui_result([seconds_to_range(0, 1, fps)], "relevant"))
            annotate(b_sdk, task["id"], ui_result([seconds_to_range(6, 7, fps)], "relevant"))
            expect[sid] = ("disagree", None)
        elif i == 15:
            annotate(a_sdk, task["id"], ui_result([fa], "relevant"))
            annotate(b_sdk, task["id"], ui_result([fa], "relevant", rewrite="a clearer query"))
            expect[sid] = ("accepted", [dict(zip(("start", "end"), range_to_seconds(*fa, fps)))])
        elif i == 16:
            annotate(a_sdk, task["id"], ui_result([fa], "partial"))
            annotate(b_sdk, task["id"], ui_result([fa], "partial"))
            expect[sid] = ("accepted", [dict(zip(("start", "end"), range_to_seconds(*fa, fps)))])
        elif i == 17:
            annotate(a_sdk, task["id"], ui_result([fa], "relevant"))
            annotate(b_sdk, task["id"], [], cancelled=True)  # B skipped the task
            expect[sid] = ("too_few", None)
        elif i == 18:  # a hard PIR pair, confirmed irrelevant
            annotate(a_sdk, task["id"], ui_result([], "irrelevant"))
            annotate(b_sdk, task["id"], ui_result([], "irrelevant"))
            expect[sid] = ("accepted", [])
        else:  # a hard PIR pair that is in fact relevant
            annotate(a_sdk, task["id"], ui_result([fa], "relevant"))
            annotate(b_sdk, task["id"], ui_result([fa], "relevant"))
            expect[sid] = ("accepted", [dict(zip(("start", "end"), range_to_seconds(*fa, fps)))])

    v_before = ws.current("samples").version
    pull_args = ["relabel", "pull", "-w", ws.root, "--url", ls_server.url,
                 "--project", PROJECT, "--round", "r1", "--min-annotators", "2"]  # fmt: skip
    pulled = cli_json(*pull_args)
    assert (pulled["new"], pulled["cancelled"], pulled["errors"]) == (39, 1, 0)
    assert pulled["consensus"] == {"accepted": 16, "disagree": 3, "unclear": 0, "too_few": 1}
    assert sorted(d["sample_id"] for d in pulled["disagree"]) == [
        "qvhighlights:val:1012", "qvhighlights:val:1013", "qvhighlights:val:1014"]  # fmt: skip

    labels = ws.read("labels").to_pylist()
    assert len(labels) == 39
    assert {r["annotator"] for r in labels} == {ls_server.email, "annotator.b@example.org"}
    assert all(r["lead_time_s"] == 7.5 and r["created_at"] and r["task_id"] for r in labels)
    for r in labels:  # frames -> seconds with the task's own fps, exactly
        fps = fps_of[samples[r["sample_id"]]["video_id"]]
        assert r["fps"] == fps

    corrected_v = pulled["samples_version"]
    assert corrected_v == v_before + 1
    new = {s["sample_id"]: s for s in ws.read("samples").to_pylist()}
    for sid, (status, windows) in expect.items():
        row = new[sid]
        if status == "accepted":
            assert row["origin"] == "relabel:r1", sid
            assert row["windows"] == windows, sid  # exact, not approximate
            assert row["prev_windows"] == samples[sid]["windows"]
            assert row["relabel_parent_version"] == v_before
        else:
            assert row["windows"] == samples[sid]["windows"] and row["origin"] == "source"
    assert new["qvhighlights:val:1015"]["query"] == "a clearer query"
    assert new["qvhighlights:val:1016"]["relevance"] == "partial"
    assert new["qvhighlights:val:1018"]["relevance"] == "irrelevant"
    assert new["qvhighlights:val:1018"]["needs_review"] is False
    assert new["qvhighlights:val:1019"]["relevance"] == "relevant"
    assert new["qvhighlights:val:1012"]["needs_review"] is True
    # the previous windows stay reachable through the version lineage
    assert (
        ws.read("samples", v_before).to_pylist()[0]["windows"]
        == samples["qvhighlights:val:1000"]["windows"]
    )

    # the corrected benchmark in native QVHighlights format
    out = tmp_path / "cqvh_val.jsonl"
    cli("export", "-w", ws.root, "--format", "qvhighlights", "--version", corrected_v, "--out", out)
    recs = {r["qid"]: r for r in map(json.loads, out.read_text().splitlines())}
    w0 = expect["qvhighlights:val:1000"][1][0]
    assert recs[1000]["relevant_windows"] == [
        [pytest.approx(w0["start"]), pytest.approx(w0["end"])]
    ]
    assert recs[1019]["relevant_windows"] and 1018 not in recs and 1016 not in recs

    # re-pull: nothing new, no new versions
    labels_v = ws.current("labels").version
    again = cli_json(*pull_args)
    assert (again["new"], again["updated"], again["unchanged"]) == (0, 0, 39)
    assert again["samples_version"] is None and ws.current("labels").version == labels_v

    # an annotator edits an annotation -> exactly one new row; the sample now agrees
    t12 = tasks["qvhighlights:val:1012"]
    b_id = b_sdk.users.whoami().id
    b_ann = [a for a in b_sdk.annotations.list(id=t12["id"]) if a.completed_by == b_id][0]
    fa12 = seconds_to_range(0.5, 2.5, fps_of[samples["qvhighlights:val:1012"]["video_id"]])
    b_sdk.annotations.update(id=b_ann.id, result=ui_result([fa12], "relevant"))
    edited = cli_json(*pull_args)
    assert (edited["new"], edited["updated"]) == (0, 1)
    assert edited["consensus"]["accepted"] == 1
    assert len(ws.read("labels")) == 40

    # stats: the cQvH table
    st = cli_json("relabel", "stats", "-w", ws.root)
    assert st["relabelled"] == 17 and st["queries_rewritten"] == 1
    assert st["boundary_shift"]["pairs"] >= 13 and 0 < st["boundary_shift"]["mean_s"] < 1
    assert st["relevance_changed"] == {"irrelevant->relevant": 1, "relevant->partial": 1}

    # pushing the corrected version sends only the changed samples and marks old tasks
    repush = cli_json(*push_args)
    changed = sum(
        1 for sid, s in {x["sample_id"]: x for x in ws.read("samples").to_pylist()}.items()
        if (s["windows"], s["query"], s["relevance"]) != (samples[sid]["windows"], samples[sid]["query"], samples[sid]["relevance"])
    )  # fmt: skip
    assert repush["sent"] == changed == repush["superseded"]
    metas = [t["meta"] for t in client.list_tasks(pid)]
    assert sum(1 for m in metas if m.get("superseded")) == changed
    assert len(metas) == 20 + changed


def test_fps_conversion_exact_on_the_server(ls_server, tmp_path, monkeypatch):
    """Pre-annotations pushed at 24/25/29.97 fps come back from the server as the same
    frames, and frames annotated there come back as exact seconds."""
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_server.token)
    ws = make_workspace(tmp_path / "ws", ls_server.media_root, n=3)
    cli("relabel", "push", "-w", ws.root, "--url", ls_server.url, "--project", "fps",
        "--select", "all", "--media-root", ls_server.media_root)  # fmt: skip
    from label_studio_sdk import LabelStudio

    sdk = LabelStudio(base_url=ls_server.url, api_key=ls_server.token)
    client = connect(ls_server.url, ls_server.token)
    fps_of = {v["video_id"]: v["fps"] for v in ws.read("videos").to_pylist()}
    planted = {}
    for t in client.list_tasks(client.find_project("fps")):
        fps = fps_of[t["data"]["video_id"]]
        preds = list(sdk.predictions.list(task=t["id"]))
        ranges = preds[0].result[0]["value"]["ranges"][0]
        s0 = ws.read("samples").to_pylist()
        w = next(s for s in s0 if s["sample_id"] == t["data"]["sample_id"])["windows"][0]
        assert (ranges["start"], ranges["end"]) == seconds_to_range(w["start"], w["end"], fps)
        frames = (37, 211)
        sdk.annotations.create(id=t["id"], result=ui_result([frames], "relevant"))
        planted[t["data"]["sample_id"]] = ((37 - 1) / fps, 211 / fps)
    cli("relabel", "pull", "-w", ws.root, "--url", ls_server.url, "--project", "fps",
        "--no-consensus")  # fmt: skip
    got = {r["sample_id"]: r["windows"][0] for r in ws.read("labels").to_pylist()}
    for sid, (s, e) in planted.items():
        assert (got[sid]["start"], got[sid]["end"]) == (s, e)
    assert {round(v, 5) for v in fps_of.values()} == {24.0, 25.0, 29.97003}
