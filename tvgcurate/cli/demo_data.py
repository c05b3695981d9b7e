"""`tvgcurate demo-data`: synthetic videos with known content, annotated in native formats."""

from __future__ import annotations

from pathlib import Path

from tvgcurate.cli.app import app
from tvgcurate.cli.console import console
from tvgcurate.cli.options import ConfigOptions
from tvgcurate.demo.data import DemoConfig

DATA = ConfigOptions("demo-data", DemoConfig)


@app.command(
    "demo-data",
    epilog=(
        "Example: tvgcurate demo-data --out demo --num-videos 12 --seed 0 --plant-errors\n\n"
        "Larger videos for benchmarks: tvgcurate demo-data --out big --width 640 --height 360 --fps 30"
        "\n\nStreams like real uploads (High profile, B-frames): --preset veryfast --gop-seconds 2.5"
    ),
)
def demo_data(
    out: Path = DATA.option("out", "--out", "-o"),
    num_videos: int = DATA.option("num_videos"),
    seed: int = DATA.option("seed"),
    plant_errors: bool = DATA.option("plant_errors", "--plant-errors"),
    error_rate: float = DATA.option("error_rate"),
    width: int = DATA.option("width"),
    height: int = DATA.option("height"),
    fps: int = DATA.option("fps"),
    min_duration: int = DATA.option("min_duration"),
    max_duration: int = DATA.option("max_duration"),
    min_shapes: int = DATA.option("min_shapes"),
    max_shapes: int = DATA.option("max_shapes"),
    min_shape_seconds: float = DATA.option("min_shape_seconds"),
    max_shape_seconds: float = DATA.option("max_shape_seconds"),
    queries_per_shape: int = DATA.option("queries_per_shape"),
    num_absent: int = DATA.option("num_absent"),
    write_videos: bool = DATA.option("write_videos", "--videos/--no-videos"),
    crf: int = DATA.option("crf"),
    threads: int = DATA.option("threads"),
    preset: str = DATA.option("preset"),
    gop_seconds: float = DATA.option("gop_seconds"),
) -> None:
    """Write demo videos (H.264 MP4: scene cuts + moving coloured shapes) with QVHighlights,
    Charades-STA and ActivityNet Captions annotations in their native formats, plus
    ground_truth.json (cuts, shape intervals, sample ids, planted errors)."""
    from tvgcurate.demo.data import generate

    cfg = DATA.build(locals())
    res = generate(cfg)
    console.print(
        f"wrote {len(res.specs)} videos, {res.num_samples} samples "
        f"({len(res.planted)} with planted errors) to {res.out} in {res.seconds:.1f} s"
    )
    console.print(
        f"next: tvgcurate ingest {res.out}/qvhighlights/*.jsonl {res.out}/charades/*.txt "
        f"{res.out}/activitynet/*.json --workspace WS --videos {res.out}/videos",
        soft_wrap=True,
    )
