"""Intake against the files people actually send: spreadsheet exports, odd headers,
decomposed Unicode, wrong code pages, stray quotes. Each test writes its own small file.

Note text must never appear in a message (errors, warnings, quarantine reasons).
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from insight.codebook import load_codebook
from insight.intake import (
    FileRejected,
    FileReport,
    decode,
    ingest_file,
    note_field,
    parse_date,
    read_rows,
    read_texts,
    shown_cell,
    stable_note_id,
)
from insight.store import Store
from tests.run import run_cli

COMMA_HINT = " (a comma in a note that is not inside quote marks?)"

CATEGORY_IDS = load_codebook().ids
BOOLEANS = "(accepted: yes/no, y/n, true/false, 1/0)"

DATE_FORMS = "(expected YYYY-MM-DD, DD/MM/YYYY or DD/MM/YY)"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def ingest(store: Store, path: Path, folder: Path) -> FileReport:
    report = ingest_file(
        store, path, category_ids=CATEGORY_IDS, quarantine_dir=folder / "q"
    )
    assert report.balanced
    return report


def reasons(report: FileReport) -> list[tuple[int, str]]:
    if report.quarantine is None:
        return []
    lines = Path(report.quarantine).read_text(encoding="utf-8").splitlines()
    return [(e["line"], e["reason"]) for e in map(json.loads, lines)]


def counts(report: FileReport) -> tuple[int, int, int]:
    return report.accepted, report.rejected, report.already_present


# -- Unicode -----------------------------------------------------------------------------


def test_decomposed_unicode_is_the_same_note(store: Store, tmp_path: Path) -> None:
    composed = "Zoë said the café was the only place"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    rows = "text,heard_on,listener\n{},25/11/2025,L-40\n"
    nfc = write(tmp_path, "nfc.csv", rows.format(composed))
    nfd = write(tmp_path, "nfd.csv", rows.format(decomposed))
    assert counts(ingest(store, nfc, tmp_path)) == (1, 0, 0)
    assert counts(ingest(store, nfd, tmp_path)) == (0, 0, 1)
    note_id = stable_note_id(composed, date(2025, 11, 25), "L-40")
    assert store.get_note(note_id)["text"] == composed
    # Also for stateless commands, and for JSON.
    assert read_texts(nfd) == (["1"], [composed])
    jsonl = write(tmp_path, "nfd.jsonl", json.dumps({"id": "j", "text": decomposed}) + "\n")
    assert read_texts(jsonl) == (["j"], [composed])


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c\u200d", "\u2060", "\ufeff", " \u200b "])
def test_a_note_of_zero_width_characters_is_empty(
    invisible: str, store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, "zw.jsonl", json.dumps({"id": "zw-1", "text": invisible}) + "\n")
    report = ingest(store, path, tmp_path)
    assert counts(report) == (0, 1, 0)
    assert reasons(report) == [(1, "text: text is missing or empty")]


# -- columns -----------------------------------------------------------------------------


def test_hyphenated_headers_are_the_fields(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path, "hyphen.csv",
        "id,text,heard-on,listener,consent-quote\r\nhd-3,Hyphenated,20/11/2025,L-07,yes\r\n",
    )
    report = ingest(store, path, tmp_path)
    assert counts(report) == (1, 0, 0) and report.warnings == []
    note = store.get_note("hd-3")
    assert note["heard_on"] == date(2025, 11, 20) and note["consent_quote"] is True


def test_ignored_columns_are_named_with_a_suggestion(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path, "extra.csv",
        "id,text,Date heard,Consent to quote,age_band,Notes for lead,listner,\n"
        "ex-1,Extra columns note,20/11/2025,yes,25-34,call back,L-17,\n",
    )
    report = ingest(store, path, tmp_path)
    assert counts(report) == (1, 0, 0)
    assert report.warnings == [
        "read 'Date heard' as heard_on",  # the usual name of a note field
        "read 'Consent to quote' as consent_quote",  # a clear variant of a yes/no field
        "not note fields, so not stored: 'age_band', 'Notes for lead', "
        "'listner' (did you mean 'listener'?)",  # a misspelling is only a hint
    ]
    note = store.get_note("ex-1")
    assert note["heard_on"] == date(2025, 11, 20) and note["consent_quote"] is True
    assert note["listener"] is None


def test_json_keys_are_read_like_csv_headers(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "keys.jsonl", "\n".join([
        json.dumps({"id": "k-1", "text": "has text", "heard_on ": "2025-11-20"}),
        json.dumps({"id": "k-2", "Text": "capitalised key", "Heard-On": "21/11/2025",
                    "Any safeguarding worries?": "yes", "Listener ID": "L-4"}),
        json.dumps({"id": "k-3", "text": "two keys", "Text": "for one field"}),
        json.dumps({"id": "k-4", "note": "an alias is never guessed for the text"}),
    ]) + "\n")
    report = ingest(store, path, tmp_path)
    assert counts(report) == (2, 2, 0)
    assert reasons(report) == [
        (3, "keys 'text' and 'Text' both mean 'text'; keep one"),
        # never guessed, but said: the notes look to be under "note"
        (4, "record has no 'text' key; the notes look to be under 'note': ingest with "
            "--text-col 'note'"),
    ]
    assert report.warnings == [
        "read 'Any safeguarding worries?' as safeguarding",
        "read 'Listener ID' as listener",
    ]
    first, second = store.get_note("k-1"), store.get_note("k-2")
    assert first["heard_on"] == date(2025, 11, 20)
    assert second["text"] == "capitalised key" and second["heard_on"] == date(2025, 11, 21)
    assert second["safeguarding"] is True and second["listener"] == "L-4"


def test_a_key_given_twice_in_one_record_is_a_row_error(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "twice.jsonl",
                 '{"id": "t1", "text": "first words", "text": "second words"}\n'
                 '{"id": "t2", "text": "fine"}\n')
    report = ingest(store, path, tmp_path)
    assert counts(report) == (1, 1, 0)
    assert reasons(report) == [(1, "key 'text' appears twice in one record; keep one")]


def test_unnamed_columns_are_mentioned_only_when_filled(store: Store, tmp_path: Path) -> None:
    # An unnamed column is only mentioned when it holds something.
    blank = write(tmp_path, "blank.csv", "id,text,\nb-1,Note,\n")
    assert ingest(store, blank, tmp_path).warnings == []
    filled = write(tmp_path, "filled.csv", "id,text,\nf-1,Note,something\n")
    assert ingest(store, filled, tmp_path).warnings == [
        "not note fields, so not stored: an unnamed column"
    ]


def test_no_header_row_does_not_echo_the_note(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path, "noheader.csv",
        "Waited ages for the GP and nobody rang back,20/11/2025,L-18\n"
        "Another headerless note,21/11/2025,L-18\n",
    )
    report = ingest(store, path, tmp_path)
    assert report.file_error == (
        "line 1 has 3 columns and none is called 'text' (case and spaces ignored); the first "
        "line must be the header row; line 1 looks like a row of notes, not column names (it "
        "holds a date, a number or a yes/no), so the file seems to have no header row: add a "
        "header row naming the columns, with 'text' for the notes, and try again"
    )
    assert "Waited" not in reasons(report)[0][1] and "L-18" not in reasons(report)[0][1]
    # A short note of several words is not shown either, nor a short cell (a name?).
    short = write(tmp_path, "short.csv", "Felt let down again,L-18\n")
    with pytest.raises(FileRejected) as caught:
        list(read_rows(short)[0])
    assert str(caught.value) == (
        "line 1 has 2 columns and none is called 'text' (case and spaces ignored); the first "
        "line must be the header row; if the notes are in a column with another name, pass "
        "--text-col NAME"
    )


def test_no_header_row_echoes_no_cell_at_all(store: Store, tmp_path: Path) -> None:
    """The audit's file: an id, a listener's name, a date, a place, a disclosure, yes."""
    path = write(
        tmp_path, "noheader.csv",
        "7,Jo P,14/03/2025,Brixton,Kevin hits me,Yes\n8,Jo P,15/03/2025,Brixton,Low,No\n",
    )
    report = ingest(store, path, tmp_path)
    assert report.file_error is not None
    assert report.file_error.startswith(
        "line 1 has 6 columns and none is called 'text' (case and spaces ignored); the "
        "first line must be the header row; line 1 looks like a row of notes"
    )
    assert "no header row" in report.file_error
    for cell in ("7", "Jo P", "14/03/2025", "Brixton", "Kevin", "Yes"):
        assert cell not in report.file_error
        assert cell not in reasons(report)[0][1]
    assert store.count_notes() == 0
    # Through the command: the same message, exit 3, nothing of line 1 on the terminal.
    folder = tmp_path / "ws"
    assert run_cli("init", str(folder), cwd=tmp_path).returncode == 0
    result = run_cli("ingest", "-w", str(folder), "--no-screen", str(path), cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert "seems to have no header row" in result.stderr
    for cell in ("Jo P", "14/03/2025", "Brixton", "Kevin", "Yes"):
        assert cell not in result.stdout + result.stderr
    # Ingest has no --text-col: it says to rename the column instead.
    other = write(tmp_path, "other.csv", "id,what they said\nw-1,Low mood again\n")
    assert ingest(store, other, tmp_path).file_error == (
        "line 1 has 2 columns and none is called 'text' (case and spaces ignored); the first "
        "line must be the header row; if the notes are in a column with another name, "
        "pass --text-col NAME"
    )


def test_clear_header_variants_of_yes_no_fields_are_read(
    store: Store, tmp_path: Path
) -> None:
    """MS Forms questions as headers: the listener's safeguarding answer must be read."""
    path = write(
        tmp_path, "forms.csv",
        "ID,Start time,Listener,text,Can we quote them? (Yes/No),OK to contact?,"
        "Any safeguarding worries?,What else did they mention today?\n"
        "2,3/14/2025 10:22:01,Jo P,Scared of her uncle,No,Yes,Yes,x\n"
        "3,3/14/2025 11:00:00,Jo P,Likes the cafe,Yes,No,No,y\n",
    )
    report = ingest(store, path, tmp_path)
    assert counts(report) == (2, 0, 0) and report.flagged == 1
    assert report.warnings == [
        "read 'Can we quote them? (Yes/No)' as consent_quote",
        "read 'OK to contact?' as consent_contact",
        "read 'Any safeguarding worries?' as safeguarding",
        # With no date of the conversation, the form's own date, and in its US order.
        "read 'Start time' as heard_on: it is when the form was filled in, as no column "
        "gives the date of the conversation",
        "heard_on dates were read month first (MM/DD/YYYY, as US form tools write them), as "
        "the date on line 2 can only be read that way, with times as a form tool writes "
        "them; if they are day first, give --dates day-first",
        # Headers of a file whose text column was found are shown in full.
        "not note fields, so not stored: 'What else did they mention today?'",
    ]
    flagged, other = store.get_note("2"), store.get_note("3")
    assert flagged["heard_on"] == other["heard_on"] == date(2025, 3, 14)
    assert (flagged["safeguarding"], flagged["consent_quote"], flagged["consent_contact"]) == (
        True, False, True
    )
    assert (other["safeguarding"], other["consent_quote"], other["consent_contact"]) == (
        False, True, False
    )
    [item] = store.safeguarding_items()
    assert (item["note_id"], item["reason"]) == ("2", "flagged by the listener at intake")
    variant = write(tmp_path, "yn.csv", "id,text,Safeguarding concern (Y/N)\nv-1,Note,Y\n")
    assert ingest(store, variant, tmp_path).warnings == [
        "read 'Safeguarding concern (Y/N)' as safeguarding"
    ]
    assert store.get_note("v-1")["safeguarding"] is True


def test_header_variants_are_only_read_when_unambiguous(store: Store, tmp_path: Path) -> None:
    # The exact column wins; the variant is listed as not stored.
    exact = write(
        tmp_path, "exact.csv",
        "id,text,safeguarding,Any safeguarding worries?\ne-1,Note one,No,Yes\n",
    )
    report = ingest(store, exact, tmp_path)
    assert report.warnings == [
        "'Any safeguarding worries?' also looks like safeguarding, but only the "
        "'safeguarding' column was read",
        "not note fields, so not stored: 'Any safeguarding worries?'",
    ]
    assert store.get_note("e-1")["safeguarding"] is False
    # Two columns that both look like safeguarding: neither is guessed, and it is said.
    long_name = "Did they say anything that worried you about their safety (safeguarding)?"
    two = write(
        tmp_path, "two.csv",
        f"id,text,Safeguarding concern (Y/N),{long_name}\nt-1,Note two,Yes,No\n",
    )
    report = ingest(store, two, tmp_path)
    shown = repr(long_name)  # a form's question whole, so it can be pasted back
    assert report.warnings[0] == (
        f"'Safeguarding concern (Y/N)' and {shown} all look like safeguarding, so none was "
        "read as it; rename the one that holds it to 'safeguarding'"
    )
    assert store.get_note("t-1")["safeguarding"] is None
    # A header matching two fields is not read as either.
    both = write(tmp_path, "both.csv", "id,text,Safeguarding ok to quote?\nb-1,Note three,Yes\n")
    report = ingest(store, both, tmp_path)
    assert report.warnings[0] == (
        "'Safeguarding ok to quote?' could be safeguarding or consent_quote, so it was not "
        "read as either; rename it"
    )
    # Not consent: "contact" alone (a phone number column) is not consent_contact.
    phone = write(tmp_path, "phone.csv", "id,text,Contact number\np-1,Note four,07700900123\n")
    report = ingest(store, phone, tmp_path)
    assert counts(report) == (1, 0, 0)
    assert report.warnings == ["not note fields, so not stored: 'Contact number'"]
    assert store.get_note("p-1")["consent_contact"] is False


def test_the_text_column_is_never_guessed(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path, "forms.csv",
        "ID,What did they tell you?,Any safeguarding worries?\n1,Scared at home,Yes\n",
    )
    report = ingest(store, path, tmp_path)
    assert report.file_error == (
        "line 1 has 3 columns and none is called 'text' (case and spaces ignored); the first "
        "line must be the header row; if the notes are in a column with another name, "
        "pass --text-col NAME"
    )
    assert store.count_notes() == 0
    # Stateless commands keep column names as written: nothing is read under another name.
    other = write(tmp_path, "sg.csv", "id,text,Any safeguarding worries?\n1,Note,Yes\n")
    [row] = list(read_rows(other)[0])
    assert row.data == {"id": "1", "text": "Note", "any_safeguarding_worries?": "Yes"}


