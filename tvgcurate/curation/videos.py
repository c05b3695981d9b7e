"""Probe video files for the videos table: decord first, PyAV as the fallback.

A missing or unreadable file becomes a row with `probe_error` set; probing never raises.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa

from tvgcurate.schemas import VIDEOS

VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".avi", ".mov", ".m4v")


def index_media(root: Path) -> dict[str, str]:
    """video id (file stem) -> path relative to `root`, for every video file below it."""
    out: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file():
            out.setdefault(p.stem, str(p.relative_to(root)))
    return out


def _codec(path: Path) -> str | None:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return stream.codec_context.name


def _probe_decord(path: Path) -> dict:
    import decord

    vr = decord.VideoReader(str(path), num_threads=1)
    n = len(vr)
    fps = float(vr.get_avg_fps())
    h, w = vr[0].shape[:2]
    return {
        "duration_s": n / fps if fps else None,
        "fps": fps,
        "num_frames": n,
        "width": w,
        "height": h,
    }


def _probe_av(path: Path) -> dict:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate) if stream.average_rate else None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        else:
            duration = None
        frames = stream.frames or (round(duration * fps) if duration and fps else None)
        first = next(container.decode(stream), None)
        if first is None:
            raise ValueError("no decodable video frame")
        return {
            "duration_s": duration,
            "fps": fps,
            "num_frames": frames,
            "width": first.width,
            "height": first.height,
        }


def probe(path: Path) -> dict:
    """Duration, fps, frame count, size and codec of one file; `probe_error` on failure."""
    row: dict = {"probe_error": None, "codec": None}
    if not path.is_file():
        row["probe_error"] = f"file not found: {path}"
        return row
    errors = []
    for name, fn in (("decord", _probe_decord), ("pyav", _probe_av)):
        try:
            row.update(fn(path))
            break
        except Exception as exc:  # noqa: BLE001 - any decoder failure is data here
            errors.append(
                f"{name}: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}"
            )
    else:
        row["probe_error"] = "; ".join(errors)
        return row
    try:
        row["codec"] = _codec(path)
    except Exception:  # noqa: BLE001 - codec is informative only
        row["codec"] = None
    return row


def probe_videos(
    video_ids: Iterable[str], media_root: Path, index: dict[str, str], workers: int = 4
) -> pa.Table:
    """Probe each video id's file under `media_root`; ids without a file get a probe_error."""
    from rich.progress import Progress

    ids = list(video_ids)

    def one(vid: str) -> dict:
        rel = index.get(vid)
        if rel is None:
            return {
                "video_id": vid,
                "path": None,
                "probe_error": f"no video file named {vid}.* under {media_root}",
            }
        return {"video_id": vid, "path": rel, **probe(media_root / rel)}

    rows = []
    with Progress(transient=True) as progress, ThreadPoolExecutor(max_workers=workers) as pool:
        task = progress.add_task("probing videos", total=len(ids))
        for row in pool.map(one, ids):
            rows.append(row)
            progress.advance(task)
    return pa.Table.from_pylist(rows, schema=VIDEOS)
