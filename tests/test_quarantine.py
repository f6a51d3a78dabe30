"""Quarantined rows read back: which still need fixing, a file to fix them in, clearing.

Real ingests into real stores (SQLite and PostgreSQL), real quarantine files."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from insight.intake import ingest_file
from insight.quarantine import (
    DISMISSED,
    FIX_COLUMNS,
    clear,
    dismiss,
    export,
    problem_kind,
    quarantine_files,
    read_quarantine,
    review,
    scrub,
    settle_unread,
    sort_rejected,
    workbook_misfits,
)
from insight.store import Store

HEADER = "id,heard_on,listener,text,consent_quote,Email\n"
ROWS = (
    "1,2025-03-04,L1,Waited nine months for a first appointment,yes,a@b.example\n"
    "2,31/02/2025,L1,The crisis line put me on hold for an hour,yes,c@d.example\n"
    "3,2025-03-05,L2,,no,\n"
    '4,2025-03-06,L2,"=HYPERLINK(""x"") the cafe group helped her more than the GP",06/03/2025,\n'
)


def _ingest(store: Store, path: Path, folder: Path, **options) -> None:
    ingest_file(store, path, category_ids=None, quarantine_dir=folder, **options)
    time.sleep(0.001)  # quarantine files are named by the microsecond they were written


def _states(rows) -> list[tuple[str, int, str]]:
    return [(Path(r.source).name, r.line, r.state) for r in rows]


def test_a_monthly_export_repeats_rows_and_a_fixed_row_is_stored(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "quarantine"
    march = tmp_path / "march.csv"
    march.write_text(HEADER + ROWS, encoding="utf-8")
    _ingest(store, march, folder)
    first = review(read_quarantine(folder), store)
    assert _states(first) == [("march.csv", 3, "to fix"), ("march.csv", 4, "to fix"),
                              ("march.csv", 5, "to fix")]
    assert all(r.left_out == ("email",) for r in first)  # who filled it in is not kept
    # April's export holds every answer so far: the same bad rows come back
    april = tmp_path / "april.csv"
    april.write_text(HEADER + ROWS, encoding="utf-8")
    _ingest(store, april, folder)
    rows = review(read_quarantine(folder), store)
    assert [r.state for r in rows] == ["repeated"] * 3 + ["to fix"] * 3
    assert [r.earlier for r in rows[3:]] == [1, 1, 1]
    # the date is corrected by hand and the row ingested: its words are now a note
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(HEADER + "2,28/02/2025,L1,The crisis line put me on hold for an hour,"
                     "yes,\n", encoding="utf-8")
    _ingest(store, fixed, folder)
    rows = review(read_quarantine(folder), store)
    assert _states(rows) == [
        ("march.csv", 3, "stored"), ("march.csv", 4, "repeated"), ("march.csv", 5, "repeated"),
        ("april.csv", 3, "stored"), ("april.csv", 4, "to fix"), ("april.csv", 5, "to fix"),
    ]
    # clearing removes what needs nothing more; the march file goes altogether
    removed, deleted = clear(r for r in rows if r.state != "to fix")
    assert (removed, deleted) == (4, 1)
    left = review(read_quarantine(folder), store)
    assert _states(left) == [("april.csv", 4, "to fix"), ("april.csv", 5, "to fix")]
    assert [p.name.split(".")[0] for p in quarantine_files(folder)] == ["april"]


@pytest.mark.parametrize("suffix", [".xlsx", ".jsonl"])
def test_the_file_to_fix_comes_back_in_and_its_rows_are_then_stored(
    store: Store, tmp_path: Path, suffix: str
) -> None:
    folder = tmp_path / "quarantine"
    source = tmp_path / "form.csv"
    source.write_text(HEADER + ROWS, encoding="utf-8")
    _ingest(store, source, folder, id_prefix="f1-")
    to_fix = [r for r in review(read_quarantine(folder), store) if r.state == "to fix"]
    out = tmp_path / f"fix{suffix}"
    assert export(to_fix, out) == 3
    if suffix == ".xlsx":
        sheet = load_workbook(out).active
        header = [c.value for c in sheet[1]]
        assert (header[0], header[-1]) == FIX_COLUMNS and "email" not in header
        # what is wrong reads whole: a long cell wraps rather than running under the next
        assert sheet.cell(row=2, column=1).alignment.wrap_text
        assert not sheet.cell(row=2, column=header.index("id") + 1).alignment.wrap_text
        rows = [dict(zip(header, (c.value for c in row), strict=True))
                for row in sheet.iter_rows(min_row=2)]
        # the formula-like note is typed text, so it comes back as written
        assert sheet.cell(row=4, column=header.index("text") + 1).data_type == "s"
    else:
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert out.stat().st_mode & 0o777 == 0o600  # notes' words: its owner's alone
    assert [r["id"] for r in rows] == ["f1-2", "f1-3", "f1-4"]  # with the prefix given
    assert [r["quarantined_from"] for r in rows] == ["form.csv line 3", "form.csv line 4",
                                                     "form.csv line 5"]
    assert rows[0]["problem"].startswith("heard_on: '31/02/2025' is not a day")
    assert rows[2]["text"].startswith("=HYPERLINK")
    # a person fixes two of the three rows, leaves the missing text, and ingests the file
    rows[0]["heard_on"] = "2025-02-28"
    rows[2]["consent_quote"] = "no"
    fixed = tmp_path / "fixed.jsonl"
    fixed.write_text("".join(json.dumps(r, default=str) + "\n" for r in rows), encoding="utf-8")
    report = ingest_file(store, fixed, category_ids=None, quarantine_dir=folder)
    assert (report.accepted, report.rejected) == (2, 1)
    assert not any("not note fields" in w for w in report.warnings)  # problem, from: known
    assert store.get_note("f1-4")["text"].startswith("=HYPERLINK")
    assert store.get_note("f1-2")["heard_on"].isoformat() == "2025-02-28"
    rows = review(read_quarantine(folder), store)
    # the row still without words, quarantined again, stands for its first copy
    assert _states(rows) == [("form.csv", 3, "stored"), ("form.csv", 4, "repeated"),
                             ("form.csv", 5, "stored"), ("fixed.jsonl", 2, "to fix")]
    again = tmp_path / "again.jsonl"
    export([rows[-1]], again)
    assert json.loads(again.read_text(encoding="utf-8"))["quarantined_from"] == \
        "form.csv line 4"  # where it first was, not the file to fix


def test_a_file_to_fix_ingested_with_the_first_files_column_names_is_told_why(
    store: Store, tmp_path: Path
) -> None:
    """The first file named its notes column with --text-col; the file to fix names it
    'text': ingesting it with the same options must say so, not guess another column."""
    folder = tmp_path / "quarantine"
    source = tmp_path / "form.csv"
    source.write_text(HEADER.replace("text", "What was said") + ROWS, encoding="utf-8")
    _ingest(store, source, folder, text_col="What was said")
    out = tmp_path / "fix.xlsx"
    assert export([r for r in review(read_quarantine(folder), store)
                   if r.state == "to fix"], out) == 3
    report = ingest_file(store, out, category_ids=None, quarantine_dir=folder,
                         text_col="What was said")
    assert report.accepted == 0 and "written by `insight quarantine export`" in str(
        report.file_error) and "without --text-col and --column" in str(report.file_error)


def test_a_row_without_words_is_stored_once_its_id_is(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "quarantine"
    source = tmp_path / "n.csv"
    source.write_text("id,text\nk1,\n", encoding="utf-8")
    _ingest(store, source, folder)
    assert [r.state for r in review(read_quarantine(folder), store)] == ["to fix"]
    source.write_text("id,text\nk1,The ward let me keep my phone.\n", encoding="utf-8")
    _ingest(store, source, folder)
    assert [r.state for r in review(read_quarantine(folder), store)] == ["stored"]


def test_an_unreadable_file_and_an_erased_row_are_named_as_such(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "quarantine"
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    _ingest(store, binary, folder)
    source = tmp_path / "n.csv"
    source.write_text("id,text,consent_quote\nk2,Margaret rang twice.,2025-03-06\n",
                      encoding="utf-8")
    _ingest(store, source, folder, id_prefix="x-")
    assert scrub(folder, {"x-k2"}, set()) == 1  # the id with its prefix is found
    rows = review(read_quarantine(folder), store)
    assert [r.state for r in rows] == ["file", "erased"]
    assert "Margaret" not in "".join(p.read_text() for p in quarantine_files(folder))


def test_problem_kinds_count_rows_by_what_is_wrong() -> None:
    assert problem_kind("heard_on: invalid date '31/02/2025' (expected ...)") == "heard_on"
    assert problem_kind("heard_on (column 'Date (UK)'): invalid date 'x'; consent_quote "
                        "(column 'OK to quote?'): must be yes or no") == "heard_on, consent_quote"
    assert problem_kind("text: text is missing or empty; heard_on: invalid date 'x'") == \
        "text, heard_on"
    assert problem_kind("duplicate id '7' (first on line 2)") == "duplicate id in the file"
    assert problem_kind("id 'k2' already present with different text (a corrected answer? "
                        "...)") == "id stored with other words"
    assert problem_kind("id 'k2' is stored with other words and another date: not a "
                        "corrected answer to that note; check the id") == \
        "id of another conversation"
    assert problem_kind("same text as note 'k1', already stored") == \
        "same words as another note"
    assert problem_kind("row has 5 cells but the header has 3 columns and more") == \
        "row has 5 cells but the ..."


def test_a_hand_edited_line_is_skipped_and_kept(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "quarantine"
    source = tmp_path / "n.csv"
    source.write_text("id,text\nk1,\nk2,\n", encoding="utf-8")
    _ingest(store, source, folder)
    (path,) = quarantine_files(folder)
    path.write_text(path.read_text(encoding="utf-8") + "a note to self\n", encoding="utf-8")
    rows = read_quarantine(folder)
    assert [r.line for r in rows] == [2, 3]
    assert clear(rows) == (2, 0)  # the hand-written line stays, so the file does too
    assert path.read_text(encoding="utf-8") == "a note to self\n"


def test_a_later_export_of_an_erased_note_is_quarantined_as_erased(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "quarantine"
    source = tmp_path / "n.csv"
    source.write_text("id,text\nk1,Mo from the mosque rang me at home.\n", encoding="utf-8")
    _ingest(store, source, folder)
    store.erase_notes(["k1"], reason="asked")
    # next month's export still holds the row, now with a date that is not one
    source.write_text("id,text,heard_on\nk1,Mo from the mosque rang me at home.,31/02/2025\n",
                      encoding="utf-8")
    _ingest(store, source, folder)
    [row] = review(read_quarantine(folder), store)
    assert (row.state, row.row, row.line) == ("erased", None, 2)
    assert "Mo from" not in row.path.read_text(encoding="utf-8")


def test_a_line_that_could_not_be_split_is_stored_once_fixed_and_blanked_on_erasure(
    store: Store, tmp_path: Path
) -> None:
    """A line with a cell too few is kept whole; once its note is stored it needs nothing
    more, and erasing the note blanks it (its words, found among its cells)."""
    folder = tmp_path / "quarantine"
    source = tmp_path / "n.csv"
    words = 'The bus to the clinic runs twice a day, so "I miss" appointments.'
    source.write_text('id,heard_on,place,consent_quote,text\n'
                      'M-5,2025-10-30,Harehills,"' + words.replace('"', '""') + '"\n'
                      'M-6,2025-10-30,Leeds,yes,Crisis line never rang back.,extra\n',
                      encoding="utf-8")
    _ingest(store, source, folder)
    rows = review(read_quarantine(folder), store)
    assert [(r.line, r.state) for r in rows] == [(2, "to fix"), (3, "to fix")]
    assert "fields" in rows[0].reason and isinstance(rows[0].row, str)
    fixed = tmp_path / "fixed.jsonl"
    fixed.write_text(json.dumps({"id": "M-5", "text": words}) + "\n", encoding="utf-8")
    _ingest(store, fixed, folder)
    rows = review(read_quarantine(folder), store)
    assert [(r.line, r.state) for r in rows] == [(2, "stored"), (3, "to fix")]
    store.erase_notes(["M-5"], reason="asked")
    assert scrub(folder, {"M-5"}, {words}) == 1
    kept = "".join(p.read_text(encoding="utf-8") for p in quarantine_files(folder))
    assert "twice a day" not in kept and "Crisis line never rang back" in kept
    # an unsplit line whose first cell is an erased note's id goes too, words or not
    assert scrub(folder, {"M-6"}, set()) == 1
    assert "Crisis line" not in "".join(p.read_text(encoding="utf-8")
                                        for p in quarantine_files(folder))


def test_quarantine_and_database_files_are_readable_by_their_owner_only(
    tmp_path: Path,
) -> None:
    """They hold notes' words: whatever the umask, no other user of the machine reads them
    (as a backup or rows exported to fix)."""
    with Store.open(f"sqlite:///{tmp_path / 'insight.db'}") as store:
        source = tmp_path / "n.csv"
        source.write_text("id,text\nk1,\n", encoding="utf-8")
        _ingest(store, source, tmp_path / "quarantine")
    (path,) = quarantine_files(tmp_path / "quarantine")
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "quarantine").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "insight.db").stat().st_mode & 0o777 == 0o600


def test_a_row_exported_to_fix_twice_counts_once(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "quarantine"
    source = tmp_path / "form.csv"
    source.write_text("id,text\nk7,\n", encoding="utf-8")
    _ingest(store, source, folder)
    for month in ("jan", "feb", "mar"):  # exported, left as it was, ingested again
        to_fix = [r for r in review(read_quarantine(folder), store) if r.state == "to fix"]
        assert len(to_fix) == 1
        out = tmp_path / f"fix-{month}.jsonl"
        export(to_fix, out)
        _ingest(store, out, folder)
    rows = review(read_quarantine(folder), store)
    assert [r.state for r in rows] == ["repeated"] * 3 + ["to fix"]
    assert rows[-1].origin == "form.csv line 2"


def test_an_ingest_sorts_its_rejected_rows_into_new_before_and_stored(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "quarantine"
    march = tmp_path / "march.csv"
    march.write_text(HEADER + ROWS, encoding="utf-8")
    _ingest(store, march, folder)
    first = quarantine_files(folder)[-1]
    kinds = sort_rejected(folder, first, store)
    assert [r.line for r in kinds["new"]] == [3, 4, 5]
    assert kinds["before"] == kinds["stored"] == kinds["erased"] == []
    # line 3 is fixed and ingested; April's cumulative export brings every row back, and
    # one new bad row
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(HEADER + "2,28/02/2025,L1,The crisis line put me on hold for an hour,"
                     "yes,\n", encoding="utf-8")
    _ingest(store, fixed, folder)
    april = tmp_path / "april.csv"
    april.write_text(HEADER + ROWS + "5,2025-02-30,L3,The housing officer never rang back,no,\n",
                     encoding="utf-8")
    _ingest(store, april, folder)
    kinds = sort_rejected(folder, quarantine_files(folder)[-1], store)
    assert [r.line for r in kinds["new"]] == [6]
    assert [r.line for r in kinds["before"]] == [4, 5]
    assert [r.line for r in kinds["stored"]] == [3]
    # only that ingest's rows: the march file's are not counted again
    assert sum(map(len, kinds.values())) == 4


def test_a_dismissed_row_and_its_later_copies_need_nothing(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "quarantine"
    march = tmp_path / "march.csv"
    march.write_text(HEADER + ROWS, encoding="utf-8")
    _ingest(store, march, folder)
    _ingest(store, march, folder)  # April's cumulative export: the same rows
    rows = review(read_quarantine(folder), store)
    empty = [r for r in rows if r.line == 4]  # the row with no words: an empty form
    assert [r.state for r in empty] == ["repeated", "to fix"]
    assert dismiss(empty, store) == 2
    marks = (folder / DISMISSED).read_text(encoding="utf-8")
    assert "2025-03-05" not in marks and "L2" not in marks  # a mark, never the cells
    left = review(read_quarantine(folder), store)
    assert [r.line for r in left if r.state == "to fix"] == [3, 5]
    assert all(r.line != 4 for r in left)
    # May's export brings it back once more: dismissed at once, nothing new to fix
    _ingest(store, march, folder)
    kinds = sort_rejected(folder, quarantine_files(folder)[-1], store)
    assert [r.line for r in kinds["dismissed"]] == [4]
    assert [r.line for r in kinds["before"]] == [3, 5] and kinds["new"] == []
    # another row with other cells is not dismissed by it
    other = tmp_path / "other.csv"
    other.write_text(HEADER + "9,2025-03-07,L2,,no,\n", encoding="utf-8")
    _ingest(store, other, folder)
    assert [r.state for r in review(read_quarantine(folder), store)
            if Path(r.source).name == "other.csv"] == ["to fix"]


def test_a_dismissed_row_in_a_later_export_is_written_without_its_cells(
    store: Store, tmp_path: Path
) -> None:
    """DPO audit: a cumulative export ingested again wrote a dismissed row back to disk in
    full (names, NHS numbers), in state "dismissed". Its mark is enough: the copy is kept
    as an erased note's row is, its cells gone, and still counted as dismissed."""
    folder = tmp_path / "quarantine"
    march = tmp_path / "march.csv"
    march.write_text("id,heard_on,listener,text\n"
                     "t1,2025-03-40,L2,Mr Tom Jones NHS 943 476 5919 is a test answer\n"
                     "t2,2025-03-04,L2,The waiting list is long.,extra\n"
                     "t3,2025-03-41,L2,The bus never comes.\n", encoding="utf-8")
    _ingest(store, march, folder)
    rows = review(read_quarantine(folder), store)
    assert dismiss([r for r in rows if r.line in (2, 3)], store) == 2  # a raw line too
    _ingest(store, march, folder)  # April's cumulative export: the same rows
    april = quarantine_files(folder)[-1]
    written = april.read_text(encoding="utf-8")
    assert "Tom Jones" not in written and "943 476 5919" not in written
    assert "waiting list" not in written and "The bus never comes" in written
    records = [json.loads(line) for line in written.splitlines()]
    assert [(r["line"], r["row"], r.get("dismissed")) for r in records[:2]] == [
        (2, None, True), (3, None, True)]
    kinds = sort_rejected(folder, april, store)
    assert [r.line for r in kinds["dismissed"]] == [2, 3]
    assert [r.line for r in kinds["before"]] == [4] and kinds["new"] == []
    assert [(r.line, r.state) for r in review(read_quarantine(folder), store)] == [
        (4, "repeated"), (2, "dismissed"), (3, "dismissed"), (4, "to fix")]
    # a record without cells is no failed read of the file, and `clear` removes it
    assert settle_unread(folder, march) == 0
    assert clear([r for r in review(read_quarantine(folder), store)
                  if r.state == "dismissed"]) == (2, 0)


