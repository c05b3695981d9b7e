"""Planted-error scoring: the kind -> check map, precision@k and per-check scores."""

from __future__ import annotations

import pyarrow as pa

from tvgcurate.curation.audit import CHECKS
from tvgcurate.demo.evaluate import KIND_CHECKS, markdown_table, planted_scores, precision_at_k
from tvgcurate.demo.plants import KINDS


def test_every_planted_kind_maps_to_existing_checks():
    assert set(KIND_CHECKS) == set(KINDS.names())
    for kind, checks in KIND_CHECKS.items():
        assert checks, kind
        for check in checks:
            assert check in CHECKS, (kind, check)


def test_precision_at_k():
    assert precision_at_k(["a", "b", "c", "d"], {"a", "c"}, 2) == 0.5
    assert precision_at_k(["a", "b"], {"a"}, 0) == 0.0


def test_planted_scores_count_flags_against_plants():
    audits = pa.table(
        {
            "sample_id": ["s1", "s2", "s3", "s1", "s2"],
            "check": ["zero_length", "zero_length", "zero_length", "priority", "empty_query"],
            "is_issue": [True, True, False, True, None],
        }
    )
    planted = [
        {"sample_id": "s1", "kind": "zero_length"},
        {"sample_id": "s3", "kind": "zero_length"},
        {"sample_id": "s2", "kind": "empty_query"},
    ]
    scores = {s.check: s for s in planted_scores(audits, planted)}
    assert set(scores) == {"zero_length", "empty_query"}  # priority is no check
    z = scores["zero_length"]
    assert (z.planted, z.flagged, z.caught, z.flagged_planted_any) == (2, 2, 1, 2)
    assert z.recall == 0.5 and z.precision == 1.0
    e = scores["empty_query"]
    assert e.flagged == 0 and e.recall == 0.0 and e.precision is None
    table = markdown_table(list(scores.values()))
    assert "| zero_length | zero_length | 2 | 2 | 1 | 0.50 | 1.00 |" in table
