"""Spreadsheet output shared by the report's tables and the quarantine's rows to fix.

Cells that hold people's words are written so that a spreadsheet shows them as typed and
never runs them as formulas; files are written whole or not at all (`written_whole`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any


@contextmanager
def written_whole(path: Path, *, private: bool = False) -> Iterator[Path]:
    """A file beside `path` to write into, which becomes `path` only once written: a full
    disk or an interruption never leaves half a file where the last whole one was.

    `private`: only its owner may read it (a file that holds notes' words: a backup, rows
    to fix, the leads' report), whatever the umask lets other users of the machine do."""
    partial = path.with_name(f".{path.name}.partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield partial
        if private:
            os.chmod(partial, 0o600)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)

#: A cell a spreadsheet would read as a formula (CSV injection, OWASP): "=", "+", "-",
#: "@", tab or carriage return first.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell: text that a spreadsheet would run as a formula starts with
    an apostrophe, which shows it as typed."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


#: The widest a column is drawn (characters); longer text wraps in its cell.
WIDEST = 60


def write_workbook(tables: dict[str, list[list[Any]]], path: Path) -> None:
    """One sheet per table; text cells are typed as text, never formulas; header bold."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    book.remove(book.active)
    for name, rows in tables.items():
        sheet = book.create_sheet(name)
        shares = {c for c, head in enumerate(rows[0] if rows else [], start=1)
                  if head == "share"}  # a fraction, shown as the HTML shows it ("28%")
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    cell.value = value
                    if c in shares:
                        cell.number_format = "0%"
                elif isinstance(value, date) or (
                    isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
                ):  # a day, as a date a spreadsheet sorts and filters
                    cell.value = date.fromisoformat(str(value)[:10])
                    cell.number_format = "yyyy-mm-dd"
                elif value is not None:
                    cell.value = str(value)
                    cell.data_type = "s"  # "=SUM(...)" in a title stays text
                if r == 1:
                    cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for column in sheet.columns:
            width = max(len(str(cell.value or "")) for cell in column)
            sheet.column_dimensions[column[0].column_letter].width = min(WIDEST, max(10, width + 2))
            if width > WIDEST:  # a note reads whole in its cell, not cut at the next column
                for cell in column[1:]:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    book.save(path)