@pytest.mark.parametrize("suffix", [".xlsx", ".jsonl"])
def test_a_fixed_row_whose_note_has_windows_line_breaks_is_stored(
    store: Store, tmp_path: Path, suffix: str
) -> None:
    # blind audit: a note in paragraphs ("\r\n" inside its quoted cell) was fixed in the
    # exported file and ingested ("accepted"), yet its row stayed to fix and `clear` kept
    # it: a note is stored with "\n", and a workbook's cells keep no "\r" at all
    folder = tmp_path / "quarantine"
    source = tmp_path / "form.csv"
    source.write_text(
        HEADER + '7,31/02/2025,L1,"The group met weekly.\r\nIt was the only place I felt '
        'heard.\rEvery week.\r\n",yes,\n', encoding="utf-8", newline="")
    _ingest(store, source, folder)
    to_fix = review(read_quarantine(folder), store)
    assert [(r.line, r.state) for r in to_fix] == [(2, "to fix")]
    out = tmp_path / f"fix{suffix}"
    assert export(to_fix, out) == 1
    if suffix == ".xlsx":
        book = load_workbook(out)
        sheet = book.active
        header = [c.value for c in sheet[1]]
        sheet.cell(row=2, column=header.index("heard_on") + 1).value = "2025-02-28"
        book.save(out)
    else:
        row = json.loads(out.read_text(encoding="utf-8"))
        out.write_text(json.dumps({**row, "heard_on": "2025-02-28"}) + "\n", encoding="utf-8")
    report = ingest_file(store, out, category_ids=None, quarantine_dir=folder)
    assert (report.accepted, report.rejected) == (1, 0)
    rows = review(read_quarantine(folder), store)
    assert _states(rows) == [("form.csv", 2, "stored")]
    assert clear(r for r in rows if r.state == "stored") == (1, 1)
    # a row that could not be split into cells (a cell too many), corrected in the file it
    # came from, its line breaks kept: the same
    other = tmp_path / "other.csv"
    row = '8,2025-03-01,L2,"Rang twice.\r\nNo answer either time.",yes,{}\n'
    other.write_text(HEADER + row.format(",extra"), encoding="utf-8", newline="")
    _ingest(store, other, folder)
    assert [r.raw_line is not None for r in read_quarantine(folder)] == [True]
    other.write_text(HEADER + row.format(""), encoding="utf-8", newline="")
    _ingest(store, other, folder)
    assert _states(review(read_quarantine(folder), store)) == [("other.csv", 2, "stored")]