def test_cli_reads_the_forms_safeguarding_column(tmp_path: Path) -> None:
    path = write(
        tmp_path, "forms_sg.csv",
        "ID,Start time,Listener,text,Can we quote them? (Yes/No),Any safeguarding worries?\n"
        "2,3/14/2025 10:22:01,Jo P,Said she does not feel safe at home,No,Yes\n",
    )
    folder = tmp_path / "ws"
    assert run_cli("init", str(folder), cwd=tmp_path).returncode == 0
    result = run_cli("ingest", "-w", str(folder), "--no-screen", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{path}: warning: read 'Any safeguarding worries?' as safeguarding" in result.stderr
    assert f"{path}: 1 note routed to the safeguarding queue" in result.stdout


def test_a_file_with_a_header_and_no_notes_says_so(store: Store, tmp_path: Path) -> None:
    # blind audit: "accepted 0, rejected 0, already present 0" and exit 0, nothing more
    empty = "the file holds no notes, only its header (or blank rows, or an empty list)"
    for name, content in {"header.csv": "id,heard_on,listener,text\n",
                          "blank-rows.csv": "id,text\n,\n\n",
                          "none.json": "[]"}.items():
        report = ingest(store, write(tmp_path, name, content), tmp_path)
        assert counts(report) == (0, 0, 0) and report.file_error is None
        assert [w for w in report.warnings if w.startswith(empty)], name
    one = ingest(store, write(tmp_path, "one.csv", "id,text\no-1,One note here.\n"), tmp_path)
    assert not [w for w in one.warnings if w.startswith(empty)]


def test_title_lines_above_the_header_are_left_out_as_in_a_sheet(
    store: Store, tmp_path: Path
) -> None:
    """Blind ingest audit: a Google Sheet with a title above its header was read as .xlsx
    (with a warning) and refused as CSV ("delete the line(s) above it"): the same rule now."""
    path = write(
        tmp_path, "title.csv",
        "Q3 listening \u2014 Great Yarmouth,,\n"
        '"Peer listeners: Sam, Bex.\nOne row per conversation!",,\n'
        ",,\n"
        "id,text,listener\ntt-1,The ward let me keep my phone.,L-30\ntt-2,,L-30\n",
    )
    report = ingest(store, path, tmp_path)
    assert counts(report) == (1, 1, 0)
    assert report.warnings[0] == ("the header is line 5: lines 1 to 4 above it (a title or "
                                  "instructions?) were left out")
    assert reasons(report) == [(7, "text: text is missing or empty")]  # the file's lines
    # Excel's "sep=;" line is not a title: the lines after it are
    sep = write(tmp_path, "sep-title.csv", "sep=;\nListening log;;\nid;text\ns-1;A note.\n")
    rows, warnings = read_rows(sep)
    assert [(r.line, r.data) for r in rows] == [(4, {"id": "s-1", "text": "A note."})]
    assert warnings == ["the header is line 3: line 2 above it (a title or instructions?) "
                        "was left out"]
    # a line of two cells above the header is not a title: the file is refused, as before
    two = write(tmp_path, "two.csv", "Listening log,2025\nid,text\nt-1,A note.\n")
    assert ingest(store, two, tmp_path).file_error == (
        "the header row with the 'text' column is line 2, not line 1: delete the line(s) "
        "above it (a title?) and try again"
    )


def test_a_text_column_under_another_name_is_suggested(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "named.csv", "Note ID,Note text,Listener\nn-1,A note,L-1\n")
    report = ingest(store, path, tmp_path)
    assert report.file_error == (
        "line 1 has 3 columns and none is called 'text' (case and spaces ignored); the first "
        "line must be the header row; if the notes are in a column with another name, "
        "pass --text-col NAME (the column 'Note text' may hold them)"
    )


# -- yes/no ------------------------------------------------------------------------------


def test_yes_no_values_are_trimmed_and_explicit(store: Store, tmp_path: Path) -> None:
    yes = ["Yes ", " yes", "Y", "TRUE", "1", "✓", "agreed", "Verbal consent", "Consented",
           "OK", "given", "on", "Tak"]  # a web form's ticked box; Polish
    no = [" No", "n", "false", "0", "", "off", "nie"]
    # no yes or no: the note is kept with no consent (a quote needs a clear yes), and said
    unread = ["x", "maybe"]
    # a date, an email, a sentence: another column's cell, so the row's may have shifted
    shifted = ["2025-03-01", "ann@example.org", "she said the waiting list is far too long"]
    values = yes + no + unread + shifted
    path = write(tmp_path, "consent.csv", "id,text,consent_quote\n" + "".join(
        f"c-{i},Consent note {i},{v}\n" for i, v in enumerate(values)
    ))
    report = ingest(store, path, tmp_path)
    kept = len(yes) + len(no) + len(unread)
    assert counts(report) == (kept, len(shifted), 0)
    stored = [store.get_note(f"c-{i}")["consent_quote"] for i in range(kept)]
    assert stored == [True] * len(yes) + [False] * (len(no) + len(unread))
    first_unread = 2 + len(yes) + len(no)
    assert any(f"lines {first_unread}, {first_unread + 1}" in w and
               "give no yes or no" in w for w in report.warnings), report.warnings
    assert reasons(report) == [
        (kept + 2, f"consent_quote: '2025-03-01' is not yes or no {BOOLEANS}"),
        (kept + 3, f"consent_quote: '[EMAIL]' is not yes or no {BOOLEANS}"),
        # long words are not echoed: they may be a note's
        (kept + 4, f"consent_quote: <41 characters> is not yes or no {BOOLEANS}"),
    ]


def test_yes_and_no_in_a_communitys_own_language_are_read(store: Store, tmp_path: Path) -> None:
    """Volunteers write the answer in the language of the conversation: Portuguese sim/não
    were "not yes or no" (no consent, said), so a consent given was lost. A yes or no in
    Portuguese, Polish, Spanish, Urdu/Punjabi, Romanian or transliterated Arabic is read;
    an answer still unread is never a yes: no consent, and its line is said."""
    yes = ["Sim", "sí", "Si", "tak", "Haan", "haan ji", "Da", "Na'am", "naam"]
    no = ["Não", "nao", "nie", "No", "nahin", "Nu", "La"]
    unread = ["talvez", "poate"]  # "maybe" in Portuguese and Romanian
    values = yes + no + unread
    path = write(tmp_path, "consent.csv", "id,text,consent_quote\n" + "".join(
        f"c-{i},Consent note in another language {i},{v}\n" for i, v in enumerate(values)))
    report = ingest(store, path, tmp_path)
    assert counts(report) == (len(values), 0, 0)
    stored = [store.get_note(f"c-{i}")["consent_quote"] for i in range(len(values))]
    assert stored == [True] * len(yes) + [False] * (len(no) + len(unread))
    first_unread = 2 + len(yes) + len(no)
    [said] = [w for w in report.warnings if "give no yes or no" in w]
    assert f"(lines {first_unread}, {first_unread + 1};" in said
    # a condition after the yes, in any language, is no consent: it cannot be kept
    cond = write(tmp_path, "cond.csv", "id,text,consent_quote\n"
                 "d-1,A note with a condition after the yes,\"Sim, mas sem o nome\"\n")
    assert counts(ingest(store, cond, tmp_path)) == (1, 0, 0)
    assert store.get_note("d-1")["consent_quote"] is False
    # a safeguarding no is read too; "LA" may be the local authority: a person reads it
    flags = write(tmp_path, "flags.csv", "id,text,safeguarding\n" + "".join(
        f"s-{i},Safeguarding answer in another language {i},{v}\n"
        for i, v in enumerate(["Não", "nu", "nie", "Sim", "LA"])))
    assert counts(ingest(store, flags, tmp_path)) == (5, 0, 0)
    assert [store.get_note(f"s-{i}")["safeguarding"] for i in range(5)] == [
        False, False, False, True, True]


def test_a_web_forms_nested_safeguarding_answer_is_read_and_its_details_kept(
    store: Store, tmp_path: Path
) -> None:
    """Blind coordinator audit: a form nests its safeguarding question ({"concern": "on",
    "details": "..."}); every row was refused as "must be yes or no", and a volunteer's
    "on" beside a man's plan with a rope raised no alarm. Yes if any part says yes, the
    details kept with the queue item (names removed); "off" with no details is no."""
    path = tmp_path / "form.jsonl"
    rows = [
        {"id": "w1", "text": "Talked about the drop-in and his allotment.",
         "safeguarding": {"concern": "on", "details": "Said he has a rope in his shed. Rang "
                          "999 with him, then told Jo Smith."}},
        {"id": "w2", "text": "Happy with the new group times.",
         "safeguarding": {"concern": "off", "details": None}},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = ingest(store, path, tmp_path)
    assert counts(report) == (2, 0, 0)
    assert (store.get_note("w1")["safeguarding"], store.get_note("w2")["safeguarding"]) == (
        True, False)
    [item] = store.safeguarding_items()
    assert item["note_id"] == "w1"
    assert item["reason"].endswith(': "Said he has a rope in his shed. Rang 999 with him, '
                                   'then told [PERSON]."')


def test_a_volunteers_account_beside_a_safeguarding_yes_is_kept_with_the_item(
    store: Store, tmp_path: Path
) -> None:
    """Second blind coordinator audit: "Self-harm, under 18. Told DSL at the masjid, mum
    aware" in a column that is not stored was read only for phrases, and the queue item
    said only that the listener answered yes."""
    path = write(tmp_path, "form.csv", "id,text,safeguarding,Safeguarding details,Comments\n"
                 "w1,Talked about school and her mum.,Yes,\"Self-harm, under 18. Told Amina "
                 "Begum (DSL) at the masjid, mum aware\",Lovely group\n"
                 "w2,Enjoyed the lunch club.,No,none,\n")
    report = ingest(store, path, tmp_path)
    assert counts(report) == (2, 0, 0)
    [item] = store.safeguarding_items()
    assert item["note_id"] == "w1"
    assert item["reason"].endswith(': "Self-harm, under 18. Told [PERSON] (DSL) at the '
                                   'masjid, mum aware"')
    assert "Lovely group" not in item["reason"]


def test_a_consent_not_asked_is_no_consent_and_the_note_is_kept(
    store: Store, tmp_path: Path
) -> None:
    answers = ["Didn't ask", "didnt ask", "Not asked", "forgot to ask", "Not sure", "unknown",
               "Don't know", "N/K"]
    path = write(tmp_path, "asked.csv", "id,text,consent_quote\n" + "".join(
        f"a-{i},Asked note {i},{v}\n" for i, v in enumerate(answers)))
    report = ingest(store, path, tmp_path)
    assert counts(report) == (len(answers), 0, 0)
    assert all(store.get_note(f"a-{i}")["consent_quote"] is False for i in range(len(answers)))
    assert any("give no yes or no (lines 2, 3, 4, 5, 6" in w for w in report.warnings)


def test_a_consent_withdrawn_is_no_consent_first_time_and_again(
    store: Store, tmp_path: Path
) -> None:
    answers = ["Withdrawn", "consent withdrawn", "yes - withdrew it 3/5", "Refused",
               "Declined", "changed her mind", "Revoked", "no longer"]
    path = write(tmp_path, "w.csv", "id,text,consent_quote\n" + "".join(
        f"w-{i},Withdrawn note {i},{v}\n" for i, v in enumerate(answers)))
    report = ingest(store, path, tmp_path)
    assert counts(report) == (len(answers), 0, 0)  # kept, never quarantined
    assert all(store.get_note(f"w-{i}")["consent_quote"] is False for i in range(len(answers)))
    assert any("give no yes or no (lines 2, 3, 4" in w for w in report.warnings)
    # an updated export: the yes given before is taken back
    write(tmp_path, "v1.csv", "id,text,consent_quote\nv-1,Later withdrawn note,yes\n")
    ingest(store, tmp_path / "v1.csv", tmp_path)
    assert store.get_note("v-1")["consent_quote"] is True
    write(tmp_path, "v2.csv", "id,text,consent_quote\nv-1,Later withdrawn note,withdrawn\n")
    again = ingest(store, tmp_path / "v2.csv", tmp_path)
    assert again.rejected == 0 and store.get_note("v-1")["consent_quote"] is False


def test_safeguarding_yes_no(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "sg.jsonl", "\n".join(json.dumps(r) for r in [
        {"id": "s-1", "text": "one", "safeguarding": " Yes"},
        {"id": "s-2", "text": "two", "safeguarding": ""},
        {"id": "s-3", "text": "three", "safeguarding": "maybe"},  # not a no: a person looks
        {"id": "s-4", "text": "four", "consent_contact": {"value": True}},
        {"id": "s-5", "text": "five", "safeguarding": "?"},  # no word: never no
    ]) + "\n")
    report = ingest(store, path, tmp_path)
    assert counts(report) == (4, 1, 0)
    assert store.get_note("s-1")["safeguarding"] is True
    assert store.get_note("s-2")["safeguarding"] is None
    assert store.get_note("s-3")["safeguarding"] is True
    # a listener unsure enough to put "?" wants a person to read the note: stored and
    # queued, not refused into quarantine, where no queue would hold it
    assert store.get_note("s-5")["safeguarding"] is True
    [item] = store.safeguarding_items(note_id="s-5")
    assert item["reason"] == 'flagged by the listener at intake: "?"'
    assert reasons(report) == [(4, f"consent_contact: must be yes or no {BOOLEANS}")]
    assert report.rejected_concerns == []


def test_a_concern_already_in_the_queue_is_no_new_alarm_when_its_row_is_rejected(
    store: Store, tmp_path: Path
) -> None:
    first = write(tmp_path, "sg.jsonl", json.dumps(
        {"id": "s-1", "text": "She is not safe at home.", "safeguarding": "yes"}) + "\n")
    assert ingest(store, first, tmp_path).flagged == 1
    # the same file again, now with a label the codebook does not have: the row is
    # rejected, but its concern is a stored note's, already in the queue
    again = write(tmp_path, "sg2.jsonl", json.dumps(
        {"id": "s-1", "text": "She is not safe at home.", "safeguarding": "yes",
         "categories": "zzz"}) + "\n")
    report = ingest(store, again, tmp_path)
    assert report.rejected == 1 and report.rejected_concerns == []
    other = write(tmp_path, "sg3.jsonl", json.dumps(
        {"id": "s-2", "text": "He is not safe either.", "safeguarding": "yes",
         "categories": "zzz"}) + "\n")
    assert ingest(store, other, tmp_path).rejected_concerns == [1]  # never stored: an alarm


def test_a_queued_concern_with_windows_line_breaks_is_no_new_alarm(
    store: Store, tmp_path: Path
) -> None:
    # a CSV cell keeps "\r\n" where the note stored "\n": its row, rejected in a later
    # export, is still the stored note's (and a row whose person took back their words
    # still finds its note by them)
    row = 's-1,"She is not safe at home.\r\nShe told me so twice this week.",yes,{}\n'
    first = write(tmp_path, "sg.csv", "id,text,safeguarding,categories\n" + row.format(""))
    assert ingest(store, first, tmp_path).flagged == 1
    again = write(tmp_path, "sg2.csv", "id,text,safeguarding,categories\n" + row.format("zzz"))
    report = ingest(store, again, tmp_path)
    assert report.rejected == 1 and report.rejected_concerns == []
    withdrawn = write(tmp_path, "sg3.csv", "text,heard_on,Keep their words?\n"
                      '"She is not safe at home.\r\nShe told me so twice this week.",'
                      "2025-02-30,no\n")
    report = ingest(store, withdrawn, tmp_path)
    assert report.keep_refused == [(2, "s-1")]


def test_a_broken_json_line_is_read_for_a_safeguarding_yes_and_phrases(
    store: Store, tmp_path: Path
) -> None:
    """A JSON line intake cannot read is never stored, so no queue holds it: a yes in it
    (in words, true or 1, under a key read as the field) or a phrase in its strings (behind
    an escape too) is named at once, as for a CSV row of the wrong width."""
    from insight.intake import raw_json_cells

    path = write(tmp_path, "sg.jsonl", "\n".join([
        '{"id": "s-1", "text": "The damp makes it worse.", "safeguarding": "yes",}',
        '{"id": "s-2", "text": "He goes without his tablets.", "safeguarding": true',
        "{'id': 's-3', 'text': 'Waits for the bus.', 'Any safeguarding worries?': 1}",
        '{"id": "s-4", "text": "The cafe group is good.", "safeguarding": "no",}',
        '{"id": "s-5", "text": "She said \\"I can\\u2019t go on\\" twice", "safeguarding": "no"',
        '{"id": "s-6", "text": "Nothing to worry about.", "safeguarding": "no"}',
    ]) + "\n")
    screen = lambda text: "phrase: despair" if "can\u2019t go on" in text else None  # noqa: E731
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q",
                         screen=screen)
    assert counts(report) == (1, 5, 0)
    assert report.rejected_concerns == [1, 2, 3, 5]
    assert report.quarantine is not None
    records = [json.loads(line) for line in
               Path(report.quarantine).read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in records if r.get("safeguarding_concern")] == [1, 2, 3, 5]
    assert raw_json_cells('{"a": "x\\ny", "b": 1, "c": null, "a": "z"') == {
        "a": "x\ny", "b": 1, "c": None}
    assert raw_json_cells("id,text,yes") == {}


def test_a_row_refused_for_its_id_or_its_twin_is_still_screened(
    store: Store, tmp_path: Path
) -> None:
    """Two forms numbered from 1 clash on every id: the second form's row is quarantined,
    and a concern in its words is named at once, as for a row refused for a bad date."""
    from insight.classify.safeguarding import phrase_screen

    screen = phrase_screen()

    def run(path: Path, **options: Any) -> FileReport:
        return ingest_file(store, path, category_ids=CATEGORY_IDS,
                           quarantine_dir=tmp_path / "q", screen=screen, **options)

    first = write(tmp_path, "form1.csv", "id,text\n1,The waiting list is long and "
                  "nobody rings back.\n")
    assert run(first).accepted == 1
    second = write(tmp_path, "form2.csv", "id,text,safeguarding\n1,She said her husband "
                   "hits her every night and she is scared to go home.,no\n")
    report = run(second)
    assert report.rejected == 1 and report.rejected_concerns == [2]
    assert "already present with different text" in reasons(report)[0][1]
    # --replace-text with another date: refused as another conversation, still screened
    third = write(tmp_path, "form3.csv", "id,text,heard_on\n1,He wants to end it all, "
                  "he told me.,2025-01-01\n")
    assert run(third, replace_text=True).rejected_concerns == [2]


def test_a_fixed_rows_old_copy_that_raises_a_concern_queues_the_stored_note_once(
    store: Store, tmp_path: Path
) -> None:
    # a free-text safeguarding answer, fixed to a plain "no" and stored without a flag;
    # the monthly export still holds the old row with a bad date
    fixed = write(tmp_path, "fixed.jsonl", json.dumps(
        {"id": "s-1", "text": "She is scared of her partner.", "safeguarding": "no"}) + "\n")
    assert ingest(store, fixed, tmp_path).flagged == 0
    old_row = json.dumps({"id": "s-1", "text": "She is scared of her partner.",
                          "heard_on": "2025-02-30", "safeguarding": "Yes - ring her"}) + "\n"
    report = ingest(store, write(tmp_path, "march.jsonl", old_row), tmp_path)
    # the stored note, not a row nobody can find in the queue, is what a person reads
    assert report.rejected == 1 and report.rejected_concerns == []
    assert report.changes == {"safeguarding flagged": 1}
    items = store.safeguarding_items(open_only=False, note_id="s-1")
    assert len(items) == 1 and "line 1 of march.jsonl" in items[0]["reason"]
    # next month the same row is no new alarm and no second item
    report = ingest(store, write(tmp_path, "april.jsonl", old_row), tmp_path)
    assert report.rejected_concerns == [] and report.changes == {}
    assert len(store.safeguarding_items(open_only=False, note_id="s-1")) == 1


def test_categories_by_name_in_any_spelling_and_named_columns(
    store: Store, tmp_path: Path
) -> None:
    codebook = load_codebook()
    names = codebook.names
    crisis = codebook.get("crisis-urgent").name
    path = write(tmp_path, "themes.csv",
                 "Ref,Notes,Village,Where we met,Themes\n"
                 f"r1,Waited a year.,Holt,cafe,\" {crisis.upper()} ; access waiting\"\n"
                 "r2,No one rang back.,Holt,phone,Acess waiting\n")
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, category_names=names,
                         quarantine_dir=tmp_path / "q", text_col="Notes",
                         column_names={"id": "Ref", "place": "village",
                                       "setting": "Where we met", "categories": "Themes"})
    assert counts(report) == (1, 1, 0)
    note = store.get_note("r1")
    assert (note["place"], note["setting"]) == ("Holt", "cafe")
    assert sorted(t["category"] for t in store.tags_for(["r1"])) == [
        "access-waiting", "crisis-urgent"]
    assert reasons(report) == [(3, "categories (column 'Themes'): unknown category: "
                                   "acess waiting (not "
                                   "in the codebook; did you mean access-waiting?)")]
    # a date named on the command line: the form's own timestamp is not read as well
    dated = write(tmp_path, "d.csv", "Timestamp,When we talked,text\n"
                  "2025/06/01 10:00,2025-05-20,Waited a month.\n")
    report = ingest_file(store, dated, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q",
                         column_names={"heard_on": "When we talked"})
    assert report.accepted == 1 and not any("as heard_on" in w for w in report.warnings)
    [stored] = [n for batch in store.iter_notes() for n in batch if n["text"] == "Waited a month."]
    assert str(stored["heard_on"]) == "2025-05-20"
    missing = write(tmp_path, "m.csv", "text,Themes\nWaited.,x\n")
    report = ingest_file(store, missing, category_ids=CATEGORY_IDS,
                         quarantine_dir=tmp_path / "q", column_names={"categories": "Theme"})
    assert report.file_error == ("no column 'Theme' (named by --column categories=...); "
                                 "did you mean 'Themes'?")


