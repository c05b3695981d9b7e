"""`tvgcurate build-irrelevant`: synthetic irrelevant / partial rows for PIR-GRPO."""

from __future__ import annotations

from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.options import WorkspaceOpt
from tvgcurate.schemas.constants import DEFAULT_ENCODER


@app.command(
    "build-irrelevant",
    epilog=(
        "Example: tvgcurate build-irrelevant --workspace ws --strategy cross-video "
        "--strategy hard --strategy partial --ratio 0.25 --split train"
    ),
)
def build_irrelevant(
    workspace: WorkspaceOpt,
    strategy: Annotated[
        list[str] | None,
        typer.Option(
            "--strategy",
            "-s",
            help="cross-video | hard | partial; repeat for several (default: cross-video).",
        ),
    ] = None,
    ratio: Annotated[
        float,
        typer.Option(
            help="Per strategy and split: adds round-half-up(ratio x relevant rows) rows, exactly."
        ),
    ] = 0.25,
    low: Annotated[
        float,
        typer.Option(help="cross-video/partial: donor's max cosine to the video's queries < LOW."),
    ] = 0.35,
    band: Annotated[
        str, typer.Option(help="hard: LO:HI, LO <= donor's max cosine to the video's queries < HI.")
    ] = "0.35:0.6",
    seed: Annotated[int, typer.Option(help="Same seed and inputs give identical rows.")] = 0,
    split: Annotated[
        list[str] | None,
        typer.Option("--split", help="Split(s) to build for (default: train); donors stay inside."),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Regenerate rows made before for these splits+strategies."),
    ] = False,
    encoder: Annotated[
        str,
        typer.Option(
            help="Sentence encoder: all-MiniLM-L6-v2 | hashing (non-semantic, tests only)."
        ),
    ] = DEFAULT_ENCODER,
) -> None:
    """Append synthetic irrelevant (cross-video, hard) and partial rows to the samples table."""
    from tvgcurate.cli.console import console
    from tvgcurate.curation.irrelevant import IrrelevantConfig, build_irrelevant, parse_band

    cfg = IrrelevantConfig(
        workspace=workspace,
        strategies=tuple(strategy or ("cross-video",)),
        ratio=ratio,
        low=low,
        band=parse_band(band),
        seed=seed,
        splits=tuple(split or ("train",)),
        replace=replace,
        encoder=encoder,
    )
    result = build_irrelevant(cfg)
    for r in result.reports:
        s = r.similarity
        console.print(
            f"{r.split}/{r.strategy}: +{r.added} rows ({r.relevant} relevant); similarity "
            f"min {s['min']:.3f} median {s['p50']:.3f} max {s['max']:.3f}"
            if s
            else f"{r.split}/{r.strategy}: +0 rows"
        )
    console.print(f"samples is now v{result.version} ({result.total} rows) in {workspace}")
