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
    assert got[1].error == (
        "row has a value in column D, which has no name in row 1: name the column or clear "
        "the cell"
    )
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
        "the workbook has 2 sheets; the first ('Notes') was read",
        "NOT READ: 'Old' has a 'text' column too (one sheet is read a file): if it holds "
        "notes (a second volunteer's log?), save it as its own file and ingest it"
    ]


def test_a_title_row_above_the_header_is_left_out_and_said(tmp_path: Path) -> None:
    """A hand-kept log's title, merged across the top (blind coordinator audit: the notes
    sheet was passed over for a contacts list beside it). Rows keep the sheet's numbers."""
    path = workbook(
        tmp_path / "title.xlsx",
        ("Notes", [["Listening notes, June"], ["id", "text"], ["t1", "A note."]]),
    )
    rows, warnings = read_rows(path)
    assert [(r.line, r.data) for r in rows] == [(3, {"id": "t1", "text": "A note."})]
    assert warnings == ["the header is row 2: row 1 above it (a title or instructions?) was "
                        "left out"]
    # a blank row under the title, the notes column named with --text-col
    kept = workbook(tmp_path / "kept.xlsx", ("Log", [
        ["Peer listening log 2025"], [None], ["Date", "Who", "What was said", "Consent"],
        ["01/05/2025", "L1", "Waited a year for a call back.", "yes"]]))
    rows, warnings = read_rows(kept, text_col="What was said")
    assert [r.line for r in rows] == [4]
    assert warnings[0] == ("the header is row 3: rows 1 to 2 above it (a title or "
                           "instructions?) were left out")
    # a row of two cells above the header is not a title: the file is refused, as before
    two = workbook(tmp_path / "two.xlsx", ("Log", [
        ["Peer listening log", "2025"], ["id", "text"], ["t1", "A note."]]))
    rows, _ = read_rows(two)
    with pytest.raises(FileRejected, match="the header row with the 'text' column is row 2"):
        list(rows)


def test_a_title_row_on_the_notes_sheet_is_named_not_a_lookup_sheet_beside_it(
    tmp_path: Path,
) -> None:
    # blind audit: a lookup sheet with two named columns was read instead ("the first with
    # the notes column ('Lookups') was read"), then rejected for having no notes column,
    # and the title above the real header was never named
    path = workbook(
        tmp_path / "titled.xlsx",
        ("Notes", [["Listening notes - March 2025"], [None], ["id", "heard_on", "text"],
                   [1.0, datetime(2025, 3, 3), "Discharged with no plan or follow-up call."]]),
        ("Lookups", [["listener", "name"], ["L01", "Sam Patel"]]),
    )
    read, warnings = read_rows(path)
    assert [(r.line, r.data["id"]) for r in read] == [(4, "1")]
    assert warnings[:2] == [
        "the workbook has 2 sheets; the first ('Notes') was read; 'Lookups' has no 'text' "
        "column in row 1, so passed over (a cover or instructions sheet?)",
        "the header is row 3: rows 1 to 2 above it (a title or instructions?) were left out",
    ]


def test_a_contacts_sheet_with_a_note_column_is_not_read_as_the_notes(tmp_path: Path) -> None:
    """Blind coordinator audit: a volunteers' contacts list ("Note": "volunteer") before
    the log became a note while the log itself was passed over."""
    path = workbook(
        tmp_path / "log.xlsx",
        ("Contacts", [["Name", "Phone", "Note"], ["Jo Harris", "07700 900456", "volunteer"]]),
        ("Log", [["Date", "Note"], ["02/10/2026", "Older man said since the day centre closed "
                                                   "he talks to nobody all week."],
                 ["09/10/2026", "Waited fourteen months for CAMHS, then discharged."]]),
    )
    read, warnings = read_rows(path, text_col="Note")
    assert [r.line for r in read] == [2, 3]
    assert warnings[0] == ("the workbook has 2 sheets; the one whose notes column holds the "
                           "most words ('Log') was read")
    assert warnings[-1].startswith("NOT READ: 'Contacts' has a 'Note' column too")