def test_a_file_ingested_again_with_labels_labels_the_notes_no_one_labelled(
    store: Store, tmp_path: Path
) -> None:
    bare = write(tmp_path, "a.csv", "id,text\na1,Waited a year.\na2,The group closed.\n")
    ingest(store, bare, tmp_path)
    store.set_person_tags("a2", ["community-support"])  # a lead's review
    labelled = write(tmp_path, "b.csv", "id,text,categories\na1,Waited a year.,access-waiting"
                     "\na2,The group closed.,crisis-urgent\n")
    report = ingest(store, labelled, tmp_path)
    assert counts(report) == (0, 0, 2) and (report.labelled, report.labels_kept) == (1, 1)
    assert [t["category"] for t in store.tags_for(["a1"])] == ["access-waiting"]
    assert [t["category"] for t in store.tags_for(["a2"])] == ["community-support"]
    assert "labelled 1 already-present note with the file's categories" in " ".join(
        report.change_summary())
    assert ingest(store, labelled, tmp_path).labelled == 0  # now labelled: nothing to do


def test_a_file_withdrawing_a_consent_a_person_gave_names_the_note(
    store: Store, tmp_path: Path
) -> None:
    export = write(tmp_path, "e.csv", "id,text,consent_quote\nc1,Waited a year.,No\n"
                   "c2,The group closed.,Yes\nc3,No one rang.,No\n")
    ingest(store, export, tmp_path)
    store.set_consent("c1", reason="asked again at the men's shed", consent_quote=True)
    again = write(tmp_path, "e2.csv", "id,text,consent_quote\nc1,Waited a year.,No\n"
                  "c2,The group closed.,No\nc3,No one rang.,No\n")
    report = ingest(store, again, tmp_path)  # next month's export: c1's old answer, c2's new
    # a withdrawal always applies (the file cannot say whether its no is old or new) ...
    assert store.get_note("c1")["consent_quote"] is False
    assert report.changes == {"consent to quote withdrawn": 2}
    # ... and the note a person had given consent to is named
    assert report.person_consent_undone == ["c1"]
    assert any(line.startswith("consent withdrawn from 'c1', to which a person had given it")
               for line in report.change_summary())


def test_a_forms_several_choices_joined_by_commas(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "choices.csv", 'id,text,community\n'
                 'k1,Waited a year.,"Carers, Muslim"\nk2,The group closed.,LGBTQ+\n')
    first = ingest(store, path, tmp_path)
    assert store.get_note("k1")["community"] == ["Carers, Muslim"]
    assert any(w.startswith("community answers hold a comma (line 2), each read as one "
                            "community") for w in first.warnings)
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q",
                         list_sep=",")
    assert report.changes == {"community filled in": 1}  # the same answer, split finer
    assert store.get_note("k1")["community"] == ["Carers", "Muslim"]
    assert not any("comma" in w for w in report.warnings)


def test_a_category_name_holding_the_list_separator_stays_one_choice(
    store: Store, tmp_path: Path
) -> None:
    """A form joins choices with commas and a codebook may name a category "Housing,
    homelessness": the longest run of pieces that is a category is one choice."""
    names = {"housing": "Housing, homelessness", "money": "Benefits, debt",
             "gp": "GP access"}
    path = write(tmp_path, "labels.csv", "id,text,categories\n"
                 'h1,Sofa surfing since May.,"Housing, homelessness,Benefits, debt"\n'
                 'h2,No GP for a year.,"GP access, housing"\n'
                 'h3,Skint.,"Benefits, dept"\n')
    report = ingest_file(store, path, category_ids=list(names), category_names=names,
                         quarantine_dir=tmp_path / "q", list_sep=",")
    person = {}
    for tag in store.tags_for(["h1", "h2"]):
        person.setdefault(tag["note_id"], []).append(tag["category"])
    assert sorted(person["h1"]) == ["housing", "money"]
    assert sorted(person["h2"]) == ["gp", "housing"]
    [(line, reason)] = reasons(report)
    assert line == 4 and "unknown categories: benefits, dept" in reason


def test_a_form_s_tick_box_per_category_is_read_as_its_categories(
    store: Store, tmp_path: Path
) -> None:
    """One yes/no column per category, named as the codebook names it: ticked, the note is
    about it. A yes/no column naming no category, or a named column with other answers,
    is not read so."""
    names = {"housing": "Housing", "crisis-help": "Crisis and urgent help",
             "loneliness": "Loneliness"}
    path = write(tmp_path, "ticks.csv",
                 "id,text,categories,Housing,Crisis and urgent help,loneliness,Follow up?\n"
                 "t1,Landlord wants her out.,,1,0,,Yes\n"
                 "t2,Rang the crisis line.,housing,0,x,TRUE,No\n"
                 "t3,Nothing much.,,0,0,0,\n")
    report = ingest_file(store, path, category_ids=list(names), category_names=names,
                         quarantine_dir=tmp_path / "q")
    assert report.accepted == 3
    person: dict[str, list[str]] = {}
    for tag in store.tags_for(["t1", "t2", "t3"]):
        person.setdefault(tag["note_id"], []).append(tag["category"])
    assert person == {"t1": ["housing"], "t2": sorted(["housing", "crisis-help", "loneliness"])}
    said = " ".join(report.warnings)
    assert "yes/no columns read as the categories they name" in said
    assert "'Crisis and urgent help' -> crisis-help" in said
    assert "not note fields, so not stored: 'Follow up?'" in said
    other = write(tmp_path, "other.csv", "id,text,Housing\nu1,Rent went up.,council flat\n")
    kept = ingest_file(store, other, category_ids=list(names), category_names=names,
                       quarantine_dir=tmp_path / "q")
    assert not list(store.tags_for(["u1"]))
    assert "not note fields, so not stored: 'Housing'" in " ".join(kept.warnings)


def test_a_corrected_form_answer_is_said_to_read_like_a_stored_note(
    store: Store, tmp_path: Path
) -> None:
    said = "Waited eleven weeks for a call back from the memory clinic, then nothing at all."
    first = write(tmp_path, "f1.csv", "Timestamp,Listener code,text\n"
                  f'03/02/2026 10:00,L7,"{said}"\n')
    ingest(store, first, tmp_path)
    fixed = said.replace("eleven", "eleven ").replace("nothing at all", "nothing at al")
    second = write(tmp_path, "f2.csv", "Timestamp,Listener code,text\n"
                   f'03/10/2026 10:00,l7,"{fixed}"\n'
                   '04/10/2026 10:00,L7,"A different note entirely about the bus to the '
                   'clinic and the cost of it."\n')
    report = ingest(store, second, tmp_path)
    assert report.accepted == 2  # both kept: two people may say much the same
    [(line, twin)] = report.near_twins
    assert line == 2 and store.get_note(twin)["text"] == said
    assert any(s.startswith("1 new note read almost the same as a stored note by the same "
                            "listener (line 2 ~ ") for s in report.change_summary())
    # sent twice in one export, the second time corrected (blind audit: stored twice
    # without a word)
    respite = "Carer said respite has been cancelled three times and she is at breaking point."
    same_file = write(tmp_path, "f3.csv", "Timestamp,Listener code,text\n"
                      f'05/10/2026 10:00,L9,"{respite}"\n'
                      f'05/10/2026 10:05,L9,"{respite[:-1]} since October."\n')
    report = ingest(store, same_file, tmp_path)
    assert report.accepted == 2
    [(line, twin)] = report.near_twins
    assert line == 3 and store.get_note(twin)["text"] == respite
    # sent again with a sentence added (second blind coordinator audit: stored twice
    # without a word, too unlike the first by letters to be "almost the same")
    update = (f"{said} Update: he has stopped eating and gave away his dog, his daughter "
              "says he is not himself at all.")
    later = write(tmp_path, "f4.csv", "Timestamp,Listener code,text\n"
                  f'06/10/2026 10:00,L7,"{update}"\n')
    report = ingest(store, later, tmp_path)
    [(line, twin)] = report.near_twins
    assert line == 2 and store.get_note(twin)["text"] == said


def test_a_corrected_answer_that_changes_consent_says_so(store: Store, tmp_path: Path) -> None:
    """Blind ingest audit: the same words again without punctuation, consent yes then no,
    were named only as 'read almost the same ... erase the older note', so the older yes
    to quote could be left in force by mistake."""
    said = ("Man said the GP surgery's new phone system puts mental health calls in the same "
            "queue as everything else, so he gives up.")
    bare = said.replace(",", "").replace("'", "")  # as a hurried correction writes it
    path = write(tmp_path, "near.csv", "heard_on,listener,text,consent_quote,safeguarding\n"
                 f'11/09/2026,L-NR04,"{said}",yes,no\n'
                 f"11/09/2026,L-NR04,{bare},no,no\n"
                 f'11/09/2026,L-NR04,"{said[:-1]} at all.",yes,yes\n')
    report = ingest(store, path, tmp_path)
    assert report.accepted == 3
    [summary] = [s for s in report.change_summary() if "read almost the same" in s]
    twin = report.near_twins[0][1]
    assert f"line 3 ~ {shown_cell(twin)} (consent to quote: yes there, no here)" in summary
    assert f"line 4 ~ {shown_cell(twin)} (safeguarding: no there, yes here)" in summary
    assert "where an answer differs, keep the one that is right" in summary


def test_a_column_named_only_the_second_time_fills_the_stored_notes(
    store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, "form.csv", "id,text,Who (group),How did you talk?\n"
                 "f1,Waited a year.,Carers; Muslim,phone\nf2,The group closed.,,cafe\n")
    first = ingest(store, path, tmp_path)
    assert first.accepted == 2 and store.get_note("f1")["community"] == []
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q",
                         column_names={"community": "Who (group)",
                                       "setting": "How did you talk?"})
    assert (report.already_present, report.updated) == (2, 2)
    assert report.changes == {"setting filled in": 2, "community filled in": 1}
    note = store.get_note("f1")
    assert (note["community"], note["setting"]) == (["Carers", "Muslim"], "phone")
    # once given, a field is not changed by a file
    changed = write(tmp_path, "form2.csv", "id,text,setting\nf1,Waited a year.,home visit\n")
    assert ingest(store, changed, tmp_path).updated == 0
    assert store.get_note("f1")["setting"] == "phone"
    # an experience a person gives later (the model's judgement is not a person's)
    felt = write(tmp_path, "felt.csv", "id,text,experience\nf2,The group closed.,Negative\n")
    report = ingest(store, felt, tmp_path)
    assert report.changes == {"experience filled in": 1}
    assert store.get_note("f2")["experience"] == "negative"


# -- lists -------------------------------------------------------------------------------


def test_json_list_nulls_dropped_and_numbers_refused(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "lists.jsonl", "\n".join(json.dumps(r) for r in [
        {"id": "l-1", "text": "one", "community": ["carers", None, " older people "]},
        {"id": "l-2", "text": "two", "community": ["carers", 3, None]},
        {"id": "l-3", "text": "three", "community": ["carers", ["nested"]]},
        {"id": "l-4", "text": "four", "categories": ["access-waiting", None]},
    ]) + "\n")
    report = ingest(store, path, tmp_path)
    assert counts(report) == (2, 2, 0)
    assert store.get_note("l-1")["community"] == ["carers", "older people"]
    assert [t["category"] for t in store.tags_for() if t["note_id"] == "l-4"] == [
        "access-waiting"
    ]
    assert reasons(report) == [
        (2, "community: item 2 is a number; list items must be text"),
        (3, "community: item 2 is a JSON list; list items must be text"),
    ]


def test_a_json_lists_rows_are_named_by_the_line_they_start_on(
    store: Store, tmp_path: Path
) -> None:
    # blind audit: an indented JSON list's second record was "line 2", where an editor
    # shows the list's "["; it starts on line 7
    records = [{"id": "jl-1", "text": "A first note about the crisis cafe."},
               {"id": "jl-2", "text": ""},
               {"id": "jl-3", "text": "A third note about the pharmacy."},
               "not a record"]
    pretty = write(tmp_path, "pretty.json", "\n" + json.dumps(records, indent=2))
    report = ingest(store, pretty, tmp_path)
    assert counts(report) == (2, 2, 0)
    lines = pretty.read_text().splitlines()
    assert lines[7 - 1].strip() == "{" and '"jl-2"' in lines[8 - 1]
    assert lines[15 - 1].strip() == '"not a record"'
    assert reasons(report) == [(7, "text: text is missing or empty"),
                               (15, "record is not a JSON object")]
    assert report.warnings == []
    # records on one line: numbered by their place in the list, and said
    compact = write(tmp_path, "compact.json", json.dumps(
        [{"id": "jc-1", "text": "A compact note."}, {"id": "jc-2", "text": ""}]))
    report = ingest(store, compact, tmp_path)
    assert reasons(report) == [(2, "text: text is missing or empty")]
    assert report.warnings == [
        "the JSON list's records share lines, so rows are numbered by their place in the "
        "list (line 3 is the third record)"
    ]


