"""The strategy registry (`STRATEGIES`): every strategy, registered explicitly here.

The strategies import only their base (`strategy`; `partial` builds on `cross_video`), and
this module imports them, so the family is complete as soon as the registry is, without an
import side effect elsewhere.
"""

from __future__ import annotations

from tvgcurate.curation.irrelevant.cross_video import CrossVideo
from tvgcurate.curation.irrelevant.hard import Hard
from tvgcurate.curation.irrelevant.partial import Partial
from tvgcurate.curation.irrelevant.strategy import Strategy
from tvgcurate.registry import Registry

STRATEGIES: Registry[type[Strategy]] = Registry("strategy")
for _cls in (CrossVideo, Hard, Partial):
    STRATEGIES.add(_cls.name, _cls)
