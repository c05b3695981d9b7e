"""`tvgcurate demo-data`: synthetic videos with known content, annotated in native formats."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.console import console


@app.command(
    "demo-data",
    epilog=(
        "Example: tvgcurate demo-data --out demo --num-videos 12 --seed 0 --plant-errors\n\n"
        "Larger videos for benchmarks: tvgcurate demo-data --out big --width 640 --height 360 --fps 30"
    ),
)
def demo_data(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
    num_videos: Annotated[
        int, typer.Option(help="Number of videos (round robin over the 3 datasets).")
    ] = 12,
    seed: Annotated[
        int, typer.Option(help="Random seed (output is deterministic for a seed).")
    ] = 0,
    plant_errors: Annotated[
        bool,
        typer.Option(
            "--plant-errors", help="Plant annotation errors, listed in ground_truth.json."
        ),
    ] = False,
    error_rate: Annotated[
        float,
        typer.Option(help="Share of samples with a planted error (every kind at least once)."),
    ] = 0.2,
    width: Annotated[int, typer.Option(help="Frame width (even).")] = 320,
    height: Annotated[int, typer.Option(help="Frame height (multiple of 4).")] = 240,
    fps: Annotated[int, typer.Option(help="Frames per second.")] = 24,
    min_duration: Annotated[int, typer.Option(help="Shortest video (s).")] = 20,
    max_duration: Annotated[int, typer.Option(help="Longest video (s).")] = 60,
    min_shapes: Annotated[int, typer.Option(help="Fewest shapes per video.")] = 1,
    max_shapes: Annotated[
        int, typer.Option(help="Most shapes per video (1: one shape per video).")
    ] = 3,
    queries_per_shape: Annotated[
        int, typer.Option(help="Differently worded queries per shape.")
    ] = 3,
    videos: Annotated[
        bool,
        typer.Option(
            "--videos/--no-videos", help="Render the MP4s (--no-videos: annotations only)."
        ),
    ] = True,
) -> None:
    """Write demo videos (H.264 MP4: scene cuts + moving coloured shapes) with QVHighlights,
    Charades-STA and ActivityNet Captions annotations in their native formats, plus
    ground_truth.json (cuts, shape intervals, sample ids, planted errors)."""
    from tvgcurate.demo.data import DemoConfig, generate

    cfg = DemoConfig(
        out=out, num_videos=num_videos, seed=seed, plant_errors=plant_errors,
        error_rate=error_rate, width=width, height=height, fps=fps,
        min_duration=min_duration, max_duration=max_duration, min_shapes=min_shapes,
        max_shapes=max_shapes, queries_per_shape=queries_per_shape, write_videos=videos,
    )  # fmt: skip
    res = generate(cfg)
    console.print(
        f"wrote {len(res.specs)} videos, {res.num_samples} samples "
        f"({len(res.planted)} with planted errors) to {res.out} in {res.seconds:.1f} s"
    )
    console.print(
        f"next: tvgcurate ingest {res.out}/qvhighlights/*.jsonl {res.out}/charades/*.txt "
        f"{res.out}/activitynet/*.json --workspace WS --videos {res.out}/videos",
        soft_wrap=True,
    )
