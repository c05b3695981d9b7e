"""Ingest annotation files of the TVG datasets into the workspace.

Modules: `base` (the `READERS` registry, the result type, split and source inference), one
reader module per source format (`qvh_jsonl`, `charades`, `activitynet`), `run` (the
`tvgcurate ingest` library function).
"""

from tvgcurate.curation.ingest.base import READERS, detect_format
from tvgcurate.curation.ingest.run import IngestConfig, IngestReport, ingest

__all__ = ["READERS", "IngestConfig", "IngestReport", "detect_format", "ingest"]
