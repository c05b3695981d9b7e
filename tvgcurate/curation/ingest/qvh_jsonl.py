"""QVHighlights native jsonl and the QVHighlights-line format Lighthouse releases.

Fast path: pyarrow's JSON reader with an explicit schema, then Arrow compute for every
check. Only when Arrow cannot parse the file (a syntax error, a non-numeric time, qids
that mix numbers and strings) does a per-line Python pass run, to name the exact line and
field, or, with --on-error skip or mixed qid types, to build the table from valid lines.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.json as pj

from tvgcurate.curation.ingest.arrow_utils import (
    PAIRS,
    LineIndex,
    bad_pair_rows,
    drop_rows,
    pairs_to_windows,
)
from tvgcurate.curation.ingest.base import READERS, ReadResult, Reject, SourceFile
from tvgcurate.schemas.constants import QVH_LINES, QVHIGHLIGHTS

RAW = pa.schema(
    [
        ("query", pa.string()),
        ("duration", pa.float64()),
        ("vid", pa.string()),
        ("relevant_windows", PAIRS),
        ("relevant_clip_ids", pa.list_(pa.int64())),
        ("saliency_scores", pa.list_(pa.list_(pa.int64()))),
    ]
)
FIELDS = ["qid", *RAW.names]
REQUIRED = {
    QVHIGHLIGHTS: ("qid", "query", "vid", "duration"),
    QVH_LINES: ("qid", "query", "vid"),
}
_VID_SPAN = re.compile(rb'"vid"\s*:\s*"[^"]*_\d+(\.\d+)?_\d+(\.\d+)?"')


def _sniff_jsonl(path: Path, head: bytes) -> bool:
    return path.suffix.lower() in (".jsonl", ".ndjson") or head.lstrip().startswith(b'{"qid"')


def _sniff_qvh(path: Path, head: bytes) -> bool:
    if not _sniff_jsonl(path, head):
        return False
    return (
        b'"relevant_clip_ids"' in head
        or b'"saliency_scores"' in head
        or bool(_VID_SPAN.search(head))
    )


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def check_record(rec: object, required: tuple[str, ...]) -> tuple[str | None, str] | None:
    """(field, reason) for the first problem of one parsed record, or None when valid."""
    if not isinstance(rec, dict):
        return None, "a line must be a JSON object"
    for name in required:
        if rec.get(name) is None:
            return name, "missing required field"
    qid = rec.get("qid")
    if isinstance(qid, bool) or not isinstance(qid, (int, str)):
        return "qid", f"must be an integer or a string, got {json.dumps(qid)}"
    for name in ("query", "vid"):
        if rec.get(name) is not None and not isinstance(rec[name], str):
            return name, f"must be a string, got {json.dumps(rec[name])[:60]}"
    if rec.get("duration") is not None and not _is_number(rec["duration"]):
        return "duration", f"must be a number, got {json.dumps(rec['duration'])[:60]}"
    wins = rec.get("relevant_windows")
    if wins is not None:
        if not isinstance(wins, list):
            return "relevant_windows", "must be a list of [start, end] pairs"
        for w in wins:
            if not (isinstance(w, list) and len(w) == 2 and all(_is_number(x) for x in w)):
                return (
                    "relevant_windows",
                    f"{json.dumps(w)[:60]} is not a [start, end] pair of numbers",
                )
    ids = rec.get("relevant_clip_ids")
    if ids is not None and not (
        isinstance(ids, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
    ):
        return "relevant_clip_ids", "must be a list of integers"
    sal = rec.get("saliency_scores")
    if sal is not None and not (
        isinstance(sal, list)
        and all(isinstance(s, list) and all(isinstance(i, int) for i in s) for s in sal)
    ):
        return "saliency_scores", "must be a list of lists of integers"
    return None


def qid_type(qid: object) -> str:
    """ "int" or "str": how the file wrote a qid (kept so exports write it back alike)."""
    return "int" if isinstance(qid, int) and not isinstance(qid, bool) else "str"


def _python_pass(sf: SourceFile, required: tuple[str, ...]) -> ReadResult:
    """Per-line parse: names the first bad line, or (skip mode / mixed qids) keeps the good ones."""
    good: list[dict] = []
    rejects: list[Reject] = []
    with open(sf.path, encoding="utf-8-sig", newline="") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                problem = check_record(rec, required)
            except json.JSONDecodeError as exc:
                problem = None, f"malformed JSON ({exc.msg} at column {exc.colno})"
            if problem is None:
                qid = rec["qid"]
                good.append(
                    {k: rec.get(k) for k in FIELDS} | {"qid": str(qid), "qid_type": qid_type(qid)}
                )
                continue
            rej = Reject(str(sf.path), lineno, problem[0], problem[1], line.rstrip("\r\n")[:2000])
            if sf.on_error != "skip":
                raise rej.error()
            rejects.append(rej)
    schema = pa.schema([("qid", pa.string()), *RAW, ("qid_type", pa.string())])
    return ReadResult(pa.Table.from_pylist(good, schema=schema), rejects)


def _fast_read(sf: SourceFile) -> pa.Table:
    opts = pj.ParseOptions(explicit_schema=RAW, unexpected_field_behavior="infer")
    table = pj.read_json(
        sf.path, parse_options=opts, read_options=pj.ReadOptions(block_size=16 << 20)
    )
    if "qid" not in table.column_names:
        table = table.append_column("qid", pa.nulls(table.num_rows, pa.string()))
    qid = table.column("qid")
    if not (
        pa.types.is_integer(qid.type) or pa.types.is_string(qid.type) or pa.types.is_null(qid.type)
    ):
        raise pa.ArrowInvalid(f"qid has type {qid.type}")
    table = table.set_column(table.column_names.index("qid"), "qid", qid.cast(pa.string()))
    kind = "int" if pa.types.is_integer(qid.type) else "str"  # the file's own qid type
    return table.select(FIELDS).append_column("qid_type", pa.repeat(kind, table.num_rows))


def _arrow_checks(table: pa.Table, sf: SourceFile, required: tuple[str, ...]) -> ReadResult:
    """Null required fields and malformed windows, found with Arrow compute."""
    problems: dict[int, tuple[str, str]] = {}
    for name in required:
        col = table.column(name)
        if col.null_count:
            rows = np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))
            for r in rows.tolist():
                problems.setdefault(r, (name, "missing required field"))
    for r in bad_pair_rows(table.column("relevant_windows")).tolist():
        problems.setdefault(
            r, ("relevant_windows", "an entry is not a [start, end] pair of numbers")
        )
    if not problems:
        return ReadResult(table)
    lines = LineIndex(sf.path)
    rejects = [
        Reject(str(sf.path), lines(r), field, reason)
        for r, (field, reason) in sorted(problems.items())
    ]
    if sf.on_error != "skip":
        raise rejects[0].error()
    return ReadResult(drop_rows(table, np.array(sorted(problems))), rejects)


def read_qvh_jsonl(sf: SourceFile, kind: str) -> ReadResult:
    required = REQUIRED[kind]
    try:
        result = _arrow_checks(_fast_read(sf), sf, required)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        result = _python_pass(sf, required)
    raw = result.table
    windows = pairs_to_windows(raw.column("relevant_windows"))
    n = raw.num_rows
    samples = pa.table(
        {
            "source_qid": raw.column("qid"),
            "video_id": raw.column("vid"),
            "query": raw.column("query"),
            "windows": windows,
            "duration_s": raw.column("duration"),
            "saliency": raw.column("saliency_scores"),
            "relevant_clip_ids": raw.column("relevant_clip_ids"),
            "source_line": _line_numbers(sf.path, n, result),
            "source_qid_type": raw.column("qid_type"),
        }
    )
    return ReadResult(samples, result.rejects)


def _count_lines(path: Path) -> int:
    """Lines in a file (a last line without a newline counts), read in blocks."""
    n, last = 0, b"\n"
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(16 << 20), b""):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (last != b"\n")


def _line_numbers(path: Path, n: int, result: ReadResult) -> pa.Array:
    """Each kept row's 1-based line number; a plain range when every line holds a record."""
    if not result.rejects and _count_lines(path) == n:
        return pa.array(np.arange(1, n + 1, dtype=np.int64))
    lines = LineIndex(path)
    rejected = {r.line for r in result.rejects}
    total = n + len(rejected)
    kept = [lines(i) for i in range(total)]
    kept = [ln for ln in kept if ln not in rejected]
    return pa.array(np.array(kept[:n], dtype=np.int64))


@READERS.register(QVHIGHLIGHTS, sniff=_sniff_qvh, source=QVHIGHLIGHTS)
def read_qvhighlights(sf: SourceFile) -> ReadResult:
    return read_qvh_jsonl(sf, QVHIGHLIGHTS)


@READERS.register(QVH_LINES, sniff=_sniff_jsonl)  # the dataset comes from the file name
def read_qvh_lines(sf: SourceFile) -> ReadResult:
    return read_qvh_jsonl(sf, QVH_LINES)
