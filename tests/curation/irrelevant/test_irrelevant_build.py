"""build-irrelevant: determinism, exact ratio, no duplicates, no near-duplicate negatives,
provenance, clean failures. Unit tests use the hashing encoder; one test uses the real
model on real queries."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import independent_similarities, load_lines, sample_rows
from tvgcurate.curation.irrelevant import STRATEGIES, IrrelevantConfig, build_irrelevant
from tvgcurate.errors import TvgError
from tvgcurate.workspace import Workspace

NEAR_DUPLICATE = 0.9  # the test's own notion of a paraphrase (cosine)

_VOCAB = (
    "person opens closes door window laptop phone book cup glass sits stands walks "
    "runs table chair bed sofa kitchen food eats drinks water coffee laughs sneezes "
    "dog cat ball throws holds towel shoes camera car drives boat swims pool guitar "
    "plays sings"
)
WORDS = _VOCAB.split()


def synthetic_items(n_videos=40, per=(1, 4), splits=("train", "val"), seed=0):
    rng = random.Random(seed)
    items = []
    for v in range(n_videos):
        split = splits[v % len(splits)]
        for _ in range(rng.randint(*per)):
            q = " ".join(rng.sample(WORDS, rng.randint(3, 6))) + "."
            items.append((f"vid{v:03d}", q, split))
    return items


def run(root, hashing, **kw):
    kw.setdefault("strategies", tuple(STRATEGIES))
    kw.setdefault("progress", False)
    return build_irrelevant(IrrelevantConfig(workspace=root, **kw), encoder=hashing)


def synthetic(root):
    return [r for r in Workspace(root).read("samples").to_pylist() if r["origin"] != "source"]


def test_deterministic_for_a_seed(make_ws, hashing):
    rows = sample_rows(synthetic_items())
    a, b, c = make_ws(rows), make_ws(rows), make_ws(rows)
    run(a, hashing, splits=("train", "val"))
    run(b, hashing, splits=("train", "val"))
    run(c, hashing, splits=("train", "val"), seed=1)
    assert synthetic(a) == synthetic(b)
    assert len(synthetic(a)) > 0
    assert [r["query"] for r in synthetic(a)] != [r["query"] for r in synthetic(c)]


def test_row_order_of_the_input_does_not_matter(make_ws, hashing):
    rows = sample_rows(synthetic_items())
    a, b = make_ws(rows), make_ws(list(reversed(rows)))
    run(a, hashing)
    run(b, hashing)
    key = lambda r: r["sample_id"]  # noqa: E731
    assert sorted(synthetic(a), key=key) == sorted(synthetic(b), key=key)


@pytest.mark.parametrize("ratio", [0.1, 0.25, 0.5, 1.0, 1.5])
def test_exact_ratio_per_split_and_strategy(make_ws, hashing, ratio):
    items = synthetic_items(n_videos=60, splits=("train", "val", "test"), seed=3)
    root = make_ws(sample_rows(items))
    result = run(root, hashing, ratio=ratio, low=0.5, splits=("train", "val", "test"))
    relevant = Counter(split for _, _, split in items)
    counts = Counter((r["split"], r["origin"]) for r in synthetic(root))
    for split, n in relevant.items():
        for name in STRATEGIES:
            assert counts[(split, f"synthetic:{name}")] == math.floor(ratio * n + 0.5)
    assert result.added == sum(counts.values())


def test_no_duplicate_video_query_pairs_and_unique_ids(make_ws, hashing):
    root = make_ws(sample_rows(synthetic_items(seed=5)))
    run(root, hashing, ratio=1.0, low=0.5, strategies=("cross-video", "partial"))
    run(root, hashing, ratio=1.0, band=(0.3, 0.8), strategies=("hard",))  # a second run
    rows = Workspace(root).read("samples").to_pylist()
    ids = Counter(r["sample_id"] for r in rows)
    assert max(ids.values()) == 1
    source_pairs = {
        (r["video_id"], " ".join(r["query"].split())) for r in rows if r["origin"] == "source"
    }
    syn_pairs = Counter((r["video_id"], " ".join(r["query"].split())) for r in synthetic(root))
    assert max(syn_pairs.values()) == 1
    assert not set(syn_pairs) & source_pairs


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_names_its_provenance(make_ws, hashing, name):
    root = make_ws(sample_rows(synthetic_items(seed=7)))
    run(root, hashing, strategies=(name,), band=(0.2, 0.8), splits=("train", "val"))
    all_rows = {r["sample_id"]: r for r in Workspace(root).read("samples").to_pylist()}
    rows = synthetic(root)
    assert rows
    strat = STRATEGIES[name]
    for r in rows:
        parent, donor = all_rows[r["parent_sample_id"]], all_rows[r["donor_sample_id"]]
        assert r["origin"] == f"synthetic:{name}"
        assert r["relevance"] == strat.relevance
        assert r["windows"] == []
        assert r["needs_review"] is strat.needs_review
        assert r["similarity"] is not None
        assert r["sample_id"].startswith(f"{r['parent_sample_id']}~{name}~")
        assert parent["relevance"] == "relevant" and parent["video_id"] == r["video_id"]
        assert donor["split"] == parent["split"] == r["split"]  # donors never cross splits
        assert donor["video_id"] != r["video_id"]
        if name == "partial":
            assert r["query"].startswith(parent["query"].rstrip("."))
            assert ", and then " in r["query"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    n_videos=st.integers(4, 25),
    low=st.floats(0.2, 0.6),
    lo=st.floats(0.2, 0.5),
    width=st.floats(0.1, 0.4),
    ratio=st.sampled_from([0.25, 0.5, 1.0]),
)
def test_property_no_near_duplicate_negatives(
    make_ws, hashing, seed, n_videos, low, lo, width, ratio
):
    items = synthetic_items(n_videos=n_videos, splits=("train",), seed=seed)
    # Paraphrase-like neighbours: other videos get shuffled copies of some true queries.
    rng = random.Random(seed)
    for vid, q, split in list(items):
        if rng.random() < 0.3:
            words = q.rstrip(".").split()
            rng.shuffle(words)
            items.append((f"{vid}-twin", " ".join(words) + ".", split))
    root = make_ws(sample_rows(items))
    band = (lo, min(lo + width, 0.9))
    try:
        run(root, hashing, ratio=ratio, low=low, band=band)
    except TvgError as exc:  # too few donors: a clear message, nothing written
        assert "found only" in str(exc) and "--" in str(exc)
        assert len(Workspace(root).versions("samples")) == 1
        return
    checked = independent_similarities(root, hashing.name)
    assert checked
    for r in checked:
        assert r["checked"] < NEAR_DUPLICATE
        assert r["checked"] == pytest.approx(r["similarity"], abs=1e-4)
        if r["origin"] == "synthetic:hard":
            assert band[0] - 1e-4 <= r["checked"] < band[1] + 1e-4
        else:
            assert r["checked"] < low + 1e-4


def test_too_few_donors_fails_clearly_and_writes_nothing(make_ws, hashing):
    # Every query is the same bag of words: every donor is a paraphrase of every video.
    items = [
        (f"v{i}", "person opens the door." if i % 2 else "the door person opens.", "train")
        for i in range(8)
    ]
    root = make_ws(sample_rows(items))
    with pytest.raises(TvgError) as err:
        run(root, hashing, strategies=("cross-video",))
    msg = str(err.value)
    assert "found only 0 of the 2 pairs" in msg and "raise --low" in msg
    with pytest.raises(TvgError, match=r"found only 0 of the 2 pairs.*widen --band"):
        run(root, hashing, strategies=("hard",))
    assert len(Workspace(root).versions("samples")) == 1


def test_shortfall_counts_what_was_found(make_ws, hashing):
    items = [
        ("v1", "alpha beta.", "train"),
        ("v2", "alpha beta.", "train"),
        ("v3", "gamma delta.", "train"),
    ]
    root = make_ws(sample_rows(items))
    run(root, hashing, strategies=("cross-video",), ratio=1.0)  # 3 possible pairs: exactly enough
    with pytest.raises(
        TvgError, match=r"found only 3 of the 6 pairs .*3 relevant rows x --ratio 2"
    ):
        run(make_ws(sample_rows(items)), hashing, strategies=("cross-video",), ratio=2.0)


def test_rerun_needs_replace_and_replace_is_idempotent(make_ws, hashing):
    root = make_ws(sample_rows(synthetic_items()))
    first = run(root, hashing)
    before = synthetic(root)
    with pytest.raises(TvgError, match="--replace"):
        run(root, hashing)
    again = run(root, hashing, replace=True)
    assert synthetic(root) == before
    assert again.total == first.total and again.version == first.version + 1


def test_unknown_split_and_bad_options(make_ws, hashing, tmp_path):
    root = make_ws(sample_rows(synthetic_items()))
    with pytest.raises(TvgError, match="split 'dev' has no relevant samples; .*train, val"):
        run(root, hashing, splits=("dev",))
    with pytest.raises(TvgError, match="unknown --strategy"):
        IrrelevantConfig(workspace=root, strategies=("nope",))
    with pytest.raises(TvgError, match="--band"):
        IrrelevantConfig(workspace=root, band=(0.6, 0.35))
    with pytest.raises(TvgError, match="--ratio"):
        IrrelevantConfig(workspace=root, ratio=0)
    with pytest.raises(TvgError, match="ingest"):
        run(tmp_path / "missing", hashing)


@pytest.mark.slow
@pytest.mark.realdata
def test_real_model_on_real_queries(make_ws, minilm, shared_data):
    rows = load_lines(
        shared_data / "lighthouse" / "charades_train_release.jsonl", "train", "charades-sta", 250
    )
    rows += load_lines(
        shared_data / "qvhighlights" / "highlight_val_release.jsonl", "train", "qvhighlights", 80
    )
    rows += load_lines(
        shared_data / "lighthouse" / "activitynet_val_release.jsonl", "train", "activitynet", 80
    )
    for i, r in enumerate(rows):
        r["sample_id"] = f"{r['source']}:train:{i}"
    root = make_ws(rows)
    result = build_irrelevant(
        IrrelevantConfig(workspace=root, strategies=tuple(STRATEGIES), progress=False),
        encoder=minilm,
    )
    assert [r.added for r in result.reports] == [math.floor(0.25 * len(rows) + 0.5)] * 3
    checked = independent_similarities(root, minilm.name)
    assert len(checked) == result.added
    for r in checked:
        assert r["checked"] < NEAR_DUPLICATE
        assert r["checked"] == pytest.approx(r["similarity"], abs=1e-4)
        if r["origin"] == "synthetic:hard":
            assert 0.35 - 1e-4 <= r["checked"] < 0.6 + 1e-4
        else:
            assert r["checked"] < 0.35 + 1e-4
