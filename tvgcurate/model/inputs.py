"""ETA inputs over SAA frames: one sample -> the interleaved conversation the model sees.

For each keyframe of the sample's video, in time order: its fixed-width timestamp text
(`eta.TimestampFormat.stamp`) then the frame as an image of its own SAA-budgeted size; then
the query prompt. The target is the ETA answer, or the refusal for irrelevant/partial rows.
The output uses TRL's vision message format (``{"type": "text"}`` / ``{"type": "image"}``
parts) with the PIL images alongside, so SFTTrainer and GRPOTrainer take it as it is.

Frames come from the `frames` cache table when `tvgcurate keyframes --cache-frames` filled it,
otherwise they are decoded from the video with PyAV at the keyframe timestamps (one
sequential pass per video) and resized to the keyframe's height x width.

This module assembles the inputs; which frames a sample shows is `select_frames`, how they
become images is `decode`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tvgcurate.errors import WorkspaceError
from tvgcurate.keyvalue import setting
from tvgcurate.model.decode import FrameSource, decode_frames
from tvgcurate.model.eta import REFUSAL, TimestampFormat
from tvgcurate.model.select_frames import select_frames, uniform_keyframes, usable
from tvgcurate.schemas.sample import gt_windows

DEFAULT_PROMPT = (
    "Query: {query}\n"
    "When does the query happen in the video? Answer <answer>start to end</answer> in seconds, "
    "or <answer>none</answer> if it does not happen."
)


@dataclass
class InputConfig:
    """How samples become model inputs."""

    prompt_template: str = setting(
        DEFAULT_PROMPT, "Text after the frames; `{query}` is replaced by the sample's query."
    )
    frames: str = setting(
        "keyframes",
        "keyframes: SAA frames from the keyframes table (run `tvgcurate keyframes`); "
        "uniform: `uniform_fps` frames of `uniform_tokens` tokens each, for ablation and tests.",
    )
    max_frames: int | None = setting(
        None, "Keep at most this many frames per sample (evenly spaced)."
    )
    uniform_fps: float = setting(1.0, "Frame rate of `frames: uniform`.")
    uniform_tokens: int = setting(
        4, "Visual tokens per frame of `frames: uniform` (28x28 px each)."
    )
    query_first: bool = setting(
        False,
        "Also put the prompt before the frames, so that a causal model reads every "
        "frame in the light of the query (docs/learning.md: it lets tiny bind words to frames).",
    )
    timestamp_width: int | None = setting(
        None, "Digits before the decimal point (default: from the longest video)."
    )
    stream: bool = setting(
        True,
        "Training decodes each sample's frames when the data loader asks for it "
        "(from the `frames` table, else from video, in the loader's workers). False: "
        "decode every sample before step 1 and hold all frames (small workspaces only).",
    )

    def __post_init__(self):
        if "{query}" not in self.prompt_template:
            raise ValueError("prompt_template must contain '{query}'")
        if self.frames not in ("keyframes", "uniform"):
            raise ValueError(f"frames must be 'keyframes' or 'uniform', got {self.frames!r}")
        if self.max_frames is not None and self.max_frames < 1:
            raise ValueError("max_frames must be >= 1 (or None for all)")


@dataclass
class ModelInput:
    """One sample as the model sees it."""

    sample_id: str
    prompt: list[dict]  # [{"role": "user", "content": [text/image parts]}]
    images: list  # PIL images, in the order of the image parts
    target: str  # ETA answer or refusal
    timestamps: list[float]
    relevance: str
    gt_windows: list[list[float]]  # schemas.sample.gt_windows: [] for irrelevant/partial rows
    duration_s: float
    video_id: str = ""  # the samples of one video show the same frames


def target_answer(sample: dict, fmt: TimestampFormat) -> str:
    """The answer a sample is trained towards: its first window in ETA numbers, or a refusal."""
    windows = gt_windows(sample)
    if not windows:
        return REFUSAL
    s, e = windows[0]
    return fmt.answer(s, e)


def build_input(
    sample: dict,
    keyframes: Sequence[dict],
    images: Sequence,
    fmt: TimestampFormat,
    cfg: InputConfig,
) -> ModelInput:
    """Interleave ETA stamps and frames, then the prompt; `images[i]` belongs to `keyframes[i]`."""
    if len(images) != len(keyframes):
        raise ValueError(f"{len(images)} images for {len(keyframes)} keyframes")
    prompt = cfg.prompt_template.format(query=sample["query"])
    content: list[dict] = [{"type": "text", "text": prompt}] if cfg.query_first else []
    for kf in keyframes:
        content.append({"type": "text", "text": fmt.stamp(kf["timestamp_s"])})
        content.append({"type": "image"})
    content.append({"type": "text", "text": prompt})
    return ModelInput(
        sample_id=sample["sample_id"],
        prompt=[{"role": "user", "content": content}],
        images=list(images),
        target=target_answer(sample, fmt),
        timestamps=[float(k["timestamp_s"]) for k in keyframes],
        relevance=sample.get("relevance") or "relevant",
        gt_windows=gt_windows(sample),
        duration_s=float(sample.get("duration_s") or 0.0),
        video_id=str(sample.get("video_id") or ""),
    )


# -- workspace ---------------------------------------------------------------------------


@dataclass
class BuiltInputs:
    inputs: list[ModelInput]
    errors: dict[str, str]  # sample_id -> why it could not be built
    fmt: TimestampFormat


def dataset_format(samples: Iterable[dict], videos: Iterable[dict] = ()) -> TimestampFormat:
    """One timestamp format for a whole dataset, from its longest video."""
    durations = [r.get("duration_s") for r in samples] + [r.get("duration_s") for r in videos]
    durations = [float(d) for d in durations if d is not None and math.isfinite(d)]
    return TimestampFormat.for_max_duration(max(durations, default=0.0))


@dataclass
class SamplePlan:
    """A sample and the keyframe rows it shows, before any frame is decoded."""

    sample: dict
    keyframes: list[dict]  # usable, selected, in time order (shared by a video's samples)

    @property
    def sample_id(self) -> str:
        return self.sample["sample_id"]

    @property
    def video_id(self) -> str:
        return self.sample["video_id"]

    @property
    def relevance(self) -> str:
        return self.sample.get("relevance") or "relevant"


@dataclass
class InputPlan:
    plans: list[SamplePlan]
    errors: dict[str, str]  # sample_id -> why it cannot be built
    fmt: TimestampFormat
    source: FrameSource


def frame_source(ws, cfg: InputConfig, videos: list[dict] | None = None) -> FrameSource:
    """Where a workspace's frames come from: its `frames` table, read per video, else video."""
    from tvgcurate.model.decode import FrameStore

    if videos is None:
        videos = ws.read("videos", columns=["video_id", "path"]).to_pylist()
    media_root = ws.manifest().get("media_root")  # relative: to the workspace root
    media_root = Path(media_root) if media_root else None
    if media_root is not None and not media_root.is_absolute():
        media_root = ws.root / media_root
    store = None
    if cfg.frames == "keyframes" and ws.has("frames"):
        store = FrameStore(ws.path_of("frames"))
    return FrameSource(media_root, {v["video_id"]: v.get("path") for v in videos}, store)


