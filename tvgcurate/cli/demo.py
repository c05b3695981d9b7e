"""`tvgcurate demo`: generate data and run the loop on it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app


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
) -> None:
    """Generate a small realistic dataset, ingest it and show the workspace (the whole loop)."""
    from tvgcurate.cli.console import console
    from tvgcurate.demo import DemoLoopConfig, run_demo

    run_demo(
        DemoLoopConfig(
            out=out,
            num_videos=num_videos,
            seed=seed,
            plant_errors=plant_errors,
            labelstudio_url=labelstudio_url,
        ),
        console,
    )
