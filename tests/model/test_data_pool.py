"""`max_rows`: a stage's fixed pool of rows (tvgcurate.model.data.mix, limit)."""

import pytest

from tvgcurate.model.config import ConfigError, StageConfig
from tvgcurate.model.data import mix
from tvgcurate.model.inputs import ModelInput


def mi(i, rel):
    return ModelInput(f"s{i}", [], [], "", [], rel, [[0.0, 1.0]] if rel == "relevant" else [], 5.0)


ROWS = [mi(i, "relevant") for i in range(70)] + [mi(100 + i, "irrelevant") for i in range(60)]


def test_a_pool_keeps_the_share_and_is_the_same_for_the_same_seed():
    pool = mix(ROWS, 0.3, seed=1, limit=20)
    assert len(pool) == 20
    assert sum(m.relevance != "relevant" for m in pool) == 6  # 30 of the full mix's 100
    assert len({m.sample_id for m in pool}) == 20
    assert [m.sample_id for m in mix(ROWS, 0.3, seed=1, limit=20)] == [m.sample_id for m in pool]
    assert [m.sample_id for m in mix(ROWS, 0.3, seed=2, limit=20)] != [m.sample_id for m in pool]


def test_a_limit_above_the_mix_changes_nothing():
    assert mix(ROWS, 0.3, seed=0, limit=1000) == mix(ROWS, 0.3, seed=0)
    assert mix(ROWS, None, seed=0, limit=1000) == ROWS
    assert len(mix(ROWS, None, seed=0, limit=13)) == 13


def test_max_rows_must_be_positive():
    assert StageConfig(max_rows=120).max_rows == 120
    with pytest.raises(ConfigError, match="max_rows"):
        StageConfig(max_rows=0)
