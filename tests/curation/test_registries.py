"""One conformance test per curation registry, parametrised from the registry itself."""

from __future__ import annotations

import numpy as np
import pytest

from tvgcurate.curation.audit import CHECKS
from tvgcurate.curation.embeddings import ENCODERS
from tvgcurate.curation.ingest.base import READERS, SourceFile
from tvgcurate.curation.irrelevant import STRATEGIES, IrrelevantConfig
from tvgcurate.curation.keyframes.boundaries import DETECTORS
from tvgcurate.curation.keyframes.budget import POLICIES
from tvgcurate.curation.keyframes.decode import DECODERS, DecodeError
from tvgcurate.errors import InputError
from tvgcurate.executors import EXECUTORS, Executor
from tvgcurate.registry import UnknownChoiceError

REGISTRIES = [CHECKS, ENCODERS, EXECUTORS, READERS, STRATEGIES, DETECTORS, POLICIES, DECODERS]


@pytest.mark.parametrize("reg", REGISTRIES, ids=lambda r: r.kind)
def test_registry_is_not_empty_and_names_its_choices(reg):
    assert len(reg) >= 2
    with pytest.raises(UnknownChoiceError, match=reg.names()[0]):
        reg.get("no-such-plugin")


@pytest.mark.parametrize("name", EXECUTORS.names())
def test_executor_has_its_name(name):
    cls = EXECUTORS.get(name)
    assert issubclass(cls, Executor) and cls.name == name


@pytest.mark.parametrize("name", DECODERS.names())
def test_decoder_has_its_name_and_rejects_garbage(name, tmp_path):
    dec = DECODERS.get(name)()
    assert dec.name == name
    bad = tmp_path / "garbage.mp4"
    bad.write_bytes(b"not a video at all" * 10)
    with pytest.raises(DecodeError):
        dec.sample(bad, 2.0, 160)


@pytest.mark.parametrize("name", POLICIES.names())
def test_policy_respects_the_budget(name):
    from tvgcurate.curation.keyframes.budget import Budget

    pol = POLICIES.get(name)()
    assert pol.name == name
    tokens = np.asarray(pol.allocate(np.linspace(0.1, 1.0, 40), Budget(total=400)))
    assert tokens.sum() <= 400 and len(tokens) == 40


@pytest.mark.parametrize("name", DETECTORS.names())
def test_detector_marks_no_cut_on_a_still_video(name):
    pytest.importorskip("scenedetect")
    from tvgcurate.curation.keyframes.boundaries import detect

    frames = np.full((6, 32, 32, 3), 128, dtype=np.uint8)
    assert not detect(frames, 2.0, detector=name).any()


@pytest.mark.parametrize("name", [n for n in ENCODERS.names() if not ENCODERS.meta(n)["model"]])
def test_encoder_returns_unit_vectors_of_its_declared_dim(name):
    vecs = ENCODERS.get(name)().encode(["a man opens a door", "a dog swims"])
    assert vecs.shape == (2, ENCODERS.meta(name)["dim"]) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", READERS.names())
def test_reader_rejects_garbage_with_an_input_error(name, tmp_path):
    bad = tmp_path / "garbage_train.txt"
    bad.write_bytes(b"{[ not , any ] format\n" * 3)
    sniff = READERS.meta(name).get("sniff")
    assert sniff is not None and not sniff(bad, bad.read_bytes())
    if READERS.meta(name).get("durations_only"):
        return  # a duration table: nothing to reject
    with pytest.raises(InputError):
        READERS.get(name)(SourceFile(bad, "train", name, "fail"))


@pytest.mark.parametrize("name", STRATEGIES.names())
def test_strategy_has_its_name_and_a_criterion(name, tmp_path):
    cls = STRATEGIES.get(name)
    assert cls.name == name
    strat = cls(IrrelevantConfig(workspace=tmp_path, strategies=(name,)))
    assert strat.criterion() and strat.relax_hint() and strat.origin == f"synthetic:{name}"
    assert strat.accept(np.array([0.0, 0.99])).dtype == bool


@pytest.mark.parametrize("name", CHECKS.names())
def test_check_has_a_name_family_and_hooks(name):
    cls = CHECKS.get(name)
    assert cls.name == name and cls.family and cls.description and cls.weight > 0
    check = cls()
    assert check.plot([], 80) is None or cls.section
    assert cls.trust([]) is None