def plan_inputs(
    workspace,
    cfg: InputConfig,
    samples: list[dict] | None = None,
    split: str | None = None,
    fmt: TimestampFormat | None = None,
) -> InputPlan:
    """Which frames each sample shows, from the tables alone (no frame is decoded).

    Samples whose video has no (usable) keyframes are returned in `errors`.
    """
    ws = workspace
    if samples is None:
        samples = ws.read("samples").to_pylist()
        if split is not None:
            samples = [s for s in samples if s.get("split") == split]
    videos = ws.read("videos").to_pylist()
    if fmt is None:
        fmt = (
            TimestampFormat(cfg.timestamp_width)
            if cfg.timestamp_width
            else dataset_format(ws.read("samples", columns=["duration_s"]).to_pylist(), videos)
        )
    vid_rows = {v["video_id"]: v for v in videos}
    kf_by_video: dict[str, list[dict]] = {}
    if cfg.frames == "keyframes":
        cols = ["video_id", "frame_index", "timestamp_s", "tokens", "height", "width", "error"]
        kf = ws.read("keyframes")
        kf = kf.select([c for c in cols if c in kf.column_names])
        for r in kf.to_pylist():
            kf_by_video.setdefault(r["video_id"], []).append(r)
    by_video: dict[str, list[dict]] = {}
    for s in samples:
        by_video.setdefault(s["video_id"], []).append(s)
    chosen: dict[str, list[dict]] = {}
    errors: dict[str, str] = {}
    for vid, rows in by_video.items():
        try:
            if cfg.frames == "uniform":
                v = vid_rows.get(vid, {})
                dur = v.get("duration_s") or rows[0].get("duration_s") or 0.0
                aspect = (v.get("width") or 1) / (v.get("height") or 1)
                kfs = uniform_keyframes(vid, dur, cfg.uniform_fps, cfg.uniform_tokens, aspect)
            else:
                kfs = kf_by_video.get(vid, [])
                if not kfs:
                    raise WorkspaceError(
                        f"no keyframes for video '{vid}': run `tvgcurate keyframes` first "
                        "(or set frames: uniform)"
                    )
            kfs = select_frames([k for k in kfs if usable(k)], cfg.max_frames)
            if not kfs:
                raise ValueError(f"video '{vid}' has no usable keyframes")
        except Exception as exc:  # noqa: BLE001 - recorded per sample
            for s in rows:
                errors[s["sample_id"]] = f"{type(exc).__name__}: {exc}"
            continue
        chosen[vid] = kfs
    plans = [SamplePlan(s, chosen[s["video_id"]]) for s in samples if s["video_id"] in chosen]
    return InputPlan(plans, errors, fmt, frame_source(ws, cfg, videos))


