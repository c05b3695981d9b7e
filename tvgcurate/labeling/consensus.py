"""Consensus over annotators, and the corrected samples version.

Per sample, from the latest annotation of each annotator on a task that showed the
sample's *current* content (``sample_hash``):

1. the verdict needs a strict majority (two annotators must agree);
2. for ``relevant`` / ``partial`` verdicts, the majority's windows must have the same count
   and a mean pairwise IoU (of the window sets) of at least ``min_iou``; the consensus
   window takes the median of each boundary;
3. a rewritten query is the most frequent non-empty rewrite (earliest on a tie).

Samples that pass get the corrected windows, query and relevance, ``origin=relabel:<round>``,
``needs_review=False`` and the previous values in ``prev_windows`` / ``prev_query`` /
``prev_relevance`` / ``prev_origin`` (``relabel_parent_version`` names the samples version
they were read from, which stays in the workspace). Samples whose annotators disagree are
kept out: their row is left as it was (with ``needs_review=True``) and they are listed.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa

from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import setting
from tvgcurate.labeling import records
from tvgcurate.labeling.offline import sample_hash
from tvgcurate.schemas.labels import CONSENSUS_COLUMNS
from tvgcurate.workspace import Workspace

WINDOWED = ("relevant", "partial")
VERDICT_TO_RELEVANCE = {"relevant": "relevant", "partial": "partial", "irrelevant": "irrelevant"}
EXTRA_COLUMNS = CONSENSUS_COLUMNS  # added to samples (tvgcurate.schemas.labels)


@dataclass
class ConsensusConfig:
    workspace: Path = setting(help="Workspace directory.")
    project: str | None = setting(None, "Only labels of this project.")
    round: str | None = setting(None, "Round name for origin=relabel:<round> (default: project).")
    min_iou: float = setting(0.5, "Mean pairwise IoU the annotators' windows must reach.")
    min_annotators: int | None = setting(
        None, "Annotators a sample needs (default: the project's overlap, else 1)."
    )

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_iou <= 1.0:
            raise TvgError(f"--min-iou {self.min_iou}: must be between 0 and 1")
        if self.min_annotators is not None and self.min_annotators < 1:
            raise TvgError(f"--min-annotators {self.min_annotators}: must be at least 1")
        if self.round is None:
            if not self.project:
                raise TvgError("consensus needs --project or --round to name the round")
            self.round = records.slug(self.project)


@dataclass(frozen=True)
class Vote:
    annotator: str
    verdict: str
    windows: tuple[tuple[float, float], ...]
    rewritten_query: str | None = None
    created_at: str = ""


@dataclass
class Decision:
    sample_id: str
    status: str  # accepted | disagree | unclear | too_few
    reason: str = ""
    verdict: str | None = None
    windows: list[tuple[float, float]] = field(default_factory=list)
    query: str | None = None
    agreement: float | None = None
    annotators: int = 0


def set_iou(a: tuple[tuple[float, float], ...], b: tuple[tuple[float, float], ...]) -> float:
    """IoU of two sets of intervals (union of each set). Two empty sets agree (1.0)."""

    def merge(ws):
        out: list[list[float]] = []
        for s, e in sorted(ws):
            if out and s <= out[-1][1]:
                out[-1][1] = max(out[-1][1], e)
            else:
                out.append([s, e])
        return out

    ma, mb = merge(a), merge(b)
    la = sum(e - s for s, e in ma)
    lb = sum(e - s for s, e in mb)
    inter, i, j = 0.0, 0, 0
    while i < len(ma) and j < len(mb):
        lo, hi = max(ma[i][0], mb[j][0]), min(ma[i][1], mb[j][1])
        inter += max(0.0, hi - lo)
        if ma[i][1] < mb[j][1]:
            i += 1
        else:
            j += 1
    union = la + lb - inter
    if union <= 0:
        return 1.0
    return inter / union


def decide(sample_id: str, votes: list[Vote], cfg: ConsensusConfig) -> Decision:
    """The consensus of one sample's votes (pure; see the module docstring)."""
    n = len(votes)
    need = cfg.min_annotators or 1
    if n < need:
        return Decision(sample_id, "too_few", f"{n} of {need} annotators", annotators=n)
    counts = Counter(v.verdict for v in votes)
    verdict, top = counts.most_common(1)[0]
    if top * 2 <= n and n > 1:
        spread = ", ".join(f"{k}={c}" for k, c in sorted(counts.items()))
        return Decision(sample_id, "disagree", f"verdicts differ ({spread})", annotators=n)
    if verdict == "unclear":
        return Decision(
            sample_id, "unclear", "annotators marked the query unclear", verdict, annotators=n
        )
    majority = [v for v in votes if v.verdict == verdict]
    windows: list[tuple[float, float]] = []
    agreement = 1.0
    if verdict in WINDOWED:
        if any(not v.windows for v in majority):
            return Decision(
                sample_id,
                "disagree",
                f"a '{verdict}' verdict without a window",
                verdict,
                annotators=n,
            )
        sizes = {len(v.windows) for v in majority}
        if len(sizes) > 1:
            return Decision(
                sample_id,
                "disagree",
                f"different numbers of windows {sorted(sizes)}",
                verdict,
                annotators=n,
            )
        pairs = [
            set_iou(a.windows, b.windows) for i, a in enumerate(majority) for b in majority[i + 1 :]
        ]
        agreement = sum(pairs) / len(pairs) if pairs else 1.0
        if agreement < cfg.min_iou:
            return Decision(
                sample_id, "disagree", f"window IoU {agreement:.2f} < {cfg.min_iou:.2f}",
                verdict, agreement=agreement, annotators=n,
            )  # fmt: skip
        k = sizes.pop()
        for idx in range(k):
            starts = [sorted(v.windows)[idx][0] for v in majority]
            ends = [sorted(v.windows)[idx][1] for v in majority]
            windows.append((float(statistics.median(starts)), float(statistics.median(ends))))
    rewrites = [v for v in sorted(votes, key=lambda v: v.created_at) if v.rewritten_query]
    query = None
    if rewrites:
        freq = Counter(v.rewritten_query for v in rewrites)
        best = max(freq.values())
        query = next(v.rewritten_query for v in rewrites if freq[v.rewritten_query] == best)
    return Decision(sample_id, "accepted", "", verdict, windows, query, agreement, n)


