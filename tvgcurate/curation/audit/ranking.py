"""The combined priority: which samples humans should look at first.

Every check's row contributes a severity ``1 - score`` (scaled down by `soft` when no
threshold flagged it), weighted by the check's weight (a prior on how often its flags are
real errors). Severities combine as a noisy-OR, ``priority = 1 - prod(1 - w * severity)``:
one certain rule violation is enough for priority 1, and several weak signals add up.
Model checks are further weighted by the run's `trust`, earned on rows the model did not
train on (`measure_trust`): its agreement with the labels of the held-out splits (top-1 IoU
on relevant rows, refusal on irrelevant ones; P(refusal) when the run has `refusal_score`),
scaled so that agreement `trust_full` counts fully. A model that rarely agrees with any
held-out label (an early checkpoint) cannot tell a wrong label from its own mistake, so its
disagreement counts for little. Without held-out predictions (`score --split train`) the
trust falls back to the in-sample hook of the checks (`Check.trust`: min(1, 2 * mean IoU)),
and says so (`Trust.source`).

The ranking is written into the audits table as one row per sample with check ``priority``
(score = 1 - priority, so lower is worse as everywhere, and an integer ``rank``, 1 = first);
``tvgcurate relabel push --select audit:top=N`` reads it from there (`ranked_ids`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tvgcurate.curation.audit.base import CHECKS, check_names

PRIORITY = "priority"


class Trust(float):
    """The model trust (a float in 0..1) with how it was measured: `source` ("held-out" or
    "in-sample"), `rows` (how many rows it was measured on), `agreement` (the mean agreement
    before scaling) and `splits` (the held-out splits)."""

    source: str
    rows: int
    agreement: float | None
    splits: tuple[str, ...]

    def __new__(cls, value, source="held-out", rows=0, agreement=None, splits=()):
        obj = super().__new__(cls, value)
        obj.source, obj.rows, obj.agreement, obj.splits = source, rows, agreement, tuple(splits)
        return obj

    def describe(self) -> str:
        """One line for reports, e.g. "0.84 (held-out agreement 0.42 on 120 rows of val)"."""
        if self.source == "held-out":
            return (
                f"{float(self):.2f} (held-out agreement {self.agreement:.2f} on {self.rows} rows "
                f"of {', '.join(self.splits)})"
            )
        return f"{float(self):.2f} (in-sample: no held-out rows were scored)"

    def as_dict(self) -> dict:
        return {"trust": float(self), "source": self.source, "rows": self.rows,
                "agreement": self.agreement, "splits": list(self.splits)}  # fmt: skip


@dataclass
class RankingConfig:
    soft: float = field(
        default=0.25,
        metadata={"help": "How much an unflagged score still counts (0: only flags rank)."},
    )
    weights: dict[str, float] = field(
        default_factory=dict, metadata={"help": "Per-check weights overriding the defaults."}
    )
    train_split: str = field(
        default="train",
        metadata={"help": "The split the model trained on: trust is earned on the other splits."},
    )
    trust_full: float = field(
        default=0.5,
        metadata={
            "help": "Held-out agreement (mean IoU / refusal accuracy) that earns full trust."
        },
    )

    def __post_init__(self):
        from tvgcurate.errors import TvgError

        if not 0.0 < self.trust_full <= 1.0:
            raise TvgError(f"--trust-full {self.trust_full}: must be in (0, 1]")


def refusal_prob(pred: dict) -> float:
    """P(refusal) of one prediction: `refusal_score` when the run has it, else the share of
    K answers that refused, else the greedy `refused` flag (0 or 1)."""
    for key in ("refusal_score", "refusal_rate"):
        v = pred.get(key)
        if v is not None:
            return min(1.0, max(0.0, float(v)))
    return 1.0 if pred.get("refused") else 0.0


def agreement(row: dict, pred: dict) -> float:
    """How far one prediction agrees with its label (0..1): the top window's IoU with the
    label times P(answer) for a relevant row; P(refusal) for an irrelevant one."""
    from tvgcurate.curation.audit.context import is_relevant, windows_of
    from tvgcurate.curation.audit.model import top_iou

    p_ref = refusal_prob(pred)
    if not is_relevant(row):
        return p_ref
    label = windows_of(row)
    if not label:
        return 1.0 - p_ref
    iou = 0.0 if pred.get("refused") else top_iou(pred.get("windows") or [], label)
    return iou * (1.0 - p_ref) if pred.get("refusal_score") is not None else iou


def measure_trust(ctx, cfg: RankingConfig | None = None) -> Trust | None:
    """The model's trust, earned on the rows of `ctx` whose split is not the training split
    (None without predictions or held-out rows): min(1, mean agreement / trust_full)."""
    cfg = cfg or RankingConfig()
    preds = ctx.predictions or {}
    held, splits = [], set()
    for row in ctx.samples:
        p = preds.get(row["sample_id"])
        if p is None or p.get("error") or row.get("split") == cfg.train_split:
            continue
        held.append(agreement(row, p))
        splits.add(str(row.get("split")))
    if not held:
        return None
    mean = sum(held) / len(held)
    return Trust(min(1.0, mean / cfg.trust_full), "held-out", len(held), mean, sorted(splits))


def model_trust(rows: list[dict]) -> float | None:
    """The in-sample trust, from the audit rows alone: the first check whose `trust` hook
    says something about it (iou_disagreement: min(1, 2 * mean IoU) of the run's top windows).
    `measure_trust` (held-out rows) is preferred when the audit has them."""
    by_check: dict[str, list[dict]] = {}
    for r in rows:
        by_check.setdefault(r["check"], []).append(r)
    for name in check_names():
        if name in by_check:
            trust = CHECKS.get(name).trust(by_check[name])
            if trust is not None:
                n = sum(1 for r in by_check[name] if r["score"] is not None)
                return Trust(trust, "in-sample", n)
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


def rank(
    rows: list[dict], cfg: RankingConfig | None = None, ctx=None
) -> tuple[list[dict], Trust | None]:
    """Priority rows (one per sample, ranked) for audit `rows`, and the model trust used
    (earned on `ctx`'s held-out rows when it has some, else in-sample from the rows)."""
    cfg = cfg or RankingConfig()
    has_model = any(r["check"] in CHECKS and CHECKS.get(r["check"]).model for r in rows)
    trust = measure_trust(ctx, cfg) if ctx is not None and has_model else None
    if trust is None:
        trust = model_trust(rows)
    weights = weights_for(sorted({r["check"] for r in rows}), cfg, trust)
    keep, issues = _combine(rows, weights, cfg.soft)
    order = sorted(keep, key=lambda s: (keep[s], -len(issues[s]), s))
    audit_id = rows[0]["audit_id"] if rows else ""
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


def _combine(rows: list[dict], weights: dict[str, float], soft: float):
    """Noisy-OR of the rows' severities per sample: (1 - priority, issue checks) by sample."""
    keep: dict[str, float] = {}
    issues: dict[str, list[str]] = {}
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
            sev *= soft
        keep[sid] *= 1.0 - min(1.0, weights[r["check"]] * sev)
    return keep, issues


def ranked_by(rows: list[dict], keep_check, cfg: RankingConfig | None = None) -> list[str]:
    """Sample ids ranked by the noisy-OR of only the checks `keep_check(name)` accepts (no
    trust scaling), every other sample of `rows` after them in id order: the ranking of one
    check family, or of the model checks alone.

    >>> rows = [{"sample_id": "a", "check": "zero_length", "score": 1.0, "is_issue": False},
    ...         {"sample_id": "b", "check": "zero_length", "score": 0.0, "is_issue": True}]
    >>> ranked_by(rows, lambda name: True)
    ['b', 'a']
    """
    cfg = cfg or RankingConfig()
    mine = [r for r in rows if r["check"] != PRIORITY and keep_check(r["check"])]
    weights = weights_for(sorted({r["check"] for r in mine}), cfg, None)
    keep, issues = _combine(mine, weights, cfg.soft)
    order = sorted(keep, key=lambda s: (keep[s], -len(issues[s]), s))
    rest = sorted({r["sample_id"] for r in rows} - set(keep))
    return order + rest


def family_rankings(rows: list[dict], cfg: RankingConfig | None = None) -> dict[str, list[str]]:
    """`ranked_by` for every check family present in `rows`, plus "model" (all model
    checks) and "rules" (every other check)."""
    present = {r["check"] for r in rows if r["check"] in CHECKS}
    fams = sorted({CHECKS.get(n).family for n in present})
    out = {f: ranked_by(rows, lambda n, f=f: n in present and CHECKS.get(n).family == f, cfg)
           for f in fams}  # fmt: skip
    if any(CHECKS.get(n).model for n in present):
        out["model"] = ranked_by(rows, lambda n: n in present and CHECKS.get(n).model, cfg)
        out["rules"] = ranked_by(rows, lambda n: n in present and not CHECKS.get(n).model, cfg)
    return out


def precision_curve(ranked: list[str], positives: set[str], ks: list[int]) -> list[float]:
    """Precision@k of `ranked` for each k (the share of the first k that are positives)."""
    return [sum(1 for s in ranked[:k] if s in positives) / k if k > 0 else 0.0 for k in ks]


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
