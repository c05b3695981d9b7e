"""Schemas of the labeling tables: `labels` as `relabel pull` stores it, and the columns that
consensus adds to `samples` rows it changed."""

from __future__ import annotations

import pyarrow as pa

from tvgcurate.schemas import LABELS, WINDOWS

# The stored `labels` table: the core LABELS columns plus what pull records per annotation.
LABELS_TABLE = pa.schema(
    list(LABELS)
    + [
        ("annotator_id", pa.int64()),
        ("sample_hash", pa.string()),
        ("fps", pa.float64()),
        ("task_superseded", pa.bool_()),
        ("pulled_at", pa.string()),
        ("error", pa.string()),
    ]
)

# Columns consensus adds to `samples`: the previous label and the relabel round's evidence.
CONSENSUS_COLUMNS = pa.schema(
    [
        ("prev_windows", WINDOWS),
        ("prev_query", pa.string()),
        ("prev_relevance", pa.string()),
        ("prev_origin", pa.string()),
        ("relabel_round", pa.string()),
        ("relabel_annotators", pa.int64()),
        ("relabel_agreement", pa.float64()),
        ("relabel_parent_version", pa.int64()),
    ]
)