def test_a_row_that_repeats_a_note_but_for_spacing_needs_nothing(
    store: Store, tmp_path: Path
) -> None:
    # blind audit: the same answer pasted again with a double space is a duplicate; it
    # is quarantined as one, and needs no fixing (ingest's exit code is not 3 for it)
    folder = tmp_path / "quarantine"
    note = "The psychiatrist changed every visit so I told my story six times over."
    path = tmp_path / "spaced.csv"
    path.write_text(f"text,listener\n{note},L6\n{note.replace(' so ', '   so ')} ,L6\n",
                    encoding="utf-8")
    _ingest(store, path, folder)
    rows = review(read_quarantine(folder), store)
    assert [(r.line, r.state) for r in rows] == [(3, "stored")]
    assert rows[0].reason.startswith("duplicate: same text but for spaces or line breaks")
    kinds = sort_rejected(folder, quarantine_files(folder)[-1], store)
    assert [len(kinds[k]) for k in ("new", "before", "stored")] == [0, 0, 1]


def test_a_broken_json_line_fixed_and_ingested_is_stored_not_still_to_fix(
    store: Store, tmp_path: Path
) -> None:
    """Blind coordinator audit: a JSONL line broken by a trailing comma, marked safeguarding,
    was fixed and ingested (and queued), yet stayed "to fix" and raised the red line about a
    concern in no queue on every command: its words were looked for between commas, quote
    marks and key names included, so never found."""
    folder = tmp_path / "quarantine"
    words = "She said she's scared her ex will find her at the refuge, so we rang the helpline."
    broken = tmp_path / "app.jsonl"
    broken.write_text(json.dumps({"id": "app-105", "text": words, "safeguarding": True})[:-1]
                      + ",}\n", encoding="utf-8")
    def screen(text: str) -> str | None:
        return "phrase list: domestic abuse" if "refuge" in text else None

    _ingest(store, broken, folder, screen=screen)
    [row] = review(read_quarantine(folder), store)
    assert row.state == "to fix" and row.concern
    fixed = tmp_path / "fixed.jsonl"
    fixed.write_text(json.dumps({"id": "app-105", "text": words, "safeguarding": True}) + "\n",
                     encoding="utf-8")
    _ingest(store, fixed, folder, screen=screen)
    [row] = review(read_quarantine(folder), store)
    assert row.state == "stored"


