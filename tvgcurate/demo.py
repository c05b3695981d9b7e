"""`tvgcurate demo`: the whole loop on generated data, one step after another.

This is an orchestrator, not a stage: it sits beside the CLI in the import order and calls
each stage's library function the way a user would call the commands. Steps are a list of
plain functions over one context, so the loop grows by appending a step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console


@dataclass
class DemoLoopConfig:
    """Options of `tvgcurate demo`."""

    out: Path = field(metadata={"help": "Directory for the demo data, workspace and outputs."})
    num_videos: int = field(default=12, metadata={"help": "Generated videos."})
    seed: int = field(default=0, metadata={"help": "Random seed."})
    plant_errors: bool = field(
        default=True, metadata={"help": "Plant annotation errors for the audit."}
    )
    labelstudio_url: str | None = field(
        default=None,
        metadata={"help": "Push to this Label Studio server instead of offline files."},
    )


@dataclass
class DemoContext:
    cfg: DemoLoopConfig
    console: Console
    data: Path
    workspace: Path
    outputs: dict[str, Path] = field(default_factory=dict)


Step = Callable[[DemoContext], None]
STEPS: list[tuple[str, Step]] = []


def step(name: str):
    def deco(fn: Step) -> Step:
        STEPS.append((name, fn))
        return fn

    return deco


@step("generate demo data")
def _generate(ctx: DemoContext) -> None:
    from tvgcurate.curation.demo_data import DemoConfig, generate

    res = generate(
        DemoConfig(
            out=ctx.data,
            num_videos=ctx.cfg.num_videos,
            seed=ctx.cfg.seed,
            plant_errors=ctx.cfg.plant_errors,
        )
    )
    ctx.outputs["demo data (videos, native annotations, ground_truth.json)"] = res.out
    ctx.console.print(
        f"  {len(res.videos)} videos, {res.num_samples} samples, {len(res.planted)} planted errors"
    )


@step("ingest")
def _ingest(ctx: DemoContext) -> None:
    from tvgcurate.curation.ingest import IngestConfig, ingest

    files = sorted(
        p for p in ctx.data.rglob("*") if p.suffix in (".jsonl", ".txt", ".json", ".csv")
    )
    files = [p for p in files if p.name != "ground_truth.json"]
    report = ingest(
        IngestConfig(sources=files, workspace=ctx.workspace, videos=ctx.data / "videos")
    )
    ctx.console.print(
        f"  {sum(report.rows_per_file.values())} samples from {len(files)} files; "
        f"{report.videos_probed} videos probed"
    )
    ctx.outputs["workspace"] = ctx.workspace


@step("info")
def _info(ctx: DemoContext) -> None:
    from tvgcurate.summary import render_summary

    render_summary(ctx.workspace, ctx.console)


def run_demo(cfg: DemoLoopConfig, console: Console | None = None) -> DemoContext:
    console = console or Console()
    out = Path(cfg.out)
    ctx = DemoContext(cfg=cfg, console=console, data=out / "data", workspace=out / "workspace")
    t0 = time.perf_counter()
    for i, (name, fn) in enumerate(STEPS, start=1):
        console.rule(f"[bold]step {i}/{len(STEPS)}: {name}")
        t = time.perf_counter()
        fn(ctx)
        console.print(f"  [dim]{time.perf_counter() - t:.1f} s[/]")
    console.rule("[bold]where everything is")
    for what, path in ctx.outputs.items():
        console.print(f"  {what}: {path}")
    console.print(f"done in {time.perf_counter() - t0:.0f} s")
    return ctx
