"""LLaMA-Factory's multimodal ShareGPT layout over the SAA frames, with its dataset_info.json.

OUT is a directory LLaMA-Factory takes as `dataset_dir`::

    OUT/dataset_info.json          {"<name>": {"file_name": "<name>.json", "formatting": "sharegpt",
                                    "columns": {"messages": "messages", "images": "images"},
                                    "tags": {"role_tag": "role", "content_tag": "content",
                                             "user_tag": "user", "assistant_tag": "assistant"}}}
    OUT/<name>.json                [{"messages": [user, assistant], "images": [...], ...}]
    OUT/images/<video>/*.png       the frames

The user turn is, per SAA frame in time order, its ETA stamp then an `<image>` placeholder,
then the prompt with the query (the same text `tvgcurate train` builds); `images` lists the
frame files in placeholder order (LLaMA-Factory requires as many `<image>` as images). The
assistant turn is the ETA answer (or `<answer>none</answer>`). `media=video` writes the
`sharegpt` exporter's whole-video records (`videos` column) into OUT instead. `name` sets
the dataset name (default: OUT's name).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from tvgcurate.exporters.base import ExportContext, Exporter, register
from tvgcurate.exporters.frames import FrameOptions, frame_records
from tvgcurate.exporters.sharegpt import ShareGPTExporter, dataset_info_entry
from tvgcurate.keyvalue import setting

TAGS = {
    "role_tag": "role",
    "content_tag": "content",
    "user_tag": "user",
    "assistant_tag": "assistant",
}


@dataclass
class LlamaFactoryOptions(FrameOptions):
    media: str = setting("images", "images (SAA frames) | video (whole video file).")
    name: str | None = setting(None, "Dataset name (default: OUT's name).")

    def __post_init__(self):
        if self.media not in ("images", "video"):
            raise ValueError(f"media must be images or video, not {self.media!r}")


def images_entry(file_name: str) -> dict:
    """The dataset_info.json entry of an images export."""
    return {
        "file_name": file_name,
        "formatting": "sharegpt",
        "columns": {"messages": "messages", "images": "images"},
        "tags": dict(TAGS),
    }


@register("llamafactory")
class LlamaFactoryExporter(Exporter):
    """LLaMA-Factory dataset_dir: ShareGPT messages + SAA frame images + dataset_info.json."""

    is_dir = True
    Options = LlamaFactoryOptions

    def write(self, samples: pa.Table, out: Path, ctx: ExportContext) -> int:
        opts = self.options(ctx)
        name = opts.name or (Path(ctx.out).name if ctx.out else Path(out).name)
        file_name = f"{name}.json"
        if opts.media == "video":
            sub = dataclasses.replace(ctx, options={}, out=out / file_name, _sidecars=[])
            n = ShareGPTExporter().write(samples, out / file_name, sub)
            ctx.skipped.update(sub.skipped)
            entry = dataset_info_entry(file_name, "messages")
        else:
            records, _ = frame_records(samples, out, ctx, opts, self.name)
            rows = [
                {
                    "messages": [
                        {"role": "user", "content": r.text},
                        {"role": "assistant", "content": r.answer},
                    ],
                    "images": r.images,
                    "sample_id": r.sample["sample_id"],
                }
                for r in records
            ]
            with open(out / file_name, "w", encoding="utf-8", newline="\n") as fh:
                json.dump(rows, fh, ensure_ascii=False, indent=1)
                fh.write("\n")
            n = len(rows)
            entry = images_entry(file_name)
        (out / "dataset_info.json").write_text(
            json.dumps({name: entry}, indent=2) + "\n", encoding="utf-8"
        )
        return n
