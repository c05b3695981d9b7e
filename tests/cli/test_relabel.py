"""`relabel push | pull | stats` and the deprecated one-command flags (hidden aliases)."""

import json

import pytest
from typer.testing import CliRunner

from tvgcurate.cli import app

runner = CliRunner()


@pytest.fixture
def ws(tmp_path):
    f = tmp_path / "highlight_val_release.jsonl"
    rows = [
        {"qid": i, "query": f"q {i}", "duration": 10, "vid": f"v{i}_0_10",
         "relevant_windows": [[0, 2]]}
        for i in range(3)
    ]  # fmt: skip
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ws = tmp_path / "ws"
    r = runner.invoke(app, ["ingest", str(f), "--workspace", str(ws)])
    assert r.exit_code == 0, r.output
    return ws


def test_push_offline_writes_files(ws, tmp_path):
    out = tmp_path / "ls"
    r = runner.invoke(
        app,
        ["relabel", "push", "-w", str(ws), "--select", "all", "--out", str(out), "--json",
         "--video-url-prefix", "http://127.0.0.1:9/videos"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["selected"] == 3 and data["files"]  # no videos table: all three skipped
    assert data["skipped"] == 3 and (out / "tasks.json").exists()


def test_stats_subcommand_reaches_the_library(ws):
    r = runner.invoke(app, ["relabel", "stats", "-w", str(ws), "--json"])
    assert r.exit_code == 2 and "no relabelled rows" in r.stderr


def test_hidden_aliases_still_work_with_a_note(ws, tmp_path):
    r = runner.invoke(app, ["relabel", "-w", str(ws), "--stats", "--json"])
    assert r.exit_code == 2 and "no relabelled rows" in r.stderr
    assert "deprecated" in r.stderr and "relabel stats" in r.stderr
    out = tmp_path / "ls"
    r = runner.invoke(
        app,
        ["relabel", "-w", str(ws), "--select", "all", "--out", str(out),
         "--video-url-prefix", "http://127.0.0.1:9/videos"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "wrote 0 tasks" in r.stdout and "skipped qvhighlights:val:2" in r.stdout
    assert "relabel push" in r.stderr and (out / "tasks.json").exists()


def test_aliases_are_hidden_and_modes_exclusive(ws):
    r = runner.invoke(app, ["relabel", "--help"])
    assert r.exit_code == 0 and "push" in r.output and "--to-labelstudio" not in r.output
    r = runner.invoke(app, ["relabel", "-w", str(ws), "--stats", "--from-labelstudio"])
    assert r.exit_code == 2 and "relabel push, relabel pull, relabel stats" in r.stderr


def test_pull_without_key_is_a_one_line_error(ws, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    r = runner.invoke(app, ["relabel", "pull", "-w", str(ws), "--project", "p"])
    assert r.exit_code == 2 and "LABEL_STUDIO_API_KEY" in r.stderr
