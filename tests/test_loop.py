"""The active-learning loop's bookkeeping (no model, no server): steps run in order, their
records land in the manifest, a crash resumes at the step it was in, done rounds are
skipped; the annotator helpers give Label Studio results that pull reads back exactly."""

from __future__ import annotations

import pyarrow as pa
import pytest

from tvgcurate import loop
from tvgcurate.errors import TvgError
from tvgcurate.labeling.pull import parse_result
from tvgcurate.workspace import Workspace


@pytest.fixture
def ws(tmp_path):
    w = Workspace(tmp_path / "ws", create=True)
    w.write("samples", pa.Table.from_pylist([{"sample_id": "qvhighlights:train:1",
                                               "video_id": "v", "query": "q", "windows": []}]), validate=False)  # fmt: skip
    return w


@pytest.fixture
def fake_steps(monkeypatch):
    """Every step replaced by one that logs its call (and raises when told to)."""
    calls: list[tuple[int, str]] = []
    crash: set[tuple[int, str]] = set()

    def make(name):
        def step(r):
            calls.append((r.number, name))
            if (r.number, name) in crash:
                crash.discard((r.number, name))
                raise RuntimeError(f"crash in {name}")
            return {"samples_version": r.number} if name == "pull" else {"made": name}

        return step

    for name in loop.STEPS.names():
        monkeypatch.setitem(loop.STEPS._items, name, make(name))
    return calls, crash


def cfg(ws, **kw):
    return loop.LoopConfig(workspace=ws.root, labelstudio="http://x", api_key="k", **kw)


def test_rounds_run_every_step_in_order_and_record_it(ws, fake_steps):
    calls, _ = fake_steps
    res = loop.run_loop(cfg(ws, rounds=2))
    names = loop.STEPS.names()
    assert names == ["train", "score", "audit", "push", "annotate", "pull"]
    assert calls == [(1, n) for n in names] + [(2, n) for n in names]
    state = Workspace(ws.root).meta("loop")
    assert [r["round"] for r in state["rounds"]] == [1, 2] and all(
        r["done"] for r in state["rounds"]
    )
    assert state["rounds"][1]["steps"]["pull"]["samples_version"] == 2
    assert res.ran == calls
    # done rounds are not run again
    calls.clear()
    assert loop.run_loop(cfg(ws, rounds=2)).ran == [] and calls == []


def test_a_crash_resumes_at_the_step_it_was_in(ws, fake_steps):
    calls, crash = fake_steps
    crash.add((1, "annotate"))
    with pytest.raises(RuntimeError, match="crash in annotate"):
        loop.run_loop(cfg(ws, rounds=1))
    rec = loop.loop_state(ws.root)["rounds"][0]
    assert rec["current"] == "annotate" and not rec["done"]
    assert sorted(rec["steps"]) == ["audit", "push", "score", "train"]
    calls.clear()
    loop.run_loop(cfg(ws, rounds=1))
    assert calls == [(1, "annotate"), (1, "pull")]
    assert loop.lineage(loop.loop_state(ws.root)["rounds"])[0]["state"] == "done"


def test_offline_rounds_stop_after_the_push(ws, fake_steps, tmp_path):
    calls, _ = fake_steps
    loop.run_loop(loop.LoopConfig(workspace=ws.root, offline=tmp_path / "ls"))
    assert [n for _, n in calls] == ["train", "score", "audit", "push"]


def test_config_errors_say_how_to_fix(ws, tmp_path):
    with pytest.raises(TvgError, match="--labelstudio"):
        loop.LoopConfig(workspace=ws.root, api_key="k")
    with pytest.raises(TvgError, match="LABEL_STUDIO_API_KEY"):
        loop.LoopConfig(workspace=ws.root, labelstudio="http://x")
    with pytest.raises(TvgError, match="--annotator"):
        cfg(ws, annotator=tmp_path / "missing.py")
    with pytest.raises(TvgError, match="one round"):
        loop.LoopConfig(workspace=ws.root, offline=tmp_path, rounds=2)


def test_load_annotator(tmp_path):
    good = tmp_path / "a.py"
    good.write_text("def annotate(task):\n    return [task['id']]\n")
    assert loop.load_annotator(good)({"id": 3}) == [3]
    bad = tmp_path / "b.py"
    bad.write_text("x = 1\n")
    with pytest.raises(TvgError, match="annotate"):
        loop.load_annotator(bad)


@pytest.mark.parametrize("fps", [24.0, 25.0, 30000 / 1001])
def test_moment_result_reads_back_on_the_frame_grid(fps):
    parsed = parse_result(loop.moment_result([(2.0, 4.5)], fps), fps)
    assert parsed.verdict == "relevant" and parsed.error is None
    (w,) = parsed.windows
    assert abs(w["start"] - 2.0) <= 1 / fps and abs(w["end"] - 4.5) <= 1 / fps
    assert parse_result(loop.moment_result([], fps, "irrelevant"), fps).verdict == "irrelevant"
