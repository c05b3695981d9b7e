"""LoRA for both stages through TRL's `peft_config` (peft), and what a LoRA stage saves.

A recipe sets, per stage::

    sft:
      peft: {r: 16, alpha: 32, dropout: 0.05, target_modules: [q_proj, k_proj, v_proj, o_proj]}
      merge_adapter: false

The trainer wraps the model (TRL builds the PeftModel from `peft_config`), so only the
adapter trains. `STAGE/final/` is then an adapter directory: peft's files, the processor,
`tvgcurate_inputs.json` and `tvgcurate_base.json` naming the base model directory (the
`--model` directory, or `RUN/base/` for `tiny`, whose random weights are saved once). With
`merge_adapter: true`, final/ holds the merged full model and the adapter moves to
final/adapter/. A stage that follows a LoRA stage starts from the merged weights, saved in
`STAGE/merged/` (also its adapter's base and GRPO's reference model).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tvgcurate.model.config import PEFT_KEYS as KEYS
from tvgcurate.model.config import STAGE_PLAN, check_peft
from tvgcurate.model.loading import ADAPTER_FILE, BASE_FILE, load_adapter, save_model

__all__ = [
    "DEFAULT_TARGETS",
    "KEYS",
    "after_stage",
    "check_peft",
    "lora_config",
    "peft_kwargs",
    "run_base",
]

DEFAULT_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj"]


def lora_config(spec: dict | None):
    """peft.LoraConfig of a `peft` section (None: no LoRA)."""
    if spec is None:
        return None
    from peft import LoraConfig

    check_peft(spec)
    return LoraConfig(
        r=int(spec.get("r", 16)),
        lora_alpha=int(spec.get("alpha", 2 * int(spec.get("r", 16)))),
        lora_dropout=float(spec.get("dropout", 0.0)),
        target_modules=list(spec.get("target_modules") or DEFAULT_TARGETS),
        bias=spec.get("bias", "none"),
        modules_to_save=spec.get("modules_to_save"),
        task_type="CAUSAL_LM",
    )


def peft_kwargs(model, spec: dict | None) -> dict:
    """The trainer's `peft_config` argument (empty when the model already is a PeftModel)."""
    if spec is None or hasattr(model, "peft_config"):
        return {}
    return {"peft_config": lora_config(spec)}


def run_base(cfg, model, processor, out: Path, meta: dict) -> Path | None:
    """The base model directory of the run's first adapter (None without LoRA)."""
    if not any(getattr(cfg, s).peft for s in STAGE_PLAN[cfg.stage]):
        return None
    if str(cfg.model) != "tiny":
        return Path(cfg.model).resolve()
    if cfg.resume and (out / "base" / "config.json").exists():  # saved by the first run
        return out / "base"
    return save_model(model, processor, out / "base", meta)


def after_stage(
    final: Path, stage, base: Path | None, has_next: bool, dtype="float32", reuse: bool = False
):
    """Finish a stage's final/ directory; returns (what the next stage loads, its base).

    `reuse` (a stage finished in an earlier run, on resume): keep a merged model that is
    already saved instead of merging again."""
    if not stage.peft or not (final / ADAPTER_FILE).exists():
        return final, final
    (final / BASE_FILE).write_text(json.dumps({"base": str(base)}, indent=2) + "\n")
    if not (stage.merge_adapter or has_next):
        return final, base
    target = final.parent / "merged"
    if reuse and not stage.merge_adapter and (target / "config.json").exists():
        return target, target
    model, processor = load_adapter(final, dtype)
    merged = model.merge_and_unload()
    meta = json.loads((final / "tvgcurate_inputs.json").read_text())
    if stage.merge_adapter:
        adapter = final.parent / "adapter.tmp"
        shutil.rmtree(adapter, ignore_errors=True)
        shutil.move(str(final), str(adapter))
        save_model(merged, processor, final, meta)
        shutil.move(str(adapter), str(final / "adapter"))
        return final, final
    save_model(merged, processor, target, meta)
    return target, target
