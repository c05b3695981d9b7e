"""`tvgcurate log` fits 80 columns (a shortened command); `--full` shows it whole."""

from __future__ import annotations

from typer.testing import CliRunner

from tvgcurate.cli import app
from tvgcurate.cli.log import shorten_command

runner = CliRunner()


def test_shorten_command_drops_workspace_and_path_prefixes():
    cmd = (
        "/work/main/.venv/bin/tvgcurate ingest /very/long/path/to/data/highlight_val_release.jsonl"
        " --workspace /tmp/some/ws --videos /media/videos/root --split val"
    )
    short = shorten_command(cmd, 200, "/tmp/some/ws")
    assert short == "ingest highlight_val_release.jsonl --videos root --split val"
    cut = shorten_command(cmd, 30)
    assert len(cut) == 30 and cut.endswith("…")
    assert shorten_command("tvgcurate export --out=/a/b/c.jsonl", 80) == "export --out=c.jsonl"


LONG = (
    "/work/main/.venv/bin/tvgcurate ingest /data/" + "a" * 60 + "/highlight_val_release.jsonl "
    "--workspace /tmp/ws --split val --source qvhighlights --on-error skip"
)


def _ws(tmp_path):
    """A workspace whose one version was made by a long command line."""
    import pyarrow as pa

    from tvgcurate.workspace import Workspace

    ws = Workspace(tmp_path / "ws", create=True)
    ws.write(
        "audits", pa.table({"audit_id": ["a"], "sample_id": ["s"], "check": ["c"]}), command=LONG
    )
    return ws.root


def test_log_fits_80_columns_and_full_shows_everything(tmp_path, monkeypatch):
    ws = _ws(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    r = runner.invoke(app, ["log", "--workspace", str(ws)])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any("ingest highlight_val_release" in line for line in lines)
    assert "a" * 60 not in r.output and "/tmp/ws" not in r.output
    r = runner.invoke(app, ["log", "--workspace", str(ws), "--full"])
    assert r.exit_code == 0, r.output
    assert "a" * 60 in "".join(line.strip() for line in r.output.splitlines())
