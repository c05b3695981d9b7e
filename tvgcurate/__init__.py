"""tvgcurate: build and curate temporal video grounding training sets."""

__version__ = "0.1.0"
