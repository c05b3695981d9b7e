"""TACoS and DiDeMo in the Lighthouse QVH-line layout (``{qid, query, duration, vid,
relevant_windows}`` per line, files named ``tacos_<split>_release.jsonl`` and
``didemo_<split>_release.jsonl``).

The lines are read by the QVH-line reader; these formats only fix the dataset (the
sample id's source) and are recognised by file name. A qid keeps the type its file gave it
(TACoS qids are strings, even digit-only ones): ``source_qid_type`` says "str" or "int",
and the QVHighlights exporter writes it back alike.
"""

from __future__ import annotations

from pathlib import Path

from tvgcurate.curation.ingest.base import READERS, ReadResult, SourceFile
from tvgcurate.curation.ingest.qvh_jsonl import read_qvh_jsonl
from tvgcurate.schemas.constants import QVH_LINES

TACOS = "tacos"
DIDEMO = "didemo"


def _named(word: str):
    def sniff(path: Path, head: bytes) -> bool:
        return path.suffix.lower() in (".jsonl", ".ndjson") and word in path.name.lower()

    return sniff


@READERS.register(TACOS, sniff=_named(TACOS), source=TACOS, priority=10)
def read_tacos(sf: SourceFile) -> ReadResult:
    return read_qvh_jsonl(sf, QVH_LINES)


@READERS.register(DIDEMO, sniff=_named(DIDEMO), source=DIDEMO, priority=10)
def read_didemo(sf: SourceFile) -> ReadResult:
    return read_qvh_jsonl(sf, QVH_LINES)
