"""The three demo datasets: their names, splits, and how their native files word a query.

Shared by the generator (`data`) and the planted errors (`plants`).

    >>> style(CHARADES, "a red circle appears")
    'a red circle appears.'
"""

from __future__ import annotations

QVH, CHARADES, ANET = "qvhighlights", "charades-sta", "activitynet"
DATASETS = (QVH, CHARADES, ANET)
SPLITS = {QVH: ("train", "val"), CHARADES: ("train", "test"), ANET: ("train", "val")}
OTHER_SPLIT = {
    (ds, s): next(o for o in SPLITS[ds] if o != s) for ds in DATASETS for s in SPLITS[ds]
}


def style(dataset: str, text: str) -> str:
    """Write a lower-case phrase the way the dataset's native files do."""
    if not text:
        return text
    cap = text[0].upper() + text[1:]
    if dataset == CHARADES:
        return text + "."
    if dataset == ANET:
        return " " + cap + "."  # ActivityNet Captions sentences start with a space
    return cap
