"""`tvgcurate keyframes`: SAA keyframes (change scores, boundaries, token budgets) per video."""

from __future__ import annotations

from pathlib import Path

from tvgcurate.cli.app import app
from tvgcurate.cli.options import ConfigOptions, WorkspaceOpt
from tvgcurate.curation.keyframes.boundaries import DETECTORS
from tvgcurate.curation.keyframes.budget import POLICIES
from tvgcurate.curation.keyframes.decode import DECODERS
from tvgcurate.curation.keyframes.run import KeyframesConfig
from tvgcurate.executors.base import EXECUTORS

KF = ConfigOptions("keyframes", KeyframesConfig)


@app.command(
    epilog="Example: tvgcurate keyframes --workspace ws --policy adaptive --executor process --workers 2",
)
def keyframes(
    workspace: WorkspaceOpt,
    policy: str = KF.option("policy", choices=POLICIES),
    sample_fps: float = KF.option("sample_fps"),
    budget_tokens: int = KF.option(
        "budget_tokens", help="Visual tokens per video (28x28 px each)."
    ),
    min_tokens: int = KF.option("min_tokens"),
    max_tokens: int = KF.option("max_tokens"),
    executor: str = KF.option("executor", choices=EXECUTORS),
    workers: int | None = KF.option("workers"),
    cache_frames: bool = KF.option("cache_frames"),
    media_root: Path | None = KF.option("media_root"),
    decoder: str = KF.option("decoder", choices=DECODERS),
    detector: str = KF.option("detector", choices=DETECTORS),
    detector_threshold: float | None = KF.option("detector_threshold"),
    boundary_boost: float = KF.option("boundary_boost"),
    score_width: int = KF.option("score_width"),
    shard_size: int = KF.option("shard_size"),
    ray_address: str | None = KF.option("ray_address"),
    progress: bool = KF.option("progress"),
) -> None:
    """Sample frames, score content change, mark shot boundaries and split a visual-token budget
    (SAA). Writes table `keyframes` (one row per sampled frame); finished videos are kept in
    the workspace's scratch, so an interrupted run resumes where it stopped."""
    from tvgcurate.cli.console import console
    from tvgcurate.curation.keyframes.run import run_keyframes

    cfg = KF.build(locals())
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
