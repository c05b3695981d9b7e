"""The `audits` table as `tvgcurate audit` writes it: the core columns plus the extras."""

from __future__ import annotations

import pyarrow as pa

from tvgcurate.schemas import AUDITS

AUDITS_EXTENDED = pa.schema(
    list(AUDITS)
    + [
        ("family", pa.string()),
        ("value", pa.float64()),
        ("data", pa.string()),
        ("error", pa.string()),
        ("rank", pa.int64()),
        ("run_id", pa.string()),
    ]
)
