"""Charades-STA native lines: `VIDEO_ID START END##SENTENCE`, one window per line.

What the format carries: the video id, one window and the sentence (the sentence is
everything after the first `##`, so a query that itself contains `##` survives). It has no
place for a duration, a split or an empty window: durations go to an optional sidecar
`Charades_v1_<name>.csv` (`id,length`) that ingest reads when it lies beside the txt file;
irrelevant rows cannot be exported. A sample with several windows becomes one line per
window. A newline in a query would start a new, corrupt line: it is an error unless
`--opt newlines=space` replaces each line break by one space. Times are written as Python's
shortest round-trip float (`24.3`, `0.0`), so a native file read by ingest and exported
again is the same text.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from tvgcurate.errors import TvgError
from tvgcurate.exporters.base import ExportContext, Exporter, register
from tvgcurate.keyvalue import setting

_BREAK = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")  # what str.splitlines splits on


@dataclass
class CharadesOptions:
    newlines: str = setting(
        "error", "A query with a line break: error | space (replace it by a space)."
    )
    durations: bool = setting(
        True, "Also write Charades_v1_<name>.csv (id,length) so re-ingest keeps durations."
    )

    def __post_init__(self):
        if self.newlines not in ("error", "space"):
            raise ValueError(f"newlines must be 'error' or 'space', not {self.newlines!r}")


def time_text(x: float) -> str:
    """A time as the shortest text that reads back as the same float (24.3, 0.0, 1e-05)."""
    return repr(float(x))


def _check_id(vid: str, sid: str) -> None:
    if not vid or any(c.isspace() for c in vid) or "##" in vid:
        raise TvgError(
            f"sample {sid}: video id {vid!r} cannot be written as Charades-STA "
            "(it must be non-empty, without whitespace or '##')"
        )


@register("charades-sta")
class CharadesExporter(Exporter):
    """`VID START END##sentence` lines (+ Charades_v1 csv durations sidecar)."""

    carries_irrelevant = False
    Options = CharadesOptions

    def write(self, samples: pa.Table, out: Path, ctx: ExportContext) -> int:
        opts = self.options(ctx)
        cols = ["sample_id", "video_id", "query", "windows", "duration_s"]
        n = 0
        durations: dict[str, float] = {}
        with open(out, "w", encoding="utf-8", newline="\n") as fh:
            for batch in samples.select(cols).to_batches(max_chunksize=50_000):
                for row in batch.to_pylist():
                    sid, vid, query = row["sample_id"], row["video_id"], row["query"]
                    _check_id(vid, sid)
                    if _BREAK.search(query):
                        if opts.newlines == "error":
                            raise TvgError(
                                f"sample {sid}: the query contains a line break, which "
                                "Charades-STA cannot carry; fix the query or pass "
                                "--opt newlines=space"
                            )
                        query = _BREAK.sub(" ", query)
                    for w in row["windows"] or []:
                        fh.write(f"{vid} {time_text(w['start'])} {time_text(w['end'])}##{query}\n")
                        n += 1
                    if row["duration_s"] is not None:
                        durations.setdefault(vid, row["duration_s"])
        if opts.durations and durations and ctx.out is not None:
            stem = Path(ctx.out).stem
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(["id", "length"])
            for vid, d in durations.items():
                w.writerow([vid, time_text(d)])
            ctx.sidecar(f"Charades_v1_{stem}.csv").write_text(buf.getvalue(), encoding="utf-8")
        return n