def test_a_json_file_that_is_one_object_is_not_read_line_by_line(
    store: Store, tmp_path: Path
) -> None:
    # blind audit: a form tool's export, {"form": ..., "responses": [...]}, indented, gave
    # one "malformed JSON" row per line; on one line, one row with no text
    export = {"form": "Listening", "responses": [
        {"id": "w-1", "text": "The peer worker came to my house when I could not leave."},
        {"id": "w-2", "text": ""}]}
    pretty = write(tmp_path, "export.json", json.dumps(export, indent=2))
    report = ingest(store, pretty, tmp_path)
    assert counts(report) == (1, 1, 0)
    assert pretty.read_text().splitlines()[8 - 1].strip() == "{"  # where w-2 starts
    assert reasons(report) == [(8, "text: text is missing or empty")]
    assert report.warnings == ["the file is one JSON object: its records were read from "
                               "the list under 'responses' (not from 'form')"]
    compact = write(tmp_path, "compact.json", json.dumps({"data": [
        {"id": "w-3", "text": "Three letters with three different appointment times."}]}))
    assert counts(ingest(store, compact, tmp_path)) == (1, 0, 0)
    # one record written over several lines is one row
    one = write(tmp_path, "one.json", "\n" + json.dumps(
        {"id": "w-4", "text": "A single note, indented.", "listener": "L-4"}, indent=2))
    assert counts(ingest(store, one, tmp_path)) == (1, 0, 0)
    assert store.get_note("w-4")["listener"] == "L-4"
    # two lists of records: which holds the notes is not guessed
    two = write(tmp_path, "two.json", json.dumps({"open": [{"text": "a"}],
                                                  "closed": [{"text": "b"}]}, indent=1))
    assert ingest(store, two, tmp_path).file_error == (
        "the file is one JSON object with several lists of records ('open', 'closed'): save "
        "the notes' list alone as a JSON list, or as JSONL, one record a line")
    # JSONL is still read a line at a time, a broken line a row error of its own
    lines = write(tmp_path, "notes.jsonl", '{"id": "w-5", "text": "Fine line."}\n'
                  '{"id": "w-6", "text": "Broken\n{"id": "w-7", "text": "Fine again."}\n')
    report = ingest(store, lines, tmp_path)
    assert counts(report) == (2, 1, 0) and [n for n, _ in reasons(report)] == [2]


# -- dates -------------------------------------------------------------------------------


def test_dates_from_spreadsheets(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "dates.csv", "id,text,heard_on\n" + "".join(
        f"d-{i},Date note {i},{v}\n" for i, v in enumerate([
            "25/11/2025 00:00", "25/11/2025 14:30:00", "2025-11-25 14:30", "25 Nov 2025",
            "46351", "46351.5", "25/11/1926", "25/11/25", "25/11/2025 25:00", "31/02/25",
            "13/03/99",
        ])
    ))
    report = ingest(store, path, tmp_path)
    assert counts(report) == (6, 5, 0)
    assert store.get_note("d-10")["heard_on"] == date(1999, 3, 13)  # not 2099
    assert {store.get_note(f"d-{i}")["heard_on"] for i in (0, 1, 2, 3, 7)} == {
        date(2025, 11, 25)  # "25/11/25" is this century's, as UK spreadsheets show it
    }
    serial = "looks like a spreadsheet date serial number, not a date: format the column " \
             "as a date (DD/MM/YYYY) and save again"
    assert reasons(report) == [
        (6, f"heard_on: '46351' {serial}"),
        (7, f"heard_on: '46351.5' {serial}"),
        (8, "heard_on: 1926-11-25 is before 1990: a typo?"),
        (10, "heard_on: invalid date '25/11/2025 25:00' " + DATE_FORMS),
        (11, "heard_on: '31/02/25' is not a day: February 2025 has 28 days"),
    ]


# -- encodings ---------------------------------------------------------------------------


def test_another_kind_of_file_under_a_notes_files_name_says_what_it_is(
    store: Store, tmp_path: Path
) -> None:
    """Blind audit: a PDF was 'not UTF-8 and the encoding could not be identified', a
    sign-in page 'line 1 has 1 column and none is called text', a workbook named .csv 'a
    binary file': none said what the file was or what to do."""
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["id", "text"])
    book.save(tmp_path / "workbook.xlsx")
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("notes.csv", "id,text\n1,A note.\n")
    cases = {
        "page.csv": (b"\n<!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>\n",
                     "is a web page (HTML), not a table of notes: often a sign-in or error "
                     "page saved in place of the export; download the export again (signed "
                     "in) and ingest that"),
        "page.jsonl": (b"\xef\xbb\xbf<html lang='en'><body>Error 404</body></html>",
                       "is a web page (HTML)"),
        "report.csv": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n%%EOF\n",
                       "is a PDF: notes cannot be read from a PDF; download the responses as "
                       "CSV or as an Excel workbook (.xlsx) and ingest that"),
        "renamed.csv": ((tmp_path / "workbook.xlsx").read_bytes(),
                        "is an Excel workbook saved under a name ending in something other "
                        "than .xlsx: rename it to end in .xlsx and ingest it again"),
        "old.csv": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100),
                    "is an old Excel (.xls) or Word (.doc) file, not CSV"),
        "zipped.csv": (archive.read_bytes(), "is a zip archive, not CSV: unzip it"),
        "sheet2003.csv": (b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-'
                          b'com:office:spreadsheet">', "is an XML file, not CSV"),
        "page.xlsx": (b"<!DOCTYPE html><html><body>Sign in</body></html>",
                      "is a web page (HTML)"),
        "report.xlsx": (b"%PDF-1.7\n", "is a PDF"),
    }
    for name, (content, message) in cases.items():
        report = ingest(store, write(tmp_path, name, content), tmp_path)
        assert report.file_error is not None and report.file_error.startswith(message), name
    # a CSV whose first cell starts with "<" is still a CSV
    plain = write(tmp_path, "plain.csv", "id,text\nh-1,<3 the peer group on Tuesdays\n")
    assert counts(ingest(store, plain, tmp_path)) == (1, 0, 0)

POLISH = "id,text\npl-1,Nie mogę się dostać do lekarza. Czekam od miesięcy, żal.\n"


@pytest.mark.parametrize("text", [
    POLISH,
    "id,text\n1,Mówił, że było dobrze\n",  # "mówi³, ¿e by³o": no ę at all
    "id,text\n1,Ktoś mi powiedział, że to nic\n",
])
def test_polish_in_windows_1250_is_refused_not_garbled(text: str) -> None:
    with pytest.raises(FileRejected) as caught:
        decode(text.encode("cp1250"))
    message = str(caught.value)
    assert message == (
        "not UTF-8 and the encoding could not be identified reliably (it looks like "
        "Polish or another Central European language, not Western European text); "
        "save the file as UTF-8 and try again"
    )
    assert decode(text.encode("utf-8")) == (text, None)


@pytest.mark.parametrize("text", [
    "id,text\n1,Zoë said the bus fare (£4.50) stops her. “It’s too much”\n"
    "2,Siobhán told us the crisis line – twice – didn’t pick up.\n"
    "3,José’s mum worries about the €20 prescription… and the wait.\n",
    "id,text\n1,Ela disse: você sabe, você também, a fête, le cœur, ¿Qué pasa? 3 m³\n",
    "id,text\n1,Ægir and Æsa, smørrebrød, Bjørn, Façade, naïve, Größe, crème brûlée\n",
])
def test_western_windows_1252_is_still_accepted(text: str) -> None:
    assert decode(text.encode("cp1252")) == (
        text, "not UTF-8: decoded as Windows-1252 (cp1252) and converted"
    )


def test_a_utf8_file_with_a_stray_latin_byte_is_named_by_line() -> None:
    raw = "\ufeffid;text\n1;fine\n".encode() + "2;caf\xe9 closed\n".encode("cp1252")
    with pytest.raises(FileRejected, match="line 3 has bytes that are not UTF-8"):
        decode(raw)


def test_polish_file_is_rejected_at_ingest(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "pl.csv", POLISH.encode("cp1250"))
    report = ingest(store, path, tmp_path)
    assert counts(report) == (0, 0, 0) and store.count_notes() == 0
    assert report.file_error is not None and "Central European" in report.file_error


# -- CSV shape ---------------------------------------------------------------------------


def test_empty_cells_after_the_last_column_are_ignored(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path, "trailing.csv",
        "id,text,listener\r\nrg-5,Trailing empty cells,L-19,,\r\nrg-6,More,L-19, ,\r\n"
        "rg-7,Real extra value,L-19,extra\r\n",
    )
    report = ingest(store, path, tmp_path)
    assert counts(report) == (2, 1, 0)
    assert report.warnings == ["empty cells after the last column were ignored"]
    assert store.get_note("rg-5")["listener"] == "L-19"
    assert reasons(report) == [(4, "row has 4 fields but the header has 3" + COMMA_HINT)]


def test_unclosed_quote_names_its_line_and_counts_the_rows(
    store: Store, tmp_path: Path
) -> None:
    path = write(
        tmp_path, "unclosed.csv",
        'id,text,listener\r\nu-1,Fine,L1\r\nu-2,"Opened and never closed,L1\r\n'
        "u-3,Next row,L1\r\n\r\nu-4,Another,L1\r\n",
    )
    report = ingest(store, path, tmp_path)
    assert counts(report) == (1, 3, 0) and report.rows_read == 4
    assert reasons(report) == [
        (3, "unclosed quote: the quote opened on line 3 never closes, so lines 3-6 were "
            "read as one cell; close it and try again"),
        (4, "inside the quote opened on line 3"),
        (6, "inside the quote opened on line 3"),
    ]
    assert store.get_note("u-1") is not None


def test_unclosed_quote_in_the_last_column_is_not_stored(store: Store, tmp_path: Path) -> None:
    # The field count matches, so without the check the rest of the file became one note.
    path = write(
        tmp_path, "lastcol.csv",
        'id,listener,text\nq-1,L1,"A note with ""quotes"" that closes"\n'
        'q-2,L1,"Multi\nline, closed"\nq-3,L1,"Never closed\nq-4,L1,swallowed\n',
    )
    report = ingest(store, path, tmp_path)
    assert counts(report) == (2, 2, 0)
    assert store.get_note("q-2")["text"] == "Multi\nline, closed"
    assert store.get_note("q-3") is None
    assert reasons(report) == [
        (5, "unclosed quote: the quote opened on line 5 never closes, so lines 5-6 were "
            "read as one cell; close it and try again"),
        (6, "inside the quote opened on line 5"),
    ]


def test_quote_closed_rows_later_quarantines_the_rows_it_took_in(
    store: Store, tmp_path: Path
) -> None:
    # The next quote in the file (a note quoting someone) closes the one left open, so the
    # reader makes one cell of lines 3-6: they are rows, not a note on several lines.
    path = write(
        tmp_path, "runaway.csv",
        'id,text,listener\nr-1,Fine,L1\nr-2,"Left open,L1\nr-3,Swallowed,L1\n'
        'r-4,Swallowed too,L1\nr-5,"Quoted" she said,L1\nr-6,After,L1\n',
    )
    report = ingest(store, path, tmp_path)
    assert counts(report) == (2, 4, 0) and report.rows_read == 6
    assert reasons(report) == [
        (3, "the quote opened on line 3 only closes on line 6, so lines 3-6 were read as "
            "one cell: is a closing quote missing on line 3?"),
        (4, "inside the quote opened on line 3"),
        (5, "inside the quote opened on line 3"),
        (6, "inside the quote opened on line 3"),
    ]
    assert store.get_note("r-1") is not None and store.get_note("r-6") is not None


#: A story in paragraphs (line breaks "\r\n" inside the quoted cell, rows ending "\n", as a
#: feedback system exports them), two of whose lines start with a letter, as the ids do, and
#: split at their commas into exactly as many cells as the header has.
STORY = ("I came to the centre after a hard year and found people who listened.\r\n"
         "Staff were kind, patient, calm, steady, warm, and never rushed me.\r\n"
         "Then came the groups, the walks, the cooking, the garden, and the art room, all free.\r\n"
         "I am well now.")
STORY_FILE = ("ref,date,service,text,themes,coder\n"
              f'AB-1,2024-06-09,Day centre,"{STORY}",Peer support; MADE A DIFFERENCE,PS\n'
              'AB-2,2024-06-10,Day centre,"Short and kind.",Peer support,JM\n')


def test_a_story_in_paragraphs_is_read_as_the_csv_module_reads_it(
    store: Store, tmp_path: Path
) -> None:
    # blind audit: a well-formed quoted story whose paragraphs split into as many cells as a
    # row was quarantined as "is a closing quote missing?", its lines as rows of their own
    path = write(tmp_path, "story.csv", STORY_FILE)
    expected = list(csv.reader(io.StringIO(STORY_FILE, newline="")))[1:]
    assert [list(r.data.values()) for r in read_rows(path)[0] if r.data] == expected
    report = ingest(store, path, tmp_path)
    assert counts(report) == (2, 0, 0) and report.rows_read == 2
    # classify and redact read it as one row each, in place
    errors: dict[int, str] = {}
    assert read_texts(path, id_col="ref", errors=errors) == (
        ["AB-1", "AB-2"], [STORY, "Short and kind."])
    assert errors == {}


def test_a_broken_story_keeps_one_line_per_row_read(store: Store, tmp_path: Path) -> None:
    # The same story with its closing quote left out: the next row's quote closes it in the
    # middle of a cell, so the rows it took in are quarantined, each on its own line, and
    # classify's reading keeps one line for each row ingest counts, in the file's order.
    broken = STORY_FILE.replace('I am well now."', "I am well now.")
    path = write(tmp_path, "broken.csv", broken + "AB-3,2024-06-11,Day centre,Fine,Peer,JM\n")
    report = ingest(store, path, tmp_path)
    assert counts(report) == (1, 5, 0) and report.rows_read == 6
    assert reasons(report)[0] == (
        2, "the quote opened on line 2 only closes on line 6, so lines 2-6 were read as one "
           "cell: is a closing quote missing on line 2?")
    assert [line for line, _ in reasons(report)] == [2, 3, 4, 5, 6]
    errors: dict[int, str] = {}
    ids, texts = read_texts(path, id_col="ref", errors=errors)
    assert len(ids) == len(texts) == report.rows_read
    assert ids == [None] * 5 + ["AB-3"] and texts[5] == "Fine"
    assert [errors[i].split(":")[0] for i in range(5)] == [f"line {n}" for n in range(2, 7)]


def test_unclosed_quote_in_a_big_file_loses_no_row(store: Store, tmp_path: Path) -> None:
    # Past 128 KiB the csv reader gives up on the cell ("field larger than field limit")
    # and carries on from the middle of the file: every line must still be accounted for.
    lines = ["id,text,listener", "b-1,Fine,L1", 'b-2,"Left open,L1'] + [
        f"b-{i},Row {i} with enough words in it to make the file big,L1"
        for i in range(3, 3003)
    ]
    path = write(tmp_path, "big.csv", "\n".join(lines) + "\n")
    report = ingest(store, path, tmp_path)
    assert counts(report) == (1, 3001, 0) and report.rows_read == 3002
    found = reasons(report)
    assert found[0] == (3, "unclosed quote: the quote opened on line 3 never closes, so "
                           "lines 3-3003 were read as one cell; close it and try again")
    assert found[1:] == [(n, "inside the quote opened on line 3") for n in range(4, 3004)]
    # The same file with the quote closed near the end: the rows after it are read.
    lines[-3] = lines[-3].replace("Row", '"Row', 1).replace(",L1", '",L1')
    closed = write(tmp_path, "closed.csv", "\n".join(lines) + "\n")
    report = ingest(store, closed, tmp_path / "again")
    assert counts(report) == (2, 2999, 1)  # b-3001, b-3002; b-1 was stored above
    assert store.get_note("b-3002") is not None


def test_quote_inside_an_unquoted_cell_is_not_an_unclosed_quote(
    store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, "stray.csv", 'id,text\ns-1,She said "fine\ns-2,Six o"clock\n')
    report = ingest(store, path, tmp_path)
    assert counts(report) == (2, 0, 0)
    assert store.get_note("s-2")["text"] == 'Six o"clock'


def test_ids_written_as_whole_decimals_are_the_whole_numbers(
    store: Store, tmp_path: Path
) -> None:
    # blind audit: pandas writes an id column with a gap as 7.0: "7.0" was another note's id
    # than the spreadsheet's 7, and a JSON 7.0 was "id must be a string"
    pandas = write(tmp_path, "pandas.csv", "id,text\n7.0,Waited a year for a call back.\n"
                   ",A row with no id of its own.\n12.0,The group closed without a word.\n")
    report = ingest(store, pandas, tmp_path)
    assert counts(report) == (3, 0, 0)
    assert store.get_note("7") is not None and store.get_note("12") is not None
    assert report.warnings == [
        "the ids are written as decimals ('7.0'), as pandas or a spreadsheet writes whole "
        "numbers in a column with gaps: read without the '.0'"]
    sheet = write(tmp_path, "sheet.csv", "id,text\n7,Waited a year for a call back.\n")
    assert counts(ingest(store, sheet, tmp_path)) == (0, 0, 1)
    records = write(tmp_path, "pandas.jsonl",
                    '{"id": 12.0, "text": "The group closed without a word."}\n'
                    '{"id": 13.5, "text": "A decimal id is no id."}\n')
    report = ingest(store, records, tmp_path)
    assert counts(report) == (0, 1, 1)
    assert reasons(report) == [(2, "id: id must be a string")]
    # a column of other ids keeps a "1.0" of its own
    mixed = write(tmp_path, "mixed.csv", "id,text\nv1.0,Version one.\n1.0,One point nought.\n")
    assert counts(ingest(store, mixed, tmp_path)) == (2, 0, 0)
    assert store.get_note("1.0") is not None


