"""The video conversation layout LLaMA-Factory (and similar fine-tuning tools) read.

One record per sample (a JSON list, or JSON lines when OUT ends in `.jsonl`)::

    {"messages": [{"role": "user", "content": "<video>Query: ...\\nWhen does ..."},
                  {"role": "assistant", "content": "<answer>012.5 to 017.0</answer>"}],
     "videos": ["/abs/path/video.mp4"], "sample_id": "qvhighlights:val:2579"}

`style=conversations` writes ShareGPT's `conversations` with `from: human|gpt` and `value`
instead. The answer is the ETA text of the first window (one decimal, the dataset's fixed
width), or `<answer>none</answer>` for irrelevant rows. The video itself goes in whole: the
tool samples its frames, so there are no per-frame timestamps in this layout. Video paths
are absolute (the workspace's media root joined to `videos.path`), or `video_prefix` +
`videos.path`. `dataset_info=true` also writes the `dataset_info.json` entry beside OUT.
Samples whose video is not in the `videos` table are left out and reported.
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
    video_rows,
    with_videos,
)
from tvgcurate.keyvalue import setting
from tvgcurate.workspace import Workspace

VIDEO_TOKEN = "<video>"


@dataclass
class ShareGPTOptions:
    style: str = setting(
        "messages", "messages (role/content) | conversations (from/value, human/gpt)."
    )
    video_prefix: str | None = shared_option("video_prefix")
    timestamp_width: int | None = shared_option("timestamp_width")
    prompt_template: str | None = setting(
        None, "User text after <video>, with {query} (default: the model's)."
    )
    dataset_info: bool = setting(False, "Also write LLaMA-Factory's dataset_info.json beside OUT.")

    def __post_init__(self):
        if self.style not in ("messages", "conversations"):
            raise ValueError(f"style must be messages or conversations, not {self.style!r}")
        if self.prompt_template is not None and "{query}" not in self.prompt_template:
            raise ValueError("prompt_template must contain {query}")


def dataset_info_entry(file_name: str, style: str) -> dict:
    """LLaMA-Factory's dataset_info.json entry for a file this exporter wrote."""
    if style == "messages":
        return {
            "file_name": file_name,
            "formatting": "sharegpt",
            "columns": {"messages": "messages", "videos": "videos"},
            "tags": {
                "role_tag": "role",
                "content_tag": "content",
                "user_tag": "user",
                "assistant_tag": "assistant",
            },
        }
    return {
        "file_name": file_name,
        "formatting": "sharegpt",
        "columns": {"messages": "conversations", "videos": "videos"},
    }


def _turns(user: str, answer: str, style: str) -> dict:
    if style == "messages":
        return {
            "messages": [
                {"role": "user", "content": user},
                {"role": "assistant", "content": answer},
            ]
        }
    return {"conversations": [{"from": "human", "value": user}, {"from": "gpt", "value": answer}]}


@register("sharegpt")
class ShareGPTExporter(Exporter):
    """LLaMA-Factory video conversations: messages + videos, ETA-formatted answer."""

    Options = ShareGPTOptions

    def write(self, samples: pa.Table, out: Path, ctx: ExportContext) -> int:
        from tvgcurate.model.eta import TimestampFormat
        from tvgcurate.model.inputs import DEFAULT_PROMPT, dataset_format, target_answer

        opts = self.options(ctx)
        ws = Workspace(ctx.workspace)
        if opts.timestamp_width:
            fmt = TimestampFormat(opts.timestamp_width)
        else:  # the same width `tvgcurate train` picks: the workspace's longest video
            fmt = dataset_format(
                ws.read("samples", columns=["duration_s"]).to_pylist(), video_rows(ws).values()
            )
        template = opts.prompt_template or DEFAULT_PROMPT
        records = []
        for s, _, path in with_videos(ws, samples.to_pylist(), ctx, opts.video_prefix):
            user = VIDEO_TOKEN + template.format(query=s["query"])
            rec = _turns(user, target_answer(s, fmt), opts.style)
            rec["videos"] = [path]
            rec["sample_id"] = s["sample_id"]
            records.append(rec)
        if not records:
            raise TvgError(
                "no sample has a video in the videos table; ingest with --videos DIR first"
            )
        with open(out, "w", encoding="utf-8", newline="\n") as fh:
            if Path(ctx.out or out).suffix == ".jsonl":
                for rec in records:
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            else:
                json.dump(records, fh, ensure_ascii=False, indent=1)
                fh.write("\n")
        if opts.dataset_info and ctx.out is not None:
            name = Path(ctx.out).stem
            info = {name: dataset_info_entry(Path(ctx.out).name, opts.style)}
            ctx.sidecar("dataset_info.json").write_text(
                json.dumps(info, indent=2) + "\n", encoding="utf-8"
            )
        return len(records)
