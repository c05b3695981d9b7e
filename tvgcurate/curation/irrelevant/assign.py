"""Give exactly N parents one new donor each, moving need off videos that run dry.

Parents (the split's relevant rows) are walked in a seeded order. The first N get a slot.
Each wave asks the PairFinder for one accepted, unused donor per slot of each video; the
slots of videos left short after every donor was tried (*exhausted*) pass to the next
parents in the order whose video is not exhausted, cycling (a parent may then get a
second negative). Only when every video is exhausted does it stop, short: the caller
turns that into an error. It never returns fewer pairs silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tvgcurate.curation.irrelevant.similarity import Accept, PairFinder


@dataclass
class Pair:
    parent: int  # position in the parent list
    occurrence: int  # 1 for a parent's first negative of this strategy, 2 for a second...
    donor: int  # position in the donor list
    similarity: float


def assign(
    finder: PairFinder,
    parent_group: np.ndarray,
    order: np.ndarray,
    n: int,
    used: dict[int, set[int]],
    accept: Accept,
    valid: Callable[[int, int], bool] | None = None,
) -> list[Pair]:
    """`n` pairs (fewer only if every video ran dry), in parent order; updates `used`.

    `valid(parent, donor)` may refuse a pick (e.g. its composed query already exists): the
    donor is then used up for that video and the slot is filled by a later pick.
    """
    pairs: list[Pair] = []
    occurrences: Counter[int] = Counter()
    exhausted: set[int] = set()
    cursor = 0  # position in the (cyclic) parent order
    need = n
    while need > 0:
        slots = _next_parents(parent_group, order, cursor, need, exhausted)
        if not slots:
            break
        cursor = slots[-1][1] + 1
        by_group: dict[int, list[int]] = {}
        for p, _ in slots:
            by_group.setdefault(int(parent_group[p]), []).append(p)
        picks, short = finder.find({g: len(ps) for g, ps in by_group.items()}, used, accept)
        exhausted |= short
        for g, ps in by_group.items():
            for p, pick in zip(ps, picks.get(g, []), strict=False):
                used.setdefault(g, set()).add(pick.donor)
                if valid is not None and not valid(p, pick.donor):
                    continue
                occurrences[p] += 1
                pairs.append(Pair(p, occurrences[p], pick.donor, pick.similarity))
        need = n - len(pairs)
    return sorted(pairs, key=lambda q: (q.parent, q.occurrence))


def _next_parents(parent_group, order, cursor, k, exhausted) -> list[tuple[int, int]]:
    """Up to k (parent, absolute position) from `cursor` on, skipping exhausted videos."""
    out: list[tuple[int, int]] = []
    m = len(order)
    pos = cursor
    # One full cycle without a usable parent means every video is exhausted.
    idle = 0
    while len(out) < k and idle < m:
        p = int(order[pos % m])
        if int(parent_group[p]) in exhausted:
            idle += 1
        else:
            out.append((p, pos))
            idle = 0
        pos += 1
    return out