def test_a_broken_workbook_and_other_spreadsheets_are_refused_with_what_to_do(
    tmp_path: Path,
) -> None:
    cases = {
        "broken.xlsx": (b"PK\x03\x04" + bytes(100), "not a readable Excel workbook.*save it again"),
        "empty.xlsx": (b"", "the file is empty"),
        "renamed.xlsx": (b"id,text\n1,A note.\n", "is a text file.*rename it to .csv"),
        "locked.xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100),
                        "password-protected.*remove the password"),
        "~$notes.xlsx": (b"\x05Excel" + bytes(150), "lock file Excel keeps"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        rows, _ = read_rows(path)
        with pytest.raises(FileRejected, match=message):
            list(rows)
    for suffix in (".ods", ".xlsb"):
        other = tmp_path / f"notes{suffix}"
        other.write_bytes(b"PK\x03\x04" + bytes(100))
        with pytest.raises(FileRejected, match=rf"\{suffix} spreadsheets are not read; save "
                                               r"the sheet as \.xlsx or as CSV"):
            read_rows(other)


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
    # one line per row, the blank one too (no id: its number could be another row's), as
    # for a CSV, named by its row on the sheet
    assert [line["id"] for line in lines] == ["101", None, "102"]
    assert lines[1]["error"] == "no text"
    assert "1 row had no text: row 3 (" in result.stderr


def test_training_data_from_a_workbook_with_tick_boxes(tmp_path: Path) -> None:
    rows = [["id", "text", "Access", "Crisis"]]
    rows += [[i, f"note {i}", i % 2 == 0, 1 if i % 3 == 0 else 0] for i in range(12)]
    path = workbook(tmp_path / "labels.xlsx", ("Labels", rows))
    data = load_labelled(path)
    assert data.ids[:3] == ["0", "1", "2"]
    assert data.label_names == ["Access", "Crisis"]  # as the sheet spells them
    assert data.labels[0] == ["Access", "Crisis"]
    assert data.labels[1] == []
    assert data.labels[3] == ["Crisis"]


def _with_dimension(path: Path, ref: str) -> Path:
    """The workbook with its sheet's recorded size rewritten, as some export tools get it
    wrong."""
    import re
    import zipfile

    out = path.with_name(f"dim-{path.name}")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data)
            dst.writestr(item, data)
    return out


def test_a_wrongly_recorded_sheet_size_loses_no_row_or_column(tmp_path: Path) -> None:
    rows = [["id", "text", "consent_quote"]] + [[i, f"note {i}", "yes"] for i in range(1, 41)]
    for ref in ("A1:A1", "A1:B5"):
        path = _with_dimension(workbook(tmp_path / "notes.xlsx", ("Notes", rows)), ref)
        read, _ = read_rows(path)
        got = [r.data for r in read]
        assert len(got) == 40
        assert got[-1] == {"id": "40", "text": "note 40", "consent_quote": "yes"}


def test_the_first_visible_sheet_is_read(tmp_path: Path) -> None:
    book = Workbook()
    lists = book.active
    lists.title = "Lists"
    lists.append(["text"])
    lists.append(["a drop-down list, not a note"])
    lists.sheet_state = "hidden"
    notes = book.create_sheet("Notes")
    notes.append(["text"])
    notes.append(["The one note."])
    path = tmp_path / "hidden.xlsx"
    book.save(path)
    ids, texts = read_texts(path)
    assert texts == ["The one note."]


def test_cells_merged_down_count_in_each_row(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "heard_on", "listener", "text"])
    for i in range(1, 4):
        sheet.append([f"m{i}", date(2025, 6, 14) if i == 1 else None,
                      "L-3" if i == 1 else None, f"note {i}"])
    sheet.merge_cells("B2:B4")
    sheet.merge_cells("C2:C4")
    path = tmp_path / "merged.xlsx"
    book.save(path)
    read, warnings = read_rows(path)
    got = [r.data for r in read]
    assert [(r["heard_on"], r["listener"]) for r in got] == [("2025-06-14", "L-3")] * 3
    assert warnings == [
        "cells merged over several rows (B2:B4, C2:C4) were read as the same value in each "
        "of those rows"
    ]