def test_a_file_ingested_again_with_another_column_counts_each_bad_row_once(
    store: Store, tmp_path: Path
) -> None:
    """Blind ingest audit: a form ingested, then again with `--column setting=...`, had
    each bad row quarantined twice with other cells (the setting under an unread column,
    then under `setting`): "4 rows still to fix" for 2, and a person who fixed the first
    copy stored notes with no setting. The latest reading of a file's line is the one."""
    folder = tmp_path / "quarantine"
    form = tmp_path / "form.csv"
    form.write_text(
        "id,heard_on,listener,Q7,text\n"
        "1,2025-03-04,L1,cafe,Waited nine months for a first appointment\n"
        "2,31/02/2025,L1,phone,The crisis line put me on hold for an hour\n"
        "3,2025-03-05,L2,drop-in,\n", encoding="utf-8")
    _ingest(store, form, folder)
    _ingest(store, form, folder, column_names={"setting": "Q7"})
    rows = review(read_quarantine(folder), store)
    assert _states(rows) == [("form.csv", 3, "repeated"), ("form.csv", 4, "repeated"),
                             ("form.csv", 3, "to fix"), ("form.csv", 4, "to fix")]
    assert [r.earlier for r in rows] == [0, 0, 1, 1]
    kinds = sort_rejected(folder, quarantine_files(folder)[-1], store)
    assert [r.line for r in kinds["before"]] == [3, 4] and kinds["new"] == []
    # the file to fix holds the latest reading only: the setting where it is read
    out = tmp_path / "fix.jsonl"
    assert export([r for r in rows if r.state == "to fix"], out) == 2
    fixed = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["setting"] for r in fixed] == ["phone", "drop-in"]
    fixed[0]["heard_on"] = "2025-02-28"
    out.write_text("".join(json.dumps(r) + "\n" for r in fixed), encoding="utf-8")
    _ingest(store, out, folder)
    assert store.get_note("2")["setting"] == "phone"
    assert [r.line for r in review(read_quarantine(folder), store) if r.state == "to fix"] \
        == [2]  # the row without words, quarantined again from the file to fix
    # next month's export saved over it is another file: its line 3 is another answer,
    # and the row still to fix from this month stays to fix beside it
    form.write_text("id,heard_on,listener,Q7,text\n"
                    "1,2025-03-04,L1,cafe,Waited nine months for a first appointment\n"
                    "4,2025-03-09,L3,cafe,\n", encoding="utf-8")
    _ingest(store, form, folder, column_names={"setting": "Q7"})
    assert [r.where for r in review(read_quarantine(folder), store) if r.state == "to fix"] \
        == ["fix.jsonl line 2", "form.csv line 3"]


