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
