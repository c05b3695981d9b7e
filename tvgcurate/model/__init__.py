"""Tempo-R0: ETA inputs over SAA frames, rewards, SFT / PIR-GRPO training, scoring, tiny model.

Only `eta` and `rewards` are plain Python; every module that needs torch, transformers or
TRL imports them inside its functions, so importing this package stays cheap.
"""
