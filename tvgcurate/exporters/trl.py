"""Rows in the exact shape TRL's SFTTrainer and GRPOTrainer take for a vision-language model.

The rows are built by the model's own code (`tvgcurate.model.inputs.build_inputs`, the
functions `tvgcurate train` uses), so an exported set and `tvgcurate train` see the same
inputs: for every SAA keyframe in time order its ETA timestamp text then an image part, then
the prompt with the query. Columns (layout `prompt-completion`, the default):

- `prompt`: `[{"role": "user", "content": [{"type": "text"|"image", ...}, ...]}]`
- `completion`: `[{"role": "assistant", "content": [{"type": "text", "text": ETA answer}]}]`
- `images`: the frames as a list of Image features, in the order of the image parts, each
  at its SAA-budgeted size (height x width, multiples of 28)
- what the rewards read: `gt_windows` (list of [start, end], empty for irrelevant/partial rows),
  `relevance`, `duration_s`; and `solution` (the ETA answer text), `sample_id`, `video_id`,
  `source`, `frame_timestamps`.

SFTTrainer trains on prompt + completion; GRPOTrainer generates from `prompt` + `images` and
hands every other column to the reward functions. Layout `messages` writes one `messages`
column (user turn + assistant turn) for SFT-only tools instead of prompt/completion.

The output is a DatasetDict directory (see `datasetdict`); `tvgcurate_inputs.json` beside it records
the ETA width and prompt, as a trained model directory does.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from tvgcurate.exporters.base import ExportContext, register, shared_option
from tvgcurate.exporters.datasetdict import CardOptions, DatasetDictExporter
from tvgcurate.exporters.frames import model_inputs
from tvgcurate.keyvalue import setting

INPUTS_FILE = "tvgcurate_inputs.json"  # the name tvgcurate.model.loading uses


@dataclass
class TRLOptions(CardOptions):
    layout: str = setting(
        "prompt-completion", "prompt-completion (SFT and GRPO) | messages (SFT-only tools)."
    )
    frames: str = shared_option("frames")
    max_frames: int | None = shared_option("max_frames")
    uniform_fps: float = setting(1.0, "Frame rate of frames=uniform.")
    uniform_tokens: int = setting(4, "Visual tokens per frame of frames=uniform.")
    timestamp_width: int | None = shared_option("timestamp_width")
    prompt_template: str | None = shared_option("prompt_template")

    def __post_init__(self):
        super().__post_init__()
        if self.layout not in ("prompt-completion", "messages"):
            raise ValueError(f"layout must be prompt-completion or messages, not {self.layout!r}")

    def input_config(self):
        from tvgcurate.model.inputs import InputConfig

        kw = dict(
            frames=self.frames,
            max_frames=self.max_frames,
            uniform_fps=self.uniform_fps,
            uniform_tokens=self.uniform_tokens,
            timestamp_width=self.timestamp_width,
        )
        if self.prompt_template is not None:
            kw["prompt_template"] = self.prompt_template
        return InputConfig(**kw)


def trl_rows(inputs, layout: str, extra: dict[str, dict]) -> list[dict]:
    """One row per ModelInput: the model helper's SFT and GRPO rows joined."""
    from tvgcurate.model.data import grpo_rows, sft_rows

    rows = []
    for sft, grpo, m in zip(sft_rows(inputs), grpo_rows(inputs), inputs, strict=True):
        row = {**grpo, "completion": sft["completion"]}
        if layout == "messages":
            row["messages"] = row.pop("prompt") + row.pop("completion")
        row["solution"] = m.target
        row["frame_timestamps"] = [float(t) for t in m.timestamps]
        row.update(extra[m.sample_id])
        rows.append(row)
    return rows


DESCRIPTIONS = {
    "prompt": "user turn: ETA timestamp text and image parts interleaved, then the query prompt",
    "completion": "assistant turn: the ETA answer (or `<answer>none</answer>`)",
    "messages": "user turn + assistant turn",
    "images": "SAA frames at their budgeted sizes, in the order of the image parts",
    "sample_id": "workspace sample id",
    "gt_windows": "ground truth [start, end] in seconds (empty for irrelevant/partial rows); read by the IoU rewards",
    "relevance": "relevant \\| irrelevant \\| partial; read by the refusal reward",
    "duration_s": "video duration; read by the IoU rewards",
    "solution": "the ETA answer text",
    "frame_timestamps": "seconds of each frame",
    "video_id": "the dataset's video id",
    "source": "dataset the row comes from",
    "split": "split name",
}


@register("trl")
class TRLExporter(DatasetDictExporter):
    """rows for TRL SFTTrainer/GRPOTrainer (prompt, completion, images, reward columns)."""

    Options = TRLOptions
    DESCRIPTIONS = DESCRIPTIONS

    def build(self, samples: pa.Table, out: Path, ctx: ExportContext) -> int:
        opts = self.options(ctx)
        rows_in = samples.to_pylist()
        icfg, built = model_inputs(rows_in, ctx, opts, "trl")
        extra = {
            r["sample_id"]: {"video_id": r["video_id"], "source": r["source"], "split": r["split"]}
            for r in rows_in
        }
        rows = trl_rows(built.inputs, opts.layout, extra)
        by_split: dict[str, list[dict]] = {}
        for r in rows:
            by_split.setdefault(r["split"], []).append(r)
        name = ctx.out.name if ctx.out else "OUT"
        self.save_dataset(
            by_split,
            out,
            ctx,
            opts,
            title="tvgcurate TRL rows",
            summary=(
                "Tempo-R0 training rows (SAA keyframes interleaved with ETA timestamps, "
                f"ETA width {built.fmt.width}) in the shape TRL's SFTTrainer and GRPOTrainer "
                f"take for a vision-language model (layout `{opts.layout}`)."
            ),
            usage=(
                "```python\nimport datasets\n"
                f'train = datasets.load_from_disk("{name}")["train"]\n'
                "# SFTTrainer(model, args, train_dataset=train, processing_class=processor)\n"
                "# GRPOTrainer(model, reward_funcs, args, train_dataset=train, processing_class=processor)\n"
                "```"
            ),
        )
        meta = dataclasses.asdict(icfg)
        meta["timestamp_width"] = built.fmt.width
        meta["layout"] = opts.layout
        (out / INPUTS_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        return len(rows)
