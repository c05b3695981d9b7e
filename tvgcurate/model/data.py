"""Training rows for TRL, and the irrelevant-row share (PIR mixing).

Two ways to feed a trainer:
- streamed (`stream_dataset`, the default of `tvgcurate train`): a `datasets.Dataset` of
  light rows (sample fields and keyframe sizes, no pixels) whose transform decodes a
  sample's frames when the data loader asks for that row, inside its workers. Frames come
  from the `frames` table (one video's row group, memory-mapped) or from the video. A
  sample whose frames cannot be read is replaced by the next readable row, logged as a
  warning with a running count, and listed in `skipped.jsonl` of the run directory;
- in memory (`to_dataset(sft_rows(...))`): every frame decoded first and held as PNG bytes,
  for small workspaces and for the pretrain stand-in.
Under accelerate the trainer's distributed sampler gives each rank its own indices, so each
rank decodes only its own rows.
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from tvgcurate.errors import TvgError
from tvgcurate.model.inputs import InputConfig, ModelInput, SamplePlan, build_input
from tvgcurate.schemas.sample import expects_refusal, has_windows

log = logging.getLogger(__name__)
SKIPPED_FILE = "skipped.jsonl"
MAX_CONSECUTIVE_SKIPS = 32


def mix(
    inputs: Sequence, irrelevant_share: float | None, seed: int, limit: int | None = None
) -> list:
    """Keep every relevant row and enough irrelevant/partial rows for `irrelevant_share`.

    Rows are ModelInputs or SamplePlans (anything with `.relevance`); the same seed picks the
    same samples in the same order either way.

    share s with R relevant rows asks for s/(1-s)*R irrelevant ones, drawn without
    replacement with `seed` (all of them when there are fewer). None keeps the input as is.
    `limit`: at most that many rows, drawn with `seed`, in the proportions of the full mix
    (the stage's fixed pool, `max_rows`).
    """
    if irrelevant_share is None:
        rel = list(inputs)
        irr: list = []
    else:
        rel = [m for m in inputs if has_windows(m.relevance)]
        irr = [m for m in inputs if expects_refusal(m.relevance)]
    rng = random.Random(seed)
    if irrelevant_share is not None:
        want = round(irrelevant_share / (1.0 - irrelevant_share) * len(rel)) if rel else len(irr)
        irr = rng.sample(irr, min(want, len(irr)))
    pool = limit is not None and len(rel) + len(irr) > limit
    if pool:
        n_irr = round(limit * len(irr) / (len(rel) + len(irr)))
        irr = rng.sample(irr, n_irr)
        rel = rng.sample(rel, limit - n_irr)
    out = rel + irr
    if irrelevant_share is None and not pool:
        return out
    rng.shuffle(out)
    return out


def said(text: str) -> dict:
    """An assistant turn."""
    return {"role": "assistant", "content": [{"type": "text", "text": text}]}


def query_of(m: ModelInput) -> str:
    """The sample's question: the text after the frames, as the prompt template wrote it."""
    parts = m.prompt[0]["content"]
    return parts[-1]["text"] if parts and parts[-1]["type"] == "text" else ""


def prompt_completion(prompt: list[dict], images, answer: str) -> dict:
    """A prompt-completion row in TRL's conversational vision format."""
    return {"prompt": prompt, "completion": [said(answer)], "images": images}


def conversation(prompt: list[dict], images, answer: str, more: Sequence[tuple[str, str]]) -> dict:
    """A multi-turn row (TRL's conversational language-modeling format, every answer
    trained): `prompt` and `answer`, then each (question, answer) of `more`, text only, on
    the same images."""
    messages = [*prompt, said(answer)]
    for question, answer_ in more:
        messages += [{"role": "user", "content": [{"type": "text", "text": question}]}]
        messages += [said(answer_)]
    return {"messages": messages, "images": images}


def sft_row(m: ModelInput, more: Sequence[ModelInput] | None = None) -> dict:
    """m's prompt-completion row; with `more` (a list, maybe empty) a multi-turn row instead:
    m's prompt and answer, then each other sample's question and answer, on m's frames."""
    if more is None:
        return prompt_completion(m.prompt, m.images, m.target)
    return conversation(m.prompt, m.images, m.target, [(query_of(o), o.target) for o in more])


def grpo_row(m: ModelInput) -> dict:
    """A prompt row plus the columns the rewards read (no None: empty list for no windows)."""
    return {
        "prompt": m.prompt,
        "images": m.images,
        "sample_id": m.sample_id,
        "gt_windows": [list(map(float, w)) for w in m.gt_windows],
        "relevance": m.relevance,
        "duration_s": float(m.duration_s or 0.0),
    }


ROW_KINDS = {"sft": sft_row, "grpo": grpo_row}


def _frame_times(row) -> tuple[float, ...]:
    if isinstance(row, SamplePlan):
        return tuple(float(k["timestamp_s"]) for k in row.keyframes)
    return tuple(row.timestamps)


def companions(rows: Sequence, turns: int, seed: int) -> list[list[int]]:
    """For each row (ModelInput or SamplePlan), the indices of up to `turns`-1 other rows of
    its video that show the same frames: its follow-up questions in a multi-turn SFT row.
    Drawn with `seed`, so the in-memory and streamed paths pick the same ones."""
    if turns <= 1:
        return [[] for _ in rows]
    groups: dict[tuple, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault((r.video_id, _frame_times(r)), []).append(i)
    rng = random.Random(seed)
    out = []
    for i, r in enumerate(rows):
        pool = [j for j in groups[(r.video_id, _frame_times(r))] if j != i]
        out.append(rng.sample(pool, min(turns - 1, len(pool))))
    return out


def sft_rows(inputs: Sequence[ModelInput], turns: int = 1, seed: int = 0) -> list[dict]:
    """SFT rows; `turns` > 1: multi-turn rows, each sample then up to turns-1 companions."""
    if turns <= 1:
        return [sft_row(m) for m in inputs]
    picks = companions(inputs, turns, seed)
    return [sft_row(m, [inputs[j] for j in js]) for m, js in zip(inputs, picks, strict=True)]


def grpo_rows(inputs: Sequence[ModelInput]) -> list[dict]:
    return [grpo_row(m) for m in inputs]


def _png(image) -> dict:
    import io

    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)  # lossless and fast; default level is slow
    return {"bytes": buf.getvalue(), "path": None}


def to_dataset(rows: list[dict]):
    """A datasets.Dataset whose `images` column is a sequence of datasets.Image."""
    import datasets

    if not rows:
        raise ValueError("no training rows")
    rows = [{**r, "images": [_png(im) for im in r["images"]]} for r in rows]
    ds = datasets.Dataset.from_list(rows)
    return ds.cast_column("images", datasets.List(datasets.Image()))


# -- streamed ------------------------------------------------------------------------------


class SkipLog:
    """Samples whose frames could not be read: a counted warning and one JSON line each.

    Appends with O_APPEND, so data-loader workers and ranks can share one file.
    """

    def __init__(self, path: str | Path, stage: str):
        self.path, self.stage = Path(path), stage
        self.count = 0

    def record(self, sample_id: str, error: str, warn: bool = True) -> None:
        self.count += 1
        if warn:
            log.warning(
                "skipped sample %s (%d skipped by this worker so far): %s",
                sample_id,
                self.count,
                error,
            )
        line = json.dumps({"stage": self.stage, "sample_id": sample_id, "error": error}) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)


