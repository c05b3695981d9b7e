"""SAA keyframes: sample frames, score content change, mark boundaries, split a token budget.

Modules: `decode` (decoders registry), `scores` (HSV content values), `boundaries`
(scenedetect detectors, boosts), `budget` (policies registry, water-filling, 28-px grid),
`stage` (one video -> rows), `run` (the `tvgcurate keyframes` command's library function).
"""
