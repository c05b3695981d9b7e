"""Errors that the CLI turns into one clear line and an exit code."""

from __future__ import annotations


class TvgError(Exception):
    """A user-facing error: its message is one line that says what is wrong and where."""

    exit_code = 2


class InputError(TvgError):
    """Bad input data: names the file, line or row, and the field."""

    def __init__(self, path: object, line: int | None, field: str | None, message: str):
        self.path, self.line, self.field = path, line, field
        where = str(path)
        if line is not None:
            where += f":{line}"
        what = f"field '{field}': " if field else ""
        super().__init__(f"{where}: {what}{message}")


class WorkspaceError(TvgError):
    """The workspace is missing, locked, or does not hold what was asked for."""