def read_skipped(path: str | Path, stage: str | None = None) -> dict[str, str]:
    """sample_id -> error of a run's skipped.jsonl (one stage, or all)."""
    path = Path(path)
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            if stage is None or r.get("stage") == stage:
                out.setdefault(r["sample_id"], r.get("error", ""))
    return out


def light_rows(plans: Sequence[SamplePlan], turns: int = 1, seed: int = 0) -> dict[str, list]:
    """Columns of the streamed dataset: a sample's fields and its keyframes' sizes, no pixels,
    and the indices of its multi-turn companions (`companions`; empty when `turns` is 1)."""
    cols: dict[str, list] = {
        k: []
        for k in (
            "sample_id",
            "video_id",
            "query",
            "relevance",
            "windows",
            "duration_s",
            "kf_frame_index",
            "kf_timestamp_s",
            "kf_height",
            "kf_width",
        )
    }
    cols["companions"] = companions(plans, turns, seed)
    for p in plans:
        s = p.sample
        cols["sample_id"].append(s["sample_id"])
        cols["video_id"].append(s["video_id"])
        cols["query"].append(s["query"])
        cols["relevance"].append(p.relevance)
        cols["windows"].append(
            [[float(w["start"]), float(w["end"])] for w in (s.get("windows") or [])]
        )
        cols["duration_s"].append(float(s.get("duration_s") or 0.0))
        cols["kf_frame_index"].append([int(k["frame_index"]) for k in p.keyframes])
        cols["kf_timestamp_s"].append([float(k["timestamp_s"]) for k in p.keyframes])
        cols["kf_height"].append([int(k.get("height") or 0) for k in p.keyframes])
        cols["kf_width"].append([int(k.get("width") or 0) for k in p.keyframes])
    return cols


