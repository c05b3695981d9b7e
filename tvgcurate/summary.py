"""Workspace summaries for `tvgcurate info` (rich tables computed with Arrow)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from rich.console import Console
from rich.table import Column, Table

from tvgcurate.workspace import Workspace


def _duration_stats(col: pa.ChunkedArray) -> str:
    if len(col) == col.null_count:
        return "-"
    q = pc.quantile(col, q=[0.0, 0.5, 1.0], skip_nulls=True).to_pylist()
    return f"{q[0]:.1f} / {q[1]:.1f} / {q[2]:.1f}"


def _num(header: str) -> Column:
    return Column(header, justify="right", no_wrap=True)


def render_summary(root: Path, console: Console, table: Callable[..., Table] | None = None) -> None:
    """Print the workspace's tables and its samples by source / split / relevance. `table`
    makes each table from headers or rich `Column`s and a title: the CLI passes
    `tvgcurate.cli.console.table` (one-line cells cut with "…" to fit the console); rich's
    `Table` when None."""
    table = table or Table
    ws = Workspace(root)
    tables = table("table", "version", _num("rows"), "made by", title=f"workspace {root}")
    for name in ws.tables():
        tv = ws.current(name)
        if tv is not None:
            tables.add_row(name, f"v{tv.version}", str(tv.rows), tv.command)
    console.print(tables)

    samples = ws.read(
        "samples", columns=["split", "source", "relevance", "duration_s", "video_id", "origin"]
    )
    if samples.num_rows:
        groups = (
            samples.group_by(["source", "split", "relevance"])
            .aggregate(
                [
                    ("video_id", "count_distinct"),
                    ("duration_s", "min"),
                    ("duration_s", "approximate_median"),
                    ("duration_s", "max"),
                    ("split", "count"),
                ]
            )
            .sort_by([("source", "ascending"), ("split", "ascending"), ("relevance", "ascending")])
        )
        out = table(
            "source", "split", "relevance", _num("samples"), _num("videos"),
            _num("duration s min/med/max"),
            title="samples by source / split / relevance",
        )  # fmt: skip
        for row in groups.to_pylist():
            dur = "-"
            if row["duration_s_min"] is not None:
                dur = f"{row['duration_s_min']:.1f} / {row['duration_s_approximate_median']:.1f} / {row['duration_s_max']:.1f}"
            out.add_row(
                row["source"],
                row["split"],
                row["relevance"],
                str(row["split_count"]),
                str(row["video_id_count_distinct"]),
                dur,
            )
        console.print(out)
        origins = samples.group_by("origin").aggregate([("origin", "count")]).to_pylist()
        console.print(
            "origins: " + ", ".join(f"{o['origin']}={o['origin_count']}" for o in origins)
        )

    videos = ws.read("videos")
    if videos.num_rows:
        errors = videos.num_rows - videos.column("probe_error").null_count
        console.print(
            f"videos: {videos.num_rows} ({errors} with probe errors); "
            f"duration s min/median/max {_duration_stats(videos.column('duration_s'))}"
        )
