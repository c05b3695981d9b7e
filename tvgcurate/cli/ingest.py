"""`tvgcurate ingest`: annotation files -> the samples (and videos) tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.options import WorkspaceOpt


@app.command(
    epilog="Example: tvgcurate ingest data/highlight_val_release.jsonl --workspace ws --videos media/",
)
def ingest(
    sources: Annotated[
        list[Path], typer.Argument(help="Annotation files (jsonl, txt, json, Charades csv).")
    ],
    workspace: WorkspaceOpt,
    videos: Annotated[
        Path | None, typer.Option(help="Media root with the video files; probes them.")
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format", help="auto | qvhighlights | qvh-lines | charades-sta | activitynet"
        ),
    ] = "auto",
    split: Annotated[
        str | None, typer.Option(help="Split name (default: from the file name).")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Dataset name (default: from format / file name).")
    ] = None,
    on_error: Annotated[
        str, typer.Option("--on-error", help="fail (exit 2 at the first bad row) | skip")
    ] = "fail",
    rejects: Annotated[Path | None, typer.Option(help="Rejects file for --on-error skip.")] = None,
) -> None:
    """Ingest QVHighlights, Charades-STA, ActivityNet Captions or QVH-line files into a workspace."""
    from tvgcurate.cli.console import console
    from tvgcurate.curation.ingest import IngestConfig
    from tvgcurate.curation.ingest import ingest as run

    cfg = IngestConfig(
        sources=sources,
        workspace=workspace,
        videos=videos,
        format=format,
        split=split,
        source=source,
        on_error=on_error,
        rejects=rejects,
    )
    report = run(cfg)
    for path, n in report.rows_per_file.items():
        console.print(f"ingested [bold]{n}[/] rows from {path}")
    if report.rejects:
        console.print(
            f"[yellow]skipped {report.rejects} bad row(s)[/]; reasons in {report.rejects_path}"
        )
    if videos is not None:
        console.print(
            f"probed {report.videos_probed} video(s); {report.probe_errors} with a probe_error "
            f"(videos v{report.videos_version})"
        )
    console.print(f"samples is now v{report.samples_version} in {workspace}")
