"""`tvgcurate score` at scale on CPU: samples/s for the local and process executors, and a
real SIGKILL halfway then a rerun (samples scored twice; rerun time against a fresh run).

    .venv/bin/python benchmarks/score.py --videos 50 --repeats 1

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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def run(ws, ckpt, run_id, **kw):
    from tvgcurate.model.score import ScoreConfig, score

    cfg = ScoreConfig(
        workspace=ws.root, checkpoint=ckpt, split=None, run_id=run_id, progress=False,
        torch_threads=1, **{"write": False, **kw},
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
    a = ap.parse_args()

    from tests.model.conftest import make_workspace
    from tvgcurate.model.loading import save_model
    from tvgcurate.model.tiny import TinyConfig, build_tiny

    tmp = Path(tempfile.mkdtemp(prefix="tvg-score-bench-"))
    ws = make_workspace(tmp, n_videos=a.videos, n_val=1)
    model, proc = build_tiny(TinyConfig())
    ckpt = save_model(model, proc, tmp / "m", {"max_frames": 4, "timestamp_width": 1})
    n = 2 * a.videos
    common = dict(shard_size=a.shard_size, batch_size=a.batch_size)
    rates = {"local": [], "process x2": []}
    for i in range(a.repeats):
        _, t = run(ws, ckpt, f"local{i}", **common)
        rates["local"].append(n / t)
        _, t = run(ws, ckpt, f"proc{i}", executor="process", workers=2, **common)
        rates["process x2"].append(n / t)
    for k, v in rates.items():
        print(f"{k:12s} {statistics.median(v):7.2f} samples/s (median of {len(v)}, n={n})")
    print(
        f"process x2 / local: {statistics.median(rates['process x2']) / statistics.median(rates['local']):.2f}x"
    )

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


if __name__ == "__main__":
    main()
