"""How well an audit finds known errors: per-check precision/recall against planted errors
(`demo-data --plant-errors` records them in ground_truth.json), precision@k of the ranking
(`curation.audit.ranking.precision_curve`, the one implementation) and an oracle predictions
table that stands in for a model that is right wherever the labels are.

    >>> precision_at_k(["a", "b", "c", "d"], {"a", "c"}, 2)
    0.5
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

# Which checks are meant to catch each planted kind (the kinds of tvgcurate.demo.plants.KINDS).
KIND_CHECKS: dict[str, tuple[str, ...]] = {
    "start_after_end": ("start_after_end",),
    "negative_time": ("negative_time",),
    "past_duration": ("past_duration",),
    "zero_length": ("zero_length",),
    "whole_video": ("whole_video",),
    "overlapping_windows": ("overlapping_windows",),
    "duration_mismatch": ("duration_mismatch",),
    "vid_span_mismatch": ("vid_span_mismatch",),
    "clip_ids_mismatch": ("clip_ids_mismatch",),
    "whitespace_query": ("whitespace_query",),
    "empty_query": ("empty_query",),
    "positional_leak": ("positional_leak",),
    "duplicate_query": ("duplicate_query",),
    "split_leak": ("split_leak",),
    "boundary_shift": ("boundary_precision", "iou_disagreement"),
    "repeated_event": ("multiple_occurrence",),
}


@dataclass
class CheckScore:
    check: str
    kinds: tuple[str, ...]  # planted kinds this check is meant to catch
    planted: int  # samples planted with those kinds
    flagged: int
    caught: int  # planted (those kinds) and flagged
    flagged_planted_any: int  # flagged samples carrying any planted error

    @property
    def recall(self) -> float | None:
        return self.caught / self.planted if self.planted else None

    @property
    def precision(self) -> float | None:
        """Share of flags that land on a planted error of any kind."""
        return self.flagged_planted_any / self.flagged if self.flagged else None


def flagged_by_check(audits: pa.Table) -> dict[str, set[str]]:
    issues = audits.filter(pc.fill_null(audits.column("is_issue"), False))
    out: dict[str, set[str]] = {}
    for sid, check in zip(
        issues.column("sample_id").to_pylist(), issues.column("check").to_pylist(), strict=True
    ):
        if check != "priority":
            out.setdefault(check, set()).add(sid)
    return out


def planted_scores(audits: pa.Table, planted: list[dict]) -> list[CheckScore]:
    """Precision/recall of every check present in `audits` against planted errors."""
    kind_of = {p["sample_id"]: p["kind"] for p in planted}
    flagged = flagged_by_check(audits)
    checks = [c for c in dict.fromkeys(audits.column("check").to_pylist()) if c != "priority"]
    out = []
    for check in checks:
        kinds = tuple(k for k, cs in KIND_CHECKS.items() if check in cs)
        targets = {s for s, k in kind_of.items() if k in kinds}
        f = flagged.get(check, set())
        out.append(
            CheckScore(check, kinds, len(targets), len(f), len(f & targets), len(f & set(kind_of)))
        )
    return out


def precision_at_k(ranked: list[str], positives: set[str], k: int) -> float:
    """Share of the first k ranked ids that are positives (`ranking.precision_curve` at k)."""
    from tvgcurate.curation.audit.ranking import precision_curve

    return precision_curve(ranked, positives, [k])[0]


def oracle_predictions(gt: dict, run_id: str = "oracle", jitter: float = 0.5) -> pa.Table:
    """Predictions of a model that knows what is in each video (from `ground_truth.json`):
    every query is answered with the true interval of the shape it names, nudged by `jitter`
    s, so it agrees with every correct label and disagrees with a wrong one."""
    rows = []
    for i, q in enumerate(gt["queries"]):
        sh = q["shape"]
        d = jitter * (1 if i % 2 else -1)
        rows.append(
            {
                "run_id": run_id,
                "sample_id": q["sample_id"],
                "windows": [
                    {"start": max(0.0, sh["start"] + d), "end": sh["end"] + d, "score": 1.0}
                ],
                "refused": False,
                "raw_text": f"<answer>{sh['start']:06.1f} to {sh['end']:06.1f}</answer>",
            }
        )
    return pa.Table.from_pylist(rows)


def markdown_table(scores: list[CheckScore]) -> str:
    lines = [
        "| check | meant for planted kinds | planted | flagged | caught | recall | precision |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in scores:
        r = "-" if s.recall is None else f"{s.recall:.2f}"
        p = "-" if s.precision is None else f"{s.precision:.2f}"
        kinds = ", ".join(s.kinds) or "(none planted)"
        lines.append(
            f"| {s.check} | {kinds} | {s.planted} | {s.flagged} | {s.caught} | {r} | {p} |"
        )
    return "\n".join(lines)
