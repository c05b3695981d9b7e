"""`tvgcurate keyframes`: the SAA stage over every video of the workspace."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tvgcurate import executors, schemas
from tvgcurate.curation.keyframes import boundaries, budget, decode
from tvgcurate.curation.keyframes.stage import FRAMES_SCHEMA, SHARD_SCHEMA, KeyframesStage
from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import setting
from tvgcurate.registry import UnknownChoiceError
from tvgcurate.schemas.constants import DEFAULT_BUDGET_TOKENS
from tvgcurate.workspace import Workspace

ROW_GROUP = 65_536
FRAMES_SHARD_VIDEOS = 256  # videos per shard of the `frames` table


@dataclass
class KeyframesConfig:
    workspace: Path = setting(help="Workspace directory holding a `videos` table.")
    policy: str = setting("adaptive", "Budget policy.")
    sample_fps: float = setting(2.0, "Candidate frames per second.")
    budget_tokens: int = setting(DEFAULT_BUDGET_TOKENS, "Visual tokens per video.")
    min_tokens: int = setting(16, "Minimum tokens of a kept frame.")
    max_tokens: int = setting(768, "Maximum tokens of one frame.")
    executor: str = setting("local", "How shards run.")
    workers: int | None = setting(None, "Processes / Ray CPUs.")
    cache_frames: bool = setting(False, "Also store the resized frames (JPEG) as table `frames`.")
    media_root: Path | None = setting(
        None, "Root of `videos.path` (default: the one ingest recorded)."
    )
    decoder: str = setting("auto", "Frame decoder.")
    detector: str = setting("histogram", "Shot-boundary detector.")
    detector_threshold: float | None = setting(
        None, "Detector threshold (scenedetect's default when unset)."
    )
    boundary_boost: float = setting(1.0, "Weight added on boundary frames (half on neighbours).")
    score_width: int = setting(160, "Width of the frames scored (px).")
    shard_size: int = setting(1, "Videos per shard (resume unit).")
    ray_address: str | None = setting(None, "Ray cluster address.")
    progress: bool = setting(True, "Show a progress bar.")

    def __post_init__(self) -> None:
        for flag, registry in (
            ("policy", budget.POLICIES),
            ("decoder", decode.DECODERS),
            ("detector", boundaries.DETECTORS),
            ("executor", executors.EXECUTORS),
        ):
            try:
                registry.get(getattr(self, flag))
            except UnknownChoiceError as exc:
                raise TvgError(f"--{flag} {getattr(self, flag)}: {exc}") from None
        if not self.sample_fps > 0:
            raise TvgError("--sample-fps must be > 0 (e.g. 2)")
        if self.min_tokens < 1:
            raise TvgError("--min-tokens must be >= 1 (e.g. 16)")
        if self.max_tokens < self.min_tokens:
            raise TvgError("--max-tokens must be >= --min-tokens")
        if self.budget_tokens < self.min_tokens:
            raise TvgError(
                f"--budget-tokens must be >= --min-tokens (e.g. {DEFAULT_BUDGET_TOKENS})"
            )
        if self.workers is not None and self.workers < 1:
            raise TvgError("--workers must be >= 1")
        if self.score_width < 16:
            raise TvgError("--score-width must be >= 16 (e.g. 160)")

    def stage(self, media_root: str | None) -> KeyframesStage:
        return KeyframesStage(
            media_root=media_root,
            sample_fps=self.sample_fps,
            policy=self.policy,
            budget_tokens=self.budget_tokens,
            min_tokens=self.min_tokens,
            max_tokens=self.max_tokens,
            decoder=self.decoder,
            detector=self.detector,
            detector_threshold=self.detector_threshold,
            boundary_boost=self.boundary_boost,
            score_width=self.score_width,
            cache_frames=self.cache_frames,
        )


@dataclass
class KeyframesResult:
    version: int
    rows: int
    videos: int
    failed_videos: int
    skipped_shards: int
    computed_shards: int
    frames_version: int | None = None
    failed_shards: list[str] = field(default_factory=list)
    scratch: Path | None = None


def media_root_of(ws: Workspace, override: Path | None) -> str | None:
    if override is not None:
        if not Path(override).is_dir():
            raise TvgError(f"--media-root {override}: not a directory")
        return str(Path(override).resolve())
    root = ws.manifest().get("media_root")
    if not root:
        return None
    path = Path(root)
    return str(path if path.is_absolute() else (ws.root / path).resolve())


def write_frames(w, tables, videos_per_shard: int = FRAMES_SHARD_VIDEOS) -> None:
    """The `frames` table as shards of `videos_per_shard` videos, one row group per video, so
    that training reads one video's frames without reading a shard whole."""
    videos = 0
    for t in tables:
        t = t.filter(pc.is_valid(t.column("image")))
        fr = t.select([f.name for f in FRAMES_SCHEMA if f.name != "format"])
        fr = fr.append_column("format", pa.array(["jpeg"] * fr.num_rows, pa.string()))
        fr = fr.cast(FRAMES_SCHEMA)
        ids = fr.column("video_id")
        for vid in pc.unique(ids).to_pylist():
            if videos and videos % videos_per_shard == 0:
                w.new_shard()
            w.write_table(fr.filter(pc.equal(ids, vid)))
            videos += 1


