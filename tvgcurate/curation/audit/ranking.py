"""The combined priority: which samples humans should look at first.

Evidence, not votes. Each flag adds the log likelihood ratio of its check (`reliability`):
``w_c = ln((1 - f_c) / f_c)`` with ``f_c`` the check's false-alarm rate measured on the
audited rows, so a sample's evidence that its label is wrong is

    E(sample) = sum over the checks c that flag it of  m_c * w_c

(``m_c`` = 1 unless ``--weight c=M`` says otherwise). One decisive flag outranks several
weak ones: a check firing on 1% of rows adds ~4.6 nats, one firing on 45% adds ~0.2.
Samples are ranked by E, then by how many checks flag them, then by their severity (the
sum of ``w_c * (1 - score)`` over every measured check, flagged or not: it orders the
samples no threshold flagged), then by id.

The ranking is written into the audits table as one row per sample with check ``priority``:
``value = 1 - exp(-E)`` (0..1, higher = worse), ``score = exp(-E)`` (lower = worse, as
everywhere; it is the product of the flags' false-alarm odds ``f / (1 - f)``), an integer
``rank`` (1 = first), the flags with their weights in ``detail``, and in ``data`` (JSON)
``E`` and each flag's measured fire rate, false-alarm rate and weight.
``tvgcurate relabel push --select audit:top=N`` reads it from there (`ranked_ids`).

The model's held-out agreement (`measure_trust`: top-1 IoU on relevant rows, refusal on
irrelevant ones, on the rows it did not train on) is measured and reported beside it; it no
longer scales anything, since the model checks' fire rates already say how far the model
agrees with the labels.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import NamedTuple

from tvgcurate.curation.audit.base import CHECKS, check_names
from tvgcurate.curation.audit.predictions import agreement, folds
from tvgcurate.curation.audit.reliability import Reliability, estimate
from tvgcurate.keyvalue import setting

PRIORITY = "priority"


class Trust(float):
    """The model's agreement with the labels (a float in 0..1) with how it was measured:
    `source` ("held-out", "out-of-fold" or "in-sample"), `rows`, `agreement` (the mean before
    scaling) and `splits` (the held-out splits)."""

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
        if self.source == "out-of-fold":
            return f"{float(self):.2f} (out-of-fold agreement {self.agreement:.2f} on {self.rows} rows)"
        return f"{float(self):.2f} (in-sample: no held-out rows were scored)"

    def as_dict(self) -> dict:
        return {"trust": float(self), "source": self.source, "rows": self.rows,
                "agreement": self.agreement, "splits": list(self.splits)}  # fmt: skip


@dataclass
class RankingConfig:
    weights: dict[str, float] = setting(
        factory=dict, help="Per-check multipliers of the measured evidence (default 1; 0 mutes)."
    )
    train_split: str = setting(
        "train", "The split the model trained on: agreement is measured on the others."
    )
    decisive: float = setting(
        0.05,
        "False-alarm rate at or below which a check's flags are decisive: its rows "
        "are left out when the other checks' false-alarm rates are measured.",
    )

    def __post_init__(self):
        from tvgcurate.errors import TvgError

        if not 0.0 < self.decisive < 0.5:
            raise TvgError(f"--decisive {self.decisive}: must be in (0, 0.5)")


class Ranking(NamedTuple):
    """What `rank` returns: the priority rows (ranked), the model's agreement (None without
    predictions) and each check's measured reliability."""

    rows: list[dict]
    trust: Trust | None
    reliability: dict[str, Reliability]


def measure_trust(ctx, cfg: RankingConfig | None = None) -> Trust | None:
    """The model's mean agreement with the labels on rows it did not train on: every row
    when the run was scored out of fold (a `fold` on every prediction), else the rows whose
    split is not the training split. None without predictions or such rows."""
    cfg = cfg or RankingConfig()
    preds = ctx.predictions or {}
    oof = folds(preds) is not None
    held, splits = [], set()
    for row in ctx.samples:
        p = preds.get(row["sample_id"])
        if p is None or p.get("error") or (not oof and row.get("split") == cfg.train_split):
            continue
        held.append(agreement(row, p))
        splits.add(str(row.get("split")))
    if not held:
        return None
    mean = sum(held) / len(held)
    source = "out-of-fold" if oof else "held-out"
    return Trust(min(1.0, mean), source, len(held), mean, sorted(splits))


