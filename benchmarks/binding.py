"""Does `tiny` bind the query's words to the frames? A fast plain-PyTorch SFT diagnosis.

The learning benchmark's question, stripped to what decides it: videos of 1 fps frames drawn
directly at 56x56 (4 visual tokens each), k coloured shapes per video (each colour once, so
the query's colour decides the answer when k >= 2), ETA stamps before every frame, and the
project's `tiny` Qwen2-VL, processor and answer format. One flag per suspected cause:

    .venv/bin/python benchmarks/binding.py --out /tmp/bind/base --steps 1500
    .venv/bin/python benchmarks/binding.py --out /tmp/bind/words --steps 1500 --word-tokens
    .venv/bin/python benchmarks/binding.py --out /tmp/bind/pre --steps 1500 --pretrain-steps 400

Budgets are optimiser steps (machines differ about 5x in speed); the wall time is printed
beside them. Held-out: 300 videos of a fixed seed, split by shape count. The refusal score is
P(refusal) at the answer's decision point (the token after ``<answer>``), windows come from
decoding with the refusal word suppressed, so grounding and refusal are measured apart.
Writes RESULTS.json and curve.jsonl into --out.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tvgcurate.model.eta import TimestampFormat, parse_answer, refusal  # noqa: E402

PALETTE = {
    "red": (225, 30, 30),
    "green": (40, 205, 60),
    "blue": (40, 90, 240),
    "yellow": (245, 225, 40),
    "purple": (160, 60, 210),
    "orange": (250, 140, 20),
}
KINDS = ("circle", "square", "triangle")
FRAME = 56


@dataclass
class Task:
    min_frames: int = 8
    max_frames: int = 12
    min_shapes: int = 2
    max_shapes: int = 3
    max_run: float = 0.5  # a shape's run is at most this share of the frames
    moving: bool = False  # shapes move across the frame (False: a random place per frame)


def draw(colour: str | None, kind: str, rng: random.Random, bg: int) -> np.ndarray:
    a = np.full((FRAME, FRAME, 3), bg, np.uint8)
    if colour is None:
        return a
    s = rng.randint(20, 32)
    x0, y0 = rng.randint(0, FRAME - s), rng.randint(0, FRAME - s)
    yy, xx = np.mgrid[:FRAME, :FRAME]
    if kind == "square":
        m = (yy >= y0) & (yy < y0 + s) & (xx >= x0) & (xx < x0 + s)
    elif kind == "circle":
        r = s / 2
        m = (yy - y0 - r) ** 2 + (xx - x0 - r) ** 2 <= r * r
    else:  # triangle, apex up
        m = (yy >= y0) & (yy < y0 + s) & (np.abs(xx - x0 - s / 2) <= (yy - y0) / 2)
    a[m] = PALETTE[colour]
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


# -- the model's inputs -------------------------------------------------------------------


class Encoder:
    """Chat text, images and label masks for the project's processor."""

    def __init__(self, processor, fmt: TimestampFormat, query_first: bool = False):
        self.proc, self.fmt, self.query_first = processor, fmt, query_first
        tok = processor.tokenizer
        self.tok = tok
        self.im_start = tok.convert_tokens_to_ids("<|im_start|>")
        self.im_end = tok.convert_tokens_to_ids("<|im_end|>")
        self.assistant = tok.encode("assistant\n", add_special_tokens=False)
        self.answer_open = tok.convert_tokens_to_ids("<answer>")
        self.refuse_first = tok.encode("none", add_special_tokens=False)[0]

    def video_content(self, n: int, query: str) -> list[dict]:
        content = [{"type": "text", "text": query}] if self.query_first else []
        for t in range(n):
            content += [{"type": "text", "text": self.fmt.stamp(float(t))}, {"type": "image"}]
        content.append({"type": "text", "text": query})
        return content

    def answer(self, window) -> str:
        return refusal() if window is None else self.fmt.answer(float(window[0]), float(window[1]))

    def conversation(self, video: dict, qa: list) -> list[dict]:
        msgs = []
        for i, (q, w) in enumerate(qa):
            content = self.video_content(video["n"], q) if i == 0 else q
            msgs.append({"role": "user", "content": content})
            msgs.append({"role": "assistant", "content": self.answer(w)})
        return msgs

    def batch(self, convs: list[list[dict]], images: list[list], train: bool = True):
        import torch

        texts = [
            self.proc.apply_chat_template(c, tokenize=False, add_generation_prompt=not train)
            for c in convs
        ]
        self.tok.padding_side = "right" if train else "left"
        enc = self.proc(
            text=texts,
            images=[im for ims in images for im in ims] or None,
            return_tensors="pt",
            padding=True,
        )
        if train:
            labels = torch.full_like(enc["input_ids"], -100)
            for b, ids in enumerate(enc["input_ids"].tolist()):
                i, na = 0, len(self.assistant)
                while i < len(ids):
                    if ids[i] == self.im_start and ids[i + 1 : i + 1 + na] == self.assistant:
                        j = i + 1 + na
                        while j < len(ids) and ids[j] != self.im_end:
                            j += 1
                        labels[b, i + 1 + na : j + 1] = enc["input_ids"][b, i + 1 + na : j + 1]
                        i = j
                    i += 1
            enc["labels"] = labels
        return enc


