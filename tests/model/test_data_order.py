"""`sft.order`: "keyed" rows keep their places when other rows' labels change (data.mix)."""

import pytest

from tvgcurate.model.config import (
    ConfigError,
    GRPOStageConfig,
    PretrainStageConfig,
    SFTStageConfig,
)
from tvgcurate.model.data import companions, keyed, mix
from tvgcurate.model.inputs import ModelInput
from tvgcurate.model.sft import sft_args


def mi(i, rel, video="v"):
    windows = [[0.0, 1.0]] if rel == "relevant" else []
    return ModelInput(f"s{i}", [], [], "", [0.0, 1.0], rel, windows, 5.0, video_id=video)


ROWS = [mi(i, "relevant") for i in range(70)] + [mi(100 + i, "irrelevant") for i in range(60)]


def relabelled(rows, flips: dict[str, str]):
    """rows with the relevance of the named samples changed (a relabel round's edits)."""
    return [mi(int(m.sample_id[1:]), flips[m.sample_id]) if m.sample_id in flips else m for m in rows]


def ids(rows):
    return [m.sample_id for m in rows]


def common_order(a, b):
    both = set(ids(a)) & set(ids(b))
    return [i for i in ids(a) if i in both], [i for i in ids(b) if i in both]


FLIPS = {"s3": "irrelevant", "s40": "irrelevant", "s105": "relevant"}


def test_keyed_order_moves_only_the_rows_whose_labels_changed():
    before = mix(ROWS, 0.3, seed=7, order="keyed")
    after = mix(relabelled(ROWS, FLIPS), 0.3, seed=7, order="keyed")
    a, b = common_order(before, after)
    assert a == b  # every row in both mixes keeps its place relative to the others
    assert len(set(ids(before)) ^ set(ids(after))) <= 6  # only irrelevant rows at the margin
    assert len(a) >= len(before) - 3


def test_shuffled_order_redraws_every_row_after_one_edit():
    before = mix(ROWS, 0.3, seed=7)
    after = mix(relabelled(ROWS, FLIPS), 0.3, seed=7)
    a, b = common_order(before, after)
    assert a != b


def test_keyed_mix_keeps_the_share_and_the_pool_and_follows_the_seed():
    out = mix(ROWS, 0.3, seed=1, order="keyed")
    assert sum(m.relevance == "relevant" for m in out) == 70
    assert sum(m.relevance == "irrelevant" for m in out) == 30  # 0.3 / 0.7 x 70
    assert ids(mix(ROWS, 0.3, seed=1, order="keyed")) == ids(out)
    assert ids(mix(ROWS, 0.3, seed=2, order="keyed")) != ids(out)
    assert ids(out) != sorted(ids(out), key=lambda i: int(i[1:]))  # an order, not the input's
    pool = mix(ROWS, 0.3, seed=1, limit=20, order="keyed")
    assert len(pool) == 20 and sum(m.relevance != "relevant" for m in pool) == 6
    assert ids(mix(ROWS, None, seed=1, order="keyed")) == ids(keyed(ROWS, 1))
    with pytest.raises(ValueError, match="order"):
        mix(ROWS, 0.3, seed=1, order="sorted")


def test_keyed_companions_change_only_with_their_own_video():
    rows = [mi(i, "relevant", video=f"v{i % 4}") for i in range(40)]
    picks = companions(rows, 3, seed=2, order="keyed")
    names = [[rows[j].sample_id for j in js] for js in picks]
    fewer = [m for m in rows if m.video_id != "v3"]  # another video's rows are gone
    again = companions(fewer, 3, seed=2, order="keyed")
    kept = {m.sample_id: [fewer[j].sample_id for j in js] for m, js in zip(fewer, again, strict=True)}
    for m, n in zip(rows, names, strict=True):
        assert all(rows[int(x[1:])].video_id == m.video_id and x != m.sample_id for x in n)
        assert len(n) == 2
        if m.video_id != "v3":
            assert kept[m.sample_id] == n


def test_keyed_order_is_sfts_and_reads_rows_in_order():
    assert SFTStageConfig(order="keyed").order == "keyed"
    with pytest.raises(ConfigError, match="order must be one of"):
        SFTStageConfig(order="sorted")
    for cls in (PretrainStageConfig, GRPOStageConfig):
        with pytest.raises(ConfigError, match="'keyed' orders SFT rows"):
            cls(order="keyed")
    # the trainer reads the dataset as mix ordered it, the same every pass; shuffled: random
    keyed_args = sft_args(SFTStageConfig(order="keyed", max_steps=2), "/tmp/unused")
    assert keyed_args.train_sampling_strategy == "sequential"
    assert sft_args(SFTStageConfig(max_steps=2), "/tmp/unused").train_sampling_strategy == "random"