def _sample_and_keyframes(row: dict) -> tuple[dict, list[dict]]:
    sample = {
        "sample_id": row["sample_id"],
        "video_id": row["video_id"],
        "query": row["query"],
        "relevance": row["relevance"],
        "windows": [{"start": s, "end": e} for s, e in row["windows"]],
        "duration_s": row["duration_s"],
    }
    kfs = [
        {"video_id": row["video_id"], "frame_index": i, "timestamp_s": t, "height": h, "width": w}
        for i, t, h, w in zip(
            row["kf_frame_index"],
            row["kf_timestamp_s"],
            row["kf_height"],
            row["kf_width"],
            strict=True,
        )
    ]
    return sample, kfs


class RowLoader:
    """The transform of a streamed dataset: light rows in, TRL rows with PIL images out.

    Keeps the last few built rows (GRPO asks for each prompt `num_generations` times).
    An unreadable sample is recorded in the SkipLog and replaced by the next readable row.
    """

    def __init__(
        self, light, source, fmt, cfg: InputConfig, kind: str, skip_log: SkipLog, turns: int = 1
    ):
        if kind not in ROW_KINDS:
            raise ValueError(f"kind must be one of {sorted(ROW_KINDS)}, got {kind!r}")
        self.light, self.source, self.fmt, self.cfg = light, source, fmt, cfg
        self.kind, self.skip_log = kind, skip_log
        self.turns = turns if kind == "sft" else 1
        self.bad: set[int] = set()
        self._recent: OrderedDict[int, dict] = OrderedDict()

    def build(self, i: int) -> dict:
        """The TRL row of light row `i`; raises if its frames cannot be read."""
        if i in self._recent:
            self._recent.move_to_end(i)
            return self._recent[i]
        light = self.light[i]
        sample, kfs = _sample_and_keyframes(light)
        images = self.source.frames(sample["video_id"], kfs)
        m = build_input(sample, kfs, images, self.fmt, self.cfg)
        if self.turns > 1:  # companions show the same frames: their questions, m's images
            more = [self._on(j, kfs, images) for j in light["companions"]]
            row = sft_row(m, more)
        else:
            row = ROW_KINDS[self.kind](m)
        self._recent[i] = row
        while len(self._recent) > 4:
            self._recent.popitem(last=False)
        return row

    def _on(self, j: int, kfs: list[dict], images) -> ModelInput:
        sample, _ = _sample_and_keyframes(self.light[j])
        return build_input(sample, kfs, images, self.fmt, self.cfg)

    def row(self, i: int) -> dict:
        n = len(self.light)
        for k in range(min(n, MAX_CONSECUTIVE_SKIPS)):
            j = (i + k) % n
            if j in self.bad:
                continue
            try:
                return self.build(j)
            except Exception as exc:  # noqa: BLE001 - a bad sample never kills the run
                self.bad.add(j)
                self.skip_log.record(self.light[j]["sample_id"], f"{type(exc).__name__}: {exc}")
        raise TvgError(
            f"{MAX_CONSECUTIVE_SKIPS} consecutive samples have unreadable frames (see "
            f"{self.skip_log.path}); check the videos / frames table"
        )

    def __call__(self, batch: dict[str, list]) -> dict[str, list]:
        rows = [self.row(int(i)) for i in batch["index"]]
        return {k: [r[k] for r in rows] for k in rows[0]}


def stream_dataset(
    plans: Sequence[SamplePlan],
    source,
    fmt,
    cfg: InputConfig,
    kind: str,
    skip_log,
    turns: int = 1,
    seed: int = 0,
):
    """A datasets.Dataset of light rows that decodes frames on access (see the module doc).

    `source` is the InputPlan's FrameSource; `kind` is "sft" or "grpo"; `turns` > 1 (sft):
    multi-turn rows as `sft_rows` builds them, with the same companions for the same seed.
    """
    import datasets

    if not plans:
        raise ValueError("no training rows")
    cols = light_rows(plans, turns if kind == "sft" else 1, seed)
    light = datasets.Dataset.from_dict(cols)
    index = datasets.Dataset.from_dict(
        {"index": list(range(len(plans))), "sample_id": cols["sample_id"]}
    )
    return index.with_transform(RowLoader(light, source, fmt, cfg, kind, skip_log, turns))
