"""`tvgcurate keyframes`: SAA keyframes (change scores, boundaries, token budgets) per video."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.options import WorkspaceOpt


@app.command(
    epilog="Example: tvgcurate keyframes --workspace ws --policy adaptive --executor process --workers 2",
)
def keyframes(
    workspace: WorkspaceOpt,
    policy: Annotated[str, typer.Option(help="Budget policy: adaptive | uniform.")] = "adaptive",
    sample_fps: Annotated[float, typer.Option(help="Candidate frames per second.")] = 2.0,
    budget_tokens: Annotated[
        int, typer.Option(help="Visual tokens per video (a token is 28x28 px).")
    ] = 3584,
    min_tokens: Annotated[int, typer.Option(help="Minimum tokens of a kept frame.")] = 16,
    max_tokens: Annotated[int, typer.Option(help="Maximum tokens of one frame.")] = 768,
    executor: Annotated[str, typer.Option(help="local | process | ray.")] = "local",
    workers: Annotated[
        int | None, typer.Option(help="Worker processes / Ray CPUs (default: cores, max 8).")
    ] = None,
    cache_frames: Annotated[
        bool, typer.Option(help="Also store the resized frames as JPEG in table `frames`.")
    ] = False,
    media_root: Annotated[
        Path | None,
        typer.Option(help="Directory `videos.path` is relative to (default: recorded by ingest)."),
    ] = None,
    decoder: Annotated[str, typer.Option(help="auto | pyav | decord.")] = "auto",
    detector: Annotated[
        str,
        typer.Option(help="scenedetect detector: histogram | content | adaptive | hash | none."),
    ] = "histogram",
    boundary_boost: Annotated[
        float, typer.Option(help="Weight added on boundary frames (half on neighbours).")
    ] = 1.0,
    shard_size: Annotated[int, typer.Option(help="Videos per shard (the resume unit).")] = 1,
    ray_address: Annotated[
        str | None, typer.Option(help="Ray cluster address (default: RAY_ADDRESS, else local).")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Sample frames, score content change, mark shot boundaries and split a visual-token budget
    (SAA). Writes table `keyframes` (one row per sampled frame); finished videos are kept in
    the workspace's scratch, so an interrupted run resumes where it stopped."""
    from tvgcurate.cli.console import console
    from tvgcurate.curation.keyframes.run import KeyframesConfig, run_keyframes

    cfg = KeyframesConfig(
        workspace=workspace,
        policy=policy,
        sample_fps=sample_fps,
        budget_tokens=budget_tokens,
        min_tokens=min_tokens,
        max_tokens=max_tokens,
        executor=executor,
        workers=workers,
        cache_frames=cache_frames,
        media_root=media_root,
        decoder=decoder,
        detector=detector,
        boundary_boost=boundary_boost,
        shard_size=shard_size,
        ray_address=ray_address,
        progress=progress,
    )
    res = run_keyframes(cfg)
    console.print(
        f"keyframes v{res.version}: {res.rows} rows for {res.videos} video(s); "
        f"{res.computed_shards} shard(s) computed, {res.skipped_shards} reused"
    )
    if res.failed_videos:
        console.print(
            f"[yellow]{res.failed_videos} video(s) failed[/]; see the `error` column of keyframes"
        )
    if res.failed_shards:
        console.print(f"[yellow]{len(res.failed_shards)} shard(s) crashed and will be retried[/]")
    if res.frames_version is not None:
        console.print(f"frames v{res.frames_version}: resized frames cached")
