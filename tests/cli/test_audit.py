"""`tvgcurate audit` through the CLI (CliRunner): summary, JSON, errors, relabel after it, and
a summary readable at 80 columns."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.helpers import ingest_demo
from tvgcurate.cli.app import app
from tvgcurate.demo.data import DemoConfig, generate

runner = CliRunner()


def make_ws(tmp_path):
    demo = tmp_path / "demo"
    generate(DemoConfig(out=demo, num_videos=6, plant_errors=True, write_videos=False))
    ingest_demo(demo, tmp_path / "ws", videos=False)
    return tmp_path / "ws"


def test_audit_cli_summary_json_and_relabel(tmp_path):
    ws = make_ws(tmp_path)
    res = runner.invoke(app, ["audit", "-w", str(ws), "--encoder", "hashing", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "start_after_end" in res.output and "audits is now v1" in res.output
    assert "skipped iou_disagreement" in res.output

    res = runner.invoke(
        app, ["audit", "-w", str(ws), "--checks", "windows,split_leak", "--json",
              "--set", "whole_video.max_share=0.5"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    names = [c["check"] for c in out["checks"]]
    assert "split_leak" in names and "empty_query" not in names
    assert out["audits_version"] == 2 and len(out["top"]) > 0
    wv = next(c for c in out["checks"] if c["check"] == "whole_video")
    assert wv["flagged"] >= 1 and wv["examples"]

    res = runner.invoke(
        app, ["relabel", "push", "-w", str(ws), "--select", "audit:top=3", "--out", str(tmp_path / "ls"),
              "--video-url-prefix", "http://127.0.0.1:9/videos", "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["selected"] == 3
    from tvgcurate.labeling.select import select_ids
    from tvgcurate.workspace import Workspace

    w = Workspace(ws)
    assert select_ids(w.read("samples"), "audit:top=3", w) == out["top"][:3]


def test_audit_cli_errors(tmp_path):
    ws = make_ws(tmp_path)
    res = runner.invoke(app, ["audit", "-w", str(ws), "--checks", "nope"])
    assert res.exit_code == 2 and "unknown check" in res.output
    res = runner.invoke(app, ["audit", "-w", str(ws), "--set", "whole_video"])
    assert res.exit_code == 2 and "CHECK.FIELD=VALUE" in res.output
    res = runner.invoke(app, ["audit", "-w", str(ws), "--predictions", "latest"])
    assert res.exit_code == 2 and "tvgcurate score" in res.output
    res = runner.invoke(app, ["audit", "-w", str(ws), "--list"])
    assert res.exit_code == 0 and "max_share" in res.output


def test_audit_summary_fits_80_columns_and_never_breaks_an_id(tmp_path):
    """At COLUMNS=80 every line fits, and every sample id printed is whole (or cut with an
    ellipsis at a cell's end): never broken across two lines. The summary says how the
    evidence was weighed."""
    ws = make_ws(tmp_path)
    res = runner.invoke(app, ["audit", "-w", str(ws), "--encoder", "hashing", "--no-progress"],
                        env={"COLUMNS": "80"})  # fmt: skip
    assert res.exit_code == 0, res.output
    from tvgcurate.workspace import Workspace

    ids = Workspace(ws).read("samples").column("sample_id").to_pylist()
    lines = res.output.splitlines()
    assert max(len(line) for line in lines) <= 80, res.output
    assert "evidence: a flag adds ln((1-f)/f)" in res.output and "strongest " in res.output
    whole = cut = 0
    for line in lines:
        for token in line.replace("│", " ").replace("┃", " ").split():
            if ":" not in token or token.startswith(("http", "v1")):
                continue
            word = token.rstrip(",")
            if word in ids:
                whole += 1
            elif word.endswith("…"):
                assert any(i.startswith(word[:-1]) for i in ids), (word, res.output)
                cut += 1
            elif any(i.startswith(word) or i.endswith(word) for i in ids):
                pytest.fail(f"sample id broken across lines: {word!r}\n{res.output}")
    assert whole >= 5  # the examples column and the worst-first table show ids
