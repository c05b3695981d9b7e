"""ms-swift's standard multimodal jsonl: `messages` with `<image>` tags, and `images`.

OUT is a directory with one `<split>.jsonl` per split and the frames under `images/`::

    {"messages": [{"role": "user", "content": "<t>0.0</t><image><t>1.0</t><image>...query"},
                  {"role": "assistant", "content": "<answer>0.5 to 2.8</answer>"}],
     "images": ["/abs/OUT/images/vid0/000000_0.000.png", ...],
     "sample_id": "...", "gt_windows": [[0.5, 2.75]], "relevance": "relevant", "duration_s": 4.0}

Each `<image>` tag in the user text takes the next path of `images` (ms-swift's documented
rule), after the frame's ETA stamp. `gt_windows`, `relevance` and `duration_s` stay in the file for a
reward plug-in (the columns `tvgcurate.model.rewards` reads); ms-swift's standard
preprocessing (`load_dataset`) keeps only its own keys (messages, images), as the loader
test shows. Train with `swift sft --dataset OUT/train.jsonl`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from tvgcurate.exporters.base import ExportContext, Exporter, register
from tvgcurate.exporters.frames import FrameOptions, frame_records


@dataclass
class SwiftOptions(FrameOptions):
    pass


def swift_row(r) -> dict:
    return {
        "messages": [
            {"role": "user", "content": r.text},
            {"role": "assistant", "content": r.answer},
        ],
        "images": r.images,
        "sample_id": r.sample["sample_id"],
        "gt_windows": r.gt_windows,
        "relevance": r.relevance,
        "duration_s": r.duration_s,
    }


@register("ms-swift")
class SwiftExporter(Exporter):
    """ms-swift jsonl per split: messages with <image> tags + SAA frame images + reward columns."""

    is_dir = True
    Options = SwiftOptions

    def write(self, samples: pa.Table, out: Path, ctx: ExportContext) -> int:
        opts = self.options(ctx)
        records, _ = frame_records(samples, out, ctx, opts, self.name)
        by_split: dict[str, list[dict]] = {}
        for r in records:
            by_split.setdefault(r.sample["split"], []).append(swift_row(r))
        for split, rows in by_split.items():
            with open(out / f"{split}.jsonl", "w", encoding="utf-8", newline="\n") as fh:
                for row in rows:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        return len(records)
