"""`tvgcurate audit`: run the registered checks over the current samples, rank, write an
`audits` version, and (optionally) a static HTML report."""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tvgcurate.curation.audit.base import CHECKS, build_checks, resolve_checks
from tvgcurate.curation.audit.context import AuditContext
from tvgcurate.curation.audit.loading import load_context
from tvgcurate.curation.audit.predictions import model_evidence
from tvgcurate.curation.audit.ranking import PRIORITY, RankingConfig, rank, weighing
from tvgcurate.curation.audit.reliability import Reliability
from tvgcurate.curation.audit.report import ReportConfig, write_report
from tvgcurate.curation.embeddings import EmbeddingRunConfig
from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import setting
from tvgcurate.schemas.audits import AUDITS_EXTENDED
from tvgcurate.schemas.constants import DEFAULT_ENCODER
from tvgcurate.workspace import Workspace

SCHEMA = AUDITS_EXTENDED  # the audits table as this stage writes it


@dataclass
class AuditConfig:
    """What `tvgcurate audit` does."""

    workspace: Path = setting(help="Workspace directory.")
    predictions: str | None = setting(
        None, "Predictions run_id for the model checks ('latest': the last run)."
    )
    checks: list[str] | None = setting(None, "Check or family names (default: all).")
    overrides: dict[str, str] = setting(
        factory=dict, help="Threshold overrides, CHECK.FIELD -> value."
    )
    report: Path | None = setting(None, "Write an HTML report here.")
    encoder: str = setting(
        DEFAULT_ENCODER, "Sentence encoder for near-duplicate queries (`hashing`: no model)."
    )
    top: int = setting(30, "Samples drawn as timelines in the report.")
    write: bool = setting(True, "Write the audits version.")
    progress: bool = setting(True, "Show progress.")
    ranking: RankingConfig = field(default_factory=RankingConfig)
    embedding: EmbeddingRunConfig = setting(
        factory=EmbeddingRunConfig,
        help="How near-duplicate queries are embedded: executor, workers, shards.",
    )

    def __post_init__(self):
        self.workspace = Path(self.workspace)
        if self.top < 0:
            raise TvgError("--top must be >= 0")
        self.names = resolve_checks(self.checks)
        self.instances = build_checks(self.names, self.overrides)  # validates --set early


@dataclass
class CheckSummary:
    check: str
    family: str
    measured: int
    flagged: int
    errors: int
    examples: list[str]

    @property
    def share(self) -> float:
        return self.flagged / self.measured if self.measured else 0.0


@dataclass
class AuditResult:
    audit_id: str
    table: pa.Table
    summaries: list[CheckSummary]
    skipped: dict[str, str]
    samples: int
    version: int | None
    run_id: str | None
    trust: float | None  # the model's agreement with the labels (ranking.Trust), reported
    report: Path | None
    seconds: float
    reliability: dict[str, Reliability] = field(default_factory=dict)  # per check, measured
    model_evidence: str | None = None  # "out of fold (K folds)" / "in-sample" / None
    ranking: RankingConfig | None = None  # the multipliers the priority used

    def weighing(self, with_model: bool = True) -> list[str]:
        """How the evidence was weighed, in two lines (and whether the model evidence is
        in-sample or out of fold, unless `with_model` is False)."""
        return weighing(self.reliability, self.model_evidence if with_model else None,
                        self.ranking)  # fmt: skip

    def ranked(self) -> list[str]:
        pr = self.table.filter(pc.equal(self.table.column("check"), PRIORITY))
        return pr.sort_by("rank").column("sample_id").to_pylist()


def missing_inputs(check, ctx: AuditContext) -> str | None:
    """Why a check cannot run on this workspace, or None."""
    for need in check.requires:
        if need == "videos" and not any(v.get("duration_s") for v in ctx.videos.values()):
            return "no probed videos (ingest with --videos)"
        if need == "keyframes" and not ctx.keyframes:
            return "no keyframes table (run `tvgcurate keyframes`)"
        if need == "predictions" and ctx.predictions is None:
            return "no predictions run (pass --predictions RUN)"
    return None


def summarise(rows: list[dict], names: list[str]) -> list[CheckSummary]:
    by: dict[str, list[dict]] = {n: [] for n in names}
    for r in rows:
        by.setdefault(r["check"], []).append(r)
    out = []
    for name in names:
        rs = by.get(name, [])
        flagged = sorted(
            (r for r in rs if r["is_issue"]), key=lambda r: (r["score"], r["sample_id"])
        )
        out.append(
            CheckSummary(
                name,
                CHECKS[name].family,
                len(rs),
                len(flagged),
                sum(1 for r in rs if r["error"]),
                [r["sample_id"] for r in flagged[:3]],
            )
        )
    return out


def _progress(enabled: bool):
    from contextlib import nullcontext

    if not enabled:
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(
        TextColumn("audit {task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True, emoji=False),
        transient=True,
    )


def run_audit(cfg: AuditConfig) -> AuditResult:
    t0 = time.perf_counter()
    ws = Workspace(cfg.workspace)
    ctx, run_id = load_context(ws, cfg.predictions, cfg.encoder, cfg.progress, cfg.embedding)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    audit_id = f"audit-{stamp}"
    rows: list[dict] = []
    skipped: dict[str, str] = {}
    ran: list[str] = []
    with _progress(cfg.progress) as bar:
        task = bar.add_task("", total=len(cfg.instances)) if bar else None
        for check in cfg.instances:
            if bar:
                bar.update(task, description=check.name)
            why = missing_inputs(check, ctx)
            if why:
                skipped[check.name] = why
            else:
                rows += check.rows(ctx, audit_id)
                ran.append(check.name)
            if bar:
                bar.advance(task)
    for r in rows:
        r["rank"], r["run_id"] = None, run_id if CHECKS[r["check"]].model else None
    instances = {c.name: c for c in cfg.instances}
    prio, trust, reliability = rank(rows, cfg.ranking, ctx, instances)
    evidence = model_evidence(ctx.predictions)
    for r in prio:
        r["run_id"] = run_id
    table = pa.Table.from_pylist(rows + prio, schema=SCHEMA)
    version = None
    if cfg.write:
        note = f"{audit_id}: {len(ran)} check(s)" + (f", predictions {run_id}" if run_id else "")
        inputs = ws.inputs("samples", "videos", "keyframes", "predictions")
        version = ws.write("audits", table, note=note, reads=inputs).version
    report = None
    if cfg.report is not None:
        report = write_report(
            ReportConfig(out=cfg.report, top=cfg.top, trust=trust, reliability=reliability,
                         model_evidence=evidence, weights=dict(cfg.ranking.weights)),
            ws, ctx, table, summarise(rows, ran), skipped, instances,
        )  # fmt: skip
    return AuditResult(
        audit_id=audit_id,
        table=table,
        summaries=summarise(rows, ran),
        skipped=skipped,
        samples=len(ctx.samples),
        version=version,
        run_id=run_id,
        trust=trust,
        report=report,
        seconds=time.perf_counter() - t0,
        reliability=reliability,
        model_evidence=evidence,
        ranking=cfg.ranking,
    )
