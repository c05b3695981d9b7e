"""Load and save models: `tiny` (built here) or a local Qwen2-VL / Qwen2.5-VL checkpoint.

A saved model directory holds the weights (safetensors), the processor files and
`tvgcurate_inputs.json` (the ETA width and prompt it was trained with), so `score` rebuilds
exactly the inputs the model learned on. A LoRA stage saves an *adapter directory* instead
(peft's `adapter_config.json` + `adapter_model.safetensors`, the processor, the inputs file
and `tvgcurate_base.json` naming the base model directory); `load_model` loads the base and
applies the adapter (peft), so `score` takes either.
"""

from __future__ import annotations

import json
from pathlib import Path

from tvgcurate.errors import WorkspaceError

INPUTS_FILE = "tvgcurate_inputs.json"
RUN_FILE = "run.json"
ADAPTER_FILE = "adapter_config.json"  # peft's
BASE_FILE = "tvgcurate_base.json"  # {"base": the base model directory of an adapter}


def is_model_dir(path: Path) -> bool:
    """A full model (config.json) or a LoRA adapter directory."""
    path = Path(path)
    return (path / "config.json").exists() or (path / ADAPTER_FILE).exists()


def adapter_base(path: Path) -> Path:
    """The base model directory of an adapter directory (tvgcurate_base.json, else peft's
    base_model_name_or_path; a relative path is relative to the adapter directory)."""
    path = Path(path)
    f = path / BASE_FILE
    base = json.loads(f.read_text())["base"] if f.exists() else None
    if base is None:
        base = json.loads((path / ADAPTER_FILE).read_text()).get("base_model_name_or_path")
    if not base:
        raise WorkspaceError(f"{path}: adapter without a base model ({BASE_FILE} missing)")
    base = Path(base)
    return base if base.is_absolute() else (path / base).resolve()


def model_identity(path: Path) -> list:
    """(name, size, mtime) of the files that make a model (and its base), for cache keys."""
    path = Path(path)
    out = [
        (str(f), f.stat().st_size, f.stat().st_mtime_ns)
        for f in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.json"))
    ]
    if (path / ADAPTER_FILE).exists() and not (path / "config.json").exists():
        out += model_identity(adapter_base(path))
    return out


def torch_dtype(name: str):
    import torch

    try:
        return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[
            name
        ]
    except KeyError:
        raise ValueError(
            f"torch_dtype must be float32, bfloat16 or float16, got {name!r}"
        ) from None


def resolve_attn(name: str | None) -> str | None:
    """'auto': flash_attention_2 when flash-attn is installed and a GPU is present, else sdpa."""
    if name != "auto":
        return name
    import importlib.util

    import torch

    if torch.cuda.is_available() and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "sdpa"


def load_model(source: str | Path, tiny_cfg=None, dtype: str = "float32", attn_implementation=None):
    """(model, processor) for 'tiny' or a local checkpoint directory (local files only)."""
    if str(source) == "tiny":
        from tvgcurate.model.tiny import build_tiny

        return build_tiny(tiny_cfg)
    from transformers import AutoModelForImageTextToText

    from tvgcurate.model.processor import load_processor

    path = Path(source)
    if (path / ADAPTER_FILE).exists() and not (path / "config.json").exists():
        return load_adapter(path, dtype, attn_implementation)
    if not (path / "config.json").exists():
        raise WorkspaceError(f"{path}: no config.json; not a model checkpoint directory")
    kwargs = {"local_files_only": True, "dtype": torch_dtype(dtype)}
    attn = resolve_attn(attn_implementation)
    if attn:
        kwargs["attn_implementation"] = attn
    model = AutoModelForImageTextToText.from_pretrained(path, **kwargs)
    if getattr(model.config, "tvgcurate_tiny", None):
        from tvgcurate.model.tiny import speed_up

        speed_up(model, vision_attention="flash" not in (attn or ""))
    return model, load_processor(path)


def load_adapter(path: Path, dtype: str = "float32", attn_implementation=None):
    """(base model + LoRA adapter, processor) for an adapter directory (peft)."""
    from peft import PeftModel

    from tvgcurate.model.processor import load_processor

    base, processor = load_model(adapter_base(path), None, dtype, attn_implementation)
    model = PeftModel.from_pretrained(base, str(path), is_trainable=False)
    has_proc = (path / "tokenizer_config.json").exists() or (path / "tokenizer.json").exists()
    return model, (load_processor(path) if has_proc else processor)


def save_model(model, processor, path: str | Path, inputs_meta: dict | None = None) -> Path:
    """Save weights (safetensors), processor and input metadata to `path`."""
    from tvgcurate.model.processor import MARKER, save_processor

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    if type(processor).__name__ == "ImageOnlyQwen2VLProcessor":
        save_processor(processor, path)
    else:
        processor.save_pretrained(path)
        (path / MARKER).unlink(missing_ok=True)
    if inputs_meta is not None:
        (path / INPUTS_FILE).write_text(json.dumps(inputs_meta, indent=2) + "\n")
    return path


def resolve_checkpoint(path: str | Path) -> Path:
    """A model directory from a run directory (its last finished stage) or a model directory."""
    path = Path(path)
    if is_model_dir(path):
        return path
    run = path / RUN_FILE
    if run.exists():
        meta = json.loads(run.read_text())
        final = meta.get("final")
        if final and is_model_dir(path / final):
            return path / final
    for cand in (path / "grpo" / "final", path / "sft" / "final"):
        if is_model_dir(cand):
            return cand
    raise WorkspaceError(
        f"{path}: no model here (expected config.json, or a run directory from `tvgcurate train`)"
    )


def read_inputs_meta(path: Path) -> dict:
    f = Path(path) / INPUTS_FILE
    return json.loads(f.read_text()) if f.exists() else {}
