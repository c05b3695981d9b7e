"""ActivityNet Captions native json: `{video_id: {duration, timestamps, sentences}}`.

One sample per sentence; its qid is `<video_id>#<sentence index>` (`keyed_json`).
"""

from __future__ import annotations

from pathlib import Path

from tvgcurate.curation.ingest.base import READERS, ReadResult, SourceFile
from tvgcurate.curation.ingest.keyed_json import read_keyed_json
from tvgcurate.schemas.constants import ACTIVITYNET


def _sniff(path: Path, head: bytes) -> bool:
    return path.suffix.lower() == ".json" and head.lstrip().startswith(b"{")


@READERS.register(ACTIVITYNET, sniff=_sniff, source=ACTIVITYNET)
def read_activitynet(sf: SourceFile) -> ReadResult:
    return read_keyed_json(sf, "timestamps", "sentences")
