import pytest

from tvgcurate.model.eta import REFUSAL, Answer, TimestampFormat, parse_answer


@pytest.mark.parametrize(
    ("max_d", "width", "example"),
    [
        (9.0, 1, "7.5"),
        (9.96, 2, "07.5"),
        (99.0, 2, "07.5"),
        (999.0, 3, "007.5"),
        (1000.0, 4, "0007.5"),
    ],
)
def test_width_from_max_duration(max_d, width, example):
    fmt = TimestampFormat.for_max_duration(max_d)
    assert fmt.width == width
    assert fmt.format(7.5) == example


@pytest.mark.parametrize("max_d", [9.0, 99.0, 999.0])
def test_every_stamp_of_a_dataset_has_one_width(max_d):
    fmt = TimestampFormat.for_max_duration(max_d)
    times = [0, 0.04, 1, 9.0, max_d / 3, max_d - 0.01, max_d]
    stamps = [fmt.stamp(t) for t in times]
    assert len({len(s) for s in stamps}) == 1
    assert all(s.startswith("<t>") and s.endswith("</t>") for s in stamps)


def test_format_rounds_and_clamps():
    fmt = TimestampFormat(4)
    assert fmt.format(12.46) == "0012.5"
    assert fmt.format(-3) == "0000.0"
    assert fmt.format(123456) == "9999.9"
    assert fmt.answer(12.5, 17) == "<answer>0012.5 to 0017.0</answer>"


def test_bad_width_and_duration():
    with pytest.raises(ValueError):
        TimestampFormat(0)
    with pytest.raises(ValueError):
        TimestampFormat.for_max_duration(float("nan"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<answer>0012.5 to 0017.0</answer>", Answer(12.5, 17.0, False)),
        ("<answer>12.5 to 17</answer>", Answer(12.5, 17.0, False)),
        ("<answer> 3 - 4.5 </answer>", Answer(3.0, 4.5, False)),
        ("<answer>.5 to 1.</answer>", Answer(0.5, 1.0, False)),
        ("<answer>9 to 2</answer>", Answer(9.0, 2.0, False)),  # kept; rewards judge it
        (REFUSAL, Answer(None, None, True)),
        ("<answer> NONE </answer>", Answer(None, None, True)),
        ("<answer>1 to 2</answer> no, <answer>3 to 4</answer>", Answer(3.0, 4.0, False)),
        ("<answer>1 to 2</answer><answer>none</answer>", Answer(None, None, True)),
    ],
)
def test_parse(text, expected):
    assert parse_answer(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "12 to 17",
        "<answer>soon</answer>",
        "<answer>1 to</answer>",
        "<answer>1 to 2",
        "<answer>1 to 2</answer><answer>x</answer>",
    ],
)
def test_parse_garbage_is_none(text):
    assert parse_answer(text) is None


def test_round_trip_every_width():
    for width in range(1, 6):
        fmt = TimestampFormat(width)
        a = parse_answer(fmt.answer(1.25, 7.0))
        assert (a.start, a.end) == (pytest.approx(1.2, abs=0.051), 7.0)


def test_no_torch_in_import_chain():
    import subprocess
    import sys

    code = (
        "import sys, tvgcurate.model.eta, tvgcurate.model.rewards; "
        "bad = [m for m in ('torch', 'transformers', 'trl') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
