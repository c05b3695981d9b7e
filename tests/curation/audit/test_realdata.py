"""The audit on real QVHighlights val (../shared/data): its counts agree with an independent
reading of the file."""

from __future__ import annotations

import json

import pytest

from tvgcurate.curation.audit import AuditConfig, run_audit
from tvgcurate.curation.ingest import IngestConfig, ingest

pytestmark = pytest.mark.realdata


def test_real_qvh_val_counts(shared_data, tmp_path):
    path = shared_data / "qvhighlights" / "highlight_val_release.jsonl"
    ingest(IngestConfig(sources=[path], workspace=tmp_path / "ws"))
    res = run_audit(
        AuditConfig(
            workspace=tmp_path / "ws", checks=["windows", "duration", "clip_grid", "query"],
            write=False, progress=False,
        )
    )  # fmt: skip
    got = {s.check: s.flagged for s in res.summaries}
    recs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    span = sum(
        1
        for r in recs
        if abs(
            r["duration"] - (float(r["vid"].rsplit("_", 1)[1]) - float(r["vid"].rsplit("_", 2)[1]))
        )
        > 2
    )
    inverted = sum(1 for r in recs for s, e in r["relevant_windows"] if s > e)
    assert res.samples == len(recs) == 1550
    assert got["vid_span_mismatch"] == span > 0
    assert got["start_after_end"] == inverted
    assert got["whole_video"] > 0 and got["clip_ids_mismatch"] == 0
