"""ActivityNet Captions native json: `{video_id: {duration, timestamps, sentences}}`.

What the format carries: per video its duration, and per sentence one `[start, end]`
window. Sentences keep their text exactly (ActivityNet's leading spaces too; JSON escapes
quotes, newlines and non-ASCII). Videos appear in the order of their first sample; inside
a video, ActivityNet samples keep their sentence index (qid `<video_id>#<i>`), so a native
file read by ingest and exported again is the same JSON. A sample with several windows
becomes one sentence per window; irrelevant rows have no place and cannot be exported.
A video needs a duration: from the samples, else from the `videos` table (ingest probes).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from tvgcurate.errors import TvgError
from tvgcurate.exporters.base import ExportContext, Exporter, present_columns, register
from tvgcurate.workspace import Workspace


def _sentence_index(row: dict) -> int | None:
    if row.get("source") != "activitynet":
        return None
    qid = row.get("source_qid") or ""
    vid, _, idx = qid.rpartition("#")
    return int(idx) if vid == row["video_id"] and idx.isdigit() else None


def _probed_durations(ctx: ExportContext) -> dict[str, float]:
    if ctx.workspace is None:
        return {}
    videos = Workspace(ctx.workspace).read("videos", columns=["video_id", "duration_s"])
    return {
        v: d
        for v, d in zip(
            videos.column("video_id").to_pylist(),
            videos.column("duration_s").to_pylist(),
            strict=True,
        )
        if d is not None
    }


@register("activitynet")
class ActivityNetExporter(Exporter):
    """json keyed by video id with duration, timestamps and sentences."""

    carries_irrelevant = False

    def write(self, samples: pa.Table, out: Path, ctx: ExportContext) -> int:
        cols = ("sample_id", "video_id", "query", "windows", "duration_s", "source", "source_qid")
        by_video: dict[str, list[dict]] = {}
        for row in present_columns(samples, cols).to_pylist():
            by_video.setdefault(row["video_id"], []).append(row)
        probed: dict[str, float] | None = None
        data: dict[str, dict] = {}
        n = 0
        for vid, rows in by_video.items():
            keyed = [(_sentence_index(r), i, r) for i, r in enumerate(rows)]
            if all(k is not None for k, _, _ in keyed):
                keyed.sort(key=lambda t: (t[0], t[1]))
            duration = next((r["duration_s"] for r in rows if r["duration_s"] is not None), None)
            if duration is None:
                probed = _probed_durations(ctx) if probed is None else probed
                duration = probed.get(vid)
            if duration is None:
                raise TvgError(
                    f"video {vid!r} has no duration (ActivityNet needs one); ingest with "
                    "--videos DIR so that it is probed"
                )
            timestamps, sentences = [], []
            for _, _, r in keyed:
                for w in r["windows"] or []:
                    timestamps.append([w["start"], w["end"]])
                    sentences.append(r["query"])
            if not sentences:
                continue
            data[vid] = {"duration": duration, "timestamps": timestamps, "sentences": sentences}
            n += len(sentences)
        with open(out, "w", encoding="utf-8", newline="\n") as fh:
            json.dump(data, fh)  # ASCII escapes, as the release files
        return n
