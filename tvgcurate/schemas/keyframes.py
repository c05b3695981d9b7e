"""Schemas of the keyframes stage's tables beyond the core `keyframes` table.

- `KEYFRAME_SHARD`: one shard of the stage's output (core keyframes columns + extras);
- `FRAMES`: the optional `frames` table (the resized frames as JPEG, --cache-frames).
"""

from __future__ import annotations

import pyarrow as pa

from tvgcurate.schemas import KEYFRAMES

KEYFRAME_EXTRA_COLUMNS = [
    ("sample_index", pa.int32()),
    ("weight", pa.float64()),
    ("policy", pa.string()),
    ("decoder", pa.string()),
    ("image", pa.binary()),  # JPEG of the resized frame (--cache-frames); not in `keyframes`
]
KEYFRAME_SHARD = pa.schema(list(KEYFRAMES) + [pa.field(n, t) for n, t in KEYFRAME_EXTRA_COLUMNS])
FRAMES = pa.schema(
    [
        ("video_id", pa.string()),
        ("frame_index", pa.int64()),
        ("timestamp_s", pa.float64()),
        ("height", pa.int32()),
        ("width", pa.int32()),
        ("image", pa.binary()),
        ("format", pa.string()),
    ]
)
