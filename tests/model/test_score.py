import pytest

from tvgcurate.model.data import mix
from tvgcurate.model.inputs import ModelInput
from tvgcurate.model.score import headline, summarize
from tvgcurate.model.tiny import TinyConfig, mrope_section


def test_summarize_separates_refusals_from_invalid_answers():
    rows = [
        {"sample_id": "a", "windows": [{"start": 1.0, "end": 3.0, "score": 1.0}], "refused": False},
        {"sample_id": "b", "windows": [], "refused": False},  # unparseable
        {"sample_id": "c", "windows": [], "refused": True},
        {"sample_id": "d", "windows": [], "refused": True},
        {"sample_id": "e", "windows": [], "refused": None, "error": "no video"},
    ]
    gts = {"a": [[1.0, 3.0]], "b": [[1.0, 3.0]], "c": [[0.0, 1.0]], "d": [], "e": []}
    h = headline(summarize(rows, gts))
    assert h["queries"] == 4 and h["relevant"] == 3 and h["irrelevant"] == 1
    assert h["R1@0.5"] == pytest.approx(100 / 3, abs=0.01)
    assert h["refusal_acc_irrelevant"] == 100.0
    assert h["false_refusal_rate"] == pytest.approx(100 / 3, abs=0.01)  # only c, not b
    assert h["invalid_rate"] == 25.0


def mi(i, rel):
    return ModelInput(f"s{i}", [], [], "", [], rel, [[0.0, 1.0]] if rel == "relevant" else [], 5.0)


def test_mix_irrelevant_share():
    rows = [mi(i, "relevant") for i in range(30)] + [mi(100 + i, "irrelevant") for i in range(30)]
    out = mix(rows, 0.25, seed=0)
    assert sum(m.relevance == "relevant" for m in out) == 30
    assert sum(m.relevance != "relevant" for m in out) == 10
    assert [m.sample_id for m in out] == [m.sample_id for m in mix(rows, 0.25, seed=0)]
    assert len(mix(rows, 0.9, seed=0)) == 60  # not enough irrelevant rows: all of them
    assert mix(rows, None, seed=0) == rows
    assert all(m.relevance == "relevant" for m in mix(rows, 0.0, seed=0))


def test_tiny_config():
    assert sum(mrope_section(32)) == 16 and sum(mrope_section(128)) == 64
    with pytest.raises(ValueError):
        TinyConfig(hidden_size=100, num_heads=3)
