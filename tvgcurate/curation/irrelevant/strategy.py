"""The `Strategy` base: one small class per way of making a negative pair.

A strategy says which donors it accepts (a mask over max-similarity values), what the
synthetic query is, the relevance label, whether humans should review it, and which
option to relax when donors run short. `build` does everything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:
    from tvgcurate.curation.irrelevant.config import IrrelevantConfig
    from tvgcurate.curation.irrelevant.text import ProperNouns


class Strategy:
    """Base: a cross-video-like negative whose query is the donor query itself."""

    name: ClassVar[str] = ""  # its --strategy value
    relevance: ClassVar[str] = "irrelevant"
    needs_review: ClassVar[bool] = False

    def __init__(self, cfg: IrrelevantConfig):
        self.cfg = cfg

    def accept(self, best: np.ndarray) -> np.ndarray:
        """Which donors qualify, from their max similarity to the video's true queries."""
        raise NotImplementedError

    def criterion(self) -> str:
        """The acceptance rule in words, for messages."""
        raise NotImplementedError

    def relax_hint(self) -> str:
        """Which option to relax when donors run short."""
        raise NotImplementedError

    def query(self, parent: str, donor: str, proper: ProperNouns) -> str:  # noqa: ARG002
        """The synthetic query from the parent's and the donor's (normalised) queries."""
        return donor

    @property
    def origin(self) -> str:
        return f"synthetic:{self.name}"
