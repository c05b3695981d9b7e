"""Charades-STA native annotations: `VIDEO_ID START END##SENTENCE` lines.

Durations are not in these files. They come from a `Charades_v1_<split>.csv` (its `id` and
`length` columns), given as a SOURCE or lying beside the txt file, else from probing the
video (ingest fills them from the videos table). The file is small (tens of thousands of
lines), so a line loop with one regex is the clearest reader.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pyarrow as pa

from tvgcurate.curation.ingest.base import (
    READERS,
    ReadResult,
    Reject,
    SourceFile,
    new_rows,
    rows_table,
)
from tvgcurate.errors import InputError
from tvgcurate.schemas.constants import CHARADES_STA

LINE = re.compile(r"^(?P<vid>\S+)\s+(?P<start>\S+)\s+(?P<end>\S+?)##(?P<query>.*)$")


def _sniff(path: Path, head: bytes) -> bool:
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
    return path.suffix.lower() == ".txt" and "##" in first


def _sniff_csv(path: Path, head: bytes) -> bool:
    return path.suffix.lower() == ".csv" and b"length" in head.split(b"\n", 1)[0]


def read_durations_csv(path: Path) -> dict[str, float]:
    """`id` -> `length` (seconds) from a Charades_v1_*.csv."""
    out: dict[str, float] = {}
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 26))  # long fields are data, not errors
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        try:
            return _read_lengths(path, reader, out)
        except csv.Error as exc:
            raise InputError(path, reader.line_num, None, f"not valid CSV: {exc}") from None


def _read_lengths(path: Path, reader: csv.DictReader, out: dict[str, float]) -> dict[str, float]:
    if not reader.fieldnames or "id" not in reader.fieldnames or "length" not in reader.fieldnames:
        raise InputError(path, 1, "length", "a Charades csv needs the columns 'id' and 'length'")
    for lineno, row in enumerate(reader, start=2):
        try:
            out[row["id"]] = float(row["length"])
        except (TypeError, ValueError):
            raise InputError(path, lineno, "length", f"not a number: {row['length']!r}") from None
    return out


def sibling_durations(path: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    for csv_path in sorted(path.parent.glob("Charades_v1_*.csv")):
        out.update(read_durations_csv(csv_path))
    return out


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value else None  # NaN is not a time


@READERS.register(CHARADES_STA, sniff=_sniff, source=CHARADES_STA)
def read_charades(sf: SourceFile) -> ReadResult:
    durations = {**sibling_durations(sf.path), **sf.durations}
    rows = new_rows()
    rejects: list[Reject] = []
    qid = 0
    with open(sf.path, encoding="utf-8-sig", newline="") as fh:
        for lineno, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            m = LINE.match(line)
            problem = None
            if m is None:
                problem = (None, "expected 'VIDEO_ID START END##SENTENCE'")
            else:
                start, end = _number(m["start"]), _number(m["end"])
                if start is None:
                    problem = ("start", f"not a number: {m['start']!r}")
                elif end is None:
                    problem = ("end", f"not a number: {m['end']!r}")
            if problem is not None:
                rej = Reject(str(sf.path), lineno, problem[0], problem[1], line[:2000])
                if sf.on_error != "skip":
                    raise rej.error()
                rejects.append(rej)
                qid += 1
                continue
            rows["source_qid"].append(str(qid))
            rows["video_id"].append(m["vid"])
            rows["query"].append(m["query"])
            rows["windows"].append([{"start": start, "end": end}])
            rows["duration_s"].append(durations.get(m["vid"]))
            rows["source_line"].append(lineno)
            qid += 1
    return ReadResult(rows_table(rows), rejects)


@READERS.register("charades-csv", sniff=_sniff_csv, durations_only=True)
def read_charades_csv(sf: SourceFile) -> ReadResult:
    """A Charades_v1_*.csv holds no samples, only durations for the Charades-STA files."""
    return ReadResult(pa.table({}), durations=read_durations_csv(sf.path))
