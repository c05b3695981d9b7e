"""`tvgcurate audit`: find what is wrong in the samples and rank what humans should see first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.options import ConfigOptions, JsonOpt, WorkspaceOpt
from tvgcurate.curation.audit.base import families
from tvgcurate.curation.audit.ranking import RankingConfig
from tvgcurate.curation.audit.run import AuditConfig
from tvgcurate.curation.embeddings import ENCODERS, EmbeddingRunConfig
from tvgcurate.executors import EXECUTORS

AUDIT = ConfigOptions(
    "audit",
    AuditConfig,
    skip={
        "overrides": "parsed from --set CHECK.FIELD=VALUE",
        "ranking": "--decisive, --train-split and --weight",
        "embedding": "--executor, --workers, --shard-size, --ray-address",
    },
)
EMBED = ConfigOptions("audit", EmbeddingRunConfig)
RANKING = ConfigOptions(
    "audit", RankingConfig, skip={"weights": "parsed from --weight CHECK=W (option `weight`)"}
)


@app.command(
    epilog=(
        "Example: tvgcurate audit --workspace ws --predictions latest --report audit-report/ "
        "&& tvgcurate relabel push -w ws --select audit:top=50 --out ls-offline/"
    ),
)
def audit(
    workspace: WorkspaceOpt,
    predictions: str | None = AUDIT.option("predictions"),
    checks: list[str] | None = AUDIT.option(
        "checks",
        "--checks",
        help="Checks or families to run (comma-separated or repeated; default all; `--list` "
        f"names the checks). Families: {', '.join(families())}.",
    ),
    report: Path | None = AUDIT.option(
        "report", help="Write a static HTML report (index.html) to this directory."
    ),
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Threshold override CHECK.FIELD=VALUE, e.g. whole_video.max_share=0.95."
        ),
    ] = None,
    encoder: str = AUDIT.option("encoder", choices=ENCODERS),
    executor: str = EMBED.option("executor", choices=EXECUTORS),
    workers: int | None = EMBED.option("workers"),
    shard_size: int = EMBED.option("shard_size"),
    ray_address: str | None = EMBED.option("ray_address"),
    top: int = AUDIT.option("top"),
    write: bool = AUDIT.option("write", help="Write the audits version (--no-write: dry run)."),
    decisive: float = RANKING.option("decisive"),
    train_split: str = RANKING.option("train_split", "--train-split"),
    weight: Annotated[
        list[str] | None,
        typer.Option(
            "--weight",
            help="Multiply one check's measured evidence, CHECK=M (repeatable; 0 mutes it), "
            "e.g. iou_spread=0.",
        ),
    ] = None,
    list_checks: Annotated[
        bool, typer.Option("--list", help="List the checks and their thresholds, then exit.")
    ] = False,
    as_json: JsonOpt = False,
    progress: bool = AUDIT.option("progress", help="Show progress on stderr."),
) -> None:
    """Run the audit checks (window sanity, duration, clip grid, query text, duplicates,
    leakage, boundary precision, and model/label disagreement with --predictions), write an
    `audits` version with a combined priority per sample, print a summary per check, and
    optionally an HTML report. The priority sums, per sample, ln((1-f)/f) over the checks
    that flag it, f = the check's false-alarm rate measured on these rows."""
    from tvgcurate.cli.console import console

    if list_checks:
        _list(console)
        return
    from tvgcurate.curation.audit import run_audit
    from tvgcurate.keyvalue import parse

    overrides = parse(set_, "--set", "CHECK.FIELD=VALUE (whole_video.max_share=0.95)", typed=False)
    weights = _weights(parse(weight, "--weight", "split_leak=2"))
    ranking = RANKING.build(locals(), weights=weights)
    embedding = EMBED.build(locals())
    cfg = AUDIT.build(
        locals(), overrides=overrides, ranking=ranking, progress=progress and not as_json
    )
    res = run_audit(cfg)
    if as_json:
        _json(console, res)
    else:
        _print(console, res)


def _weights(weights: dict) -> dict[str, float]:
    from tvgcurate.curation.audit.base import CHECKS
    from tvgcurate.errors import TvgError

    for name, w in weights.items():
        CHECKS.get(name)  # an unknown check lists the choices
        if isinstance(w, bool) or not isinstance(w, int | float) or w < 0:
            raise TvgError(f"--weight {name}={w}: the weight must be a number >= 0")
    return {k: float(v) for k, v in weights.items()}