def test_excel_errors_number_formats_and_blank_rows_at_the_end(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "text", "share"])
    sheet.append([124, "Padded id.", 0.25])
    sheet.append([125, "#N/A", 0.5])
    sheet["A2"].number_format = sheet["A3"].number_format = "00000"
    sheet["C2"].number_format = sheet["C3"].number_format = "0%"
    for row in range(4, 30):  # formatted, never filled
        sheet.cell(row=row, column=1).number_format = "00000"
        sheet.cell(row=row, column=1).value = None
    sheet.cell(row=29, column=2).value = " "
    path = tmp_path / "formats.xlsx"
    book.save(path)
    read, _ = read_rows(path, keep_blank_rows=True)
    got = list(read)
    assert got[0].data == {"id": "00124", "text": "Padded id.", "share": "25%"}
    assert (got[1].line, got[1].error) == (
        3, "cell B3 holds the Excel error #N/A; fix the formula or type the value"
    )
    assert len(got) == 2  # blank rows after the last note are not rows, even for classify


def test_a_totals_row_is_quarantined_and_a_deep_header_is_found(
    store: Store, tmp_path: Path
) -> None:
    rows = [["id", "listener", "text"], ["t1", "L-1", "Waited a year."],
            ["t2", "L-1", "Nobody rang back."], [None, "Total notes:", 2]]
    path = workbook(tmp_path / "totals.xlsx", ("Notes", rows))
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q")
    assert (report.accepted, report.rejected) == (2, 1)
    assert report.first_reasons == [
        (4, "text: text has no words (only numbers or symbols): a total or footer row?")
    ]
    instructions = [[f"Step {i}: fill in the sheet below."] for i in range(1, 8)]
    deep = workbook(tmp_path / "deep.xlsx",
                    ("Notes", [*instructions, ["id", "text"], ["d1", "A note."]]))
    read, warnings = read_rows(deep)
    assert [(r.line, r.data["id"]) for r in read] == [(9, "d1")]
    assert warnings == ["the header is row 8: rows 1 to 7 above it (a title or "
                        "instructions?) were left out"]


