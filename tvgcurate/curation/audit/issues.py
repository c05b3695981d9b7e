"""Which samples an audit flagged, split into annotation issues and model disagreements."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc


@dataclass
class IssueSets:
    annotation: set[str] = field(default_factory=set)  # flagged by a label-only check
    model: set[str] = field(default_factory=set)  # flagged by a check that reads predictions


def issue_sets(table: pa.Table) -> IssueSets:
    """The sample ids flagged (`is_issue`) in an audits table, by kind of check."""
    from tvgcurate.curation.audit.base import CHECKS

    flagged = table.filter(pc.fill_null(table.column("is_issue"), False))
    out = IssueSets()
    for sid, check in zip(flagged.column("sample_id").to_pylist(),
                          flagged.column("check").to_pylist(), strict=True):  # fmt: skip
        if check in CHECKS:
            (out.model if CHECKS.get(check).model else out.annotation).add(sid)
    return out
