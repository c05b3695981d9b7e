"""`tvgcurate score` at scale on CPU: samples/s for the local and process executors, and a
real SIGKILL halfway then a rerun (samples scored twice; rerun time against a fresh run).

    .venv/bin/python -m benchmarks.score --videos 50 --repeats 1

Uses the model tests' grounding workspace generator (two samples per video) and a random
`tiny` checkpoint; prints medians and ratios (figures in docs/scaling.md).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(ws, ckpt, run_id, **kw):
    from tvgcurate.model.score import ScoreConfig, score

    cfg = ScoreConfig(
        workspace=ws.root, checkpoint=ckpt, split=None, run_id=run_id, progress=False,
        **{"write": False, "torch_threads": 1, **kw},
    )  # fmt: skip
    t = time.perf_counter()
    res = score(cfg)
    return res, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", type=int, default=50, help="2 samples per video")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--shard-size", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument(
        "--parts",
        default="speed,kill",
        help="speed: samples/s per executor; kill: a real SIGKILL halfway, then a rerun",
    )
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    a = ap.parse_args()
    parts = set(a.parts.split(","))
    figures: dict = {
        "samples": 2 * a.videos,
        "shard_size": a.shard_size,
        "date": time.strftime("%F"),
    }

    from tests.model.conftest import make_workspace
    from tvgcurate.model.loading import save_model
    from tvgcurate.model.tiny import TinyConfig, build_tiny

    tmp = Path(tempfile.mkdtemp(prefix="tvg-score-bench-"))
    ws = make_workspace(tmp, n_videos=a.videos, n_val=1)
    model, proc = build_tiny(TinyConfig())
    ckpt = save_model(model, proc, tmp / "m", {"max_frames": 4, "timestamp_width": 1})
    n = 2 * a.videos
    common = dict(shard_size=a.shard_size, batch_size=a.batch_size)
    if "speed" in parts:
        speed(a, ws, ckpt, n, common, figures)
    if "kill" in parts:
        kill(a, ws, ckpt, n, common, figures)
    figures["load_avg"] = os.getloadavg()[0]
    if a.json:
        import json

        a.json.write_text(json.dumps(figures, indent=1))


def speed(a, ws, ckpt, n, common, figures):
    """samples/s: local with 1 torch thread and with one per core, and the
    process executor with 2 workers of 1 thread each."""
    rates = {"local, 1 thread": [], "local, all cores": [], "process x2": []}
    for i in range(a.repeats):
        _, t = run(ws, ckpt, f"local{i}", **common)
        rates["local, 1 thread"].append(n / t)
        _, t = run(ws, ckpt, f"localt{i}", **{**common, "torch_threads": os.cpu_count()})
        rates["local, all cores"].append(n / t)
        _, t = run(ws, ckpt, f"proc{i}", executor="process", workers=2, **common)
        rates["process x2"].append(n / t)
    med = {k: statistics.median(v) for k, v in rates.items()}
    for k, v in rates.items():
        print(f"{k:30s} {med[k]:7.2f} samples/s (median of {len(v)}, n={n})")
    for k in ("local, 1 thread", "local, all cores"):
        print(f"process x2 / {k}: {med['process x2'] / med[k]:.2f}x")
    figures["samples_per_s"] = rates
    figures["median_samples_per_s"] = med


def kill(a, ws, ckpt, n, common, figures):
    # a real SIGKILL once half the shards are marked, then a rerun
    args = [
        sys.executable, "-m", "tvgcurate", "score", "-w", str(ws.root), "--checkpoint",
        str(ckpt), "--split", "all", "--shard-size", str(a.shard_size), "--batch-size",
        str(a.batch_size), "--run-id", "killed", "--threads", "1", "--no-progress",
    ]  # fmt: skip
    shards = -(-n // a.shard_size)
    before = set((ws.root / "work" / "score").rglob("*.done"))  # the runs above
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while len(set((ws.root / "work" / "score").rglob("*.done")) - before) < max(1, shards // 2):
        time.sleep(0.2)
        if p.poll() is not None:
            break
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    res, t_rerun = run(ws, ckpt, "killed", write=True, **{k: v for k, v in common.items()})
    fresh, t_fresh = run(ws, ckpt, "fresh", **common)
    import pyarrow.compute as pc

    t = ws.read("predictions")
    ids = t.filter(pc.equal(t.column("run_id"), "killed")).column("sample_id").to_pylist()
    print(
        f"killed after {res.report.skipped}/{shards} shards; rerun computed {res.report.computed}"
    )
    print(f"samples scored twice: {len(ids) - len(set(ids))}; missing: {n - len(set(ids))}")
    print(f"rerun {t_rerun:.1f}s vs fresh {t_fresh:.1f}s ({t_rerun / t_fresh:.2f}x)")
    figures["kill"] = {
        "shards": shards,
        "skipped_on_rerun": res.report.skipped,
        "computed_on_rerun": res.report.computed,
        "scored_twice": len(ids) - len(set(ids)),
        "missing": n - len(set(ids)),
        "rerun_s": t_rerun,
        "fresh_s": t_fresh,
    }


if __name__ == "__main__":
    main()
