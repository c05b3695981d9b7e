"""`cross-video`: a query of another video, unlike every true query of the target."""

from __future__ import annotations

import numpy as np

from tvgcurate.curation.irrelevant.strategy import Strategy


class CrossVideo(Strategy):
    name = "cross-video"

    def accept(self, best: np.ndarray) -> np.ndarray:
        return best < self.cfg.low

    def criterion(self) -> str:
        return f"similarity < --low {self.cfg.low:g}"

    def relax_hint(self) -> str:
        return "raise --low or lower --ratio"
