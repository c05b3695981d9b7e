"""`partial`: a true query of the video joined to a clause that happens nowhere in it.

The clause is a donor query that `cross-video` would accept (similarity below --low to
every true query of the video), so the joined sentence as a whole is not grounded.
"""

from __future__ import annotations

from tvgcurate.curation.irrelevant.cross_video import CrossVideo
from tvgcurate.curation.irrelevant.text import ProperNouns, join_partial


class Partial(CrossVideo):
    """Accepts a clause as `cross-video` accepts a query (and relaxes the same way)."""

    name = "partial"

    relevance = "partial"

    def criterion(self) -> str:
        return f"clause similarity < --low {self.cfg.low:g}"

    def query(self, parent: str, donor: str, proper: ProperNouns) -> str:
        return join_partial(parent, donor, proper)