def latest_votes(labels: pa.Table, project: str | None) -> dict[tuple[str, str], list[Vote]]:
    """(sample_id, sample_hash) -> the latest vote of each annotator (errors left out)."""
    rows = labels.to_pylist()
    latest_rev: dict[tuple, dict] = {}
    for r in rows:
        if project and r.get("project") != project:
            continue
        key = (r.get("project"), r.get("annotation_id"))
        if key not in latest_rev or str(r.get("updated_at")) > str(
            latest_rev[key].get("updated_at")
        ):
            latest_rev[key] = r
    per_annotator: dict[tuple, dict] = {}
    for r in latest_rev.values():
        if r.get("error") or not r.get("verdict"):
            continue
        key = (r["sample_id"], r.get("sample_hash"), r.get("annotator"))
        if key not in per_annotator or str(r.get("updated_at")) > str(
            per_annotator[key].get("updated_at")
        ):
            per_annotator[key] = r
    out: dict[tuple[str, str], list[Vote]] = {}
    for (sid, h, who), r in sorted(per_annotator.items(), key=lambda kv: str(kv[0])):
        ws = tuple(sorted((w["start"], w["end"]) for w in (r.get("windows") or [])))
        out.setdefault((sid, h), []).append(
            Vote(who, r["verdict"], ws, r.get("rewritten_query"), str(r.get("created_at") or ""))
        )
    return out


@dataclass
class ConsensusResult:
    round: str
    decisions: list[Decision]
    stale: int = 0
    samples_version: int | None = None
    report: Path | None = None
    changed: list[str] = field(default_factory=list)  # accepted, and the label is not the same

    def by_status(self, status: str) -> list[Decision]:
        return [d for d in self.decisions if d.status == status]


