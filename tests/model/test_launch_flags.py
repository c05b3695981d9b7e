from tvgcurate.model.config import flag_overrides
from tvgcurate.model.launch import train_argv


def test_flag_overrides_per_stage():
    assert flag_overrides("sft", ["x=1"], max_steps=3, beta=0.2) == [
        "x=1", "sft.max_steps=3", "grpo.beta=0.2",
    ]  # fmt: skip
    assert flag_overrides("both", learning_rate=None) == []


def test_train_argv():
    args = train_argv({"workspace": "ws", "stage": "both"}, {"max_steps": 5, "seed": None},
                      ["resume"], ["sft.x=1"])  # fmt: skip
    assert args == ["--workspace", "ws", "--stage", "both", "--max-steps", "5", "--resume",
                    "--set", "sft.x=1"]  # fmt: skip
