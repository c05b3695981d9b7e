"""The combined priority: which samples humans should look at first.

Every check's row contributes a severity ``1 - score`` (scaled down by `soft` when no
threshold flagged it), weighted by the check's weight (a prior on how often its flags are
real errors). Severities combine as a noisy-OR, ``priority = 1 - prod(1 - w * severity)``:
one certain rule violation is enough for priority 1, and several weak signals add up.
Model checks are further weighted by the run's `trust`, ``min(1, 2 * mean top-1 IoU)`` over
the relevant samples: a model that rarely agrees with any label (an early checkpoint) cannot
tell a wrong label from its own mistake, so its disagreement counts for little.

The ranking is written into the audits table as one row per sample with check ``priority``
(score = 1 - priority, so lower is worse as everywhere, and an integer ``rank``, 1 = first);
``tvgcurate relabel --select audit:top=N`` reads it from there (`ranked_ids`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tvgcurate.curation.audit.base import CHECKS, check_names

PRIORITY = "priority"


@dataclass
class RankingConfig:
    soft: float = field(
        default=0.25,
        metadata={"help": "How much an unflagged score still counts (0: only flags rank)."},
    )
    weights: dict[str, float] = field(
        default_factory=dict, metadata={"help": "Per-check weights overriding the defaults."}
    )


def model_trust(rows: list[dict]) -> float | None:
    """The model run's trust: the first check whose `trust` hook says something about it
    (iou_disagreement: min(1, 2 * mean IoU) of the run's top windows)."""
    by_check: dict[str, list[dict]] = {}
    for r in rows:
        by_check.setdefault(r["check"], []).append(r)
    for name in check_names():
        if name in by_check:
            trust = CHECKS.get(name).trust(by_check[name])
            if trust is not None:
                return trust
    return None


def weights_for(checks: list[str], cfg: RankingConfig, trust: float | None) -> dict[str, float]:
    out = {}
    for name in checks:
        cls = CHECKS.get(name) if name in CHECKS else None
        w = cfg.weights.get(name, cls.weight if cls else 0.5)
        if cls is not None and cls.model and trust is not None:
            w *= trust
        out[name] = float(w)
    return out


def rank(rows: list[dict], cfg: RankingConfig | None = None) -> tuple[list[dict], float | None]:
    """Priority rows (one per sample, ranked) for audit `rows`, and the model trust used."""
    cfg = cfg or RankingConfig()
    trust = model_trust(rows)
    weights = weights_for(sorted({r["check"] for r in rows}), cfg, trust)
    keep: dict[str, float] = {}
    issues: dict[str, list[str]] = {}
    audit_id = rows[0]["audit_id"] if rows else ""
    for r in rows:
        sid = r["sample_id"]
        keep.setdefault(sid, 1.0)
        issues.setdefault(sid, [])
        if r["score"] is None:
            continue
        sev = 1.0 - float(r["score"])
        if r["is_issue"]:
            issues[sid].append(r["check"])
        else:
            sev *= cfg.soft
        keep[sid] *= 1.0 - min(1.0, weights[r["check"]] * sev)
    order = sorted(keep, key=lambda s: (keep[s], -len(issues[s]), s))
    out = []
    for i, sid in enumerate(order, start=1):
        p = 1.0 - keep[sid]
        out.append(
            {
                "audit_id": audit_id,
                "sample_id": sid,
                "check": PRIORITY,
                "is_issue": bool(issues[sid]),
                "score": 1.0 - p,
                "detail": f"{len(issues[sid])} issue(s): {', '.join(issues[sid])}"
                if issues[sid]
                else "",
                "family": "ranking",
                "value": p,
                "data": None,
                "error": None,
                "rank": i,
            }
        )
    return out, trust


def ranked_ids(audits) -> list[str]:
    """Sample ids, worst first, from an audits table (the one reading of the ranking).

    When the table holds the audit's combined priority (rows with check ``priority`` and an
    integer ``rank``, written by `tvgcurate audit`), that ranking is used as is. Otherwise a
    sample's score is the minimum over its checks (0..1, lower = worse; a missing score
    counts as 1), ties broken by most issues, then id.
    """
    import pyarrow.compute as pc

    if "rank" in audits.column_names:
        prio = audits.filter(pc.equal(audits.column("check"), PRIORITY))
        if prio.num_rows:
            prio = prio.sort_by([("rank", "ascending"), ("sample_id", "ascending")])
            return list(dict.fromkeys(prio.column("sample_id").to_pylist()))
    worst: dict[str, float] = {}
    issues: dict[str, int] = {}
    for row in audits.select(["sample_id", "is_issue", "score"]).to_pylist():
        sid = row["sample_id"]
        score = 1.0 if row["score"] is None else float(row["score"])
        worst[sid] = min(worst.get(sid, 1.0), score)
        issues[sid] = issues.get(sid, 0) + (1 if row["is_issue"] else 0)
    return sorted(worst, key=lambda s: (worst[s], -issues[s], s))
