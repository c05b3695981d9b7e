"""Ingest speed and memory on a 1,000,000-row QVH-line file, beside pyarrow and pandas.

Usage: .venv/bin/python -m benchmarks.ingest [--rows 1000000] [--repeats 3]

Each contender runs in its own process (so peak RSS is its own), `--repeats` times; the
script prints the median wall time and peak RSS of each, and the ratios the issue sets:
tvgcurate <= 5x the pyarrow floor, >= 2x faster than pandas, peak RSS <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE.parent / ".bench"

WORDS = [
    "a",
    "person",
    "man",
    "woman",
    "dog",
    "opens",
    "closes",
    "door",
    "walks",
    "runs",
    "table",
    "phone",
    "book",
    "laptop",
    "kitchen",
    "holds",
    "sits",
]

CONTENDERS = {
    "pyarrow.json.read_json (floor)": "import pyarrow.json as pj; t = pj.read_json({path!r}); n = t.num_rows",
    "pandas.read_json(lines=True)": "import pandas as pd; t = pd.read_json({path!r}, lines=True); n = len(t)",
    "tvgcurate ingest": (
        "from tvgcurate.curation.ingest import IngestConfig, ingest; import tempfile, pathlib; "
        "d = tempfile.mkdtemp(); r = ingest(IngestConfig(sources=[pathlib.Path({path!r})], workspace=pathlib.Path(d) / 'ws')); "
        "n = sum(r.rows_per_file.values())"
    ),
}


def make_file(rows: int) -> Path:
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"bench_{rows}_train.jsonl"
    if path.exists():
        return path
    rng = random.Random(0)
    with open(path, "w") as fh:
        for i in range(rows):
            dur = round(rng.uniform(10, 200), 2)
            s = round(rng.uniform(0, dur - 5), 2)
            e = round(min(dur, s + rng.uniform(1, 30)), 2)
            q = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 14))) + "."
            vid = f"vid{rng.randrange(rows // 4):07d}"
            fh.write(
                json.dumps(
                    {
                        "qid": i,
                        "query": q,
                        "duration": dur,
                        "vid": vid,
                        "relevant_windows": [[s, e]],
                    }
                )
                + "\n"
            )
    return path


def run_one(code: str) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in GB, rows) of `code` in a fresh interpreter."""
    prog = (
        "import time, resource, json\n"
        "t0 = time.perf_counter()\n"
        f"{code}\n"
        "wall = time.perf_counter() - t0\n"
        "print(json.dumps([wall, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, n]))\n"
    )
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, check=True)
    wall, rss_kb, n = json.loads(out.stdout.strip().splitlines()[-1])
    return wall, rss_kb / 1024 / 1024, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    t0 = time.perf_counter()
    path = make_file(args.rows)
    print(
        f"input: {path} ({path.stat().st_size / 1e6:.0f} MB, {args.rows} rows; made in {time.perf_counter() - t0:.1f} s)"
    )
    results = {}
    for name, code in CONTENDERS.items():
        runs = [run_one(code.format(path=str(path))) for _ in range(args.repeats)]
        assert all(r[2] == args.rows for r in runs), f"{name} read {runs[0][2]} rows"
        results[name] = (statistics.median(r[0] for r in runs), max(r[1] for r in runs))
    floor = results["pyarrow.json.read_json (floor)"][0]
    pandas_t = results["pandas.read_json(lines=True)"][0]
    print(f"\n{'contender':34s} {'median s':>9s} {'peak RSS GB':>12s} {'x floor':>8s}")
    for name, (wall, rss) in results.items():
        print(f"{name:34s} {wall:9.2f} {rss:12.2f} {wall / floor:8.2f}")
    ours, ours_rss = results["tvgcurate ingest"]
    print(f"\ntvgcurate / pyarrow floor: {ours / floor:.2f}x (target <= 5x)")
    print(f"pandas / tvgcurate:        {pandas_t / ours:.2f}x faster (target >= 2x)")
    print(f"tvgcurate peak RSS:        {ours_rss:.2f} GB (target <= 1.5 GB)")


if __name__ == "__main__":
    main()
