"""`tvgcurate log` and `tvgcurate checkout`: table versions and their lineage."""

from __future__ import annotations

from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.options import WorkspaceOpt


@app.command(epilog="Example: tvgcurate log --workspace ws --table samples")
def log(
    workspace: WorkspaceOpt,
    table: Annotated[str | None, typer.Option(help="Only this table.")] = None,
) -> None:
    """List every table version with the command that made it."""
    from rich.table import Table

    from tvgcurate.cli.console import console
    from tvgcurate.workspace import Workspace

    ws = Workspace(workspace)
    out = Table(title=f"versions in {workspace}")
    for col in ("table", "version", "rows", "parent", "created", "command"):
        out.add_column(col, overflow="fold")
    for v in ws.log(table):
        current = ws.current(v.table)
        mark = " *" if current and current.version == v.version else ""
        out.add_row(
            v.table,
            f"v{v.version}{mark}",
            str(v.rows),
            str(v.parent or "-"),
            v.created[:19],
            v.command,
        )
    console.print(out)
    console.print("* = current version")


@app.command(epilog="Example: tvgcurate checkout --workspace ws --table samples --version 2")
def checkout(
    workspace: WorkspaceOpt,
    table: Annotated[str, typer.Option(help="Table to move.")],
    version: Annotated[int, typer.Option(help="Existing version to make current.")],
) -> None:
    """Make an older table version current again (nothing is deleted or rewritten)."""
    from tvgcurate.cli.console import console
    from tvgcurate.workspace import Workspace

    tv = Workspace(workspace).checkout(table, version)
    console.print(f"{table} is now at v{tv.version} ({tv.rows} rows)")
