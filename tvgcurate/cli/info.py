"""`tvgcurate info`: what a workspace holds."""

from __future__ import annotations

from tvgcurate.cli.app import app
from tvgcurate.cli.options import WorkspaceOpt


@app.command(epilog="Example: tvgcurate info --workspace ws")
def info(workspace: WorkspaceOpt) -> None:
    """Per-table counts, splits, sources and durations, as tables."""
    from tvgcurate.cli.console import console, table
    from tvgcurate.summary import render_summary

    render_summary(workspace, console, table)
