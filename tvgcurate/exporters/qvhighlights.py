"""QVHighlights native jsonl (qid, query, duration, vid, relevant_clip_ids, saliency_scores,
relevant_windows). Ingesting a native file and exporting it again gives the same records.

The format has no relevance: `relevant_windows` is the row's ground truth
(`tvgcurate.schemas.sample.gt_windows` order aside), so an irrelevant or partial row
(`--include-irrelevant`) is written with ``[]``, the query the model must refuse, as
`tvgcurate eval` reads the workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from tvgcurate.exporters.base import ExportContext, Exporter, present_columns, register
from tvgcurate.exporters.numbers import plain, qid_value
from tvgcurate.schemas.sample import has_windows


def native_qid(row: dict) -> int | str:
    """The qid as the source file wrote it: ``source_qid_type`` (set at ingest) says "int"
    or "str"; without it (qids that ingest made up, older workspaces) a plain digit string
    becomes a number, as before. No source qid: the sample id."""
    qid = row.get("source_qid")
    if qid is None:
        return row["sample_id"]
    kind = row.get("source_qid_type")
    if kind == "str":
        return qid
    if kind == "int":
        return int(qid)
    return qid_value(qid)


def qvh_record(row: dict) -> dict:
    rec = {
        "qid": native_qid(row),
        "query": row["query"],
        "duration": plain(row["duration_s"]),
        "vid": row["video_id"],
    }
    if row.get("relevant_clip_ids") is not None:
        rec["relevant_clip_ids"] = row["relevant_clip_ids"]
    if row.get("saliency") is not None:
        rec["saliency_scores"] = row["saliency"]
    if row.get("windows") is not None:
        wins = row["windows"] if has_windows(row) else []  # stored order: an exact round trip
        rec["relevant_windows"] = [[plain(w["start"]), plain(w["end"])] for w in wins]
    return rec


# the samples columns a QVHighlights record is made of (`qvh_record`)
QVH_COLUMNS = (
    "sample_id",
    "source_qid",
    "source_qid_type",
    "query",
    "duration_s",
    "video_id",
    "relevant_clip_ids",
    "saliency",
    "windows",
    "relevance",
)


@register("qvhighlights")
class QVHighlightsExporter(Exporter):
    """native jsonl (qid, query, duration, vid, relevant_windows, ...); exact round trip."""

    def write(self, samples: pa.Table, out: Path, ctx: ExportContext) -> int:
        n = 0
        with open(out, "w", encoding="utf-8", newline="\n") as fh:
            for batch in present_columns(samples, QVH_COLUMNS).to_batches(max_chunksize=50_000):
                for row in batch.to_pylist():
                    fh.write(json.dumps(qvh_record(row)) + "\n")  # ASCII escapes, as the release
                    n += 1
        return n
