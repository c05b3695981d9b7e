"""tvgcurate.model.config: numbers from `--set` and recipes, as a user writes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tvgcurate.model.config import ConfigError, build_config

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "tiny-cpu.yaml"


def build(*sets: str):
    return build_config(RECIPE, list(sets), workspace="ws", output="out", model="tiny")


def test_exponent_without_a_dot_is_a_float():
    # YAML 1.1 (PyYAML) reads `5e-6` as a string; it used to reach the trainer's `<=` check
    cfg = build("grpo.learning_rate=5e-6", "sft.learning_rate=1e-4", "tiny.initializer_range=2")
    assert cfg.grpo.learning_rate == pytest.approx(5e-6)
    assert isinstance(cfg.grpo.learning_rate, float) and cfg.sft.learning_rate == 1e-4
    assert cfg.tiny.initializer_range == 2.0 and isinstance(cfg.tiny.initializer_range, float)


def test_integers_and_optional_numbers():
    cfg = build("sft.max_steps=1e3", "sft.irrelevant_share=0.44", "grpo.irrelevant_share=null")
    assert cfg.sft.max_steps == 1000 and isinstance(cfg.sft.max_steps, int)
    assert cfg.sft.irrelevant_share == 0.44 and cfg.grpo.irrelevant_share is None


@pytest.mark.parametrize(
    "bad, says",
    [
        ("grpo.learning_rate=fast", "section 'grpo': learning_rate must be a number, got 'fast'"),
        ("sft.max_steps=2.5", "section 'sft': max_steps must be an integer, got 2.5"),
        ("sft.max_steps=true", "max_steps"),
    ],
)
def test_a_value_that_is_not_a_number_is_a_one_line_error(bad, says):
    with pytest.raises(ConfigError) as exc:
        build(bad)
    assert says in str(exc.value) and "\n" not in str(exc.value)
