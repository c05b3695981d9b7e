"""The sample vocabulary (tvgcurate.schemas.sample): relevance predicates, windows, answers."""

from types import SimpleNamespace

import pytest

from tvgcurate import schemas
from tvgcurate.schemas.sample import (
    RELEVANCE_VALUES,
    answer_window,
    expects_refusal,
    gt_windows,
    has_windows,
    stored_windows,
)


def row(relevance, *windows):
    return {"relevance": relevance, "windows": [{"start": s, "end": e} for s, e in windows]}


def answer(start, end, refused=False):
    return SimpleNamespace(start=start, end=end, refused=refused)


@pytest.mark.parametrize(
    "relevance, windows, refusal",
    [
        ("relevant", True, False),
        (None, True, False),  # no relevance recorded reads as relevant
        ("irrelevant", False, True),
        ("partial", False, True),  # decided once: the model must refuse a partial query
        ("something else", False, True),
    ],
)
def test_predicates_are_complementary(relevance, windows, refusal):
    assert has_windows(relevance) is windows and expects_refusal(relevance) is refusal
    r = {"relevance": relevance}
    assert has_windows(r) is windows and expects_refusal(r) is refusal
    assert has_windows({}) and not expects_refusal({})


def test_relevance_values_are_re_exported():
    assert schemas.RELEVANCE_VALUES == RELEVANCE_VALUES == ("relevant", "irrelevant", "partial")
    assert schemas.expects_refusal is expects_refusal and schemas.gt_windows is gt_windows


def test_stored_windows_keep_what_is_stored_and_skip_nulls():
    r = row("partial", (4.0, 2.0), (-1.0, 3.0))
    r["windows"] += [None, {"start": None, "end": 1.0}]
    assert stored_windows(r) == [(4.0, 2.0), (-1.0, 3.0)]
    assert stored_windows({"windows": None}) == [] == stored_windows({})


def test_gt_windows_sorted_and_empty_for_refusal_targets():
    assert gt_windows(row("relevant", (5, 6), (1, 2))) == [[1.0, 2.0], [5.0, 6.0]]
    assert gt_windows(row(None, (1, 2))) == [[1.0, 2.0]]
    assert gt_windows(row("partial", (1, 2))) == []
    assert gt_windows(row("irrelevant", (1, 2))) == []
    assert gt_windows(row("relevant")) == []


def test_answer_window():
    assert answer_window(None) is None
    assert answer_window(answer(None, None, refused=True), 10.0) is None
    assert answer_window(answer(2.0, 6.0), 10.0) == (2.0, 6.0)
    assert answer_window(answer(-1.0, 12.0), 10.0) == (0.0, 10.0)
    assert answer_window(answer(3.0, 40.0)) == (3.0, 40.0)  # duration unknown: no upper bound
    assert answer_window(answer(3.0, 40.0), 0.0) == (3.0, 40.0)
    assert answer_window(answer(6.0, 2.0), 10.0) is None  # backwards: no window
    assert answer_window(answer(16.0, 2.0), 10.0, order=True) == (2.0, 10.0)
    assert answer_window(answer(-3.0, -1.0)) == (0.0, 0.0)  # both ends clipped at 0