def test_duplicate_without_id_says_same_text(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path, "noid.csv",
        "text,heard_on,listener\nNo id note,2025-11-20,L-12\nNo id note ,20/11/2025,L-12\n"
        "No id note,20/11/2025,L-13\n",
    )
    report = ingest(store, path, tmp_path)
    assert counts(report) == (2, 1, 0)
    assert reasons(report) == [(3, "duplicate: same text, date and listener as line 2")]


def test_a_row_again_with_other_spacing_is_a_duplicate(store: Store, tmp_path: Path) -> None:
    # blind audit: the same answer pasted twice, once with a double space, was stored as a
    # second note ("read almost the same ... erase the older note")
    note = "The psychiatrist changed every visit so I told my story six times over."
    path = write(tmp_path, "spaced.csv", "text,heard_on,listener\n"
                 f"{note},2025-03-10,L-6\n"
                 f"\"{note.replace(' so ', '  so ')}\n\",2025-03-10,L-6\n"
                 f"{note.replace('six', 'seven')},2025-03-10,L-6\n")  # words differ: kept
    report = ingest(store, path, tmp_path)
    assert counts(report) == (2, 1, 0)
    assert reasons(report) == [(3, "duplicate: same text but for spaces or line breaks, "
                                   "same date and listener as line 2")]
    # with ids the rows are two answers, as before
    ids = write(tmp_path, "ids.csv", "id,text\nsp-1,Waited a year  for help.\n"
                "sp-2,Waited a year for help.\n")
    assert counts(ingest(store, ids, tmp_path)) == (2, 0, 0)


def test_semicolon_file_with_commas_in_column_names(tmp_path: Path) -> None:
    path = write(
        tmp_path, "labels.csv",
        "id;text;Waiting, access, delays;Crisis, urgent\n"
        "a;Waited, again, for months;1;0\nb;Fine;0;0\nc;Crisis line, no answer;0;1\n",
    )
    rows = list(read_rows(path, normalise_headers=False)[0])
    assert [r.data for r in rows][0] == {
        "id": "a", "text": "Waited, again, for months", "Waiting, access, delays": "1",
        "Crisis, urgent": "0",
    }
    assert all(r.data is not None for r in rows) and len(rows) == 3
    # And a comma file whose column names hold semicolons stays a comma file.
    commas = write(tmp_path, "commas.csv", 'id,text,"a;b;c"\n1,"x; y",z\n2,w,v\n')
    assert [r.data for r in read_rows(commas)[0]] == [
        {"id": "1", "text": "x; y", "a;b;c": "z"}, {"id": "2", "text": "w", "a;b;c": "v"}
    ]


def test_excels_sep_line_names_the_delimiter(store: Store, tmp_path: Path) -> None:
    # blind audit: Excel's "sep=;" first line made the file a title line above its header
    path = write(tmp_path, "sep.csv",
                 "sep=;\r\nid;text;heard_on\r\ns-1;\"A note over\r\ntwo lines, with a comma\";"
                 "03/03/2025\r\ns-2;A note with a bad date;yesterday\r\n")
    report = ingest(store, path, tmp_path)
    assert counts(report) == (1, 1, 0)
    assert store.get_note("s-1")["text"] == "A note over\ntwo lines, with a comma"
    assert store.get_note("s-1")["heard_on"] == date(2025, 3, 3)
    assert reasons(report) == [(5, "heard_on: invalid date 'yesterday' " + DATE_FORMS)]
    quoted = write(tmp_path, "quoted.csv", '"sep=,"\nid,text\nq-1,"One; two"\n')
    assert [r.data for r in read_rows(quoted)[0]] == [{"id": "q-1", "text": "One; two"}]


# -- read_texts (classify, redact) -------------------------------------------------------


def test_read_texts_keeps_a_row_of_empty_cells_in_its_place(tmp_path: Path) -> None:
    """classify writes one line per input row: a spreadsheet's empty row is a row, with no
    made-up id (its number could be another row's id) and a warning naming it."""
    path = write(tmp_path, "gaps.csv",
                 "text,place\nOn hold for an hour.,Leeds\n,\nBenefits stopped.,York\n\n")
    warnings: list[str] = []
    assert read_texts(path, warnings=warnings) == (
        ["1", None, "3"], ["On hold for an hour.", "", "Benefits stopped."])
    assert warnings == ["1 row had no text: line 3 (each kept as a line of its own, with no "
                        "id unless it has one)"]
    numbered = write(tmp_path, "ids.csv", "id,text\n1,Waited.\n,\n3,Rang twice.\n2,No bed.\n"
                     "7,  \n")
    warnings.clear()
    assert read_texts(numbered, warnings=warnings) == (
        ["1", None, "3", "2", "7"], ["Waited.", "", "Rang twice.", "No bed.", "  "])
    assert warnings[0].startswith("2 rows had no text: lines 3, 6 (")


def test_read_texts_keeps_an_unreadable_row_in_its_place_with_why(tmp_path: Path) -> None:
    """classify and redact write one line per input row: one bad line among thousands
    costs that line (with its reason), not the whole file."""
    path = write(tmp_path, "export.jsonl", '{"id": "a", "text": "Waited."}\n'
                 '{"id": "b", "text": 999}\n{not json\n{"id": "d", "text": "No bed."}\n')
    with pytest.raises(FileRejected, match=r"line 2: 'text' is not text \(a number\)"):
        read_texts(path)  # asked for no errors: the first bad row refuses the file
    errors: dict[int, str] = {}
    warnings: list[str] = []
    assert read_texts(path, errors=errors, warnings=warnings) == (
        ["a", "b", None, "d"], ["Waited.", "", "", "No bed."])
    assert errors[1] == "line 2: 'text' is not text (a number)"
    assert errors[2].startswith("line 3: malformed JSON")
    assert sorted(errors) == [1, 2]
    assert warnings == ["2 rows could not be read: lines 2, 3 (each kept as a line of its "
                        "own, with an error field saying why)"]
    hopeless = write(tmp_path, "bad.jsonl", "{oops\n[1,\n")
    with pytest.raises(FileRejected, match="no row could be read; line 1: malformed JSON"):
        read_texts(hopeless, errors={})


def test_read_texts_refuses_a_file_without_the_text_key(tmp_path: Path) -> None:
    path = write(tmp_path, "comments.jsonl", "\n".join(json.dumps(r) for r in [
        {"id": "a", "comment": "I waited 9 months for CAMHS"},
        {"id": "b", "comment": "crisis line never answered"},
    ]) + "\n")
    with pytest.raises(FileRejected) as caught:
        read_texts(path)
    assert str(caught.value) == (
        f"{path}: no record has a 'text' key; the keys are: 'id', 'comment' "
        "(use --text-col 'comment' if it holds the texts)"
    )
    assert read_texts(path, text_col="comment") == (
        ["a", "b"], ["I waited 9 months for CAMHS", "crisis line never answered"]
    )


def test_read_texts_matches_keys_like_csv_headers(tmp_path: Path) -> None:
    path = write(tmp_path, "mixed.jsonl", "\n".join(json.dumps(r) for r in [
        {"ID": "a", "Text": "capitalised"},
        {"id": "b", "other": "no text here"},
        {"id": "c", "text": "plain"},
    ]) + "\n")
    warnings: list[str] = []
    assert read_texts(path, warnings=warnings) == (["a", "b", "c"], ["capitalised", "", "plain"])
    assert warnings == ["1 record (line 2) has no 'text' key: written with no tags"]


def test_read_texts_takes_the_usual_id_column_names_as_ingest_does(tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv", "Note ID,text\nN-7,Waited a year.\nN-8,Fine.\n")
    warnings: list[str] = []
    assert read_texts(path, warnings=warnings) == (["N-7", "N-8"], ["Waited a year.", "Fine."])
    assert warnings == ["read 'Note ID' as id"]
    named = write(tmp_path, "named.csv", "ref,Note ID,text\nr1,N-7,Waited a year.\n")
    assert read_texts(named, id_col="ref")[0] == ["r1"]  # --id-col given: only that column


def test_cli_redact_without_the_text_key_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path, "c.jsonl", json.dumps({"id": "a", "comment": "Secret words"}) + "\n")
    result = run_cli("redact", str(path), "--out", str(tmp_path / "out.jsonl"), cwd=tmp_path)
    assert result.returncode == 1
    assert "no record has a 'text' key" in result.stderr
    assert "Secret" not in result.stderr + result.stdout
    assert not (tmp_path / "out.jsonl").exists()


# -- command line: missing files ---------------------------------------------------------


def test_cli_missing_file_or_folder_is_a_usage_error(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    assert run_cli("init", str(workspace), cwd=tmp_path).returncode == 0
    good = write(tmp_path, "good.csv", "id,text\ng-1,A note\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    result = run_cli(
        "ingest", "-w", str(workspace), "--no-screen", str(good), str(tmp_path / "nope.csv"),
        str(folder), cwd=tmp_path,
    )
    assert result.returncode == 2
    assert f"error: {tmp_path / 'nope.csv'}: no such file" in result.stderr
    assert f"error: {folder}: is a folder, not a file" in result.stderr
    assert "Traceback" not in result.stderr
    assert "accepted" not in result.stdout  # nothing ingested, not even the good file
    quarantine = workspace / "quarantine"
    assert not quarantine.exists() or not any(quarantine.iterdir())


def test_ingest_file_of_a_missing_path_writes_no_quarantine(
    store: Store, tmp_path: Path
) -> None:
    for path, problem in ((tmp_path / "nope.csv", "no such file"),
                          (tmp_path, "is a folder, not a file")):
        report = ingest(store, path, tmp_path)
        assert report.file_error == problem and report.quarantine is None
    assert not (tmp_path / "q").exists()


def test_a_note_on_several_lines_with_commas_is_one_row(tmp_path: Path) -> None:
    """Prose lines can split into as many fields as the header; they still begin like prose,
    not like the file's rows, so a multi-line quoted note is read whole (as pandas does)."""
    path = write(
        tmp_path, "multiline.csv",
        '"id","text","listener"\n"m-1","Fine","L1"\n'
        '"m-2","On the ward, staff were kind\nYou do need more staff, I think, honestly\n'
        'For the community, music, gym\nThat is all","L2"\n"m-3","After","L3"\n',
    )
    rows, _ = read_rows(path)
    good = [r.data for r in rows if r.data is not None]
    assert [g["id"] for g in good] == ["m-1", "m-2", "m-3"]
    assert good[1]["text"].count("\n") == 3 and good[1]["listener"] == "L2"


def test_a_rejected_row_with_a_safeguarding_concern_is_called_out(tmp_path: Path) -> None:
    """The queue holds stored notes, so a rejected row marked (or worded) as a concern must
    be named at once instead of waiting in a quarantine file."""
    folder = tmp_path / "ws"
    assert run_cli("init", str(folder), cwd=tmp_path).returncode == 0
    path = write(
        tmp_path, "concerns.csv",
        "id,text,heard_on,safeguarding\n"
        "c-1,Waited months for a call back.,31/02/2026,yes\n"
        "c-2,Said she wants to kms tonight.,31/02/2026,\n"
        "c-3,Lovely chat about the allotment.,31/02/2026,no\n"
        "c-4,Fine note.,2026-03-01,no\n",
    )
    result = run_cli("ingest", "-w", str(folder), str(path), cwd=tmp_path)
    assert result.returncode == 3
    assert "SAFEGUARDING: 2 rejected rows raise a safeguarding concern (lines 2, 3)" in (
        result.stderr
    )
    assert "kms" not in result.stderr + result.stdout  # named by line, never quoted
    quiet = run_cli("ingest", "-w", str(folder), "--no-screen", str(path), cwd=tmp_path)
    assert "(line 2)" in quiet.stderr  # the listener's own yes needs no phrase list


def test_a_rejected_line_of_a_note_stored_and_queued_before_is_no_new_alarm(
    tmp_path: Path
) -> None:
    """Blind ingest audit: the same app export ingested again with `--text-col note`
    rejected every line (no 'note' key), and the one saying safeguarding yes was called
    an unqueued concern although its note was stored and in the queue since the first run."""
    folder = tmp_path / "ws"
    assert run_cli("init", str(folder), cwd=tmp_path).returncode == 0
    path = write(tmp_path, "app.jsonl", "\n".join(json.dumps(r) for r in [
        {"id": "a-1", "text": "Waited months for a call back.", "safeguarding": False},
        {"id": "a-2", "text": "Said her son (14) has been self harming and CAMHS won't see "
         "him.", "safeguarding": True},
    ]) + "\n")
    first = run_cli("ingest", "-w", str(folder), str(path), cwd=tmp_path)
    assert "1 note routed to the safeguarding queue" in first.stdout
    again = run_cli("ingest", "-w", str(folder), "--text-col", "note", str(path), cwd=tmp_path)
    assert "2 already stored" in again.stdout  # every line rejected: no 'note' key
    assert "SAFEGUARDING" not in again.stderr
    # a line of the same kind whose note was never stored is still called out
    new = write(tmp_path, "new.jsonl", json.dumps(
        {"id": "a-3", "text": "Said he plans to end his life tonight.", "safeguarding": True}
    ) + "\n")
    unseen = run_cli("ingest", "-w", str(folder), "--text-col", "note", str(new), cwd=tmp_path)
    assert "SAFEGUARDING: 1 rejected row raises a safeguarding concern (line 1)" in unseen.stderr


def test_a_note_in_the_wrong_column_or_the_header_is_never_echoed(
    store: Store, tmp_path: Path
) -> None:
    """A note pasted into the date or categories column, or typed into the header row,
    appears in no reason and no warning: only its length."""
    secret = "Jane Smith (07700 900123) said her son tried to take his own life last week"
    path = write(
        tmp_path, "pasted.csv",
        f'id,text,heard_on,categories,"{secret}. Call back"\n'
        f'p1,Waited months.,"{secret}",,\n'
        f'p2,Waited weeks.,2025-06-01,"{secret}",\n'
        "p3,Waited days.,31/02/2025,,\n",
    )
    report = ingest(store, path, tmp_path)
    shown = " ".join(reason for _, reason in reasons(report)) + " ".join(report.warnings)
    assert "Jane" not in shown and "07700" not in shown
    assert (1 + 1, "heard_on: invalid date <75 characters> (expected YYYY-MM-DD, "
            "DD/MM/YYYY or DD/MM/YY)") in reasons(report)
    assert "unknown category: <75 characters>" in reasons(report)[1][1]
    assert (3 + 1, "heard_on: '31/02/2025' is not a day: February 2025 has 28 days") \
        in reasons(report)  # a short value is still shown
    # a short one with a name in it is not, nor the words beside it: they may be the rest of it
    named = write(tmp_path, "named.csv", "id,text,categories\n"
                  "n1,Waited months.,\"bartholomew quince, waiting\"\n")
    assert reasons(ingest(store, named, tmp_path)) == [
        (2, "categories: unknown category: <27 characters, with a name> "
            "(not in the codebook)")]
    assert any("<a column name of 86 characters>" in w for w in report.warnings)


def test_a_forms_long_column_name_and_a_short_answer_are_shown_whole(
    store: Store, tmp_path: Path
) -> None:
    """Blind ingest audit: a form's column "If they would like a call back, their phone
    number" was `<a column name of 50 characters>` in one warning and whole in another, and
    the consent "Happy for you to use it" was `<23 characters>`: hidden as if they were
    notes, so the messages could not be acted on. They name no one, so they are shown."""
    call_back = "If they would like a call back, their phone number"
    path = write(tmp_path, "form.csv",
                 f'id,text,heard_on,consent_quote,"{call_back}"\n'
                 "f1,Waited a year.,2026-03-01,Happy for you to use it,\n"
                 "f2,Waited a month.,31/02/2026,yes,07700 900461\n"
                 "f3,Waited a week.,2026-03-01,Happy to talk to Mrs Jones,\n"
                 "f4,Waited a day.,2026-03-01,Quote her in the report,\n")
    report = ingest(store, path, tmp_path)
    assert (5, f"consent_quote: 'Quote her in the report' is not yes or no {BOOLEANS}") \
        in reasons(report)
    assert store.get_note("f1")["consent_quote"] is True  # "happy for ..." as "happy to ..."
    shown = " ".join(report.warnings)
    assert f"not note fields, so not stored: '{call_back}'" in shown
    assert "personal columns were left out of the quarantined rows: " \
        "'if_they_would_like_a_call_back,_their_phone_number'" in shown
    assert "column name of" not in shown
    # an answer naming someone is still not echoed
    said = [w for w in report.warnings if "consent_quote answers" in w]
    assert said and "Jones" not in " ".join(said)


def test_short_words_about_a_person_are_not_echoed_either(store: Store, tmp_path: Path) -> None:
    long_id = "Jane Smith said her son tried to end his life"
    path = write(
        tmp_path, "short.csv",
        "id,text,heard_on,He told me about his brother Paul Jones who self harms\n"
        "s1,Waited months.,Tom Jones suicidal,\n"
        "s2,Waited weeks.,last Tuesday,\n"
        f"{long_id},Waited days.,,\n{long_id},Waited hours.,,\n",
    )
    report = ingest(store, path, tmp_path)
    shown = " ".join(reason for _, reason in reasons(report)) + " ".join(report.warnings)
    assert "Tom" not in shown and "Paul" not in shown and "Jane" not in shown
    assert (2, "heard_on: invalid date <18 characters> " + DATE_FORMS
            ) in reasons(report)
    assert (3, "heard_on: invalid date 'last Tuesday' " + DATE_FORMS
            ) in reasons(report)  # a try at a date is shown, to be fixed
    assert (5, "duplicate id <45 characters> (first on line 4)") in reasons(report)
    assert any("<a column name of 54 characters>" in w for w in report.warnings)


# -- form tools' exports (Google Forms, Microsoft Forms, SurveyMonkey, JotForm, Typeform) --

NOTES_Q = "What did you hear?"


def ingest_form(store: Store, path: Path, folder: Path) -> FileReport:
    """A form's export, its notes under its question."""
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, quarantine_dir=folder / "q",
                         text_col=NOTES_Q)
    assert report.balanced
    return report


