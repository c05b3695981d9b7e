"""Audit a TVG dataset: checks as plug-ins, model/label disagreement, a combined priority
and a static HTML report (docs/dev/architecture.md §4; issue 7).

Checks live in the `CHECKS` registry (`base`), one module per family; the registry finds
them by importing this package's modules on first read."""

from __future__ import annotations

from tvgcurate.curation.audit.base import (
    CHECKS,
    FAMILY_ORDER,
    Check,
    Finding,
    build_checks,
    check_names,
    register_check,
    resolve_checks,
)
from tvgcurate.curation.audit.ranking import PRIORITY, Ranking, RankingConfig, rank, ranked_ids
from tvgcurate.curation.audit.reliability import Reliability
from tvgcurate.curation.audit.run import AuditConfig, AuditResult, CheckSummary, run_audit

__all__ = [
    "CHECKS",
    "FAMILY_ORDER",
    "PRIORITY",
    "AuditConfig",
    "AuditResult",
    "Check",
    "CheckSummary",
    "Finding",
    "Ranking",
    "RankingConfig",
    "Reliability",
    "build_checks",
    "check_names",
    "rank",
    "ranked_ids",
    "register_check",
    "resolve_checks",
    "run_audit",
]
