"""Duplicates inside one video: the same query twice, and near-duplicate queries (sentence
embeddings) that point at different windows (TimeLens's uniqueness criterion: a query must
single out one moment of its video)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from tvgcurate.curation.audit.base import Check, Finding, register_check
from tvgcurate.keyvalue import setting
from tvgcurate.metrics import pairwise_iou
from tvgcurate.schemas.sample import has_windows, stored_windows

_PUNCT = re.compile(r"[\s.,;:!?\"']+")


def normalise(q: str) -> str:
    """Case, spacing and punctuation folded: the text two annotators would call 'the same'."""
    return _PUNCT.sub(" ", (q or "").lower()).strip()


def window_iou(a: dict, b: dict) -> float:
    """Best IoU between any window of sample a and any of sample b (0 when one has none)."""
    wa = np.array([sorted(w) for w in stored_windows(a)], dtype=float).reshape(-1, 2)
    wb = np.array([sorted(w) for w in stored_windows(b)], dtype=float).reshape(-1, 2)
    if not len(wa) or not len(wb):
        return 0.0
    return float(pairwise_iou(wa, wb).max())


def _groups(ctx):
    """Per video, the relevant samples with a non-empty query."""
    for vid, rows in ctx.by_video.items():
        rows = [r for r in rows if has_windows(r) and normalise(r.get("query"))]
        if len(rows) > 1:
            yield vid, rows


@dataclass
class DuplicateConfig:
    flag_same_window: bool = setting(
        True,
        "Also flag a repeated query whose windows agree (redundant, score "
        "0.5); off: only repeats pointing elsewhere (ambiguous, score < 0.5).",
    )


@register_check
class DuplicateQuery(Check):
    name = "duplicate_query"
    family = "duplicates"
    description = "the same query twice in one video"
    Config = DuplicateConfig

    def is_issue(self, f):
        if f.value is None or f.value < 1 or f.score is None:
            return False
        return self.config.flag_same_window or f.score < 0.5 - 1e-9

    def score(self, ctx):
        out = []
        for _, rows in _groups(ctx):
            by_text: dict[str, list[dict]] = {}
            for r in rows:
                by_text.setdefault(normalise(r["query"]), []).append(r)
            for same in by_text.values():
                for r in same:
                    others = [o for o in same if o is not r]
                    if not others:
                        out.append(Finding(r["sample_id"], 1.0, "", 0.0))
                        continue
                    ious = [window_iou(r, o) for o in others]
                    k = int(np.argmin(ious))
                    # Same text, same window: redundant (0.5). Same text, other window: ambiguous (0).
                    out.append(
                        Finding(
                            r["sample_id"],
                            0.5 * ious[k],
                            f"same query as {others[k]['sample_id']} (window IoU {ious[k]:.2f})",
                            float(len(others)),
                            {"other": others[k]["sample_id"], "iou": round(ious[k], 4)},
                        )
                    )
        return out


# Sentence encoders put "opens the door" next to "closes the door" (cosine ~0.9 with
# MiniLM on Charades-STA). Two queries that differ by one of these opposites ask for
# different moments, so they are not near-duplicates (docs/audit.md has the evidence).
OPPOSITES = [
    ("open opens opening opened", "close closes closing closed shut shuts"),
    ("on", "off"),
    ("put puts putting", "take takes taking took"),
    ("sit sits sitting sat", "stand stands standing stood"),
    ("start starts starting started begin begins", "stop stops stopping stopped"),
    ("up", "down"),
    ("in into", "out"),
    ("enter enters entering entered", "leave leaves leaving left exit exits"),
]
_OPP = [(set(a.split()), set(b.split())) for a, b in OPPOSITES]
_WORDS = re.compile(r"[a-z]+")


def opposite(a: str, b: str) -> bool:
    """Whether two queries differ by a pair of opposites (open/close, on/off, ...)."""
    wa, wb = set(_WORDS.findall(a.lower())), set(_WORDS.findall(b.lower()))
    only_a, only_b = wa - wb, wb - wa
    return any((only_a & x and only_b & y) or (only_a & y and only_b & x) for x, y in _OPP)


@dataclass
class NearDuplicateConfig:
    min_similarity: float = setting(
        0.9, "Cosine similarity of two different query texts that counts as 'the same request'."
    )
    max_iou: float = setting(0.5, "... flagged when their windows overlap less than this.")


@register_check
class NearDuplicateQuery(Check):
    name = "near_duplicate_query"
    family = "duplicates"
    description = "a near-identical query of the same video points at a different window"
    requires = ("embeddings",)
    Config = NearDuplicateConfig

    def score(self, ctx):
        groups = list(_groups(ctx))
        texts = sorted({r["query"] for _, rows in groups for r in rows})
        if not texts:
            return []
        vecs = ctx.embed(texts)
        index = {t: i for i, t in enumerate(texts)}
        out = []
        for _, rows in groups:
            v = vecs[[index[r["query"]] for r in rows]]
            sim = np.clip(v @ v.T, -1.0, 1.0)
            norm = [normalise(r["query"]) for r in rows]
            for i, r in enumerate(rows):
                best = None  # (badness, sim, iou, j)
                for j, o in enumerate(rows):
                    if j == i or norm[j] == norm[i] or opposite(norm[i], norm[j]):
                        continue
                    iou = window_iou(r, o)
                    bad = float(sim[i, j]) * (1.0 - iou)
                    if best is None or bad > best[0]:
                        best = (bad, float(sim[i, j]), iou, j)
                if best is None:
                    out.append(Finding(r["sample_id"], 1.0, "", 0.0))
                    continue
                bad, s, iou, j = best
                out.append(
                    Finding(
                        r["sample_id"],
                        1.0 - max(bad, 0.0),
                        f"similar ({s:.2f}) to {rows[j]['sample_id']} {rows[j]['query'].strip()!r}, "
                        f"window IoU {iou:.2f}",
                        s,
                        {"other": rows[j]["sample_id"], "iou": round(iou, 4)},
                    )
                )
        return out

    def is_issue(self, f):
        if f.value is None or not f.data:
            return False
        return f.value >= self.config.min_similarity and f.data["iou"] < self.config.max_iou
