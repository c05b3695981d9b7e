"""`tvgcurate build-irrelevant` through the CLI (hashing encoder: no model load)."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.helpers import samples_workspace
from tvgcurate.cli import app
from tvgcurate.workspace import Workspace

runner = CliRunner()

QUERIES = [
    "person opens the door.",
    "a dog swims in the pool.",
    "A man plays guitar on stage.",
    "  The chef chops onions in a kitchen. ",
    "kids throw a ball in the park.",
    "a woman drives a red car.",
    "person drinks coffee at the table.",
    "two cats sleep on a sofa.",
]


def _ws(tmp_path):
    rows = [
        {
            "sample_id": f"charades-sta:train:{i}",
            "video_id": f"v{i}",
            "query": q,
            "windows": [{"start": 0.0, "end": 2.0}],
            "relevance": "relevant",
            "split": "train",
            "source": "charades-sta",
            "origin": "source",
            "needs_review": False,
        }
        for i, q in enumerate(QUERIES)
    ]
    return samples_workspace(tmp_path / "ws", rows)


def test_build_irrelevant_appends_a_version(tmp_path):
    root = _ws(tmp_path)
    args = ["build-irrelevant", "-w", str(root), "--encoder", "hashing", "--ratio", "0.5"]
    args += ["--strategy", "cross-video", "--strategy", "partial", "--band", "0.3:0.7"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "train/cross-video: +4 rows" in res.output and "train/partial: +4 rows" in res.output
    ws = Workspace(root)
    assert [v.version for v in ws.versions("samples")] == [1, 2]
    table = ws.read("samples").to_pylist()
    assert len(table) == 16
    assert {r["origin"] for r in table[8:]} == {"synthetic:cross-video", "synthetic:partial"}


def test_build_irrelevant_errors_are_one_line_exit_2(tmp_path):
    root = _ws(tmp_path)
    res = runner.invoke(app, ["build-irrelevant", "-w", str(root), "--band", "0.6:0.3"])
    assert res.exit_code == 2
    assert "--band" in res.output
    res = runner.invoke(
        app, ["build-irrelevant", "-w", str(root), "--encoder", "hashing", "--ratio", "8"]
    )
    assert res.exit_code == 2
    assert "found only" in res.output and "raise --low or lower --ratio" in res.output
    assert "Traceback" not in res.output


def test_help_has_an_example():
    res = runner.invoke(app, ["build-irrelevant", "--help"])
    assert res.exit_code == 0
    assert "Example: tvgcurate build-irrelevant" in res.output