@pytest.mark.parametrize("question", [
    "Any worries about their safety?", "Any concerns about risk?", "Risk to self or others?",
    "Is the person at risk?", "Worried they may come to harm?",
    # asked whether there is a worry at all: a yes there is a worry about the person
    "Any worries?", "Concerns?", "Are you worried about them?", "Any worries about them?",
    # misspelt or shortened: a listener's yes must reach a person all the same
    "safegaurding", "Safe guarding", "Safguarding?", "SG concern",
])
def test_a_safety_question_is_the_safeguarding_column(
    question: str, store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, "forms.csv",
                 f'id,text,"{question}"\nq-1,Said her partner took her phone,Yes\n'
                 "q-2,Likes the café,No\n")
    report = ingest(store, path, tmp_path)
    assert counts(report) == (2, 0, 0) and report.flagged == 1
    assert report.warnings == [f"read {question!r} as safeguarding"]
    assert store.get_note("q-1")["safeguarding"] is True
    assert store.get_note("q-2")["safeguarding"] is False
    assert note_field(question) == "safeguarding"


@pytest.mark.parametrize("question", [
    "Any other concerns?", "Concerns raised about services", "What worries them most?",
    "Any concerns about the service?", "How worried were they about the wait?",
    "Money worries",  # a topic (a label column of training data), not a question
])
def test_a_concern_that_is_not_about_safety_is_not_safeguarding(
    question: str, store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, "forms.csv", f'id,text,"{question}"\nc-1,Waited months,Yes\n')
    report = ingest(store, path, tmp_path)
    assert counts(report) == (1, 0, 0) and report.flagged == 0
    assert report.warnings == [f"not note fields, so not stored: {question!r}"]
    assert store.get_note("c-1")["safeguarding"] is None
    assert note_field(question) is None


def test_form_answers_are_read_by_the_yes_or_no_they_start_with(
    store: Store, tmp_path: Path
) -> None:
    rows = [  # consent to quote, consent to contact, safeguarding
        ("Yes, you can quote me", "Yes by phone", "No concerns"),
        ("Happy to be quoted", "No thanks", "None"),
        ("Y (see note)", "Prefer not to say", "None noted"),
        ("No, please don't quote me", "N/A", "N/A"),
        ("Prefer not", "Nothing", "Nothing"),
        ("Prefer not to say", "Yes", "Yes - said she has stopped eating"),
    ]
    path = write(tmp_path, "answers.csv", "id,text,consent_quote,consent_contact,safeguarding\n"
                 + "".join(f'a-{i},Answer note {i},"{q}","{c}","{s}"\n'
                           for i, (q, c, s) in enumerate(rows)))
    report = ingest(store, path, tmp_path)
    assert counts(report) == (6, 0, 0) and report.flagged == 1
    stored = [store.get_note(f"a-{i}") for i in range(6)]
    # "Y (see note)": the note may hold a condition, and a condition cannot be kept
    assert [(n["consent_quote"], n["consent_contact"], n["safeguarding"]) for n in stored] == [
        (True, True, False), (True, False, False), (False, False, False),
        (False, False, False), (False, False, False), (False, True, True),
    ]
    [item] = store.safeguarding_items()
    assert item["note_id"] == "a-5"
    # What the answer adds is kept with the queue item (the leads' view), never in the
    # note's words or ingest's messages: the line is.
    assert item["reason"].endswith(': "Yes - said she has stopped eating"')
    assert report.warnings == [
        "consent_quote answers that give a yes with a condition, say it was not asked, say "
        "it was withdrawn or give no yes or no (line 4; 'yes, but ...', 'only if ...', "
        "'didn't ask', 'not sure', 'withdrawn', 'x', 'maybe') were read as no consent, as a "
        "condition cannot be kept and a quote needs a clear yes; the notes are stored; a "
        "person can record consent (`insight notes consent`)",
        "safeguarding answers that are not a plain yes or no (line 7) were read as yes, so "
        "those notes are in the safeguarding queue; what the answers say is kept with their "
        "queue items (names and contact details removed): `insight safeguarding list`",
    ]
    assert stored[5]["text"] == "Answer note 5"


def test_a_safeguarding_answer_errs_towards_yes(store: Store, tmp_path: Path) -> None:
    answers = ["No - but she mentioned her partner checks her phone", "Not sure",
               "Possibly, talked about self-harm", "No idea", "No - her partner reads her texts",
               "x", "Not that I'm aware of", "No risk to self or others", "-"]
    path = write(tmp_path, "sg.csv", "id,text,Any worries about their safety?\n" + "".join(
        f'w-{i},Worry note {i},"{a}"\n' for i, a in enumerate(answers)
    ))
    report = ingest(store, path, tmp_path)
    assert counts(report) == (9, 0, 0)
    assert [store.get_note(f"w-{i}")["safeguarding"] for i in range(9)] == [
        True, True, True, True, True, True, False, False, None  # "-": a blank
    ]
    assert report.flagged == 6
    assert report.rejected_concerns == []
    shown = " ".join(report.warnings)
    assert "safeguarding answers of only a dash (line 10) were read as not answered" in shown
    assert "partner" not in shown and "self-harm" not in shown
    # what the listener wrote is the record of why they were worried: kept with the item
    [item] = store.safeguarding_items(note_id="w-2")
    assert item["reason"] == ('flagged by the listener at intake: "Possibly, talked about '
                              'self-harm"')
    assert "lines 2, 3, 4, 5, 6 and 1 more" in shown


def test_a_consent_with_a_condition_is_no_consent(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "consent.csv", "id,text,Can we quote them?,Can we contact them?\n"
                 "k-1,Condition note one,\"Yes, but don't use my name\",Yes if it is by email\n"
                 "k-2,Condition note two,\"Yes, you can quote me\",Yes\n")
    report = ingest(store, path, tmp_path)
    assert counts(report) == (2, 0, 0)
    first, second = store.get_note("k-1"), store.get_note("k-2")
    assert (first["consent_quote"], first["consent_contact"]) == (False, False)
    assert (second["consent_quote"], second["consent_contact"]) == (True, True)
    assert [w for w in report.warnings if "condition" in w] == [
        f"{column} answers in the column '{written}' that give a yes with a condition, say "
        "it was not asked, say it was withdrawn or give no yes or no (line 2; 'yes, but ...', "
        "'only if ...', 'didn't ask', 'not sure', 'withdrawn', 'x', 'maybe') were read as no "
        f"consent, as a condition cannot be kept and {needs} needs a clear yes; the notes are "
        "stored; a person can record consent (`insight notes consent`)"
        for column, written, needs in (
            ("consent_quote", "Can we quote them?", "a quote"),
            ("consent_contact", "Can we contact them?", "contacting the person"))
    ]


def test_a_yes_with_any_word_that_may_be_a_condition_is_no_consent(
    store: Store, tmp_path: Path
) -> None:
    answers = {"Yes - call her on 07700 900777 first": False, "Yes - anonymously": False,
               "yes as long as no names": False, "Yes, happy to be quoted": True,
               "Yes (verbal)": True, "yes she agreed": True, "Y": True,
               # a yes that takes itself back, or is asked: no consent (a quote needs a yes
               # without doubt); "no problem" is still a yes
               "Yes/No": False, "Yes - no": False, "Yes (no)": False, "Yes. No.": False,
               "yes no": False, "yes?": False, "true?": False, "1?": False,
               "Yes, no problem": True, "yes no worries at all": True}
    path = write(tmp_path, "consent.csv", "id,text,Can we quote them?\n" + "".join(
        f'q-{i},Consent note {i},"{answer}"\n' for i, answer in enumerate(answers)))
    report = ingest(store, path, tmp_path)
    assert counts(report) == (len(answers), 0, 0)
    assert [store.get_note(f"q-{i}")["consent_quote"] for i in range(len(answers))] == list(
        answers.values())
    assert any("line 2, 3 and 4" in w or "lines 2, 3, 4" in w for w in report.warnings)
    assert not any("07700" in w for w in report.warnings)  # the answer is not repeated


def test_words_in_a_column_that_is_not_stored_are_screened_for_safeguarding(
    store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, "form.csv",
                 "id,text,Any other comments,categories,Email\n"
                 "u-1,Waited months for a therapy appointment.,"
                 "She told me her husband beats her and the kids,,x@example.org\n"
                 "u-2,The cafe group is good.,Nothing more to add from me today,,\n"
                 "u-3,Housing is awful.,,zzz (husband beats her),\n")
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q",
                         screen=lambda text: "phrase: abuse" if "beats her" in text else None)
    assert counts(report) == (2, 1, 0)
    # the comment is not a note field, but its note goes to the queue, and the item keeps
    # its words (redacted): the only copy the workspace has, the record of the concern
    [item] = store.safeguarding_items(note_id="u-1")
    assert item["reason"].endswith("in the column 'any_other_comments' (not stored), line 2 "
                                   'of form.csv: "She told me her husband beats her and the '
                                   'kids"')
    assert report.unstored_concerns == [(2, "any_other_comments")]
    assert store.safeguarding_items(note_id="u-2") == []
    # a disclosure typed into the categories of a rejected row is named at once
    assert report.rejected_concerns == [4]
    assert any("'Any other comments' holds free text (5 words or more in a cell), read only "
               "for safeguarding phrases" in w for w in report.warnings)


def test_a_labels_column_under_another_name_is_named_as_categories_not_free_text(
    store: Store, tmp_path: Path
) -> None:
    """A lead's 'Topics' column ("Time off / short breaks;money & benefits") was called
    free text to put in the notes' column: the wrong advice for a labels column."""
    path = write(tmp_path, "past.csv",
                 "text,Topics\n"
                 "Day centre closed after covid and never reopened.,"
                 "Time off / short breaks;money & benefits;carer's own mental health\n")
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q")
    [said] = [w for w in report.warnings if "not note fields" in w]
    assert "'Topics' (did you mean 'categories'?)" in said and "free text" not in said


def test_two_form_questions_of_the_same_name_are_both_read(
    store: Store, tmp_path: Path
) -> None:
    # blind audit: a form with "Anything else?" in two sections was refused whole
    path = write(tmp_path, "form.csv",
                 "id,text,Anything else?,Listener,Anything else?,anything  ELSE?\n"
                 "f-1,Waited months for a therapy appointment.,"
                 "She told me her husband beats her and the kids,L-1,no,\n"
                 "f-2,The cafe group is good.,,L-1,Nothing more to add from me today,\n")
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q",
                         screen=lambda text: "phrase: abuse" if "beats her" in text else None)
    assert counts(report) == (2, 0, 0)
    assert store.get_note("f-1")["listener"] == "L-1"
    assert report.warnings[0] == (
        "more than one column is called 'Anything else?': each after the first is read with "
        "a number after its name ('... (2)'); none is a note field")
    # the first of them is still screened: a later one of the same name did not hide it
    assert report.unstored_concerns == [(2, "anything_else?")]
    # a note field named twice is still refused: which one holds it?
    twice = write(tmp_path, "twice.csv", "id,text,Listener,listener\nt-1,A note.,L-1,L-2\n")
    assert ingest(store, twice, tmp_path).file_error == (
        "column names appear more than once: 'Listener'; rename or remove all but one of each")


def test_a_surveymonkey_second_header_row_is_skipped(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path, "surveymonkey.csv",
        f"Respondent ID,Email Address,{NOTES_Q},Which services came up?,,,Any safeguarding "
        "worries?\n"
        ",,Open-Ended Response,GP,Crisis team,Other (please specify),Response\n"
        "118123456789,amira@example.org,Waited five months for a CMHT appointment.,GP,,,No\n"
        "118123456790,jo@example.org,Said the crisis team were kind.,,Crisis team,Housing,No\n",
    )
    report = ingest_form(store, path, tmp_path)
    assert (report.rows_read, *counts(report)) == (2, 2, 0, 0)
    assert report.quarantine is None
    assert ("line 2 is a second header row (SurveyMonkey's 'Response', 'Open-Ended "
            "Response' under the questions), not a note: skipped") in report.warnings
    texts = {n["text"] for batch in store.iter_notes() for n in batch}
    assert "Open-Ended Response" not in texts and len(texts) == 2
    # A first row of notes is a row, even when a cell repeats its column's name.
    plain = write(tmp_path, "plain.csv", f"Listener,{NOTES_Q}\nListener,Waited a year.\n")
    assert counts(ingest_form(store, plain, tmp_path)) == (1, 0, 0)


def test_a_date_column_is_month_first_only_when_a_date_must_be(
    store: Store, tmp_path: Path
) -> None:
    us = write(tmp_path, "us.csv", "id,text,Start Date\n"
               "u-1,US note one,06/03/2025 09:12:05 AM\nu-2,US note two,06/14/2025 10:23:45 AM\n")
    report = ingest(store, us, tmp_path)
    assert counts(report) == (2, 0, 0)
    assert store.get_note("u-1")["heard_on"] == date(2025, 6, 3)  # not 6 March
    assert store.get_note("u-2")["heard_on"] == date(2025, 6, 14)
    assert parse_date("6/14/25", month_first=True) == date(2025, 6, 14)
    assert [w for w in report.warnings if "month first" in w] == [
        "heard_on dates were read month first (MM/DD/YYYY, as US form tools write them), as "
        "the date on line 3 can only be read that way, with times as a form tool writes "
        "them; if they are day first, give --dates day-first"
    ]
    # A column that could be either stays UK day-first, and says nothing.
    uk = write(tmp_path, "uk.csv", "id,text,heard_on\nk-1,UK note one,06/03/2025\n"
               "k-2,UK note two,12/11/2025 10:00\n")
    report = ingest(store, uk, tmp_path)
    assert counts(report) == (2, 0, 0) and report.warnings == []
    assert store.get_note("k-1")["heard_on"] == date(2025, 3, 6)
    assert store.get_note("k-2")["heard_on"] == date(2025, 11, 12)
    # Written both ways: day first, and the month-first date is a row error, said why.
    mixed = write(tmp_path, "mixed.csv", "id,text,heard_on\nm-1,Mixed note one,06/14/2025\n"
                  "m-2,Mixed note two,14/06/2025 23:30:00 GMT+1\n")
    report = ingest(store, mixed, tmp_path)
    assert counts(report) == (1, 1, 0)
    assert store.get_note("m-2")["heard_on"] == date(2025, 6, 14)
    assert report.warnings == [
        "heard_on dates are written both month first (line 2) and day first (line 3): read "
        "day first, so dates that can only be month first are row errors; write them as "
        "YYYY-MM-DD"
    ]


