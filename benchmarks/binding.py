"""Does `tiny` bind the query's words to the frames? A fast plain-PyTorch SFT diagnosis.

The learning benchmark's question, stripped to what decides it: videos of 1 fps frames drawn
directly at 56x56 (4 visual tokens each) with demo-data's shapes (`tvgcurate.demo.render`),
k coloured shapes per video (each colour once, so the query's colour decides the answer when
k >= 2), ETA stamps before every frame (`tvgcurate.model.inputs.build_input`), and the
project's `tiny` Qwen2-VL, processor and answer format. Everything but the data is the
library's: rows in its SFT format trained by `tvgcurate.model.sft.run_sft` (each stage its
own warmup + cosine schedule, as `tvgcurate train`), answers and refusal scores from the
`hf` score backend, metrics from `tvgcurate.metrics`. One flag per suspected cause:

    .venv/bin/python -m benchmarks.binding --out /tmp/bind/base --steps 1500
    .venv/bin/python -m benchmarks.binding --out /tmp/bind/words --steps 1500 --word-tokens
    .venv/bin/python -m benchmarks.binding --out /tmp/bind/pre --steps 1500 --pretrain-steps 400

Budgets are optimiser steps (machines differ about 5x in speed); the wall time is printed
beside them. Held-out: 300 videos of a fixed seed, split by shape count. The refusal score is
the backend's refusal score at the answer's decision point (the token after ``<answer>``),
windows come from decoding with the refusal word suppressed, so grounding and refusal are
measured apart. Videos are drawn fresh for every training row (no row is seen twice).
Writes RESULTS.json and curve.jsonl into --out.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from tvgcurate.demo.render import COLOURS, shape_mask
from tvgcurate.metrics import (
    interval_iou,
    refusal_accuracy_at_threshold,
    refusal_auc,
    refusal_threshold_at_frr,
)
from tvgcurate.model.eta import TimestampFormat, parse_answer

PALETTE = {c: COLOURS[c] for c in ("red", "green", "blue", "yellow", "purple", "orange")}
KINDS = ("circle", "square", "triangle")
FRAME = 56
WORDS = [*PALETTE, *KINDS, "When", "is", "the", "visible", "What", "shown"]
"""The task's words, as whole-word tokens (`--word-tokens`: TinyConfig.words)."""


@dataclass
class Task:
    min_frames: int = 8
    max_frames: int = 12
    min_shapes: int = 2
    max_shapes: int = 3
    max_run: float = 0.5  # a shape's run is at most this share of the frames
    moving: bool = False  # shapes move across the frame (False: a random place per frame)


def draw(colour: str | None, kind: str, rng: random.Random, bg: int) -> np.ndarray:
    """One FRAME x FRAME frame: a grey background and, unless `colour` is None, one shape of
    demo-data's (shape_mask) at a random size and place."""
    a = np.full((FRAME, FRAME, 3), bg, np.uint8)
    if colour is None:
        return a
    s = rng.randint(20, 32)
    x0, y0 = rng.randint(0, FRAME - s), rng.randint(0, FRAME - s)
    a[y0 : y0 + s, x0 : x0 + s][shape_mask(kind, s)] = PALETTE[colour]
    return a


def make_video(rng: random.Random, task: Task) -> dict:
    """Frames and every (query, window or None) of one video: its shapes and one absent one."""
    n = rng.randint(task.min_frames, task.max_frames)
    k = rng.randint(task.min_shapes, task.max_shapes)
    colours = rng.sample(list(PALETTE), k + 1)
    slots: list[str | None] = [None] * n
    runs: dict[str, tuple[int, int]] = {}
    for c in colours[:k]:
        length = rng.randint(1, max(1, int(n * task.max_run)))
        for _ in range(100):
            s = rng.randint(0, n - length)
            if all(x is None for x in slots[s : s + length]):
                slots[s : s + length] = [c] * length
                runs[c] = (s, s + length)
                break
    kind = {c: rng.choice(KINDS) for c in colours}
    bg = rng.randint(0, 140)
    frames = [draw(slots[i], kind.get(slots[i], "square"), rng, bg) for i in range(n)]
    absent = [c for c in colours if c not in runs]
    qa = [(f"When is the {c} {kind[c]} visible?", runs[c]) for c in runs]
    qa += [(f"When is the {c} {kind[c]} visible?", None) for c in absent[:1]]
    return {"n": n, "frames": frames, "qa": qa, "k": len(runs), "slots": slots, "kind": kind}


