"""Multiple occurrences (TimeLens's check): the event may happen more than once.

From the K answers a run sampled per query (`tvgcurate score --num-samples K`, kept in the
predictions' ``samples_text``), a relevant row is flagged when its answers form two or more
*separated* groups that each have real support: the query probably names an event that
happens twice while the label holds one window (or the query is ambiguous).

Grouping (the measurement): answers that agree (IoU >= ``AGREE_IOU``) are one group. The
answer that agrees with the most remaining answers seeds a group of those answers, and so on;
each group's window is its members' median start and median end, and a group whose window
overlaps a larger group's is merged into it (noise around one event, not another event).
So two groups are *separated*: their windows are disjoint. Refusals and unparseable answers join no group.

Score (0..1, lower = worse, apart from any threshold): ``1 - 2 * n2 / K`` clipped to 0..1,
where ``n2`` is the number of answers in the second-largest group (0: one group, 1.0; half
of the K answers away from the main group: 0). The threshold: a row is an issue when at
least two groups each have ``max(min_answers, min_share * K)`` answers.

    >>> groups = answer_groups([(1, 3), (1.5, 3.5), (7, 9), (7.2, 9.1), (1, 3.2)])
    >>> [(g.start, g.end, g.n) for g in groups]
    [(1.0, 3.2, 3), (7.1, 9.05, 2)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tvgcurate.curation.audit.base import Check, Finding, register_check
from tvgcurate.keyvalue import setting
from tvgcurate.metrics import pairwise_iou
from tvgcurate.schemas.sample import has_windows

AGREE_IOU = 0.3
"""Two answers agree (may join one group) when their IoU is at least this."""


@dataclass(frozen=True)
class Group:
    """A group of answers: its window (median start, median end) and how many answers."""

    start: float
    end: float
    n: int


def answer_groups(windows: list[tuple[float, float]], agree: float = AGREE_IOU) -> list[Group]:
    """Group answered windows (see the module docstring), largest first (ties: earlier)."""
    if not windows:
        return []
    w = np.sort(np.asarray(windows, dtype=float).reshape(-1, 2), axis=1)
    w = w[np.lexsort((w[:, 1], w[:, 0]))]
    near = pairwise_iou(w, w) >= agree
    np.fill_diagonal(near, True)  # a zero-length answer (IoU 0/0) still joins its own group
    left = np.ones(len(w), dtype=bool)
    groups: list[list] = []  # [seed start, seed end, n]
    while left.any():
        counts = (near & left[None, :]).sum(axis=1) * left
        i = int(np.argmax(counts))  # most agreement; ties: earliest start
        members = near[i] & left
        left &= ~members
        s, e = np.median(w[members], axis=0)  # robust to one noisy member
        host = next((g for g in groups if min(e, g[1]) - max(s, g[0]) > 0), None)
        if host is not None:
            host[2] += int(members.sum())
        else:
            groups.append([float(s), float(e), int(members.sum())])
    out = [Group(s, e, n) for s, e, n in groups]
    return sorted(out, key=lambda g: (-g.n, g.start))


def sampled_windows(pred: dict) -> tuple[list[tuple[float, float]], int]:
    """(the answered windows of a prediction's K sampled texts, K); K = 0 without samples."""
    from tvgcurate.model.eta import parse_answer

    texts = list(pred.get("samples_text") or [])
    wins = []
    for t in texts:
        a = parse_answer(t)
        if a is not None and not a.refused:
            wins.append((a.start, a.end))
    return wins, len(texts)


@dataclass
class OccurrenceConfig:
    min_answers: int = setting(2, "A group needs at least this many of the K answers.")
    min_share: float = setting(0.25, "... and at least this share of the K answers.")
    min_samples: int = setting(
        6,
        "Abstain with fewer answers: at K = 4 two groups of 2 are what a model torn between "
        "two places gives, and repeated events are found 13% of the time (docs/audit.md).",
    )


@register_check
class MultipleOccurrence(Check):
    name = "multiple_occurrence"
    family = "model"
    description = "the K sampled answers form two or more separated groups (event happens twice?)"
    requires = ("predictions",)
    model = True
    synthetic = False  # a synthetic negative copies a donor query: nothing to ground twice
    Config = OccurrenceConfig

    def pred(self, ctx, row) -> dict | None:
        p = (ctx.predictions or {}).get(row["sample_id"])
        return None if p is None or p.get("error") else p

    def applies(self, ctx, row):
        p = self.pred(ctx, row)
        n = len(p.get("samples_text") or []) if p is not None else 0
        return p is not None and has_windows(row) and n > 1 and n >= self.config.min_samples

    def score_one(self, ctx, row):
        wins, k = sampled_windows(self.pred(ctx, row))
        groups = answer_groups(wins)
        n2 = groups[1].n if len(groups) > 1 else 0
        score = min(1.0, max(0.0, 1.0 - 2.0 * n2 / k))
        detail = ""
        if n2:
            detail = ", ".join(f"[{g.start:g}, {g.end:g}] x{g.n}" for g in groups[:3])
            detail = f"{len(groups)} answer groups of {k}: {detail}"
        data = {"k": k, "groups": [[g.start, g.end, g.n] for g in groups]}
        return Finding(row["sample_id"], score, detail, float(n2), data)

    def is_issue(self, f):
        if not f.data:
            return False
        need = max(self.config.min_answers, math.ceil(self.config.min_share * f.data["k"]))
        return sum(n >= need for _, _, n in f.data["groups"]) >= 2
