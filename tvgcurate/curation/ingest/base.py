"""What every source reader shares: the registry, the result type, split and source inference."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from tvgcurate.errors import InputError
from tvgcurate.registry import Registry
from tvgcurate.schemas import WINDOWS
from tvgcurate.schemas.constants import ACTIVITYNET, CHARADES_STA, QVHIGHLIGHTS


@dataclass
class Reject:
    """One source row that was not ingested, and why."""

    path: str
    line: int | None
    field: str | None
    reason: str
    raw: str = ""

    def error(self) -> InputError:
        return InputError(self.path, self.line, self.field, self.reason)


@dataclass
class ReadResult:
    """Rows in the samples schema (without split/source ids filled when unknown) plus rejects."""

    table: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    durations: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceFile:
    """One input file with what the user or its name says about it."""

    path: Path
    split: str
    source: str
    on_error: str  # "fail" or "skip"
    durations: dict[str, float] = field(default_factory=dict, hash=False, compare=False)
    # our field -> the file's column, for `--format custom --map query=sentence,...`
    columns: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


# The columns a line/record reader produces (the QVH jsonl reader adds saliency and clip ids).
ROW_SCHEMA = pa.schema(
    [
        ("source_qid", pa.string()),
        ("video_id", pa.string()),
        ("query", pa.string()),
        ("windows", WINDOWS),
        ("duration_s", pa.float64()),
        ("source_line", pa.int64()),
    ]
)


def new_rows() -> dict[str, list]:
    """Empty column lists for a reader that builds rows one record at a time."""
    return {name: [] for name in ROW_SCHEMA.names}


def rows_table(rows: dict[str, list]) -> pa.Table:
    return pa.table(rows, schema=ROW_SCHEMA)


Reader = Callable[[SourceFile], ReadResult]

# One reader per source format. Metadata, per reader:
#   sniff(path, head) -> bool   recognises its files for --format auto (optional);
#   source                      the dataset its files hold (None: inferred from the file name);
#   durations_only              the file holds no samples, only durations for other files;
#   priority                    sniffers with a higher one are asked first (default 0), so a
#                               format known by its file name wins over a generic layout.
# Readers register themselves in their module of this package (found by discovery).
READERS: Registry[Reader] = Registry("source format", package="tvgcurate.curation.ingest")


def detect_format(path: Path) -> str:
    """The registered format whose sniffer accepts `path` (first 64 KiB), or an InputError."""
    with open(path, "rb") as fh:
        head = fh.read(65536)
    head = head.removeprefix(b"\xef\xbb\xbf")
    name = sniff_format(path, head)
    if name is not None:
        return name
    raise InputError(
        path, None, None, f"cannot tell the format; pass --format ({'|'.join(sorted(READERS))})"
    )


def sniff_format(path: Path, head: bytes) -> str | None:
    """The first registered format (by priority, then registration order) whose sniffer
    accepts `path` with its first bytes `head`; None when none does."""
    names = sorted(READERS.names(), key=lambda n: -READERS.meta(n).get("priority", 0))
    for name in names:
        sniff = READERS.meta(name).get("sniff")
        if sniff is not None and sniff(path, head):
            return name
    return None


_SPLIT_RE = [
    (re.compile(r"(^|[^a-z])val_?2([^a-z0-9]|$)"), "val2"),
    (re.compile(r"(^|[^a-z])(val|valid|validation|val_?1)([^a-z]|$)"), "val"),
    (re.compile(r"(^|[^a-z])test([^a-z]|$)"), "test"),
    (re.compile(r"(^|[^a-z])train([^a-z]|$)"), "train"),
]


def infer_split(path: Path) -> str | None:
    """The split named in a file name (train, val, val2, test), or None."""
    name = path.name.lower()
    for rx, split in _SPLIT_RE:
        if rx.search(name):
            return split
    return None


_SOURCE_HINTS = [
    ("charades", CHARADES_STA),
    ("activitynet", ACTIVITYNET),
    ("anet", ACTIVITYNET),
]
_SOURCE_HINTS += [("highlight", QVHIGHLIGHTS), ("qvh", QVHIGHLIGHTS), ("tacos", "tacos")]
_SOURCE_HINTS[:0] = [  # the TimeLens-Bench refinements first: their names hold the originals'
    ("charades-timelens", "charades-timelens"),
    ("activitynet-timelens", "activitynet-timelens"),
    ("qvhighlights-timelens", "qvhighlights-timelens"),
    ("didemo", "didemo"),
]


def infer_source(path: Path, default: str) -> str:
    """The dataset a QVH-line file holds, from its name (Lighthouse names them by dataset)."""
    name = path.name.lower()
    for hint, source in _SOURCE_HINTS:
        if hint in name:
            return source
    return default


def read_source(fmt: str, sf):
    """Run the `fmt` reader on `sf`; undecodable bytes become one InputError naming the
    file and line (any reader that opens text, not only the ones that check)."""
    try:
        return READERS.get(fmt)(sf)
    except UnicodeDecodeError as exc:
        raise not_utf8(Path(sf.path), exc) from None


def not_utf8(path: Path, exc: UnicodeDecodeError) -> InputError:
    """InputError for bytes that are not UTF-8, at the line of the first bad byte."""
    line, bad = None, None
    try:
        data = path.read_bytes()
        data.decode("utf-8")  # a BOM is valid UTF-8: positions stay those of the file
    except UnicodeDecodeError as err:
        bad = err.start
        line = data[:bad].count(b"\n") + 1
    except OSError:
        pass
    where = f"byte {bad}" if bad is not None else "somewhere"
    return InputError(path, line, None, f"not UTF-8 text ({exc.reason} at {where}); re-save the "
                      "file as UTF-8")  # fmt: skip
