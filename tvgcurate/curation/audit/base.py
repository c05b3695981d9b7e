"""What every audit check shares: findings, the check base class, its threshold config, the registry.

A check is one small class (PySceneDetect's detector habit): ``score(ctx)`` measures every
sample it applies to and returns `Finding`s (a score in 0..1, lower = worse, plus the raw
measurement); ``is_issue(finding)`` applies the thresholds of the check's config. The two
are separate on purpose (cleanlab's habit): tuning a threshold never changes a score, and
the ranking sees scores of samples that no threshold flagged. A check whose threshold
follows the data (the model checks: a quantile of the model's own distribution) sets it in
``calibrate(ctx, findings)``, called once with all its findings before any ``is_issue``.

    >>> from tvgcurate.curation.audit import CHECKS
    >>> CHECKS["whole_video"].Config().max_share
    0.9
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import ClassVar

from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import setting
from tvgcurate.registry import Registry


@dataclass
class Finding:
    """One check's measurement of one sample (before any threshold)."""

    sample_id: str
    score: float | None  # 0..1, lower = worse; None when the sample could not be measured
    detail: str = ""
    value: float | None = None  # the raw measurement the thresholds look at (seconds, share, ...)
    data: dict | None = None  # extra measurements (e.g. per-boundary distances), kept as JSON
    error: str | None = None  # why the sample could not be measured (a per-item failure)


@dataclass
class Threshold:
    """Default config: a finding is an issue when its score is below `below`."""

    below: float = setting(0.5, "Flag when score < this (0..1, lower = worse).")

    def __post_init__(self):
        if not 0.0 <= self.below <= 1.0:
            raise TvgError(f"threshold `below` must be in 0..1, got {self.below}")


class Check:
    """One audit check. Subclasses set the class attributes and implement `score`.

    * ``requires``: workspace tables the check needs beyond `samples` (``videos``,
      ``keyframes``, ``predictions``); when one is missing the whole check is skipped, with
      the reason in the summary.
    * ``weight``: a multiplier on the evidence a flag of this check adds to the priority,
      1.0 for every built-in check: how much a flag counts is *measured* on the audited rows
      (`reliability`), never declared; ``--weight CHECK=W`` overrides it (0 mutes a check).
    * ``reads_label``: False for a check that never compares anything with the label (the
      K answers' spread): it says the model is unsure, not that the label is wrong, so it
      adds no evidence to the priority (its multiplier is 0 unless ``--weight`` gives one);
      it is still reported and ranked in its family.
    """

    name: ClassVar[str]
    family: ClassVar[str]
    description: ClassVar[str]
    requires: ClassVar[tuple[str, ...]] = ()
    weight: ClassVar[float] = 1.0
    reads_label: ClassVar[bool] = True
    model: ClassVar[bool] = False  # a model/label disagreement check (needs predictions)
    # Synthetic PIR rows (origin synthetic:*) copy a donor's query and the target's video;
    # only model checks audit them, annotation checks look at what annotators wrote.
    synthetic: ClassVar[bool] = False
    Config: ClassVar[type] = Threshold
    # Report hook: a check with a `section` title gets its own plot in the HTML report
    # (`plot`), drawn in `section_order`; `section_missing` is shown when it has no rows.
    section: ClassVar[str | None] = None
    section_missing: ClassVar[str] = ""
    section_order: ClassVar[int] = 0

    def __init__(self, config=None):
        self.config = config if config is not None else self.Config()

    # -- override ---------------------------------------------------------------------
    def applies(self, ctx, row: dict) -> bool:
        """Whether this check measures `row` at all (default: every sample)."""
        return True

    def rows_to_audit(self, ctx) -> list[dict]:
        if self.synthetic:
            return ctx.samples
        return [r for r in ctx.samples if not (r.get("origin") or "").startswith("synthetic")]

    def score_one(self, ctx, row: dict) -> Finding:
        """Measure one sample. Checks that need a whole group override `score` instead."""
        raise NotImplementedError

    def score(self, ctx) -> list[Finding]:
        """Measure every applicable sample; a failure on one sample becomes its `error`."""
        out = []
        for row in self.rows_to_audit(ctx):
            if not self.applies(ctx, row):
                continue
            try:
                out.append(self.score_one(ctx, row))
            except Exception as exc:  # per-item failure is data, never a crash
                out.append(Finding(row["sample_id"], None, error=f"{type(exc).__name__}: {exc}"))
        return out

    def calibrate(self, ctx, findings: list[Finding]) -> None:
        """Set data-dependent thresholds from all of this check's findings (default: none)."""

    def is_issue(self, f: Finding) -> bool:
        """The threshold: default `score < config.below`."""
        return f.score is not None and f.score < self.config.below

    def alarm(self, f: Finding) -> bool:
        """Whether the finding crosses the check's fixed (configured) threshold: what the
        ranking's false-alarm rate counts (`reliability`). The same as `is_issue` unless
        `calibrate` narrows the flags to a tail of the data."""
        return self.is_issue(f)

    def alarm_row(self, row: dict) -> bool:
        """`alarm` of an audit row (the ranking reads rows, not findings): the row's own
        `is_issue` unless the check defines `alarm`, then that on the row's score and value."""
        if row.get("error") or row.get("score") is None:
            return False
        if type(self).alarm is Check.alarm:
            return bool(row["is_issue"])
        f = Finding(row["sample_id"], row["score"], value=row.get("value"))
        return bool(self.alarm(f))

    # -- hooks (no-ops by default) ---------------------------------------------------
    @classmethod
    def trust(cls, rows: list[dict]) -> float | None:
        """How far a model run can be trusted (0..1), from this check's audit rows; None:
        this check says nothing about it. Reported beside the priority (in-sample fallback of
        `ranking.measure_trust`); the weights themselves come from `reliability`."""
        return None

    def plot(self, rows: list[dict], dpi: int) -> str | None:
        """A PNG data URI of this check's rows for the report (None: no plot)."""
        return None

    # -- fixed ------------------------------------------------------------------------
    def rows(self, ctx, audit_id: str) -> list[dict]:
        """Audit rows (one per finding) in the audits table's column order."""
        out = []
        findings = self.score(ctx)
        self.calibrate(ctx, findings)
        for f in findings:
            score = None if f.score is None else min(1.0, max(0.0, float(f.score)))
            out.append(
                {
                    "audit_id": audit_id,
                    "sample_id": f.sample_id,
                    "check": self.name,
                    "is_issue": bool(self.is_issue(f)) if f.error is None else False,
                    "score": score,
                    "detail": f.detail if f.error is None else f"not measured: {f.error}",
                    "family": self.family,
                    "value": None if f.value is None or not math.isfinite(f.value) else f.value,
                    "data": json.dumps(f.data, sort_keys=True) if f.data else None,
                    "error": f.error,
                }
            )
        return out


