"""Time-R1 and TimeZero training annotations (JSON, relevant rows with a window only).

`layout=time-r1` (default), the list of xiaomi-research/time-r1's `train_2k5.json`::

    [{"video": "/abs/vid0.mp4", "duration": 4.0, "timestamp": [0.5, 2.75],
      "sentence": "...", "qid": "qvhighlights:val:2579", "video_start": null, "video_end": null}]

`layout=timezero`, the per-video dict of TimeZero's (www-Ye/Time-R1) `charades_annotation/train.json`,
which its `preprocess_dataset.py` reads (`video_folder/<video id>.mp4` is looked up by key)::

    {"vid0": {"duration": 4.0, "timestamps": [[0.5, 2.75], ...], "sentences": ["...", ...]}}

Both carry one window per query: a sample with several windows gives its first (the one the
ETA answer names) and is counted in the notes. Video paths (Time-R1) are absolute, or
`video_prefix` + `videos.path`. Samples whose video is not in the videos table are skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from tvgcurate.errors import TvgError
from tvgcurate.exporters.base import (
    ExportContext,
    Exporter,
    register,
    shared_option,
    with_videos,
)
from tvgcurate.keyvalue import setting
from tvgcurate.schemas.sample import gt_windows
from tvgcurate.workspace import Workspace


@dataclass
class TimeR1Options:
    layout: str = setting("time-r1", "time-r1 (list of records) | timezero (per video).")
    video_prefix: str | None = shared_option("video_prefix")

    def __post_init__(self):
        if self.layout not in ("time-r1", "timezero"):
            raise ValueError(f"layout must be time-r1 or timezero, not {self.layout!r}")


@register("timer1")
class TimeR1Exporter(Exporter):
    """Time-R1 (list) or TimeZero (per-video) training annotation JSON."""

    Options = TimeR1Options
    carries_irrelevant = False

    def write(self, samples: pa.Table, out: Path, ctx: ExportContext) -> int:
        opts = self.options(ctx)
        ws = Workspace(ctx.workspace)
        records: list[dict] = []
        per_video: dict[str, dict] = {}
        several = 0
        rows = sorted(samples.to_pylist(), key=lambda r: r["sample_id"])
        for s, v, path in with_videos(ws, rows, ctx, opts.video_prefix):
            wins = gt_windows(s)  # sorted by start; none for a refusal target
            if not wins:
                ctx.skipped[s["sample_id"]] = "no window"
                continue
            several += len(wins) > 1
            start, end = wins[0]
            duration = float(s["duration_s"] or v.get("duration_s") or 0.0)
            if opts.layout == "time-r1":
                records.append(
                    {
                        "video": path,
                        "duration": duration,
                        "timestamp": [float(start), float(end)],
                        "sentence": s["query"],
                        "qid": s["sample_id"],
                        "video_start": None,
                        "video_end": None,
                    }
                )
            else:
                key = Path(v["path"]).stem
                d = per_video.setdefault(
                    key, {"duration": duration, "timestamps": [], "sentences": []}
                )
                d["timestamps"].append([float(start), float(end)])
                d["sentences"].append(s["query"])
        n = len(records) + sum(len(d["sentences"]) for d in per_video.values())
        if n == 0:
            raise TvgError("no sample has a window and a video in the videos table")
        if several:
            ctx.notes.append(f"{several} sample(s) with several windows: their first is written")
        data = records if opts.layout == "time-r1" else per_video
        with open(out, "w", encoding="utf-8", newline="\n") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
            fh.write("\n")
        return n
