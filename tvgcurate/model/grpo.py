"""Stage 2: PIR-GRPO with TRL's GRPOTrainer.

Rewards are the pure functions of `tvgcurate.model.rewards` (format, IoU / iou_v2,
refusal), weighted by the config. Loss types, KL, clipping and reward scaling are TRL's own
(`loss_type`, `beta`, `epsilon`, `scale_rewards`, anything else through `trl_args`); nothing
of GRPO is re-implemented here. The one addition is a logged metric: the mean over prompt
groups of the variance of the total reward inside a group (`group_reward_var`), the
quantity whose collapse to zero stops GRPO from learning.

The plumbing shared with SFT (arguments, callbacks, resuming, saving) is
`tvgcurate.model.trainers`. Two pitfalls handled here (docs/dev/stack.md): the tokenizer pads
on the left before the trainer is built, and with beta > 0 the policy is first saved to a
local directory, since TRL rebuilds the reference model from `config._name_or_path`.
"""

from __future__ import annotations

from pathlib import Path

from tvgcurate.model.config import GRPOStageConfig
from tvgcurate.model.rewards import make_reward, reward_params
from tvgcurate.model.trainers import common_args, make_trainer, run_trainer


def reward_functions(stage: GRPOStageConfig) -> list:
    return [make_reward(name, **reward_params(name, stage)) for name in stage.rewards]


def _trainer_class():
    import torch
    from trl import GRPOTrainer

    class TvgGRPOTrainer(GRPOTrainer):
        """GRPOTrainer that also logs the mean within-group variance of the weighted reward."""

        def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
            per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
            with torch.no_grad():
                w = self.reward_weights.to(per_func.device).unsqueeze(0)
                total = (per_func * w).nansum(dim=1)
                g = self.num_generations if self.model.training else self.num_generations_eval
                if g and g > 1 and total.numel() % g == 0:
                    var = total.view(-1, g).var(dim=1, unbiased=False).mean().item()
                    mode = "train" if self.model.training else "eval"
                    self._metrics[mode]["group_reward_var"].append(var)
            return per_func

    return TvgGRPOTrainer


def grpo_args(stage: GRPOStageConfig, out: Path, *, seed=0, report_to=(), resume=False):
    """The trl.GRPOConfig of a stage (an option TRL does not know fails here)."""
    from trl import GRPOConfig

    return GRPOConfig(
        **common_args(stage, out, seed, list(report_to), resume),
        num_generations=stage.num_generations,
        max_completion_length=stage.max_completion_length,
        temperature=stage.temperature,
        beta=stage.beta,
        loss_type=stage.loss_type,
        scale_rewards=stage.scale_rewards,
        reward_weights=stage.reward_weights,
        **stage.trl_args,
    )


def run_grpo(
    model,
    processor,
    dataset,
    stage: GRPOStageConfig,
    out: Path,
    *,
    seed=0,
    report_to=(),
    resume=False,
    console=None,
):
    """Train `model` with GRPO; returns (trainer, TrainOutput)."""
    processor.tokenizer.padding_side = "left"
    if stage.beta > 0 and not Path(getattr(model.config, "_name_or_path", "") or "").is_dir():
        # TRL rebuilds the reference model from config._name_or_path: it must be a directory
        from tvgcurate.model.loading import save_model

        ref = save_model(model, processor, out / "reference")
        model.config._name_or_path = str(ref)
    args = grpo_args(stage, out, seed=seed, report_to=report_to, resume=resume)
    trainer = make_trainer(
        _trainer_class(),
        model,
        processor,
        dataset,
        stage,
        args,
        reward_funcs=reward_functions(stage),
    )
    return run_trainer(trainer, out, "grpo", stage, console, resume)
