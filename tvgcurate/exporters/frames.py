"""What the image-based trainer exports share: the SAA frames of each sample as image files,
and the user text with one `<image>` placeholder per frame, each after its ETA stamp.

The inputs come from the model's own code (`tvgcurate.model.inputs.build_inputs`, as the
`trl` exporter and `tvgcurate train` use), so every format carries the same frames, stamps,
prompt and answer. Frames are written once per video (samples of a video share them) as
`images/<video>/<frame_index>.png` inside the export directory; paths in the records are
absolute unless `relative_paths` is set (then relative to the export directory).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tvgcurate.errors import TvgError
from tvgcurate.exporters.base import ExportContext, shared_option
from tvgcurate.keyvalue import setting
from tvgcurate.workspace import Workspace

IMAGE_TOKEN = "<image>"


@dataclass
class FrameOptions:
    """The options every frame-based trainer export has."""

    max_frames: int | None = shared_option("max_frames")
    frames: str = shared_option("frames")
    timestamp_width: int | None = shared_option("timestamp_width")
    prompt_template: str | None = shared_option("prompt_template")
    relative_paths: bool = setting(False, "Write image paths relative to the export directory.")

    def input_config(self):
        from tvgcurate.model.inputs import InputConfig

        kw = dict(frames=self.frames, max_frames=self.max_frames)
        if self.timestamp_width is not None:
            kw["timestamp_width"] = self.timestamp_width
        if self.prompt_template is not None:
            kw["prompt_template"] = self.prompt_template
        return InputConfig(**kw)


@dataclass
class FrameRecord:
    """One sample as the image-based formats carry it."""

    sample: dict  # the samples row
    text: str  # ETA stamp + <image> per frame, then the prompt with the query
    images: list[str]  # image paths, in placeholder order
    answer: str  # the ETA target (or the refusal)
    timestamps: list[float]
    gt_windows: list[list[float]]
    relevance: str
    duration_s: float


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name) or "_"


def placeholder_text(prompt: list[dict]) -> str:
    """The user turn's text parts joined, each image part as `<image>`."""
    (turn,) = prompt
    return "".join(
        IMAGE_TOKEN if p["type"] == "image" else p.get("text", "") for p in turn["content"]
    )


def model_inputs(rows: list[dict], ctx: ExportContext, opts, fmt_name: str):
    """(InputConfig, BuiltInputs): the model's inputs of the samples `rows` under the format's
    options (`opts.input_config()`); a sample that fails goes to ctx.skipped, none at all
    refuses."""
    from tvgcurate.model.inputs import build_inputs

    try:
        icfg = opts.input_config()
    except ValueError as exc:
        raise TvgError(f"format {fmt_name!r}: {exc}") from None
    built = build_inputs(Workspace(ctx.workspace), icfg, samples=rows)
    ctx.skipped.update(built.errors)
    if not built.inputs:
        first = "; ".join(f"{k}: {v}" for k, v in list(built.errors.items())[:2])
        raise TvgError(f"no sample could be turned into model inputs ({first})")
    return icfg, built


def frame_records(samples, out: Path, ctx: ExportContext, opts: FrameOptions, fmt_name: str):
    """(records, ETA format): build the inputs and write each video's frames under `out`."""
    rows = samples.to_pylist()
    by_id = {r["sample_id"]: r for r in rows}
    _, built = model_inputs(rows, ctx, opts, fmt_name)
    final = Path(ctx.out) if ctx.out is not None else Path(out)
    written: dict[tuple[str, float], str] = {}
    records = []
    for m in built.inputs:
        s = by_id[m.sample_id]
        paths = []
        for ts, im in zip(m.timestamps, m.images, strict=True):
            key = (s["video_id"], float(ts), im.size)
            if key not in written:
                rel = Path("images") / _safe(s["video_id"]) / f"{len(written):06d}_{ts:.3f}.png"
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                im.save(out / rel, format="PNG", compress_level=1)
                written[key] = str(rel) if opts.relative_paths else str(final.resolve() / rel)
            paths.append(written[key])
        records.append(
            FrameRecord(
                sample=s,
                text=placeholder_text(m.prompt),
                images=paths,
                answer=m.target,
                timestamps=[float(t) for t in m.timestamps],
                gt_windows=[list(map(float, w)) for w in m.gt_windows],
                relevance=m.relevance,
                duration_s=float(m.duration_s or 0.0),
            )
        )
    return records, built.fmt
