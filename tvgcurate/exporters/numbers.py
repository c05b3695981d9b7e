"""Number formatting shared by the text exporters."""

from __future__ import annotations


def plain(x: float | int | None):
    """An integral float as int (150.0 -> 150), so native files keep their own look."""
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


def qid_value(qid: str):
    """A source qid as the native files carry it: digits as an int, anything else as text."""
    return int(qid) if qid.isdigit() and (qid == "0" or not qid.startswith("0")) else qid