def model_trust(rows: list[dict]) -> float | None:
    """The in-sample agreement, from the audit rows alone: the first check whose `trust` hook
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


def multipliers(names, cfg: RankingConfig) -> dict[str, float]:
    """m_c of every check: --weight, else the class's `weight` (1.0 for built-in checks),
    0 for a check that does not read the label (`Check.reads_label`)."""
    out = {}
    for n in names:
        cls = CHECKS.get(n) if n in CHECKS else None
        default = (cls.weight if cls.reads_label else 0.0) if cls else 1.0
        out[n] = float(cfg.weights.get(n, default))
    return out


def label_blind(names, cfg: RankingConfig | None = None) -> list[str]:
    """The checks among `names` that add no evidence because they never read the label."""
    mult = multipliers(names, cfg or RankingConfig())
    return sorted(n for n in names if n in CHECKS and not CHECKS.get(n).reads_label
                  and mult[n] == 0.0)  # fmt: skip


@dataclass
class _Sample:
    evidence: float = 0.0
    severity: float = 0.0
    flags: list[tuple[str, float]] = field(default_factory=list)


def _combine(rows: list[dict], rel: dict[str, Reliability], mult: dict[str, float]):
    """Per sample: E (sum of m_c * w_c over its flags), severity and the flags."""
    out: dict[str, _Sample] = {}
    for r in rows:
        s = out.setdefault(r["sample_id"], _Sample())
        rc = rel.get(r["check"])
        if r["score"] is None or rc is None:
            continue
        w = mult.get(r["check"], 1.0) * rc.weight
        s.severity += w * (1.0 - float(r["score"]))
        if r["is_issue"]:
            s.evidence += w
            s.flags.append((r["check"], w))
    for s in out.values():
        s.flags.sort(key=lambda cw: (-cw[1], cw[0]))
    return out


def _order(per: dict[str, _Sample]) -> list[str]:
    """By evidence, then the flags that carry weight, then flagged before unflagged, then
    severity, then id. A check firing on half the rows or more weighs 0: how many such flags
    a row has must not order it."""

    def key(s: str):
        weighty = sum(w > 0 for _, w in per[s].flags)
        return (-per[s].evidence, -weighty, -bool(per[s].flags), -per[s].severity, s)

    return sorted(per, key=key)


def rank(
    rows: list[dict], cfg: RankingConfig | None = None, ctx=None, checks: dict | None = None
) -> Ranking:
    """Priority rows (one per sample, ranked) for audit `rows`, the model's agreement, and
    the reliability of every check. `checks`: the instances that wrote the rows (their
    thresholds define each check's alarm); `ctx`: for the model's held-out agreement."""
    cfg = cfg or RankingConfig()
    rows = [r for r in rows if r["check"] != PRIORITY]
    has_model = any(r["check"] in CHECKS and CHECKS.get(r["check"]).model for r in rows)
    trust = measure_trust(ctx, cfg) if ctx is not None and has_model else None
    if trust is None and has_model:
        trust = model_trust(rows)
    rel = estimate(rows, checks, cfg.decisive)
    per = _combine(rows, rel, multipliers(rel, cfg))
    audit_id = rows[0]["audit_id"] if rows else ""
    out = []
    for i, sid in enumerate(_order(per), start=1):
        s = per[sid]
        data = {
            "evidence": round(s.evidence, 6),
            "flags": {c: {"weight": round(w, 6), "fire_rate": round(rel[c].fire_rate, 6),
                          "false_alarm": round(rel[c].false_alarm, 6)} for c, w in s.flags},
        }  # fmt: skip
        out.append(
            {
                "audit_id": audit_id,
                "sample_id": sid,
                "check": PRIORITY,
                "is_issue": bool(s.flags),
                "score": math.exp(-s.evidence),
                "detail": f"evidence {s.evidence:.2f}: "
                + ", ".join(f"{c} +{w:.2f}" for c, w in s.flags)
                if s.flags
                else "",
                "family": "ranking",
                "value": 1.0 - math.exp(-s.evidence),
                "data": json.dumps(data, sort_keys=True) if s.flags else None,
                "error": None,
                "rank": i,
            }
        )
    return Ranking(out, trust, rel)


def weighing(
    rel: dict[str, Reliability], model_evidence: str | None = None, cfg: RankingConfig | None = None
) -> list[str]:
    """How the evidence was weighed, in two short lines (the CLI summary and the report)."""
    if not rel:
        return ["no check measured any sample: nothing to weigh"]
    line = "evidence: a flag adds ln((1-f)/f), f = its check's measured false-alarm rate"
    fired = sorted((r for r in rel.values() if r.flagged), key=lambda r: (-r.weight, r.check))
    parts = []
    if fired:
        parts.append("strongest " + fired[0].describe())
    if len(fired) > 1:
        parts.append("weakest " + fired[-1].describe())
    if blind := label_blind(rel, cfg):
        parts.append(f"{', '.join(blind)} reads no label: weighs 0")
    if model_evidence:
        parts.append(f"model evidence: {model_evidence}")
    return [line] + ([", ".join(parts)] if parts else [])


def ranked_by(
    rows: list[dict], keep_check, cfg: RankingConfig | None = None, checks: dict | None = None
) -> list[str]:
    """Sample ids ranked by the evidence of only the checks `keep_check(name)` accepts (the
    reliabilities measured on all of `rows`), every other sample of `rows` after them in id
    order: the ranking of one check family, or of the model checks alone.

    >>> rows = [{"sample_id": "a", "check": "zero_length", "score": 1.0, "is_issue": False},
    ...         {"sample_id": "b", "check": "zero_length", "score": 0.0, "is_issue": True}]
    >>> ranked_by(rows, lambda name: True)
    ['b', 'a']
    """
    cfg = cfg or RankingConfig()
    rows = [r for r in rows if r["check"] != PRIORITY]
    rel = estimate(rows, checks, cfg.decisive)
    mine = [r for r in rows if keep_check(r["check"])]
    order = _order(_combine(mine, rel, multipliers(rel, cfg)))
    rest = sorted({r["sample_id"] for r in rows} - set(order))
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
    """Precision@k of `ranked` for each k: the share of the first k that are positives (the
    one implementation; `demo.evaluate.precision_at_k` reads it).

    >>> precision_curve(["a", "b", "c", "d"], {"a", "c"}, [1, 2, 4, 0])
    [1.0, 0.5, 0.5, 0.0]
    """
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
