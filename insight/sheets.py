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

#: The most characters a workbook cell holds (Excel's limit). openpyxl cuts a longer text
#: to it without a word, so such a cell is never written (`cell_unfit`).
CELL_LIMIT = 32_767
#: Control characters no workbook cell may hold (openpyxl refuses them mid-write); tab,
#: line feed and carriage return are allowed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class WorkbookError(ValueError):
    """A table holds a cell a workbook cannot keep as it is; nothing was written."""


def cell_unfit(value: Any) -> str | None:
    """Why a workbook cannot keep `value` as it is, or None: longer than a cell holds (a
    spreadsheet would keep only the start: a note cut short, silently) or with a control
    character. Says only its length or kind, never its words."""
    text = "" if value is None else str(value)
    if len(text) > CELL_LIMIT:
        return f"{len(text):,} characters, more than a workbook cell holds ({CELL_LIMIT:,})"
    if _CONTROL.search(text):
        return "a control character, which a workbook cell cannot hold"
    return None


def _check_cells(tables: dict[str, list[list[Any]]]) -> None:
    """Raise `WorkbookError` naming the first cell a workbook cannot keep whole."""
    for name, rows in tables.items():
        header = rows[0] if rows else []
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if (why := cell_unfit(value)) is not None:
                    column = header[c] if c < len(header) else c + 1
                    raise WorkbookError(
                        f"sheet {name!r}, row {r}, column {column!r} holds {why}; "
                        "no workbook was written")


def write_workbook(tables: dict[str, list[list[Any]]], path: Path, *,
                   as_text: bool = False) -> None:
    """One sheet per table; text cells are typed as text, never formulas; header bold.

    Numbers stay numbers and days dates, to sort and sum; `as_text`: every cell is typed
    text instead (a file a person corrects and ingests again: an id "00123" or 12345, a
    phone number or a date comes back as written, not as a number or a date). A cell a
    workbook cannot keep whole (`cell_unfit`) raises `WorkbookError` before anything is
    written: never a note cut short."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    _check_cells(tables)
    book = Workbook()
    book.remove(book.active)
    for name, rows in tables.items():
        sheet = book.create_sheet(name)
        shares = {c for c, head in enumerate(rows[0] if rows else [], start=1)
                  if head == "share"}  # a fraction, shown as the HTML shows it ("28%")
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c)
                if as_text and value is not None:
                    cell.value = value.isoformat() if isinstance(value, date) else str(value)
                    cell.data_type = "s"
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
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
