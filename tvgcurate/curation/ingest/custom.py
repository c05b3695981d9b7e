"""A file with its own column names: ``--format custom --map query=sentence,start=t0,...``.

jsonl (.jsonl/.ndjson), csv (.csv/.tsv) or parquet (.parquet/.pq), read by pyarrow. The map
names the file's column for each of our fields:

- ``query``, ``video`` (required);
- the window: ``start`` and ``end`` (one window per row, seconds), or ``windows`` (a list
  of ``[start, end]`` pairs per row);
- ``duration`` (seconds; else probed from the videos), ``qid`` (else the row number);
- ``split`` (a split name per row, any non-empty string; else ``--split`` or the file
  name's), ``relevance`` (per row: ``relevant``, ``irrelevant`` or ``partial``, the
  vocabulary of `tvgcurate.schemas.sample`; else every row is ``relevant``).

A relevant row needs at least one window; an irrelevant or partial row may have none (an
empty ``start``/``end`` or ``windows``), and windows it has are stored, never ground truth.
A row with a missing query, video, split or relevance, a relevance outside the vocabulary,
a relevant row without a window, or a window that is not a pair of numbers, is a bad row
(``--on-error`` decides). Its sniffer accepts nothing: name the format (in a
directory, ``--format custom`` takes the files with these suffixes).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tvgcurate.curation.ingest.arrow_utils import (
    PAIRS,
    LineIndex,
    bad_pair_rows,
    drop_rows,
    pairs_to_windows,
)
from tvgcurate.curation.ingest.base import READERS, ReadResult, Reject, SourceFile
from tvgcurate.errors import InputError, TvgError
from tvgcurate.schemas.sample import RELEVANCE_VALUES, expects_refusal

CUSTOM = "custom"
FIELDS = ("query", "video", "start", "end", "windows", "duration", "qid", "split", "relevance")
REQUIRED = ("query", "video")
EXAMPLE = "query=sentence,start=t0,end=t1,video=vid,duration=len"
NO_WINDOW = (
    "missing window: a relevant row needs at least one (an irrelevant or partial row may have none)"
)


def parse_map(text: str | dict | None) -> dict[str, str]:
    """``"query=sentence,start=t0"`` -> ``{"query": "sentence", "start": "t0"}``, checked."""
    from tvgcurate.keyvalue import parse

    if not text:
        raise TvgError(f"--format custom needs --map, e.g. --map {EXAMPLE}")
    items = text.items() if isinstance(text, dict) else None
    mapping = (
        {str(k): str(v) for k, v in items}
        if items is not None
        else parse([t for t in text.split(",") if t.strip()], "--map", EXAMPLE, typed=False)
    )
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise TvgError(
            f"--map: unknown field(s) {', '.join(unknown)}; the fields are {', '.join(FIELDS)}"
        )
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise TvgError(f"--map must name the column of {', '.join(missing)} (e.g. {EXAMPLE})")
    has_pair = "start" in mapping and "end" in mapping
    if not has_pair and "windows" not in mapping:
        raise TvgError("--map must name start and end, or windows (a list of [start, end])")
    if ("start" in mapping) != ("end" in mapping):
        raise TvgError("--map: give both start and end")
    return mapping


def _read_table(path: Path) -> pa.Table:
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson", ".json"):
            import pyarrow.json as pj

            return pj.read_json(path)
        if suffix in (".csv", ".tsv"):
            import pyarrow.csv as pcsv

            delimiter = "\t" if suffix == ".tsv" else ","
            return pcsv.read_csv(path, parse_options=pcsv.ParseOptions(delimiter=delimiter))
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(path, None, None, f"cannot read as {suffix[1:]}: {exc}") from None
    raise InputError(path, None, None, "custom files are .jsonl, .csv, .tsv or .parquet")


def _column(table: pa.Table, name: str, path: Path, ours: str) -> pa.ChunkedArray:
    if name not in table.column_names:
        raise InputError(
            path,
            None,
            name,
            f"no column {name!r} (mapped to {ours}); the file has: {', '.join(table.column_names)}",
        )
    return table.column(name)


def _as(col: pa.ChunkedArray, tp: pa.DataType, path: Path, name: str) -> pa.ChunkedArray:
    try:
        return col.cast(tp)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise InputError(path, None, name, f"cannot read as {tp} (type {col.type})") from None


def _one_window(
    start: pa.ChunkedArray, end: pa.ChunkedArray, none: np.ndarray | None = None
) -> pa.Array:
    """One ``[start, end]`` per row (a missing number stays null, for the checks); a row of
    `none` (neither a start nor an end) has no window (null)."""
    n = len(start)
    keep = np.ones(n, dtype=bool) if none is None else ~none
    vals = np.empty((n, 2))
    vals[:, 0] = start.to_numpy(zero_copy_only=False)
    vals[:, 1] = end.to_numpy(zero_copy_only=False)
    vals = vals[keep].reshape(-1)
    numbers = pa.array(vals, pa.float64(), from_pandas=True)  # NaN (missing) -> null
    m = int(keep.sum())
    inner = pa.ListArray.from_arrays(pa.array(np.arange(0, 2 * m + 1, 2, dtype=np.int32)), numbers)
    offsets = np.concatenate([[0], np.cumsum(keep)]).astype(np.int32)
    mask = None if none is None or not none.any() else pa.array(none)
    return pa.ListArray.from_arrays(pa.array(offsets), inner, mask=mask)


def _missing(arr: pa.ChunkedArray) -> np.ndarray:
    """Rows whose string value is null or blank."""
    blank = pc.equal(pc.utf8_trim_whitespace(arr), "")
    return pc.fill_null(blank, True).to_numpy(zero_copy_only=False).astype(bool)


SUFFIXES = (".jsonl", ".ndjson", ".csv", ".tsv", ".parquet", ".pq")


def _never(path: Path, head: bytes) -> bool:
    """Any table could be a custom file: it is never auto-detected (name it with --format)."""
    return False


@READERS.register(CUSTOM, sniff=_never, suffixes=SUFFIXES)
def read_custom(sf: SourceFile) -> ReadResult:
    if not sf.columns:
        raise InputError(sf.path, None, None, f"--format custom needs --map, e.g. --map {EXAMPLE}")
    mapping = parse_map(sf.columns)
    path = sf.path
    raw = _read_table(path)
    n = raw.num_rows
    col = {ours: _column(raw, theirs, path, ours) for ours, theirs in mapping.items()}
    query = _as(col["query"], pa.string(), path, mapping["query"])
    video = _as(col["video"], pa.string(), path, mapping["video"])
    problems: dict[int, tuple[str, str]] = {}
    # Per-row split and relevance, checked: a bad value is a bad row.
    split = _as(col["split"], pa.string(), path, mapping["split"]) if "split" in col else None
    if split is not None:
        for r in np.flatnonzero(_missing(split)).tolist():
            problems.setdefault(r, (mapping["split"], "missing split (an empty value)"))
    relevance = None
    refuse = np.zeros(n, dtype=bool)  # irrelevant/partial rows: they may have no window
    if "relevance" in col:
        relevance = _as(col["relevance"], pa.string(), path, mapping["relevance"])
        values = relevance.to_pylist()
        allowed = ", ".join(RELEVANCE_VALUES)
        for r, v in enumerate(values):
            if v is None or not v.strip():
                problems.setdefault(r, (mapping["relevance"], f"missing relevance ({allowed})"))
            elif v not in RELEVANCE_VALUES:
                problems.setdefault(
                    r, (mapping["relevance"], f"relevance {v!r} is not one of {allowed}")
                )
            else:
                refuse[r] = expects_refusal(v)
    if "windows" in col:
        pairs = _as(col["windows"], PAIRS, path, mapping["windows"])
    else:
        start = _as(col["start"], pa.float64(), path, mapping["start"])
        end = _as(col["end"], pa.float64(), path, mapping["end"])
        both_null = start.is_null().to_numpy(zero_copy_only=False)
        both_null &= end.is_null().to_numpy(zero_copy_only=False)
        pairs = pa.chunked_array([_one_window(start, end, both_null)], type=PAIRS)
    if "qid" in col:
        qid_col = col["qid"]
        kind = "int" if pa.types.is_integer(qid_col.type) else "str"
        qid = _as(qid_col, pa.string(), path, mapping["qid"])
    else:
        kind, qid = None, pa.array([str(i) for i in range(n)], pa.string())
    duration = (
        _as(col["duration"], pa.float64(), path, mapping["duration"])
        if "duration" in col
        else pa.nulls(n, pa.float64())
    )

    for ours, arr in (("query", query), ("video", video), ("qid", qid)):
        if arr.null_count:
            for r in np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False)).tolist():
                problems.setdefault(r, (mapping.get(ours, ours), "missing value"))
    window_field = mapping.get("windows") or mapping["start"]
    # No window at all: fine on a row the model must refuse, bad on a relevant one.
    no_window = pc.fill_null(pc.equal(pc.list_value_length(pairs), 0), True)
    for r in np.flatnonzero(no_window.to_numpy(zero_copy_only=False)).tolist():
        if not refuse[r]:
            problems.setdefault(r, (window_field, NO_WINDOW))
    for r in bad_pair_rows(pairs).tolist():
        problems.setdefault(r, (window_field, "a window is not [start, end] numbers"))
    lines = LineIndex(path) if path.suffix.lower() in (".jsonl", ".ndjson") else None
    line_no = (
        (lambda r: lines(r))
        if lines
        else ((lambda r: r + 2) if path.suffix.lower() in (".csv", ".tsv") else (lambda r: r + 1))
    )  # csv: the header is line 1; parquet: the row number
    rejects = [
        Reject(str(path), line_no(r), field, reason)
        for r, (field, reason) in sorted(problems.items())
    ]
    if rejects and sf.on_error != "skip":
        raise rejects[0].error()
    per_row = {}  # `_samples_rows` (run.py) takes these over the file-level values
    if split is not None:
        per_row["split"] = split
    if relevance is not None:
        per_row["relevance"] = relevance
    table = pa.table(
        {
            **per_row,
            "source_qid": qid,
            "video_id": video,
            "query": query,
            "windows": pa.chunked_array(
                [pc.fill_null(pairs, pa.scalar([], PAIRS)).combine_chunks()], type=PAIRS
            ),
            "duration_s": duration,
            "source_line": pa.array([line_no(r) for r in range(n)], pa.int64()),
            "source_qid_type": pa.repeat(pa.scalar(kind, pa.string()), n),
        }
    )
    table = drop_rows(table, np.array(sorted(problems), dtype=np.int64))
    windows = pairs_to_windows(table.column("windows"))
    table = table.set_column(table.column_names.index("windows"), "windows", windows)
    return ReadResult(table, rejects)
