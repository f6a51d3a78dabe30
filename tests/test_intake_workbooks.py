"""Excel workbooks read as notes: listeners keep their notes in a sheet more often than in
a CSV. Each test builds a real .xlsx with openpyxl and reads it through the same paths as a
CSV (ingest, classify, train data)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from insight.classify.data import load_labelled
from insight.codebook import load_codebook
from insight.intake import FileRejected, ingest_file, read_rows, read_texts
from insight.store import Store
from tests.run import run_cli

CATEGORY_IDS = load_codebook().ids


def workbook(path: Path, *sheets: tuple[str, list[list[Any]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


LISTENING = [
    ["Note ID", "Date heard", "Listener code", "Text", "Safeguarding", "consent_quote"],
    [101, datetime(2025, 6, 14), "L-7", "Waited eleven weeks for a first call back.", False, True],
    [None, None, None, None, None, None],  # a blank row between entries
    [102.0, datetime(2025, 6, 15, 10, 30), "L-7", "The crisis line never answered.", True, False],
]


def test_a_sheet_is_read_like_a_csv_export(store: Store, tmp_path: Path) -> None:
    path = workbook(tmp_path / "notes.xlsx", ("June", LISTENING))
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q")
    assert report.balanced and report.file_error is None
    assert (report.accepted, report.rejected) == (2, 0)
    assert report.warnings == [
        "read 'Note ID' as id", "read 'Date heard' as heard_on", "read 'Listener code' as listener"
    ]
    first, second = store.get_note("101"), store.get_note("102")
    assert first is not None and second is not None  # 102.0 is the id "102"
    assert first["heard_on"] == date(2025, 6, 14) and second["heard_on"] == date(2025, 6, 15)
    assert first["listener"] == "L-7"
    assert (first["safeguarding"], second["safeguarding"]) == (False, True)
    assert (first["consent_quote"], second["consent_quote"]) == (True, False)


def test_rows_are_numbered_as_the_sheet_numbers_them(tmp_path: Path) -> None:
    rows = [
        ["id", "text", "listener"],
        ["a1", "Fine.", "L-1"],
        [None, None, None],
        ["a2", "Also fine.", "L-1", "a note typed one column too far"],
    ]
    path = workbook(tmp_path / "wide.xlsx", ("Notes", rows))
    read, warnings = read_rows(path)
    got = list(read)
    assert [r.line for r in got] == [2, 4]
    assert got[0].data == {"id": "a1", "text": "Fine.", "listener": "L-1"}
    assert got[1].data is None
    assert got[1].error == "row has 1 filled cell to the right of the last named column (3)"
    assert warnings == []


def test_only_the_first_sheet_is_read_and_that_is_said(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "two.xlsx",
        ("Notes", [["text"], ["From the first sheet."]]),
        ("Old", [["text"], ["From the second sheet."]]),
    )
    ids, texts = read_texts(path)
    assert texts == ["From the first sheet."]
    _, warnings = read_rows(path)
    list(_)
    assert warnings == [
        "the workbook has 2 sheets; only the first ('Notes') was read: put the notes on the "
        "first sheet, or save each sheet as its own file"
    ]


def test_a_title_row_above_the_header_is_named_as_a_row(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "title.xlsx",
        ("Notes", [["Listening notes, June"], ["id", "text"], ["t1", "A note."]]),
    )
    rows, _ = read_rows(path)
    with pytest.raises(FileRejected, match="the header row with the 'text' column is row 2"):
        list(rows)


def test_a_broken_workbook_and_other_spreadsheets_are_refused_with_what_to_do(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + bytes(100))
    rows, _ = read_rows(broken)
    with pytest.raises(FileRejected, match="not a readable Excel workbook.*save it again"):
        list(rows)
    ods = tmp_path / "notes.ods"
    ods.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(FileRejected, match=r"\.ods spreadsheets are not read; save the sheet "
                                           r"as \.xlsx or as CSV"):
        read_rows(ods)


def test_cli_ingest_and_classify_read_a_workbook(tmp_path: Path) -> None:
    path = workbook(tmp_path / "notes.xlsx", ("June", LISTENING))
    folder = tmp_path / "ws"
    assert run_cli("init", str(folder), cwd=tmp_path).returncode == 0
    result = run_cli("ingest", "-w", str(folder), "--no-screen", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{path}: accepted 2, rejected 0, already present 0" in result.stdout
    assert f"{path}: 1 note routed to the safeguarding queue" in result.stdout
    out = tmp_path / "tags.jsonl"
    result = run_cli(
        "classify", str(path), "--id-col", "Note ID", "--out", str(out), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    # one line per row, the blank one too (its row number for an id), as for a CSV
    assert [line["id"] for line in lines] == ["101", "2", "102"]


def test_training_data_from_a_workbook_with_tick_boxes(tmp_path: Path) -> None:
    rows = [["id", "text", "Access", "Crisis"]]
    rows += [[i, f"note {i}", i % 2 == 0, 1 if i % 3 == 0 else 0] for i in range(12)]
    path = workbook(tmp_path / "labels.xlsx", ("Labels", rows))
    data = load_labelled(path)
    assert data.ids[:3] == ["0", "1", "2"]
    assert data.label_names == ["access", "crisis"]
    assert data.labels[0] == ["access", "crisis"]
    assert data.labels[1] == []
    assert data.labels[3] == ["crisis"]