# Every check registers itself in its module of this package (found by discovery).
CHECKS: Registry[type[Check]] = Registry("audit check", package="tvgcurate.curation.audit")

# Report and summary order: annotation families first, model checks last.
FAMILY_ORDER = ("windows", "duration", "clip_grid", "query", "duplicates", "leakage", "boundary")


def register_check(cls: type[Check]) -> type[Check]:
    """Class decorator: register a check under its `name` (cleanlab's factory habit)."""
    return CHECKS.add(cls.name, cls)


def check_names() -> list[str]:
    """Every check's name, in report order (by FAMILY_ORDER, then registration order)."""
    order = {f: i for i, f in enumerate(FAMILY_ORDER)}
    items = CHECKS.items()
    return [n for n, c in sorted(items, key=lambda kv: order.get(kv[1].family, len(order)))]


def families() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name in check_names():
        out.setdefault(CHECKS.get(name).family, []).append(name)
    return out


def resolve_checks(wanted: Iterable[str] | None) -> list[str]:
    """Check names from names and family names (None or empty: every check), in registry order."""
    if not wanted:
        return check_names()
    fam = families()
    chosen: set[str] = set()
    for w in wanted:
        for part in str(w).split(","):
            part = part.strip()
            if not part:
                continue
            if part in CHECKS:
                chosen.add(part)
            elif part in fam:
                chosen.update(fam[part])
            else:
                raise TvgError(
                    f"--checks: unknown check or family {part!r}; known families: "
                    f"{', '.join(sorted(fam))}; checks: {', '.join(check_names())}"
                )
    return [n for n in check_names() if n in chosen]


def build_checks(names: list[str], overrides: dict[str, str] | None = None) -> list[Check]:
    """Instances of the named checks, with `check.field=value` threshold overrides applied
    (values as the threshold's type, through the one KEY=VALUE module)."""
    from tvgcurate.keyvalue import convert

    per_check: dict[str, dict[str, str]] = {}
    for key, value in (overrides or {}).items():
        name, _, fname = key.partition(".")
        if name not in CHECKS or not fname:
            raise TvgError(f"--set {key}={value}: expected CHECK.FIELD=VALUE with a known check")
        per_check.setdefault(name, {})[fname] = value
    out = []
    for name in names:
        cls = CHECKS.get(name)
        defaults = cls.Config()
        kwargs = {}
        known = {f.name for f in fields(defaults)}
        for fname, value in per_check.get(name, {}).items():
            if fname not in known:
                raise TvgError(
                    f"--set {name}.{fname}: {name} has no threshold {fname!r} "
                    f"(it has: {', '.join(sorted(known))})"
                )
            try:
                kwargs[fname] = convert(value, type(getattr(defaults, fname)))
            except ValueError:
                raise TvgError(f"--set {name}.{fname}={value}: not a valid value") from None
        out.append(cls(cls.Config(**kwargs)))
    return out


def threshold_help(name: str) -> dict[str, tuple[object, str]]:
    """A check's thresholds: field -> (default, help)."""
    cfg = CHECKS.get(name).Config()
    return {f.name: (getattr(cfg, f.name), f.metadata.get("help", "")) for f in fields(cfg)}


def binary(sample_id: str, bad: bool, detail: str, value: float | None = None) -> Finding:
    """A rule check's finding: score 0 when the rule is broken, else 1."""
    return Finding(sample_id, 0.0 if bad else 1.0, detail if bad else "", value)


Scorer = Callable[..., Finding]