def add_word_tokens(processor, model) -> list[str]:
    """Whole-word tokens for the task's words, as a real BPE vocabulary has them."""
    from tokenizers import AddedToken

    words = list(PALETTE) + list(KINDS) + ["When", "is", "the", "visible", "What", "shown"]
    processor.tokenizer.add_tokens([AddedToken(w, normalized=False) for w in words])
    model.resize_token_embeddings(len(processor.tokenizer))
    return words


# -- training -----------------------------------------------------------------------------


def caption_batch(enc: Encoder, rng: random.Random, task: Task, size: int):
    """Single frames captioned with their shape or 'nothing': a stand-in for pretraining."""
    convs, images = [], []
    for _ in range(size):
        c = rng.choice([None, *PALETTE])
        kind = rng.choice(KINDS)
        img = draw(c, kind, rng, rng.randint(0, 140))
        text = "nothing" if c is None else f"the {c} {kind}"
        convs.append(
            [
                {
                    "role": "user",
                    "content": [{"type": "image"}, {"type": "text", "text": "What is shown?"}],
                },
                {"role": "assistant", "content": text},
            ]
        )
        images.append([img])
    return convs, images


def presence_batch(enc: Encoder, rng: random.Random, task: Task, size: int, turns: int):
    """'Is there a red circle?' answered yes/no: binding without timestamps (a diagnosis)."""
    convs, images = [], []
    for _ in range(size):
        v = make_video(rng, task)
        qa = v["qa"][:]
        rng.shuffle(qa)
        msgs = []
        for i, (q, w) in enumerate(qa[:turns]):
            q = q.replace("When is the", "Is there a").replace(" visible?", "?")
            content = enc.video_content(v["n"], q) if i == 0 else q
            msgs += [
                {"role": "user", "content": content},
                {"role": "assistant", "content": "no" if w is None else "yes"},
            ]
        convs.append(msgs)
        images.append(v["frames"])
    return convs, images


def stamp_caption_batch(enc: Encoder, rng: random.Random, task: Task, size: int, turns: int):
    """'What is shown at <t>03.0</t>?' answered 'the red circle' or 'nothing' (dense captions)."""
    convs, images = [], []
    for _ in range(size):
        v = make_video(rng, task)
        msgs = []
        for i in range(turns):
            t = rng.randrange(v["n"])
            c = v["slots"][t]
            q = f"What is shown at {enc.fmt.stamp(float(t))}?"
            content = enc.video_content(v["n"], q) if i == 0 else q
            msgs += [
                {"role": "user", "content": content},
                {
                    "role": "assistant",
                    "content": "nothing" if c is None else f"the {c} {v['kind'][c]}",
                },
            ]
        convs.append(msgs)
        images.append(v["frames"])
    return convs, images


def probe_accuracy(model, enc: Encoder, task: Task, kind: str, count: int = 200) -> float:
    """Greedy accuracy of the caption or presence answer on fresh examples (seed 4242)."""
    import torch

    rng = random.Random(4242)
    fn = caption_batch if kind == "caption" else presence_batch
    convs, ims = fn(enc, rng, task, count) if kind == "caption" else fn(enc, rng, task, count, 1)
    model.eval()
    right = 0
    with torch.no_grad():
        for i in range(0, count, 25):
            c = [x[:-1] for x in convs[i : i + 25]]
            want = [x[-1]["content"] for x in convs[i : i + 25]]
            b = enc.batch(
                c,
                [to_pil(x) if isinstance(x[0], np.ndarray) else x for x in ims[i : i + 25]],
                train=False,
            )
            out = model.generate(**b, max_new_tokens=8, do_sample=False)
            for j, w in enumerate(want):
                got = enc.tok.decode(out[j, b["input_ids"].shape[1] :], skip_special_tokens=True)
                right += got.strip() == w
    model.train()
    return right / count


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


