"""`tvgcurate demo`: generate data and run the loop on it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.schemas.constants import DEFAULT_ENCODER


@app.command(epilog="Example: tvgcurate demo --out demo-out")
def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for data, workspace and outputs.")
    ] = Path("demo-out"),
    num_videos: Annotated[int, typer.Option(help="Generated videos.")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    plant_errors: Annotated[
        bool, typer.Option(help="Plant annotation errors for the audit.")
    ] = True,
    labelstudio_url: Annotated[
        str | None,
        typer.Option(
            "--labelstudio-url", help="Push to this Label Studio (key in LABEL_STUDIO_API_KEY)."
        ),
    ] = None,
    train_steps: Annotated[int, typer.Option(help="SFT steps of the tiny model.")] = 4,
    score_samples: Annotated[
        int, typer.Option(help="Answers per sample when scoring (K > 1 gives the IoU spread).")
    ] = 2,
    relabel_top: Annotated[
        int, typer.Option(help="Samples sent to Label Studio (audit:top=N).")
    ] = 20,
    encoder: Annotated[
        str, typer.Option(help="Sentence encoder ('hashing': no model, faster).")
    ] = DEFAULT_ENCODER,
) -> None:
    """The whole active-learning loop on generated data: demo data, ingest, keyframes,
    build-irrelevant, train tiny (a few steps), score, audit (+ HTML report), relabel to
    offline Label Studio files (or a server with --labelstudio-url), and where it all lies."""
    from tvgcurate.cli.console import console
    from tvgcurate.demo.loop import DemoLoopConfig, run_demo

    run_demo(
        DemoLoopConfig(
            out=out,
            num_videos=num_videos,
            seed=seed,
            plant_errors=plant_errors,
            labelstudio_url=labelstudio_url,
            train_steps=train_steps,
            score_samples=score_samples,
            relabel_top=relabel_top,
            encoder=encoder,
        ),
        console,
    )
