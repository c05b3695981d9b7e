"""Leakage: the same video annotated in more than one split."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tvgcurate.curation.audit.base import Check, Finding, register_check
from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import setting


@dataclass
class SplitLeakConfig:
    flag: str = setting(
        "minority",
        "minority: flag the samples in the split(s) holding fewer of the "
        "video's samples (the likely copy); all: every sample of a leaking video.",
    )

    def __post_init__(self):
        if self.flag not in ("minority", "all"):
            raise TvgError("split_leak.flag must be 'minority' or 'all'")


@register_check
class SplitLeak(Check):
    name = "split_leak"
    family = "leakage"
    description = "the same video in more than one split"
    Config = SplitLeakConfig

    def score(self, ctx):
        out = []
        for vid, rows in ctx.by_video.items():
            rows = [r for r in rows if (r.get("origin") or "source") == "source"]
            if not rows:
                continue
            counts = Counter(r.get("split") for r in rows)
            top = max(counts.values())
            for r in rows:
                own = counts[r.get("split")]
                if len(counts) == 1:
                    out.append(Finding(r["sample_id"], 1.0, "", 1.0))
                    continue
                others = ", ".join(
                    f"{s} ({n})" for s, n in sorted(counts.items()) if s != r.get("split")
                )
                minority = own < top or list(counts.values()).count(top) > 1
                out.append(
                    Finding(
                        r["sample_id"],
                        0.5 * own / len(rows),
                        f"video {vid} also in {others}",
                        own / len(rows),
                        {"minority": bool(minority)},
                    )
                )
        return out

    def is_issue(self, f):
        if f.value is None or f.value >= 1.0:
            return False
        return self.config.flag == "all" or bool((f.data or {}).get("minority"))
