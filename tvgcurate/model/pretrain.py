"""A stand-in for a VLM's pretraining, for `tiny` only: short clips and yes/no questions.

A real Qwen2-VL arrives pretrained on image-text data; Tempo-R0 only adds the grounding
stages. The randomly initialised `tiny` has never seen an image, so `tvgcurate train --stage
pretrain` (or `all`) gives it a short stand-in built from the workspace's own samples, before
SFT. Never use it for real weights: they have had the real thing.

Two kinds of rows, both from ModelInputs (the same ETA frames and stamps as SFT):

- ``presence``: a clip of at most `clip_frames` consecutive frames, then "Is this shown:
  <query>?". The answer is "yes" when a frame of the clip lies inside one of a relevant
  sample's windows (`ModelInput.gt_windows`), else "no" (irrelevant and partial samples
  have none: always "no"). It is the image-text matching a VLM learns in pretraining, and
  it trains the binding of the query's words to the frames that grounding and refusal need.
- ``caption``: one frame inside a relevant sample's window, then "What is shown?", answered
  with the sample's query: frames to words.

Short clips first is a curriculum: with one to four frames the model finds the binding in
hundreds of steps, where full videos leave it on the prior (docs/learning.md).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from tvgcurate.keyvalue import setting
from tvgcurate.model.data import conversation, prompt_completion, query_of
from tvgcurate.model.inputs import ModelInput
from tvgcurate.schemas.sample import expects_refusal

KINDS = ("presence", "caption")
PRESENCE_PROMPT = "Is this shown: {query}? Answer yes or no."
CAPTION_PROMPT = "What is shown?"


@dataclass
class PretrainTask:
    """What the pretraining stand-in's rows look like."""

    kinds: list[str] = setting(
        factory=lambda: ["presence"], help=f"Row kinds, mixed evenly: {', '.join(KINDS)}."
    )
    clip_frames: int = setting(4, "Frames per clip at most (short clips: the curriculum).")
    rows_per_sample: int = setting(2, "Rows drawn from each sample (half inside its window).")
    contrast: bool = setting(
        False,
        "presence: ask each clip about every query of its video too (present and "
        "absent shapes, each answered by its own windows): the same frames with other "
        "words and answers, which only binding the words to the frames can fit.",
    )
    turns: int = setting(
        1,
        "presence: questions per clip, as one multi-turn conversation (the sample's "
        "query, then its video's other queries; trained on every answer, TRL's "
        "assistant_only_loss). More answers per forward pass: 1 is a row per question.",
    )

    def __post_init__(self):
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown or not self.kinds:
            raise ValueError(f"pretrain kinds must be among {', '.join(KINDS)}, got {self.kinds}")
        if self.clip_frames < 1 or self.rows_per_sample < 1 or self.turns < 1:
            raise ValueError("clip_frames, rows_per_sample and turns must be >= 1")


def _inside(t: float, windows: Sequence[Sequence[float]]) -> bool:
    return any(s <= t < e for s, e in windows)


def _clip(m: ModelInput, start: int, length: int, question: str) -> tuple[list[dict], list]:
    """The prompt of frames start..start+length (stamps as in the full input) and a question,
    also before the frames when the input puts its query first (`inputs.query_first`)."""
    parts = m.prompt[0]["content"]
    stamps = [p["text"] for p in parts if p["type"] == "text" and p["text"].startswith("<t>")]
    first = parts[0]
    lead = first["type"] == "text" and not first["text"].startswith("<t>") and len(parts) > 1
    content: list[dict] = [{"type": "text", "text": question}] if lead else []
    for i in range(start, start + length):
        content += [{"type": "text", "text": stamps[i]}, {"type": "image"}]
    content.append({"type": "text", "text": question})
    return [{"role": "user", "content": content}], m.images[start : start + length]


def _shown(m: ModelInput, times: Sequence[float]) -> bool:
    """Whether a frame at one of `times` lies inside one of m's windows (its "yes")."""
    return any(_inside(t, m.gt_windows) for t in times)


def _yes_no(shown: bool) -> str:
    return "yes" if shown else "no"


def presence_rows(
    m: ModelInput, task: PretrainTask, rng: random.Random, siblings: Sequence[ModelInput] = ()
) -> list[dict]:
    """Yes/no rows on clips of `m`; with `task.contrast`, each clip is asked about the
    queries of `siblings` too (the other samples of m's video, on the same frames)."""
    n = len(m.images)
    if n == 0:
        return []
    query = query_of(m)
    same = [o for o in siblings if o is not m and list(o.timestamps) == list(m.timestamps)]
    starts = {True: [], False: []}
    for length in range(1, min(task.clip_frames, n) + 1):
        for s in range(n - length + 1):
            starts[_shown(m, m.timestamps[s : s + length])].append((s, length))
    out = []
    for i in range(task.rows_per_sample):
        want = i % 2 == 0  # alternate yes and no where both exist
        pool = starts[want] or starts[not want]
        s, length = rng.choice(pool)
        times = m.timestamps[s : s + length]
        answer = _yes_no(_shown(m, times))
        prompt, images = _clip(m, s, length, PRESENCE_PROMPT.format(query=query))
        if task.turns > 1:  # one conversation: this query, then the video's others
            more = rng.sample(same, min(task.turns - 1, len(same)))
            asked = [
                (PRESENCE_PROMPT.format(query=query_of(o)), _yes_no(_shown(o, times))) for o in more
            ]
            out.append(conversation(prompt, images, answer, asked))
            continue
        out.append(prompt_completion(prompt, images, answer))
        for o in same if task.contrast else []:
            prompt, images = _clip(m, s, length, PRESENCE_PROMPT.format(query=query_of(o)))
            out.append(prompt_completion(prompt, images, _yes_no(_shown(o, times))))
    return out


def caption_rows(
    m: ModelInput, task: PretrainTask, rng: random.Random, siblings: Sequence[ModelInput] = ()
) -> list[dict]:
    if expects_refusal(m.relevance):
        return []
    inside = [i for i, t in enumerate(m.timestamps) if _inside(t, m.gt_windows)]
    out = []
    for _ in range(min(task.rows_per_sample, len(inside))):
        i = rng.choice(inside)
        prompt, images = _clip(m, i, 1, CAPTION_PROMPT)
        out.append(prompt_completion(prompt, images, query_of(m)))
    return out


ROWS = {"presence": presence_rows, "caption": caption_rows}


def pretrain_rows(inputs: Sequence[ModelInput], task: PretrainTask, seed: int) -> list[dict]:
    """Prompt-completion rows (TRL's conversational vision format), shuffled with `seed`."""
    rng = random.Random(seed)
    by_video: dict[str, list[ModelInput]] = {}
    for m in inputs:
        by_video.setdefault(m.video_id or m.sample_id, []).append(m)
    rows: list[dict] = []
    for m in inputs:
        for kind in task.kinds:
            rows += ROWS[kind](m, task, rng, by_video[m.video_id or m.sample_id])
    if any("messages" in r for r in rows):  # one dataset holds one format: all conversations
        rows = [
            r
            if "messages" in r
            else {"messages": r["prompt"] + r["completion"], "images": r["images"]}
            for r in rows
        ]
    rng.shuffle(rows)
    return rows