def test_a_column_of_early_dates_on_a_us_tools_clock_is_month_first(
    store: Store, tmp_path: Path
) -> None:
    """Blind coordinator audit: a US form export of the 3rd and 5th of November ("11/03/2026
    2:03 PM") was stored as 11 March and 11 May without a word, as no date must be month
    first. Every date stamped on a 12-hour clock, as a tool set to US English writes them,
    is the evidence; UK tools write a 24-hour clock, read day first as before."""
    us = write(tmp_path, "us.csv", "id,text,Submission Date\n"
               "u-1,US note one,11/03/2026 2:03 PM\nu-2,US note two,11/05/2026 9:15:40 am\n")
    report = ingest(store, us, tmp_path)
    assert counts(report) == (2, 0, 0)
    assert store.get_note("u-1")["heard_on"] == date(2026, 11, 3)
    assert store.get_note("u-2")["heard_on"] == date(2026, 11, 5)
    assert [w for w in report.warnings if "month first" in w] == [
        "heard_on dates were read month first (MM/DD/YYYY, as US form tools write them): each "
        "could be read either way, and each has a time on a 12-hour clock (line 2), as a "
        "tool set to US English writes them; if they are day first, give --dates day-first"
    ]
    uk = write(tmp_path, "uk.csv", "id,text,Timestamp\n"
               "k-1,UK note one,03/11/2026 14:03:11\nk-2,UK note two,05/11/2026 09:15:40\n")
    report = ingest(store, uk, tmp_path)
    assert store.get_note("k-1")["heard_on"] == date(2026, 11, 3)
    assert not [w for w in report.warnings if "month first" in w]
    # one date typed with a time among others without: a person's, not a tool's clock
    typed = write(tmp_path, "typed.csv", "id,text,heard_on\n"
                  "t-1,Typed note one,03/11/2026 2:30 PM\nt-2,Typed note two,05/11/2026\n")
    ingest(store, typed, tmp_path)
    assert store.get_note("t-1")["heard_on"] == date(2026, 11, 3)


def test_one_date_a_person_typed_month_first_does_not_turn_the_column(
    store: Store, tmp_path: Path
) -> None:
    rows = "id,text,heard_on\nd-1,Day one note,03/04/2025\nd-2,Day two note,05/06/2025\n" \
        "d-3,Day three note,06/14/2025\n"
    report = ingest(store, write(tmp_path, "typed.csv", rows), tmp_path)
    # UK day first: 3 April, 5 June; the one that cannot be is a row error, said why
    assert counts(report) == (2, 1, 0)
    assert store.get_note("d-1")["heard_on"] == date(2025, 4, 3)
    assert report.warnings == [
        "heard_on dates were read day first (DD/MM/YYYY): only the date on line 4 can only "
        "be month first, so it is a row error; if the column is month first (a US form "
        "tool's), ingest again with --dates month-first"
    ]
    # the person says how the column is written
    other = ingest_file(store, write(tmp_path, "us.csv", rows.replace("d-", "u-")),
                        category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q",
                        dates="month-first")
    assert counts(other) == (3, 0, 0) and other.warnings == []
    assert store.get_note("u-1")["heard_on"] == date(2025, 3, 4)
    assert store.get_note("u-3")["heard_on"] == date(2025, 6, 14)
    # two typed month-first dates, and none day first: a US column
    two = rows + "d-4,Day four note,06/15/2025\n"
    report = ingest(store, write(tmp_path, "two.csv", two.replace("d-", "t-")), tmp_path)
    assert counts(report) == (4, 0, 0)
    assert report.warnings[0].endswith("as can 1 more; if they are day first, give --dates "
                                       "day-first")
    with pytest.raises(ValueError, match="dates: one of auto, day-first, month-first"):
        ingest_file(store, write(tmp_path, "x.csv", rows), category_ids=CATEGORY_IDS,
                    quarantine_dir=tmp_path / "q", dates="US")


@pytest.mark.parametrize("written", [
    "Jun 14, 2025", "June 14, 2025", "14/06/2025 23:30:00 GMT+1", "2025-06-14 23:30:00 UTC",
    "14/06/2025 10:23 AM GMT+01:00", "2025-06-14 23:30 UTC+1",
    # typed by hand in a kept workbook (blind audit)
    "14th June 2025", "14-Jun-25", "the 14th of June 2025", "Saturday 14 June 2025",
    # a Google Forms download's Timestamp, and year-first dates (blind audit)
    "2025/06/14 10:22:31 pm GMT", "2025/06/14 9:05:02 am GMT+1", "2025/6/14",
    "2025.06.14", "2025-06-14 10:22 PM",
])
def test_form_tools_dates_and_time_zones(written: str) -> None:
    assert parse_date(written) == date(2025, 6, 14)  # the date as written, not moved


@pytest.mark.parametrize(("typed", "example"), [
    ("1st October", "'1 October {year}'"), ("4th Nov", "'4 Nov {year}'"),
    ("Oct 3", "'Oct 3, {year}'")])
def test_a_date_without_its_year_says_so_as_typed(typed: str, example: str) -> None:
    """A two-quarter audit typed "1st October" and was told "invalid date '1 October'"."""
    with pytest.raises(ValueError) as raised:
        parse_date(typed)
    assert str(raised.value) == (f"date {typed!r} has no year: give it with one (e.g. "
                                 f"{example.format(year=date.today().year)} or YYYY-MM-DD)")
    suggested = example.format(year=date.today().year).strip("'")
    assert parse_date(suggested) is not None  # the example given is a date ingest reads


def test_a_year_first_date_that_is_no_day_says_why() -> None:
    with pytest.raises(ValueError, match="10:22:31 pm' is not a day: February 2025 has 28"):
        parse_date("2025/02/30 10:22:31 pm GMT")
    with pytest.raises(ValueError, match="'2025/14/06' is not a day: there is no month 14"):
        parse_date("2025/14/06")


def test_a_bad_cell_is_shown_without_personal_data(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "echo.csv", "id,text,heard_on,consent_quote,consent_contact\n"
                 "e-1,Echo note one,ring 07700900123,jsmith@gmail.com,07700 900123\n"
                 "e-2,Echo note two,Amira Khan,SW1A 1AA,\n")
    report = ingest(store, path, tmp_path)
    assert reasons(report) == [
        (2, "heard_on: invalid date 'ring [PHONE]' (expected YYYY-MM-DD, DD/MM/YYYY or "
            "DD/MM/YY); "
            f"consent_quote: '[EMAIL]' is not yes or no {BOOLEANS}; "
            f"consent_contact: '[PHONE]' is not yes or no {BOOLEANS}"),
        (3, "heard_on: invalid date <10 characters> (expected YYYY-MM-DD, DD/MM/YYYY or "
            "DD/MM/YY); "
            f"consent_quote: '[POSTCODE]' is not yes or no {BOOLEANS}"),
    ]


def test_quarantined_rows_leave_out_personal_columns(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path, "personal.csv",
        "Timestamp,Email address,Full name,IP Address,Phone,text,heard_on,Place name\n"
        "14/06/2025 10:00,amira@example.org,Amira Khan,81.2.69.160,07700900123,"
        "A note with a bad date,31/02/2025,Leyton\n",
    )
    report = ingest(store, path, tmp_path)
    assert counts(report) == (0, 1, 0)
    [entry] = [json.loads(line) for line in
               Path(report.quarantine).read_text(encoding="utf-8").splitlines()]
    assert entry["row"] == {"timestamp": "14/06/2025 10:00", "text": "A note with a bad date",
                            "heard_on": "31/02/2025", "place_name": "Leyton"}
    assert entry["left_out"] == ["email_address", "full_name", "ip_address", "phone"]
    quarantined = Path(report.quarantine).read_text(encoding="utf-8")
    for cell in ("amira@example.org", "Amira Khan", "81.2.69.160", "07700900123"):
        assert cell not in quarantined
    assert report.warnings[-1] == (
        "personal columns were left out of the quarantined rows: 'email_address', "
        "'full_name', 'ip_address', 'phone' (each row says which)"
    )


def test_quarantined_records_leave_out_nested_and_who_columns(store: Store,
                                                              tmp_path: Path) -> None:
    """Second blind coordinator audit: a web form's {"volunteer": {"email": ...}} and a
    befriending log's "Caller" column were kept whole in quarantine (and copied into the
    file to fix) while ingest said personal columns were left out."""
    path = tmp_path / "form.jsonl"
    path.write_text(json.dumps({
        "id": "q1", "text": "A note with a bad date", "heard_on": "31/02/2025",
        "volunteer": {"name": "Sadia Begum", "email": "sadia.b@example.org", "code": "V3"},
        "Caller": "Mrs Gloria Henry"}) + "\n", encoding="utf-8")
    report = ingest(store, path, tmp_path)
    assert counts(report) == (0, 1, 0)
    [entry] = [json.loads(line) for line in
               Path(report.quarantine).read_text(encoding="utf-8").splitlines()]
    assert entry["row"]["volunteer_code"] == "V3"  # read one level down, as ingest reads it
    assert sorted(entry["left_out"]) == ["caller", "volunteer_email", "volunteer_name"]
    quarantined = Path(report.quarantine).read_text(encoding="utf-8")
    for cell in ("Sadia", "sadia.b@example.org", "Gloria Henry"):
        assert cell not in quarantined


def test_a_form_export_without_the_notes_column_named_gets_a_did_you_mean(
    store: Store, tmp_path: Path
) -> None:
    path = write(
        tmp_path, "google.csv",
        f"Timestamp,Email address,Your listener code,{NOTES_Q},Any worries about their safety?\n"
        "03/06/2025 09:12:05,amira@example.org,PL01,Discharged from the ward on a Friday "
        "with no medication and no follow-up.,No\n"
        "03/06/2025 10:19:06,jo@example.org,PL02,Said the veterans' service had a six month "
        "wait for a first contact.,No\n",
    )
    report = ingest(store, path, tmp_path)
    assert report.file_error == (
        "line 1 has 5 columns and none is called 'text' (case and spaces ignored), so no row "
        f"was read; did you mean --text-col '{NOTES_Q}' (its cells read like notes)?"
    )
    assert store.count_notes() == 0


def test_usual_form_questions_are_the_fields(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path, "forms.csv",
        f"Timestamp,Your listener code,Where did the conversation take place?,"
        f"Date of the conversation,{NOTES_Q}\n"
        "03/06/2025 09:12:05,PL01,Holt library,02/06/2025,Waited weeks for a call back.\n",
    )
    report = ingest_form(store, path, tmp_path)
    assert counts(report) == (1, 0, 0)
    assert report.warnings == [
        "read 'Your listener code' as listener",
        "read 'Where did the conversation take place?' as place",
        "read 'Date of the conversation' as heard_on",
        "not note fields, so not stored: 'Timestamp'",  # the conversation's date is better
    ]
    [note] = [n for batch in store.iter_notes() for n in batch]
    assert (note["listener"], note["place"], note["heard_on"]) == (
        "PL01", "Holt library", date(2025, 6, 2)
    )
    # a charity whose listeners are its volunteers (blind audit, own codebook)
    volunteers = write(tmp_path, "volunteers.csv",
                       f"Volunteer,{NOTES_Q}\nV03,Nobody rang back after the assessment.\n")
    report = ingest_form(store, volunteers, tmp_path)
    assert report.warnings[:1] == ["read 'Volunteer' as listener"]
    assert {n["listener"] for batch in store.iter_notes() for n in batch} >= {"V03"}
    # With no date of the conversation, the form's own date, and said what it is.
    jotform = write(tmp_path, "jotform.csv", f"Submission Date,Listener name,Where?,{NOTES_Q}\n"
                    '"Jun 14, 2025",Jo Baker,Cromer,Said the surgery only takes forms online.\n')
    report = ingest_form(store, jotform, tmp_path)
    assert counts(report) == (1, 0, 0)
    assert report.warnings == [
        "read 'Listener name' as listener",
        "read 'Where?' as place",
        "read 'Submission Date' as heard_on: it is when the form was filled in, as no column "
        "gives the date of the conversation",
    ]



def test_a_town_and_a_kind_of_setting_are_read_as_place_and_setting(
    store: Store, tmp_path: Path
) -> None:
    """Blind ingest audit: "Town" was not read as place, nor "What kind of setting was
    it?" as setting, so both were dropped unless named with --column."""
    path = write(tmp_path, "log.csv", "Ref,Town,What kind of setting was it?,Notes\n"
                 "r1,Holt,cafe,Waited a year for a call back.\n")
    report = ingest_file(store, path, category_ids=None, quarantine_dir=tmp_path / "q",
                         text_col="Notes")
    assert counts(report) == (1, 0, 0)
    assert report.warnings[1:] == ["read 'Town' as place",
                                   "read 'What kind of setting was it?' as setting"]
    assert (store.get_note("r1")["place"], store.get_note("r1")["setting"]) == ("Holt", "cafe")
    for header, field_name in (("Village", "place"), ("Area", "place"),
                               ("Town or village", "place"), ("Type of setting", "setting"),
                               ("Setting type", "setting"), ("Venue type", "setting"),
                               ("Where did you talk? (cafe, phone, home visit)", "setting"),
                               ("Where did the conversation take place? (town or village)",
                                "place"), ("Where did it happen?", "place")):
        assert note_field(header) == field_name, header
    # a "where" question that could be either is read as neither, and said
    both = write(tmp_path, "both.csv", "id,Where?,Town,text\nb1,cafe,Holt,A note here.\n")
    report = ingest(store, both, tmp_path)
    assert "'Where?' and 'Town' all look like place, so none was read as it; rename the " \
        "one that holds it to 'place'" in report.warnings


def test_a_where_questions_answers_that_are_kinds_of_place_are_the_setting(
    store: Store, tmp_path: Path
) -> None:
    """"Where did the conversation happen?" is read as place, but its answers are often
    the kind of place ("Cafe", "On the phone", "Home visit"), not the town: those went into
    place, so the report's towns listed "phone" and the notes heard on the phone were no
    setting. Answers that name only a kind of place are the setting; a town stays place."""
    def stored(name: str, header: str, answers: list[str], *options: tuple[str, str]):
        path = write(tmp_path, f"{name}.csv", f'id,text,"{header}"\n' + "".join(
            f'{name}{i},Note {i} of the {name} form about the waiting list,"{a}"\n'
            for i, a in enumerate(answers)))
        report = ingest_file(store, path, category_ids=None, quarantine_dir=tmp_path / "q",
                             id_prefix=f"{name}-", column_names=dict(options))
        assert counts(report) == (len(answers), 0, 0)
        notes = [store.get_note(f"{name}-{name}{i}") for i in range(len(answers))]
        return [(n["place"], n["setting"]) for n in notes], report.warnings

    towns = ["Holt", "Cromer", "North Walsham"]
    read, warnings = stored("towns", "Where did the conversation happen?", towns)
    assert read == [(t, None) for t in towns]
    assert warnings == ["read 'Where did the conversation happen?' as place"]
    kinds = ["Cafe", "On the phone", "Home visit", "Library café", "drop-in", "Zoom"]
    read, warnings = stored("kinds", "Where was the conversation?", kinds)
    assert read == [(None, k) for k in kinds]
    assert warnings == ["read 'Where was the conversation?' as setting: each of its answers "
                        "is a kind of place (cafe, phone, home visit), not a town"]
    mixed = ["Holt", "phone", "Cromer library", "", "at her home"]
    read, warnings = stored("mixed", "Where did you meet?", mixed)
    assert read == [("Holt", None), (None, "phone"), ("Cromer library", None), (None, None),
                    (None, "at her home")]
    assert warnings == ["read 'Where did you meet?' as place",
                        "'Where did you meet?' answers that are a kind of place (cafe, phone, "
                        "home visit), not a town (lines 3, 6) were read as setting; the others "
                        "as place"]
    # the person said which column is the place, or the file has its setting: as given
    read, _ = stored("named", "Where did you meet?", ["phone"], ("place", "Where did you meet?"))
    assert read == [("phone", None)]
    path = write(tmp_path, "both.csv", "id,text,Where did you meet?,Setting\n"
                 "b1,A note about the long wait for a call back,phone,cafe\n")
    assert counts(ingest(store, path, tmp_path)) == (1, 0, 0)
    assert (store.get_note("b1")["place"], store.get_note("b1")["setting"]) == ("phone", "cafe")


def test_a_forms_long_question_over_the_notes_gets_a_did_you_mean(
    store: Store, tmp_path: Path
) -> None:
    """Blind ingest audit: Microsoft Forms' question over the notes ran to 21 words, more
    than half the notes' own, so no --text-col was suggested for it."""
    question = ("What did the person tell you about their experience of mental health "
                "services? Please use their own words where you can.")
    notes = ["She waited eleven months for talking therapies and nobody rang in between, "
             "and when it started it was only six sessions with a lovely therapist.",
             "The crisis line kept him on hold for forty minutes at two in the morning so "
             "he went to A&E and sat there for nine hours with nobody coming."]
    path = write(tmp_path, "forms.csv", f'ID,Start time,"{question}"\n' + "".join(
        f'{i},03/04/2026 10:0{i},"{note}"\n' for i, note in enumerate(notes, start=1)))
    report = ingest(store, path, tmp_path)
    assert str(report.file_error).endswith(f"did you mean --text-col '{question}' (its cells "
                                           "read like notes)?")

