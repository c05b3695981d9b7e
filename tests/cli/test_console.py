"""Consoles that print data keep `:train:` and `[brackets]` literal (issue 16)."""

from __future__ import annotations

import io

from typer.testing import CliRunner

from tvgcurate.cli.console import make_console, safe

SID = "activitynet:train:v_demo0000002#2~partial~3"


def test_console_prints_ids_literally():
    c = make_console()
    c.file = io.StringIO()
    c.print(f"[yellow]skipped[/] {safe(SID)}: {safe('[bold]not markup[/]')}")
    out = c.file.getvalue()
    assert SID in out and "[bold]not markup[/]" in out and "🚋" not in out


def test_cli_error_line_keeps_the_id(tmp_path, monkeypatch):
    import typer

    from tvgcurate.cli.app import app
    from tvgcurate.errors import TvgError

    monkeypatch.setenv("COLUMNS", "300")

    @app.command("h16-raise", hidden=True)
    def _raise() -> None:
        raise TvgError(f"internal: synthetic row {SID} repeats [bold]x[/]")

    try:
        res = CliRunner().invoke(app, ["h16-raise"])
    finally:
        app.registered_commands[:] = [c for c in app.registered_commands if c.name != "h16-raise"]
    assert res.exit_code == 2
    text = res.output + (res.stderr if hasattr(res, "stderr") else "")
    assert SID in text and "🚋" not in text and "[bold]x[/]" in text
    assert typer  # imported for the decorator's app
