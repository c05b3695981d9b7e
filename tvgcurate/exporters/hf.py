"""A Hugging Face DatasetDict (one split per `split` value): every samples column as it is in
the workspace, saved to disk, as Parquet shards, with a dataset card (see `datasetdict`).

With SAA frames cached (`tvgcurate keyframes --cache-frames` fills table `frames`), each row
also gets `frames` (a list of Image features, the JPEGs at their budgeted sizes, in time
order), `frame_timestamps` (seconds) and `frames_error` (null, or why a video has none), so
a trainer can stream frames without decoding video. Nothing is lost: the rows read back
equal the selected samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tvgcurate.errors import TvgError
from tvgcurate.exporters.base import ExportContext, register
from tvgcurate.exporters.datasetdict import CardOptions, DatasetDictExporter
from tvgcurate.keyvalue import setting
from tvgcurate.workspace import Workspace

IMAGE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])

DESCRIPTIONS = {
    "sample_id": "`{source}:{split}:{qid}`, unique",
    "video_id": "the dataset's video id",
    "query": "the sentence to ground, exactly as annotated",
    "windows": "ground-truth moments in seconds (empty for irrelevant rows)",
    "relevance": "relevant \\| irrelevant \\| partial",
    "split": "split name",
    "source": "dataset the row comes from",
    "source_qid": "the native query id",
    "duration_s": "video duration in seconds",
    "saliency": "QVHighlights saliency scores (per clip, 3 annotators)",
    "relevant_clip_ids": "QVHighlights 2-second clip ids",
    "origin": "source \\| synthetic:<strategy> \\| relabel:<round>",
    "parent_sample_id": "row this one derives from",
    "needs_review": "set on rows a human should check",
    "donor_sample_id": "synthetic rows: where the query came from",
    "similarity": "synthetic rows: max cosine to the video's true queries",
    "frames": "SAA keyframes (JPEG) at their token budgets, in time order",
    "frame_timestamps": "seconds of each frame",
    "frames_error": "why a row has no frames (null when it has them)",
}


@dataclass
class HFOptions(CardOptions):
    frames: str = setting(
        "auto", "auto: add cached SAA frames when table `frames` exists | none | require."
    )

    def __post_init__(self):
        super().__post_init__()
        if self.frames not in ("auto", "none", "require"):
            raise ValueError(f"frames must be auto, none or require, not {self.frames!r}")


def frame_columns(samples: pa.Table, ws: Workspace) -> dict[str, pa.Array]:
    """frames / frame_timestamps / frames_error for each sample, from keyframes + frames."""
    kf = ws.read("keyframes")
    cache = ws.read("frames", columns=["video_id", "frame_index", "image"])
    images = {
        (v, i): b
        for v, i, b in zip(
            cache.column("video_id").to_pylist(),
            cache.column("frame_index").to_pylist(),
            cache.column("image").to_pylist(),
            strict=True,
        )
        if b
    }
    per_video: dict[str, list[dict]] = {}
    for r in kf.to_pylist():
        if r.get("error") or r["frame_index"] is None or r["frame_index"] < 0:
            continue
        if (r.get("tokens") or 0) <= 0:
            continue
        per_video.setdefault(r["video_id"], []).append(r)
    built: dict[str, tuple[list, list, str | None]] = {}
    for vid in set(samples.column("video_id").to_pylist()):
        rows = sorted(per_video.get(vid, []), key=lambda r: r["timestamp_s"])
        if not rows:
            built[vid] = ([], [], "no keyframes for this video (run `tvgcurate keyframes`)")
            continue
        missing = [r["frame_index"] for r in rows if (vid, r["frame_index"]) not in images]
        if missing:
            built[vid] = ([], [], f"{len(missing)} of {len(rows)} frames not cached")
            continue
        built[vid] = (
            [{"bytes": images[(vid, r["frame_index"])], "path": None} for r in rows],
            [float(r["timestamp_s"]) for r in rows],
            None,
        )
    vids = samples.column("video_id").to_pylist()
    return {
        "frames": pa.array([built[v][0] for v in vids], pa.list_(IMAGE)),
        "frame_timestamps": pa.array([built[v][1] for v in vids], pa.list_(pa.float64())),
        "frames_error": pa.array([built[v][2] for v in vids], pa.string()),
    }


USAGE = """```python
import datasets
dsd = datasets.load_from_disk("OUT")                  # DatasetDict
ds = datasets.load_dataset("parquet", data_files={"train": "OUT/data/train-*.parquet"})
ds = datasets.load_dataset("OUT")                     # through this card's configs
```"""


@register("hf")
class HFExporter(DatasetDictExporter):
    """Hugging Face DatasetDict (save_to_disk + Parquet shards + README card)."""

    Options = HFOptions
    DESCRIPTIONS = DESCRIPTIONS

    def build(self, samples: pa.Table, out: Path, ctx: ExportContext) -> int:
        opts = self.options(ctx)
        ws = Workspace(ctx.workspace)
        with_frames = opts.frames == "require" or (opts.frames == "auto" and ws.has("frames"))
        if with_frames:
            if not ws.has("frames"):
                raise TvgError(
                    "--opt frames=require: the workspace has no `frames` table; run "
                    "`tvgcurate keyframes --cache-frames` first"
                )
            for name, col in frame_columns(samples, ws).items():
                samples = samples.append_column(name, col)
        splits_present = pc.unique(samples.column("split")).to_pylist()
        splits = {s: samples.filter(pc.equal(samples.column("split"), s)) for s in splits_present}
        self.save_dataset(
            splits,
            out,
            ctx,
            opts,
            title="tvgcurate export",
            summary=(
                "Temporal video grounding samples curated with tvgcurate: each row is a video "
                "id, a query and the moments (seconds) where it happens; irrelevant rows, when "
                "exported, have no moment."
                + (" Rows carry their SAA keyframes as images." if with_frames else "")
            ),
            usage=USAGE.replace("OUT", ctx.out.name if ctx.out else "OUT"),
            image_columns=("frames",) if with_frames else (),
        )
        if with_frames:
            missing = samples.column("frames_error").null_count
            missing = samples.num_rows - missing
            if missing:
                ctx.notes.append(f"{missing} row(s) have no frames (see column frames_error)")
        return samples.num_rows
