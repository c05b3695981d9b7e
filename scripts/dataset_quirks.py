"""Count the known quirks of each source in a workspace's samples (numbers in docs/datasets/).

Usage: .venv/bin/python scripts/dataset_quirks.py WS
"""

from __future__ import annotations

import sys

import pyarrow.compute as pc

from tvgcurate.workspace import Workspace


def quirks(rows: list[dict]) -> dict[str, int]:
    def any_w(pred):
        return sum(any(pred(w, r) for w in r["windows"] or []) for r in rows)

    dur = [r for r in rows if r["duration_s"]]
    return {
        "samples": len(rows),
        "videos": len({r["video_id"] for r in rows}),
        "leading whitespace": sum(r["query"][:1].isspace() for r in rows),
        "trailing whitespace": sum(r["query"][-1:].isspace() for r in rows),
        "line break in query": sum("\n" in r["query"] or "\r" in r["query"] for r in rows),
        "'##' in query": sum("##" in r["query"] for r in rows),
        "non-ASCII query": sum(not r["query"].isascii() for r in rows),
        "window end > duration": sum(
            any(w["end"] > r["duration_s"] for w in r["windows"] or []) for r in dur
        ),
        "window start < 0": any_w(lambda w, r: w["start"] < 0),
        "window start > end": any_w(lambda w, r: w["start"] > w["end"]),
        "zero-length window": any_w(lambda w, r: w["start"] == w["end"]),
        "window covers whole video": sum(
            any(w["start"] <= 0 and w["end"] >= r["duration_s"] for w in r["windows"] or [])
            for r in dur
        ),
        "several windows": sum(len(r["windows"] or []) > 1 for r in rows),
    }


def main(ws_path: str) -> None:
    s = Workspace(ws_path).read("samples")
    for src in sorted(set(s.column("source").to_pylist())):
        rows = s.filter(pc.equal(s.column("source"), src)).to_pylist()
        print(src)
        for k, v in quirks(rows).items():
            print(f"  {k:28} {v}")


if __name__ == "__main__":
    main(sys.argv[1])
