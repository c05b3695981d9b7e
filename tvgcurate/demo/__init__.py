"""Everything synthetic: demo videos with known truth, planted annotation errors, the demo
loop and the scoring of an audit against the planted errors.

- `data`: `generate(DemoConfig)` writes videos, native annotation files, ground_truth.json;
- `render`: draws and encodes one video from a `VideoSpec`;
- `plants`: the planted-error kinds (a registry);
- `datasets`: the three demo datasets and how their native files word a query;
- `evaluate`: per-check precision/recall against planted errors, precision@k;
- `loop`: `tvgcurate demo`, the whole loop one step after another.

No stage imports this package (docs/dev/architecture.md §2); it calls the stages and exporters.
"""
