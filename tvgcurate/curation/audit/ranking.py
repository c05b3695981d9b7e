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
``tvgcurate relabel --select audit:top=N`` reads it from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tvgcurate.curation.audit.base import CHECKS

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
    """min(1, 2 * mean IoU) of the run's top windows, from the iou_disagreement rows."""
    ious = [r["score"] for r in rows if r["check"] == "iou_disagreement" and r["score"] is not None]
    if not ious:
        return None
    return float(min(1.0, 2.0 * float(np.mean(ious))))


def weights_for(checks: list[str], cfg: RankingConfig, trust: float | None) -> dict[str, float]:
    out = {}
    for name in checks:
        cls = CHECKS.get(name)
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
    """Sample ids worst first, from an audits table's priority rows (None when it has none)."""
    import pyarrow.compute as pc

    if "rank" not in audits.column_names:
        return None
    pr = audits.filter(pc.equal(audits.column("check"), PRIORITY))
    if pr.num_rows == 0:
        return None
    pr = pr.sort_by([("rank", "ascending"), ("sample_id", "ascending")])
    return pr.column("sample_id").to_pylist()
