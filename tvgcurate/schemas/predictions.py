"""The `predictions` table as `tvgcurate score` writes it (one row per sample of a run): the
core PREDICTIONS columns plus the pooled answers' evidence and the sample's error."""

from __future__ import annotations

import pyarrow as pa

from tvgcurate.schemas import PREDICTIONS

PREDICTIONS_TABLE = pa.schema(
    list(PREDICTIONS)
    + [
        # K > 1 sampled answers: 1 - their mean pairwise agreement, and the share that refuse
        pa.field("iou_spread", pa.float64()),
        pa.field("refusal_rate", pa.float64()),
        pa.field("num_samples", pa.int64()),
        pa.field("samples_text", pa.list_(pa.string())),
        # the answer decoded with the refusal suppressed (its window is the row's best)
        pa.field("window_text", pa.string()),
        # why the sample has no answer (its inputs could not be built, the batch failed)
        pa.field("error", pa.string()),
    ]
)
