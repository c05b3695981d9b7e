"""`partial`: a true query of the video joined to a clause that happens nowhere in it.

The clause is a donor query that `cross-video` would accept (similarity below --low to
every true query of the video), so the joined sentence as a whole is not grounded.
"""

from __future__ import annotations

import numpy as np

from tvgcurate.curation.irrelevant.strategy import Strategy
from tvgcurate.curation.irrelevant.text import ProperNouns, join_partial


class Partial(Strategy):
    name = "partial"

    relevance = "partial"

    def accept(self, best: np.ndarray) -> np.ndarray:
        return best < self.cfg.low

    def criterion(self) -> str:
        return f"clause similarity < --low {self.cfg.low:g}"

    def relax_hint(self) -> str:
        return "raise --low or lower --ratio"

    def query(self, parent: str, donor: str, proper: ProperNouns) -> str:
        return join_partial(parent, donor, proper)