def grounding_batch(
    enc: Encoder,
    rng: random.Random,
    task: Task,
    size: int,
    turns: int,
    pool=None,
    irrelevant_share: float | None = None,
):
    """Multi-turn grounding conversations of fresh videos, or of a fixed `pool` of videos
    whose `qa` holds the (possibly noisy) labels to train on. `irrelevant_share` None keeps
    each video's own Q/A list (its shapes and one absent shape, shuffled); a number draws
    the turns with `pir_turns` (the PIR arms)."""
    convs, images = [], []
    for _ in range(size):
        v = rng.choice(pool) if pool is not None else make_video(rng, task)
        if irrelevant_share is None:
            qa = v["qa"][:]
            rng.shuffle(qa)
            qa = qa[:turns]
        else:
            qa = pir_turns(v, rng, turns, irrelevant_share)
        convs.append(enc.conversation(v, qa))
        images.append(v["frames"])
    return convs, images


def to_pil(frames):
    from PIL import Image

    return [Image.fromarray(f) for f in frames]


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
    """Pretrain then SFT on one warmup + cosine schedule over both stages.

    `start_step`/`stop` run a slice of that schedule (a stage resumed from a checkpoint);
    `state` carries the optimiser between slices: loaded from `state["opt"]` when present,
    written back at the end.
    """
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    if state and "opt" in state:
        opt.load_state_dict(state["opt"])
    total = args.pretrain_steps + args.steps
    warm = max(1, int(0.05 * total))

    def lr_at(step):
        if step < warm:
            return args.lr * (step + 1) / warm
        return args.lr * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))

    rng = random.Random(args.seed)
    pre_task = Task(
        1,
        args.pretrain_max_frames or task.max_frames,
        1,
        min(task.max_shapes, args.pretrain_max_frames or task.max_shapes),
    )
    model.train()
    t0 = time.time()
    ema = None
    end = total if stop is None else min(stop, total)
    for step in range(start_step, end):
        pre = step < args.pretrain_steps
        if pre and args.pretrain_kind == "frame":
            convs, ims = caption_batch(enc, rng, task, args.caption_batch)
        elif pre and args.pretrain_kind == "presence":
            convs, ims = presence_batch(enc, rng, pre_task, args.batch, args.turns + 1)
        elif pre:
            convs, ims = stamp_caption_batch(enc, rng, pre_task, args.batch, args.turns + 1)
        elif args.presence:
            convs, ims = presence_batch(enc, rng, task, args.batch, args.turns)
        else:
            g_task = task
            done = (step - args.pretrain_steps) / max(1, args.steps)
            if args.curriculum and done < 0.5:  # short videos first, full length by halfway
                lo = args.pretrain_max_frames or task.min_frames
                top = round(lo + (task.max_frames - lo) * done / 0.5)
                g_task = Task(
                    min(lo, task.min_frames), max(lo, top), task.min_shapes, task.max_shapes
                )
            convs, ims = grounding_batch(
                enc, rng, g_task, args.batch, args.turns, pool, args.irrelevant_share
            )
            if args.mix_presence:  # keep the yes/no rows beside grounding (multi-task)
                c2, i2 = presence_batch(enc, rng, task, max(1, args.batch // 4), args.turns)
                convs, ims = convs + c2, ims + i2
        batch = enc.batch(convs, [to_pil(x) if isinstance(x[0], np.ndarray) else x for x in ims])
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        out = model(**batch)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        loss = float(out.loss)
        ema = loss if ema is None else 0.98 * ema + 0.02 * loss
        if step % 50 == 0 or step == end - 1:
            rec = {
                "step": step,
                "stage": "pretrain" if pre else "sft",
                "loss": round(ema, 4),
                "lr": lr_at(step),
                "seconds": round(time.time() - t0, 1),
            }
            if step % args.probe_every == 0 and step:
                if args.presence or (pre and args.pretrain_kind == "presence"):
                    rec["probe"] = probe_accuracy(
                        model, enc, pre_task if pre else task, "presence", 100
                    )
                elif pre and args.pretrain_kind == "frame":
                    rec["probe"] = probe_accuracy(model, enc, task, "caption", 100)
            log(rec)
        if (
            args.eval_every
            and not pre
            and step > args.pretrain_steps
            and ((step - args.pretrain_steps) % args.eval_every == 0)
        ):
            m = evaluate(model, enc, args, task, limit=120)
            log({"step": step, "eval": m, "seconds": round(time.time() - t0, 1)})
            model.train()
    if state is not None:
        state["opt"] = opt.state_dict()
    return {"steps": end - start_step, "seconds": round(time.time() - t0, 1)}


# -- evaluation ---------------------------------------------------------------------------


def iou(p, g) -> float:
    if p is None or g is None:
        return 0.0
    inter = max(0.0, min(p[1], g[1]) - max(p[0], g[0]))
    union = max(p[1], g[1]) - min(p[0], g[0])
    return inter / union if union > 0 else 0.0


def auc(pos: list[float], neg: list[float]) -> float:
    """ROC-AUC by the rank statistic (ties count half)."""
    if not pos or not neg:
        return float("nan")
    allv = sorted([(v, 1) for v in pos] + [(v, 0) for v in neg])
    ranks, i = {}, 0
    while i < len(allv):
        j = i
        while j < len(allv) and allv[j][0] == allv[i][0]:
            j += 1
        for k in range(i, j):
            ranks[k] = (i + j + 1) / 2
        i = j
    rsum = sum(ranks[k] for k, (_, lab) in enumerate(allv) if lab == 1)
    return (rsum - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


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


def predict(model, enc: Encoder, rows: list[dict]) -> list[dict]:
    """Per row (n, frames, query, gt, k): the window decoded with the refusal suppressed, the
    greedy answer and P(refusal) at the decision point."""
    import torch

    model.eval()
    suppress = [enc.refuse_first]
    recs = []
    with torch.no_grad():
        for i in range(0, len(rows), 16):
            chunk = rows[i : i + 16]
            convs = [
                [{"role": "user", "content": enc.video_content(r["n"], r["query"])}] for r in chunk
            ]
            ims = [to_pil(r["frames"]) for r in chunk]
            batch = enc.batch(convs, ims, train=False)
            greedy = model.generate(**batch, max_new_tokens=20, do_sample=False)
            # the decision point: the prompt plus "<answer>"
            ids = batch["input_ids"]
            opened = torch.cat([ids, torch.full((ids.shape[0], 1), enc.answer_open)], dim=1)
            att = torch.cat(
                [batch["attention_mask"], torch.ones(ids.shape[0], 1, dtype=torch.long)], 1
            )
            b2 = {**batch, "input_ids": opened, "attention_mask": att}
            b2.pop("mm_token_type_ids", None)
            if "mm_token_type_ids" in batch:
                b2["mm_token_type_ids"] = torch.cat(
                    [
                        batch["mm_token_type_ids"],
                        torch.zeros(ids.shape[0], 1, dtype=batch["mm_token_type_ids"].dtype),
                    ],
                    1,
                )
            logits = model(**b2).logits[:, -1].float()
            logp = torch.log_softmax(logits, -1)
            p_refuse = logp[:, enc.refuse_first].exp()
            windows = model.generate(
                **b2, max_new_tokens=18, do_sample=False, suppress_tokens=suppress
            )
            for j, r in enumerate(chunk):
                gtext = enc.tok.decode(greedy[j, ids.shape[1] :], skip_special_tokens=True)
                wtext = "<answer>" + enc.tok.decode(
                    windows[j, opened.shape[1] :], skip_special_tokens=True
                )
                g, w = parse_answer(gtext), parse_answer(wtext)
                recs.append(
                    {
                        "k": r["k"],
                        "gt": r["gt"],
                        "p_refuse": float(p_refuse[j]),
                        "greedy_refused": bool(g and g.refused),
                        "greedy_bad": g is None,
                        "greedy": None
                        if (g is None or g.refused)
                        else (min(g.start, g.end), max(g.start, g.end)),
                        "window": None
                        if (w is None or w.refused)
                        else (min(w.start, w.end), max(w.start, w.end)),
                    }
                )
    return recs


def summarise(recs: list[dict]) -> dict:
    def block(rs):
        rel = [r for r in rs if r["gt"] is not None]
        irr = [r for r in rs if r["gt"] is None]
        ious = [iou(r["window"], r["gt"]) for r in rel]
        gious = [iou(r["greedy"], r["gt"]) for r in rel]
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
            "refusal_auc": auc([r["p_refuse"] for r in irr], [r["p_refuse"] for r in rel]),
        }
        for frr in (0.05, 0.1):
            if rel and irr:
                thr = float(np.quantile([r["p_refuse"] for r in rel], 1 - frr))
                out[f"refusal_acc@frr{frr}"] = float(np.mean([r["p_refuse"] > thr for r in irr]))
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
    p.add_argument("--curriculum", action="store_true", help="grounding on short videos first")
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
    p.add_argument("--probe-every", type=int, default=250)
    p.add_argument("--init-std", type=float, default=None, help="weight init std (None: 0.02)")
    p.add_argument("--tie", action="store_true", help="tie the output head to the embeddings")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--heldout", type=int, default=300)
    p.add_argument("--eval-every", type=int, default=0)
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
    )
    model, processor = build_tiny(cfg)
    if args.word_tokens:
        add_word_tokens(processor, model)
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
    if args.save:  # the start of benchmarks/binding_grpo.py
        from tvgcurate.model.loading import save_model

        save_model(model, processor, args.out / "model")
    return result


if __name__ == "__main__":
    main()
