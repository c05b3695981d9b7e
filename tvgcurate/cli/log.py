"""`tvgcurate log` and `tvgcurate checkout`: table versions and their lineage.

`log` fits its table in 80 columns: the command that made a version is shortened (the
program is left out when it is tvgcurate, so is the workspace option, paths keep their last
part, the rest is cut with "…"); `--full` shows every command whole.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.options import WorkspaceOpt


@app.command(epilog="Example: tvgcurate log --workspace ws --table samples")
def log(
    workspace: WorkspaceOpt,
    table: Annotated[str | None, typer.Option(help="Only this table.")] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Show each command whole (wrapped), not shortened.")
    ] = False,
) -> None:
    """List every table version with the command that made it."""
    from tvgcurate.cli.console import console, num, wrap
    from tvgcurate.cli.console import table as new_table
    from tvgcurate.workspace import Workspace

    ws = Workspace(workspace)
    rows = []
    for v in ws.log(table):
        current = ws.current(v.table)
        mark = " *" if current and current.version == v.version else ""
        created = v.created[:19] if full else v.created[5:16].replace("T", " ")
        rows.append(
            [v.table, f"v{v.version}{mark}", str(v.rows), str(v.parent or "-"), created, v.command]
        )
    cols = ("table", "version", "rows", "parent", "created", "command")
    if not full:
        # every column but the command at its widest, two spaces between columns
        used = sum(max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(cols[:-1]))
        room = max(LOG_WIDTH - used - 2 * len(cols), 16)  # padding and edges: 2 a column
        for r in rows:
            r[-1] = shorten_command(r[-1], room, workspace)
    out = new_table(
        "table", "version", num("rows"), num("parent"), "created",
        wrap("command") if full else "command",
        title=f"versions in {workspace}",
        min_width=None,  # 80 columns even when the title is longer
    )  # fmt: skip
    for r in rows:
        out.add_row(*r)
    console.print(out)
    console.print("* = current version")
    if table is None and ws.meta("loop"):
        from tvgcurate.loop import lineage

        cols = ("round", "state", "trained_on", "run_dir", "predictions", "audits", "trust",
                "pushed", "labels", "samples")  # fmt: skip
        # table versions (trained on samples vN ... pulled into samples vM), the tasks sent
        # and the run directory's last part
        rounds = new_table(
            num("round"), "state", num("train"), "run", num("preds"), num("audits"),
            num("trust"), num("sent"), num("labels"), num("samples"),
            title="active-learning rounds (tvgcurate loop)",
        )  # fmt: skip
        for line in lineage(ws.meta("loop")["rounds"]):
            if line["run_dir"]:
                line["run_dir"] = Path(line["run_dir"]).name
            rounds.add_row(*(_cell(line[c]) for c in cols))
        console.print(rounds)


LOG_WIDTH = 80


def _cell(value: object) -> str:
    return "-" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def shorten_command(command: str, width: int, workspace: Path | None = None) -> str:
    """`command` in at most `width` characters: the program left out when it is tvgcurate
    (a subcommand first), the workspace option dropped (the log is of that workspace), each
    path as its last part, the rest cut with "…"."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    if not words:
        return command[:width]
    ours = Path(words[0]).name in ("tvgcurate", "__main__.py") or words[:3] == [
        "python",
        "-m",
        "tvgcurate",
    ]
    out = [] if ours else [words[0]]
    if words[:3] == ["python", "-m", "tvgcurate"]:
        words = words[2:]
    ws = str(Path(workspace)) if workspace is not None else None
    i = 1
    while i < len(words):
        w = words[i]
        if w in ("-w", "--workspace") and i + 1 < len(words):
            i += 2
            continue
        if w.startswith("--workspace="):
            i += 1
            continue
        if "/" in w and not w.startswith("-") and w != ws:
            w = Path(w).name or w
        elif "=" in w and "/" in w.split("=", 1)[1]:
            key, value = w.split("=", 1)
            w = f"{key}={Path(value).name or value}"
        out.append(w)
        i += 1
    text = " ".join(shlex.quote(w) if " " in w else w for w in out)
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


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
