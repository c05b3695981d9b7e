"""verl / EasyR1 RL parquet: prompt, SAA frame images and the ground truth of the reward.

OUT is a directory: one `<split>.parquet` per split, the reward function `verl_reward.py`
(a copy of `tvgcurate.exporters.verl_reward`) and nothing else (images are inside the
parquet, as verl's own geo3k example stores them). Columns (verl's RLHF dataset layout):

- `data_source`: `tvgcurate/<source>` (verl picks the reward by it; ours ignores it)
- `prompt`: `[{"role": "user", "content": "<t>0.0</t><image>...query"}]`, one `<image>` per
  frame after its ETA stamp (verl splits the content at `<image>` when `image_key` is set)
- `images`: `[{"bytes": PNG, "path": None}, ...]` in placeholder order
- `ability`: `temporal-grounding`
- `reward_model`: `{"style": "rule", "ground_truth": {"windows": [[start, end], ...] seconds,
  "relevance": ..., "duration_s": ...}}`
- `extra_info`: `{"split", "index", "sample_id", "video_id", "answer" (the ETA target),
  "frame_timestamps"}`
- for EasyR1 (`data.prompt_key=problem data.answer_key=answer data.image_key=images`):
  `problem` (the same user text) and `answer` (the ground truth as a JSON string).
"""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tvgcurate.exporters.base import ExportContext, Exporter, register
from tvgcurate.exporters.frames import FrameOptions, frame_records

ABILITY = "temporal-grounding"
REWARD_FILE = "verl_reward.py"


@dataclass
class VerlOptions(FrameOptions):
    pass


def ground_truth(r) -> dict:
    return {"windows": r.gt_windows, "relevance": r.relevance, "duration_s": r.duration_s}


def _png(path: str) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    with Image.open(path) as im:
        im.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


@register("verl")
class VerlExporter(Exporter):
    """verl/EasyR1 RL parquet per split (prompt, images, reward_model.ground_truth) + reward file."""

    is_dir = True
    Options = VerlOptions

    def write(self, samples: pa.Table, out: Path, ctx: ExportContext) -> int:
        opts = self.options(ctx)
        frames_dir = out / ".frames"
        records, _ = frame_records(samples, frames_dir, ctx, opts, self.name)
        final = Path(ctx.out) if ctx.out is not None else out
        by_split: dict[str, list[dict]] = {}
        for r in records:
            s = r.sample
            rows = by_split.setdefault(s["split"], [])
            gt = ground_truth(r)
            rows.append(
                {
                    "data_source": f"tvgcurate/{s['source']}",
                    "prompt": [{"role": "user", "content": r.text}],
                    "images": [
                        {"bytes": _png(_local(p, final, frames_dir)), "path": None}
                        for p in r.images
                    ],
                    "ability": ABILITY,
                    "reward_model": {"style": "rule", "ground_truth": gt},
                    "extra_info": {
                        "split": s["split"],
                        "index": len(rows),
                        "sample_id": s["sample_id"],
                        "video_id": s["video_id"],
                        "answer": r.answer,
                        "frame_timestamps": r.timestamps,
                    },
                    "problem": r.text,
                    "answer": json.dumps(gt),
                }
            )
        shutil.rmtree(frames_dir)
        for split, rows in by_split.items():
            pq.write_table(pa.Table.from_pylist(rows), out / f"{split}.parquet")
        shutil.copyfile(Path(__file__).with_name(REWARD_FILE), out / REWARD_FILE)
        ctx.notes.append(
            f"reward: custom_reward_function.path={final / REWARD_FILE} "
            "custom_reward_function.name=compute_score"
        )
        return len(records)


def _local(path: str, final: Path, frames_dir: Path) -> Path:
    """The temporary frame file behind a path `frame_records` reported."""
    p = Path(path)
    if not p.is_absolute():
        return frames_dir / p
    return frames_dir / p.relative_to(final.resolve())
