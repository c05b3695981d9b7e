"""The `hf` backend: transformers' batched `generate`, left-padded, on this process's device.

Per batch, two generate calls: the greedy (or K sampled) answers as the model writes them,
and one from the decision point (the prompt plus the answer's opening tag) with the
refusal's first token suppressed, whose first-step logits give the refusal score.
"""

from __future__ import annotations

from collections.abc import Sequence

from tvgcurate.model.backends.base import (
    BACKENDS,
    Backend,
    Generation,
    decision_tokens,
    refusal_probability,
)
from tvgcurate.model.eta import ANSWER_OPEN


@BACKENDS.register()
class HFBackend(Backend):
    """transformers `generate` (CPU, or the GPU of this process: cuda:LOCAL_RANK)."""

    name = "hf"

    def __init__(self, model_dir, opts):
        super().__init__(model_dir, opts)
        from tvgcurate.model.loading import load_model

        self.model, self.processor = load_model(model_dir, dtype=opts.dtype)
        device = _device()
        if device is not None:
            self.model.to(device)
        self.model.eval()
        tok = self.processor.tokenizer
        tok.padding_side = "left"
        self.refuse_id, self.digit_ids = decision_tokens(tok)
        self.open_ids = tok.encode(ANSWER_OPEN, add_special_tokens=False)

    def generate(self, inputs: Sequence) -> list[Generation]:
        out: list[Generation] = []
        for i in range(0, len(inputs), self.opts.batch_size):
            out += self._batch(inputs[i : i + self.opts.batch_size])
        return out

    def _batch(self, chunk) -> list[Generation]:
        import torch

        proc, model, k = self.processor, self.model, self.opts.num_samples
        texts = [
            proc.apply_chat_template(m.prompt, tokenize=False, add_generation_prompt=True)
            for m in chunk
        ]
        images = [img for m in chunk for img in m.images] or None
        enc = proc(text=texts, images=images, padding=True, return_tensors="pt").to(model.device)
        kw = dict(max_new_tokens=self.opts.max_new_tokens)
        if k > 1:
            kw.update(do_sample=True, temperature=self.opts.temperature, num_return_sequences=k)
        else:
            kw.update(do_sample=False)
        with torch.no_grad():
            ids = model.generate(**enc, **kw)
            answers = proc.batch_decode(
                ids[:, enc["input_ids"].shape[1] :], skip_special_tokens=True
            )
            opened = _append(enc, self.open_ids)
            dec = model.generate(
                **opened,
                max_new_tokens=self.opts.max_new_tokens,
                do_sample=False,
                suppress_tokens=[self.refuse_id],
                output_logits=True,
                return_dict_in_generate=True,
            )
        first = torch.log_softmax(dec.logits[0].float(), dim=-1)  # raw logits, step 1
        new = dec.sequences[:, opened["input_ids"].shape[1] :]
        windows = proc.batch_decode(new, skip_special_tokens=True)
        wanted = [self.refuse_id, *self.digit_ids]
        out = []
        for j in range(len(chunk)):
            row = first[j, wanted].tolist()
            score = refusal_probability(dict(zip(wanted, row, strict=True)), *self._ids())
            out.append(Generation(answers[j * k : (j + 1) * k], score, ANSWER_OPEN + windows[j]))
        return out

    def _ids(self):
        return self.refuse_id, self.digit_ids


def _append(enc, ids: list[int]) -> dict:
    """The batch with `ids` appended to every (left-padded) prompt: the decision point."""
    import torch

    n, m = enc["input_ids"].shape[0], len(ids)
    tail = torch.tensor([ids] * n, dtype=enc["input_ids"].dtype, device=enc["input_ids"].device)
    out = dict(enc)
    out["input_ids"] = torch.cat([enc["input_ids"], tail], dim=1)
    mask = enc["attention_mask"]
    out["attention_mask"] = torch.cat(
        [mask, torch.ones(n, m, dtype=mask.dtype, device=mask.device)], 1
    )
    if "mm_token_type_ids" in enc:
        t = enc["mm_token_type_ids"]
        out["mm_token_type_ids"] = torch.cat(
            [t, torch.zeros(n, m, dtype=t.dtype, device=t.device)], 1
        )
    return out


def _device():
    """cuda:LOCAL_RANK when CUDA is present (one GPU per process under accelerate/torchrun)."""
    import os

    import torch

    if not torch.cuda.is_available():
        return None
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")) % torch.cuda.device_count())
