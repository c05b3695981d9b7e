"""`tvgcurate eval --compare A.json B.json`: metric differences beside the card fields that
differ, and whether the numbers can be compared at all.

Verdicts (docs/metrics.md, "Comparing two runs"):

* **incomparable** when the two were computed against other ground truth (content hash of
  the scored queries, sources, splits, original vs relabelled labels), or with another frame
  policy, fps, token budget, frames cap, prompt (hash) or decoding (greedy / sampled,
  temperature, K);
* **comparable with caution** when only the answer parser, library versions, ETA width,
  backend, dtype, max tokens, seed or the samples table version (same scored content)
  differ, or a card is missing or does not know a field;
* **comparable** otherwise (only the checkpoint and where the predictions are differ).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from tvgcurate.errors import InputError

# Flattened card fields (group.key) whose difference makes the numbers incomparable.
INCOMPARABLE: dict[str, str] = {
    "ground_truth.gt_sha256": "other ground truth (scored queries differ)",
    "ground_truth.sources": "other ground-truth source",
    "ground_truth.splits": "other split",
    "ground_truth.labels": "original vs relabelled labels",
    "frames.policy": "other frame policy",
    "frames.fps": "other fps",
    "frames.token_budget": "other token budget",
    "frames.tokens_per_frame": "other token budget",
    "frames.max_frames": "other frames cap",
    "frames.source": "other frame policy",
    "prompt.sha256": "other prompt",
    "decoding.mode": "other decoding",
    "decoding.temperature": "other decoding",
    "decoding.num_samples": "other decoding",
}
# Fields that say which run it is, or that follow from the fields above: shown, never flagged.
INFORMATIONAL = ("run_id", "predictions.", "checkpoint.", "score_ground_truth.", "card_version")
INFORMATIONAL_GT = (
    "ground_truth.num_",
    "ground_truth.workspace",
    "ground_truth.file",
    "ground_truth.kind",
    "ground_truth.relabelled",
    "frames.frames_per_sample",
    "frames.tokens_per_sample",
    "frames.keyframes_",
    "prompt.template",
)

METRICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("mAP", ("brief", "MR-full-mAP")),
    ("R1@0.3", ("extra", "R1@0.3")),
    ("R1@0.5", ("brief", "MR-full-R1@0.5")),
    ("R1@0.7", ("brief", "MR-full-R1@0.7")),
    ("mIoU", ("extra", "mIoU")),
    ("RA-IoU@0.3", ("extra", "refusal_aware", "RA-IoU@0.3")),
    ("RA-IoU@0.5", ("extra", "refusal_aware", "RA-IoU@0.5")),
    ("RA-IoU@0.7", ("extra", "refusal_aware", "RA-IoU@0.7")),
    ("relevance acc", ("extra", "refusal_aware", "relevance_accuracy")),
    ("relevance P", ("extra", "refusal_aware", "relevance_precision")),
    ("relevance R", ("extra", "refusal_aware", "relevance_recall")),
    ("relevance F1", ("extra", "refusal_aware", "relevance_f1")),
    ("refusal acc", ("extra", "refusal", "accuracy")),
    ("queries", ("extra", "num_queries")),
)


@dataclass
class FieldDiff:
    name: str  # flattened card field
    a: object
    b: object
    level: str  # incomparable | caution | info
    why: str = ""


@dataclass
class Comparison:
    a: str
    b: str
    metrics: list[tuple[str, float | None, float | None, float | None]]  # name, A, B, B - A
    fields: list[FieldDiff] = field(default_factory=list)
    missing_card: list[str] = field(default_factory=list)  # "A" / "B"

    @property
    def verdict(self) -> str:
        """'incomparable', 'caution' or 'comparable'."""
        levels = {d.level for d in self.fields}
        if "incomparable" in levels:
            return "incomparable"
        return "caution" if "caution" in levels or self.missing_card else "comparable"

    def reasons(self, level: str) -> list[str]:
        return list(dict.fromkeys(d.why for d in self.fields if d.level == level))

    def to_dict(self) -> dict:
        return {
            "a": self.a,
            "b": self.b,
            "verdict": self.verdict,
            "metrics": [{"name": n, "a": x, "b": y, "diff": d} for n, x, y, d in self.metrics],
            "fields": [vars(d) for d in self.fields],
            "missing_card": self.missing_card,
        }


def flatten(d: dict, prefix: str = "") -> dict[str, object]:
    """Nested dicts as ``{"group.key": value}`` (lists and scalars are leaves)."""
    out: dict[str, object] = {}
    for k, v in d.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, name + "."))
        else:
            out[name] = v
    return out


def _get(d: dict, path: tuple[str, ...]):
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d if isinstance(d, int | float) and not isinstance(d, bool) else None


def classify(name: str, a: object, b: object) -> FieldDiff:
    """How a differing card field bears on comparability."""
    if name.startswith(INFORMATIONAL) or name.startswith(INFORMATIONAL_GT):
        return FieldDiff(name, a, b, "info", "")
    if a is None or b is None:
        return FieldDiff(name, a, b, "caution", f"{name} unknown on one side")
    if name in INCOMPARABLE:
        return FieldDiff(name, a, b, "incomparable", INCOMPARABLE[name])
    group = name.split(".", 1)[0]
    why = {
        "parser": "other answer parser",
        "versions": "other library versions",
        "timestamp_format": "other ETA timestamp format",
        "ground_truth": "other samples table version (same scored queries)",
        "decoding": "other decoding settings",
        "prompt": "other prompt settings",
        "frames": "other frame settings",
    }.get(group, f"{name} differs")
    return FieldDiff(name, a, b, "caution", why)


def compare_results(a: dict, b: dict, name_a: str = "A", name_b: str = "B") -> Comparison:
    """Compare two `tvgcurate eval --out` results (metrics and cards)."""
    rows = []
    for label, path in METRICS:
        x, y = _get(a, path), _get(b, path)
        diff = round(y - x, 2) if x is not None and y is not None else None
        rows.append((label, x, y, diff))
    cmp = Comparison(name_a, name_b, rows)
    ca, cb = a.get("card"), b.get("card")
    cmp.missing_card = [n for n, c in ((name_a, ca), (name_b, cb)) if not c]
    fa, fb = flatten(ca or {}), flatten(cb or {})
    for key in sorted(set(fa) | set(fb)):
        x, y = fa.get(key), fb.get(key)
        if x != y:
            cmp.fields.append(classify(key, x, y))
    return cmp


def compare_files(a: Path, b: Path) -> Comparison:
    """Read two metrics JSON files of `tvgcurate eval --out` and compare them."""
    return compare_results(_load(Path(a)), _load(Path(b)), str(a), str(b))


def _load(path: Path) -> dict:
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(path, None, None, f"cannot read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(path, exc.lineno, None, f"not valid JSON: {exc.msg}") from None
    if not isinstance(d, dict) or "brief" not in d:
        raise InputError(path, None, None, "not a metrics file of `tvgcurate eval --out`")
    return d
