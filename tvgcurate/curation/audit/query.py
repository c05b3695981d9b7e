"""Query text: empty or too short, stray whitespace, broken encoding, positional leakage."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from tvgcurate.curation.audit.base import Check, Finding, binary, register_check
from tvgcurate.keyvalue import setting
from tvgcurate.schemas.constants import ACTIVITYNET

WORD = re.compile(r"[^\W_]+", re.UNICODE)


class QueryCheck(Check):
    family = "query"


@dataclass
class ShortConfig:
    min_words: int = setting(2, "Flag queries with fewer words.")


@register_check
class EmptyQuery(QueryCheck):
    name = "empty_query"
    description = "an empty or too-short query"
    Config = ShortConfig

    def score_one(self, ctx, row):
        n = len(WORD.findall(row.get("query") or ""))
        detail = "empty query" if n == 0 else f"{n} word(s): {row['query'].strip()!r}"
        return Finding(row["sample_id"], min(1.0, n / 4), detail if n < 4 else "", float(n))

    def is_issue(self, f):
        return f.value is not None and f.value < self.config.min_words


@dataclass
class WhitespaceConfig:
    leading_space_sources: tuple[str, ...] = setting(
        (ACTIVITYNET,),
        "Sources whose native files start every sentence with one space "
        "(ActivityNet Captions): one leading space is not flagged there.",
    )


@register_check
class WhitespaceQuery(QueryCheck):
    name = "whitespace_query"
    description = "leading or trailing whitespace in the query"
    Config = WhitespaceConfig

    def score_one(self, ctx, row):
        q = row.get("query") or ""
        lead = len(q) - len(q.lstrip())
        trail = len(q) - len(q.rstrip())
        if lead == 1 and q[0] == " " and row.get("source") in self.config.leading_space_sources:
            lead = 0
        bad = bool(q.strip()) and (lead or trail)
        return binary(
            row["sample_id"], bool(bad), f"{lead} leading, {trail} trailing: {q!r}", lead + trail
        )

    def is_issue(self, f):
        return f.score is not None and f.score < 0.5


# Mojibake: UTF-8 read as Latin-1/cp1252 leaves these pairs behind.
MOJIBAKE = re.compile(r"[ÃÂ][\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ ¡-¿]|â€|ï»¿")


def encoding_problem(q: str) -> str | None:
    """Why a text looks broken (replacement char, mojibake, control chars), or None."""
    if "\ufffd" in q:
        return "U+FFFD replacement character"
    if MOJIBAKE.search(q):
        return f"mojibake {MOJIBAKE.search(q).group(0)!r}"
    for ch in q:
        cat = unicodedata.category(ch)
        if cat == "Cc" and ch not in "\t\n\r":
            return f"control character U+{ord(ch):04X}"
        if cat in ("Cs", "Co", "Cn"):
            return f"invalid code point U+{ord(ch):04X}"
    return None


@register_check
class BrokenEncoding(QueryCheck):
    name = "broken_encoding"
    description = "broken encoding: replacement characters, mojibake, control characters"

    def score_one(self, ctx, row):
        why = encoding_problem(row.get("query") or "")
        return binary(row["sample_id"], why is not None, why or "")


# Phrases that say WHERE the moment is instead of WHAT happens. Strong ones name the video's
# position outright; weak ones are also ordinary narration ("in the end he wins").
STRONG = [
    r"\b(at|in|near|towards?|by) the (very )?(beginning|start|end|middle|ending|close) of (the|this) "
    r"(video|clip|vlog|footage|film|recording)\b",
    r"\b(beginning|start|end|middle) of the (video|clip|vlog)\b",
    r"\b(end|ending|closing|opening) credits\b",
    r"\b(first|last|final) (few )?(seconds|frames|scene|shot) of the (video|clip)\b",
    r"\b(video|clip|vlog) (starts|begins|ends|opens|closes) (with|by)\b",
    r"\b(intro|outro) (of|to) the (video|clip|vlog)\b",
]
WEAK = [
    r"\bat the (very )?(beginning|start|end)\b",
    r"\bin the (very )?(beginning|end)\b",
    r"\b(at first|to begin with|finally|lastly)\b",
    r"\b(intro|outro)\b",
]
_STRONG = [re.compile(p, re.I) for p in STRONG]
_WEAK = [re.compile(p, re.I) for p in WEAK]


@dataclass
class PositionalConfig:
    flag_weak: bool = setting(
        False,
        "Also flag weak cues ('at the end', 'finally'), not only explicit "
        "positions in the video ('at the end of the video', 'end credits').",
    )


@register_check
class PositionalLeak(QueryCheck):
    name = "positional_leak"
    description = "the query says where the moment is ('at the beginning of the video')"
    Config = PositionalConfig

    def score_one(self, ctx, row):
        q = row.get("query") or ""
        for rx in _STRONG:
            m = rx.search(q)
            if m:
                return Finding(row["sample_id"], 0.0, f"says {m.group(0)!r}", 1.0)
        for rx in _WEAK:
            m = rx.search(q)
            if m:
                return Finding(row["sample_id"], 0.5, f"weak cue {m.group(0)!r}", 0.5)
        return Finding(row["sample_id"], 1.0, "", 0.0)

    def is_issue(self, f):
        return f.value is not None and (f.value >= 1.0 or (self.config.flag_weak and f.value > 0))
