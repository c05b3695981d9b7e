"""`tvgcurate build-irrelevant`: synthetic irrelevant / partial rows for PIR-GRPO."""

from __future__ import annotations

from tvgcurate.cli.app import app
from tvgcurate.cli.options import ConfigOptions, WorkspaceOpt
from tvgcurate.curation.embeddings import ENCODERS, EmbeddingRunConfig
from tvgcurate.curation.irrelevant.config import IrrelevantConfig
from tvgcurate.curation.irrelevant.registry import STRATEGIES
from tvgcurate.executors import EXECUTORS

IRR = ConfigOptions(
    "build-irrelevant",
    IrrelevantConfig,
    skip={"embedding": "--executor, --workers, --shard-size, --ray-address"},
)
EMBED = ConfigOptions("build-irrelevant", EmbeddingRunConfig)


@app.command(
    "build-irrelevant",
    epilog=(
        "Example: tvgcurate build-irrelevant --workspace ws --strategy cross-video "
        "--strategy hard --strategy partial --ratio 0.25 --split train"
    ),
)
def build_irrelevant(
    workspace: WorkspaceOpt,
    strategies: list[str] = IRR.option(
        "strategies", "--strategy", "-s", help="Strategy; repeat for several.", choices=STRATEGIES
    ),
    ratio: float = IRR.option("ratio"),
    low: float = IRR.option("low"),
    band: str = IRR.option(
        "band",
        help="hard: LO:HI, LO <= donor's max cosine to the video's queries < HI.",
        default=":".join(f"{b:g}" for b in IRR.default("band")),
    ),
    seed: int = IRR.option("seed"),
    splits: list[str] = IRR.option(
        "splits", "--split", help="Split(s) to build for; donors stay inside their split."
    ),
    replace: bool = IRR.option("replace", "--replace"),
    encoder: str = IRR.option("encoder", choices=ENCODERS),
    executor: str = EMBED.option("executor", choices=EXECUTORS),
    workers: int | None = EMBED.option("workers"),
    shard_size: int = EMBED.option("shard_size"),
    ray_address: str | None = EMBED.option("ray_address"),
    progress: bool = IRR.option("progress"),
) -> None:
    """Append synthetic irrelevant (cross-video, hard) and partial rows to the samples table."""
    from tvgcurate.cli.console import console
    from tvgcurate.curation.irrelevant import build_irrelevant, parse_band

    cfg = IRR.build(locals(), band=parse_band(band), embedding=EMBED.build(locals()))
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
