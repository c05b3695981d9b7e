"""The `vllm` backend: vLLM's offline `LLM.generate` with multi-modal inputs (GPU only).

Targets vLLM 0.22.1 (docs/training.md): a request is ``{"prompt": text,
"multi_modal_data": {"image": [one PIL image per ETA frame]}}``, the prompt being the
processor's own chat template (so each image part becomes the model's image placeholder);
decoding is ``SamplingParams(temperature=0, max_tokens=...)`` (K > 1: ``n=K`` at the
configured temperature). The refusal score comes from a second request at the decision
point (prompt + ``<answer>``, ``logprobs=20``): vLLM returns the top-20 *raw* log-probs
(its default ``logprobs_mode``), the refusal word's first token and the digits are read
from them (one that is not in the top 20 counts as 0), and the same request decodes the
best window with the refusal's first token pushed down by ``logit_bias``.

vLLM is imported only here, inside `_import_vllm`, with a one-line error when it is absent;
the tests swap in a fake module with vLLM's interface.
"""

from __future__ import annotations

from collections.abc import Sequence

from tvgcurate.errors import TvgError
from tvgcurate.model.backends.base import (
    BACKENDS,
    Backend,
    Generation,
    decision_tokens,
    refusal_probability,
)
from tvgcurate.model.eta import ANSWER_OPEN

VLLM_VERSION = "0.22.1"
TOP_LOGPROBS = 20  # vLLM's default max_logprobs
SUPPRESS_BIAS = -100.0


def _import_vllm():
    try:
        import vllm
    except ImportError:
        raise TvgError(
            f"--backend vllm: vLLM is not installed (pip install vllm=={VLLM_VERSION} on a CUDA "
            "machine); use --backend hf here"
        ) from None
    return vllm


@BACKENDS.register()
class VLLMBackend(Backend):
    """vLLM offline engine, one per process (tensor parallel inside it if configured)."""

    name = "vllm"

    def __init__(self, model_dir, opts, engine_kwargs: dict | None = None):
        super().__init__(model_dir, opts)
        from tvgcurate.model.loading import ADAPTER_FILE
        from tvgcurate.model.processor import load_processor

        if (self.model_dir / ADAPTER_FILE).exists():
            raise TvgError(
                f"{model_dir}: a LoRA adapter; vLLM scores a merged model (train with "
                "merge_adapter: true, or use --backend hf)"
            )
        self.vllm = _import_vllm()
        self.processor = load_processor(self.model_dir)
        self.refuse_id, self.digit_ids = decision_tokens(self.processor.tokenizer)
        kw = {"model": str(self.model_dir), "seed": opts.seed, "dtype": _vllm_dtype(opts.dtype)}
        kw.update(engine_kwargs or {})
        self.engine_kwargs = kw
        self.llm = None

    def _engine(self, max_images: int):
        if self.llm is None:
            kw = {"limit_mm_per_prompt": {"image": max(1, max_images)}, **self.engine_kwargs}
            self.llm = self.vllm.LLM(**kw)
        return self.llm

    def requests(self, inputs: Sequence, suffix: str = "") -> list[dict]:
        """vLLM prompts: chat-template text (+ `suffix`) and the sample's frames as images."""
        out = []
        for m in inputs:
            text = self.processor.apply_chat_template(
                m.prompt, tokenize=False, add_generation_prompt=True
            )
            out.append({"prompt": text + suffix, "multi_modal_data": {"image": list(m.images)}})
        return out

    def sampling(self):
        """(answer params, decision-point params)."""
        sp, o = self.vllm.SamplingParams, self.opts
        if o.num_samples > 1:
            answer = sp(
                n=o.num_samples, temperature=o.temperature, max_tokens=o.max_new_tokens, seed=o.seed
            )
        else:
            answer = sp(temperature=0.0, max_tokens=o.max_new_tokens)
        decision = sp(
            temperature=0.0,
            max_tokens=o.max_new_tokens,
            logprobs=TOP_LOGPROBS,
            logit_bias={self.refuse_id: SUPPRESS_BIAS},
        )
        return answer, decision

    def generate(self, inputs: Sequence) -> list[Generation]:
        if not inputs:
            return []
        llm = self._engine(max(len(m.images) for m in inputs))
        answer_sp, decision_sp = self.sampling()
        answers = llm.generate(self.requests(inputs), answer_sp)
        decisions = llm.generate(self.requests(inputs, ANSWER_OPEN), decision_sp)
        return [
            parse_outputs(a, d, self.refuse_id, self.digit_ids)
            for a, d in zip(answers, decisions, strict=True)
        ]


def parse_outputs(answer, decision, refuse_id: int, digit_ids) -> Generation:
    """A Generation from vLLM RequestOutputs: `.outputs[i].text`; the decision request's
    `.outputs[0].logprobs[0]` maps token id -> Logprob (with `.logprob`)."""
    texts = [o.text for o in answer.outputs]
    d = decision.outputs[0]
    score = None
    if d.logprobs:
        first = {tid: getattr(lp, "logprob", lp) for tid, lp in d.logprobs[0].items()}
        score = refusal_probability(first, refuse_id, digit_ids)
    return Generation(texts, score, ANSWER_OPEN + d.text)


def _vllm_dtype(name: str) -> str:
    return {"float32": "float32", "bfloat16": "bfloat16", "float16": "float16"}.get(name, "auto")
