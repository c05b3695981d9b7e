"""PIR pairs: synthetic irrelevant and partially irrelevant video-query rows.

The specification: docs/dev/architecture.md §4.

Strategies live in a registry (`STRATEGIES`): cross-video, hard, partial. The entry point
is `build_irrelevant(IrrelevantConfig(...))`.
"""

from tvgcurate.curation.irrelevant.build import BuildResult, StrategyReport, build_irrelevant
from tvgcurate.curation.irrelevant.config import IrrelevantConfig, parse_band, target_count
from tvgcurate.curation.irrelevant.registry import STRATEGIES
from tvgcurate.curation.irrelevant.strategy import Strategy

__all__ = [
    "STRATEGIES",
    "BuildResult",
    "IrrelevantConfig",
    "Strategy",
    "StrategyReport",
    "build_irrelevant",
    "parse_band",
    "target_count",
]
