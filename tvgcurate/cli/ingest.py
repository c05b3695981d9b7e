"""`tvgcurate ingest`: annotation files (or directories of them) -> the samples (and videos)
tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.options import ConfigOptions, WorkspaceOpt
from tvgcurate.curation.ingest.run import IngestConfig

ING = ConfigOptions(
    "ingest",
    IngestConfig,
    skip={"skipped": "filled from the directories given (not an option)"},
)


@app.command(
    epilog=(
        "Examples: tvgcurate ingest data/highlight_val_release.jsonl --workspace ws --videos "
        "media/  |  tvgcurate ingest data/ -w ws  |  tvgcurate ingest ann.csv -w ws --format "
        "custom --map query=sentence,start=t0,end=t1,video=vid,duration=len --split val"
    ),
)
def ingest(
    sources: Annotated[
        list[Path],
        typer.Argument(
            help="Annotation files (jsonl, txt, json, csv, parquet) or directories holding "
            "them (the files a reader knows are taken; the others are listed as skipped)."
        ),
    ],
    workspace: WorkspaceOpt,
    videos: Path | None = ING.option(
        "videos", help="Media root with the video files; probes them."
    ),
    format: str = ING.option("format", "--format"),
    map: str | None = ING.option("map", "--map"),
    split: str | None = ING.option("split"),
    source: str | None = ING.option("source"),
    on_error: str = ING.option("on_error", "--on-error"),
    rejects: Path | None = ING.option("rejects"),
    probe_workers: int = ING.option("probe_workers"),
) -> None:
    """Ingest QVHighlights, Charades-STA, ActivityNet Captions, QVH-line (Lighthouse: TACoS,
    DiDeMo, ...), TimeLens-Bench or custom-column files into a workspace."""
    from tvgcurate.cli.console import console, safe
    from tvgcurate.curation.ingest import ingest as run

    cfg = ING.build(locals())
    report = run(cfg)
    for path, why in report.skipped.items():
        console.print(f"[dim]skipped {safe(path)}: {safe(why)}[/]")
    for path, n in report.rows_per_file.items():
        console.print(f"ingested [bold]{n}[/] rows from {safe(path)}")
    if report.rejects:
        console.print(
            f"[yellow]skipped {report.rejects} bad row(s)[/]; reasons in {report.rejects_path}"
        )
    if videos is not None:
        console.print(
            f"probed {report.videos_probed} video(s); {report.probe_errors} with a probe_error "
            f"(videos v{report.videos_version})"
        )
    for refined, c in report.comparisons.items():
        shift = c["boundary_shift"]
        console.print(
            f"{refined} against {c['original']}: {c['paired']} of {c['refined_samples']} paired "
            f"({c['matched_by_query']} by query); windows changed {c['windows_changed']}, "
            f"queries rewritten {c['queries_rewritten']}; boundaries moved mean "
            f"{shift['mean_s']:.2f} s, p90 {shift['p90_s']:.2f} s"
        )
    console.print(f"samples is now v{report.samples_version} in {safe(workspace)}")