def test_a_row_quarantined_before_files_were_hashed_is_matched_by_its_id(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "quarantine"
    form = tmp_path / "form.csv"
    form.write_text("id,Q7,text\nk1,cafe,\n", encoding="utf-8")
    _ingest(store, form, folder)
    [old] = quarantine_files(folder)
    record = json.loads(old.read_text(encoding="utf-8"))
    assert record.pop("file_digest")
    old.write_text(json.dumps(record) + "\n", encoding="utf-8")  # as written before
    _ingest(store, form, folder, column_names={"setting": "Q7"})
    assert [r.state for r in review(read_quarantine(folder), store)] == ["repeated", "to fix"]


@pytest.mark.parametrize("suffix", [".xlsx", ".jsonl"])
def test_a_broken_json_line_is_fixed_in_the_raw_cell_of_the_file_to_fix(
    store: Store, tmp_path: Path, suffix: str
) -> None:
    """Blind ingest audit: a broken JSON line came to the file to fix as a `raw` cell
    alone; corrected there, ingest said "not note fields: 'raw'" and quarantined it again
    as "text is missing". The cell is the line: it is read as the line would have been."""
    folder = tmp_path / "quarantine"
    app = tmp_path / "app.jsonl"
    app.write_text(
        '{"id":"a1","heard_on":"2026-06-08","text":"The peer group helped.",}\n'
        '{"id":"a2","heard_on":"2026-06-09","text":"Truncated upload, the ward staff were\n',
        encoding="utf-8")
    _ingest(store, app, folder)
    out = tmp_path / f"fix{suffix}"
    assert export([r for r in review(read_quarantine(folder), store)
                   if r.state == "to fix"], out) == 2
    if suffix == ".xlsx":
        book = load_workbook(out)
        sheet = book.active
        header = [c.value for c in sheet[1]]
        assert "text" in header  # read as a sheet of notes, though no row has words yet
        raw = sheet.cell(row=2, column=header.index("raw") + 1)
        raw.value = raw.value.replace(",}", "}")
        book.save(out)
    else:
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        rows[0]["raw"] = rows[0]["raw"].replace(",}", "}")
        out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = ingest_file(store, out, category_ids=None, quarantine_dir=folder)
    assert (report.accepted, report.rejected) == (1, 1)
    assert not any("not note fields" in w for w in report.warnings)
    note = store.get_note("a1")
    assert (note["text"], note["heard_on"].isoformat()) == ("The peer group helped.",
                                                            "2026-06-08")
    # the line left broken is quarantined as what it is, and stands for its first place
    rows = review(read_quarantine(folder), store)
    assert [(r.where, r.state) for r in rows] == [
        ("app.jsonl line 1", "stored"), ("app.jsonl line 2", "repeated"),
        (f"fix{suffix} line 3" if suffix == ".xlsx" else "fix.jsonl line 2", "to fix")]
    assert rows[-1].reason.startswith("raw: malformed JSON: Unterminated string")
    again = tmp_path / "again.jsonl"
    export([rows[-1]], again)
    [record] = [json.loads(line) for line in again.read_text(encoding="utf-8").splitlines()]
    assert record["raw"].startswith('{"id":"a2"')
    assert record["quarantined_from"] == "app.jsonl line 2"


def test_a_broken_json_line_whose_words_are_stored_by_hand_is_stored(
    store: Store, tmp_path: Path
) -> None:
    """Blind ingest audit: lines of single-quoted JSON, or with quote marks unescaped in
    the note, stayed "to fix" after a person stored their words by hand."""
    folder = tmp_path / "quarantine"
    app = tmp_path / "app.jsonl"
    app.write_text(
        "{'id': 'a4', 'heard_on': '2026-06-03', 'text': 'She said the GP was kind.'}\n"
        '{"id":"a3","text":"Said the wait is 4 years, "I\'ll be 40 by then"","x":true}\n',
        encoding="utf-8")
    _ingest(store, app, folder)
    assert [r.state for r in review(read_quarantine(folder), store)] == ["to fix"] * 2
    by_hand = tmp_path / "by_hand.jsonl"
    by_hand.write_text("".join(json.dumps(r) + "\n" for r in [
        {"id": "a4", "text": "She said the GP was kind."},
        {"id": "a3", "text": "Said the wait is 4 years, \"I'll be 40 by then\""}]),
        encoding="utf-8")
    _ingest(store, by_hand, folder)
    assert [r.state for r in review(read_quarantine(folder), store)] == ["stored"] * 2


def test_every_cell_of_a_workbook_to_fix_is_typed_text(store: Store, tmp_path: Path) -> None:
    """An id 12345 or "00123", a date and a phone-like code came out of the workbook as
    numbers and days (a spreadsheet then shows 123, or 04/03/2025): every cell is the text
    as written, and comes back in as written."""
    folder = tmp_path / "quarantine"
    app = tmp_path / "app.jsonl"
    app.write_text("".join(json.dumps(r) + "\n" for r in [
        {"id": 12345, "heard_on": "2025-03-04", "listener": "007", "consent_quote": 1,
         "text": ""},
        {"id": "00123", "heard_on": "2025-03-05", "listener": "0161 496 0000", "text": ""},
    ]), encoding="utf-8")
    _ingest(store, app, folder)
    out = tmp_path / "fix.xlsx"
    assert export(review(read_quarantine(folder), store), out) == 2
    book = load_workbook(out)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value is not None]
    assert cells and {c.data_type for c in cells} == {"s"}
    assert all(isinstance(c.value, str) for c in cells)

    def column(name: str) -> list[str]:
        return [row[header.index(name)].value for row in sheet.iter_rows(min_row=2)]

    assert column("id") == ["12345", "00123"]
    assert column("heard_on") == ["2025-03-04", "2025-03-05"]
    assert column("listener") == ["007", "0161 496 0000"]
    assert column("consent_quote") == ["1", None]
    # the person writes the missing words in, and the ids come back as written
    for row in sheet.iter_rows(min_row=2):
        row[header.index("text")].value = "The surgery only takes bookings online."
    sheet.cell(row=3, column=header.index("text") + 1).value = "Nobody rang her back."
    book.save(out)
    report = ingest_file(store, out, category_ids=None, quarantine_dir=folder)
    assert (report.accepted, report.rejected) == (2, 0)
    assert store.get_note("00123")["listener"] == "0161 496 0000"
    assert store.get_note("12345")["heard_on"].isoformat() == "2025-03-04"


