"""benchmarks/step_speed.py on a few videos: every variant is timed and the words shorten rows."""

from __future__ import annotations

import json

import pytest

from benchmarks import step_speed


def load():
    return step_speed


@pytest.mark.slow
def test_step_speed_times_every_variant_on_the_same_rows(tmp_path, capsys):
    bench = load()
    out = tmp_path / "speed.json"
    argv = ["--steps", "1", "--batch", "2", "--videos", "4", "--work", str(tmp_path / "w")]
    assert bench.main([*argv, "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    printed = capsys.readouterr().out
    for kind in ("pretrain", "sft"):
        assert set(res[kind]) == set(bench.VARIANTS)
        r = res[kind]
        assert all(v["s_per_step"] > 0 and v["collate_s"] > 0 for v in r.values())
        # the mask changes no token; the words make every row shorter
        assert r["+ mask"]["tokens_per_row"] == r["before"]["tokens_per_row"]
        assert r["now"]["tokens_per_row"] < r["before"]["tokens_per_row"]
        # the vision attention in one call changes no token either
        assert r["now"]["tokens_per_row"] == r["+ words, mask"]["tokens_per_row"]
        # the rope positions and the batched image processor compute the same: the same
        # losses, step after step, to the last bit
        assert r["now"]["losses"] == r["+ attention"]["losses"]
        assert r["+ mask"]["losses"] == r["before"]["losses"]
        assert f"{kind}: median s/step" in printed
