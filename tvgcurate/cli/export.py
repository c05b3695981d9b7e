"""`tvgcurate export`: a samples version in a format trainers and evaluators read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.options import ConfigOptions, SplitOpt, VersionOpt, WorkspaceOpt
from tvgcurate.exporters import EXPORTERS, ExportConfig, format_help

EXPORT = ConfigOptions("export", ExportConfig, skip={"options": "parsed from --opt KEY=VALUE"})


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
    format: str = EXPORT.option(
        "format", "--format", help="Output format (described below).", choices=EXPORTERS
    ),
    out: Path = EXPORT.option("out"),
    split: SplitOpt = None,
    source: str | None = EXPORT.option("source", help="Only this dataset (e.g. qvhighlights)."),
    version: VersionOpt = None,
    relevance: list[str] | None = EXPORT.option(
        "relevance", help="Keep only these relevance values (repeatable)."
    ),
    include_irrelevant: bool = EXPORT.option("include_irrelevant"),
    opt: Annotated[
        list[str] | None,
        typer.Option("--opt", help="A format option KEY=VALUE (repeatable; listed below)."),
    ] = None,
    overwrite: bool = EXPORT.option("overwrite"),
) -> None:
    """Export samples (one split, one version) in a registered format."""
    from tvgcurate.cli.console import console, table
    from tvgcurate.exporters import export as run

    cfg = EXPORT.build(locals(), options=_parse_opts(opt))
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
        left_out = table("sample_id", "why")
        for sid, why in list(res.skipped.items())[:3]:
            left_out.add_row(sid, why)
        console.print(left_out)