def to_pil(frames):
    from PIL import Image

    return [Image.fromarray(f) if isinstance(f, np.ndarray) else f for f in frames]


# -- the model's inputs: the library's ------------------------------------------------------


class Encoder:
    """A video and a question as the library's ModelInput (`build_input`: ETA stamps before
    every frame, the query after them, and before them too with `query_first`)."""

    def __init__(self, processor, fmt: TimestampFormat, query_first: bool = False):
        from tvgcurate.model.inputs import InputConfig

        self.proc, self.fmt, self.query_first = processor, fmt, query_first
        self.cfg = InputConfig(prompt_template="{query}", frames="uniform", query_first=query_first)

    def model_input(self, video: dict, query: str, window=None, relevant: bool | None = None):
        """`window` None: an irrelevant query (trained to refuse) unless `relevant`."""
        from tvgcurate.model.inputs import build_input

        rel = window is not None if relevant is None else relevant
        sample = {
            "sample_id": query,
            "query": query,
            "windows": [] if window is None else [{"start": window[0], "end": window[1]}],
            "relevance": "relevant" if rel else "irrelevant",
            "duration_s": float(video["n"]),
        }
        keyframes = [{"timestamp_s": float(t)} for t in range(video["n"])]
        return build_input(sample, keyframes, to_pil(video["frames"]), self.fmt, self.cfg)

    def conversation(self, video: dict, qa: list) -> dict:
        """A multi-turn SFT row (the library's format): the first question on the frames,
        the others as follow-ups, every answer trained."""
        from tvgcurate.model.data import sft_row

        first, *more = [self.model_input(video, q, w) for q, w in qa]
        return sft_row(first, more)

    def asked(self, video: dict, turns: list[tuple[str, str]]) -> dict:
        """A multi-turn row of free-form (question, answer) turns on the video's frames."""
        from tvgcurate.model.data import conversation

        m = self.model_input(video, turns[0][0], relevant=True)
        return conversation(m.prompt, m.images, turns[0][1], turns[1:])


def add_word_tokens(processor, model) -> list[str]:
    """WORDS as whole-word tokens on a model built without them (`TinyConfig(words=WORDS)`
    does it at build time)."""
    from tokenizers import AddedToken

    processor.tokenizer.add_tokens([AddedToken(w, normalized=False) for w in WORDS])
    model.resize_token_embeddings(len(processor.tokenizer))
    return WORDS


# -- training rows ----------------------------------------------------------------------------


