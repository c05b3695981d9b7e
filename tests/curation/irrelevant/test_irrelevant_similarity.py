"""PairFinder (blocked scan) against a brute-force dense reference on small inputs."""

from __future__ import annotations

import numpy as np
import pytest

from tvgcurate.curation.irrelevant.similarity import Groups, PairFinder


def _data(seed=0, n_videos=30, per=3, dim=16):
    rng = np.random.default_rng(seed)
    emb = rng.normal(size=(n_videos * per, dim)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    groups = Groups.from_lists(
        [list(range(g * per, (g + 1) * per)) for g in range(n_videos)], list(range(n_videos))
    )
    donors = np.arange(n_videos * per)
    return emb, groups, donors


def _dense_best(emb, groups, donors):
    sims = emb @ emb[donors].T
    return np.stack(
        [
            sims[groups.rows[groups.indptr[g] : groups.indptr[g + 1]]].max(0)
            for g in range(len(groups))
        ]
    )


@pytest.mark.parametrize("pool_size,chunk_rows", [(7, 5), (16, 1000), (1000, 3)])
def test_picks_are_accepted_distinct_and_exact(pool_size, chunk_rows):
    emb, groups, donors = _data()
    finder = PairFinder(emb, groups, donors, donors.astype(np.uint64), 3, pool_size, chunk_rows)
    best = _dense_best(emb, groups, donors)
    need = {g: 4 for g in range(len(groups))}
    used = {0: {int(np.flatnonzero(best[0] < 0.2)[0])}}
    picks, short = finder.find(need, used, lambda b: b < 0.2)
    for g, ps in picks.items():
        ds = [p.donor for p in ps]
        assert len(ds) == len(set(ds))
        assert not set(ds) & used.get(g, set())
        for p in ps:
            assert best[g, p.donor] < 0.2
            assert p.similarity == pytest.approx(best[g, p.donor], abs=1e-5)
        avail = (best[g] < 0.2).sum() - len(used.get(g, ()))
        assert len(ps) == min(4, avail)
        assert (g in short) == (avail < 4)


def test_choice_does_not_depend_on_chunking():
    emb, groups, donors = _data(seed=1)
    need = {g: 2 for g in range(len(groups))}
    results = []
    for chunk_rows in (3, 10, 10_000):
        finder = PairFinder(emb, groups, donors, donors.astype(np.uint64), 9, 11, chunk_rows)
        picks, _ = finder.find(need, {}, lambda b: b < 0.3)
        results.append({g: [p.donor for p in ps] for g, ps in picks.items()})
    assert results[0] == results[1] == results[2]


def test_seed_changes_the_choice():
    emb, groups, donors = _data(seed=2)
    need = {g: 2 for g in range(len(groups))}
    a = PairFinder(emb, groups, donors, donors.astype(np.uint64), 0).find(
        need, {}, lambda b: b < 0.5
    )
    b = PairFinder(emb, groups, donors, donors.astype(np.uint64), 1).find(
        need, {}, lambda b: b < 0.5
    )
    assert {g: [p.donor for p in ps] for g, ps in a[0].items()} != {
        g: [p.donor for p in ps] for g, ps in b[0].items()
    }
