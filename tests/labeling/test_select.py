"""--select expressions and the audit ranking."""

from __future__ import annotations

import pyarrow as pa
import pytest

from tvgcurate.errors import TvgError
from tvgcurate.labeling.select import SELECTORS, rank_samples, select_ids


def test_needs_review_split_and_and(offline_ws):
    ws, _ = offline_ws
    s = ws.read("samples")
    assert select_ids(s, "needs_review", ws) == ["qvhighlights:val:1018", "qvhighlights:val:1019"]
    assert len(select_ids(s, "split=val", ws)) == 20
    assert select_ids(s, "split=test", ws) == []
    assert select_ids(s, "split=val,needs_review", ws) == select_ids(s, "needs_review", ws)
    assert len(select_ids(s, "origin=synthetic:*", ws)) == 2


def test_ids_file(offline_ws, tmp_path):
    ws, _ = offline_ws
    f = tmp_path / "ids.txt"
    f.write_text(
        "# picked\nqvhighlights:val:1003\n\nqvhighlights:val:1001\nqvhighlights:val:1003\n"
    )
    assert select_ids(ws.read("samples"), f"ids={f}", ws) == [
        "qvhighlights:val:1003", "qvhighlights:val:1001",
    ]  # fmt: skip
    f.write_text("nope:val:1\n")
    with pytest.raises(TvgError, match="not in the samples table"):
        select_ids(ws.read("samples"), f"ids={f}", ws)


def test_rank_samples_lowest_score_then_most_issues():
    audits = pa.table(
        {
            "audit_id": ["a", "a", "a", "a", "a"],
            "sample_id": ["s1", "s2", "s2", "s3", "s4"],
            "check": ["x", "x", "y", "x", "x"],
            "is_issue": [False, True, True, True, False],
            "score": [0.9, 0.3, 0.8, 0.3, None],
        }
    )
    assert rank_samples(audits) == ["s2", "s3", "s1", "s4"]


def test_audit_top(offline_ws):
    ws, _ = offline_ws
    s = ws.read("samples")
    with pytest.raises(TvgError, match="no audits"):
        select_ids(s, "audit:top=3", ws)
    ids = s.column("sample_id").to_pylist()
    ws.write(
        "audits",
        pa.table({"audit_id": ["a1"] * 4, "sample_id": [ids[5], ids[2], ids[9], "gone:val:1"],
                  "check": ["iou"] * 4, "is_issue": [True, True, False, True],
                  "score": [0.2, 0.1, 0.5, 0.0]}),
    )  # fmt: skip
    assert select_ids(s, "audit:top=2", ws) == [ids[2], ids[5]]
    with pytest.raises(TvgError, match="positive integer"):
        select_ids(s, "audit:top=x", ws)


def test_unknown_and_empty_terms(offline_ws):
    ws, _ = offline_ws
    with pytest.raises(TvgError, match="unknown term"):
        select_ids(ws.read("samples"), "worst", ws)
    with pytest.raises(TvgError, match="empty"):
        select_ids(ws.read("samples"), " , ", ws)


class _AuditsOnly:
    """A workspace stand-in whose audits rank the given ids (worst first)."""

    def __init__(self, ws, ids):
        self.ws, self.ids = ws, ids

    def read(self, name, *a, **k):
        if name != "audits":
            return self.ws.read(name, *a, **k)
        n = len(self.ids)
        return pa.table(
            {
                "sample_id": self.ids,
                "check": ["c"] * n,
                "is_issue": [True] * n,
                "score": [i / n for i in range(n)],
            }
        )


def _arg(name, ids, tmp_path):
    """An argument that every registered term accepts (a new term must be added here)."""
    if name == "ids":
        f = tmp_path / "ids.txt"
        f.write_text("\n".join(ids[:3]) + "\n")
        return str(f)
    return {"split": "val", "origin": "synthetic:*", "audit:top": "3"}.get(name)


@pytest.mark.parametrize("name", SELECTORS.names())
def test_every_selector_returns_a_subset_of_the_sample_ids(name, offline_ws, tmp_path):
    ws, _ = offline_ws
    samples = ws.read("samples")
    ids = samples.column("sample_id").to_pylist()
    out = SELECTORS.get(name)(samples, _arg(name, ids, tmp_path), _AuditsOnly(ws, ids[::-1]))
    assert isinstance(out, list) and out, f"{name} selected nothing"
    assert set(out) <= set(ids) and len(out) == len(set(out))
    term = name if _arg(name, ids, tmp_path) is None else f"{name}={_arg(name, ids, tmp_path)}"
    assert select_ids(samples, term, _AuditsOnly(ws, ids[::-1])) == out
