"""Explicit Timestamp Alignment (ETA): timestamp text, answer text and the answer parser.

Plain Python (no torch): exporters and rewards import it. One fixed-width format holds for a
whole dataset, chosen from its longest video, so the model sees every number with the same
number of digits: for a dataset of videos up to 999 s every stamp is ``ddd.d``::

    >>> fmt = TimestampFormat.for_max_duration(150.0)
    >>> fmt.stamp(12.5)
    '<t>012.5</t>'
    >>> fmt.answer(12.5, 17.0)
    '<answer>012.5 to 017.0</answer>'
    >>> parse_answer("<answer>12.5 to 17</answer>")
    Answer(start=12.5, end=17.0, refused=False)
    >>> parse_answer("<answer>none</answer>").refused
    True
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

REFUSAL_WORD = "none"
REFUSAL = f"<answer>{REFUSAL_WORD}</answer>"
TIME_OPEN, TIME_CLOSE = "<t>", "</t>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"


@dataclass(frozen=True)
class TimestampFormat:
    """Zero-padded integer part of `width` digits and one decimal: width 4 -> ``0012.5``."""

    width: int = 4

    def __post_init__(self):
        if not 1 <= self.width <= 9:
            raise ValueError(f"timestamp width must be 1..9 digits, got {self.width}")

    @classmethod
    def for_max_duration(cls, max_duration_s: float, min_width: int = 1) -> TimestampFormat:
        """The narrowest width that writes every time in [0, max_duration_s]: 9 s -> 1, 99 s -> 2."""
        if max_duration_s is None or not math.isfinite(max_duration_s) or max_duration_s < 0:
            raise ValueError(f"max duration must be a finite number >= 0, got {max_duration_s!r}")
        largest = int(round(max_duration_s, 1))  # 9.96 is written 10.0: two digits
        return cls(max(min_width, len(str(largest))))

    @property
    def max_value(self) -> float:
        return 10**self.width - 0.1

    def format(self, t: float) -> str:
        """``t`` in seconds as fixed-width text, clamped to [0, max_value]."""
        t = min(max(float(t), 0.0), self.max_value)
        return f"{t:0{self.width + 2}.1f}"

    def stamp(self, t: float) -> str:
        """The text that precedes a frame: ``<t>0012.5</t>``."""
        return f"{TIME_OPEN}{self.format(t)}{TIME_CLOSE}"

    def answer(self, start: float, end: float) -> str:
        """The answer for a window: ``<answer>0012.5 to 0017.0</answer>``."""
        return f"{ANSWER_OPEN}{self.format(start)} to {self.format(end)}{ANSWER_CLOSE}"


def refusal() -> str:
    """The answer for a query that does not happen in the video."""
    return REFUSAL


@dataclass(frozen=True)
class Answer:
    """A parsed answer: a window in seconds, or a refusal (start = end = None)."""

    start: float | None
    end: float | None
    refused: bool


_ANSWER_RE = re.compile(re.escape(ANSWER_OPEN) + r"(.*?)" + re.escape(ANSWER_CLOSE), re.S)
_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_WINDOW_RE = re.compile(
    rf"^\s*({_NUM})\s*(?:s\b)?\s*(?:to|-|–|—|,)\s*({_NUM})\s*(?:s\b)?\s*$", re.I
)
_REFUSAL_RE = re.compile(rf"^\s*{REFUSAL_WORD}\s*$", re.I)


def parse_answer(text: str | None) -> Answer | None:
    """Parse the last ``<answer>...</answer>`` in `text`; None when it is missing or malformed.

    Padded (``0012.5``) and unpadded (``12.5``, ``12``) numbers are accepted, as are the
    separators ``to``, ``-`` and ``,``. The window is returned as written (``start > end`` is
    kept, so rewards can score it); a refusal is ``Answer(None, None, True)``.

    >>> parse_answer("<answer>1 to 2</answer> then <answer>0003.0 to 0004.5</answer>")
    Answer(start=3.0, end=4.5, refused=False)
    >>> parse_answer("the shape appears at 3 s") is None
    True
    """
    if not text:
        return None
    found = _ANSWER_RE.findall(text)
    if not found:
        return None
    body = found[-1]
    if _REFUSAL_RE.match(body):
        return Answer(None, None, True)
    m = _WINDOW_RE.match(body)
    if not m:
        return None
    start, end = float(m.group(1)), float(m.group(2))
    if not (math.isfinite(start) and math.isfinite(end)):
        return None
    return Answer(start, end, False)
