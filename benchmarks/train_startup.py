"""Training start-up and memory: today's in-memory inputs against streamed ones (issue 15).

Usage:
    .venv/bin/python -m benchmarks.train_startup                      # 10,000 samples, 2,500 videos
    .venv/bin/python -m benchmarks.train_startup --samples 1000 --videos 250   # smaller
    .venv/bin/python -m benchmarks.train_startup --modes stream --steps 50

The workspace is generated (not checked in) under .bench/train_startup/: `--samples`
samples over `--videos` videos, `--frames` cached SAA frames per video (`--px` square, one
token per 28x28 px), written straight into the sharded `frames` table (no video is
encoded; `videos.path` points nowhere, so any frame not in the table would fail). Half of
the samples are relevant, half irrelevant.

Each mode runs `tiny` SFT (recipes/tiny-cpu.yaml, so at most 16 frames per sample) in a
fresh process for `--steps` optimiser steps and reports:
- seconds from the start of `train()` to the end of the first optimiser step (target <= 30 s);
- peak RSS of the process up to step `--steps` (target <= 3 GB);
- seconds per step over the steps after the first.

Modes: `memory` (inputs.stream=false: every frame decoded before step 1, held as PNG bytes,
today's path before issue 15) and `stream` (the default: rows decoded by the data loader).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_workspace(
    root: Path, samples: int, videos: int, frames: int, px: int = 56, seed: int = 0
) -> Path:
    """A workspace with `frames` cached frames per video; reused when its stamp matches."""
    import numpy as np
    import pyarrow as pa
    from PIL import Image

    from tvgcurate.curation.keyframes.run import write_frames
    from tvgcurate.schemas.keyframes import FRAMES
    from tvgcurate.workspace import Workspace

    stamp = root / "stamp.json"
    want = {"samples": samples, "videos": videos, "frames": frames, "px": px, "seed": seed}
    if stamp.exists() and json.loads(stamp.read_text()) == want:
        return root / "ws"
    if root.exists():
        import shutil

        shutil.rmtree(root)
    ws = Workspace(root / "ws", create=True)
    rng = np.random.default_rng(seed)
    jpegs = []
    for _ in range(64):  # distinct small JPEGs, cycled
        buf = io.BytesIO()
        arr = rng.integers(0, 255, (px // 4, px // 4, 3), dtype=np.uint8)
        Image.fromarray(arr).resize((px, px), Image.NEAREST).save(buf, "JPEG", quality=90)
        jpegs.append(buf.getvalue())
    duration = frames / 2.0  # 2 fps
    vids = [f"vid{i:05d}" for i in range(videos)]
    v_rows = [
        {
            "video_id": v,
            "path": f"missing/{v}.mp4",
            "duration_s": duration,
            "fps": 30.0,
            "num_frames": int(duration * 30),
            "width": px,
            "height": px,
            "codec": "h264",
        }
        for v in vids
    ]
    s_rows = []
    for i in range(samples):
        v = vids[i % videos]
        relevant = i % 2 == 0
        start = float(rng.uniform(0, duration - 5))
        s_rows.append(
            {
                "sample_id": f"qvhighlights:train:{i}",
                "source": "qvhighlights",
                "split": "train",
                "source_qid": str(i),
                "video_id": v,
                "query": f"query number {i}",
                "windows": [{"start": start, "end": start + 4.0}] if relevant else [],
                "relevance": "relevant" if relevant else "irrelevant",
                "duration_s": duration,
                "origin": "source",
                "needs_review": False,
            }
        )
    tokens = (px // 28) ** 2
    kf = {
        "video_id": [v for v in vids for _ in range(frames)],
        "frame_index": [15 * j for _ in vids for j in range(frames)],
        "timestamp_s": [0.5 * j for _ in vids for j in range(frames)],
        "change_score": [0.0] * (videos * frames),
        "is_boundary": [False] * (videos * frames),
        "tokens": [tokens] * (videos * frames),
        "height": [px] * (videos * frames),
        "width": [px] * (videos * frames),
    }
    with ws.transaction("benchmarks/train_startup.py") as tx:
        tx.write("videos", pa.Table.from_pylist(v_rows))
        tx.write("samples", pa.Table.from_pylist(s_rows))
        tx.write("keyframes", pa.table(kf))
        tx.set_meta("media_root", str(root / "media"))

    def tables():
        for n, v in enumerate(vids):
            yield pa.table(
                {
                    "video_id": [v] * frames,
                    "frame_index": pa.array([15 * j for j in range(frames)], pa.int64()),
                    "timestamp_s": [0.5 * j for j in range(frames)],
                    "height": pa.array([px] * frames, pa.int32()),
                    "width": pa.array([px] * frames, pa.int32()),
                    "image": [jpegs[(n * frames + j) % len(jpegs)] for j in range(frames)],
                }
            )

    with ws.sharded_writer("frames", FRAMES, command="benchmarks/train_startup.py") as w:
        write_frames(w, tables())
    stamp.write_text(json.dumps(want))
    return root / "ws"


def run_one(ws: Path, out: Path, mode: str, steps: int) -> dict:
    """One tiny SFT run in this process; returns the figures (called in a subprocess)."""
    import tvgcurate.model.trainers as sft  # where the trainers are set up
    from tvgcurate.model.config import build_config
    from tvgcurate.model.train import train

    marks: dict = {}
    original = sft.finish_setup

    def finish_setup(trainer, *a, **k):
        from transformers import TrainerCallback

        class Probe(TrainerCallback):
            def on_step_end(self, args, state, control, **kw):
                now = time.perf_counter()
                marks.setdefault("first", now)
                if state.global_step <= steps:
                    marks["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                    marks["last"], marks["n"] = now, state.global_step

        original(trainer, *a, **k)
        trainer.add_callback(Probe())

    sft.finish_setup = finish_setup
    cfg = build_config(
        ROOT / "recipes" / "tiny-cpu.yaml",
        [
            f"inputs.stream={'true' if mode == 'stream' else 'false'}",
            f"sft.max_steps={steps}",
            f"sft.save_steps={steps + 1}",
            "report_to=[]",
        ],
        workspace=ws,
        output=out,
        stage="sft",
    )
    t0 = time.perf_counter()
    train(cfg)
    n = marks.get("n", 1)
    return {
        "mode": mode,
        "first_step_s": round(marks["first"] - t0, 2),
        "peak_rss_gb": round(marks["rss"] / 1024**2, 3),  # ru_maxrss is in KiB on Linux
        "s_per_step": round((marks["last"] - marks["first"]) / max(1, n - 1), 3),
        "steps": n,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--videos", type=int, default=2_500)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--px", type=int, default=56)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--modes", default="memory,stream")
    ap.add_argument("--cache", type=Path, default=ROOT / ".bench" / "train_startup")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: MODE,WS,OUT
    args = ap.parse_args(argv)
    if args.one:
        mode, ws, out = args.one.split(",")
        print("RESULT " + json.dumps(run_one(Path(ws), Path(out), mode, args.steps)))
        return 0
    tag = f"{args.samples}s-{args.videos}v-{args.frames}f-{args.px}px"
    t = time.perf_counter()
    ws = make_workspace(args.cache / tag, args.samples, args.videos, args.frames, args.px)
    print(f"workspace {ws}: ready in {time.perf_counter() - t:.1f}s", flush=True)
    results = []
    for mode in args.modes.split(","):
        out = args.cache / f"run-{tag}-{mode}"
        cmd = [sys.executable, __file__, "--steps", str(args.steps), "--one", f"{mode},{ws},{out}"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")]
        if p.returncode or not line:
            print(p.stdout[-2000:], p.stderr[-4000:], sep="\n")
            results.append({"mode": mode, "error": f"exit {p.returncode}"})
            continue
        results.append(json.loads(line[0][7:]))
        print(json.dumps(results[-1]), flush=True)
    report = {
        "date": dt.date.today().isoformat(),
        "samples": args.samples,
        "videos": args.videos,
        "frames_per_video": args.frames,
        "px": args.px,
        "results": results,
        "targets": {"first_step_s": 30, "peak_rss_gb": 3},
    }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