def _list(console) -> None:
    from rich.table import Table

    from tvgcurate.curation.audit import CHECKS
    from tvgcurate.curation.audit.base import check_names, threshold_help

    t = Table(title="audit checks (weights are measured per audit)")
    t.add_column("check", no_wrap=True)
    t.add_column("family", no_wrap=True, overflow="ellipsis")
    t.add_column("needs", overflow="ellipsis")
    t.add_column("thresholds (--set CHECK.FIELD=V)", overflow="fold")
    for name in check_names():
        cls = CHECKS[name]
        th = "; ".join(f"{k}={v!r}" for k, (v, _) in threshold_help(name).items())
        t.add_row(name, cls.family, ", ".join(cls.requires) or "-", th)
    console.print(t)


def _json(console, res) -> None:
    import json

    console.print_json(
        json.dumps(
            {
                "audit_id": res.audit_id, "audits_version": res.version, "samples": res.samples,
                "predictions": res.run_id, "model_trust": res.trust,
                "model_evidence": res.model_evidence, "weighing": res.weighing(),
                "reliability": {k: r.as_dict() for k, r in res.reliability.items()},
                "checks": [
                    {"check": s.check, "family": s.family, "measured": s.measured,
                     "flagged": s.flagged, "share": round(s.share, 6), "errors": s.errors,
                     "examples": s.examples}
                    for s in res.summaries
                ],
                "skipped": res.skipped, "top": res.ranked()[:20],
                "report": str(res.report) if res.report else None,
            }
        )
    )  # fmt: skip


def _print(console, res) -> None:
    """The summary, readable at 80 columns: ids are never wrapped (a long one is cut with an
    ellipsis), long cells end in an ellipsis."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    t = Table(title=f"audit of {res.samples} samples ({res.audit_id})", title_justify="left",
              box=box.SIMPLE_HEAD, pad_edge=False)  # fmt: skip
    t.add_column("check", no_wrap=True, overflow="ellipsis", min_width=12)
    t.add_column("rows", justify="right", no_wrap=True)
    t.add_column("flags", justify="right", no_wrap=True)
    t.add_column("fires", justify="right", no_wrap=True)
    t.add_column("weight", justify="right", no_wrap=True)
    t.add_column("examples", no_wrap=True, overflow="ellipsis", min_width=10)
    for s in res.summaries:
        rel = res.reliability.get(s.check)
        ex = Text("\n".join(s.examples) if s.examples else "-")
        if s.errors:
            ex.append(f"\n({s.errors} not measured)", style="yellow")
        t.add_row(
            s.check, str(s.measured), Text(str(s.flagged), style="bold red" if s.flagged else "dim"),
            _pct(rel.fire_rate) if rel else "-", f"{rel.weight:.2f}" if rel else "-", ex,
        )  # fmt: skip
    console.print(t)
    for name, why in res.skipped.items():
        console.print(Text(f"skipped {name}: {why}", style="dim"))
    from tvgcurate.curation.audit.issues import issue_sets

    found = issue_sets(res.table)
    model, annot = found.model, found.annotation
    line = f"{len(annot)} of {res.samples} samples have an annotation issue"
    if res.run_id:
        agree = "-" if res.trust is None else f"{res.trust:.2f}"
        line += f"; the model disagrees on {len(model)} (run {res.run_id}, agreement {agree})"
        line += f"; model evidence: {res.model_evidence}"
    console.print(Text(line))
    for w in res.weighing(with_model=False):
        console.print(Text(w, style="dim"))
    _print_top(console, res)
    if res.version is not None:
        console.print(
            Text(f"audits is now v{res.version}; next: tvgcurate relabel push --select audit:top=N")
        )
    if res.report is not None:
        console.print(Text(f"report: {res.report}"))


def _pct(x: float) -> str:
    """A share in at most 5 characters: 2.9%, 45%, 100%."""
    return f"{x:.1%}" if x < 0.1 else f"{x:.0%}"


def _print_top(console, res, n: int = 5) -> None:
    """The first `n` samples of the priority: rank, id, evidence and the flags behind it."""
    import json

    import pyarrow.compute as pc
    from rich.table import Table

    prio = res.table.filter(pc.equal(res.table.column("check"), "priority")).sort_by("rank")
    from rich import box

    t = Table(title="worst first", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("#", justify="right", no_wrap=True)
    t.add_column("sample", no_wrap=True, overflow="ellipsis", min_width=12)
    t.add_column("evidence", justify="right", no_wrap=True)
    t.add_column("flags", no_wrap=True, overflow="ellipsis", min_width=8)
    for r in prio.slice(0, n).to_pylist():
        data = json.loads(r["data"]) if r["data"] else {}
        flags = ", ".join(data.get("flags", {})) or "-"
        t.add_row(str(r["rank"]), r["sample_id"], f"{data.get('evidence', 0.0):.2f}", flags)
    console.print(t)
