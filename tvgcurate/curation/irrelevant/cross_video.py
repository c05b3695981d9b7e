"""`cross-video`: a query of another video, unlike every true query of the target."""

from __future__ import annotations

import numpy as np

from tvgcurate.curation.irrelevant.registry import Strategy, register


@register("cross-video")
class CrossVideo(Strategy):
    def accept(self, best: np.ndarray) -> np.ndarray:
        return best < self.cfg.low

    def criterion(self) -> str:
        return f"similarity < --low {self.cfg.low:g}"

    def relax_hint(self) -> str:
        return "raise --low or lower --ratio"
