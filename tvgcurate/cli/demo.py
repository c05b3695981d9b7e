"""`tvgcurate demo`: generate data and run the loop on it."""

from __future__ import annotations

from pathlib import Path

from tvgcurate.cli.app import app
from tvgcurate.cli.options import ConfigOptions
from tvgcurate.curation.embeddings import ENCODERS
from tvgcurate.demo.loop import DemoLoopConfig

DEMO = ConfigOptions("demo", DemoLoopConfig)


@app.command(epilog="Example: tvgcurate demo --out demo-out")
def demo(
    out: Path = DEMO.option("out", "--out", "-o", default=Path("demo-out")),
    num_videos: int = DEMO.option("num_videos"),
    seed: int = DEMO.option("seed"),
    plant_errors: bool = DEMO.option("plant_errors"),
    labelstudio_url: str | None = DEMO.option(
        "labelstudio_url",
        "--labelstudio-url",
        help="Push to this Label Studio (key in LABEL_STUDIO_API_KEY).",
    ),
    train_steps: int = DEMO.option("train_steps"),
    score_samples: int = DEMO.option("score_samples"),
    relabel_top: int = DEMO.option("relabel_top"),
    encoder: str = DEMO.option("encoder", choices=ENCODERS),
) -> None:
    """The whole active-learning loop on generated data: demo data, ingest, keyframes,
    build-irrelevant, train tiny (a few steps), score, audit (+ HTML report), relabel to
    offline Label Studio files (or a server with --labelstudio-url), and where it all lies."""
    from tvgcurate.cli.console import console, table
    from tvgcurate.demo.loop import run_demo

    run_demo(DEMO.build(locals()), console, table)
