"""Blocked search for donor queries by their similarity to a video's true queries.

Never builds an n x n matrix. Donors are visited in pools of `pool_size` (a fixed,
seeded permutation of all donors); for the videos that still need donors, one matmul
per chunk of at most `chunk_rows` query rows gives a (rows x pool) block, reduced to the
max over each video's queries (a (videos x pool) block), and each video takes its
still-needed donors among the accepted ones, lowest seeded priority first. A video whose
need is met leaves; later pools are scanned only for the rest, and a video is
*exhausted* only after every donor was tried. Peak memory is one block, about
`chunk_rows x pool_size x 4` bytes.

Priorities and the pool order are hashes of (seed, video key, donor key), so the choice
does not depend on how videos are chunked, and adding unrelated rows disturbs little.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

POOL_SIZE = 512
CHUNK_ROWS = 4096
_MAX = np.iinfo(np.uint64).max

Accept = Callable[[np.ndarray], np.ndarray]  # max-similarity block -> bool mask


def key64(text: str) -> int:
    """A stable 63-bit key of a string (video id, donor text)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") >> 1


def mix(seed: int, a: np.ndarray, b: np.ndarray | int = 0) -> np.ndarray:
    """splitmix64 of (seed, a, b), elementwise with broadcasting: a seeded random order."""
    with np.errstate(over="ignore"):
        x = np.asarray(a, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        x = x ^ (np.asarray(b, dtype=np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F))
        x = x ^ np.uint64((seed * 0xD6E8FEB86659FD93) & 0xFFFFFFFFFFFFFFFF)
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


@dataclass
class Groups:
    """Each video's true queries as rows of the embedding matrix (CSR layout)."""

    indptr: np.ndarray  # (n_videos + 1,)
    rows: np.ndarray  # indices into the embedding matrix
    keys: np.ndarray  # (n_videos,) uint64 stable video keys

    @classmethod
    def from_lists(cls, rows: list[list[int]], keys: list[int]) -> Groups:
        sizes = np.array([len(r) for r in rows], dtype=np.int64)
        if (sizes == 0).any():
            raise ValueError("every video needs at least one true query")
        indptr = np.concatenate([[0], np.cumsum(sizes)])
        flat = np.fromiter((i for r in rows for i in r), dtype=np.int64, count=int(sizes.sum()))
        return cls(indptr, flat, np.asarray(keys, dtype=np.uint64))

    def __len__(self) -> int:
        return len(self.keys)


@dataclass
class Pick:
    donor: int  # position in the donor list
    similarity: float  # max cosine of the donor to the video's true queries


@dataclass
class PairFinder:
    """Finds, per video, donors whose max similarity to its true queries is accepted."""

    emb: np.ndarray  # (n_texts, dim) float32, L2-normalised
    groups: Groups
    donor_rows: np.ndarray  # (n_donors,) rows of `emb`
    donor_keys: np.ndarray  # (n_donors,) uint64 stable donor keys
    seed: int = 0
    pool_size: int = POOL_SIZE
    chunk_rows: int = CHUNK_ROWS
    order: np.ndarray = field(init=False)

    def __post_init__(self):
        self.donor_keys = np.asarray(self.donor_keys, dtype=np.uint64)
        self.order = np.argsort(mix(self.seed, self.donor_keys, 1), kind="stable")

    @property
    def n_pools(self) -> int:
        return -(-len(self.donor_rows) // self.pool_size)

    def find(
        self, need: dict[int, int], used: dict[int, set[int]], accept: Accept
    ) -> tuple[dict[int, list[Pick]], set[int]]:
        """Up to need[g] new donors for each video g (never one in used[g]).

        Returns the picks per video and the videos left short after every donor was tried.
        """
        pending = {g: k for g, k in need.items() if k > 0}
        picks: dict[int, list[Pick]] = {g: [] for g in pending}
        for r in range(self.n_pools):
            if not pending:
                break
            pool = self.order[r * self.pool_size : (r + 1) * self.pool_size]
            pool_emb = self.emb[self.donor_rows[pool]]
            for chunk in self._chunks(sorted(pending)):
                self._scan(chunk, pool, pool_emb, pending, picks, used, accept)
        return picks, set(pending)

    def _chunks(self, gs: list[int]):
        sizes = np.diff(self.groups.indptr)
        chunk, rows = [], 0
        for g in gs:
            if chunk and rows + sizes[g] > self.chunk_rows:
                yield chunk
                chunk, rows = [], 0
            chunk.append(g)
            rows += int(sizes[g])
        if chunk:
            yield chunk

    def _scan(self, chunk, pool, pool_emb, pending, picks, used, accept) -> None:
        ip, rows = self.groups.indptr, self.groups.rows
        sel = np.concatenate([rows[ip[g] : ip[g + 1]] for g in chunk])
        sizes = np.array([ip[g + 1] - ip[g] for g in chunk])
        starts = np.cumsum(sizes) - sizes
        block = self.emb[sel] @ pool_emb.T  # (rows, pool)
        # Max over each video's rows: one gather per row rank (6x faster than reduceat).
        best = block[starts]
        for j in range(1, int(sizes.max())):
            np.maximum(best, block[starts + np.minimum(j, sizes - 1)], out=best)
        prio = mix(self.seed, self.groups.keys[chunk][:, None], self.donor_keys[pool][None, :])
        prio[~accept(best)] = _MAX
        for i, g in enumerate(chunk):
            taken = used.get(g)
            if taken:
                prio[i, np.isin(pool, list(taken))] = _MAX
        # Each video's k lowest priorities among its accepted, unused donors.
        k = np.array([pending[g] for g in chunk])
        kmax = int(min(k.max(), prio.shape[1]))
        if kmax == 1:
            top = prio.argmin(axis=1)[:, None]
        else:
            top = np.argpartition(prio, kmax - 1, axis=1)[:, :kmax]
            top = np.take_along_axis(top, np.take_along_axis(prio, top, 1).argsort(1), 1)
        ok = (np.take_along_axis(prio, top, 1) != _MAX) & (np.arange(kmax)[None, :] < k[:, None])
        for i in np.flatnonzero(ok.any(axis=1)):
            g = chunk[i]
            cols = top[i, ok[i]]
            picks[g].extend(Pick(int(pool[c]), float(best[i, c])) for c in cols)
            pending[g] -= len(cols)
            if pending[g] == 0:
                del pending[g]
