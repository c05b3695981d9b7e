"""Planted annotation errors for demo data: one small function per kind, in a registry.

Each kind says which datasets it applies to and at which level it works:
- "sample": changes one annotation in place;
- "extra": adds a new annotation copied from a clean one (the copy is the planted sample);
- "video": changes a per-video field, so every annotation of that video is planted.
A function returns a one-line detail, or None when it cannot apply to that candidate (and
then changes nothing). Values stay well-formed: these are suspicious values, not syntax errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from tvgcurate.demo.datasets import ANET, CHARADES, DATASETS, OTHER_SPLIT, QVH, style
from tvgcurate.registry import Registry
from tvgcurate.schemas.sample import has_windows

ALL = DATASETS


@dataclass
class Ctx:
    videos: list  # DemoVideo
    anns: list  # Annotation

    def duration(self, a) -> float:
        v = self.videos[a.video]
        return v.spec.duration if a.dataset == QVH else v.annotated_duration


@dataclass(frozen=True)
class Kind:
    name: str
    level: str  # sample | extra | video
    datasets: tuple[str, ...]
    fn: Callable


KINDS: Registry[Kind] = Registry("planted error kind")


def kind(name: str, level: str = "sample", datasets: tuple[str, ...] = ALL):
    """Register the decorated function as the planted-error kind `name`."""

    def deco(fn):
        KINDS.add(name, Kind(name, level, datasets, fn))
        return fn

    return deco


def _grid(a) -> float:
    return 2.0 if a.dataset == QVH else 1.0


def _shift(ctx: Ctx, a, rng) -> float | None:
    """A shift of 5+ s (QVH: 6+, on its grid) keeping the window inside the video, overlapping
    the original as little as possible."""
    s, e = a.windows[0]
    dur = ctx.duration(a)
    g = _grid(a)
    best, best_ov = [], None
    k0 = math.ceil(5 / g)
    for k in range(k0, int(dur / g) + 1):
        for d in (k * g, -k * g):
            if s + d < 0 or e + d > dur:
                continue
            ov = max(0.0, min(e, e + d) - max(s, s + d))
            if best_ov is None or ov < best_ov - 1e-9:
                best, best_ov = [d], ov
            elif abs(ov - best_ov) <= 1e-9:
                best.append(d)
    if not best:
        return None
    return float(best[int(rng.integers(len(best)))])


@kind("vid_span_mismatch", "video", (QVH,))
def _vid_span(ctx: Ctx, v, rng):
    s0, _ = v.qvh_span
    k = 2.0 * int(rng.integers(3, 8))
    v.qvh_span = (s0, s0 + v.spec.duration + k)
    old = v.spec.video_id
    v.spec.video_id = f"{old.split('_')[0]}_{s0:.1f}_{s0 + v.spec.duration + k:.1f}"
    return f"vid span {v.qvh_span[1] - s0:g} s but duration {v.spec.duration:g} s"


@kind("duration_mismatch", "video", (CHARADES, ANET))
def _duration(ctx: Ctx, v, rng):
    k = float(rng.integers(4, 11))
    v.annotated_duration = v.spec.duration + k
    return f"annotated duration {v.annotated_duration:g} s, video is {v.spec.duration:g} s"


@kind("overlapping_windows", datasets=(QVH,))
def _overlap(ctx: Ctx, a, rng):
    s, e = a.windows[0]
    s2, e2 = s + 2, min(e + 4, ctx.duration(a))
    if e - s < 4 or e2 - s2 < 2 or [s2, e2] == [s, e]:
        return None
    a.windows.append([s2, e2])
    return f"windows [{s:g}, {e:g}] and [{s2:g}, {e2:g}] overlap"


@kind("clip_ids_mismatch", datasets=(QVH,))
def _clip_ids(ctx: Ctx, a, rng):
    from tvgcurate.curation.audit.clip_grid import clip_ids

    dur = ctx.duration(a)
    clips = sorted(clip_ids(a.windows, dur))
    n = math.ceil(dur / 2)
    m = len(clips)
    for d in (max(3, m), -max(3, m)):
        if clips and clips[0] + d >= 0 and clips[-1] + d < n:
            a.clip_ids = [c + d for c in clips]
            return f"relevant_clip_ids shifted by {d} clips from the windows"
    if m >= 2:
        a.clip_ids = clips[: m // 2]
        return "relevant_clip_ids cover only the first half of the windows"
    return None


@kind("start_after_end")
def _swap(ctx: Ctx, a, rng):
    s, e = a.windows[0]
    if e - s < 1:
        return None
    a.windows[0] = [e, s]
    return f"window stored as [{e:g}, {s:g}]"


@kind("negative_time", datasets=(QVH, ANET))  # Charades lines: kept to plain numbers
def _negative(ctx: Ctx, a, rng):
    k = 2.0 * int(rng.integers(1, 4))
    a.windows[0] = [-k, a.windows[0][1]]
    return f"window starts at {-k:g} s"


@kind("past_duration")
def _past(ctx: Ctx, a, rng):
    dur = ctx.duration(a)
    k = 2.0 * int(rng.integers(1, 4))
    a.windows[0] = [a.windows[0][0], dur + k]
    return f"window ends at {dur + k:g} s, video lasts {dur:g} s"


@kind("zero_length")
def _zero(ctx: Ctx, a, rng):
    s = a.windows[0][0]
    a.windows[0] = [s, s]
    return f"window [{s:g}, {s:g}] has zero length"


@kind("whole_video")
def _whole(ctx: Ctx, a, rng):
    s, e = a.windows[0]
    dur = ctx.duration(a)
    if e - s >= 0.8 * dur:
        return None
    a.windows[0] = [0.0, dur]
    return f"window covers the whole video (true [{s:g}, {e:g}])"


@kind("boundary_shift")
def _boundary(ctx: Ctx, a, rng):
    d = _shift(ctx, a, rng)
    if d is None:
        return None
    s, e = a.windows[0]
    a.windows[0] = [s + d, e + d]
    return f"window moved by {d:+g} s (true [{s:g}, {e:g}])"


@kind("whitespace_query", datasets=(QVH, CHARADES))
def _whitespace(ctx: Ctx, a, rng):
    a.query = "  " + a.query + "  "
    return "query has leading and trailing spaces"


@kind("empty_query")
def _empty(ctx: Ctx, a, rng):
    a.query = ""
    return "query is empty"


@kind("positional_leak")
def _positional(ctx: Ctx, a, rng):
    s, e = a.windows[0]
    pos = (s + e) / 2 / ctx.duration(a)
    where = "beginning" if pos < 1 / 3 else "middle" if pos < 2 / 3 else "end"
    prefix = (
        "in the middle of the video, " if where == "middle" else f"at the {where} of the video, "
    )
    a.query = style(a.dataset, prefix + a.text)
    return f"query says where the moment is ({where})"


@kind("duplicate_query", "extra")
def _duplicate(ctx: Ctx, a, rng):
    d = _shift(ctx, a, rng)
    if d is None:
        return None
    s, e = a.windows[0]
    new = replace(a, windows=[[s + d, e + d]])
    return (
        new,
        f"same text as {a.dataset} query of {ctx.videos[a.video].video_id} [{s:g}, {e:g}], window moved by {d:+g} s",
    )


@kind("split_leak", "extra")
def _split_leak(ctx: Ctx, a, rng):
    other = OTHER_SPLIT[a.dataset, a.split]
    new = replace(a, split=other, windows=[list(w) for w in a.windows])
    return new, f"video {ctx.videos[a.video].video_id} of split {a.split} also annotated in {other}"


@kind("repeated_event")
def _repeated(ctx: Ctx, a, rng):
    """The queried shape comes back in a second, separated interval of the video while the
    label keeps one window: every query of that shape is planted (they all name it)."""
    v = ctx.videos[a.video]
    twins = [o for o in ctx.anns if o.video == a.video and o.shape == a.shape]
    if not all(_clean(o) for o in twins):
        return None
    tr = v.spec.shapes[a.shape]
    g, gap, dur = _grid(a), 2.0, v.spec.duration
    length = tr.end - tr.start
    options = []
    for k in range(int(dur / g) + 1):
        s2 = k * g
        room = (tr.start - gap - s2) if s2 < tr.start else (dur - s2)
        if s2 >= tr.start and s2 < tr.end + gap:
            continue
        size = min(length, g * math.floor(room / g + 1e-9))
        if size >= 2.0:
            options.append((s2, s2 + size))
    if not options:
        return None
    s2, e2 = options[int(rng.integers(len(options)))]
    v.spec.shapes.append(replace(tr, start=float(s2), end=float(e2)))
    detail = f"{tr.colour} {tr.shape} also appears at [{s2:g}, {e2:g}]; label has [{tr.start:g}, {tr.end:g}] only"
    for o in twins:
        if o is not a:
            o.kind, o.detail = "repeated_event", detail
    return detail


def _clean(a) -> bool:
    return a.kind is None and not a.reserved


def _try(k: Kind, ctx: Ctx, rng) -> bool:
    if k.level == "video":
        per_video: dict[int, list] = {}
        for a in ctx.anns:
            per_video.setdefault(a.video, []).append(a)
        ok = [
            (len(lst), vi)
            for vi, lst in per_video.items()
            if ctx.videos[vi].dataset in k.datasets and all(_clean(a) for a in lst)
        ]
        if not ok:
            return False
        fewest = min(n for n, _ in ok)
        choices = sorted(vi for n, vi in ok if n == fewest)
        vi = choices[int(rng.integers(len(choices)))]
        detail = k.fn(ctx, ctx.videos[vi], rng)
        for a in per_video[vi]:
            a.kind, a.detail = k.name, detail
        return True
    cands = [a for a in ctx.anns if _clean(a) and a.dataset in k.datasets]
    for i in rng.permutation(len(cands)):
        a = cands[int(i)]
        got = k.fn(ctx, a, rng)
        if got is None:
            continue
        if k.level == "extra":
            new, detail = got
            new.kind, new.detail, new.reserved = k.name, detail, False
            a.reserved = True
            ctx.anns.append(new)
        else:
            a.kind, a.detail = k.name, got
        return True
    return False


def plant(videos: list, anns: list, rate: float, rng: np.random.Generator) -> None:
    """Plant every kind once where a candidate exists, then more until `rate` of the original
    samples are planted. Mutates videos and anns (extras are appended to anns)."""
    ctx = Ctx(videos, anns)
    n0 = len(anns)
    for k in KINDS.values():  # registry order: scarce (video-level, QVH-only) kinds first
        _try(k, ctx, rng)
    target = math.ceil(rate * n0)
    repeatable = [k for k in KINDS.values() if k.level != "video"]
    while sum(a.kind is not None for a in anns) < target:
        progressed = False
        for i in rng.permutation(len(repeatable)):
            if sum(a.kind is not None for a in anns) >= target:
                break
            progressed |= _try(repeatable[int(i)], ctx, rng)
        if not progressed:
            break


# -- label noise on a samples table (benchmarks/active_learning.py, the loop's experiments) --
#
# Errors no rule check sees, planted on `samples` rows (dicts) in place. Each kind takes the
# row, its windows, the clean rows of its video and a random.Random, and returns the planted
# (windows, relevance), or None when it does not fit the row.

NOISE: Registry[Callable] = Registry("label noise kind")


def _noise(name: str):
    def deco(fn):
        NOISE.add(name, fn)
        return fn

    return deco


@_noise("moved")
def _n_moved(r, before, same_video, rng):
    """The window moved by 30-60% of its length, still inside the video."""
    dur = float(r.get("duration_s") or 0.0)
    if not (has_windows(r) and before and dur > 0):
        return None
    s, e = before[0]
    length = e - s
    shift = rng.uniform(0.3, 0.6) * length * rng.choice((-1, 1))
    ns = min(max(0.0, s + shift), max(0.0, dur - length))
    if abs(ns - s) < 0.3 * length - 1e-6:  # clamped at an edge: try the other way
        ns = min(max(0.0, s - shift), max(0.0, dur - length))
    return ([(ns, ns + length)], "relevant") if abs(ns - s) >= 0.3 * length - 1e-6 else None


@_noise("swapped")
def _n_swapped(r, before, same_video, rng):
    """The window of another query of the same video (a query/moment swap)."""
    if not (has_windows(r) and before):
        return None
    others = [[(w["start"], w["end"]) for w in o["windows"]] for o in same_video
              if has_windows(o) and o.get("windows")]  # fmt: skip
    others = [o for o in others if o != before]
    return (rng.choice(others), "relevant") if others else None


@_noise("false_positive")
def _n_false_positive(r, before, same_video, rng):
    """An absent query (irrelevant) labelled relevant with some window."""
    dur = float(r.get("duration_s") or 0.0)
    if has_windows(r) or dur <= 0:
        return None
    length = rng.uniform(0.15, 0.4) * dur
    s = rng.uniform(0.0, dur - length)
    return [(s, s + length)], "relevant"


@_noise("present_absent")
def _n_present_absent(r, before, same_video, rng):
    """A present query labelled absent: a relevant row made irrelevant, its windows removed
    (a bad PIR pair)."""
    return ([], "irrelevant") if has_windows(r) and before else None


@_noise("boundary")
def _n_boundary(r, before, same_video, rng):
    """A small boundary error: one end moved by 20-40% of the window's length (the window
    shifted or stretched/shrunk), inside the video."""
    dur = float(r.get("duration_s") or 0.0)
    if not (has_windows(r) and before and dur > 0):
        return None
    s, e = before[0]
    d = rng.uniform(0.2, 0.4) * (e - s)
    options = [(s + a, e + b) for a, b in ((d, 0), (-d, 0), (0, d), (0, -d), (d, d), (-d, -d))]
    options = [(a, b) for a, b in options if 0.0 <= a < b <= dur]
    return ([rng.choice(options)], "relevant") if options else None


def plant_noise_rows(
    rows: list[dict], share: float, seed: int, kinds: tuple[str, ...] | None = None,
    split: str = "train",
) -> list[dict]:  # fmt: skip
    """Corrupt `share` of the rows of `split` in place, the kinds in turn (the first that fits
    a row); returns [{sample_id, kind, before, after, relevance_before, relevance_after}].
    Rows of other splits stay clean."""
    import random

    kinds = tuple(kinds or NOISE.names())
    for k in kinds:
        NOISE.get(k)
    rng = random.Random(seed)
    by_video: dict[str, list[dict]] = {}
    for r in rows:  # the clean labels (copies): a swap takes another query's true window
        by_video.setdefault(r["video_id"], []).append(dict(r, windows=list(r["windows"] or [])))
    pool = [r for r in rows if r.get("split") == split]
    rng.shuffle(pool)
    target = max(1, round(share * len(pool)))
    planted: list[dict] = []
    for r in pool:
        if len(planted) >= target:
            break
        before = [(w["start"], w["end"]) for w in r["windows"] or []]
        got, kind = None, None
        for j in range(len(kinds)):
            kind = kinds[(len(planted) + j) % len(kinds)]
            got = NOISE.get(kind)(r, before, by_video[r["video_id"]], rng)
            if got is not None:
                break
        if got is None:
            continue
        after, relevance = got
        planted.append({"sample_id": r["sample_id"], "kind": kind, "before": before,
                        "after": [(float(a), float(b)) for a, b in after],
                        "relevance_before": r.get("relevance") or "relevant",
                        "relevance_after": relevance})  # fmt: skip
        r["windows"] = [{"start": float(a), "end": float(b)} for a, b in after]
        r["relevance"] = relevance
    return planted
