"""`tvgcurate ingest`: read annotation files, probe the videos, commit in one transaction.

The readers (one per source format, the `READERS` registry in `base`) turn files into rows;
this module turns those rows into samples, probes the videos, and commits samples + videos
(+ the media root) in ONE workspace transaction, so a failed or interrupted ingest leaves the
previous version current.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tvgcurate.curation.ingest import timelens
from tvgcurate.curation.ingest.base import (
    READERS,
    Reject,
    SourceFile,
    detect_format,
    infer_source,
    infer_split,
    read_source,
)
from tvgcurate.curation.ingest.custom import parse_map
from tvgcurate.curation.ingest.discover import scan_directory
from tvgcurate.curation.videos import index_media, probe_videos
from tvgcurate.errors import InputError, TvgError
from tvgcurate.keyvalue import setting
from tvgcurate.schemas import conform
from tvgcurate.workspace import Workspace, atomic_write_bytes


@dataclass
class IngestConfig:
    """What `tvgcurate ingest` does."""

    sources: list[Path] = setting(help="Annotation files to ingest.")
    workspace: Path = setting(help="Workspace directory; created when missing.")
    videos: Path | None = setting(None, "Media root holding the video files.")
    format: str = setting("auto", "auto | " + " | ".join(sorted(READERS)))
    split: str | None = setting(None, "Split name; default: from each file name.")
    source: str | None = setting(None, "Dataset name; default: from the format/file name.")
    on_error: str = setting(
        "fail", "fail: stop at the first bad row; skip: write rejects and go on."
    )
    rejects: Path | None = setting(None, "Where skipped rows go (default WS/rejects/).")
    probe_workers: int = setting(4, "Threads probing video files.")
    map: str | None = setting(
        None,
        "--format custom: our field=the file's column, comma-separated, e.g. "
        "query=sentence,start=t0,end=t1,video=vid,duration=len.",
    )
    skipped: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        if self.format != "auto" and self.format not in READERS:
            raise TvgError(
                f"unknown --format {self.format!r}; choose auto or one of: {', '.join(sorted(READERS))}"
            )
        if self.on_error not in ("fail", "skip"):
            raise TvgError(f"--on-error must be 'fail' or 'skip', not {self.on_error!r}")
        if not self.sources:
            raise TvgError("give at least one annotation file to ingest")
        row_split = False  # the file names no split: each row does (--map split=COL)
        if self.format == "custom":
            row_split = "split" in parse_map(self.map)
        elif self.map:
            raise TvgError("--map applies to --format custom; add --format custom")
        files: list[Path] = []
        for p in map(Path, self.sources):
            if p.is_dir():  # the annotation files it holds; the others are reported
                split = self.split or ("per row" if row_split else None)
                found, skipped = scan_directory(p, self.format, split)
                files += found
                self.skipped.update(skipped)
                if not found:
                    raise InputError(p, None, None, "no annotation file tvgcurate knows in it")
            elif p.is_file():
                files.append(p)
            else:
                raise InputError(p, None, None, "no such file or directory")
        self.sources = files
        if self.videos is not None and not Path(self.videos).is_dir():
            raise TvgError(f"--videos {self.videos}: not a directory")


@dataclass
class IngestReport:
    rows_per_file: dict[str, int]
    rejects: int
    rejects_path: Path | None
    samples_version: int | None
    videos_version: int | None
    videos_probed: int
    probe_errors: int
    skipped: dict[str, str] = field(default_factory=dict)  # directory files left out: why
    # TimeLens-Bench source -> what its refinement changed against the original samples
    comparisons: dict[str, dict] = field(default_factory=dict)


def _samples_rows(table: pa.Table, sf: SourceFile) -> pa.Table:
    """The reader's rows with the sample columns. A reader's own per-row ``split`` and
    ``relevance`` columns (the custom format's) win over the file-level split and
    ``relevant``; the sample id ``{source}:{split}:{qid}`` uses the row's split."""
    n = table.num_rows
    have = set(table.column_names)
    split = table.column("split") if "split" in have else pa.repeat(sf.split, n)
    sample_id = pc.binary_join_element_wise(
        pa.scalar(sf.source), split, table.column("source_qid"), ":"
    )
    extra = {
        "sample_id": sample_id,
        "relevance": None if "relevance" in have else pa.repeat("relevant", n),
        "split": None if "split" in have else split,
        "source": pa.repeat(sf.source, n),
        "origin": pa.repeat("source", n),
        "needs_review": pa.repeat(False, n),
        "source_file": pa.repeat(sf.path.name, n),
    }
    for name, col in extra.items():
        if col is not None:
            table = table.append_column(name, col)
    return table


def _check_unique(table: pa.Table, on_error: str, rejects: list[Reject]) -> pa.Table:
    ids = table.column("sample_id")
    if pc.count_distinct(ids).as_py() == len(ids):
        return table
    counts = pc.value_counts(ids)
    dup = {v["values"] for v in counts.to_pylist() if v["counts"] > 1}
    mask = pc.is_in(ids, pa.array(sorted(dup))).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(mask)
    files, lines = table.column("source_file"), table.column("source_line")
    if on_error != "skip":
        first = rows[0]
        same = [r for r in rows if ids[r].as_py() == ids[first].as_py()]
        where = ", ".join(f"{files[r].as_py()}:{lines[r].as_py()}" for r in same[:3])
        raise InputError(
            files[same[-1]].as_py(),
            lines[same[-1]].as_py(),
            "qid",
            f"duplicate sample id {ids[first].as_py()!r} (lines {where})",
        )
    seen: set[str] = set()
    drop = []
    for r in rows.tolist():
        sid = ids[r].as_py()
        if sid in seen:
            drop.append(r)
            rejects.append(
                Reject(files[r].as_py(), lines[r].as_py(), "qid", f"duplicate sample id {sid!r}")
            )
        seen.add(sid)
    keep = np.ones(len(ids), dtype=bool)
    keep[drop] = False
    return table.filter(pa.array(keep))


def _resolve(cfg: IngestConfig) -> list[SourceFile]:
    out = []
    for path in map(Path, cfg.sources):
        fmt = cfg.format if cfg.format != "auto" else detect_format(path)
        meta = READERS.meta(fmt)
        split = cfg.split or infer_split(path) or meta.get("default_split")
        columns = parse_map(cfg.map) if fmt == "custom" else {}
        if split is None and not meta.get("durations_only") and "split" not in columns:
            hint = " or map a split column (--map split=COL)" if fmt == "custom" else ""
            raise InputError(
                path, None, None, f"cannot tell the split from the file name; pass --split{hint}"
            )
        source = cfg.source or meta.get("source") or infer_source(path, default=fmt)
        out.append((fmt, SourceFile(path, split or "", source, cfg.on_error, columns=columns)))
    return out


def _fill_durations(samples: pa.Table, videos: pa.Table) -> pa.Table:
    """Durations missing from the annotations come from the probe; the source is recorded."""
    annotated = samples.column("duration_s")
    origin = pc.if_else(
        pc.is_null(annotated), pa.scalar(None, pa.string()), pa.scalar("annotation")
    )
    if videos.num_rows and annotated.null_count:
        lookup = dict(
            zip(
                videos.column("video_id").to_pylist(),
                videos.column("duration_s").to_pylist(),
                strict=True,
            )
        )
        probed = pa.array(
            [lookup.get(v) for v in samples.column("video_id").to_pylist()], pa.float64()
        )
        filled = pc.coalesce(annotated, probed)
        origin = pc.if_else(
            pc.and_(pc.is_null(annotated), pc.is_valid(probed)), pa.scalar("probe"), origin
        )
        samples = samples.set_column(samples.column_names.index("duration_s"), "duration_s", filled)
    return samples.append_column("duration_source", origin)


def ingest(cfg: IngestConfig) -> IngestReport:
    ws = Workspace(cfg.workspace, create=True)
    resolved = _resolve(cfg)
    durations: dict[str, float] = {}
    for fmt, sf in resolved:
        if READERS.meta(fmt).get("durations_only"):
            durations.update(read_source(fmt, sf).durations)
    tables, rejects, per_file = [], [], {}
    for fmt, sf in resolved:
        if READERS.meta(fmt).get("durations_only"):
            continue
        sf.durations.update(durations)
        result = read_source(fmt, sf)
        rejects.extend(result.rejects)
        per_file[str(sf.path)] = result.table.num_rows
        tables.append(_samples_rows(result.table, sf))
    new = pa.concat_tables(tables, promote_options="default") if tables else None
    if new is None:
        raise TvgError("nothing to ingest: only duration tables were given")
    new = _check_unique(new, cfg.on_error, rejects)

    videos_table = ws.read("videos")
    fresh_videos = videos_table.slice(0, 0)
    probed = 0
    media_root = Path(cfg.videos).resolve() if cfg.videos else None
    if media_root is not None:
        have = set(
            videos_table.filter(pc.is_null(videos_table.column("probe_error")))
            .column("video_id")
            .to_pylist()
        )
        wanted = sorted(set(pc.unique(new.column("video_id")).to_pylist()) - have)
        fresh = probe_videos(wanted, media_root, index_media(media_root), cfg.probe_workers)
        fresh_videos = fresh
        probed = fresh.num_rows
        keep = pc.invert(pc.is_in(videos_table.column("video_id"), fresh.column("video_id")))
        videos_table = pa.concat_tables(
            [videos_table.filter(keep), fresh], promote_options="default"
        )
    new = _fill_durations(new, videos_table)

    def merge_samples(old: pa.Table) -> pa.Table:  # a keyed update: replayable on a newer one
        if old.num_rows:
            old = old.filter(pc.invert(pc.is_in(old.column("sample_id"), new.column("sample_id"))))
        return pa.concat_tables(
            [conform("samples", old), conform("samples", new)], promote_options="default"
        )

    def merge_videos(old: pa.Table) -> pa.Table:
        if not fresh_videos.num_rows:
            return old
        keep = pc.invert(pc.is_in(old.column("video_id"), fresh_videos.column("video_id")))
        return pa.concat_tables([old.filter(keep), fresh_videos], promote_options="default")

    merged = merge_samples(ws.read("samples"))
    rejects_path = _write_rejects(ws, cfg, rejects) if rejects else None
    with ws.transaction(reads=ws.inputs("samples", "videos")) as tx:
        tx.write("samples", merged, note=f"ingest {len(per_file)} file(s)", rebase=merge_samples)
        if media_root is not None:
            tx.write("videos", videos_table, note=f"probe {probed} video(s)", rebase=merge_videos)
            tx.set_meta("media_root", str(media_root))
    ok = videos_table.column("probe_error").null_count
    return IngestReport(
        rows_per_file=per_file,
        rejects=len(rejects),
        rejects_path=rejects_path,
        samples_version=ws.current("samples").version,
        videos_version=ws.current("videos").version if ws.has("videos") else None,
        videos_probed=probed,
        probe_errors=videos_table.num_rows - ok,
        skipped=dict(cfg.skipped),
        comparisons=timelens.comparisons(ws, {sf.source for _, sf in resolved}),
    )


def _write_rejects(ws: Workspace, cfg: IngestConfig, rejects: list[Reject]) -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    path = Path(cfg.rejects) if cfg.rejects else ws.root / "rejects" / f"ingest-{stamp}.jsonl"
    lines = [
        json.dumps(
            {"file": r.path, "line": r.line, "field": r.field, "reason": r.reason, "raw": r.raw},
            ensure_ascii=False,
        )
        for r in rejects
    ]
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode("utf-8"))
    return path
