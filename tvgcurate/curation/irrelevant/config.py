"""What `tvgcurate build-irrelevant` does, as one validated dataclass."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tvgcurate.curation.embeddings import EmbeddingRunConfig
from tvgcurate.curation.irrelevant.registry import STRATEGIES
from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import setting
from tvgcurate.schemas.constants import DEFAULT_ENCODER

# Similarity at or above which two queries count as near-duplicates (paraphrases): no
# threshold may let a donor that close become a negative.
NEAR_DUPLICATE = 0.9


@dataclass
class IrrelevantConfig:
    """Options of build-irrelevant. `ratio` is per strategy and per split (see docs)."""

    workspace: Path = setting(help="Workspace holding the samples table.")
    strategies: tuple[str, ...] = setting(
        ("cross-video",), "Strategies to run: cross-video, hard, partial."
    )
    ratio: float = setting(
        0.25, "Per strategy and split: adds round_half_up(ratio x relevant rows) rows, exactly."
    )
    low: float = setting(
        0.35, "cross-video/partial: donor's max cosine to the video's queries < low."
    )
    band: tuple[float, float] = setting(
        (0.35, 0.6), "hard: lo <= donor's max cosine to the video's queries < hi."
    )
    seed: int = setting(0, "Same seed and inputs -> identical rows.")
    splits: tuple[str, ...] = setting(
        ("train",), "Splits to build for; donors stay in their split."
    )
    replace: bool = setting(
        False, "Regenerate rows this command made before for the same split+strategy."
    )
    encoder: str = setting(DEFAULT_ENCODER, "Sentence encoder (registry name).")
    progress: bool = setting(True, "Show the embedding progress bar.")
    embedding: EmbeddingRunConfig = setting(
        factory=EmbeddingRunConfig,
        help="How the queries are embedded: executor, workers, shard size.",
    )

    def __post_init__(self):
        self.workspace = Path(self.workspace)
        self.strategies = tuple(dict.fromkeys(self.strategies))
        self.splits = tuple(dict.fromkeys(self.splits))
        if not self.strategies:
            raise TvgError("give at least one --strategy: " + ", ".join(STRATEGIES))
        for s in self.strategies:
            if s not in STRATEGIES:
                raise TvgError(f"unknown --strategy {s!r}; choose from: {', '.join(STRATEGIES)}")
        if not self.splits:
            raise TvgError("give at least one --split (e.g. --split train)")
        if not self.ratio > 0:
            raise TvgError(f"--ratio must be > 0 (got {self.ratio:g}); 0.25 adds one per four")
        if not 0 < self.low <= NEAR_DUPLICATE:
            raise TvgError(
                f"--low must be in (0, {NEAR_DUPLICATE}] (got {self.low:g}); at or above "
                f"{NEAR_DUPLICATE} donors are paraphrases of the video's queries"
            )
        lo, hi = self.band
        if not 0 <= lo < hi <= NEAR_DUPLICATE:
            raise TvgError(
                f"--band LO:HI needs 0 <= LO < HI <= {NEAR_DUPLICATE} (got {lo:g}:{hi:g}), "
                "e.g. --band 0.35:0.6"
            )


def parse_band(text: str) -> tuple[float, float]:
    """'0.35:0.6' -> (0.35, 0.6)."""
    try:
        lo, hi = (float(x) for x in text.split(":"))
    except ValueError:
        raise TvgError(f"--band must look like LO:HI, e.g. 0.35:0.6 (got {text!r})") from None
    return lo, hi


def target_count(ratio: float, relevant: int) -> int:
    """Rows one strategy adds to a split: ratio x relevant rows, rounded half up."""
    import math

    return math.floor(ratio * relevant + 0.5 + 1e-9)  # 1e-9: float noise in ratio*n
