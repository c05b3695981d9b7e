"""Benchmark `tvgcurate keyframes` (SAA) against PySceneDetect and a decode-only floor.

Usage:
    .venv/bin/python -m benchmarks.keyframes            # 20 videos, 60 s, 640x360, 30 fps
    .venv/bin/python -m benchmarks.keyframes --quick    # 4 videos, 2 runs

Videos come from `tvgcurate demo-data` (known cuts in ground_truth.json) and are cached
under .bench/keyframes/ (git-ignored). Each method runs over the same files, one after the
other, `--runs` times; the table shows medians. Printed figures:

- keyframes (library call, local executor), keyframes (CLI end to end), keyframes
  (process executor, --workers);
- PySceneDetect: ``detect(path, ContentDetector())`` per video (the tool one would run);
- decode-only floor: the fastest decode of the same sampled frames we could build
  (sequential PyAV, slice threads, non-reference frames skipped, only sampled frames
  converted, small); the plain full decode is shown too;
- ratios keyframes / floor (target <= 1.3) and keyframes / PySceneDetect (target <= 0.5);
- throughput in video-minutes per second;
- boundary recall at equal budget for `adaptive` and `uniform`: a known cut counts when a
  frame in the top quartile of budgets (ceil(n/4) frames with the most tokens; ties broken
  by a seeded shuffle) lies within +-0.5 s of it (target: adaptive >= 0.95 and > uniform).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]


def make_videos(out: Path, n: int, duration: int, preset: str = "ultrafast", gop: float = 2.0):
    from tvgcurate.demo.data import DemoConfig, generate

    gt_path = out / "ground_truth.json"
    if gt_path.exists():
        gt = json.loads(gt_path.read_text())
        if len(gt["videos"]) == n:
            return gt
    print(f"generating {n} demo videos of {duration} s at 640x360, 30 fps in {out} ...", flush=True)
    t = time.perf_counter()
    generate(
        DemoConfig(
            out=out,
            num_videos=n,
            width=640,
            height=360,
            fps=30,
            min_duration=duration,
            max_duration=duration,
            preset=preset,
            gop_seconds=gop,
        )
    )
    print(f"  done in {time.perf_counter() - t:.0f} s", flush=True)
    return json.loads(gt_path.read_text())


def make_workspace(root: Path, media: Path, gt: dict):
    from tvgcurate.workspace import Workspace

    if root.exists():
        shutil.rmtree(root)
    ws = Workspace(root, create=True)
    rows = [
        {
            "video_id": v["video_id"],
            "path": v["file"],
            "duration_s": float(v["duration"]),
            "fps": float(v["fps"]),
            "width": v["width"],
            "height": v["height"],
            "probe_error": None,
        }
        for v in gt["videos"]
    ]
    with ws.transaction() as tx:  # the videos and where their files are, as ingest records
        tx.write("videos", pa.Table.from_pylist(rows))
        tx.set_meta("media_root", str(media.resolve()))
    return ws


def fresh(ws) -> None:
    shutil.rmtree(ws.root / "work", ignore_errors=True)


def time_keyframes(ws, executor="local", workers=None, policy="adaptive") -> float:
    from tvgcurate.curation.keyframes.run import KeyframesConfig, run_keyframes

    fresh(ws)
    cfg = KeyframesConfig(
        workspace=ws.root, executor=executor, workers=workers, policy=policy, progress=False
    )
    t = time.perf_counter()
    run_keyframes(cfg)
    return time.perf_counter() - t


def time_cli(ws) -> float:
    fresh(ws)
    exe = str(Path(sys.executable).with_name("tvgcurate"))
    t = time.perf_counter()
    subprocess.run(
        [exe, "keyframes", "-w", str(ws.root), "--no-progress"], check=True, capture_output=True
    )
    return time.perf_counter() - t


def time_scenedetect(paths) -> float:
    import scenedetect

    t = time.perf_counter()
    for p in paths:
        scenedetect.detect(str(p), scenedetect.ContentDetector())
    return time.perf_counter() - t


def time_floor(paths, skip=True, threads="SLICE") -> float:
    """Decode-only: PyAV sequential, sampled frames converted small (one swscale context,
    as keyframes does); `threads` is PyAV's thread_type ("NONE": one thread, the plain
    single-thread full decode)."""
    import av
    from av.video.reformatter import VideoReformatter

    small = VideoReformatter()

    t = time.perf_counter()
    for p in paths:
        with av.open(str(p)) as c:
            s = c.streams.video[0]
            s.thread_type = threads
            if threads == "NONE":
                s.codec_context.thread_count = 1
            if skip:
                s.codec_context.skip_frame = "NONREF"
            nxt = 0.0
            for fr in c.decode(s):
                ts = float(fr.time or 0.0)
                if ts + 0.017 >= nxt:
                    small.reformat(fr, 160, 90, "bgr24", interpolation="AREA").to_ndarray()
                    nxt = np.floor(ts * 2 + 0.05) / 2 + 0.5
    return time.perf_counter() - t


def recall(ws, gt: dict, seed: int = 0) -> tuple[float, int]:
    kf = ws.read("keyframes").to_pandas()
    rng = np.random.default_rng(seed)
    hits = total = 0
    for v in gt["videos"]:
        rows = kf[(kf.video_id == v["video_id"]) & kf.error.isna()]
        tok = rows.tokens.to_numpy()
        ts = rows.timestamp_s.to_numpy()
        k = int(np.ceil(len(tok) / 4))
        order = np.lexsort((rng.permutation(len(tok)), -tok))
        top = ts[order[:k]]
        for c in v["cuts"]:
            total += 1
            hits += bool(np.any(np.abs(top - c) <= 0.5))
    return hits / max(total, 1), total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=20)
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="4 videos, 2 runs")
    ap.add_argument("--cache", type=Path, default=REPO / ".bench" / "keyframes")
    ap.add_argument(
        "--preset",
        default="ultrafast",
        help="x264 preset of the rendered videos (veryfast: High profile with B-frames)",
    )
    ap.add_argument("--gop", type=float, default=2.0, help="keyframe interval, seconds")
    ap.add_argument("--no-scenedetect", action="store_true", help="leave PySceneDetect out")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    if args.quick:
        args.videos, args.runs = 4, 2
    tag = "" if args.preset == "ultrafast" and args.gop == 2.0 else f"-{args.preset}-g{args.gop}"
    media = args.cache / f"demo-{args.videos}x{args.duration}s{tag}"
    gt = make_videos(media, args.videos, args.duration, args.preset, args.gop)
    ws = make_workspace(args.cache / "ws", media, gt)
    paths = [media / v["file"] for v in gt["videos"]]
    minutes = sum(v["duration"] for v in gt["videos"]) / 60

    methods = {
        "keyframes (library, local)": lambda: time_keyframes(ws),
        "keyframes (CLI, local)": lambda: time_cli(ws),
        f"keyframes (process x{args.workers})": lambda: time_keyframes(ws, "process", args.workers),
        "PySceneDetect detect(ContentDetector)": lambda: time_scenedetect(paths),
        "decode-only floor (PyAV, skip non-ref)": lambda: time_floor(paths, True),
        "decode-only, every frame (PyAV)": lambda: time_floor(paths, False),
        "decode-only, every frame, 1 thread (PyAV)": lambda: time_floor(paths, False, "NONE"),
    }
    if args.no_scenedetect:
        methods.pop("PySceneDetect detect(ContentDetector)")
    times: dict[str, list[float]] = {k: [] for k in methods}
    time_keyframes(ws)  # warm the page cache and imports
    for r in range(args.runs):
        for name, fn in methods.items():
            times[name].append(fn())
        print(f"run {r + 1}/{args.runs} done", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}

    load = os.getloadavg()
    import av

    with av.open(str(paths[0])) as c:
        cc = c.streams.video[0].codec_context
        codec = f"{cc.name} {cc.profile}, B-frames: {'yes' if cc.has_b_frames else 'no'}"
    print()
    print(f"# keyframes benchmark, {dt.date.today().isoformat()}")
    print(
        f"{len(paths)} videos x {args.duration} s, 640x360, 30 fps ({minutes:.0f} video-minutes);"
        f" medians of {args.runs} runs; {os.cpu_count()} cores; load avg {load[0]:.1f}"
    )
    print(f"stream: {codec}")
    print()
    print("| method | median s | all runs s | video-min / s |")
    print("| --- | ---: | --- | ---: |")
    for k, v in med.items():
        runs = ", ".join(f"{x:.2f}" for x in times[k])
        print(f"| {k} | {v:.2f} | {runs} | {minutes / v:.1f} |")
    kf = med["keyframes (library, local)"]
    cli = med["keyframes (CLI, local)"]
    proc = med[f"keyframes (process x{args.workers})"]
    # The floor is the fastest decode-only variant (skipping non-reference frames saves
    # nothing on streams without B-frames, e.g. demo-data's baseline-profile x264).
    floor = min(
        med["decode-only floor (PyAV, skip non-ref)"], med["decode-only, every frame (PyAV)"]
    )
    full1 = med["decode-only, every frame, 1 thread (PyAV)"]
    psd = med.get("PySceneDetect detect(ContentDetector)")
    ratios = {
        "keyframes / decode floor (fastest decode-only row)": (kf / floor, "<= 1.3"),
        "keyframes CLI / decode floor": (cli / floor, ""),
        "keyframes / single-thread full decode": (kf / full1, "<= 0.7"),
        f"speed-up, process x{args.workers} over local": (kf / proc, ">= 1.6"),
    }
    if psd:
        ratios["keyframes / PySceneDetect"] = (kf / psd, "<= 0.5")
        ratios["keyframes CLI / PySceneDetect"] = (cli / psd, "")
    print()
    print("| ratio | value | target |")
    print("| --- | ---: | ---: |")
    for k, (v, target) in ratios.items():
        print(f"| {k} | {v:.2f} | {target} |")

    time_keyframes(ws, policy="adaptive")
    ra, n = recall(ws, gt)
    time_keyframes(ws, policy="uniform")
    ru, _ = recall(ws, gt)
    print()
    print(f"| boundary recall ({n} known cuts, equal budget 3584) | value | target |")
    print("| --- | ---: | ---: |")
    print(f"| adaptive | {ra:.3f} | >= 0.95 |")
    print(f"| uniform | {ru:.3f} | < adaptive |")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "date": dt.date.today().isoformat(),
                    "videos": len(paths),
                    "duration_s": args.duration,
                    "stream": codec,
                    "preset": args.preset,
                    "gop_s": args.gop,
                    "load_avg": load[0],
                    "runs_s": times,
                    "median_s": med,
                    "ratios": {k: v for k, (v, _) in ratios.items()},
                    "recall": {"adaptive": ra, "uniform": ru, "cuts": n},
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
