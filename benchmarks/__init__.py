"""Experiments and speed measurements outside the library.

Run each as a module from the repository root, e.g. ``python -m benchmarks.learning --help``;
scripts import each other as ``from benchmarks import binding``. They use the library only
through its public entry points (docs/dev/architecture.md).
"""
