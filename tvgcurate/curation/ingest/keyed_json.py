"""Files that are one JSON object keyed by video id, each video holding parallel lists of
windows and sentences (ActivityNet Captions' `timestamps`/`sentences`, TimeLens' `spans`/
`queries`). One sample per sentence; its qid is `<video_id>#<sentence index>`.

The json module reads the whole document (these files hold a few tens of thousands of
sentences); `KeyLines` recovers each video's line number for errors, which json does not
report.
"""

from __future__ import annotations

import json

from tvgcurate.curation.ingest.base import ReadResult, Reject, SourceFile, new_rows, rows_table
from tvgcurate.errors import InputError


def is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


class KeyLines:
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


def check_entry(entry: object, windows: str, texts: str) -> tuple[str | None, str] | None:
    """(field, problem) for a malformed video entry, None for a good one."""
    if not isinstance(entry, dict):
        return None, f"each video must map to an object with duration, {windows}, {texts}"
    for name in ("duration", windows, texts):
        if entry.get(name) is None:
            return name, "missing required field"
    if not is_number(entry["duration"]):
        return "duration", f"must be a number, got {json.dumps(entry['duration'])[:60]}"
    ws, ts = entry[windows], entry[texts]
    if not isinstance(ws, list) or not isinstance(ts, list):
        return windows, f"{windows} and {texts} must be lists"
    if len(ws) != len(ts):
        return texts, f"{len(ts)} {texts} for {len(ws)} {windows}"
    for w in ws:
        if not (isinstance(w, list) and len(w) == 2 and all(is_number(x) for x in w)):
            return windows, f"{json.dumps(w)[:60]} is not a [start, end] pair of numbers"
    for s in ts:
        if not isinstance(s, str):
            return texts, f"{json.dumps(s)[:60]} is not a string"
    return None


def read_keyed_json(sf: SourceFile, windows: str, texts: str) -> ReadResult:
    """Rows of a keyed file; a malformed video is one reject (or the error, unless skipping)."""
    text = sf.path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(sf.path, exc.lineno, None, f"malformed JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise InputError(sf.path, 1, None, "expected an object keyed by video id")
    rows = new_rows()
    rejects: list[Reject] = []
    line_of = KeyLines(text)
    for vid, entry in data.items():
        line = line_of(vid)
        problem = check_entry(entry, windows, texts)
        if problem is not None:
            where = f"{vid}.{problem[0]}" if problem[0] else vid
            rej = Reject(str(sf.path), line, where, problem[1])
            if sf.on_error != "skip":
                raise rej.error()
            rejects.append(rej)
            continue
        for i, (w, s) in enumerate(zip(entry[windows], entry[texts], strict=True)):
            rows["source_qid"].append(f"{vid}#{i}")
            rows["video_id"].append(vid)
            rows["query"].append(s)
            rows["windows"].append([{"start": float(w[0]), "end": float(w[1])}])
            rows["duration_s"].append(float(entry["duration"]))
            rows["source_line"].append(line)
    return ReadResult(rows_table(rows), rejects)
