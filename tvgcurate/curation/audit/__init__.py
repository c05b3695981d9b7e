"""Audit a TVG dataset: checks as plug-ins, model/label disagreement, a combined priority
and a static HTML report (DESIGN.md section 4; issue 7).

Importing this package registers every check family (one module each)."""

from __future__ import annotations

from tvgcurate.curation.audit import (  # noqa: F401  (registration)
    boundary,
    clip_grid,
    duplicates,
    duration,
    leakage,
    model,
    query,
    windows,
)
from tvgcurate.curation.audit.base import (
    CHECKS,
    Check,
    Finding,
    build_checks,
    register_check,
    resolve_checks,
)
from tvgcurate.curation.audit.ranking import PRIORITY, RankingConfig, rank, ranked_ids
from tvgcurate.curation.audit.run import AuditConfig, AuditResult, CheckSummary, run_audit

FAMILY_ORDER = ("windows", "duration", "clip_grid", "query", "duplicates", "leakage", "boundary")
_order = {f: i for i, f in enumerate(FAMILY_ORDER)}
_sorted = sorted(CHECKS.items(), key=lambda kv: _order.get(kv[1].family, len(_order)))
CHECKS.clear()
CHECKS.update(_sorted)  # report and summary order: annotation families first, model last

__all__ = [
    "CHECKS",
    "PRIORITY",
    "AuditConfig",
    "AuditResult",
    "Check",
    "CheckSummary",
    "Finding",
    "RankingConfig",
    "build_checks",
    "rank",
    "ranked_ids",
    "register_check",
    "resolve_checks",
    "run_audit",
]
