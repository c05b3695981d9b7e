"""`hard`: a donor query in the similarity band - plausible, so humans review it."""

from __future__ import annotations

import numpy as np

from tvgcurate.curation.irrelevant.strategy import Strategy


class Hard(Strategy):
    name = "hard"

    needs_review = True

    def accept(self, best: np.ndarray) -> np.ndarray:
        lo, hi = self.cfg.band
        return (best >= lo) & (best < hi)

    def criterion(self) -> str:
        lo, hi = self.cfg.band
        return f"{lo:g} <= similarity < {hi:g} (--band)"

    def relax_hint(self) -> str:
        return "widen --band or lower --ratio"
