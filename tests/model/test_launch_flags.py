from tvgcurate.model.config import flag_overrides
from tvgcurate.model.launch import train_argv


def test_flag_overrides_per_stage_are_typed_values():
    assert flag_overrides("sft", max_steps=3, beta=0.2) == {"sft.max_steps": 3, "grpo.beta": 0.2}
    assert flag_overrides("all", learning_rate=1e-4) == {
        "pretrain.learning_rate": 1e-4, "sft.learning_rate": 1e-4, "grpo.learning_rate": 1e-4,
    }  # fmt: skip
    assert flag_overrides("both", learning_rate=None) == {}
    # a value is never read back as YAML: the string "yes" stays a string
    assert flag_overrides("grpo", loss_type="yes") == {"grpo.loss_type": "yes"}


def test_train_argv():
    args = train_argv({"workspace": "ws", "stage": "both"}, {"max_steps": 5, "seed": None},
                      ["resume"], ["sft.x=1"])  # fmt: skip
    assert args == ["--workspace", "ws", "--stage", "both", "--max-steps", "5", "--resume",
                    "--set", "sft.x=1"]  # fmt: skip
