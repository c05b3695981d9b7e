"""Hostile Label Studio export JSON (issue 16): `parse_result` turns any annotation result,
however malformed, into a ParsedAnnotation; what is wrong is kept as its `error`, never a
traceback, and every window it keeps is finite with start <= end."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from tvgcurate.labeling import config as lc
from tvgcurate.labeling.pull import parse_result

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.text(max_size=8), st.sampled_from(["12", "1e400", "NaN", "-Infinity"]),
)  # fmt: skip
anything = st.recursive(
    scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=8,
)  # fmt: skip
ranges = st.lists(
    st.one_of(anything, st.fixed_dictionaries({"start": anything, "end": anything})), max_size=3
)
items = st.one_of(
    anything,
    st.fixed_dictionaries(
        {"type": st.just("timelinelabels"), "from_name": st.just(lc.MOMENT),
         "value": st.one_of(anything, st.fixed_dictionaries({"ranges": st.one_of(anything, ranges)}))}
    ),
    st.fixed_dictionaries(
        {"type": st.just("choices"), "from_name": st.just(lc.VERDICT),
         "value": st.one_of(anything, st.fixed_dictionaries(
             {"choices": st.one_of(anything, st.lists(st.sampled_from([*lc.VERDICTS, "x", 3]), max_size=2))}))}
    ),
    st.fixed_dictionaries(
        {"type": st.just("textarea"), "from_name": st.just(lc.REWRITE),
         "value": st.one_of(anything, st.fixed_dictionaries({"text": anything}))}
    ),
)  # fmt: skip


@settings(max_examples=300, deadline=None, derandomize=True)
@given(result=st.one_of(anything, st.lists(items, max_size=4)), fps=st.sampled_from([25.0, 30.0]))
def test_any_result_parses_to_data(result, fps):
    parsed = parse_result(result, fps)
    assert parsed.verdict is None or parsed.verdict in lc.VERDICTS.values()
    assert parsed.rewritten_query is None or isinstance(parsed.rewritten_query, str)
    for w in parsed.windows:
        assert math.isfinite(w["start"]) and math.isfinite(w["end"]) and w["start"] <= w["end"]
    if parsed.verdict is None:
        assert parsed.error  # an annotation without a usable verdict says why


def test_a_good_result_still_parses():
    result = [
        {"type": "timelinelabels", "from_name": lc.MOMENT,
         "value": {"ranges": [{"start": 26, "end": 50}], "timelinelabels": [lc.MOMENT_LABEL]}},
        {"type": "choices", "from_name": lc.VERDICT, "value": {"choices": [next(iter(lc.VERDICTS))]}},
    ]  # fmt: skip
    parsed = parse_result(result, 25.0)
    assert parsed.windows == [{"start": 1.0, "end": 2.0}] and parsed.error is None