def test_a_suggested_form_question_can_be_pasted_back(store: Store, tmp_path: Path) -> None:
    question = ("What did you hear? Please write what the person told you, in their own "
                "words where you can")
    form = write(tmp_path, "gf.csv", f'Timestamp,"{question}"\n' + "".join(
        f"0{d}/05/2025 10:00:00,The group on Tuesdays is the only thing that helps {d}. "
        + "She said the waiting list for talking therapy is a year and nobody rings back " * 3
        + "\n"
        for d in range(1, 6)))
    refused = ingest_file(store, form, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q")
    assert f"--text-col {question!r}" in (refused.file_error or "")  # whole, not cut at 60
    report = ingest_file(store, form, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q",
                         text_col=question)
    assert report.accepted == 5


def test_json_keys_nested_one_level_are_read_as_a_form_tool_nests_them(
    store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, "nested.jsonl", "".join(json.dumps(r) + "\n" for r in [
        {"id": "j1", "text": "The cafe group helped more than the GP did.",
         "consent": {"quote": True, "contact": False}},
        {"id": "j2", "text": "Nobody called back after the assessment.",
         "consent": {"quote": "no"}, "meta": {"listener": "L4"}},
        # the same field twice, nested and not: which one holds it cannot be told
        {"id": "j3", "text": "The ward let me keep my phone.", "consent_quote": "yes",
         "consent": {"quote": "no"}},
    ]))
    report = ingest(store, path, tmp_path)
    assert (report.accepted, report.rejected) == (2, 1)
    assert store.get_note("j1")["consent_quote"] is True
    assert store.get_note("j1")["consent_contact"] is False
    assert store.get_note("j2")["consent_quote"] is False
    assert any("'meta listener' (did you mean 'listener'?)" in w for w in report.warnings)
    assert report.first_reasons == [(3, "keys 'consent_quote' and 'consent quote' both mean "
                                        "'consent_quote'; keep one")]


def test_json_keys_nested_two_levels_are_read_and_can_be_named(
    store: Store, tmp_path: Path
) -> None:
    """A web form's export nests a conversation's answers inside it, and consent inside
    that: "conversation consent quote" is read as consent_quote, "conversation what_said"
    can be named with --text-col, and a nested safeguarding answer is still read whole."""
    path = write(tmp_path, "form.jsonl", "".join(json.dumps(r) + "\n" for r in [
        {"submission_id": "WF-1", "conversation": {
            "what_said": "Nobody told the family which hospital he was taken to.",
            "where": "Leeds", "consent": {"quote": "on", "contact": "off"},
            "safeguarding": {"concern": "off", "details": None}}},
        {"submission_id": "WF-2", "conversation": {
            "what_said": "He said he has a rope in the shed and would not say more.",
            "where": "York", "consent": {"quote": "off", "contact": "off"},
            "safeguarding": {"concern": "on", "details": "Rang 999 with him."}}},
    ]))
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q",
                         text_col="conversation what_said",
                         column_names={"place": "conversation where"})
    assert (report.accepted, report.rejected) == (2, 0)
    assert "read 'conversation consent quote' as consent_quote" in report.warnings
    first, second = store.get_note("WF-1"), store.get_note("WF-2")
    assert (first["consent_quote"], first["consent_contact"], first["place"]) == (
        True, False, "Leeds")
    assert (second["consent_quote"], second["place"]) == (False, "York")
    assert [q["note_id"] for q in store.safeguarding_items()] == ["WF-2"]


def test_replace_text_never_gives_a_note_another_conversations_words(
    store: Store, tmp_path: Path
) -> None:
    """An id typed wrong in a file to fix: --replace-text must not overwrite the note that
    id belongs to (another date or listener is another conversation)."""
    first = write(tmp_path, "a.csv", "id,heard_on,listener,text\n"
                  "31,2025-03-01,L1,The bus to the day centre stopped running.\n")
    ingest(store, first, tmp_path)
    typo = write(tmp_path, "fix.csv", "id,heard_on,listener,text\n"
                 "31,2025-01-13,L2,The GP said to ring at 8am and it was full.\n")
    report = ingest_file(store, typo, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q",
                         replace_text=True)
    assert (report.accepted, report.rejected) == (0, 1)
    assert store.get_note("31")["text"] == "The bus to the day centre stopped running."
    assert reasons(report) == [(2, "id '31' is stored with other words and another date and "
                                   "listener: not a corrected answer to that note; check the id")]
    # the same conversation's corrected answer still takes its place
    fixed = write(tmp_path, "fix2.csv", "id,heard_on,listener,text\n"
                  "31,2025-03-01,L1,The bus to the day centre stopped running in May.\n")
    report = ingest_file(store, fixed, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q",
                         replace_text=True)
    assert store.get_note("31")["text"] == "The bus to the day centre stopped running in May."


def test_a_row_error_names_the_forms_column_as_well_as_the_field(
    store: Store, tmp_path: Path
) -> None:
    form = write(tmp_path, "form.csv", "Response ID,Date of conversation,Notes,OK to quote\n"
                 "r1,31/02/2025,The group closed,2025-03-06\n"
                 "r2,2025-03-01,The bus is too dear,yes\n")
    report = ingest_file(store, form, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q",
                         text_col="Notes", column_names={"consent_quote": "OK to quote"})
    assert counts(report) == (1, 1, 0)
    (line, reason), = reasons(report)
    assert line == 2
    assert reason.startswith("heard_on (column 'Date of conversation'): '31/02/2025' is not "
                             "a day")
    assert "; consent_quote (column 'OK to quote'): '2025-03-06' is not yes or no" in reason
    # a longer heading, as Microsoft Forms writes the question (blind ingest audit: the
    # field alone, "heard_on: '31/04/2026' is not a day")
    longer = write(tmp_path, "forms.csv", "ID,Date of the conversation,Notes\n"
                   "7,31/04/2026,The group closed\n")
    (_, reason), = reasons(ingest_file(store, longer, category_ids=CATEGORY_IDS,
                                       quarantine_dir=tmp_path / "q", text_col="Notes"))
    assert reason.startswith("heard_on (column 'Date of the conversation'): '31/04/2026' is "
                             "not a day")
    # a JSON key names no column: the field alone
    rows = write(tmp_path, "rows.jsonl", json.dumps({"id": "j1", "text": "x y", "Date": "x"})
                 + "\n")
    (_, reason), = reasons(ingest(store, rows, tmp_path))
    assert reason.startswith("heard_on: invalid date")


def test_contact_details_in_the_listener_or_place_cell_are_warned_of(
    store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, "f.csv", "id,text,listener,place\n"
                 "c-1,Waited a long time.,L01 Pat Bloggs 07700 900558,Leeds\n"
                 "c-2,The group helped.,L02,LS6 2AB\n"
                 "c-3,Nobody rang back.,L03,Leeds 2\n")
    report = ingest(store, path, tmp_path)
    assert counts(report) == (3, 0, 0)  # stored as given: a person decides
    shown = " ".join(report.warnings)
    assert "listener cells hold what reads as a phone number (line 2)" in shown
    assert "place cells hold what reads as a postcode (line 3)" in shown
    assert "07700" not in shown and "LS6" not in shown and "line 4" not in shown


def test_contact_details_as_a_notes_id_are_warned_of(store: Store, tmp_path: Path) -> None:
    # blind audit: a client's phone number or email as the row's reference was stored as
    # the note's id, shown wherever the note is named, with nothing said
    path = write(tmp_path, "ids.csv", "id,text,heard_on\n"
                 "Jo Bloggs 07700 900123,Waited a long time for the GP.,2025-03-01\n"
                 "mary.jones@example.com,The group helped me a lot.,2025-03-02\n"
                 "mary.j@example.com,Nobody rang back at all.,13/13/2025\n"  # not stored
                 "4829103,Reference numbers are ids.,2025-03-03\n"
                 "9434765919,Ten digits are an id too.,2025-03-03\n")
    report = ingest(store, path, tmp_path)
    assert counts(report) == (4, 1, 0)  # stored as given: a person decides
    shown = [w for w in report.warnings if w.startswith("id cells")]
    assert [w.split(":")[0] for w in shown] == [
        "id cells hold what reads as a phone number (line 2)",
        "id cells hold what reads as an email address (line 3)"]
    assert "07700" not in " ".join(report.warnings) and "mary" not in " ".join(report.warnings)
    again = ingest(store, path, tmp_path)  # said of the notes a file brings, once
    assert not [w for w in again.warnings if w.startswith("id cells")]


def test_a_listeners_yes_and_a_flagged_comment_are_one_note_in_the_queue(
    store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, "form.csv", "id,text,safeguarding,Any other comments\n"
                 "y-1,Waited months.,yes,She said he beats her\n")
    report = ingest_file(store, path, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q",
                         screen=lambda text: "phrase: abuse" if "beats her" in text else None)
    assert report.flagged == 1 == len(store.safeguarding_items(note_id="y-1"))
    assert report.unstored_concerns == []  # the listener's yes put it there


def test_an_answer_read_by_the_rule_is_said_once_not_every_month(
    store: Store, tmp_path: Path
) -> None:
    rows = "id,text,safeguarding\nm-1,Waited a year for help.,Yes - passed to Jo\n"
    march = ingest(store, write(tmp_path, "march.csv", rows), tmp_path)
    assert any("read as yes" in w and "line 2" in w for w in march.warnings)
    april = ingest(store, write(tmp_path, "april.csv", rows + "m-2,The group shut.,no\n"),
                   tmp_path)
    assert counts(april) == (1, 0, 1)
    assert not any("read as yes" in w for w in april.warnings)  # said in March


def test_read_texts_numbers_rows_only_in_a_file_without_ids(tmp_path: Path) -> None:
    """A row number stands in for a missing id only where no row has an id: in a file with
    ids, row 2's number could be another row's id, so a row without one is left unnamed."""
    plain = write(tmp_path, "plain.csv", "text\nWaited a year.\nNo bed.\n")
    assert read_texts(plain) == (["1", "2"], ["Waited a year.", "No bed."])
    mixed = write(tmp_path, "mixed.csv", "id,text\n2,Waited a year.\n,No bed.\n7,Rang twice.\n")
    warnings: list[str] = []
    assert read_texts(mixed, warnings=warnings) == (
        ["2", None, "7"], ["Waited a year.", "No bed.", "Rang twice."])
    assert warnings == ["1 row with text had no id: line 3 (written with no id, in input "
                        "order; a row number could be another row's id)"]


def test_a_ref_column_gives_the_ids_and_experience_may_be_said_in_other_words(
    store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, "log.csv", "Ref,text,experience\nR7,Waited a year.,Bad\n"
                 "R8,The nurse listened.,good \nR9,Kind staff but a long wait.,Both\n"
                 "R10,Rang the line.,meh\n")
    report = ingest(store, path, tmp_path)
    assert "read 'Ref' as id" in report.warnings
    assert counts(report) == (3, 1, 0)
    assert [store.get_note(i)["experience"] for i in ("R7", "R8", "R9")] == [
        "negative", "positive", "mixed"]
    assert [line for line, _ in reasons(report)] == [5]
    assert "experience" in reasons(report)[0][1]


@pytest.mark.parametrize("column", ["Respondent ID", "Response ID", "Submission ID"])
def test_a_survey_tools_response_id_gives_the_ids(
    column: str, store: Store, tmp_path: Path
) -> None:
    """SurveyMonkey's "Respondent ID" (and the like) is one id per response: read as the
    note's id, so ingesting the export again finds the same notes."""
    path = write(tmp_path, "survey.csv", f"{column},text\n1148,Waited a year.\n"
                 "1149,Nobody rang back.\n")
    report = ingest(store, path, tmp_path)
    assert f"read {column!r} as id" in report.warnings
    assert counts(report) == (2, 0, 0)
    assert store.get_note("1149")["text"] == "Nobody rang back."
    assert counts(ingest(store, path, tmp_path)) == (0, 0, 2)


def test_rows_of_empty_cells_are_skipped_and_said_to_be(store: Store, tmp_path: Path) -> None:
    """A spreadsheet's empty row (",,") holds no note, but every row is accounted for."""
    path = write(tmp_path, "blank.csv",
                 "id,text,place\nb-1,Waited a year,Leeds\n,,\nb-2,Nobody rang,York\n , ,\n")
    report = ingest(store, path, tmp_path)
    assert counts(report) == (2, 0, 0)
    assert report.warnings == ["2 rows with every cell empty skipped (lines 3, 5)"]


def test_a_corrected_answer_does_not_replace_the_words_of_a_concern(
    store: Store, tmp_path: Path
) -> None:
    """The words a safeguarding concern was raised on are its record: a file's corrected
    answer for that note is quarantined for a lead, not applied."""
    first = write(tmp_path, "a.jsonl", "".join(json.dumps(r) + "\n" for r in (
        {"id": "s-1", "text": "She has stopped her meds and written letters to her kids.",
         "safeguarding": "yes"},
        {"id": "s-2", "text": "The group moved to Tuesdays."})))
    assert ingest(store, first, tmp_path).flagged == 1
    second = write(tmp_path, "b.jsonl", "".join(json.dumps(r) + "\n" for r in (
        {"id": "s-1", "text": "The home visits are helpful."},
        {"id": "s-2", "text": "The group moved to Wednesdays."})))
    report = ingest_file(store, second, category_ids=CATEGORY_IDS,
                         quarantine_dir=tmp_path / "q", replace_text=True)
    assert report.text_replaced == ["s-2"] and report.rejected == 1
    assert "has a safeguarding item" in reasons(report)[0][1]
    assert store.get_note("s-1")["text"].startswith("She has stopped her meds")


def test_the_phrase_list_on_a_corrected_answer_is_not_the_listeners_flag(
    store: Store, tmp_path: Path
) -> None:
    from insight.classify.safeguarding import phrase_screen

    first = write(tmp_path, "a.jsonl", json.dumps(
        {"id": "r-1", "text": "Talked about the allotment.", "listener": "L7"}) + "\n")
    ingest(store, first, tmp_path)
    second = write(tmp_path, "b.jsonl", json.dumps(
        {"id": "r-1", "text": "She has her pills lined up and says tonight is the night.",
         "listener": "L7"}) + "\n")
    ingest_file(store, second, category_ids=CATEGORY_IDS, quarantine_dir=tmp_path / "q",
                replace_text=True, screen=phrase_screen())
    [item] = store.safeguarding_items(note_id="r-1")
    # who raised it decides how it may be closed: the phrase list's may be a false alarm
    assert item["flagged_by"] == "screen:phrase-list"


def test_an_erased_notes_row_saying_yes_is_named_at_once(store: Store, tmp_path: Path) -> None:
    first = write(tmp_path, "a.jsonl", json.dumps(
        {"id": "e-1", "text": "He is worried about his brother.", "safeguarding": "no"}) + "\n")
    ingest(store, first, tmp_path)
    store.erase_notes(["e-1"], reason="asked")
    again = write(tmp_path, "b.jsonl", json.dumps(
        {"id": "e-1", "text": "He is worried about his brother.",
         "safeguarding": "yes - he rang again last night, worse"}) + "\n")
    report = ingest(store, again, tmp_path)
    assert report.erased == 1 and report.erased_concerns == [1]
    assert store.safeguarding_items(open_only=False) == []  # never stored again


def test_an_erased_notes_row_whose_concern_the_queue_held_is_no_new_alarm(
    store: Store, tmp_path: Path
) -> None:
    """A cumulative export repeats a flagged note's row after the note is erased: its yes is
    the concern the queue kept a record of, by its id or (without one) by its words."""
    row = {"id": "e-1", "text": "He is worried about his brother, who lost his job and his flat.",
           "safeguarding": "yes"}
    ingest(store, write(tmp_path, "a.jsonl", json.dumps(row) + "\n"), tmp_path)
    assert len(store.safeguarding_items(note_id="e-1")) == 1
    store.erase_notes(["e-1"], reason="asked")
    again = write(tmp_path, "b.jsonl", json.dumps(row) + "\n"
                  + json.dumps({**row, "id": ""}) + "\n")
    report = ingest(store, again, tmp_path)
    assert report.erased == 2 and report.erased_concerns == []


def test_a_renamed_safeguarding_question_is_named_with_its_yeses(store: Store,
                                                                  tmp_path: Path) -> None:
    path = write(tmp_path, "form.csv", "id,text,Welfare concern,Safe to contact?,Pharmacy\n"
                 "h-1,Lives alone since May.,Yes,yes,yes\n"
                 "h-2,The group helps.,No,yes,yes\n"
                 "h-3,Worried about money.,yes - rang her after,no,no\n")
    report = ingest(store, path, tmp_path)
    # stored as the file says, but the yeses of what may be the safeguarding question
    # are named, not left in a column no one reads
    assert report.accepted == 3
    assert report.unread_concern_columns == [("Welfare concern", 2)]