def _stale_clip_fields(row: dict, windows: list[tuple[float, float]]) -> dict:
    """QVH clip ids and saliency describe the old windows; drop them when windows moved."""
    old = sorted((w["start"], w["end"]) for w in row.get("windows") or [])
    same = len(old) == len(windows) and all(
        abs(a - c) < 1e-9 and abs(b - d) < 1e-9 for (a, b), (c, d) in zip(old, sorted(windows))
    )
    return {} if same else {"relevant_clip_ids": None, "saliency": None}


def _label_changed(row: dict, d: Decision) -> bool:
    """Whether an accepted decision changes the row's relevance, windows or query."""
    old = sorted((w["start"], w["end"]) for w in row.get("windows") or [])
    new = sorted(d.windows)
    same_windows = len(old) == len(new) and all(
        abs(a - c) < 1e-6 and abs(b - e) < 1e-6 for (a, b), (c, e) in zip(old, new)
    )
    return (
        VERDICT_TO_RELEVANCE[d.verdict or "relevant"] != (row.get("relevance") or "relevant")
        or not same_windows
        or bool(d.query and d.query != row.get("query"))
    )


def _with_extra_columns(table: pa.Table) -> pa.Table:
    for f in EXTRA_COLUMNS:
        if f.name not in table.column_names:
            table = table.append_column(f, pa.nulls(table.num_rows, f.type))
    return table


def apply_consensus(cfg: ConsensusConfig) -> ConsensusResult:
    """Decide every labelled sample and write the corrected samples version (if any change)."""
    ws = Workspace(cfg.workspace)
    assert cfg.round is not None
    tv = ws.current("samples")
    if tv is None:
        raise TvgError(f"{ws.root}: no samples table")
    samples = ws.read("samples")
    votes = latest_votes(ws.read("labels"), cfg.project)
    rows = samples.to_pylist()
    result = ConsensusResult(cfg.round, [])
    origin = f"relabel:{cfg.round}"
    changed = False
    current = {r["sample_id"]: (i, sample_hash(r)) for i, r in enumerate(rows)}
    matched: set[str] = set()
    for (sid, h), vs in votes.items():
        if sid not in current or current[sid][1] != h:
            result.stale += 1  # a task that showed an older content of the sample
            continue
        matched.add(sid)
        i = current[sid][0]
        row = rows[i]
        if row.get("relabel_round") == cfg.round and row.get("origin") == origin:
            continue  # already applied in this round
        d = decide(sid, vs, cfg)
        result.decisions.append(d)
        if d.status == "accepted":
            if _label_changed(row, d):
                result.changed.append(sid)
            rows[i] = {
                **row,
                "prev_windows": row.get("windows") or [],
                "prev_query": row.get("query"),
                "prev_relevance": row.get("relevance"),
                "prev_origin": row.get("origin"),
                "windows": [{"start": s, "end": e} for s, e in d.windows],
                **_stale_clip_fields(row, d.windows),
                "query": d.query or row.get("query"),
                "relevance": VERDICT_TO_RELEVANCE[d.verdict or "relevant"],
                "origin": origin,
                "needs_review": False,
                "relabel_round": cfg.round,
                "relabel_annotators": d.annotators,
                "relabel_agreement": d.agreement,
                "relabel_parent_version": tv.version,
            }
            changed = True
        elif d.status in ("disagree", "unclear") and not row.get("needs_review"):
            rows[i] = {**row, "needs_review": True}
            changed = True
    result.decisions.sort(key=lambda d: d.sample_id)
    report = (
        records.project_dir(ws, cfg.project or cfg.round)
        / f"consensus-{records.slug(cfg.round)}.json"
    )
    report.write_text(
        json.dumps(
            {"round": cfg.round, "time": records.now(), "stale": result.stale,
             "decisions": [asdict(d) for d in result.decisions]},
            indent=1,
        ),
        encoding="utf-8",
    )  # fmt: skip
    result.report = report
    if changed:
        base = _with_extra_columns(samples)
        table = pa.Table.from_pylist(rows, schema=_with_extra_columns(base).schema)
        accepted = len(result.by_status("accepted"))
        new = ws.write(
            "samples", table, note=f"relabel consensus {origin}: {accepted} corrected samples"
        )
        result.samples_version = new.version
    return result
