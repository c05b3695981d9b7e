"""`tvgcurate export`: a samples version in a format trainers and evaluators read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.options import SplitOpt, VersionOpt, WorkspaceOpt
from tvgcurate.exporters import format_help


def _parse_opts(values: list[str] | None) -> dict[str, str]:
    from tvgcurate.keyvalue import parse

    return parse(values, "--opt", "newlines=space", typed=False, dashes_to_underscores=True)


@app.command(
    epilog=(
        "Example: tvgcurate export --workspace ws --format qvhighlights --split val --out val.jsonl"
        "\n\nFormats and their --opt options:\n\n" + format_help().replace("\n", "\n\n")
    )
)
def export(
    workspace: WorkspaceOpt,
    format: Annotated[
        str, typer.Option("--format", help="Output format (listed below), e.g. qvhighlights.")
    ],
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
    opt: Annotated[
        list[str] | None,
        typer.Option("--opt", help="A format option KEY=VALUE (repeatable; listed below)."),
    ] = None,
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
        options=_parse_opts(opt),
    )
    res = run(cfg)
    console.print(
        f"wrote {res.written} record(s) as {format} to {res.out} (samples v{res.samples_version})"
    )
    for f in res.files:
        console.print(f"  also wrote {f}")
    for note in res.notes:
        console.print(f"  {note}")
    if res.skipped:
        console.print(f"[yellow]{len(res.skipped)} sample(s) left out[/], e.g.:")
        for sid, why in list(res.skipped.items())[:3]:
            console.print(f"  {sid}: {why}")
