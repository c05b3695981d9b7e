"""Every table the CLI prints reads at 80 columns: no line is longer, and a sample or video id
is whole on its line or cut with "…" at its cell's end, never broken over two lines
(tvgcurate.cli.console.table). The workspace holds a very long sample id, video id, query and
command line, so that a table that wraps or overflows fails here."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from tests.helpers import sample_rows
from tvgcurate.cli import app
from tvgcurate.cli.console import make_console, num, table, wrap
from tvgcurate.workspace import Workspace

runner = CliRunner()
ENV = {"COLUMNS": "80"}
LONG_VID = "youtube_" + "x7Qz" * 12  # 56 characters
LONG_QUERY = (
    "a person in a red jacket walks slowly across the crowded station hall, stops at the "
    "ticket machine, turns around twice and then finally picks up a small blue suitcase"
)
LONG_COMMAND = (
    "/work/main/.venv/bin/tvgcurate ingest /data/" + "annotations/" * 8 + "long_file.jsonl "
    "--workspace /tmp/ws --split val --source qvhighlights-with-a-long-name --on-error skip"
)


def _rows() -> list[dict]:
    rows = sample_rows(
        [("vid_a", "a dog runs", "val"), ("vid_b", "a cat sleeps", "val"),
         (LONG_VID, LONG_QUERY, "val"), (LONG_VID, "someone waves", "train")],
        source="qvhighlights-with-a-long-name",
    )  # fmt: skip
    rows[2]["sample_id"] = f"qvhighlights-with-a-long-name:val:{LONG_VID}#17~partial~3"
    return rows


@pytest.fixture
def ws(tmp_path) -> Workspace:
    """Samples (one with a 94-character id), a videos table that lacks LONG_VID (so export
    leaves its samples out, naming them) and predictions of two runs."""
    w = Workspace(tmp_path / "ws", create=True)
    rows = _rows()
    w.write("samples", pa.Table.from_pylist(rows), command=LONG_COMMAND)
    videos = [
        {"video_id": v, "path": f"{v}.mp4", "duration_s": 30.0, "fps": 4.0, "num_frames": 120,
         "width": 64, "height": 64, "codec": "h264"}
        for v in ("vid_a", "vid_b")
    ]  # fmt: skip
    w.write("videos", pa.Table.from_pylist(videos), command=LONG_COMMAND + " --videos /media")
    preds = [
        {"run_id": run, "sample_id": r["sample_id"], "refused": False,
         "windows": [{"start": 0.0, "end": end, "score": 1.0}],
         "raw_text": "<answer>0000.0 to 0001.0</answer>"}
        for run, end in (("run-a", 1.0), ("run-b-with-a-much-longer-name-than-the-first", 0.5))
        for r in rows
    ]  # fmt: skip
    w.write("predictions", pa.Table.from_pylist(preds), command="tvgcurate score -w ws")
    steps = {"train": {"samples_version": 1}, "score": {"predictions_version": 1,
             "run_id": "run-a"}, "audit": {"audits_version": 12, "trust": 0.8123456789},
             "push": {"sent": 250}, "pull": {"labels_version": 3, "samples_version": 14}}  # fmt: skip
    rnd = {"round": 1, "done": True, "run_dir": str(w.root / "runs" / ("round-1-" + "x" * 40)),
           "steps": steps}  # fmt: skip
    with w.transaction("tvgcurate loop -w ws") as tx:
        tx.set_meta("loop", {"rounds": [rnd, {**rnd, "round": 2, "done": False}]})
    return w


def ids_of(w: Workspace) -> set[str]:
    s = w.read("samples", columns=["sample_id", "video_id"]).to_pydict()
    return set(s["sample_id"]) | set(s["video_id"])


def assert_readable(output: str, ids: set[str], width: int = 80) -> int:
    """No line wider than `width`; every id printed is whole or cut with "…" at its end (a
    prefix of an id followed by "…"), never broken. Returns how many ids were printed whole."""
    lines = output.splitlines()
    assert max(len(line) for line in lines) <= width, output
    whole = 0
    for line in lines:
        for token in line.replace("│", " ").replace("┃", " ").replace(",", " ").split():
            if token in ids:
                whole += 1
            elif token.endswith("…") and len(token) > 8:
                if any(i.startswith(token[:-1]) for i in ids):
                    continue
            elif len(token) >= 6 and any(
                token != i and (i.startswith(token) or i.endswith(token)) for i in ids
            ):
                pytest.fail(f"an id is broken across lines: {token!r}\n{output}")
    return whole


def test_assert_readable_catches_a_broken_id():
    """The check itself: a column that folds (as `info` had) breaks the long id."""
    from rich.table import Column, Table

    sid = _rows()[2]["sample_id"]
    c = make_console()
    c.file, c.width = io.StringIO(), 80
    t = Table(Column("sample_id", overflow="fold"), "query")
    t.add_row(sid, LONG_QUERY)
    c.print(t)
    with pytest.raises(pytest.fail.Exception, match="broken"):
        assert_readable(c.file.getvalue(), {sid})


def test_table_helper_cuts_text_and_keeps_numbers_whole():
    sid = _rows()[2]["sample_id"]
    c = make_console()
    c.file, c.width = io.StringIO(), 80
    t = table("sample_id", "query", num("rows"), num("mIoU"), wrap("note"), title="t")
    t.add_row(sid, LONG_QUERY, "123456", "12.34", "short [not markup] note")
    c.print(t)
    out = c.file.getvalue()
    assert_readable(out, {sid})
    assert "123456" in out and "12.34" in out and "[not markup]" in out
    row = next(line for line in out.splitlines() if "123456" in line)
    assert sid[:12] in row and "a person" in row and row.count("…") == 2  # id, query: cut
    assert "note" in out.split(row)[1]  # the wrap() column goes on to the next line


def test_info_log_export_eval_fit_80_columns(ws, tmp_path):
    ids = ids_of(ws)
    r = runner.invoke(app, ["info", "-w", str(ws.root)], env=ENV)
    assert r.exit_code == 0, r.output
    assert_readable(r.output, ids)
    assert "qvhighlights-with-a-long-name" in r.output.replace("…", "") or "qvhigh" in r.output

    r = runner.invoke(app, ["log", "-w", str(ws.root)], env=ENV)
    assert r.exit_code == 0, r.output
    assert_readable(r.output, ids)
    assert "active-learning rounds" in r.output and " 250 " in r.output  # counts stay whole
    r = runner.invoke(app, ["log", "-w", str(ws.root), "--full"], env=ENV)
    assert r.exit_code == 0, r.output  # commands wrap whole (that is what --full is for)
    assert max(len(line) for line in r.output.splitlines()) <= 80, r.output

    r = runner.invoke(
        app, ["export", "-w", str(ws.root), "--format", "sharegpt", "--split", "val",
              "--out", str(tmp_path / "s.json")], env=ENV,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "left out" in r.output
    assert assert_readable(r.output, ids) + r.output.count("…") >= 1, r.output

    outs = []
    for run in ("run-a", "run-b-with-a-much-longer-name-than-the-first"):
        outs.append(tmp_path / f"{run}.json")
        r = runner.invoke(
            app, ["eval", "-p", run, "--gt", str(ws.root), "--split", "val", "--out",
                  str(outs[-1])], env=ENV,
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        assert_readable(r.output, ids)
        assert "mIoU" in r.output
    r = runner.invoke(app, ["eval", "--compare", *map(str, outs)], env=ENV)
    assert r.exit_code == 0, r.output
    assert_readable(r.output, ids)
    assert json.loads(outs[0].read_text())["extra"]["num_queries"] == 3
