"""Names and defaults defined once: the source datasets, the default encoder, the budget.

>>> from tvgcurate.schemas.constants import SOURCES
>>> SOURCES
('qvhighlights', 'charades-sta', 'activitynet', 'qvh-lines')
"""

from __future__ import annotations

# The datasets a sample can come from (the first part of a sample id).
QVHIGHLIGHTS = "qvhighlights"
CHARADES_STA = "charades-sta"
ACTIVITYNET = "activitynet"
QVH_LINES = "qvh-lines"  # Lighthouse-converted QVH-style lines (dataset inferred from the name)
SOURCES = (QVHIGHLIGHTS, CHARADES_STA, ACTIVITYNET, QVH_LINES)

# The sentence encoder every stage uses unless told otherwise (a registry name).
DEFAULT_ENCODER = "all-MiniLM-L6-v2"

# Visual tokens per video shared out by the SAA keyframes stage (Qwen2.5-VL budget).
DEFAULT_BUDGET_TOKENS = 3584
