"""Options shared by several commands, as Annotated aliases (huggingface_hub's habit)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

WorkspaceOpt = Annotated[
    Path,
    typer.Option("--workspace", "-w", help="Workspace directory (created by `ingest`)."),
]
SplitOpt = Annotated[
    str | None, typer.Option("--split", help="Only this split (train, val, test, ...).")
]
VersionOpt = Annotated[
    int | None, typer.Option("--version", help="Table version to read (default: current).")
]
