"""The vllm backend's request building and answer parsing, against a fake engine with vLLM's
interface (vLLM itself cannot be installed here)."""

import math
import types

import pytest

from tvgcurate.model.backends.base import GenOptions
from tvgcurate.model.eta import ANSWER_OPEN


class FakeSamplingParams:
    def __init__(self, **kw):
        self.kw = kw


class FakeLLM:
    """LLM(**engine_kwargs).generate(prompts, sampling_params) -> RequestOutput-like objects."""

    instances: list = []

    def __init__(self, **kw):
        self.kw, self.calls = kw, []
        FakeLLM.instances.append(self)

    def generate(self, prompts, sampling_params):
        self.calls.append((prompts, sampling_params))
        outs = []
        for p in prompts:
            n = sampling_params.kw.get("n", 1)
            if "logprobs" in sampling_params.kw:  # the decision point
                lp = {
                    REFUSE: types.SimpleNamespace(logprob=math.log(0.6)),
                    DIGITS[0]: types.SimpleNamespace(logprob=math.log(0.2)),
                    DIGITS[1]: types.SimpleNamespace(logprob=math.log(0.2)),
                    999: types.SimpleNamespace(logprob=math.log(0.01)),
                }
                o = [types.SimpleNamespace(text="1.0 to 2.0</answer>", logprobs=[lp])]
            else:
                o = [types.SimpleNamespace(text="<answer>none</answer>", logprobs=None)] * n
            outs.append(types.SimpleNamespace(prompt=p["prompt"], outputs=o))
        return outs


REFUSE, DIGITS = None, None


@pytest.fixture
def backend(monkeypatch, tmp_path):
    global REFUSE, DIGITS
    from tvgcurate.model import backends
    from tvgcurate.model.backends import vllm as vb
    from tvgcurate.model.loading import save_model
    from tvgcurate.model.tiny import TinyConfig, build_tiny

    fake = types.SimpleNamespace(LLM=FakeLLM, SamplingParams=FakeSamplingParams)
    monkeypatch.setattr(vb, "_import_vllm", lambda: fake)
    model, proc = build_tiny(TinyConfig(hidden_size=32, num_layers=1, intermediate_size=64))
    d = save_model(model, proc, tmp_path / "m", {"timestamp_width": 1})
    REFUSE, DIGITS = backends.decision_tokens(proc.tokenizer)
    return backends.get_backend("vllm", d, GenOptions(max_new_tokens=12))


def _input(n_images=2):
    from PIL import Image

    from tvgcurate.model.inputs import ModelInput

    content = []
    for t in range(n_images):
        content += [{"type": "text", "text": f"<t>{t}.0</t>"}, {"type": "image"}]
    content.append({"type": "text", "text": "the red circle"})
    images = [Image.new("RGB", (56, 56)) for _ in range(n_images)]
    return ModelInput(
        "s1", [{"role": "user", "content": content}], images, "", [], "relevant", [], 5.0
    )


def test_requests_have_one_image_per_frame_and_the_chat_template(backend):
    req = backend.requests([_input(3)])
    assert len(req[0]["multi_modal_data"]["image"]) == 3
    assert req[0]["prompt"].count("<|image_pad|>") == 3
    assert req[0]["prompt"].rstrip().endswith("assistant")
    opened = backend.requests([_input(3)], ANSWER_OPEN)[0]["prompt"]
    assert opened.endswith("assistant\n" + ANSWER_OPEN)


def test_sampling_params_and_parsing(backend):
    answer, decision = backend.sampling()
    assert answer.kw == {"temperature": 0.0, "max_tokens": 12}
    assert decision.kw["logprobs"] == 20 and decision.kw["logit_bias"] == {REFUSE: -100.0}
    (g,) = backend.generate([_input(2)])
    assert g.texts == ["<answer>none</answer>"]
    assert g.refusal_score == pytest.approx(0.6)  # 999 is neither the refusal nor a digit
    assert g.window_text == "<answer>1.0 to 2.0</answer>"
    llm = FakeLLM.instances[-1]
    assert llm.kw["limit_mm_per_prompt"] == {"image": 2} and len(llm.calls) == 2


def test_k_samples_use_n(monkeypatch, backend):
    from dataclasses import replace

    backend.opts = replace(backend.opts, num_samples=3, temperature=0.7)
    answer, _ = backend.sampling()
    assert answer.kw["n"] == 3 and answer.kw["temperature"] == 0.7
    (g,) = backend.generate([_input(1)])
    assert len(g.texts) == 3


def test_missing_vllm_is_a_one_line_error(tmp_path):
    import importlib.util

    from tvgcurate.errors import TvgError
    from tvgcurate.model.backends.vllm import _import_vllm

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed")
    with pytest.raises(TvgError, match="vLLM is not installed"):
        _import_vllm()