def test_a_row_a_workbook_cannot_hold_whole_is_left_out_of_it_not_cut(
    store: Store, tmp_path: Path
) -> None:
    """A note longer than a workbook cell holds (32,767 characters) was cut to that in
    the workbook without a word: ingested again with --max-chars, the note was stored cut
    short. A cell with a control character stopped the export with a traceback. Such
    rows are left out of the workbook, named, and stay to fix; a .jsonl holds them whole."""
    folder = tmp_path / "quarantine"
    long_note = ("She told me about the months on the waiting list. " * 800).strip()
    assert len(long_note) > 32_767
    form = tmp_path / "form.csv"
    form.write_text(
        "id,heard_on,text,consent_quote\n"
        f"t1,2025-03-04,{long_note},yes\n"
        "t2,31/02/2025,The crisis line put me on hold for an hour.,yes\n"
        "t3,31/02/2025,She said\x0bthe GP was kind.,yes\n",
        encoding="utf-8")
    _ingest(store, form, folder)  # the long note is over --max-chars (20,000)
    to_fix = [r for r in review(read_quarantine(folder), store) if r.state == "to fix"]
    assert [r.line for r in to_fix] == [2, 3, 4]
    assert [(r.where, columns) for r, columns in workbook_misfits(to_fix)] == [
        ("form.csv line 2", ["text"]), ("form.csv line 4", ["text"])]
    out = tmp_path / "fix.xlsx"
    assert export(to_fix, out) == 1
    sheet = load_workbook(out).active
    header = [c.value for c in sheet[1]]
    assert [row[header.index("id")].value for row in sheet.iter_rows(min_row=2)] == ["t2"]
    # nothing fits: nothing written
    assert export([to_fix[0]], tmp_path / "none.xlsx") == 0
    assert not (tmp_path / "none.xlsx").exists()
    # a .jsonl holds every row whole
    whole = tmp_path / "fix.jsonl"
    assert export(to_fix, whole) == 3
    records = [json.loads(line) for line in whole.read_text(encoding="utf-8").splitlines()]
    assert records[0]["text"] == long_note and "\x0b" in records[2]["text"]
    # the rows left out are still to fix
    assert [r.state for r in review(read_quarantine(folder), store)] == ["to fix"] * 3
