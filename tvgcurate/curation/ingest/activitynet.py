"""ActivityNet Captions native json: `{video_id: {duration, timestamps, sentences}}`.

One sample per sentence; its qid is `<video_id>#<sentence index>`. The files hold a few
tens of thousands of sentences in one JSON document, so the json module reads them.
"""

from __future__ import annotations

import json
from pathlib import Path

from tvgcurate.curation.ingest.base import (
    READERS,
    ReadResult,
    Reject,
    SourceFile,
    new_rows,
    rows_table,
)
from tvgcurate.errors import InputError
from tvgcurate.schemas.constants import ACTIVITYNET


def _sniff(path: Path, head: bytes) -> bool:
    return path.suffix.lower() == ".json" and head.lstrip().startswith(b"{")


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


class _KeyLines:
    """Line numbers of the top-level keys, found in one forward scan (keys keep file order)."""

    def __init__(self, text: str):
        self.text, self.pos, self.line = text, 0, 1

    def __call__(self, key: str) -> int | None:
        pos = self.text.find(json.dumps(key), self.pos)
        if pos < 0:
            return None
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line


def _check(entry: object) -> tuple[str | None, str] | None:
    if not isinstance(entry, dict):
        return None, "each video must map to an object with duration, timestamps, sentences"
    for name in ("duration", "timestamps", "sentences"):
        if entry.get(name) is None:
            return name, "missing required field"
    if not _is_number(entry["duration"]):
        return "duration", f"must be a number, got {json.dumps(entry['duration'])[:60]}"
    ts, sents = entry["timestamps"], entry["sentences"]
    if not isinstance(ts, list) or not isinstance(sents, list):
        return "timestamps", "timestamps and sentences must be lists"
    if len(ts) != len(sents):
        return "sentences", f"{len(sents)} sentences for {len(ts)} timestamps"
    for w in ts:
        if not (isinstance(w, list) and len(w) == 2 and all(_is_number(x) for x in w)):
            return "timestamps", f"{json.dumps(w)[:60]} is not a [start, end] pair of numbers"
    for s in sents:
        if not isinstance(s, str):
            return "sentences", f"{json.dumps(s)[:60]} is not a string"
    return None


@READERS.register(ACTIVITYNET, sniff=_sniff, source=ACTIVITYNET)
def read_activitynet(sf: SourceFile) -> ReadResult:
    text = sf.path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(sf.path, exc.lineno, None, f"malformed JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise InputError(sf.path, 1, None, "expected an object keyed by video id")
    rows = new_rows()
    rejects: list[Reject] = []
    line_of = _KeyLines(text)
    for vid, entry in data.items():
        line = line_of(vid)
        problem = _check(entry)
        if problem is not None:
            rej = Reject(
                str(sf.path), line, f"{vid}.{problem[0]}" if problem[0] else vid, problem[1]
            )
            if sf.on_error != "skip":
                raise rej.error()
            rejects.append(rej)
            continue
        for i, (w, s) in enumerate(zip(entry["timestamps"], entry["sentences"], strict=True)):
            rows["source_qid"].append(f"{vid}#{i}")
            rows["video_id"].append(vid)
            rows["query"].append(s)
            rows["windows"].append([{"start": float(w[0]), "end": float(w[1])}])
            rows["duration_s"].append(float(entry["duration"]))
            rows["source_line"].append(line)
    return ReadResult(rows_table(rows), rejects)
