"""`tvgcurate export`: a samples version in a format trainers and evaluators read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.options import SplitOpt, VersionOpt, WorkspaceOpt


@app.command(
    epilog="Example: tvgcurate export --workspace ws --format qvhighlights --split val --out val.jsonl"
)
def export(
    workspace: WorkspaceOpt,
    format: Annotated[str, typer.Option("--format", help="Output format, e.g. qvhighlights.")],
    out: Annotated[Path, typer.Option(help="Output file or directory.")],
    split: SplitOpt = None,
    source: Annotated[
        str | None, typer.Option(help="Only this dataset (e.g. qvhighlights).")
    ] = None,
    version: VersionOpt = None,
    relevance: Annotated[
        list[str] | None, typer.Option(help="Keep only these relevance values (repeatable).")
    ] = None,
    include_irrelevant: Annotated[bool, typer.Option(help="Keep irrelevant/partial rows.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output.")] = False,
) -> None:
    """Export samples (one split, one version) in a registered format."""
    from tvgcurate.cli.console import console
    from tvgcurate.exporters import ExportConfig
    from tvgcurate.exporters import export as run

    cfg = ExportConfig(
        workspace=workspace,
        format=format,
        out=out,
        split=split,
        source=source,
        version=version,
        relevance=relevance,
        include_irrelevant=include_irrelevant,
        overwrite=overwrite,
    )
    n = run(cfg)
    console.print(f"wrote {n} record(s) as {format} to {out}")
