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
