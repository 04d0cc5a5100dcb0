"""Errors that reach a person: each message says what is wrong, where, and what to do."""

from __future__ import annotations

from zoning.core.text import redact


class InputError(ValueError):
    """Bad input from a file or a person.

    Parameters
    ----------
    message : str
        What is wrong and what to do about it.
    row : int, optional
        Spreadsheet row number (the header is row 1).
    column : str, optional
        Column or field name.
    """

    def __init__(self, message: str, row: int | None = None, column: str | None = None):
        message = redact(message)  # a message never repeats a NIK (zoning.core.text.redact)
        column = None if column is None else redact(column)
        self.row = row
        self.column = column
        self.bare = message
        where = []
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"option {column}" if column.startswith("--") else f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
