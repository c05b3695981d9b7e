"""Consensus: majority verdict, IoU agreement, median boundaries; the corrected version."""

from __future__ import annotations

import pyarrow as pa
import pytest

from tvgcurate.labeling.consensus import (
    ConsensusConfig,
    Vote,
    apply_consensus,
    decide,
    set_iou,
)
from tvgcurate.labeling.offline import sample_hash
from tvgcurate.labeling.pull import LABELS_SCHEMA

CFG = ConsensusConfig(workspace=".", round="r1", min_iou=0.5, min_annotators=1)


def v(who, verdict, *windows, rewrite=None, t=""):
    return Vote(who, verdict, tuple(windows), rewrite, t)


def test_set_iou():
    assert set_iou(((0, 10),), ((0, 10),)) == 1.0
    assert set_iou(((0, 10),), ((5, 15),)) == pytest.approx(5 / 15)
    assert set_iou(((0, 2), (4, 6)), ((0, 6),)) == pytest.approx(4 / 6)
    assert set_iou((), ()) == 1.0


def test_median_boundaries_when_annotators_agree():
    d = decide("s", [v("a", "relevant", (2.0, 6.0)), v("b", "relevant", (2.5, 6.5)),
                     v("c", "relevant", (1.0, 5.0))], CFG)  # fmt: skip
    assert d.status == "accepted"
    assert d.windows == [(2.0, 6.0)]
    assert d.agreement > 0.5


def test_two_annotators_take_the_mean_of_each_end():
    d = decide("s", [v("a", "relevant", (2.0, 6.0)), v("b", "relevant", (3.0, 6.0))], CFG)
    assert d.windows == [(2.5, 6.0)]


def test_disagreements_are_listed_with_a_reason():
    assert decide("s", [v("a", "relevant", (0, 2)), v("b", "irrelevant")], CFG).reason.startswith(
        "verdicts differ"
    )
    low = decide("s", [v("a", "relevant", (0, 2)), v("b", "relevant", (5, 8))], CFG)
    assert low.status == "disagree" and "IoU" in low.reason
    count = decide("s", [v("a", "relevant", (0, 2)), v("b", "relevant", (0, 1), (1.5, 2))], CFG)
    assert count.status == "disagree" and "numbers of windows" in count.reason


def test_irrelevant_unclear_rewrite_and_too_few():
    d = decide("s", [v("a", "irrelevant"), v("b", "irrelevant", rewrite="x", t="2")], CFG)
    assert (d.status, d.windows, d.query) == ("accepted", [], "x")
    assert decide("s", [v("a", "unclear")], CFG).status == "unclear"
    need2 = ConsensusConfig(workspace=".", round="r1", min_annotators=2)
    assert decide("s", [v("a", "relevant", (0, 1))], need2).status == "too_few"
    tie = decide(
        "s", [v("a", "relevant", (0, 2), rewrite="p", t="1"), v("b", "relevant", (0, 2), rewrite="q", t="0")], CFG
    )  # fmt: skip
    assert tie.query == "q"  # earliest on a tie


def _label(sample, who, verdict, windows, ann_id, updated="2026-01-01T00:00:00Z", rewrite=None):
    return {
        "label_id": f"p:{ann_id}:{updated}", "sample_id": sample["sample_id"], "project": "p",
        "task_id": 1, "annotation_id": ann_id, "annotator": who, "round": "r1",
        "verdict": verdict, "windows": [{"start": s, "end": e} for s, e in windows],
        "rewritten_query": rewrite, "lead_time_s": 1.0, "created_at": updated,
        "updated_at": updated, "annotator_id": 1, "sample_hash": sample_hash(sample),
        "fps": 25.0, "task_superseded": False, "pulled_at": updated, "error": None,
    }  # fmt: skip


def test_apply_consensus_writes_a_corrected_version_with_lineage(offline_ws):
    ws, _ = offline_ws
    samples = ws.read("samples").to_pylist()
    s0, s1, s18 = samples[0], samples[1], samples[18]
    labels = [
        _label(s0, "a", "relevant", [(0.5, 2.0)], 1),
        _label(s0, "b", "relevant", [(0.0, 2.5)], 2),
        _label(s0, "b", "relevant", [(1.0, 2.5)], 2, updated="2026-01-02T00:00:00Z"),  # edit
        _label(s1, "a", "relevant", [(0.0, 1.0)], 3),
        _label(s1, "b", "irrelevant", [], 4),
        _label(s18, "a", "irrelevant", [], 5, rewrite="a better query"),
        _label(s18, "b", "irrelevant", [], 6),
    ]
    ws.write("labels", pa.Table.from_pylist(labels, schema=LABELS_SCHEMA))
    before = ws.current("samples").version
    r = apply_consensus(ConsensusConfig(workspace=ws.root, project="p", round="r1"))
    assert [d.sample_id for d in r.by_status("accepted")] == [s0["sample_id"], s18["sample_id"]]
    assert [d.sample_id for d in r.by_status("disagree")] == [s1["sample_id"]]
    new = {row["sample_id"]: row for row in ws.read("samples").to_pylist()}
    assert new[s0["sample_id"]]["windows"] == [{"start": 0.75, "end": 2.25}]  # latest edit of b
    assert new[s0["sample_id"]]["origin"] == "relabel:r1"
    assert new[s0["sample_id"]]["prev_windows"] == s0["windows"]
    assert new[s0["sample_id"]]["relabel_parent_version"] == before
    assert new[s18["sample_id"]]["relevance"] == "irrelevant"  # hard pair confirmed
    assert new[s18["sample_id"]]["needs_review"] is False
    assert new[s18["sample_id"]]["query"] == "a better query"
    assert new[s18["sample_id"]]["prev_origin"] == "synthetic:hard"
    assert new[s1["sample_id"]]["windows"] == s1["windows"]  # kept out, flagged
    assert new[s1["sample_id"]]["needs_review"] is True
    assert ws.read("samples", before).to_pylist()[0]["windows"] == s0["windows"]
    # running it again changes nothing and writes no version
    again = apply_consensus(ConsensusConfig(workspace=ws.root, project="p", round="r1"))
    assert again.samples_version is None
    assert again.stale == 2  # the labels showed content that has since been corrected