def run_keyframes(cfg: KeyframesConfig) -> KeyframesResult:
    ws = Workspace(cfg.workspace)
    videos_tv = ws.current("videos")
    if videos_tv is None or videos_tv.rows == 0:
        raise TvgError(f"{cfg.workspace}: no `videos` table; run `tvgcurate ingest` first")
    videos = ws.read("videos", videos_tv.version)
    root = media_root_of(ws, cfg.media_root)
    paths = videos.column("path").to_pylist()
    if root is None and any(p and not Path(p).is_absolute() for p in paths):
        raise TvgError(
            f"{cfg.workspace}: videos.path is relative and the workspace records no media "
            "root; pass --media-root DIR (the --videos directory given to ingest)"
        )
    keep = [c for c in videos.column_names if c in schemas.VIDEOS.names]
    items = sorted(videos.select(keep).to_pylist(), key=lambda r: str(r["video_id"]))
    stage = cfg.stage(root)
    key = executors.run_key("keyframes", dataclasses.asdict(stage), videos_tv.sha256)
    scratch = ws.scratch("keyframes", key)
    shards = executors.shard_items(items, cfg.shard_size)
    with executors.get_executor(cfg.executor, cfg.workers, cfg.ray_address) as ex:
        report = executors.run_shards(stage, shards, scratch, ex, progress=cfg.progress)

    core = [f.name for f in schemas.KEYFRAMES]
    extra = ["sample_index", "weight", "policy", "decoder"]
    note = f"policy={cfg.policy} budget={cfg.budget_tokens} sample_fps={cfg.sample_fps}"
    rows = failed = 0
    frames_version = None
    kf_schema = pa.schema([SHARD_SCHEMA.field(n) for n in core + extra])
    with ws.writer("keyframes", kf_schema, note=note, reads=ws.inputs("videos")) as w:
        pending: list[pa.Table] = []
        for t in executors.iter_shard_tables(report.files):
            out = schemas.conform("keyframes", t.select(core + extra)).cast(kf_schema)
            pending.append(out)
            rows += out.num_rows
            failed += pc.sum(pc.is_valid(out.column("error"))).as_py() or 0
            if sum(p.num_rows for p in pending) >= ROW_GROUP:  # few, large row groups
                w.write_table(pa.concat_tables(pending))
                pending.clear()
        if pending:
            w.write_table(pa.concat_tables(pending))
    if cfg.cache_frames:
        with ws.sharded_writer("frames", FRAMES_SCHEMA, note=note, reads=ws.inputs("videos")) as w:
            write_frames(w, executors.iter_shard_tables(report.files))
        frames_version = ws.current("frames").version
    tv = ws.current("keyframes")
    return KeyframesResult(
        version=tv.version,
        rows=rows,
        videos=len(items),
        failed_videos=failed,
        skipped_shards=report.skipped,
        computed_shards=report.computed,
        frames_version=frames_version,
        failed_shards=report.failed,
        scratch=scratch,
    )
