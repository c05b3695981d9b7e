"""One sample vocabulary: what a row's `relevance` means, its windows, and an answer as a window.

Every command reads a `samples` row through these functions (docs/dev/architecture.md:
one home per concept), so that `score`, `eval`, `audit`, the rewards and the exporters
agree on every row.

Relevance (the `relevance` column):

* ``relevant``: the query happens in the video; its stored windows are the ground truth.
* ``irrelevant``: the query happens nowhere in the video (a PIR negative); the model must
  refuse it.
* ``partial``: Tempo-R0's partially irrelevant query, a true query joined to a clause that
  happens nowhere in the video. The sentence as a whole is not grounded, so the model must
  REFUSE it, as an irrelevant one. Windows stored on a partial row (a human may have marked
  the true half) are kept in the table, but they are never ground truth: for the metrics a
  partial row has no window (R1, mAP and mIoU skip it) and it counts as a negative of the
  refusal metrics; the rewards score a refusal on it; the audit's window checks skip it.
* null (no relevance recorded) reads as ``relevant``.

So exactly one of `has_windows` and `expects_refusal` holds for any value; each takes the
relevance value or a whole row (a mapping with a ``relevance`` key).

>>> [expects_refusal(r) for r in RELEVANCE_VALUES]
[False, True, True]
>>> gt_windows({"relevance": "partial", "windows": [{"start": 2.0, "end": 4.0}]})
[]
>>> gt_windows({"relevance": "relevant", "windows": [{"start": 5, "end": 6}, {"start": 1, "end": 2}]})
[[1.0, 2.0], [5.0, 6.0]]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol

RELEVANT = "relevant"
IRRELEVANT = "irrelevant"
PARTIAL = "partial"
RELEVANCE_VALUES = (RELEVANT, IRRELEVANT, PARTIAL)
# The stored values whose windows are ground truth, and those the model must refuse. (Human
# verdicts are another matter: labeling.consensus lets a `partial` verdict carry windows, the
# true half of the query; they are stored, never ground truth.)
WITH_WINDOWS = (RELEVANT,)
REFUSAL_TARGETS = (IRRELEVANT, PARTIAL)


def _relevance(value: str | Mapping[str, Any] | None) -> str | None:
    return value.get("relevance") if isinstance(value, Mapping) else value


def has_windows(value: str | Mapping[str, Any] | None) -> bool:
    """Whether a relevance value (or a row) has ground-truth windows: ``relevant`` or null.

    >>> has_windows("relevant"), has_windows(None), has_windows({"relevance": "partial"})
    (True, True, False)
    """
    rel = _relevance(value)
    return rel is None or rel in WITH_WINDOWS


def expects_refusal(value: str | Mapping[str, Any] | None) -> bool:
    """Whether the model must refuse a row of this relevance (or this row): ``irrelevant`` and
    ``partial`` (any value that is not ``relevant``); the negative of `has_windows`.

    >>> expects_refusal("irrelevant"), expects_refusal("partial"), expects_refusal("relevant")
    (True, True, False)
    """
    return not has_windows(value)


def stored_windows(row: Mapping[str, Any]) -> list[tuple[float, float]]:
    """A row's ``(start, end)`` pairs as stored, whatever its relevance (possibly inverted or
    negative: what audits check and annotators see); windows with a null end are skipped."""
    out = []
    for w in row.get("windows") or []:
        if w is None or w.get("start") is None or w.get("end") is None:
            continue
        out.append((float(w["start"]), float(w["end"])))
    return out


def gt_windows(row: Mapping[str, Any]) -> list[list[float]]:
    """The ground-truth windows of a row, ``[start, end]`` sorted by start; ``[]`` for a row
    the model must refuse (irrelevant or partial, whatever windows it stores)."""
    if expects_refusal(row):
        return []
    return sorted([s, e] for s, e in stored_windows(row))


class AnswerLike(Protocol):
    """A parsed answer (`tvgcurate.model.eta.Answer`): a window in seconds, or a refusal."""

    start: float | None
    end: float | None
    refused: bool


def answer_window(
    answer: AnswerLike | None, duration: float | None = None, *, order: bool = False
) -> tuple[float, float] | None:
    """The window an answer gives, both ends clipped to [0, duration] (no upper bound when the
    duration is unknown or not positive); None for no answer and for a refusal.

    A window written backwards (start > end) is no window, unless `order`: then its ends are
    swapped (the decode with the refusal suppressed keeps what it can).

    >>> from types import SimpleNamespace as A
    >>> answer_window(A(start=-1.0, end=12.0, refused=False), 10.0)
    (0.0, 10.0)
    >>> answer_window(A(start=5.0, end=2.0, refused=False)) is None
    True
    >>> answer_window(A(start=5.0, end=2.0, refused=False), order=True)
    (2.0, 5.0)
    """
    if answer is None or answer.refused or answer.start is None or answer.end is None:
        return None
    s, e = float(answer.start), float(answer.end)
    if s > e:
        if not order:
            return None
        s, e = e, s
    hi = duration if duration is not None and duration > 0 else math.inf
    return min(max(0.0, s), hi), min(max(0.0, e), hi)
