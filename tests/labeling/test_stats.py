"""What a relabelling changed (tvgcurate.metrics: windows_differ, boundary_shift), the
numbers `relabel stats` and the TimeLens comparison both report."""

from __future__ import annotations

import pytest

from tvgcurate.metrics import boundary_shift, windows_differ


def w(*pairs):
    return [{"start": s, "end": e} for s, e in pairs]


def test_windows_differ_in_time_order_count_and_tolerance():
    assert not windows_differ({"windows": w((5, 6), (1, 2)), "prev_windows": w((1, 2), (5, 6))})
    assert not windows_differ({"windows": w((1, 2)), "prev_windows": w((1, 2 + 1e-9))})
    assert windows_differ({"windows": w((1, 2)), "prev_windows": w((1, 2.5))})
    assert windows_differ({"windows": w((1, 2)), "prev_windows": []})
    assert not windows_differ({"windows": None, "prev_windows": None})


def test_boundary_shift_pairs_windows_of_rows_with_the_same_count():
    rows = [
        {"windows": w((1, 3)), "prev_windows": w((0, 2))},  # moved 1 s and 1 s
        {"windows": w((4, 8)), "prev_windows": w((4, 6))},  # 0 s and 2 s
        {"windows": w((1, 2), (3, 4)), "prev_windows": w((1, 2))},  # counts differ: skipped
        {"windows": [], "prev_windows": []},
    ]
    out = boundary_shift(rows)
    assert out["pairs"] == 2 and out["max_s"] == 2.0
    assert out["mean_s"] == pytest.approx(1.0) and out["p50_s"] == pytest.approx(1.0)
    assert boundary_shift([]) == {"pairs": 0, "mean_s": 0.0, "p50_s": 0.0, "p90_s": 0.0,
                                  "max_s": 0.0}  # fmt: skip