def test_classify_says_which_sheet_it_read_and_trims_ids(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "months.xlsx",
        ("June", [["id", "text"], ["  A-7  ", "Waited eleven weeks."]]),
        ("July", [["id", "text"], ["B-1", "Still waiting."]]),
    )
    out = tmp_path / "out.jsonl"
    result = run_cli("classify", str(path), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "NOT READ: 'July' has a 'text' column too" in " ".join(
        result.stderr.split())
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["A-7"]


def test_ingest_reads_the_notes_from_a_column_named_on_the_command_line(tmp_path: Path) -> None:
    """A form's export: the question is the notes column, every time; no renaming."""
    rows = [["ID", "Start time", "What did you hear?", "Any safeguarding worries?"],
            [1, datetime(2025, 3, 14, 10, 22), "Waited a year for a call back.", "No"],
            [2, datetime(2025, 3, 14, 11, 0), "Says she does not feel safe at home.", "Yes"]]
    path = workbook(tmp_path / "forms.xlsx", ("Form1", rows))
    folder = tmp_path / "ws"
    assert run_cli("init", str(folder), cwd=tmp_path).returncode == 0
    refused = run_cli("ingest", "-w", str(folder), "--no-screen", str(path), cwd=tmp_path)
    assert refused.returncode == 3  # the file was rejected
    assert "did you mean --text-col 'What did you hear?' (its cells read like notes)?" in \
        " ".join(refused.stderr.replace("│", " ").split())
    result = run_cli("ingest", "-w", str(folder), "--no-screen", "--id-prefix", "form1-",
                     "--text-col", "What did you hear?", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{path}: accepted 2, rejected 0, already present 0" in result.stdout
    assert f"{path}: 1 note routed to the safeguarding queue" in result.stdout
    with Store.open(f"sqlite:///{folder / 'insight.db'}", actor="t") as store:
        assert store.get_note("form1-1")["text"] == "Waited a year for a call back."


def test_formulas_without_a_saved_value_are_reported(tmp_path: Path) -> None:
    """openpyxl, like other programs, writes formulas without computing them."""
    rows = [["id", "text", "heard_on"], ['=CONCATENATE("n-", 1)', "A note.", "=TODAY()"],
            ["n-2", "Another note.", "2025-06-01"]]
    path = workbook(tmp_path / "formulas.xlsx", ("Notes", rows))
    read, warnings = read_rows(path)
    got = [r.data for r in read]
    assert got[0] == {"id": "", "text": "A note.", "heard_on": ""}
    assert warnings == [
        "2 cells (A2, C2) hold a formula with no saved value (the file was written by a "
        "program, not saved by a spreadsheet), read as empty: open the file in Excel or "
        "LibreOffice, save it, and try again"
    ]


def test_merged_cells_in_the_last_column_and_errors_in_other_columns(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "text", "lookup", "listener"])
    sheet.append(["s1", "First note.", "#N/A", "L-9"])
    sheet.append(["s2", "Second note.", "ok"])
    sheet.append(["#REF!", "Third note.", "ok", "L-1"])
    sheet.merge_cells("D2:D3")
    path = tmp_path / "last.xlsx"
    book.save(path)
    read, warnings = read_rows(path)
    got = list(read)
    assert got[0].data == {"id": "s1", "text": "First note.", "lookup": "", "listener": "L-9"}
    assert got[1].data == {"id": "s2", "text": "Second note.", "lookup": "ok", "listener": "L-9"}
    assert got[2].error == "cell A4 holds the Excel error #REF!; fix the formula or type the value"
    assert "cells holding an Excel error were read as empty: C2 (#N/A)" in warnings


def test_a_form_question_that_mentions_safeguarding_is_only_the_notes(tmp_path: Path) -> None:
    rows = [["ID", "Anything about safeguarding or what you heard?", "Any safeguarding worries?"],
            [1, "Waited a year for a call back.", "No"],
            [2, "Says she does not feel safe at home.", "Yes"]]
    path = workbook(tmp_path / "form.xlsx", ("Form1", rows))
    read, warnings = read_rows(path, text_col="Anything about safeguarding or what you heard?",
                               map_aliases=True)
    got = [r.data for r in read]
    assert [(r["text"], r["safeguarding"]) for r in got] == [
        ("Waited a year for a call back.", "No"), ("Says she does not feel safe at home.", "Yes")
    ]
    assert warnings == ["read 'Any safeguarding worries?' as safeguarding"]
    both = workbook(tmp_path / "both.xlsx", ("F", [["text", "Question?"], ["a", "b"]]))
    read, _ = read_rows(both, text_col="Question?", map_aliases=True)
    with pytest.raises(FileRejected, match="has a 'text' column as well as 'Question\\?'"):
        list(read)


def test_a_misspelt_text_column_gets_a_did_you_mean(tmp_path: Path) -> None:
    rows = [["ID", "What’s on your mind?", "Can we quote? (Yes/No)"], [1, "A note.", "No"]]
    path = workbook(tmp_path / "form.xlsx", ("Form1", rows))
    read, _ = read_rows(path, text_col="What's on your mind?")  # a straight apostrophe
    assert [r.data["what's_on_your_mind?"] for r in read] == ["A note."]
    read, _ = read_rows(path, text_col="Whats on your mind")
    with pytest.raises(FileRejected, match="did you mean 'What’s on your mind\\?'\\?"):
        list(read)
    read, _ = read_rows(path, text_col="Notes")
    with pytest.raises(FileRejected, match="check the name given to --text-col$"):
        list(read)


def test_a_cover_sheet_before_the_notes_is_passed_over(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "cover.xlsx",
        ("How to fill this in", [["Type one note per row on the next sheet."]]),
        ("Notes", [["id", "text"], ["c1", "The note itself."]]),
        ("March", [["id", "text"], ["m1", "Another month's note."]]),
    )
    read, warnings = read_rows(path)
    assert [r.data for r in read] == [{"id": "c1", "text": "The note itself."}]
    assert warnings == [
        "the workbook has 3 sheets; the first with the notes column ('Notes') was read; "
        "<19 characters> has no 'text' column in row 1, so passed over (a cover or "
        "instructions sheet?)",
        "NOT READ: 'March' has a 'text' column too (one sheet is read a file): if it holds "
        "notes (a second volunteer's log?), save it as its own file and ingest it"
    ]


def test_a_cover_sheet_does_not_hide_what_the_notes_sheet_is_missing(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "cover.xlsx",
        ("How to fill this in", [["Type one note per row on the next sheet."]]),
        ("Notes", [["id", "What they said", "date"],
                   ["c1", "Waited eleven weeks for a call back from the team.", "2025-01-01"],
                   ["c2", "Nobody at the surgery listened to me about my son.", "2025-01-02"]]),
    )
    read, _ = read_rows(path)
    with pytest.raises(FileRejected) as caught:
        list(read)
    assert str(caught.value).startswith("sheet 'Notes' (of 2 in the workbook; no sheet has "
                                        "the notes column in its header): row 1 has 3 "
                                        "columns")
    assert str(caught.value).endswith("did you mean --text-col 'What they said' (its cells "
                                      "read like notes)?")
    read, _ = read_rows(path, text_col="What they said")
    assert [r.data["id"] for r in read] == ["c1", "c2"]


def test_the_progress_bar_counts_the_rows_a_sheet_really_has(tmp_path: Path) -> None:
    from insight.intake import rows_upper_bound

    rows = [["id", "text"]] + [[i, f"note {i}"] for i in range(1, 41)]
    path = _with_dimension(workbook(tmp_path / "notes.xlsx", ("Notes", rows)), "A1:A1")
    assert rows_upper_bound(path) == 41
    assert rows_upper_bound(tmp_path / "missing.xlsx") == 0


def test_a_footer_after_the_last_blank_row_is_quarantined_not_stored(
    store: Store, tmp_path: Path
) -> None:
    notes = [[f"f{i}", "2025-06-01", "L-1", f"Note number {i} about the wait."]
             for i in range(1, 6)]
    rows = [["id", "heard_on", "listener", "text"], *notes, [None] * 4,
            ["f6", "2025-06-02", "L-2", "A note after a gap is still a note."], [None] * 4,
            [None, None, None, "Last updated 20/06/2025"], [None, "Total", None, 6]]
    path = workbook(tmp_path / "footer.xlsx", ("Log", rows))
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q")
    assert (report.accepted, report.rejected) == (6, 2)
    assert [line for line, _ in report.first_reasons] == [10, 11]
    assert report.first_reasons[0][1].startswith(
        "after the blank row at the end of the sheet, with fewer cells filled than the notes "
        "above: a total or a footer? If it is a note, fill in its other columns in the file "
        "itself and ingest it again"  # the file to fix holds the row as written, no more
    )
    # classify and redact read it the same way: one line per row, a blank row between
    # notes too, but not the footer (said in a warning)
    warnings: list[str] = []
    ids, texts = read_texts(path, warnings=warnings)
    assert len(texts) == 7 and texts[-1] == "A note after a gap is still a note."
    assert ids[-2:] == [None, "f6"] and texts[-2] == ""  # the blank row, no made-up id
    assert "rows 10, 11 after the blank row at the end of the sheet look like a total or " \
        "a footer: left out" in warnings


def test_a_row_holding_only_excel_errors_is_quarantined_not_lost(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "text", "listener"])
    sheet.append(["e1", "A note.", "L-1"])
    sheet.append([None, "#REF!", "#N/A"])  # a lookup that failed across the whole row
    sheet.append(["e2", "Another note.", "L-1"])
    path = tmp_path / "errors.xlsx"
    book.save(path)
    read, _ = read_rows(path)
    got = list(read)
    assert [r.line for r in got] == [2, 3, 4]
    assert got[1].data is None and got[1].error == (
        "cell B3 holds the Excel error #REF!; fix the formula or type the value"
    )
    with pytest.raises(FileRejected, match="line 3: cell B3 holds the Excel error #REF!"):
        read_texts(path)  # classify cannot write a line for a text it cannot read