def caption_rows(enc: Encoder, rng: random.Random, task: Task, size: int) -> list[dict]:
    """Single frames captioned with their shape or 'nothing': a stand-in for pretraining."""
    from tvgcurate.model.data import prompt_completion

    rows = []
    for _ in range(size):
        c = rng.choice([None, *PALETTE])
        kind = rng.choice(KINDS)
        img = draw(c, kind, rng, rng.randint(0, 140))
        text = "nothing" if c is None else f"the {c} {kind}"
        prompt = [
            {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": CAPTION_Q}]}
        ]
        rows.append(prompt_completion(prompt, to_pil([img]), text))
    return rows


CAPTION_Q = "What is shown?"


def presence_rows(enc: Encoder, rng: random.Random, task: Task, size: int, turns: int):
    """'Is there a red circle?' answered yes/no: binding without timestamps (a diagnosis)."""
    rows = []
    for _ in range(size):
        v = make_video(rng, task)
        qa = v["qa"][:]
        rng.shuffle(qa)
        asked = [
            (
                q.replace("When is the", "Is there a").replace(" visible?", "?"),
                "no" if w is None else "yes",
            )
            for q, w in qa[:turns]
        ]
        rows.append(enc.asked(v, asked))
    return rows


def stamp_caption_rows(enc: Encoder, rng: random.Random, task: Task, size: int, turns: int):
    """'What is shown at <t>03.0</t>?' answered 'the red circle' or 'nothing' (dense captions)."""
    rows = []
    for _ in range(size):
        v = make_video(rng, task)
        asked = []
        for _ in range(turns):
            t = rng.randrange(v["n"])
            c = v["slots"][t]
            answer = "nothing" if c is None else f"the {c} {v['kind'][c]}"
            asked.append((f"What is shown at {enc.fmt.stamp(float(t))}?", answer))
        rows.append(enc.asked(v, asked))
    return rows


def pir_turns(v: dict, rng: random.Random, turns: int, share: float) -> list:
    """`turns` Q/A pairs where each is an absent shape's query (answered with the refusal)
    with probability `share`, else one of the video's shapes; share 0 never refuses, and a
    video with fewer shapes than turns then gets fewer turns."""
    relevant = [qa for qa in v["qa"] if qa[1] is not None]
    rng.shuffle(relevant)
    present = {c for c in v["slots"] if c is not None}
    absent = [c for c in PALETTE if c not in present]
    rng.shuffle(absent)
    out = []
    for _ in range(turns):
        if absent and rng.random() < share:
            out.append((f"When is the {absent.pop()} {rng.choice(KINDS)} visible?", None))
        elif relevant:
            out.append(relevant.pop())
    return out


def grounding_rows(
    enc: Encoder,
    rng: random.Random,
    task: Task,
    size: int,
    turns: int,
    pool=None,
    irrelevant_share: float | None = None,
) -> list[dict]:
    """Multi-turn grounding conversations of fresh videos, or of a fixed `pool` of videos
    whose `qa` holds the (possibly noisy) labels to train on. `irrelevant_share` None keeps
    each video's own Q/A list (its shapes and one absent shape, shuffled); a number draws
    the turns with `pir_turns` (the PIR arms)."""
    rows = []
    for _ in range(size):
        v = rng.choice(pool) if pool is not None else make_video(rng, task)
        if irrelevant_share is None:
            qa = v["qa"][:]
            rng.shuffle(qa)
            qa = qa[:turns]
        else:
            qa = pir_turns(v, rng, turns, irrelevant_share)
        if qa:
            rows.append(enc.conversation(v, qa))
    return rows


def stage_rows(enc: Encoder, args, task: Task, stage: str, pool=None) -> list[dict]:
    """Every row of a stage: `args.batch` (captions: `args.caption_batch`) per step."""
    rng = random.Random(f"{args.seed}-{stage}")
    if stage == "pretrain":
        short = args.pretrain_max_frames or task.max_frames
        pre_task = Task(
            1, short, 1, min(task.max_shapes, args.pretrain_max_frames or task.max_shapes)
        )
        n = args.pretrain_steps
        if args.pretrain_kind == "frame":
            return caption_rows(enc, rng, task, n * args.caption_batch)
        if args.pretrain_kind == "presence":
            return presence_rows(enc, rng, pre_task, n * args.batch, args.turns + 1)
        return stamp_caption_rows(enc, rng, pre_task, n * args.batch, args.turns + 1)
    n = args.steps * args.batch
    if args.presence:
        return presence_rows(enc, rng, task, n, args.turns)
    rows = grounding_rows(enc, rng, task, n, args.turns, pool, args.irrelevant_share)
    if args.mix_presence:  # keep the yes/no rows beside grounding (multi-task)
        rows += presence_rows(enc, rng, task, max(1, n // 4), args.turns)
        rng.shuffle(rows)
    return rows


def dataset(rows: list[dict], chunk: int = 2000):
    """The library's in-memory dataset (`to_dataset`), built a chunk at a time."""
    import datasets

    from tvgcurate.model.data import to_dataset

    parts = [to_dataset(rows[i : i + chunk]) for i in range(0, len(rows), chunk)]
    return parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)


def train(
    model,
    enc: Encoder,
    args,
    task: Task,
    log,
    pool=None,
    start_step: int = 0,
    stop: int | None = None,
    state: dict | None = None,
) -> dict:
    """The pretraining stand-in (`args.pretrain_steps`), then SFT (`args.steps`), each one
    `run_sft` stage with its own warmup + cosine schedule. `start_step`/`stop` pick whole
    stages (`stop=args.pretrain_steps`: the stand-in only; `start_step=args.pretrain_steps`:
    SFT only, from a model that had it); `state` is accepted for old callers and gets
    `opt` None: the optimiser is not carried from one stage to the next."""
    from tvgcurate.model.config import SFTStageConfig
    from tvgcurate.model.sft import run_sft
    from tvgcurate.model.trainlog import read_log

    pre, total = args.pretrain_steps, args.pretrain_steps + args.steps
    end = total if stop is None else min(stop, total)
    if start_step not in (0, pre) or end not in (pre, total):
        raise ValueError(f"binding.train runs whole stages: steps 0-{pre} and {pre}-{total}")
    stages = [("pretrain", pre)] if start_step == 0 and pre else []
    if end == total and args.steps:
        stages.append(("sft", args.steps))
    t0 = time.time()
    model.train()
    for name, steps in stages:
        rows = stage_rows(enc, args, task, name, pool)
        per_step = (
            args.caption_batch
            if name == "pretrain" and args.pretrain_kind == "frame"
            else args.batch
        )
        stage = SFTStageConfig(
            learning_rate=args.lr,
            max_steps=steps,
            per_device_train_batch_size=per_step,
            warmup_ratio=0.05,
            lr_scheduler_type="cosine",
            weight_decay=0.0,
            max_grad_norm=1.0,
            logging_steps=min(50, steps),
            save_steps=10**9,
        )
        with tempfile.TemporaryDirectory(prefix=f"binding_{name}_") as out:
            run_sft(model, enc.proc, dataset(rows), stage, Path(out), seed=args.seed, name=name)
            for rec in read_log(Path(out) / "metrics.jsonl"):
                offset = pre if name == "sft" else 0
                log(
                    {
                        **rec,
                        "step": rec.get("step", 0) + offset,
                        "seconds": round(time.time() - t0, 1),
                    }
                )
    if state is not None:
        state["opt"] = None
    return {"steps": end - start_step, "seconds": round(time.time() - t0, 1)}


# -- scoring: the library's backend ---------------------------------------------------------


@contextmanager
def backend(model, processor, batch_size: int = 16, max_new_tokens: int = 20):
    """The `hf` score backend on (a saved copy of) `model`."""
    from tvgcurate.model.backends.base import GenOptions, get_backend
    from tvgcurate.model.loading import save_model

    with tempfile.TemporaryDirectory(prefix="binding_model_") as d:
        save_model(model, processor, Path(d))
        yield get_backend(
            "hf", Path(d), GenOptions(max_new_tokens=max_new_tokens, batch_size=batch_size)
        )


def probe_accuracy(model, enc: Encoder, task: Task, kind: str, count: int = 200) -> float:
    """Greedy accuracy of the caption or presence answer on fresh examples (seed 4242)."""
    from tvgcurate.model.inputs import ModelInput

    rng = random.Random(4242)
    if kind == "caption":
        rows = caption_rows(enc, rng, task, count)
        prompts = [(r["prompt"], r["images"], r["completion"]) for r in rows]
    else:
        rows = presence_rows(enc, rng, task, count, 1)
        prompts = [(r["messages"][:1], r["images"], r["messages"][1:]) for r in rows]
    inputs = [
        ModelInput(str(i), p, ims, answer[0]["content"][0]["text"], [], "relevant", [], 0.0)
        for i, (p, ims, answer) in enumerate(prompts)
    ]
    with backend(model, enc.proc, max_new_tokens=8) as b:
        gens = b.generate(inputs)
    return sum(g.texts[0].strip() == m.target for g, m in zip(gens, inputs)) / count


def iou(p, g) -> float:
    """IoU of two (start, end) windows (`tvgcurate.metrics.interval_iou`); 0 when either is None."""
    if p is None or g is None:
        return 0.0
    return float(interval_iou(np.asarray(p, dtype=float), np.asarray(g, dtype=float)))


def heldout(task: Task, count: int) -> list[dict]:
    rng = random.Random(99991)
    out = []
    for i in range(count):
        v = make_video(rng, task)
        # alternate a relevant query (one of the shapes) and the absent shape's (irrelevant)
        q, w = v["qa"][(i // 2) % v["k"]] if i % 2 == 0 else v["qa"][-1]
        out.append({**v, "query": q, "gt": w})
    return out


def evaluate(model, enc: Encoder, args, task: Task, limit: int | None = None) -> dict:
    return summarise(predict(model, enc, heldout(task, args.heldout)[:limit]))


def _window(a):
    return None if (a is None or a.refused) else (min(a.start, a.end), max(a.start, a.end))


def predict(model, enc: Encoder, rows: list[dict]) -> list[dict]:
    """Per row (n, frames, query, gt, k), from the `hf` backend: the window decoded with the
    refusal suppressed, the greedy answer and the refusal score at the decision point."""
    inputs = [enc.model_input(r, r["query"], r["gt"]) for r in rows]
    with backend(model, enc.proc) as b:
        gens = b.generate(inputs)
    recs = []
    for r, gen in zip(rows, gens, strict=True):
        g, w = parse_answer(gen.texts[0]), parse_answer(gen.window_text)
        recs.append(
            {
                "k": r["k"],
                "gt": r["gt"],
                "p_refuse": float(gen.refusal_score if gen.refusal_score is not None else 0.0),
                "greedy_refused": bool(g and g.refused),
                "greedy_bad": g is None,
                "greedy": _window(g),
                "window": _window(w),
            }
        )
    return recs


def summarise(recs: list[dict]) -> dict:
    """Fractions (not percent) per shape count; the refusal figures by `tvgcurate.metrics`."""

    def block(rs):
        rel = [r for r in rs if r["gt"] is not None]
        irr = [r for r in rs if r["gt"] is None]
        ious = [iou(r["window"], r["gt"]) for r in rel]
        gious = [iou(r["greedy"], r["gt"]) for r in rel]
        scores = np.array([r["p_refuse"] for r in rs])
        irrelevant = np.array([r["gt"] is None for r in rs])
        auc = refusal_auc(scores, irrelevant)
        out = {
            "relevant": len(rel),
            "irrelevant": len(irr),
            "R1@0.5": float(np.mean([x >= 0.5 for x in ious])) if rel else None,
            "mIoU": float(np.mean(ious)) if rel else None,
            "greedy_R1@0.5": float(np.mean([x >= 0.5 for x in gious])) if rel else None,
            "greedy_mIoU": float(np.mean(gious)) if rel else None,
            "greedy_refusal_acc": float(np.mean([r["greedy_refused"] for r in irr]))
            if irr
            else None,
            "greedy_false_refusals": float(np.mean([r["greedy_refused"] for r in rel]))
            if rel
            else None,
            "refusal_auc": float("nan") if auc is None else auc,
        }
        for frr in (0.05, 0.1):
            if rel and irr:
                thr = refusal_threshold_at_frr(scores, irrelevant, frr)
                out[f"refusal_acc@frr{frr}"] = (
                    refusal_accuracy_at_threshold(scores, irrelevant, thr) / 100
                )
        return out

    res = {"all": block(recs)}
    for k in sorted({r["k"] for r in recs}):
        res[f"{k}_shapes"] = block([r for r in recs if r["k"] == k])
    return res


def baselines(task: Task, count: int) -> dict:
    """Whole video and the best constant window (fractions on a 0.05 grid, fitted here)."""
    rows = [r for r in heldout(task, count) if r["gt"] is not None]
    whole = np.mean([iou((0, r["n"]), r["gt"]) for r in rows])
    best = (0.0, None)
    grid = np.arange(0, 1.0001, 0.05)
    for a in grid:
        for b in grid:
            if b <= a:
                continue
            ious = [iou((a * r["n"], b * r["n"]), r["gt"]) for r in rows]
            m = float(np.mean(ious))
            if m > best[0]:
                best = (m, (float(a), float(b)), float(np.mean([x >= 0.5 for x in ious])))
    return {
        "whole_mIoU": float(whole),
        "constant_mIoU": best[0],
        "constant": best[1],
        "constant_R1@0.5": best[2],
    }


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--steps", type=int, default=1500, help="grounding SFT steps")
    p.add_argument("--pretrain-steps", type=int, default=0, help="caption steps first")
    p.add_argument("--pretrain-kind", choices=["frame", "stamp", "presence"], default="frame")
    p.add_argument("--pretrain-max-frames", type=int, default=0, help="short clips first (0: full)")
    p.add_argument("--mix-presence", action="store_true", help="presence rows during SFT too")
    p.add_argument("--caption-batch", type=int, default=32)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument(
        "--irrelevant-share",
        type=float,
        default=None,
        help="SFT: each turn is an absent shape's query with this probability (PIR arms; "
        "default: each video's shapes plus one absent shape, about 0.29)",
    )
    p.add_argument("--turns", type=int, default=3, help="Q/A turns per training video")
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--min-shapes", type=int, default=2)
    p.add_argument("--max-shapes", type=int, default=3)
    p.add_argument("--min-frames", type=int, default=8)
    p.add_argument("--max-frames", type=int, default=12)
    p.add_argument("--word-tokens", action="store_true")
    p.add_argument("--query-first", action="store_true")
    p.add_argument("--presence", action="store_true", help="train yes/no presence instead")
    p.add_argument("--init-std", type=float, default=None, help="weight init std (None: 0.02)")
    p.add_argument("--tie", action="store_true", help="tie the output head to the embeddings")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--heldout", type=int, default=300)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--save", action="store_true", help="save the model to OUT/model at the end")
    args = p.parse_args(argv)

    import torch

    from tvgcurate.model.tiny import TinyConfig, build_tiny

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    task = Task(args.min_frames, args.max_frames, args.min_shapes, args.max_shapes)
    cfg = TinyConfig(
        hidden_size=args.hidden,
        num_layers=args.layers,
        num_heads=args.heads,
        intermediate_size=2 * args.hidden,
        seed=args.seed,
        initializer_range=args.init_std,
        words=list(WORDS) if args.word_tokens else [],
    )
    model, processor = build_tiny(cfg)
    if args.tie:
        model.lm_head.weight = model.get_input_embeddings().weight
    fmt = TimestampFormat.for_max_duration(args.max_frames)
    enc = Encoder(processor, fmt, args.query_first)
    curve = (args.out / "curve.jsonl").open("w")

    def log(rec):
        curve.write(json.dumps(rec) + "\n")
        curve.flush()
        print(json.dumps(rec), flush=True)

    run = train(model, enc, args, task, log)
    if args.presence or args.steps == 0:
        kind = "presence" if args.presence else "caption"
        acc = probe_accuracy(model, enc, task, kind, 400)
        (args.out / "RESULTS.json").write_text(json.dumps({"run": run, kind: acc}))
        print(kind, acc)
        return {kind: acc}
    result = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "task": asdict(task),
        "run": run,
        "params": sum(p.numel() for p in model.parameters()),
        "baselines": baselines(task, args.heldout),
        "heldout": evaluate(model, enc, args, task),
    }
    (args.out / "RESULTS.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result["heldout"], indent=1))
    if args.save:  # the start of benchmarks.binding_grpo
        from tvgcurate.model.loading import save_model

        save_model(model, processor, args.out / "model")
    return result


if __name__ == "__main__":
    main()
