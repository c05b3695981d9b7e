"""Cross-validation folds by video, for out-of-fold predictions (`tvgcurate loop --folds K`,
`tvgcurate train --fold i/K`, `tvgcurate score --fold i/K`).

A video's fold is a hash of its id and a seed, so every sample of a video lies in the same
fold (no video straddles two folds: the model that scores a row never saw that row's frames
with another query), the assignment needs no table to be stored, and it is the same in
every process and every round. Folds are numbered 0..K-1.

>>> fold_of("v1", 4) == fold_of("v1", 4)
True
>>> parse_fold("1/3")
(1, 3)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from tvgcurate.errors import TvgError


def fold_of(video_id: str, k: int, seed: int = 0) -> int:
    """The fold (0..k-1) of a video: sha256 of the seed and the id, modulo k."""
    if k < 1:
        raise TvgError(f"folds: K must be >= 1, got {k}")
    h = hashlib.sha256(f"{seed}:{video_id}".encode()).digest()
    return int.from_bytes(h[:8], "big") % k


def parse_fold(spec: str | None) -> tuple[int, int] | None:
    """'i/K' -> (i, K) with 0 <= i < K and K >= 2; None stays None."""
    if spec is None or spec == "":
        return None
    try:
        i, k = (int(x) for x in str(spec).split("/"))
    except ValueError:
        raise TvgError(f"--fold {spec!r}: write it as i/K, e.g. 0/4 (fold 0 of 4)") from None
    if k < 2 or not 0 <= i < k:
        raise TvgError(f"--fold {spec}: need K >= 2 and 0 <= i < K")
    return i, k


def assign(video_ids: Iterable[str], k: int, seed: int = 0) -> dict[str, int]:
    """video_id -> fold for each distinct id."""
    return {v: fold_of(v, k, seed) for v in dict.fromkeys(video_ids)}


def in_fold(video_id: str, spec: tuple[int, int], seed: int = 0) -> bool:
    """Whether `video_id` lies in fold spec = (i, K)."""
    i, k = spec
    return fold_of(video_id, k, seed) == i
