"""Hostile recipe YAML (issue 16): a malformed recipe gives one ConfigError line naming the
file, or a config; never a traceback. Bounded: EXAMPLES cases."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings

from tests.fuzz.test_fuzz_readers import malformed
from tvgcurate.errors import TvgError
from tvgcurate.model.config import build_config

EXAMPLES = 40
RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "tiny-cpu.yaml"


def test_malformed_recipes_fail_cleanly(tmp_path_factory):
    original = RECIPE.read_bytes()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])  # fmt: skip
    @given(data=malformed(original))
    def run(data: bytes) -> None:
        path = tmp_path_factory.mktemp("recipe") / "recipe.yaml"
        path.write_bytes(data)
        try:
            build_config(recipe=path)
        except TvgError as exc:
            msg = str(exc)
            assert "\n" not in msg.strip(), msg[:300]  # one line
            assert any(w in msg for w in ("recipe", "section", ".")), msg[:300]  # file or key

    run()
