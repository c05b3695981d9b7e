"""`tvgcurate demo`: the whole loop on generated data, one step after another.

This is an orchestrator, not a stage: it sits beside the CLI in the import order and calls
each stage's library function the way a user would call the commands. Its last steps
(train, score, audit, push) are one round of the active-learning loop (tvgcurate.loop),
pushed to offline Label Studio files unless a server URL is given; the round is recorded in
the workspace manifest like any `tvgcurate loop` round. Steps are plain
functions over one context in a registry, run in registration order, so the loop grows by
registering a step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from tvgcurate.keyvalue import require_positive, setting
from tvgcurate.registry import Registry
from tvgcurate.schemas.constants import DEFAULT_ENCODER


@dataclass
class DemoLoopConfig:
    """Options of `tvgcurate demo`."""

    out: Path = setting(help="Directory for the demo data, workspace and outputs.")
    num_videos: int = setting(12, "Generated videos.")
    seed: int = setting(0, "Random seed.")
    plant_errors: bool = setting(True, "Plant annotation errors for the audit.")
    labelstudio_url: str | None = setting(
        None, "Push to this Label Studio server instead of offline files."
    )
    train_steps: int = setting(4, "SFT steps of the tiny model (a few: it shows the loop).")
    score_samples: int = setting(2, "Answers per sample when scoring (K > 1: IoU spread).")
    relabel_top: int = setting(20, "Samples sent to Label Studio (audit:top=N).")
    encoder: str = setting(
        DEFAULT_ENCODER, "Sentence encoder for build-irrelevant and the audit ('hashing': none)."
    )

    def __post_init__(self):
        require_positive(self, "train_steps", "score_samples", "relabel_top")


@dataclass
class DemoContext:
    cfg: DemoLoopConfig
    console: Console
    data: Path
    workspace: Path
    outputs: dict[str, Path] = field(default_factory=dict)
    run_id: str | None = None
    round: Any = None  # tvgcurate.loop.Round of the last steps
    loop_state: dict | None = None
    # makes the tables printed (tvgcurate.summary.render_summary says how); rich's when None
    table: Callable[..., Any] | None = None

    def workspace_file(self, table: str) -> Path:
        from tvgcurate.workspace import Workspace

        tv = Workspace(self.workspace).current(table)
        return Path(tv.file) if tv else Path("tables") / table


Step = Callable[[DemoContext], None]
STEPS: Registry[Step] = Registry("demo step")


@STEPS.register("generate demo data")
def _generate(ctx: DemoContext) -> None:
    from tvgcurate.demo.data import DemoConfig, generate

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


@STEPS.register("ingest")
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


@STEPS.register("info")
def _info(ctx: DemoContext) -> None:
    from tvgcurate.summary import render_summary

    render_summary(ctx.workspace, ctx.console, ctx.table)


@STEPS.register("keyframes (SAA)")
def _keyframes(ctx: DemoContext) -> None:
    from tvgcurate.curation.keyframes.run import KeyframesConfig, run_keyframes

    res = run_keyframes(KeyframesConfig(workspace=ctx.workspace, progress=True))
    ctx.console.print(f"  keyframes v{res.version}: {res.rows} frames of {res.videos} videos")


@STEPS.register("build-irrelevant (PIR)")
def _irrelevant(ctx: DemoContext) -> None:
    from tvgcurate.curation.irrelevant import IrrelevantConfig, build_irrelevant
    from tvgcurate.errors import TvgError

    # Demo queries all name a coloured shape, so sentence similarities are high: a looser
    # `low` and a smaller ratio than the defaults find enough cross-video negatives.
    try:
        res = build_irrelevant(
            IrrelevantConfig(
                workspace=ctx.workspace, encoder=ctx.cfg.encoder, progress=True,
                ratio=0.15, low=0.75,
            )
        )  # fmt: skip
    except TvgError as exc:
        ctx.console.print(f"  [yellow]no irrelevant rows added:[/] {exc}", markup=True)
        return
    added = sum(r.added for r in res.reports)
    ctx.console.print(f"  +{added} irrelevant rows; samples v{res.version} ({res.total} rows)")


def _round(ctx: DemoContext):
    """The demo's one active-learning round (tvgcurate.loop), offline unless a server URL
    was given; made on first use."""
    if ctx.round is None:
        import os

        from tvgcurate.loop import LoopConfig, loop_state, open_round

        cfg = ctx.cfg
        offline = None if cfg.labelstudio_url else ctx.data.parent / "labelstudio"
        loop_cfg = LoopConfig(
            workspace=ctx.workspace, rounds=1, budget=cfg.relabel_top,
            labelstudio=cfg.labelstudio_url, offline=offline,
            api_key=os.environ.get("LABEL_STUDIO_API_KEY") if cfg.labelstudio_url else None,
            train_steps=cfg.train_steps, sets=["sft.save_steps=1000"],
            num_samples=cfg.score_samples, encoder=cfg.encoder, seed=cfg.seed,
            project="tvgcurate-demo",
        )  # fmt: skip
        ctx.loop_state = loop_state(ctx.workspace)
        number = len(ctx.loop_state["rounds"]) + 1  # the demo is a one-shot tour: a new round
        ctx.round = open_round(
            loop_cfg, ctx.loop_state, number,
            run_dir=str(ctx.data.parent / "run-tiny"), run_id="demo-tiny",
        )  # fmt: skip
    return ctx.round


def _step(ctx: DemoContext, name: str) -> dict:
    from tvgcurate.loop import run_step

    r = _round(ctx)
    return run_step(ctx.loop_state, r, name)


@STEPS.register("train tiny (SFT, a few steps)")
def _train(ctx: DemoContext) -> None:
    _step(ctx, "train")
    res = ctx.round.results["train"]
    for name, s in res.stages.items():
        ctx.console.print(
            f"  {name}: {s['steps']} steps in {s['seconds']:.0f} s, loss {s['train_loss']:.3g}"
        )
    ctx.outputs["tiny model run (checkpoints, metrics.jsonl)"] = ctx.round.run_dir


@STEPS.register("score (predictions)")
def _score(ctx: DemoContext) -> None:
    from tvgcurate.model.score import headline

    _step(ctx, "score")
    res = ctx.round.results["score"]
    ctx.run_id = res.run_id
    h = headline(res.metrics)
    ctx.console.print(
        f"  {len(res.rows)} samples scored in {res.seconds:.0f} s (run {res.run_id}): "
        + ", ".join(f"{k} {v}" for k, v in list(h.items())[:4])
    )


@STEPS.register("audit (checks, disagreement, ranking, report)")
def _audit(ctx: DemoContext) -> None:
    import json

    from tvgcurate.curation.audit.report import write_audit_report

    _step(ctx, "audit")
    from rich.table import Column, Table

    res = ctx.round.results["audit"]
    flagged = [s for s in res.summaries if s.flagged]
    if flagged:
        num = dict(justify="right", no_wrap=True)
        out = (ctx.table or Table)(
            "check", Column("flagged", **num), Column("of", **num), "e.g.",
            title="audit: rows flagged",
        )  # fmt: skip
        for s in flagged:
            out.add_row(s.check, str(s.flagged), str(s.measured), ", ".join(s.examples[:2]))
        ctx.console.print(out)
    gt = ctx.data / "ground_truth.json"
    planted = None
    if gt.exists() and ctx.cfg.plant_errors:
        import math

        from tvgcurate.demo.evaluate import precision_at_k

        planted = {p["sample_id"] for p in json.loads(gt.read_text())["planted"]}
        source = [s for s in res.ranked() if s in _source_ids(ctx)]
        k = max(1, math.ceil(0.05 * len(source)))
        p = precision_at_k(source, planted, k)
        trust = "-" if res.trust is None else _trust_text(res.trust)
        ctx.console.print(
            f"  top {k} (5%): {p:.0%} planted errors vs {len(planted) / len(source):.0%} at "
            f"random; model trust {trust}",
            markup=False,
        )
    report = write_audit_report(res, ctx.workspace, ctx.data.parent / "audit-report", planted)
    ctx.outputs["audit report"] = report.parent
    ctx.outputs["audits table"] = ctx.workspace / ctx.workspace_file("audits")


def _trust_text(trust) -> str:
    return trust.describe() if hasattr(trust, "describe") else f"{trust:.2f}"


def _source_ids(ctx: DemoContext) -> set[str]:
    from tvgcurate.workspace import Workspace

    s = Workspace(ctx.workspace).read("samples", columns=["sample_id", "origin"]).to_pylist()
    return {r["sample_id"] for r in s if (r["origin"] or "source") == "source"}


@STEPS.register("relabel (Label Studio)")
def _relabel(ctx: DemoContext) -> None:
    from tvgcurate.loop import finish_round

    rec = _step(ctx, "push")
    finish_round(ctx.loop_state, ctx.round)
    select = f"audit:top={ctx.cfg.relabel_top}"
    if ctx.cfg.labelstudio_url:
        ctx.console.print(
            f"  project {rec['project']} (id {rec['project_id']}): {rec['sent']} tasks sent"
        )
        ctx.outputs["Label Studio project"] = Path(
            f"{ctx.cfg.labelstudio_url}/projects/{rec['project_id']}"
        )
    else:
        out = ctx.round.cfg.offline
        ctx.console.print(
            f"  {rec['sent']} tasks ({select}) written; import them in Label Studio, then "
            "`tvgcurate relabel pull`"
        )
        ctx.outputs["Label Studio files (config XML, tasks.json)"] = out


def run_demo(
    cfg: DemoLoopConfig, console: Console | None = None, table: Callable[..., Any] | None = None
) -> DemoContext:
    """Run every step; `table` makes the tables printed (the CLI passes its own)."""
    import os

    # The loop shows its own progress; the Hugging Face libraries' bars would interleave.
    for var in ("HF_DATASETS_DISABLE_PROGRESS_BARS", "HF_HUB_DISABLE_PROGRESS_BARS"):
        os.environ.setdefault(var, "1")
    console = console or Console(emoji=False)
    out = Path(cfg.out)
    ctx = DemoContext(
        cfg=cfg, console=console, data=out / "data", workspace=out / "workspace", table=table
    )
    t0 = time.perf_counter()
    steps = STEPS.items()
    for i, (name, fn) in enumerate(steps, start=1):
        console.rule(f"[bold]step {i}/{len(steps)}: {name}")
        t = time.perf_counter()
        fn(ctx)
        console.print(f"  [dim]{time.perf_counter() - t:.1f} s[/]")
    console.rule("[bold]where everything is")
    for what, path in ctx.outputs.items():
        console.print(f"  {what}: {path}")
    console.print(f"done in {time.perf_counter() - t0:.0f} s")
    return ctx
