"""Training configuration: dataclasses with help, a YAML recipe for defaults, flags on top.

A recipe is YAML with one section per dataclass::

    model: tiny
    tiny:   {hidden_size: 128, num_layers: 4}
    inputs: {frames: keyframes, max_frames: 16}
    sft:    {learning_rate: 5.0e-4, max_steps: 300}
    grpo:   {num_generations: 8, rewards: [format, iou, refusal], loss_type: dapo}

Precedence: dataclass defaults < recipe < `--set key.path=value` < named CLI flags. A `--set`
key is a dotted path into the config, nested sections included (`sft.peft.r=4`,
`grpo.trl_args.epsilon=0.2`); CLI flags reach the config as typed values, not as text.
Unknown keys are errors that list the valid ones. Any TRL option without a field here goes
in `trl_args` of its stage and is passed to SFTConfig / GRPOConfig untouched.

The configs import no implementation: what they validate against (the keys of a `peft`
section, the reward names, the pretraining row kinds) is declared here. `lora` imports its
check from here; `rewards` and `pretrain` keep their registry and constants, and
tests/model/test_config.py checks that they agree with these names.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import apply as kv_apply
from tvgcurate.keyvalue import assign, setting
from tvgcurate.keyvalue import value as yaml_value
from tvgcurate.model.inputs import InputConfig
from tvgcurate.model.tiny import TinyConfig

STAGES = ("pretrain", "sft", "grpo", "both", "all")
# which stages each `--stage` choice runs, in order
STAGE_PLAN = {
    "pretrain": ("pretrain",),
    "sft": ("sft",),
    "grpo": ("grpo",),
    "both": ("sft", "grpo"),
    "all": ("pretrain", "sft", "grpo"),
}


# the rewards of `tvgcurate.model.rewards.REWARDS` a GRPO stage may name
REWARD_NAMES = ("format", "iou", "iou_v2", "refusal")
# the row kinds of `tvgcurate.model.pretrain` (pretrain.KINDS)
PRETRAIN_KINDS = ("presence", "caption")
# the keys of a stage's `peft` section (tvgcurate.model.lora)
PEFT_KEYS = frozenset({"r", "alpha", "dropout", "target_modules", "bias", "modules_to_save"})


class ConfigError(TvgError):
    """A recipe or override is invalid."""


def check_peft(spec: dict) -> None:
    """Raise ValueError for an unusable `peft` section (no peft import)."""
    if not isinstance(spec, dict):
        raise ValueError("a mapping {r, alpha, dropout, target_modules}")
    unknown = sorted(set(spec) - PEFT_KEYS)
    if unknown:
        raise ValueError(f"unknown key(s) {unknown}; valid: {sorted(PEFT_KEYS)}")
    if int(spec.get("r", 16)) < 1:
        raise ValueError("r must be >= 1 (e.g. 16)")
    if not 0.0 <= float(spec.get("dropout", 0.0)) < 1.0:
        raise ValueError("dropout must be in [0, 1)")


@dataclass
class StageConfig:
    """Options shared by both stages (names as in transformers' TrainingArguments)."""

    learning_rate: float = setting(5e-4, "Peak learning rate.")
    max_steps: int = setting(100, "Optimizer steps (-1: use epochs).")
    num_train_epochs: float = setting(1.0, "Epochs when max_steps is -1.")
    per_device_train_batch_size: int = setting(
        8, "Rows per device per step (GRPO: completions, not prompts)."
    )
    gradient_accumulation_steps: int = setting(1, "Accumulation steps.")
    warmup_ratio: float = setting(0.05, "Share of steps to warm up.")
    lr_scheduler_type: str = setting("cosine", "transformers scheduler.")
    weight_decay: float = setting(0.0, "AdamW weight decay.")
    max_grad_norm: float = setting(1.0, "Gradient clipping norm.")
    bf16: bool = setting(False, "bf16 mixed precision (GPU, or CPU autocast).")
    gradient_checkpointing: bool = setting(False, "Trade compute for memory.")
    logging_steps: int = setting(1, "Log every N steps.")
    save_steps: int = setting(50, "Checkpoint every N steps.")
    save_total_limit: int | None = setting(2, "Checkpoints kept.")
    irrelevant_share: float | None = setting(
        None,
        "Share of irrelevant/partial rows in the training data (0..1); None keeps the "
        "workspace's mix. Fewer irrelevant rows than needed: all are used.",
    )
    max_rows: int | None = setting(
        None,
        "Train on a fixed pool of at most this many rows of the stage's mix, with the "
        "same irrelevant share (None: every row). max_steps beyond one pass replays the "
        "pool, so GRPO's reward per pass is over the same prompts (docs/learning.md).",
    )
    max_seconds: float | None = setting(
        None,
        "Stop the stage after this many seconds (a safety net: set max_steps from "
        "the measured step time so that the schedule still decays).",
    )
    trl_args: dict[str, Any] = setting(
        factory=dict, help="Any other SFTConfig / GRPOConfig option, passed through unchanged."
    )
    peft: dict[str, Any] | None = setting(
        None,
        "LoRA through TRL's peft_config: {r, alpha, dropout, target_modules} "
        "(tvgcurate.model.lora); None trains every weight.",
    )
    merge_adapter: bool = setting(False, "LoRA: also merge the adapter into the weights of final/.")

    def __post_init__(self):
        if self.peft is not None:
            try:
                check_peft(self.peft)
            except ValueError as exc:
                raise ConfigError(f"peft: {exc}") from None
        if self.irrelevant_share is not None and not 0.0 <= self.irrelevant_share < 1.0:
            raise ConfigError(f"irrelevant_share must be in [0, 1), got {self.irrelevant_share}")
        if self.max_rows is not None and self.max_rows < 1:
            raise ConfigError(f"max_rows must be >= 1 or null, got {self.max_rows}")
        if self.learning_rate <= 0:
            raise ConfigError(f"learning_rate must be > 0, got {self.learning_rate}")
        if self.max_steps == 0:
            raise ConfigError("max_steps must be > 0, or -1 to train by epochs")


@dataclass
class PretrainStageConfig(StageConfig):
    """The `tiny` model's stand-in for pretraining (tvgcurate.model.pretrain): yes/no and
    caption rows on short clips, trained like SFT. Never for real weights."""

    kinds: list[str] = setting(
        factory=lambda: ["presence"], help="Row kinds, mixed evenly: presence (yes/no), caption."
    )
    clip_frames: int = setting(4, "Frames per clip at most.")
    rows_per_sample: int = setting(2, "Rows drawn from each sample.")
    contrast: bool = setting(False, "presence: ask each clip about every query of its video too.")
    turns: int = setting(1, "presence: questions per clip in one multi-turn row (1: one each).")

    def __post_init__(self):
        super().__post_init__()
        kinds = list(self.kinds)
        unknown = [k for k in kinds if k not in PRETRAIN_KINDS]
        if unknown or not kinds:
            raise ConfigError(
                f"pretrain: kinds must be among {', '.join(PRETRAIN_KINDS)}, got {self.kinds}"
            )
        if self.clip_frames < 1 or self.rows_per_sample < 1 or self.turns < 1:
            raise ConfigError("pretrain: clip_frames, rows_per_sample and turns must be >= 1")

    def task_fields(self) -> dict[str, Any]:
        """The fields of `tvgcurate.model.pretrain.PretrainTask` (PretrainTask(**these))."""
        return {
            "kinds": list(self.kinds),
            "clip_frames": self.clip_frames,
            "rows_per_sample": self.rows_per_sample,
            "contrast": self.contrast,
            "turns": self.turns,
        }


@dataclass
class SFTStageConfig(StageConfig):
    """Supervised fine-tuning on ETA answers (irrelevant/partial rows: the refusal)."""

    turns: int = setting(
        1,
        "Questions per row: >1 makes multi-turn rows, each sample then up to turns-1 "
        "other samples of its video on the same frames (trained on every answer).",
    )

    def __post_init__(self):
        super().__post_init__()
        if self.turns < 1:
            raise ConfigError(f"sft.turns must be >= 1, got {self.turns}")


@dataclass
class GRPOStageConfig(StageConfig):
    """PIR-GRPO with TRL's GRPOTrainer; every TRL loss type and option is available."""

    learning_rate: float = setting(1e-4, "Peak learning rate.")
    lr_scheduler_type: str = setting("constant", "transformers scheduler.")
    num_generations: int = setting(8, "Group size: completions per prompt.")
    per_device_train_batch_size: int = setting(
        16, "Completions per device per step (a multiple of the group)."
    )
    max_completion_length: int = setting(32, "Generated tokens at most.")
    temperature: float = setting(1.0, "Sampling temperature.")
    beta: float = setting(0.0, "KL coefficient (0: no reference model).")
    loss_type: str = setting(
        "dapo", "TRL loss type: grpo, dapo, dr_grpo, bnpo, cispo, ... (TRL validates)."
    )
    scale_rewards: str = setting("group", "group | batch | none.")
    rewards: list[str] = setting(
        factory=lambda: ["format", "iou", "refusal"],
        help=f"Reward functions: {', '.join(REWARD_NAMES)} (model.rewards).",
    )
    reward_weights: list[float] | None = setting(None, "One weight per reward (default: all 1).")
    refusal_answer_score: float | None = setting(
        None, "Refusal reward of an answer on a relevant row (None: not scored)."
    )
    irrelevant_share: float | None = setting(
        0.3, "Share of irrelevant/partial prompts in GRPO data."
    )

    def __post_init__(self):
        super().__post_init__()
        unknown = [r for r in self.rewards if r not in REWARD_NAMES]
        if unknown:
            raise ConfigError(f"unknown reward(s) {unknown}; known: {sorted(REWARD_NAMES)}")
        if self.reward_weights is not None and len(self.reward_weights) != len(self.rewards):
            raise ConfigError(
                f"reward_weights has {len(self.reward_weights)} values for {len(self.rewards)} rewards"
            )
        if self.num_generations < 2:
            raise ConfigError("num_generations must be >= 2 (GRPO compares completions in a group)")
        per_generation = self.per_device_train_batch_size * self.gradient_accumulation_steps
        if per_generation % self.num_generations:
            raise ConfigError(
                f"per_device_train_batch_size x gradient_accumulation_steps ({per_generation}) "
                f"must be a multiple of num_generations ({self.num_generations}); the batch "
                "counts completions, not prompts"
            )


def _is_dir(path) -> bool:
    """A directory that exists; a name the OS cannot look up (too long, NUL) is not one."""
    try:
        return Path(str(path)).is_dir()
    except (OSError, ValueError):
        return False


@dataclass
class TrainConfig:
    """One `tvgcurate train` run."""

    workspace: Path = setting(Path("."), "Workspace directory.")
    output: Path = setting(Path("runs/run"), "Run directory.")
    model: str = setting("tiny", "'tiny' or a local Qwen2(.5)-VL directory.")
    stage: str = setting(
        "both", "pretrain | sft | grpo | both (sft, grpo) | all (pretrain, sft, grpo)."
    )
    train_split: str | None = setting("train", "Split to train on (None: all).")
    seed: int = setting(0, "Seed for data mixing and training.")
    resume: bool = setting(False, "Resume each stage from its last checkpoint.")
    attn_implementation: str | None = setting(
        None, "e.g. flash_attention_2 or sdpa (real checkpoints)."
    )
    torch_dtype: str = setting("float32", "float32 | bfloat16 | float16.")
    torch_threads: int | None = setting(
        None,
        "torch intra-op threads (None: torch's default). On a shared CPU, 1 avoids "
        "threads waiting on each other: measured 0.8 s vs 9.3 s per tiny step under load.",
    )
    report_to: list[str] = setting(factory=lambda: ["tensorboard"], help="Trainer loggers (or []).")
    inputs: InputConfig = field(default_factory=InputConfig)
    tiny: TinyConfig = field(default_factory=TinyConfig)
    pretrain: PretrainStageConfig = field(default_factory=PretrainStageConfig)
    sft: SFTStageConfig = field(default_factory=SFTStageConfig)
    grpo: GRPOStageConfig = field(default_factory=GRPOStageConfig)

    def __post_init__(self):
        self.workspace, self.output = Path(self.workspace), Path(self.output)
        if self.stage not in STAGES:
            raise ConfigError(f"stage must be one of {', '.join(STAGES)}, got {self.stage!r}")
        if self.model != "tiny" and not _is_dir(self.model):
            shown = self.model if len(str(self.model)) <= 80 else str(self.model)[:77] + "..."
            raise ConfigError(
                f"model {shown!r} (--model or the recipe's `model` key): not 'tiny' and not a "
                "local checkpoint directory (download the model first; nothing is fetched from a hub)"
            )


SECTIONS = {
    "inputs": InputConfig,
    "tiny": TinyConfig,
    "pretrain": PretrainStageConfig,
    "sft": SFTStageConfig,
    "grpo": GRPOStageConfig,
}


def _number_kind(hint) -> type | None:
    """float or int when a field holds that number (or None), else None."""
    kinds = set(typing.get_args(hint)) - {type(None)} or {hint}
    return next(iter(kinds)) if kinds in ({float}, {int}) else None


def _number(value, want: type | None, key: str, where: str):
    """A float/int field's value: YAML 1.1 reads `5e-6` (no dot) as a string, and ints are
    fine where floats are asked; anything else that is not a number is a one-line error."""
    if want is None or value is None:
        return value
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            out = float(value)
        except ValueError:
            out = None
        if out is not None and (want is float or out.is_integer()):
            return want(out)
    raise ConfigError(f"{where}: {key} must be {'a number' if want is float else 'an integer'}, "
                      f"got {value!r}")  # fmt: skip


def _build(cls, values: dict, where: str):
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; valid: {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    values = {k: _number(v, _number_kind(hints[k]), k, where) for k, v in values.items()}
    try:
        return cls(**values)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def load_recipe(path: str | Path) -> dict:
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        why = " ".join(str(exc).split())  # one line (YAML errors span several)
        raise ConfigError(f"{path}: cannot read recipe: {why}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a recipe is a mapping of sections")
    return data


def parse_value(text: str):
    """A `--set` value as YAML (numbers, booleans, lists, null), else the string."""
    return yaml_value(text)


SET_EXAMPLE = "sft.learning_rate=1e-4"


def apply_sets(data: dict, sets: list[str]) -> dict:
    """Apply `--set` items to recipe data (a new dict). A key is a dotted path into the
    config (`seed`, `sft.max_steps`, `sft.peft.r`, `grpo.trl_args.epsilon`): every part names
    a field of the dataclass at its level, and a dict field (`peft`, `trl_args`) takes any
    keys below it. A key that does not exist is a one-line error naming it."""
    try:
        return kv_apply(data, sets, TrainConfig, "--set", SET_EXAMPLE)
    except ConfigError:
        raise
    except TvgError as exc:
        raise ConfigError(str(exc)) from None


def apply_values(data: dict, values: dict[str, Any] | None) -> dict:
    """Apply typed values at dotted keys (the train command's flags) to recipe data, in
    place: no string and no YAML in between."""
    for key, val in (values or {}).items():
        try:
            assign(data, key, val, TrainConfig, "--" + key.rsplit(".", 1)[-1].replace("_", "-"))
        except TvgError as exc:
            raise ConfigError(str(exc)) from None
    return data


# flags of `tvgcurate train` that set a key of each trained stage / of the grpo stage
STAGE_FLAGS = ("max_steps", "learning_rate", "irrelevant_share")
GRPO_FLAGS = ("num_generations", "loss_type", "beta")


def flag_overrides(stage: str, **flags: Any) -> dict[str, Any]:
    """The dotted keys and typed values of the train command's shortcut flags (None = not
    given): a stage flag sets the key of every stage that `stage` runs.

    >>> flag_overrides("both", max_steps=5, beta=0.1)
    {'sft.max_steps': 5, 'grpo.max_steps': 5, 'grpo.beta': 0.1}
    """
    unknown = sorted(set(flags) - set(STAGE_FLAGS) - set(GRPO_FLAGS))
    if unknown:
        raise ConfigError(f"unknown train flag(s) {unknown}")
    out: dict[str, Any] = {}
    stages = STAGE_PLAN.get(stage, (stage,))
    for name in STAGE_FLAGS:
        if flags.get(name) is not None:
            out.update({f"{s}.{name}": flags[name] for s in stages if s in SECTIONS})
    for name in GRPO_FLAGS:
        if flags.get(name) is not None:
            out[f"grpo.{name}"] = flags[name]
    return out


def build_config(
    recipe: str | Path | None = None,
    sets: list[str] | None = None,
    values: dict[str, Any] | None = None,
    **top: Any,
) -> TrainConfig:
    """A TrainConfig from a recipe, `--set` items, typed `values` at dotted keys (e.g.
    `flag_overrides`) and top-level values (None = not given), later ones winning."""
    data = load_recipe(recipe) if recipe else {}
    data = apply_values(apply_sets(data, sets or []), values)
    for k, v in top.items():
        if v is not None:
            data[k] = v
    kwargs = {}
    for name, cls in SECTIONS.items():
        section = data.pop(name, None) or {}
        if not isinstance(section, dict):
            raise ConfigError(f"recipe section '{name}' must be a mapping")
        kwargs[name] = _build(cls, section, f"section '{name}'")
    data.pop("description", None)
    return _build(TrainConfig, {**data, **kwargs}, "recipe")


def to_dict(cfg) -> dict:
    def conv(v):
        if isinstance(v, Path):
            return str(v)
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list):
            return [conv(x) for x in v]
        return v

    return conv(dataclasses.asdict(cfg))