def test_a_safeguarding_yes_on_a_row_that_cannot_be_read_is_called_out(
    store: Store, tmp_path: Path
) -> None:
    rows = [["id", "text", "safeguarding"],
            ["s1", "Going to the group helps.", "no"],
            ["s2", "#N/A", "yes"],  # the note failed to come through, the flag did
            ["s3", "Waiting for a call back.", "Yes", "typed one column too far"]]
    path = workbook(tmp_path / "flags.xlsx", ("Notes", rows))
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q")
    assert (report.accepted, report.rejected) == (1, 2)
    assert report.rejected_concerns == [3, 4]
    csv = tmp_path / "flags.csv"
    csv.write_text("id,text,safeguarding\nc1,Fine,no\nc2,Rang the crisis team, twice,yes\n",
                   encoding="utf-8")
    report = ingest_file(store, csv, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q")
    assert (report.accepted, report.rejected, report.rejected_concerns) == (1, 1, [3])


def test_a_cover_sheet_titled_like_the_notes_column_is_passed_over(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "cover.xlsx",
        ("About", [["Notes"], ["This workbook holds the notes from the Tuesday cafe."]]),
        ("Log", [["id", "Notes"], ["n1", "The note itself."]]),
    )
    read, _ = read_rows(path, text_col="notes")
    assert [r.data for r in read] == [{"id": "n1", "notes": "The note itself."}]
    alone = workbook(tmp_path / "alone.xlsx", ("Log", [["Notes"], ["Only a note."]]))
    read, _ = read_rows(alone, text_col="notes")
    assert [r.data for r in read] == [{"notes": "Only a note."}]


def test_a_long_note_after_the_last_blank_row_is_a_note_not_a_footer(
    store: Store, tmp_path: Path
) -> None:
    notes = [[f"g{i}", "2025-06-01", "L-1", f"Note number {i} about the wait."]
             for i in range(1, 6)]
    late = ("Added later: she said the group at the library is the only place she feels "
            "listened to since her son moved away.")
    rows = [["id", "heard_on", "listener", "text"], *notes, [None] * 4, ["g6", None, None, late]]
    path = workbook(tmp_path / "late.xlsx", ("Log", rows))
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q")
    assert (report.accepted, report.rejected) == (6, 0)
    assert store.get_note("g6")["text"] == late


def test_messages_do_not_echo_what_may_be_a_note(tmp_path: Path) -> None:
    note = "She told me she has not slept since the eviction notice came"
    title = "Jo Bloggs 14 Oak Rd Leeds notes"  # a sheet's name may say whose notes they are
    path = workbook(tmp_path / "dupe.xlsx", (title,
                                             [["text", note, note], ["A note."]]),
                    ("Other", [["x"]]))
    with pytest.raises(FileRejected) as caught:
        list(read_rows(path)[0])
    assert note not in str(caught.value)
    assert "<a column name of 60 characters>" in str(caught.value)
    warnings: list[str] = []
    rows = [["id", "text"], ["n1", "A note."]]
    named = workbook(tmp_path / "named.xlsx", (title, rows),
                     ("Other", [["x"]]))
    read_texts(named, warnings=warnings)
    assert warnings == [
        "the workbook has 2 sheets; the first (<31 characters>) was read; 'Other' has no "
        "'text' column in row 1, so passed over (a cover or instructions sheet?)"
    ]


def test_a_surveymonkey_workbook_skips_its_second_header_row(
    store: Store, tmp_path: Path
) -> None:
    question = "What did you hear?"
    rows = [
        ["Respondent ID", "Email Address", question, "Which services came up?", None,
         "Any worries about their safety?"],
        [None, None, "Open-Ended Response", "GP", "Crisis team", "Response"],
        [118123456789, "amira@example.org", "Waited five months for a first appointment.",
         "GP", None, "No concerns"],
        [118123456790, "jo@example.org", "Said the crisis team could only visit once.", None,
         "Crisis team", "Yes - worried about her partner"],
    ]
    path = workbook(tmp_path / "surveymonkey.xlsx", ("Sheet", rows))
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q",
                         text_col=question)
    assert (report.rows_read, report.accepted, report.rejected) == (2, 2, 0)
    assert ("row 2 is a second header row (SurveyMonkey's 'Response', 'Open-Ended Response' "
            "under the questions), not a note: skipped") in report.warnings
    assert "read 'Any worries about their safety?' as safeguarding" in report.warnings
    assert report.flagged == 1
    assert sorted(n["safeguarding"] for batch in store.iter_notes() for n in batch) == [
        False, True
    ]


def test_a_column_name_wrapped_in_its_cell_is_shown_on_one_line(
    store: Store, tmp_path: Path
) -> None:
    # blind audit: Excel headers typed with Alt+Enter were "<a column name of 20
    # characters>", so no one could tell which column was read as the date
    path = workbook(tmp_path / "wrapped.xlsx", ("Log", [
        ["Ref", "Date of\nconversation", "Listener\ncode", "What did\nthey say?",
         "She said\nher son\nPaul Jones\nhas gone"],
        ["w1", datetime(2025, 3, 21), "L60", "The respite service has a long wait.", "x"]]))
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q",
                         text_col="What did they say?")
    assert report.accepted == 1
    assert "read 'Date of conversation' as heard_on" in report.warnings
    assert "read 'Listener code' as listener" in report.warnings
    shown = " ".join(report.warnings)
    assert "Paul" not in shown and "<a column name of 36 characters>" in shown
