"""The one error type a bad data file raises: it names the file, the row and the column."""

from __future__ import annotations


class LoadError(Exception):
    """A data file was rejected; the message says where and why."""

    def __init__(
        self, file: str, message: str, *, row: int | None = None, column: str | None = None
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.reason = message
        where = [file]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}")