def build_inputs(
    workspace,
    cfg: InputConfig,
    samples: list[dict] | None = None,
    split: str | None = None,
    fmt: TimestampFormat | None = None,
) -> BuiltInputs:
    """Model inputs for samples of a workspace, every frame decoded (one pass per video).

    Per-sample failures (missing video, no keyframes, unreadable file) are returned in
    `errors`, not raised. Training at scale streams instead (`tvgcurate.model.data`).
    """
    plan = plan_inputs(workspace, cfg, samples, split, fmt)
    errors = dict(plan.errors)
    by_video: dict[str, list[SamplePlan]] = {}
    for p in plan.plans:
        by_video.setdefault(p.video_id, []).append(p)
    built: dict[str, ModelInput] = {}
    for vid, group in by_video.items():
        try:
            images = plan.source.frames(vid, group[0].keyframes)
        except Exception as exc:  # noqa: BLE001 - recorded per sample
            for p in group:
                errors[p.sample_id] = f"{type(exc).__name__}: {exc}"
            continue
        for p in group:
            built[p.sample_id] = build_input(p.sample, p.keyframes, images, plan.fmt, cfg)
    ordered = [built[p.sample_id] for p in plan.plans if p.sample_id in built]
    return BuiltInputs(ordered, errors, plan.fmt)


__all__ = [
    "DEFAULT_PROMPT",
    "BuiltInputs",
    "FrameSource",
    "InputConfig",
    "InputPlan",
    "SamplePlan",
    "ModelInput",
    "build_input",
    "build_inputs",
    "frame_source",
    "plan_inputs",
    "dataset_format",
    "decode_frames",
    "gt_windows",
    "select_frames",
    "target_answer",
    "uniform_keyframes",
]
