"""Benchmark: `demo-data` generation speed (target: 12 default videos well under 30 s on a
loaded 2-core machine) and the throughput of the renderer at a larger size.

    .venv/bin/python -m benchmarks.demo_data [--runs 3]

Prints median wall time per configuration, frames rendered per second, and the ratio to
the 30 s target.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tvgcurate.demo.data import DemoConfig, generate

REPO = Path(__file__).resolve().parents[1]

CASES = {
    "default 12 videos 320x240@24, plant errors": dict(num_videos=12, plant_errors=True),
    "3 videos 640x360@30": dict(num_videos=3, width=640, height=360, fps=30),
    "annotations only (--no-videos), 300 videos": dict(num_videos=300, write_videos=False, plant_errors=True),
}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    for name, kw in CASES.items():
        times, frames = [], 0
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                res = generate(DemoConfig(out=Path(tmp) / "d", **kw))
                times.append(time.perf_counter() - t0)
                frames = sum(s.num_frames for s in res.specs) if kw.get("write_videos", True) else 0
        med = statistics.median(times)
        fps = f", {frames / med:,.0f} frames/s" if frames else ""
        print(f"{name}: median {med:.2f} s over {args.runs} runs ({res.num_samples} samples{fps})")
        if name.startswith("default"):
            print(f"  ratio to the 30 s target: {med / 30:.2f} (lower is better; must be < 1)")


if __name__ == "__main__":
    main()
