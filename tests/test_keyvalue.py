import pytest

from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import parse


def test_typed_values():
    assert parse(["a=1", "b=0.5", "c=true", "d=[1, 2]", "e={query}", "f=x y"]) == {
        "a": 1, "b": 0.5, "c": True, "d": [1, 2], "e": "{query}", "f": "x y",
    }  # fmt: skip


def test_strings_and_dashes():
    assert parse(["max-len = 3"], typed=False, dashes_to_underscores=True) == {"max_len": "3"}


@pytest.mark.parametrize("bad", ["novalue", "=3"])
def test_bad_item_is_named_in_one_line(bad):
    with pytest.raises(TvgError, match=f"--opt '{bad}': expected KEY=VALUE") as e:
        parse([bad], flag="--opt")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    "text,tp,want",
    [
        ("yes", bool, True), ("off", bool, False), ("3", int, 3), ("0.5", float, 0.5),
        ("none", int | None, None), ("4", int | None, 4), ("a, b,", tuple, ("a", "b")),
        ("x", str, "x"), (7, int, 7),
    ],
)  # fmt: skip
def test_convert_to_the_field_type(text, tp, want):
    from tvgcurate.keyvalue import convert

    assert convert(text, tp) == want


@pytest.mark.parametrize("text,tp", [("maybe", bool), ("1.5", int), ("x", float)])
def test_convert_rejects_a_wrong_value(text, tp):
    from tvgcurate.keyvalue import convert

    with pytest.raises(ValueError):
        convert(text, tp)


def test_apply_reaches_nested_keys_in_order_and_copies():
    from tvgcurate.keyvalue import apply

    data = {"sft": {"max_steps": 3, "peft": None}}
    out = apply(data, ["sft.peft.r=4", "sft.peft.target_modules=[q_proj]", "a.b.c=x", "seed=1"])
    assert out == {
        "sft": {"max_steps": 3, "peft": {"r": 4, "target_modules": ["q_proj"]}},
        "a": {"b": {"c": "x"}},
        "seed": 1,
    }
    assert data == {"sft": {"max_steps": 3, "peft": None}}  # the input is not changed
    assert apply({}, ["k.x=1", "k=null", "k.y=2"]) == {"k": {"y": 2}}  # later items win


def _schema():
    from dataclasses import dataclass, field
    from typing import Any

    @dataclass
    class Inner:
        n: int = 1
        extra: dict[str, Any] | None = None

    @dataclass
    class Outer:
        inner: Inner = field(default_factory=Inner)
        seed: int = 0

    return Outer


def test_assign_follows_the_dataclasses():
    from tvgcurate.keyvalue import apply

    out = apply({}, ["inner.n=2", "inner.extra.deep.k=v", "seed=3"], _schema())
    assert out == {"inner": {"n": 2, "extra": {"deep": {"k": "v"}}}, "seed": 3}


@pytest.mark.parametrize(
    "item, says",
    [
        ("inner.nope=1", "--set inner.nope: unknown key 'nope' in 'inner'; valid: extra, n"),
        ("nope.x=1", "--set nope.x: unknown key 'nope'; valid: inner, seed"),
        ("inner.n.x=1", "--set inner.n.x: 'inner.n' is a value, not a section"),
        ("inner..n=1", "--set inner..n: an empty part"),
    ],
)
def test_a_key_that_does_not_exist_is_one_line_naming_it(item, says):
    from tvgcurate.keyvalue import apply

    with pytest.raises(TvgError) as e:
        apply({}, [item], _schema())
    assert str(e.value).startswith(says) and "\n" not in str(e.value)


def test_a_value_in_the_way_of_a_key_is_named():
    from tvgcurate.keyvalue import apply

    with pytest.raises(TvgError, match="'inner' is 5, not a mapping"):
        apply({"inner": 5}, ["inner.n=1"], _schema())
