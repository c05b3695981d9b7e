"""Budget policies: the sum never exceeds the budget (hypothesis), caps, grid sizes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tvgcurate.curation.keyframes import budget
from tvgcurate.registry import UnknownChoiceError

weights_st = st.lists(
    st.floats(min_value=0, max_value=10, allow_nan=False, allow_infinity=False),
    min_size=0,
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(
    weights=weights_st,
    total=st.integers(1, 6000),
    lo=st.integers(1, 64),
    span=st.integers(0, 1000),
    policy=st.sampled_from(sorted(budget.POLICIES)),
    aspect=st.sampled_from([(640, 360), (640, 272), (176, 144), (360, 640), (1000, 100)]),
)
def test_sum_of_tokens_never_exceeds_budget(weights, total, lo, span, policy, aspect):
    if total < lo:
        with pytest.raises(ValueError):
            budget.Budget(total, lo, lo + span)
        return
    b = budget.Budget(total, lo, lo + span)
    w = np.asarray(weights)
    alloc = budget.get_policy(policy).allocate(w, b)
    assert len(alloc) == len(w)
    assert alloc.sum() <= total
    kept = alloc > 0
    # Every kept frame sits inside [min, max]; the rest are dropped only when they must be.
    assert np.all(alloc[kept] >= lo) and np.all(alloc <= lo + span)
    assert kept.sum() == min(len(w), total // lo)
    grid_tokens = 0
    for t in alloc:
        h, wd = budget.grid_size(int(t), *aspect)
        assert h % 28 == 0 and wd % 28 == 0
        assert (h // 28) * (wd // 28) <= t
        assert (h == 0) == (t == 0)
        grid_tokens += (h // 28) * (wd // 28)
    assert grid_tokens <= total


@settings(max_examples=200, deadline=None)
@given(weights=st.lists(st.floats(0, 10), min_size=1, max_size=60), total=st.integers(200, 5000))
def test_adaptive_is_monotone_and_uniform_is_flat(weights, total):
    b = budget.Budget(total, 4, 400)
    w = np.asarray(weights)
    if len(w) * b.min_tokens > total:
        return
    a = budget.get_policy("adaptive").allocate(w, b)
    order = np.argsort(w, kind="stable")
    # Higher weight never gets fewer tokens (up to the +1 of remainder rounding).
    assert np.all(np.diff(a[order]) >= -1)
    u = budget.get_policy("uniform").allocate(w, b)
    assert u.max() - u.min() <= 1


def test_water_filling_pours_what_the_cap_clips_into_the_others():
    w = np.array([100.0, 1.0, 1.0, 1.0])
    t = budget.water_fill(w, total=1000, lo=10, hi=400)
    assert t[0] == 400  # capped
    assert t.sum() == 1000  # the clipped share went to the others
    assert t[1] == t[2] == t[3] == 200


def test_more_frames_than_min_tokens_allow_keeps_the_best_frames():
    w = np.array([0.1, 0.9, 0.2, 0.8, 0.05])
    t = budget.get_policy("adaptive").allocate(w, budget.Budget(32, 16, 768))
    assert t.tolist() == [0, 16, 0, 16, 0]
    u = budget.get_policy("uniform").allocate(w, budget.Budget(32, 16, 768))
    assert (u > 0).sum() == 2 and u.sum() == 32


def test_grid_size_keeps_aspect_and_multiples_of_28():
    h, w = budget.grid_size(768, 640, 360)
    assert (h // 28) * (w // 28) <= 768 and (h // 28) * (w // 28) >= 700
    assert abs((w / h) / (640 / 360) - 1) < 0.05
    assert budget.grid_size(0, 640, 360) == (0, 0)
    assert budget.grid_size(1, 640, 360) == (28, 28)
    h, w = budget.grid_size(100, 360, 640)
    assert h > w


def test_budget_config_errors_say_how_to_fix():
    with pytest.raises(ValueError, match="max_tokens"):
        budget.Budget(100, 32, 16)
    with pytest.raises(UnknownChoiceError, match="unknown budget policy"):
        budget.get_policy("nope")
