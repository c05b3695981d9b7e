"""Generation backends of `tvgcurate score`, one module each, found through `BACKENDS`.

- `hf`: transformers' batched `generate` (CPU or one GPU per process);
- `vllm`: vLLM's offline `LLM.generate` with multi-modal inputs (GPU; guarded import).

A backend turns a batch of `ModelInput`s into `Generation`s: the K answer texts, the
refusal score at the decision point and the best window decoded with the refusal's first
token suppressed (`tvgcurate.model.backends.base`).
"""

from tvgcurate.model.backends.base import (
    BACKENDS,
    Backend,
    Generation,
    GenOptions,
    decision_tokens,
    get_backend,
    refusal_probability,
)

__all__ = [
    "BACKENDS",
    "Backend",
    "GenOptions",
    "Generation",
    "decision_tokens",
    "get_backend",
    "refusal_probability",
]
