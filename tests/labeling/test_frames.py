"""Seconds <-> timeline frames: exact at 24, 25 and 29.97 fps."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tvgcurate.labeling.frames import range_to_seconds, seconds_to_range

FPS = [24.0, 25.0, 30000 / 1001]


@pytest.mark.parametrize("fps", FPS)
def test_frame_range_round_trips_exactly(fps):
    for a in range(1, 400, 7):
        for b in (a, a + 1, a + 47, a + 301):
            s, e = range_to_seconds(a, b, fps)
            assert seconds_to_range(s, e, fps) == (a, b)


@pytest.mark.parametrize("fps", FPS)
@given(a=st.integers(1, 200_000), length=st.integers(0, 50_000))
def test_frame_range_round_trip_property(fps, a, length):
    s, e = range_to_seconds(a, a + length, fps)
    assert seconds_to_range(s, e, fps) == (a, a + length)


@pytest.mark.parametrize(
    ("fps", "frames", "seconds"),
    [
        (24.0, (1, 48), (0.0, 2.0)),
        (25.0, (51, 100), (2.0, 4.0)),
        (24.0, (25, 25), (1.0, 25 / 24)),
    ],
)
def test_known_values(fps, frames, seconds):
    assert range_to_seconds(*frames, fps) == seconds
    assert seconds_to_range(*seconds, fps) == frames


def test_2997_uses_the_exact_rate():
    fps = float(Fraction(30000, 1001))
    s, e = range_to_seconds(1, 300, fps)
    assert s == 0.0
    assert e == pytest.approx(300 * 1001 / 30000, abs=1e-12)
    # a rate rounded to 29.97 would move a 10-minute boundary by more than half a frame
    a, b = seconds_to_range(0.0, 600.0, fps)
    assert b == 17982
    assert seconds_to_range(0.0, 600.0, 29.97)[1] == 17982
    assert seconds_to_range(0.0, 3600.0, fps)[1] != seconds_to_range(0.0, 3600.0, 30.0)[1]


def test_bad_fps_is_refused():
    with pytest.raises(ValueError, match="fps"):
        seconds_to_range(0, 1, 0)
    with pytest.raises(ValueError, match="fps"):
        range_to_seconds(1, 2, float("nan"))
