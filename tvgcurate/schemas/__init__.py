"""Arrow schemas of the workspace tables (docs/dev/architecture.md §3) and their validation.

Core columns are binding across stages and are never renamed; stages may add columns.
"""

from __future__ import annotations

import pyarrow as pa

# the sample vocabulary, re-exported (RELEVANCE_VALUES is defined there)
from tvgcurate.schemas.sample import (  # noqa: F401
    IRRELEVANT,
    PARTIAL,
    REFUSAL_TARGETS,
    RELEVANCE_VALUES,
    RELEVANT,
    WITH_WINDOWS,
    answer_window,
    expects_refusal,
    gt_windows,
    has_windows,
    stored_windows,
)

SCHEMA_VERSION = 1

WINDOW = pa.struct([("start", pa.float64()), ("end", pa.float64())])
WINDOWS = pa.list_(WINDOW)

VIDEOS = pa.schema(
    [
        ("video_id", pa.string()),
        ("path", pa.string()),
        ("duration_s", pa.float64()),
        ("fps", pa.float64()),
        ("num_frames", pa.int64()),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("codec", pa.string()),
        ("probe_error", pa.string()),
    ]
)

SAMPLES = pa.schema(
    [
        ("sample_id", pa.string()),
        ("video_id", pa.string()),
        ("query", pa.string()),
        ("windows", WINDOWS),
        ("relevance", pa.string()),
        ("split", pa.string()),
        ("source", pa.string()),
        ("source_qid", pa.string()),
        ("duration_s", pa.float64()),
        ("saliency", pa.list_(pa.list_(pa.int64()))),
        ("relevant_clip_ids", pa.list_(pa.int64())),
        ("origin", pa.string()),
        ("parent_sample_id", pa.string()),
        ("needs_review", pa.bool_()),
        # Synthetic rows (build-irrelevant): the query the negative came from, and the
        # similarity that justified it (max cosine to the target video's true queries).
        ("donor_sample_id", pa.string()),
        ("similarity", pa.float64()),
    ]
)

KEYFRAMES = pa.schema(
    [
        ("video_id", pa.string()),
        ("frame_index", pa.int64()),
        ("timestamp_s", pa.float64()),
        ("change_score", pa.float64()),
        ("is_boundary", pa.bool_()),
        ("tokens", pa.int64()),
        ("height", pa.int32()),
        ("width", pa.int32()),
        # null when fine; a video that failed has one row (frame_index -1, tokens 0) saying why
        ("error", pa.string()),
    ]
)

LABELS = pa.schema(
    [
        ("label_id", pa.string()),
        ("sample_id", pa.string()),
        ("project", pa.string()),
        ("task_id", pa.int64()),
        ("annotation_id", pa.int64()),
        ("annotator", pa.string()),
        ("round", pa.string()),
        ("verdict", pa.string()),
        ("windows", WINDOWS),
        ("rewritten_query", pa.string()),
        ("lead_time_s", pa.float64()),
        ("created_at", pa.string()),
        ("updated_at", pa.string()),
    ]
)

RANKED_WINDOW = pa.struct([("start", pa.float64()), ("end", pa.float64()), ("score", pa.float64())])

PREDICTIONS = pa.schema(
    [
        ("run_id", pa.string()),
        ("sample_id", pa.string()),
        ("windows", pa.list_(RANKED_WINDOW)),
        ("refused", pa.bool_()),
        ("raw_text", pa.string()),
        # added (issue 15): P(refusal) against the best answer at the decision point, 0..1
        ("refusal_score", pa.float64()),
        # out of fold (`score --fold i/K`): the fold that scored it, by video; null: in-sample
        ("fold", pa.int64()),
    ]
)

AUDITS = pa.schema(
    [
        ("audit_id", pa.string()),
        ("sample_id", pa.string()),
        ("check", pa.string()),
        ("is_issue", pa.bool_()),
        ("score", pa.float64()),
        ("detail", pa.string()),
    ]
)

EMBEDDINGS = pa.schema(
    [
        ("text_hash", pa.string()),
        ("model", pa.string()),
        ("vector", pa.list_(pa.float32())),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "videos": VIDEOS,
    "samples": SAMPLES,
    "keyframes": KEYFRAMES,
    "labels": LABELS,
    "predictions": PREDICTIONS,
    "audits": AUDITS,
    "embeddings": EMBEDDINGS,
}

# Columns that must never be null in a stored table.
REQUIRED: dict[str, tuple[str, ...]] = {
    "videos": ("video_id",),
    "samples": ("sample_id", "video_id", "query", "relevance", "source", "origin"),
    "keyframes": ("video_id", "frame_index", "timestamp_s"),
    "labels": ("label_id", "sample_id"),
    "predictions": ("run_id", "sample_id"),
    "audits": ("audit_id", "sample_id", "check"),
    "embeddings": ("text_hash", "vector"),
}


class SchemaError(ValueError):
    """A table does not satisfy its core schema."""


def conform(name: str, table: pa.Table) -> pa.Table:
    """Return `table` with the core columns of `name` first, cast to their types.

    Missing optional core columns are added as nulls; extra columns are kept after the
    core ones. A missing required column, a null in one, or an impossible cast raises
    SchemaError naming the column.
    """
    schema = TABLES.get(name)
    if schema is None:
        return table
    n = table.num_rows
    arrays, fields = [], []
    for field in schema:
        if field.name in table.column_names:
            col = table.column(field.name)
            if not col.type.equals(field.type):
                try:
                    col = col.cast(field.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    raise SchemaError(
                        f"table '{name}': column '{field.name}' has type {col.type}, "
                        f"expected {field.type}: {exc}"
                    ) from None
        elif field.name in REQUIRED.get(name, ()):
            raise SchemaError(f"table '{name}': required column '{field.name}' is missing")
        else:
            col = pa.nulls(n, field.type)
        arrays.append(col)
        fields.append(field)
    for cname in table.column_names:
        if cname not in schema.names:
            arrays.append(table.column(cname))
            fields.append(table.schema.field(cname))
    out = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    for cname in REQUIRED.get(name, ()):
        nulls = out.column(cname).null_count
        if nulls:
            raise SchemaError(
                f"table '{name}': required column '{cname}' has {nulls} null value(s)"
            )
    return out


def empty(name: str) -> pa.Table:
    """An empty table with the core schema of `name`."""
    return TABLES[name].empty_table()
