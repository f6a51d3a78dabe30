"""The command line, run as a user would run it (real subprocesses, real files)."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from insight.clock import uk_today
from insight.codebook import load_codebook
from insight.resources import corpora_dir
from insight.store import ModelTagging, Store
from insight.thread import load_thread
from insight.workspace import open_workspace
from tests.run import run_cli

CORPUS = corpora_dir() / "notes" / "community-notes.jsonl"


def insight(*args: str, cwd: Path | None = None, check: bool = True,
            input: str | None = None, user: str | None = None) -> subprocess.CompletedProcess:
    result = run_cli(*args, cwd=cwd, input=input, user=user)
    if check and result.returncode != 0:
        raise AssertionError(f"insight {' '.join(args)} -> {result.returncode}\n{result.stderr}")
    return result


def workspace_with(tmp_path: Path, rows: list[dict], *ingest_options: str) -> Path:
    """A new workspace holding these notes (ingested from a JSONL file)."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    notes = tmp_path / "n.jsonl"
    notes.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    insight("ingest", str(notes), "-w", str(ws), *ingest_options)
    return ws


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real model trained through the CLI on 400 corpus notes."""
    folder = tmp_path_factory.mktemp("model")
    data = folder / "train.jsonl"
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[:400]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    insight("train", "--data", str(data), "--label-col", "categories",
            "--out", str(folder / "m"))
    return folder / "m"


def test_classify_jsonl_format_one_line_per_row_in_order(small_model: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    rows = [("z9", "Waited nine months for therapy and nobody rang."),
            ("a1", "The crisis team came out at 2am and were kind."),
            ("m5", "")]
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ref", "what was said"])
        writer.writerows(rows)
    out = tmp_path / "out.jsonl"
    insight("classify", str(source), "--model", str(small_model), "--out", str(out),
            "--id-col", "ref", "--text-col", "what was said")
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["z9", "a1", "m5"]
    labels = json.loads((small_model / "model.json").read_text())["labels"]
    for line, (_, text) in zip(lines[:2], rows[:2], strict=True):
        assert list(line)[:3] == ["id", "categories", "scores"]
        assert set(line["scores"]) == set(labels)
        assert all(0.0 <= v <= 1.0 for v in line["scores"].values())
        assert set(line["categories"]) <= set(labels)
        for category, sentence in line["evidence"].items():
            assert category in line["categories"] and sentence in text
        assert isinstance(line["safeguarding"], bool)
        assert line["experience"] in ("positive", "negative", "mixed", "neutral")
        assert 0.25 < line["experience_confidence"] <= 1  # the likeliest of four values
    assert "access-waiting" in lines[0]["categories"]
    # no text: no scores, no "neutral", but its place and its id
    assert lines[2] == {"id": "m5", "categories": [], "scores": {}, "evidence": {},
                        "few_examples": [], "safeguarding": None, "experience": None,
                        "experience_confidence": None, "error": "no text"}


def test_classify_evidence_for_a_bulleted_note_is_one_bullet(small_model: Path,
                                                           tmp_path: Path) -> None:
    bullets = ["- waited 9 months for talking therapy, still nothing",
               "- GP keeps changing so has to tell story again",
               "- money tight, food bank twice this month"]
    text = "\r\n".join(["Met J at the cafe.", *bullets])  # as a spreadsheet saves it
    source = tmp_path / "in.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["id", "text"], ["1", text]])
    out = tmp_path / "out.jsonl"
    insight("classify", str(source), "--model", str(small_model), "--out", str(out))
    (line,) = [json.loads(row) for row in out.read_text().splitlines()]
    assert "access-waiting" in line["categories"]
    assert line["evidence"]["access-waiting"] == bullets[0]
    for sentence in line["evidence"].values():
        assert sentence in bullets or sentence == "Met J at the cafe."


def test_classify_gives_a_blank_row_no_id_another_row_has(small_model: Path,
                                                          tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,Waited nine months for therapy.\n,\n"
                      "3,The crisis team were kind.\n2,Nobody rang back.\n,\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = insight("classify", str(source), "--model", str(small_model), "--out", str(out))
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["1", None, "3", "2", None]
    assert [line.get("error") for line in lines] == [None, "no text", None, None, "no text"]
    assert all(line["scores"] == {} and line["experience"] is None
               for line in lines if line.get("error"))
    assert all(line["scores"] for line in lines if not line.get("error"))
    assert "2 rows had no text: lines 3, 6" in done.stderr
    assert "classified 3 of 5 rows" in done.stdout


def test_classify_and_redact_keep_an_unreadable_row_as_a_line_saying_why(
    small_model: Path, tmp_path: Path
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "Waited nine months for therapy."}\n{"id": "b", '
                      '"text": ["a", "list"]}\n{"id": "c", "text": "Nobody rang back.\n',
                      encoding="utf-8")
    done = insight("classify", str(source), "--model", str(small_model), "-o", "-")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", "b", None]
    assert lines[0]["scores"] and "error" not in lines[0]
    assert lines[1]["error"] == "line 2: 'text' is not text (a list)"
    assert lines[2]["error"].startswith("line 3: malformed JSON")
    assert all(line["scores"] == {} for line in lines[1:])
    assert "2 rows could not be read: lines 2, 3" in done.stderr
    assert "classified 1 of 3 rows" in done.stderr
    redacted = insight("redact", str(source), "-o", "-")
    assert [json.loads(line).get("error", "")[:7] for line in redacted.stdout.splitlines()] == [
        "", "line 2:", "line 3:"]


def test_classify_and_redact_leave_out_rows_whose_person_did_not_agree_to_keeping(
    small_model: Path, tmp_path: Path
) -> None:
    """Blind audit: ingest stores nothing of a row saying no to "Keep their words?", yet
    classify and redact wrote it, words and all. Now they leave it out, say so on stderr
    by line (never its words), and a concern in it in red, as no output holds it."""
    said_no = "Said her daughter's school rang social care and nobody explained why to her."
    at_risk = "Told me he has been sleeping in his car since the hostel closed its doors."
    source = tmp_path / "grace.csv"
    source.write_text(
        "id,text,Keep their words?,Any safeguarding concerns?\n"
        "k1,Waited eleven weeks for a call back from the memory clinic.,Yes,no\n"
        f'k2,{said_no},"No - wants them deleted after today",no\n'
        "k3,The lunch club is the one place she talks to anyone all week.,,no\n"
        f"k4,{at_risk},no,yes\n", encoding="utf-8")
    for command in (("classify", "--model", str(small_model)), ("redact",)):
        out = tmp_path / f"{command[0]}.jsonl"
        # the concern reached no output or queue: exit 3, as ingest exits for it
        done = insight(*command, str(source), "-o", str(out), check=False)
        assert done.returncode == 3
        written = out.read_text(encoding="utf-8")
        assert [json.loads(line)["id"] for line in written.splitlines()] == ["k1", "k3"]
        said = " ".join(done.stderr.split())
        assert (f"{source}: not kept: 2 rows (lines 3, 5): the person did not agree to their "
                f"words being kept; nothing of them was written to {out}") in said
        assert (f"{source}: SAFEGUARDING: line 5 raises a safeguarding concern, but the person "
                "did not agree to their words being kept") in said
        assert "(2 not kept, left out)" in done.stdout
        for words in (said_no, at_risk, "daughter", "sleeping"):
            assert words not in written + done.stdout + done.stderr
        piped = insight(*command, str(source), "-o", "-", check=False)
        assert piped.returncode == 3
        assert [json.loads(line)["id"] for line in piped.stdout.splitlines()] == ["k1", "k3"]
        assert "nothing of them was written to standard output" in " ".join(
            piped.stderr.split())
    # a row left out that raises no concern needs no one: exit 0
    quiet = tmp_path / "quiet.csv"
    quiet.write_text("\n".join(source.read_text(encoding="utf-8").splitlines()[:4]) + "\n",
                     encoding="utf-8")
    for command in (("classify", "--model", str(small_model)), ("redact",)):
        done = insight(*command, str(quiet), "-o", "-")
        assert "(1 not kept, left out)" in done.stderr


def test_classify_and_redact_write_to_standard_output(small_model: Path,
                                                     tmp_path: Path) -> None:
    """`-o -` pipes the lines; the summary goes to stderr and no file named '-' is made."""
    source = tmp_path / "in.csv"
    source.write_text("id,text\n4,Waited nine months for therapy.\n,Rang Jo on 07700 900123.\n",
                      encoding="utf-8")
    done = insight("classify", str(source), "--model", str(small_model), "-o", "-",
                   cwd=tmp_path)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["4", None]  # a row number could be id 2
    assert all(line["scores"] for line in lines)
    assert "classified 2 rows -> standard output" in done.stderr
    assert "1 row with text had no id: line 3" in done.stderr
    redacted = insight("redact", str(source), "-o", "-", cwd=tmp_path)
    assert json.loads(redacted.stdout.splitlines()[1])["text"] == "Rang [PERSON] on [PHONE]."
    assert "redacted 2 rows -> standard output" in redacted.stderr
    assert not (tmp_path / "-").exists()


def test_classify_and_redact_write_jsonl_and_replace_only_their_own_output(
    small_model: Path, tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,text\nn1,Waited a year for a call back.\n", encoding="utf-8")
    labelled = tmp_path / "labelled.jsonl"  # someone's data, not an earlier output
    labelled.write_text('{"id": "n1", "text": "Waited.", "labels": "access"}\n',
                        encoding="utf-8")
    for command in (("classify", "--model", str(small_model)), ("redact",)):
        as_csv = insight(*command, str(source), "-o", str(tmp_path / "out.csv"), check=False)
        assert as_csv.returncode == 2 and "not CSV: give a .jsonl name" in " ".join(
            as_csv.stderr.replace("│", " ").split())
        kept = insight(*command, str(source), "-o", str(labelled), check=False)
        assert kept.returncode == 2 and "is not an earlier output of this command" in " ".join(
            kept.stderr.replace("│", " ").split())
        assert "labels" in labelled.read_text(encoding="utf-8")
        out = tmp_path / f"{command[0]}.jsonl"
        insight(*command, str(source), "-o", str(out))
        insight(*command, str(source), "-o", str(out))  # its own output: replaced
        assert len(out.read_text(encoding="utf-8").splitlines()) == 1
        missing_id = insight(*command, str(source), "--id-col", "Ref", "-o", "-", check=False)
        assert missing_id.returncode != 0 and "no id column 'Ref'" in missing_id.stderr
    insight("redact", str(source), "-o", str(labelled), "--force")
    assert "spans" in labelled.read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".*partial"))


def test_train_data_into_a_workspace_reads_labels_with_its_codebook(tmp_path: Path) -> None:
    """`train --data FILE -w WS`: the file's labels are read with the workspace's codebook
    (names or ids) and the model becomes the workspace's, which `tag` then uses."""
    ws = carers_workspace(tmp_path, ("respite", "money"), respite=0, money=0)
    themes = ["Respite", "Money", "respite; money"]
    data = tmp_path / "labelled.csv"
    data.write_text("id,text,Themes\n" + "".join(
        f"d{i},\"Note {i}: {['no break from caring', 'bills and debts', 'both'][i % 3]}\","
        f"{themes[i % 3]}\n" for i in range(30)), encoding="utf-8")
    # trained without a codebook, its labels are the file's spellings: refused, said why
    loose = tmp_path / "loose"
    insight("train", "--data", str(data), "--label-col", "Themes", "-o", str(loose))
    notes = tmp_path / "notes.csv"
    notes.write_text("id,text\nn1,No break from caring for weeks.\n", encoding="utf-8")
    # what a new lead does next is said (blind docs audit)
    assert "next: `insight tag` tags the new notes" in insight("ingest", "-w", str(ws),
                                                               str(notes)).stdout
    refused = insight("tag", "-w", str(ws), "--model", str(loose), check=False)
    said = " ".join(refused.stderr.replace("│", " ").split())
    assert refused.returncode != 0 and "trained without a codebook" in said
    assert "version ?" not in said and "--data FILE -w WORKSPACE" in said
    trained = insight("train", "--data", str(data), "--label-col", "Themes", "-w", str(ws))
    assert "labels read with the codebook of workspace" in trained.stderr
    assert f"-> {ws / 'model'}" in trained.stdout
    # 30 rows: trained, and said last that the figures mean little (a user took them at
    # their word, warned only category by category)
    last = " ".join(trained.stderr.strip().splitlines()[-1].split())
    assert last.startswith("warning: this model learnt from too little data for its figures "
                           "to mean much: only 30 labelled notes (under 100). ")
    assert "treat it as a sketch" in last
    again = insight("train", "--data", str(data), "--label-col", "Themes", "-w", str(ws),
                    check=False)
    assert again.returncode != 0 and "already has a model; add --force" in again.stderr
    assert "(it is then kept in model.previous, to go back to)" in again.stderr
    # the help and the README say so (the README said it replaced the model, as is)
    helped = " ".join(insight("train", "--help").stdout.replace("│", " ").split())
    assert "without --out, the model becomes the workspace's: replacing one it already has " \
        "needs --force" in helped
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    assert "the model becomes the workspace's: where the workspace already has one, " \
        "replacing it needs `--force`" in readme
    insight("train", "--data", str(data), "--label-col", "Themes", "-w", str(ws), "--force")
    assert (ws / "model.previous" / "model.json").is_file()
    assert "tagged 1 note with model" in (tagged := insight("tag", "-w", str(ws)).stdout)
    assert "next, to review the tags least sure first: `insight notes queue`" in tagged
    # a row with no label is learned as "no category", and the card says so, unless skipped
    data.write_text(data.read_text(encoding="utf-8") + "d99,Not coded yet,\n", encoding="utf-8")
    kept = insight("train", "--data", str(data), "--label-col", "Themes", "-o",
                   str(tmp_path / "kept")).stderr
    assert "kept, learned as no category; --skip-unlabelled leaves them out): 1 (id d99)" in \
        " ".join(kept.split())
    card = (tmp_path / "kept" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "31 of 31 rows used; 1 of them with no label, learned as notes with no category" \
        in card
    insight("train", "--data", str(data), "--label-col", "Themes", "--skip-unlabelled", "-o",
            str(tmp_path / "skipped"))
    card = (tmp_path / "skipped" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "30 of 31 rows used (not used: no usable label (1))" in card


def test_an_outcome_of_an_action_not_under_way_is_warned_of(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    for status in ("agreed", "proposed", "in progress"):
        insight("actions", "add", f"Calls {status}", "--status", status, "-w", str(ws))
    said = [" ".join(insight("outcomes", "add", f"A{n}", "Calls started", "-w",
                             str(ws)).stderr.split()) for n in (1, 2, 3)]
    assert "warning: A1 is agreed but not started: the community page shows the outcome as " \
        "what has happened so far" in said[0]
    assert "warning: A2 is only proposed" in said[1]
    assert "warning" not in said[2]


def test_whole_thread_through_the_cli(small_model: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    notes = tmp_path / "notes.jsonl"
    notes.write_text("\n".join(CORPUS.read_text(encoding="utf-8").splitlines()[400:460]) + "\n")
    first = insight("ingest", str(notes), "-w", str(ws))
    assert "accepted 60, rejected 0, already present 0" in first.stdout
    again = insight("ingest", str(notes), "-w", str(ws))
    assert "accepted 0, rejected 0, already present 60" in again.stdout
    insight("tag", "-w", str(ws), "--model", str(small_model))
    note_ids = [json.loads(line)["id"] for line in notes.read_text().splitlines()[:3]]
    out = insight("insights", "add", "Waiting alone", "--category", "access-waiting",
                  "--note", note_ids[0], "--note", note_ids[1], "-w", str(ws))
    assert "created insight I1" in out.stdout
    assert insight("insights", "link", "I1", note_ids[2], "-w", str(ws)).stdout.strip() == \
        "linked 1 new note"
    # blind audit: `insights add` takes --note, `insights link` refused it; both take it now
    assert insight("insights", "link", "I1", "--note", note_ids[2], "--note", note_ids[0],
                   "-w", str(ws)).stdout.strip() == "linked 0 new notes"
    nothing = insight("insights", "link", "I1", "-w", str(ws), check=False)
    assert nothing.returncode == 2 and "give the note ids to link" in nothing.stderr
    insight("priorities", "add", "No one waits alone", "--insight", "I1", "-w", str(ws))
    assert insight("priorities", "link", "P1", "--insight", "I1", "-w", str(ws)).stdout.strip() \
        == "linked 0 new insights"
    twice = insight("priorities", "add", "No one waits alone.", "-w", str(ws))
    assert "created priority P2" in twice.stdout
    # no day agreed: said, as a past period's report counts it from today
    assert "no day agreed: reports count it from today (`insight priorities update P2 " \
        "--agreed-on DAY` if it was agreed before)" in " ".join(twice.stdout.split())
    assert " ".join(twice.stderr.split()) == (
        "warning: P1 has the same title; if P2 is the same priority, merge it (insight "
        "priorities merge P2 --into P1)"
    )
    insight("priorities", "delete", "P2", "--yes", "-w", str(ws))
    insight("actions", "add", "Monthly calls", "--owner", "Service lead", "--priority", "P1",
            "--stage", "pathway design", "-w", str(ws))
    assert insight("actions", "link", "A1", "--priority", "P1", "-w", str(ws)).stdout.strip() \
        == "linked 0 new priorities"
    declined = insight("actions", "status", "A1", "declined", "-w", str(ws), check=False)
    assert declined.returncode == 1 and "needs a reason" in declined.stderr
    insight("actions", "status", "A1", "in progress", "-w", str(ws))
    insight("outcomes", "add", "A1", "Calls started", "--fed-back-on", "2026-06-01",
            "-w", str(ws))
    fewer = insight("outcomes", "add", "A1", "Fewer complaints", "-w", str(ws))
    assert "says the same" not in fewer.stderr
    again = insight("outcomes", "add", "A1", "calls started.", "-w", str(ws))
    assert ("warning: O1 says the same; if O3 is the same outcome, delete it (insight "
            "outcomes delete O3)") in " ".join(again.stderr.split())
    insight("outcomes", "delete", "O3", "--yes", "-w", str(ws))
    fed = insight("outcomes", "update", "O2", "--fed-back-on", "15/07/2026", "-w", str(ws))
    assert "O2: updated fed_back_on" in fed.stdout
    outcomes = json.loads(insight("outcomes", "list", "-w", str(ws), "-f", "json").stdout)
    assert [(o["ref"], o["fed_back"], o["fed_back_on"]) for o in outcomes] == [
        ("O1", True, "2026-06-01"), ("O2", True, "2026-07-15")]
    insight("insights", "add", "tmp", "--note", note_ids[0], "-w", str(ws))
    insight("insights", "unlink", "I2", note_ids[0], "-w", str(ws))
    insight("insights", "delete", "I2", "--yes", "-w", str(ws))
    asked = insight("insights", "delete", "I1", "-w", str(ws), check=False)  # no --yes, no tty
    assert asked.returncode == 1
    insight("outcomes", "delete", "O2", "--yes", "-w", str(ws))
    involved = insight("actions", "involve", "A1", "--mode", "active", "--continuity",
                       "embedded", "--how", "peers make the calls", "-w", str(ws))
    assert "A1: people with lived experience took part, active and embedded" in involved.stdout
    half = insight("actions", "involve", "A1", "--mode", "passive", "-w", str(ws))
    assert "passive and embedded" in half.stdout  # the rest as recorded
    insight("actions", "involve", "A1", "--mode", "active", "-w", str(ws))
    neither = insight("actions", "involve", "A1", "-w", str(ws), check=False)
    assert neither.returncode == 2 and "--clear" in neither.stderr
    listed = json.loads(insight("actions", "list", "-w", str(ws), "-f", "json").stdout)
    assert listed == [{"ref": "A1", "title": "Monthly calls", "status": "in progress",
                       "since": str(uk_today()), "due_on": "",
                       "owner": "Service lead", "priorities": "P1",
                       "involvement": "active, embedded"}]
    chain = json.loads(insight("trace", "A1", "-f", "json", "-w", str(ws)).stdout)
    assert chain["priorities"][0]["insights"][0]["notes"] == sorted(note_ids)
    up = insight("trace", note_ids[0], "-w", str(ws)).stdout.splitlines()
    assert up[1].startswith("  evidence for I1 ") and up[2].startswith("    supports P1 ")
    assert up[3].startswith("      answered by A1 Monthly calls [in progress since ")
    # as far as the thread goes
    assert "        outcome O1 Calls started (day seen not given; fed back 1 June 2026)" in up
    # read by a person: each record with its title, an action with status and owner
    read = insight("trace", "A1", "-w", str(ws)).stdout.splitlines()
    assert read[0] == "A1 Monthly calls [in progress; Service lead]"
    assert read[1].startswith("  responds to P1 ")
    assert read[2].startswith("    built on I1 ") and f"({len(note_ids)} notes: " in read[2]
    assert "  outcomes: O1 Calls started (fed back)" in read
    priority = json.loads(insight("trace", "P1", "-f", "json", "-w", str(ws)).stdout)
    assert priority["actions"] == ["A1"] and priority["insights"][0]["insight"] == "I1"
    assert json.loads(insight("trace", "i1", "-f", "json", "-w", str(ws)).stdout)[
        "priorities"] == ["P1"]
    gone = insight("trace", "note-000000000000", "-w", str(ws), check=False)
    assert gone.returncode == 2 and "erased" in gone.stderr
    insight("erase", "--note", note_ids[-1], "-w", str(ws))
    with Store.open(open_workspace(ws).db_url, create=False) as store:
        tombstone = store.tombstone_id(note_ids[-1])
    for erased in (note_ids[-1], tombstone):  # by the id it had, and the one it is kept under
        traced = insight("trace", erased, "-w", str(ws))
        assert "was erased on" in traced.stdout and "no action yet" not in traced.stdout
    rollup = json.loads(insight("rollup", "-w", str(ws), "--format", "json").stdout)
    assert len(rollup) == 11 and sum(r["notes"] > 0 for r in rollup) > 3
    as_csv = insight("rollup", "-w", str(ws), "--format", "csv").stdout
    assert as_csv.splitlines()[0].startswith("category,name,notes,share,places,listeners")
    with_phrases = json.loads(insight("rollup", "--phrases", "-w", str(ws), "-f", "json").stdout)
    phrases = [p for row in with_phrases for p in row["phrases"]]
    assert phrases and all(re.fullmatch(r"[^\W\d].* \(\d+\)", p) for p in phrases)
    shared = json.loads(insight("rollup", "--phrases", "--audience", "commissioner",
                                "-w", str(ws), "-f", "json").stdout)
    assert not any(re.search(r"\(\d+\)", p) for row in shared for p in row["phrases"])
    report = tmp_path / "r.html"
    insight("report", "--out", str(report), "-w", str(ws))
    assert "Monthly calls" in report.read_text()
    audit = insight("audit", "--record", "A1", "-w", str(ws))
    assert "update" in audit.stdout and "create" in audit.stdout


def test_a_small_category_is_given_alike_by_the_report_and_the_rollup(tmp_path: Path) -> None:
    """The blind audit's repro (24 notes, one category each: 20 and 4) through the CLI: the
    commissioner's report and `insight rollup --audience commissioner` agree, and neither
    lets the "<5" be worked out from the notes with categories."""
    rows = [{"id": f"a{i}", "text": f"I waited a long time on the waiting list, week {i}.",
             "heard_on": f"2025-{i % 6 + 1:02d}-10", "listener": f"L{i % 3}",
             "place": "Leeds", "consent_quote": "yes", "categories": "access-waiting"}
            for i in range(20)]
    rows += [{"id": f"d{i}", "text": f"My benefits were stopped, month {i}.",
              "heard_on": f"2025-0{i + 1}-12", "listener": "L0", "place": "Leeds",
              "consent_quote": "yes", "categories": "daily-living"} for i in range(4)]
    ws = workspace_with(tmp_path, rows)
    table = {r["category"]: r for r in json.loads(insight(
        "rollup", "--audience", "commissioner", "-w", str(ws), "-f", "json").stdout)}
    assert table["access-waiting"]["notes"] == "20 to 23"
    assert table["access-waiting"]["2025-01"] == "not shown"
    assert table["daily-living"]["notes"] == "<5"
    # the table says what it is of, and what a count not shown means (blind audit)
    said = " ".join(insight("rollup", "--audience", "commissioner", "-w",
                            str(ws)).stdout.split())
    assert "of 24 notes: shares are of all of them; 0 in no category;" in said
    assert "counts under 5 are shown as <5; 'A to B', 'hidden', 'not shown' and '–' stand " \
        "where an exact figure would let a small count be worked out" in said
    assert "counts under" not in insight("rollup", "-w", str(ws)).stdout
    report = tmp_path / "r.html"
    insight("report", "--out", str(report), "-w", str(ws))
    text = " ".join(re.sub(r"<[^>]+>", " ", report.read_text()).split())
    assert "24 conversations noted" in text and "Getting help and waiting 20 to 23" in text


def test_errors_are_one_line_not_tracebacks(tmp_path: Path) -> None:
    missing = insight("rollup", "-w", str(tmp_path / "nowhere"), check=False)
    assert missing.returncode == 2  # a folder named on the command line: a usage error
    assert "insight init" in missing.stderr and "Traceback" not in missing.stderr
    insight("init", str(tmp_path / "outer"))
    nested = insight("init", str(tmp_path / "outer" / "sub"))
    assert f"is inside the workspace at {(tmp_path / 'outer').resolve()}" in " ".join(
        nested.stderr.split())
    bad_book = tmp_path / "book.yaml"
    bad_book.write_text("version: 1\ncategories:\n  - {id: a, name: A}\n")
    shown = insight("codebook", "show", "--codebook", str(bad_book), check=False)
    assert shown.returncode == 1 and "missing field(s) description" in shown.stderr
    usage = insight("ingest", check=False)
    assert usage.returncode == 2
    notes = tmp_path / "n.csv"
    notes.write_text("id,text\n1,A note\n", encoding="utf-8")
    insight("init", str(tmp_path / "ws"))
    blank_prefix = insight(
        "ingest", str(notes), "--id-prefix", " ", "-w", str(tmp_path / "ws"), check=False
    )
    assert blank_prefix.returncode == 2 and "id prefix" in blank_prefix.stderr
    prefixed = insight("ingest", str(notes), "--id-prefix", "form-a-", "-w", str(tmp_path / "ws"))
    assert "accepted 1" in prefixed.stdout
    # an audience in capitals is still that audience; an unknown one is a usage error
    out = tmp_path / "r.html"
    written = insight("report", "--audience", "Commissioner", "--out", str(out),
                      "-w", str(tmp_path / "ws"))
    assert written.returncode == 0 and "For: commissioner" in out.read_text(encoding="utf-8")
    boss = insight("rollup", "--audience", "boss", "-w", str(tmp_path / "ws"), check=False)
    assert boss.returncode == 2 and "unknown audience 'boss'" in boss.stderr
    assert "use one of: lead, commissioner, community" in " ".join(
        boss.stderr.replace("│", " ").split())


def test_rollup_phrases_say_why_a_category_has_none(tmp_path: Path) -> None:
    """A blind check: `rollup --phrases` on a workspace of few notes showed blank cells."""
    rows = [{"id": f"w{i}", "text": f"On the waiting list for therapy, month {i}.",
             "categories": ["access-waiting"], "heard_on": "2026-03-10"} for i in range(4)]
    rows += [{"id": f"c{i}", "text": "Rang the crisis line at night.",
              "categories": ["crisis-urgent"], "heard_on": "2026-03-11"} for i in range(2)]
    ws = workspace_with(tmp_path, rows, "--no-screen")
    table = insight("rollup", "--phrases", "-w", str(ws)).stdout
    line = {row.split()[0]: " ".join(row.split()) for row in table.splitlines()[1:]}
    assert "waiting list (4)" in line["access-waiting"]
    assert "(only 2 notes; a phrase needs 3)" in line["crisis-urgent"]
    assert "(no notes; a phrase needs 3)" in line["daily-living"]
    data = {r["category"]: r for r in json.loads(
        insight("rollup", "--phrases", "-w", str(ws), "-f", "json").stdout)}
    assert data["crisis-urgent"]["phrases"] == []
    assert data["crisis-urgent"]["why_no_phrases"] == "only 2 notes; a phrase needs 3"
    assert data["access-waiting"]["why_no_phrases"] is None
    [header, *_] = insight("rollup", "--phrases", "-w", str(ws), "-f", "csv").stdout.splitlines()
    assert header.startswith("category,name,phrases,why_no_phrases,notes")
    plain = json.loads(insight("rollup", "-w", str(ws), "-f", "json").stdout)
    assert "why_no_phrases" not in plain[0]  # only with --phrases


def test_codebook_show_lists_the_default() -> None:
    out = insight("codebook", "show").stdout
    assert "version 1: 11 categories" in out and "crisis-urgent" in out


def test_codebook_show_says_what_each_category_covers_and_leaves_out(tmp_path: Path) -> None:
    """A lead deciding a tag needs what a category means and what is in and out of it,
    not only its name: one line of it by default, all of it with --full, every field in
    csv and json."""
    book = tmp_path / "book.yaml"
    book.write_text(
        "version: 3\ncategories:\n"
        "  - id: housing\n    name: Housing\n"
        "    description: Homes, tenancies and the worry of losing them, " + "and more " * 12
        + "the very end.\n"
        "    includes: [rent arrears, eviction]\n"
        "    excludes: [benefits (money)]\n"
        "  - {id: money, name: Money, description: Benefits and debt, parent: housing}\n",
        encoding="utf-8")
    short = insight("codebook", "show", str(book)).stdout
    assert "version 3: 2 categories" in short
    assert "Homes, tenancies and the worry of losing them" in short
    assert "the very end." not in short and "..." in short  # one line each
    assert "Money  (part of housing)" in short and "Benefits and debt" in short
    assert "eviction" not in short and "--full" in short
    full = " ".join(insight("codebook", "show", str(book), "--full").stdout.split())
    assert "the very end." in full
    assert "includes: rent arrears; eviction" in full and "excludes: benefits (money)" in full
    [housing, money] = json.loads(insight("codebook", "show", str(book), "-f", "json").stdout)
    assert housing["includes"] == ["rent arrears", "eviction"]
    assert housing["excludes"] == ["benefits (money)"]
    assert housing["description"].endswith("the very end.") and housing["parent"] is None
    assert money == {"id": "money", "name": "Money", "description": "Benefits and debt",
                     "includes": [], "excludes": [], "parent": "housing"}
    rows = list(csv.DictReader(insight("codebook", "show", str(book), "-f", "csv")
                               .stdout.splitlines()))
    assert rows[0]["includes"] == "rent arrears; eviction"
    assert rows[0]["excludes"] == "benefits (money)" and rows[1]["parent"] == "housing"


def test_codebook_check_says_ok_in_one_line_or_names_every_problem(tmp_path: Path) -> None:
    default = insight("codebook", "check")
    assert default.stdout.strip().endswith("enquiry-v1.yaml: version 1: 11 categories")
    assert default.stdout.startswith("ok: ") and len(default.stdout.splitlines()) == 1
    book = tmp_path / "book.yaml"
    book.write_text("version: 2.10\ncategories:\n"
                    "  - {id: housing, name: Housing, description: Homes}\n", encoding="utf-8")
    assert insight("codebook", "check", "--codebook", str(book)).stdout == (
        f"ok: {book}: version 2.10: 1 category\n")
    assert insight("codebook", "check", str(book)).stdout == (  # as people type it
        f"ok: {book}: version 2.10: 1 category\n")
    assert "Housing" in insight("codebook", "show", str(book)).stdout
    twice = insight("codebook", "check", str(book), "--codebook", str(tmp_path / "b"),
                    check=False)
    assert twice.returncode == 2 and "give the codebook once" in twice.stderr
    book.write_text("version: 2\ncategories:\n"
                    "  - {id: Housing, name: Housing, description: Homes, exclude: [rent]}\n"
                    "  - {id: homes, name: housing, description: Houses}\n", encoding="utf-8")
    bad = insight("codebook", "check", "--codebook", str(book), check=False)
    assert bad.returncode == 1 and bad.stdout == "" and "Traceback" not in bad.stderr
    said = bad.stderr.splitlines()
    assert said[0].startswith("error: ") and len(said) == 3
    assert "category #1 ('Housing'): unknown key 'exclude' (did you mean 'excludes'?)" in said[0]
    assert "id 'Housing' may hold only lower-case letters" in said[1] and "'housing'" in said[1]
    assert "category #2 ('homes'): name 'housing' differs only in case" in said[2]


def test_codebook_commands_in_a_workspaces_folder_read_its_codebook(tmp_path: Path) -> None:
    """A lead who moved the workspace to a codebook of its own and runs `codebook check`
    in its folder, as they run `rollup` there, means that codebook, not the default."""
    ws = carers_workspace(tmp_path, ("respite", "money"), respite=2, money=2)
    own = ws / "carers.yaml"
    checked = insight("codebook", "check", cwd=ws).stdout
    assert checked == f"ok: {own.resolve()}: version 1: 2 categories\n"
    shown = insight("codebook", "show", cwd=ws).stdout
    assert "Carers version 1: 2 categories" in shown and "crisis-urgent" not in shown
    # a file named still wins, and elsewhere the default is read as before
    assert "enquiry-v1.yaml" not in insight("codebook", "check", str(own), cwd=ws).stdout
    assert "enquiry-v1.yaml" in insight("codebook", "check", cwd=tmp_path).stdout
    # the file itself, to start a workspace's own copy from
    assert insight("codebook", "show", "--source", cwd=ws).stdout == own.read_text(
        encoding="utf-8")
    default = insight("codebook", "show", "--source", cwd=tmp_path).stdout
    assert default.startswith("# Default enquiry categories") and "id: daily-living" in default


def test_every_command_summary_is_one_line_in_the_command_lists() -> None:
    """Typer's rich help keeps a docstring's line breaks in the command list, so a summary
    that wraps in the source shows broken mid-sentence in `insight --help`."""
    import inspect

    import typer.main

    from insight.cli import app

    def summaries(group, path):
        for name, command in getattr(group, "commands", {}).items():
            first = inspect.cleandoc(command.help or "").split("\n\n")[0]
            yield " ".join([*path, name]), first
            yield from summaries(command, [*path, name])

    found = dict(summaries(typer.main.get_command(app), []))
    assert "report" in found and "actions involve" in found
    wrapped = {name: text for name, text in found.items() if "\n" in text or not text}
    assert wrapped == {}


def test_lead_review_outranks_the_model_and_is_audited(small_model: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    notes = tmp_path / "notes.jsonl"
    notes.write_text(json.dumps({"id": "r1", "text": "Nine months on the list, nobody rang.",
                                 "consent_quote": True}) + "\n")
    insight("ingest", str(notes), "-w", str(ws))
    insight("tag", "-w", str(ws), "--model", str(small_model))
    queue = insight("notes", "queue", "--below", "1", "-w", str(ws), "-f", "json").stdout
    assert [row["note"] for row in json.loads(queue)] == ["r1"]
    # a lead thinks in percent: 60 and 60% are 0.6
    for given in ("100", "100%", "1"):
        assert insight("notes", "queue", "--below", given, "-w", str(ws), "-f", "json").stdout \
            == queue
    # nothing below: said against what (blind docs audit: "--below 2" is 2%, "(none)")
    assert insight("notes", "queue", "--below", "0", "-w", str(ws)).stdout.strip() == (
        "(none: no model-tagged note left to review is below 0%)")
    wrong = insight("notes", "queue", "--below", "160%", "-w", str(ws), check=False)
    said = " ".join(wrong.stderr.replace("│", " ").split())
    assert wrong.returncode == 2 and "a confidence is from 0 to 1 (0% to 100%)" in said
    shown = insight("notes", "show", "r1", "-w", str(ws)).stdout
    assert "[model]" in shown and "Nine months" in shown
    insight("notes", "review", "r1", "--category", "carers-family", "-w", str(ws))
    reviewed = insight("notes", "show", "r1", "-w", str(ws)).stdout.splitlines()
    tag_lines = [line for line in reviewed if line.startswith("  [")]
    # the person's category first; the model's beside it, said not to count
    assert tag_lines[0].startswith("  [person] carers-family")
    assert all(line.endswith("(not counted: a person decided this note's categories)")
               for line in tag_lines[1:] if line.startswith("  [model]"))
    again = insight("tag", "--retag", "-w", str(ws), "--model", str(small_model)).stdout
    assert "categories changed on 0 of the notes tagged before (0 tags added, 0 removed); " \
        "the experience changed on" in again
    rollup = json.loads(insight("rollup", "-w", str(ws), "-f", "json").stdout)
    counts = {row["category"]: row["notes"] for row in rollup}
    assert counts["carers-family"] == 1 and sum(counts.values()) == 1
    assert json.loads(insight("notes", "queue", "--below", "1", "-w", str(ws),
                              "-f", "json").stdout) == []
    audit = insight("audit", "--record", "r1", "-w", str(ws)).stdout
    assert "r1/carers-family/person" in audit


def test_review_queue_lists_notes_whose_experience_the_model_is_unsure_of(
        tmp_path: Path) -> None:
    """Sure of a note's categories but not of how it felt: the note still needs a person,
    until a person judges its experience."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    notes = tmp_path / "notes.jsonl"
    notes.write_text("".join(json.dumps({"id": i, "text": text}) + "\n" for i, text in (
        ("sure", "Waited nine months and nobody rang back."),
        ("unsure", "Waited a while, then the nurse rang and was kind."))))
    insight("ingest", str(notes), "-w", str(ws))
    with Store.open(open_workspace(ws).db_url, create=False) as store:
        store.save_model_tags([
            ModelTagging("sure", {"access-waiting": 0.9}, ["access-waiting"], {}, False,
                         "negative", experience_confidence=0.82),
            ModelTagging("unsure", {"access-waiting": 0.9}, ["access-waiting"], {}, False,
                         "negative", experience_confidence=0.41),
        ], "m1", "1")

    def queue() -> list[dict[str, Any]]:
        return json.loads(insight("notes", "queue", "-w", str(ws), "-f", "json").stdout)

    # its place in the list, and what it comes from (the blind lead-review audit read the
    # category's 0.97 beside a note listed among the 0.43s)
    assert queue() == [{"note": "unsure", "least_sure": "0.41 experience",
                        "categories": "access-waiting", "few_examples": "",
                        "safeguarding": "",
                        "experience": "negative 0.41"}]
    insight("safeguarding", "add", "unsure", "--reason", "the nurse's visit was a welfare check",
            "-w", str(ws))
    assert queue()[0]["safeguarding"] == "in the queue"
    shown = insight("notes", "show", "unsure", "-w", str(ws)).stdout
    assert "experience: negative (the model, 0.41)" in shown
    insight("notes", "review", "unsure", "--experience", "mixed", "-w", str(ws))
    assert queue() == []
    shown = insight("notes", "show", "unsure", "-w", str(ws)).stdout
    assert "experience: mixed (a person)" in shown


def test_redact_command_writes_spans_in_original_text(tmp_path: Path) -> None:
    source = tmp_path / "notes.csv"
    texts = [
        "My daughter Grace rang 07700 900123 from M1 1AE, email grace.o@example.com.",
        "Rang Samaritans on 116 123 and felt a bit better. I hope the group restarts.",
    ]
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows([["a", texts[0]], ["b", texts[1]]])
    out = tmp_path / "redacted.jsonl"
    insight("redact", str(source), "--out", str(out))
    first, second = (json.loads(line) for line in out.read_text().splitlines())
    found = {(texts[0][s["start"]:s["end"]], s["type"]) for s in first["spans"]}
    assert found == {("Grace", "PERSON"), ("07700 900123", "PHONE"), ("M1 1AE", "POSTCODE"),
                     ("grace.o@example.com", "EMAIL")}
    assert first["text"] == ("My daughter [PERSON] rang [PHONE] from [POSTCODE], "
                             "email [EMAIL].")
    assert second == {"id": "b", "text": texts[1], "spans": []}


def test_stateless_commands_use_the_named_workspace(small_model: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    book = tmp_path / "book.yaml"
    book.write_text("version: 7\ncategories:\n  - {id: money, name: Money, description: Cash}\n")
    made = insight("init", str(ws), "--codebook", str(book))
    assert f"its own copy of the codebook, {ws.resolve() / 'book.yaml'}" in " ".join(
        made.stdout.split())
    shown = insight("codebook", "show", "-w", str(ws)).stdout
    assert "version 7: 1 category (" in shown
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "x", "text": "Skint again."}) + "\n")
    missing = insight("classify", str(source), "--out", str(tmp_path / "o.jsonl"),
                      "-w", str(ws), check=False)
    assert missing.returncode == 1 and "run `insight train` first" in missing.stderr


@pytest.fixture(scope="module")
def default_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache folder for the tests that build the default model (~20 s a build)."""
    return tmp_path_factory.mktemp("cache")


def test_classify_without_model_builds_and_caches_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_cache: Path
) -> None:
    monkeypatch.setenv("INSIGHT_CACHE_DIR", str(default_cache))
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "1", "text": "Been on the waiting list since March, "
                                  "nobody has rung. The GP just says wait."}) + "\n")
    out = tmp_path / "out.jsonl"
    built = insight("classify", str(source), "--out", str(out))
    line = json.loads(out.read_text())
    assert "access-waiting" in line["categories"]
    cached = list((default_cache / "models").glob("default-*/MODEL_CARD.md"))
    assert len(cached) == 1 and "test split" in cached[0].read_text()
    # a wait the first time is said, with where the model is kept; not once it is cached
    assert "building the default model from the shipped corpus: once" in built.stderr
    assert str(cached[0].parent) in " ".join(built.stderr.split())
    again = insight("classify", str(source), "--out", str(out))
    assert "building" not in again.stderr


def _default_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_cache: Path,
                       notes_csv: str, *ingest_options: str) -> Path:
    """A workspace on the default codebook (its model the cached default), notes ingested."""
    monkeypatch.setenv("INSIGHT_CACHE_DIR", str(default_cache))
    ws = tmp_path / "ws"
    insight("init", str(ws))
    notes = tmp_path / "notes.csv"
    notes.write_text(notes_csv, encoding="utf-8")
    insight("ingest", "-w", str(ws), *ingest_options, str(notes))
    return ws


def test_tag_before_any_training_uses_the_default_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_cache: Path
) -> None:
    """A new workspace on the default codebook can tag at once; its own model wins later."""
    ws = _default_workspace(tmp_path, monkeypatch, default_cache, "id,text,heard_on\n"
                            "w1,\"On the list for therapy since March, nobody has rung.\","
                            "2026-03-10\n")
    untagged = insight("notes", "show", "w1", "-w", str(ws)).stdout
    assert "no categories yet: `insight tag` tags it" in untagged
    old_mac = tmp_path / "old-mac.csv"  # a lone CR breaks its line; shown, it does too
    old_mac.write_bytes(b'id,text\rm1,"Waited a year.\rNobody rang."\r')
    insight("ingest", "-w", str(ws), str(old_mac))
    assert "Waited a year.\nNobody rang." in insight("notes", "show", "m1", "-w", str(ws)).stdout
    tagged = insight("tag", "-w", str(ws))
    assert "tagged 2 notes" in tagged.stdout and "using the default model" in tagged.stderr
    shown = insight("notes", "show", "w1", "-w", str(ws)).stdout
    assert "access-waiting" in shown and "no categories yet" not in shown


def test_tag_says_how_many_notes_it_routed_to_the_safeguarding_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_cache: Path
) -> None:
    ws = _default_workspace(  # screened at ingest by nothing: nothing queued yet
        tmp_path, monkeypatch, default_cache, "id,text\n"
        "r1,\"He has been saving his tablets in a drawer and says tonight is the night.\"\n"
        "r2,The walking group on Tuesdays is lovely and the tea is free.\n", "--no-screen")
    assert not json.loads(insight("safeguarding", "list", "-w", str(ws), "-f", "json").stdout)
    tagged = insight("tag", "-w", str(ws)).stdout
    assert "1 note routed to the safeguarding queue by the model or the phrase list: " \
        "`insight safeguarding list`" in tagged
    queue = json.loads(insight("safeguarding", "list", "-w", str(ws), "-f", "json").stdout)
    assert [item["note"] for item in queue] == ["r1"]
    again = insight("tag", "-w", str(ws), "--retag").stdout  # already in the queue
    assert "tagged 2 notes" in again and "routed" not in again


def test_the_report_weighs_the_model_that_tagged_the_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_cache: Path, small_model: Path
) -> None:
    """Tagged with the default model, the report gives its measure; tagged with a model
    kept elsewhere (`tag --model`), it names that model as unmeasured here."""
    ws = _default_workspace(tmp_path, monkeypatch, default_cache,
                            'id,text\nw1,"On the list for therapy since March, nobody has '
                            'rung."\n')
    insight("tag", "-w", str(ws))
    out = tmp_path / "report.html"
    insight("report", "-w", str(ws), "--out", str(out))
    page = " ".join(out.read_text(encoding="utf-8").split())
    assert "was checked on labelled notes it was not trained on" in page
    assert "No measure of the model" not in page
    tagged = insight("tag", "-w", str(ws), "--model", str(small_model), "--retag").stdout
    version = tagged.split("with model ")[1].split()[0]
    insight("report", "-w", str(ws), "--out", str(out))
    page = " ".join(out.read_text(encoding="utf-8").split())
    assert f"No measure of the model that tagged the notes ({version}) is kept" in page


def test_a_copy_of_the_default_codebook_tags_with_the_default_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_cache: Path
) -> None:
    """Same categories and version as the default: nothing to train before tagging; a
    category renamed in the copy makes it a codebook of its own, which trains first."""
    from insight.resources import default_codebook_path

    monkeypatch.setenv("INSIGHT_CACHE_DIR", str(default_cache))
    copy = tmp_path / "codebook.yaml"
    copy.write_text(default_codebook_path().read_text(encoding="utf-8"), encoding="utf-8")
    notes = tmp_path / "notes.csv"
    notes.write_text('id,text\nw1,"On the list for therapy since March, nobody has rung."\n',
                     encoding="utf-8")
    ws = tmp_path / "ws"
    insight("init", str(ws), "--codebook", str(copy))
    insight("ingest", "-w", str(ws), str(notes))
    tagged = insight("tag", "-w", str(ws))
    assert "tagged 1 note" in tagged.stdout
    assert "has the default codebook's categories and version" in tagged.stderr
    assert "access-waiting" in insight("notes", "show", "w1", "-w", str(ws)).stdout

    own = tmp_path / "own"
    renamed = copy.read_text(encoding="utf-8").replace("id: carers-family", "id: carers")
    assert renamed != copy.read_text(encoding="utf-8")
    copy.write_text(renamed, encoding="utf-8")
    insight("init", str(own), "--codebook", str(copy))
    insight("ingest", "-w", str(own), str(notes))
    refused = insight("tag", "-w", str(own), check=False)
    assert refused.returncode != 0 and "run `insight train` first" in refused.stderr


def meta_of(model: Path) -> dict:
    return json.loads((model / "model.json").read_text())["metadata"]


def test_train_with_a_codebook_uses_its_wording(tmp_path: Path) -> None:
    book = tmp_path / "book.yaml"
    book.write_text(
        "version: '2'\ncategories:\n"
        "  - {id: travel, name: Getting there, description: bus fares and long journeys}\n"
        "  - {id: food, name: Food, description: food bank and meals, includes: [hungry]}\n",
        encoding="utf-8",
    )
    data = tmp_path / "data.csv"
    rows = [("Bus fare is a fortune", " Travel "), ("two buses to the clinic", "travel"),
            ("went to the food bank again", "FOOD"), ("no money for meals", "food "),
            ("could not pay the gas", "travel;fuel")]
    rows = [(f"{text}, week {week}", codes) for week in range(5) for text, codes in rows]
    rows.append(rows[0])  # a copy: used once
    with data.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "codes"])
        writer.writerows(rows)
    insight("train", "--data", str(data), "--text-col", "text", "--label-col", "codes",
            "--codebook", str(book), "--out", str(tmp_path / "m"))
    meta = json.loads((tmp_path / "m" / "model.json").read_text())["metadata"]
    # travel: name + description; food: name, description and one include
    assert meta["codebook_wording_examples"] == 5
    assert meta["codebook"]["version"] == "2"
    assert sorted(meta["labels"]) == ["food", "travel"]
    # a label the codebook does not have is dropped while reading, and still recorded
    assert meta["unknown_labels_dropped"] == {"fuel": 5}
    card = (tmp_path / "m" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "| codebook | book version 2 |" in card
    # copies of a row are used once; the card says how the file was read
    assert "- File: `data.csv`: 25 of 26 rows used (not used: copies of an earlier row " \
        "(1))" in card
    assert "- Labels not in the codebook, dropped: fuel (5)" in card
    # no experience column: learned from the shipped notes, not "neutral" for every note
    assert "classifier, learned from the shipped corpus's training notes" in card
    assert re.search(
        r"reading words' tone from the vaderSentiment [\d.]+ lexicon \([\d,]+ words\)", card)
    assert meta["experience"]["reason"] == "no experience labels given"
    assert "- Labels with fewer than 5 examples (threshold not tuned, kept at 0.5 or above; " \
        "least reliable): none" in card
    # data labelled by the codebook's names is scored as by its ids
    named = tmp_path / "named.csv"
    named.write_text("text,codes\nTwo buses and a train to the clinic,GETTING THERE\n"
                     "Food bank again this week,food\n", encoding="utf-8")
    scored = insight("evaluate", "--model", str(tmp_path / "m"), "--data", str(named),
                     "--label-col", "codes")
    assert "not the model's" not in scored.stderr
    assert meta_of(tmp_path / "m")["metrics"]["unknown_gold_labels_ignored"] == 0
    # "fuel" was dropped at training as not in the codebook: said so, not asked "renamed?"
    with named.open("a", encoding="utf-8") as handle:
        handle.write("No money for the gas,fuel;food\n")
    fuel = insight("evaluate", "--model", str(tmp_path / "m"), "--data", str(named),
                   "--label-col", "codes", "--no-write-card")
    assert "note: fuel is not in its codebook: the model never learned it" in fuel.stderr
    negative_seed = insight("train", "--data", str(data), "--label-col", "codes", "--seed",
                            "-1", "--out", str(tmp_path / "m2"), check=False)
    assert negative_seed.returncode == 2 and "Traceback" not in negative_seed.stderr


def test_train_on_unusable_data_explains_instead_of_crashing(tmp_path: Path) -> None:
    data = tmp_path / "few.csv"
    data.write_text("id,text,codes\n1,hello there,a\n2,another note,a\n3,third,b\n",
                    encoding="utf-8")
    wrong_column = insight("train", "--data", str(data), "--label-col", "kodes",
                           "--out", str(tmp_path / "m1"), check=False)
    assert wrong_column.returncode == 1
    assert "no label column 'kodes'" in wrong_column.stderr
    assert "Traceback" not in wrong_column.stderr
    too_rare = insight("train", "--data", str(data), "--label-col", "codes", "--min-count", "5",
                       "--out", str(tmp_path / "m2"), check=False)
    assert too_rare.returncode == 1
    assert "nothing to learn" in too_rare.stderr and "below min_count" in too_rare.stderr
    assert "Traceback" not in too_rare.stderr and not (tmp_path / "m2").exists()
    # every label kept but none with enough examples to learn it: refused, not a "model"
    thin = insight("train", "--data", str(data), "--label-col", "codes",
                   "--out", str(tmp_path / "m4"), check=False)
    assert thin.returncode == 1 and not (tmp_path / "m4").exists()
    assert "no label has 5 or more examples" in " ".join(thin.stderr.split())
    # a codebook names the labels, but the file's labels sit in a column not read as
    # labels: no label has an example, so there is nothing to learn
    book = tmp_path / "book.yaml"
    book.write_text("name: B\nversion: '1'\ncategories:\n"
                    "  - {id: a, name: A, description: A}\n"
                    "  - {id: b, name: B, description: B}\n", encoding="utf-8")
    themes = tmp_path / "themes.csv"
    themes.write_text("id,text,Themes\n" + "".join(f"{i},note {i} text,a; b\n" for i in range(6)),
                      encoding="utf-8")
    unlabelled = insight("train", "--data", str(themes), "--codebook", str(book),
                         "--out", str(tmp_path / "m3"), check=False)
    assert unlabelled.returncode == 1 and "0 labels with examples" in unlabelled.stderr
    assert not (tmp_path / "m3").exists()


def test_evaluate_prints_scores_and_writes_them_into_the_card(small_model: Path,
                                                             tmp_path: Path) -> None:
    held = tmp_path / "held.jsonl"
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[400:520]
    held.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shown = insight("evaluate", "--model", str(small_model), "--data", str(held),
                    "--label-col", "categories")
    assert "macro-F1" in shown.stdout and "calibration error" in shown.stdout
    card = (small_model / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "| calibration_error |" in card
    metrics = json.loads((small_model / "model.json").read_text())["metadata"]["metrics"]
    assert metrics["n_notes"] == 120 and 0.0 <= metrics["calibration_error"] < 0.5
    # over the tags given only (no easy "no"s at a confidence near 0), as printed
    tagged = metrics["tag_calibration_error"]
    assert 0.0 <= tagged <= 1.0 and f"({tagged:.3f} over the tags given)" in shown.stdout
    assert "| tag_calibration_error |" in card


def test_evaluate_scores_only_the_categories_the_data_codes(small_model: Path,
                                                            tmp_path: Path) -> None:
    """0/1 columns for 3 of the model's 11 categories: the other 8 are not scored (their
    tags are neither right nor wrong here), and one coded with no examples is not tested."""
    model = tmp_path / "m"
    shutil.copytree(small_model, model)
    coded = tmp_path / "t3.csv"
    with coded.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "Access waiting", "Crisis urgent", "Daily living"])
        for line in CORPUS.read_text(encoding="utf-8").splitlines()[400:520]:
            row = json.loads(line)
            writer.writerow([row["text"], int("access-waiting" in row["categories"]),
                             int("crisis-urgent" in row["categories"]), 0])
    shown = insight("evaluate", "--model", str(model), "--data", str(coded),
                    "--label-cols", "Access waiting,Crisis urgent,Daily living")
    assert "the data codes only 3 of the model's 11 labels; 2 with examples" in shown.stderr
    out = " ".join(shown.stdout.split())
    assert "scored 3 of the model's 11 categories: the data codes only these (not scored: " \
        "carers-family, " in out
    assert ("micro-F1 counts the tags in the 3 categories scored; macro-F1 averages the 2 "
            "with examples here; not tested (no examples): daily-living") in out
    table = {line.split()[0]: line for line in shown.stdout.splitlines()
             if line.split() and line.split()[0] in meta_of(model)["labels"]}
    assert sorted(table) == ["access-waiting", "crisis-urgent", "daily-living"]
    assert "not tested" in table["daily-living"]
    metrics = meta_of(model)["metrics"]
    assert list(metrics["per_label"]) == sorted(table)
    assert len(metrics["labels_not_scored"]) == 8
    f1s = [metrics["per_label"][n]["f1"] for n in ("access-waiting", "crisis-urgent")]
    assert metrics["macro_f1"] == pytest.approx(sum(f1s) / 2, abs=1e-3)
    assert f"macro-F1 {metrics['macro_f1']:.3f}" in out
    card = (model / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Scored 3 of the model's 11 categories: the data codes only these" in card
    assert "| daily-living | | | not tested (no examples) | 0 |" in card
    assert "| carers-family | | | not scored (not coded in the data) | |" in card


def test_evaluate_leaves_out_a_misspelt_labels_rows_as_train_does_and_says_so(
        small_model: Path, tmp_path: Path) -> None:
    """`train` left out a row with a misspelt label; `evaluate` kept it with its other
    labels, so the model's right tag in the category meant counted as wrong (a user's
    figures rose once she fixed the typos). Both now read labels alike, and the output and
    the card say which rows were not scored; the numbers come with what they mean."""
    model = tmp_path / "m"
    shutil.copytree(small_model, model)
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()[400:520]]
    thin = [r for r in rows if "crisis-urgent" in r["categories"]]
    for r in thin[6:]:  # 6 examples of crisis-urgent here: too few to judge it by
        r["categories"].remove("crisis-urgent")
    typo = [i for i, r in enumerate(rows)
            if "access-waiting" in r["categories"] and len(r["categories"]) > 1][:3]
    assert len(typo) == 3
    for i in typo:
        rows[i]["categories"] = ["acess-waiting" if c == "access-waiting" else c
                                 for c in rows[i]["categories"]]
    misspelt = tmp_path / "misspelt.jsonl"
    misspelt.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    rest = tmp_path / "rest.jsonl"
    rest.write_text("".join(json.dumps(r) + "\n" for i, r in enumerate(rows) if i not in typo),
                    encoding="utf-8")
    insight("evaluate", "--model", str(model), "--data", str(rest))
    alone = meta_of(model)["metrics"]
    shown = insight("evaluate", "--model", str(model), "--data", str(misspelt))
    said = " ".join(shown.stderr.split())
    assert "acess-waiting (3 rows, e.g. " in said and "did you mean access-waiting?" in said
    assert "rows with a misspelt label (left out until it is fixed): 3 (ids " in said
    assert "fix the misspelt ones (did you mean ...?) and evaluate again" in said
    assert "never learned" not in said and "renamed?" not in said
    metrics = meta_of(model)["metrics"]
    assert metrics["n_notes"] == 117 and metrics["per_label"] == alone["per_label"]
    out = " ".join(shown.stdout.split())
    assert ("scored 117 of the 120 rows in the file (not used: a misspelt label (3)); fix "
            "the misspelt labels and evaluate again") in out
    card = " ".join((model / "MODEL_CARD.md").read_text(encoding="utf-8").split())
    assert "Scored 117 of the 120 rows in the file (not used: a misspelt label (3))" in card
    # what the calibration error means, in words from the tags given
    assert re.search(r"what the confidence means on this data: tags given at a confidence of "
                     r"0\.\d to [01]\.\d \(0\.\d\d on average\) were right about \d+ times? in "
                     r"10 \(\d+ of \d+ tags\); over all its tags, the confidence shown was on "
                     r"average 0\.\d\d away from how often tags like it were right", out)
    # a category with fewer than 10 examples here is marked, in the table and in words
    few = {name: m["support"] for name, m in metrics["per_label"].items()
           if 0 < m["support"] < 10}
    assert few["crisis-urgent"] == 6
    for line in shown.stdout.splitlines():
        if line.split() and line.split()[0] in metrics["per_label"]:
            assert line.rstrip().endswith("too few to judge") == (line.split()[0] in few), line
    assert "too few examples here to judge (under 10): " in out


def test_training_says_which_notes_it_held_out_to_score_the_model(tmp_path: Path) -> None:
    """`train` said "20% held out" where the card said the notes of 2 of the workspace's
    listeners were held out (65 notes, 35% of 188): it now says what was held out."""
    book = tmp_path / "carers.yaml"
    book.write_text("name: Carers\nversion: '1'\ncategories:\n" + "".join(
        f"  - {{id: {c}, name: {c.title()}, description: {CARERS[c]}}}\n"
        for c in ("respite", "money")), encoding="utf-8")
    ws = tmp_path / "ws"
    insight("init", str(ws), "--codebook", str(book))
    said = ["No break for {} years since mum got ill", "Carer's allowance stopped {} weeks ago"]
    rows = [f"n{i},{said[i % 2].format(i)},{('respite', 'money')[i % 2]},L{i % 6}"
            for i in range(120)]
    notes = tmp_path / "n.csv"
    notes.write_text("id,text,categories,listener\n" + "\n".join(rows) + "\n",
                     encoding="utf-8")
    insight("ingest", str(notes), "-w", str(ws))
    trained = insight("train", "-w", str(ws))
    metrics = meta_of(ws / "model")["metrics"]
    out = " ".join(trained.stdout.split())
    assert "20% of your notes" not in out
    # as the card says it: whole listeners held out, 20 notes each
    [listeners] = re.findall(r"^the labelled notes of (\d+) of the workspace's listeners, held "
                             r"out \((\d+) notes;", metrics["data"])
    n = metrics["n_notes"]
    assert listeners == (str(n // 20), str(n)) and n % 20 == 0
    assert (f"(macro-F1 {metrics['macro_f1']:.2f} on the labelled notes of {n // 20} of your "
            f"6 listeners, held out: {n} of your 120 labelled notes, {n / 120:.0%}; the model "
            "saw none of " + ("this listener's notes)" if n == 20 else "these listeners' notes)")
            ) in out
    assert metrics["held_out"] == {"notes": n, "of": 120, "listeners": n // 20,
                                   "of_listeners": 6}
    assert "too little data" not in trained.stderr  # 120 notes, 60 a category


def test_a_mistyped_path_is_said_before_anything_loads(small_model: Path,
                                                       tmp_path: Path) -> None:
    """A missing or bad --out took 6.5 s to be told (after loading the model, or after
    training: the error came when the command came to write), and `--model m-skk` said
    only "no such folder". Checked first now, in a new process that imports no model."""
    texts = tmp_path / "in.csv"
    texts.write_text("id,text\n1,Waited nine months for therapy.\n", encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("id,text,codes\n" + "".join(f"{i},note {i} on rent,money\n"
                                                for i in range(30)), encoding="utf-8")
    shutil.copytree(small_model, tmp_path / "m-sk")
    (tmp_path / "m-sk-notes").mkdir()  # a folder named alike that is no model
    under_a_file = str(texts / "out.jsonl")
    commands = {
        "classify": ("classify", str(texts), "--model", str(small_model), "--out",
                     under_a_file),
        "redact": ("redact", str(texts), "--out", under_a_file),
        "train": ("train", "--data", str(data), "--label-col", "codes", "--out",
                  str(texts / "model")),
        "evaluate": ("evaluate", "--model", str(tmp_path / "m-skk"), "--data", str(data)),
        "classify --model": ("classify", str(texts), "--model", str(tmp_path / "m-skk"),
                             "--out", str(tmp_path / "o.jsonl")),
    }
    for name, args in commands.items():
        run = subprocess.run([sys.executable, "-X", "importtime", "-m", "insight", *args],
                             capture_output=True, text=True, timeout=300, cwd=tmp_path,
                             env={k: v for k, v in os.environ.items()
                                  if k != "INSIGHT_WORKSPACE"})
        imported = [line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()
                    if line.startswith("import time:")]
        said = " ".join(line for line in run.stderr.splitlines()
                        if not line.startswith("import time:"))
        said = " ".join(said.replace("│", " ").split())
        assert run.returncode == 2, (name, said)
        assert not [m for m in imported if m.split(".")[0] in ("sklearn", "spacy")], name
        if name.endswith("--model") or name == "evaluate":
            assert f"{tmp_path / 'm-skk'}: no such folder; did you mean " \
                f"{tmp_path / 'm-sk'}?" in said, (name, said)
        else:
            assert f"cannot be made: {texts} is a file, not a folder" in said, (name, said)
    assert not (tmp_path / "o.jsonl").exists()


def test_train_checks_its_options_before_reading_any_data(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("id,text,codes\n1,hello there,a\n2,another note,b\n", encoding="utf-8")
    bad_backend = insight("train", "--data", str(data), "--backend", "bert",
                          "--out", str(tmp_path / "m"), check=False)
    assert bad_backend.returncode == 2 and "unknown backend 'bert'" in bad_backend.stderr
    assert "labels" not in bad_backend.stderr  # refused before the data was read
    both = insight("train", "--data", str(data), "--label-col", "codes", "--label-cols", "x",
                   "--out", str(tmp_path / "m"), check=False)
    assert both.returncode == 2 and "not both" in both.stderr
    a_file = tmp_path / "afile"
    a_file.write_text("not a model")
    onto_file = insight("train", "--data", str(data), "--label-col", "codes",
                        "--out", str(a_file), check=False)
    assert onto_file.returncode == 1 and "is a file, not a model folder" in onto_file.stderr
    assert "labels" not in onto_file.stderr
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "minutes.docx").write_text("x")
    into_busy = insight("train", "--data", str(data), "--label-col", "codes",
                        "--out", str(busy), check=False)
    assert into_busy.returncode == 1 and "holds no model" in into_busy.stderr
    assert sorted(p.name for p in busy.iterdir()) == ["minutes.docx"]


def test_an_existing_model_is_replaced_only_with_force_and_whole(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    rows = [f"{i},note about {'rent' if i % 2 else 'the bus'} number {i},"
            f"{'money' if i % 2 else 'travel'}" for i in range(40)]
    data.write_text("id,text,codes\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "m"
    insight("train", "--data", str(data), "--label-col", "codes", "--out", str(out))
    (out / "stale-from-an-old-model.bin").write_text("x")
    again = insight("train", "--data", str(data), "--label-col", "codes", "--out", str(out),
                    check=False)
    assert again.returncode == 1 and "--force" in again.stderr
    assert (out / "stale-from-an-old-model.bin").exists()
    insight("train", "--data", str(data), "--label-col", "codes", "--out", str(out), "--force")
    assert not (out / "stale-from-an-old-model.bin").exists()
    assert (out / "model.json").is_file() and (out / "MODEL_CARD.md").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_evaluate_refuses_data_it_cannot_score_and_warns_on_training_notes(
    small_model: Path, tmp_path: Path
) -> None:
    model = tmp_path / "m"
    shutil.copytree(small_model, model)
    card_before = (model / "MODEL_CARD.md").read_text(encoding="utf-8")
    other = tmp_path / "other.csv"
    other.write_text("id,text,labels\n1,the food was cold,food\n2,parking,travel\n",
                     encoding="utf-8")
    refused = insight("evaluate", "--model", str(model), "--data", str(other),
                      "--label-col", "labels", check=False)
    assert refused.returncode == 1 and "not the model's" in refused.stderr
    unlabelled = tmp_path / "unlabelled.csv"
    unlabelled.write_text("id,text,where\n1,the food was cold,Hull\n", encoding="utf-8")
    no_labels = insight("evaluate", "--model", str(model), "--data", str(unlabelled),
                        check=False)
    assert no_labels.returncode == 1 and "no labels were found" in no_labels.stderr
    assert (model / "MODEL_CARD.md").read_text(encoding="utf-8") == card_before
    trained_on = tmp_path / "seen.jsonl"
    trained_on.write_text("\n".join(CORPUS.read_text(encoding="utf-8").splitlines()[:60]) + "\n",
                          encoding="utf-8")
    seen = insight("evaluate", "--model", str(model), "--data", str(trained_on))
    assert "texts are also in this model's training data" in " ".join(seen.stderr.split())
    renamed = tmp_path / "renamed.jsonl"  # another team's name for one category
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()[400:460]]
    for row in rows:
        row["categories"] = ["waiting-list" if c == "access-waiting" else c
                             for c in row["categories"]]
    renamed.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    shown = insight("evaluate", "--model", str(model), "--data", str(renamed),
                   "--no-write-card")
    assert "warning: the model's labels access-waiting have no examples in this data, and " \
        "its labels waiting-list are not the model's: renamed?" in " ".join(shown.stderr.split())


def test_review_needs_a_decision_and_erase_clears_quarantine(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    notes = tmp_path / "notes.csv"
    notes.write_text(
        "id,text,heard_on,consent_quote\n"
        "k1,The group closed and nobody said why.,2026-03-01,yes\n"
        "k2,Margaret rang the crisis line twice.,2026-03-01,01/03/2026\n",
        encoding="utf-8",
    )
    assert insight("ingest", "-w", str(ws), "--no-screen", str(notes), check=False).returncode == 3
    neither = insight("notes", "review", "k1", "-w", str(ws), check=False)
    assert neither.returncode == 2 and "--accept" in neither.stderr
    insight("notes", "review", "k1", "--category", "none", "-w", str(ws))
    shown = insight("notes", "show", "k1", "-w", str(ws)).stdout
    assert "no category (a person decided)" in shown and "experience: not judged yet" in shown
    # the experience alone, as a person judges it; audited, and shown as a person's
    felt = insight("notes", "review", "k1", "--experience", "Negative", "-w", str(ws))
    assert felt.stdout.strip() == "k1: experience negative (reviewed; was not judged)"
    assert "experience: negative (a person)" in insight("notes", "show", "k1", "-w",
                                                        str(ws)).stdout
    log = json.loads(insight("audit", "-f", "json", "-w", str(ws)).stdout)
    assert any(e["after"].get("experience") == "negative" for e in log if e["after"])
    wrong = insight("notes", "review", "k1", "--experience", "sad", "-w", str(ws), check=False)
    assert wrong.returncode == 2 and "positive, negative, mixed, neutral" in wrong.stderr
    # one category added or dropped, the others kept; given with --category, refused
    added = insight("notes", "review", "k1", "--add", "community-support", "--add",
                    "Getting help and waiting", "-w", str(ws))
    assert added.stdout.startswith("k1: community-support, access-waiting (reviewed")
    dropped = insight("notes", "review", "k1", "--drop", "access-waiting", "-w", str(ws))
    assert dropped.stdout.startswith("k1: community-support (reviewed")
    both = insight("notes", "review", "k1", "--add", "crisis-urgent", "--category",
                   "access-waiting", "-w", str(ws), check=False)
    assert both.returncode == 2 and "give one of" in both.stderr
    quarantined = "".join(p.read_text() for p in (ws / "quarantine").glob("*.jsonl"))
    assert "Margaret" in quarantined
    # the rejected row is fixed and ingested, then the person asks for it to be erased
    notes.write_text("id,text,heard_on\nk2,Margaret rang the crisis line twice.,2026-03-01\n",
                     encoding="utf-8")
    insight("ingest", "-w", str(ws), "--no-screen", str(notes))
    clash = tmp_path / "clash.csv"  # an edited copy: quarantined, its reason names the id
    clash.write_text("id,text\nk2,Margaret rang the crisis line.\n", encoding="utf-8")
    insight("ingest", "-w", str(ws), "--no-screen", str(clash), check=False)
    erased = insight("erase", "--note", "k2", "-w", str(ws))
    assert "erased 1 note;" in erased.stdout and "blanked 2 quarantined rows" in erased.stdout
    quarantined = "".join(p.read_text() for p in (ws / "quarantine").glob("*.jsonl"))
    assert "Margaret" not in quarantined and '"erased": true' in quarantined
    assert "'k2'" not in quarantined
    again = insight("notes", "review", "k2", "--accept", "-w", str(ws), check=False)
    assert again.returncode == 1 and "was erased" in again.stderr


def test_a_path_named_that_is_not_there_is_a_usage_error_everywhere(tmp_path: Path) -> None:
    """Exit code 2 and one line, whichever command: ingest said 2, classify 1."""
    commands = {
        "ingest": ("ingest", "nope.csv", "-w", "ws"),
        "classify": ("classify", "nope.csv", "--out", "o.jsonl"),
        "redact": ("redact", "nope.csv", "--out", "o.jsonl"),
        "train": ("train", "--data", "nope.csv", "--text-col", "t", "--label-col", "l",
                  "--out", "m"),
        "evaluate": ("evaluate", "--model", "no-model", "--data", "nope.csv"),
        "codebook": ("codebook", "check", "--codebook", "nope.yaml"),
        "folder": ("classify", ".", "--out", "o.jsonl"),
    }
    for name, args in commands.items():
        result = insight(*args, cwd=tmp_path, check=False)
        assert result.returncode == 2, (name, result.stderr)
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("error: ") and ("nope" in line or "no-model" in line
                                               or "is a folder" in line), (name, line)


def test_outputs_refuse_folders_and_inputs_and_thresholds_stay_on(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,Rang Sam on 07700 900123.\n", encoding="utf-8")
    into_folder = insight("redact", "in.csv", "--out", ".", cwd=tmp_path, check=False)
    assert into_folder.returncode == 2 and "is a folder" in into_folder.stderr
    over_input = insight("redact", "in.csv", "--out", "in.csv", cwd=tmp_path, check=False)
    assert over_input.returncode == 2 and "is the input file" in over_input.stderr
    assert source.read_text(encoding="utf-8").startswith("id,text")
    off = insight("init", str(tmp_path / "ws0"), "--small-number", "0", check=False)
    assert off.returncode == 1 and "switch suppression off" in off.stderr
    ws = tmp_path / "ws"
    insight("init", str(ws))
    missing = insight("trace", "A99", "-w", str(ws), check=False)
    assert missing.returncode == 2 and "no action 'A99'" in missing.stderr
    # whatever the command, a note or record named that does not exist is a usage error
    for command in (("actions", "status", "A99", "done"), ("insights", "link", "I99", "n1"),
                    ("outcomes", "add", "A99", "Done"),
                    ("safeguarding", "ack", "99", "--note", "rang her"),
                    ("priorities", "link", "P99", "I1"), ("insights", "add", "x", "--note", "n9"),
                    ("outcomes", "update", "O99", "--description", "x")):
        unknown = insight(*command, "-w", str(ws), check=False)
        assert unknown.returncode == 2, command
        assert "error: no " in unknown.stderr and "Traceback" not in unknown.stderr
    insight("actions", "add", "No owner yet", "-w", str(ws))
    assert "NaN" not in insight("actions", "list", "-w", str(ws)).stdout


def test_notes_consent_records_a_persons_decision(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    notes = tmp_path / "n.csv"
    notes.write_text("id,text,consent_quote\nc1,A note,yes\n", encoding="utf-8")
    insight("ingest", str(notes), "-w", str(ws))
    withdrawn = insight("notes", "consent", "c1", "--no-quote", "-w", str(ws))
    assert "c1: consent to quote withdrawn" in withdrawn.stdout
    neither = insight("notes", "consent", "c1", "-w", str(ws), check=False)
    assert neither.returncode == 2 and "--quote" in neither.stderr
    missing = insight("notes", "consent", "nope", "--quote", "-w", str(ws), check=False)
    assert missing.returncode == 2 and "no note 'nope'" in missing.stderr
    again = insight("ingest", str(notes), "-w", str(ws))  # the old file: not given back
    assert "only a person gives it back" in again.stdout
    given = insight("notes", "consent", "c1", "--quote", "--reason",
                    "asked again, Mrs Amina Hussain on 07700 900123", "-w", str(ws))
    assert "c1: consent to quote given" in given.stdout
    # the audit log keeps why, without the person's details (as `erase --reason`)
    log = insight("audit", "--record", "c1", "-f", "json", "-w", str(ws)).stdout
    assert "asked again" in log and "Hussain" not in log and "900123" not in log


def test_notes_list_finds_notes_by_listener_category_date_and_flag(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    rows = [
        {"id": "a", "text": "Waited a year for a call back.", "heard_on": "2025-06-01",
         "listener": "L-1", "place": "Leeds", "categories": "access-waiting",
         "setting": "cafe", "community": ["carers", "South  Asian"]},
        {"id": "b", "text": "The group closed without a word.", "heard_on": "2025-07-01",
         "listener": "l-1", "place": "=York", "categories": "community-support",
         "setting": "phone", "community": ["carers"]},
        {"id": "c", "text": "Says she does not feel safe at home.", "heard_on": "2025-08-01",
         "listener": "Renée Okafor", "place": "leeds", "safeguarding": "yes"},
    ]
    notes = tmp_path / "notes.jsonl"
    notes.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    insight("ingest", str(notes), "-w", str(ws), "--no-screen", check=False)

    def listed(*args: str) -> list[str]:
        out = insight("notes", "list", "-w", str(ws), "-f", "json", *args).stdout
        return [r["note"] for r in json.loads(out)]

    assert listed() == ["c", "b", "a"]  # newest first
    assert listed("--listener", "L-1") == ["b", "a"]  # in any case
    assert listed("--listener", "renee okafor") == ["c"]  # with or without accents
    assert listed("--place", "Leeds") == ["c", "a"]
    assert listed("--category", "access-waiting") == ["a"]
    assert listed("--category", "value of Community support") == ["b"]  # by name, as review
    assert listed("--since", "2025-07-01", "--until", "01/07/2025") == ["b"]
    assert listed("--safeguarding") == ["c"]
    assert listed("--tagged-by", "none") == ["c"]
    assert listed("--setting", "Cafe") == ["a"]
    assert listed("--community", "carers") == ["b", "a"]  # among the others it names
    assert listed("--community", "south asian") == ["a"]
    assert listed("--words", "CALL BACK") == ["a"]  # what a person remembers saying
    assert listed("--words", "the", "--words", "group", "--listener", "l-1") == ["b"]
    blank = insight("notes", "list", "-w", str(ws), "--words", " ", check=False)
    assert blank.returncode == 2 and "give a word or phrase" in blank.stderr
    [first] = json.loads(insight("notes", "list", "-w", str(ws), "-f", "json", "--setting",
                                 "phone").stdout)
    assert first["setting"] == "phone" and first["community"] == "carers"
    shown = insight("notes", "show", "b", "-w", str(ws)).stdout
    assert "setting: phone · community: carers" in shown
    both = insight("notes", "show", "a", "b", "-w", str(ws)).stdout
    assert both.index("Waited a year") < both.index("-" * 40) < both.index("The group closed")
    missing = insight("notes", "show", "a", "zz", "-w", str(ws), check=False)
    assert missing.returncode == 2 and "Waited a year" not in missing.stdout
    # a category by its name, as the codebook writes it
    name = load_codebook().get("crisis-urgent").name
    reviewed = insight("notes", "review", "c", "--category", name.upper(), "-w", str(ws))
    assert "c: crisis-urgent (reviewed)" in reviewed.stdout
    table = insight("notes", "list", "-w", str(ws), "--limit", "1")
    assert "does not feel safe" not in table.stdout  # no text: notes show reads one
    assert "(1 of 3 notes; --limit 0 lists all)" in table.stderr
    wrong = insight("notes", "list", "-w", str(ws), "--category", "waiting", check=False)
    assert wrong.returncode == 2 and "not a category" in wrong.stderr
    # a place typed as a formula is written so a spreadsheet shows it, not runs it
    as_csv = insight("notes", "list", "-w", str(ws), "-f", "csv").stdout
    assert ",'=York," in as_csv and ",=York," not in as_csv


CARERS = {"respite": "Breaks for carers", "money": "Carers' money worries",
          "rights": "Carers' assessments and rights"}


def carers_workspace(tmp_path: Path, categories: tuple[str, ...], respite: int,
                     money: int) -> Path:
    """A workspace on a small carers' codebook, its labelled notes ingested."""
    book = tmp_path / "carers.yaml"
    book.write_text("name: Carers\nversion: '1'\ncategories:\n" + "".join(
        f"  - {{id: {c}, name: {c.title()}, description: {CARERS[c]}}}\n" for c in categories),
        encoding="utf-8")
    ws = tmp_path / "ws"
    insight("init", str(ws), "--codebook", str(book))
    rows = [f"r{i},No break for {i} years since mum got ill,respite" for i in range(respite)]
    rows += [f"m{i},Carer's allowance stopped {i} weeks ago,money" for i in range(money)]
    notes = tmp_path / "n.csv"
    notes.write_text("id,text,categories\n" + "\n".join(rows) + "\n", encoding="utf-8")
    insight("ingest", str(notes), "-w", str(ws))
    return ws


def test_workspace_training_reports_its_notes_and_warns_of_thin_categories(
    small_model: Path, tmp_path: Path
) -> None:
    (tmp_path / "few").mkdir()
    few = carers_workspace(tmp_path / "few", ("respite", "money"), respite=4, money=0)
    refused = insight("train", "-w", str(few), check=False)
    assert refused.returncode == 1 and "only 4 labelled notes" in refused.stderr
    assert "cross-validation" not in refused.stderr  # no "this takes minutes" before "no"
    ws = carers_workspace(tmp_path, ("respite", "money", "rights"), respite=18, money=3)
    trained = insight("train", "-w", str(ws))
    said = " ".join(trained.stderr.split())
    assert "5-fold cross-validation" in said
    assert "21 labelled notes in the workspace; per category: respite (18), money (3)" in said
    assert "shipped notes" not in said  # its own codebook: its own notes only
    assert "fewer than 5 examples are seldom tagged: money (3)" in said
    assert "no labelled example are learned from the codebook's wording alone, if at all " \
        "(seldom tagged, and not to be trusted): rights" in said
    card = (ws / "model" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "per category: respite (18), money (3)" in card
    assert "not to be trusted when they are): rights" in card
    # a model for another codebook would store tags nothing here can use: refused
    foreign = insight("tag", "-w", str(ws), "--model", str(small_model), check=False)
    assert foreign.returncode == 1 and "not in this workspace's codebook" in foreign.stderr
    assert "access-waiting" in foreign.stderr
    assert "tagged 21 notes" in insight("tag", "-w", str(ws)).stdout
    first = json.loads((ws / "model" / "model.json").read_text())["model_version"]
    # training again keeps the model it replaces, to go back to
    again = insight("train", "-w", str(ws), "--seed", "3")
    kept = ws / "model.previous"
    assert f"the model it replaced is kept in {kept}" in " ".join(again.stderr.split())
    assert json.loads((kept / "model.json").read_text())["model_version"] == first
    card = (ws / "model" / "MODEL_CARD.md").read_text(encoding="utf-8")
    # 21 notes: too few to spare a fifth, enough for a rough cross-validated measure
    assert re.search(rf"- Replaced model {first} \(sklearn, held-out macro-F1 \d\.\d{{3}}\), "
                     r"kept in `model.previous`", card)
    assert "5-fold cross-validation on the workspace's 21 labelled notes" in card


def test_a_category_learnt_from_few_examples_is_warned_of_and_its_tags_marked(
        tmp_path: Path) -> None:
    """A lead adds a category and labels a handful of notes: the model's tags in it came
    with high confidence, and leads trusted them. Every place a lead meets those tags now
    says the model learnt the category from few examples; a category with many, never."""
    ws = carers_workspace(tmp_path, ("respite", "money"), respite=40, money=8)
    unread = tmp_path / "u.csv"
    unread.write_text("id,text\nu1,Carer's allowance stopped three weeks ago\n"
                      "u2,No break in two years since my mum got ill\n", encoding="utf-8")
    insight("ingest", str(unread), "-w", str(ws))
    trained = " ".join(insight("train", "-w", str(ws)).stderr.split())
    [warned] = re.findall(r"learnt from fewer than 30 examples: (.*?)\. The model's tags", trained)
    assert warned == "money (8)" and "1 category learnt" in trained  # respite (40): not
    doc = json.loads((ws / "model" / "model.json").read_text(encoding="utf-8"))
    assert doc["metadata"]["label_counts"] == {"respite": 40, "money": 8}
    card = (ws / "model" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert re.search(r"\| money \| 8 \(few\) \|", card)
    assert re.search(r"\| respite \| 40 \|", card)
    assert "1 category learnt from fewer than 30 examples: money (8)." in " ".join(card.split())
    tagged = " ".join(insight("tag", "-w", str(ws)).stderr.split())
    assert "learnt from fewer than 30 examples: money (8)" in tagged

    # the queue lists the note tagged money however sure the model was, and says why; the
    # respite note, tagged as surely, waits for nothing
    queue = json.loads(insight("notes", "queue", "--below", "0", "-w", str(ws),
                               "-f", "json").stdout)
    assert [(row["note"], row["few_examples"]) for row in queue] == [("u1", "money")]
    shown = insight("notes", "show", "u1", "u2", "-w", str(ws)).stdout
    [money] = [line for line in shown.splitlines() if line.startswith("  [model] money")]
    assert money.endswith("(few examples: the model learnt money from 8 notes, so check it)")
    [respite] = [line for line in shown.splitlines() if line.startswith("  [model] respite")]
    assert "few examples" not in respite
    [as_json] = json.loads(insight("notes", "show", "u1", "-w", str(ws), "-f", "json").stdout)
    assert [t.get("few_examples") for t in as_json["tags"]] == [8]

    texts = tmp_path / "in.csv"
    texts.write_text("id,text\nx1,Carer's allowance stopped last month\n"
                     "x2,No break for years since dad got ill\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    classified = insight("classify", str(texts), "--out", str(out), "-w", str(ws))
    assert "fewer than 30 examples: money (8)" in " ".join(classified.stderr.split())
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(line["categories"], line["few_examples"]) for line in lines] == [
        (["money"], ["money"]), (["respite"], [])]

    # the reports' account of the model names it: with its count for the leads only
    for audience, said in (("lead", '"Money" (8 notes) from fewer than 30 labelled notes'),
                           ("commissioner", '"Money" from fewer than 30 labelled notes')):
        page = tmp_path / f"{audience}.html"
        insight("report", "--audience", audience, "--out", str(page), "-w", str(ws))
        text = " ".join(page.read_text(encoding="utf-8").replace("&#34;", '"').split())
        assert re.findall(r"The model learnt (.*?), so its tags there", text) == [said]


def test_a_count_resting_on_a_category_learnt_from_few_is_marked_and_a_weak_one_named(
        tmp_path: Path) -> None:
    """A commissioners' roll-up showed a category on 40% of notes with nothing beside the
    count: 112 of those tags were the model's, in a category it learnt from 9 notes; and
    training never said that its held-out check found categories it did not tag at all.
    Training names those categories; the roll-up and the report mark a count resting
    mostly on the model's tags in a category it learnt from few notes."""
    ws = carers_workspace(tmp_path, ("respite", "money", "rights"), respite=40, money=8)
    more = tmp_path / "more.csv"  # rights: on 3 notes worded as respite's are
    more.write_text("id,text,categories\n" + "".join(
        f"x{i},No break for {i} years since mum got ill,rights\n" for i in (40, 41, 42))
        + "".join(f"u{i},Carer's allowance stopped {i + 20} weeks ago,\n" for i in range(12)),
        encoding="utf-8")
    insight("ingest", str(more), "-w", str(ws))
    trained = " ".join(insight("train", "-w", str(ws)).stderr.split())
    assert re.findall(r"the model never tagged or scored an F1 below 0\.1 in (.*?)\. Its "
                      r"counts of it", trained) == [
        "1 category: rights (never tagged; 3 of those notes have it)"]
    insight("tag", "-w", str(ws))

    table = insight("rollup", "-w", str(ws)).stdout.splitlines()
    rows = {line.split()[0]: line.split()[1:3] for line in table[1:4]}
    assert rows["money"] == ["20", "*"]  # 8 labelled, 12 the model's
    assert "*" not in rows["respite"] and "*" not in rows["rights"]
    assert table[4:] == ["* money: mostly the model's tags; it learnt this category from 8 "
                         "notes: check before relying on it (`insight notes queue` lists the "
                         "notes the model tagged with it)",
                         "of 63 notes: shares are of all of them; 0 in no category; a note "
                         "can be in several categories"]
    for audience, money in (("lead", 8), ("commissioner", "<30")):
        shown = json.loads(insight("rollup", "--audience", audience, "-f", "json",
                                   "-w", str(ws)).stdout)
        assert {r["category"]: r["learnt_from_few"] for r in shown} == {
            "respite": None, "money": money, "rights": None}

    for audience, said in (("lead", "8 notes"), ("commissioner", "fewer than 30 labelled notes")):
        page = tmp_path / f"{audience}.html"
        insight("report", "--audience", audience, "--out", str(page), "-w", str(ws))
        html = page.read_text(encoding="utf-8").replace("&#39;", "'")
        assert html.count('<a href="#check-money"') == 1 and "#check-respite" not in html
        assert f'id="check-money">* Money: mostly the model\'s tags; it learnt this category ' \
            f"from {said}: check before relying on it, whatever confidence the model gave " \
            "its tags" in html
        insight("report", "--audience", audience, "--out", str(tmp_path / f"{audience}.csv"),
                "-w", str(ws))
        sheet = list(csv.DictReader((tmp_path / f"{audience}-categories.csv").open(
            encoding="utf-8")))
        assert [row["check"] for row in sheet] == [
            "", f"mostly the model's tags; it learnt this category from {said}: check before "
            "relying on it", ""]


def test_training_on_a_file_says_what_its_held_out_notes_found_and_the_ensembles_weight(
        tmp_path: Path) -> None:
    """`--backend spacy` scored half what scikit-learn did on a charity's notes, four
    categories never tagged on held-out notes, and training said nothing; `--backend
    ensemble` chose scikit-learn alone, said only in a JSON line of the card. Training on
    a file now says how the model did on the notes it held out, which categories it never
    tagged there, and which weight an ensemble chose and what it means."""
    data = tmp_path / "d.csv"
    data.write_text("text,codes\n" + "".join(
        f"No break for {i} years since mum got ill,respite\n" for i in range(70))
        + "".join(f"Carer's allowance stopped {i} weeks ago,money\n" for i in range(30))
        + "".join(f"No break for {i} years since mum got ill,rights\n" for i in (70, 71, 72)),
        encoding="utf-8")
    trained = insight("train", "--data", str(data), "--label-col", "codes", "--out",
                      str(tmp_path / "m"))
    assert re.search(r"-> \S+ \(macro-F1 \d\.\d\d on the 103 training notes, each scored by "
                     r"the model of 5-fold cross-validation that did not see it, where its "
                     r"thresholds were tuned, so a little flattering\)", trained.stdout)
    said = " ".join(trained.stderr.split())
    assert "checked on the 103 training notes, each scored by the model of 5-fold " \
        "cross-validation that did not see it, the model never tagged or scored an F1 below " \
        "0.1 in 1 category: rights (never tagged; 3 of those notes have it)" in said
    assert "ensemble" not in said

    ensemble = insight("train", "--data", str(data), "--label-col", "codes", "--backend",
                       "ensemble", "--out", str(tmp_path / "e"))
    settings = meta_of(tmp_path / "e")["settings"]
    scores = {float(w): v for w, v in settings["weight_scores"].items()}
    assert set(scores) == {0.5, 0.6, 0.7, 0.8, 0.9, 1.0} and settings["weighed_on"] == 21
    weight = settings["sklearn_weight"]
    said = " ".join(ensemble.stderr.split())
    if weight == 1.0:
        assert "ensemble: spaCy not used: it did no better on the 21 training notes spaCy " \
            f"held out (macro-F1 {scores[1.0]:.2f} with scikit-learn alone, " \
            f"{max(v for w, v in scores.items() if w < 1):.2f} at best with spaCy): its tags " \
            "are scikit-learn's alone, as `--backend sklearn` gives" in said
    else:
        assert f"ensemble: scores are {weight:.0%} scikit-learn's and {1 - weight:.0%} " \
            "spaCy's, the mix that did best on the 21 training notes spaCy held out " \
            f"(macro-F1 {scores[weight]:.2f}, against {scores[1.0]:.2f} for scikit-learn " \
            "alone)" in said


def test_a_category_renamed_in_the_codebook_keeps_its_labels_by_rename(tmp_path: Path) -> None:
    ws = carers_workspace(tmp_path, ("respite", "money"), respite=18, money=4)
    insight("insights", "add", "Allowance stops", "--category", "money", "--note", "m1",
            "-w", str(ws))
    own = ws / "carers.yaml"  # the workspace's copy is the one to edit
    own.write_text(own.read_text(encoding="utf-8").replace("id: money", "id: carers-money"),
                   encoding="utf-8")
    warned = " ".join(insight("rollup", "-w", str(ws)).stderr.split())
    assert "money (4 notes); they carry no other category, so they are in no category " \
        "count" in warned
    assert "`insight codebook rename OLD NEW`" in warned
    trained = " ".join(insight("train", "-w", str(ws)).stderr.split())
    assert "were not learnt from: money (4 notes)" in trained
    typo = insight("codebook", "rename", "money", "carer-money", "-w", str(ws), check=False)
    assert typo.returncode == 2 and "did you mean carers-money?" in " ".join(
        typo.stderr.replace("│", " ").split())
    still = insight("codebook", "rename", "respite", "carers-money", "-w", str(ws),
                    check=False)
    assert still.returncode == 2 and "still in the workspace's codebook" in " ".join(
        still.stderr.replace("│", " ").split())
    moved = insight("codebook", "rename", "money", "carers-money", "-w", str(ws))
    assert "moved from money to carers-money: 4 people's labels, 0 model tags, 1 insights" \
        in moved.stdout
    # a rename moves every tag: one used for a split is told how to undo it note by note
    assert "every note tagged money is now tagged carers-money" in moved.stdout
    assert ("if money was split rather than renamed, review the notes people labelled: "
            "`insight notes list --category carers-money --tagged-by person`") in " ".join(
                moved.stderr.split())
    # the note says the person gave the old category, and who renamed it
    shown = " ".join(insight("notes", "show", "m1", "-w", str(ws)).stdout.split())
    assert re.search(r"\[person\] carers-money +\(given as money; renamed by \S+ on ", shown)
    held = json.loads(insight("notes", "show", "m1", "-w", str(ws), "-f", "json").stdout)
    assert held[0]["renamed_labels"]["carers-money"]["from"] == "money"
    told = " ".join(insight("codebook", "rename", "--help").stdout.replace("│", " ").split())
    assert "every tag on OLD then moves to NEW" in told
    assert "Not for a split" in told and "insight notes list --category OLD" in told
    rollup = json.loads(insight("rollup", "-w", str(ws), "-f", "json").stdout)
    assert {r["category"]: r["notes"] for r in rollup}["carers-money"] == 4
    retrained = " ".join(insight("train", "-w", str(ws)).stderr.split())
    assert "not learnt from" not in retrained and "carers-money (4)" in retrained
    with Store.open(open_workspace(ws).db_url, create=False) as store:
        assert [i["categories"] for i in load_thread(store).insights.values()] == [
            ["carers-money"]]


def test_rollup_and_report_say_which_notes_a_retired_category_leaves_in_no_count(
    tmp_path: Path,
) -> None:
    """Blind audit: after `money` left the codebook, `rollup` and `report` warned that
    every note tagged with it was "in no count", though those also tagged respite still
    counted under respite."""
    ws = carers_workspace(tmp_path, ("respite", "money"), respite=6, money=3)
    both = tmp_path / "both.csv"
    both.write_text("id,text,categories\n" + "".join(
        f"b{i},No break and no allowance for {i} years,respite; money\n" for i in range(2)),
        encoding="utf-8")
    insight("ingest", str(both), "-w", str(ws))
    own = ws / "carers.yaml"
    own.write_text("".join(line for line in own.read_text(encoding="utf-8").splitlines(
        keepends=True) if "id: money" not in line), encoding="utf-8")
    said = ("money (5 notes); 3 of them carry no other category, so they are in no category "
            "count; the other 2 are counted under their current categories only")
    for run in (insight("rollup", "-w", str(ws)),
                insight("report", "-w", str(ws), "--out", str(tmp_path / "r.html"))):
        warned = " ".join(run.stderr.split())
        assert said in warned
        assert "in no count" not in warned


def test_notes_of_a_retired_category_are_found_and_reviewed(tmp_path: Path) -> None:
    """Blind audit: a lead moved the workspace to a codebook without `money`; reviewing a
    note labelled money failed over a category they never typed, and `notes list
    --category money` refused to find the notes left tagged with it."""
    ws = carers_workspace(tmp_path, ("respite", "money"), respite=12, money=12)
    unread = tmp_path / "u.csv"
    unread.write_text("id,text\nu1,Carer's allowance stopped last month\n"
                      "u2,No break for years since dad got ill\n", encoding="utf-8")
    insight("ingest", str(unread), "-w", str(ws))
    insight("train", "-w", str(ws))
    insight("tag", "-w", str(ws))
    queued = insight("notes", "queue", "--category", "money", "--below", "1", "-w", str(ws),
                     "-f", "json").stdout
    assert [row["note"] for row in json.loads(queued)] == ["u1"]
    insight("notes", "review", "m0", "--category", "money", "--category", "respite",
            "-w", str(ws))
    (ws / "carers.yaml").write_text(
        "name: Carers\nversion: '2'\ncategories:\n"
        f"  - {{id: respite, name: Respite, description: {CARERS['respite']}}}\n"
        "  - {id: housing, name: Housing, description: Homes and rent}\n", encoding="utf-8")
    listed = insight("notes", "list", "--category", "money", "-w", str(ws), "-f", "csv")
    assert sorted(r["note"] for r in csv.DictReader(listed.stdout.splitlines())) == sorted(
        [f"m{i}" for i in range(12)] + ["u1"])
    said = " ".join(listed.stderr.split())
    assert "money is not in the workspace's codebook (version 2): 13 notes are still " \
        "tagged with it, in no count under it" in said
    assert "insight notes review ID --drop money --add CATEGORY" in said
    queued = insight("notes", "queue", "--category", "money", "--below", "1", "-w", str(ws),
                     "-f", "json")
    assert [row["note"] for row in json.loads(queued.stdout)] == ["u1"]
    typo = insight("notes", "list", "--category", "mony", "-w", str(ws), check=False)
    assert typo.returncode == 2 and "did you mean 'money'?" in " ".join(
        typo.stderr.replace("│", " ").split())
    # carried along by --add/--drop, the retired label is dropped, and the lead told so
    changed = insight("notes", "review", "m0", "--drop", "respite", "--add", "housing",
                      "-w", str(ws))
    assert changed.stdout == "m0: housing (reviewed)\n"
    assert "money is no longer in the codebook: dropped from this note's categories" in \
        " ".join(changed.stderr.split())
    dropped = insight("notes", "review", "m1", "--drop", "money", "--add", "housing",
                      "-w", str(ws))
    assert dropped.stdout == "m1: housing (reviewed)\n" and "no longer" not in dropped.stderr
    accepted = insight("notes", "review", "u2", "--accept", "-w", str(ws))
    assert accepted.stdout == "u2: respite (reviewed)\n"
    gone = insight("notes", "review", "u1", "--accept", "-w", str(ws), check=False)
    assert gone.returncode == 1 and "no longer in the codebook" in gone.stderr
    typed = insight("notes", "review", "m2", "--category", "money", "-w", str(ws), check=False)
    assert typed.returncode != 0 and "unknown category id(s): money" in typed.stderr
    left = insight("notes", "list", "--category", "money", "-w", str(ws), "-f", "csv").stdout
    assert len(list(csv.DictReader(left.splitlines()))) == 11


def test_an_insight_on_a_category_split_from_the_codebook_is_corrected_in_place(
        tmp_path: Path) -> None:
    """Blind audit: `insights update I7 --category X` did not exist, so an insight on a
    category the codebook split could only be made again and merged; and reports named the
    gone category by its bare id, with no check saying so."""
    ws = carers_workspace(tmp_path, ("respite", "money"), respite=6, money=6)
    insight("insights", "add", "Allowance stops", "--category", "money", "--note", "m1",
            "--note", "m2", "-w", str(ws))
    insight("priorities", "add", "Money worries", "--insight", "I1", "-w", str(ws))
    (ws / "carers.yaml").write_text(
        "name: Carers\nversion: '2'\ncategories:\n"
        f"  - {{id: respite, name: Respite, description: {CARERS['respite']}}}\n"
        "  - {id: allowance, name: Carers allowance, description: benefits}\n"
        "  - {id: housing, name: Housing, description: Homes and rent}\n", encoding="utf-8")
    out = tmp_path / "lead.html"
    insight("report", "--audience", "lead", "--out", str(out), "-w", str(ws))
    page = " ".join(out.read_text(encoding="utf-8").replace("&#39;", "'").split())
    assert "about: money (no longer in the codebook)" in page
    assert "insight I1 is about money, no longer in the codebook" in page
    assert "insight insights update I1 --category ID" in page
    typo = insight("insights", "update", "I1", "--category", "alowance", "-w", str(ws),
                   check=False)
    assert typo.returncode != 0 and "alowance (did you mean allowance?)" in typo.stderr
    done = insight("insights", "update", "I1", "--category", "allowance", "--category",
                   "housing", "-w", str(ws))
    assert done.stdout == "I1: updated categories\n"
    with Store.open(open_workspace(ws).db_url, create=False) as store:
        assert load_thread(store).insights[1]["categories"] == ["allowance", "housing"]
    audit = insight("audit", "--record", "I1", "-w", str(ws), "-f", "json").stdout
    [change] = [e for e in json.loads(audit) if e["operation"] == "update"]
    assert change["before"]["categories"] == ["money"]
    assert change["after"]["categories"] == ["allowance", "housing"]
    insight("report", "--audience", "lead", "--out", str(out), "-w", str(ws))
    page = " ".join(out.read_text(encoding="utf-8").split())
    assert "no longer in the codebook" not in page
    assert "about: Carers allowance, Housing" in page
    insight("insights", "update", "I1", "--category", "none", "-w", str(ws))
    with Store.open(open_workspace(ws).db_url, create=False) as store:
        assert load_thread(store).insights[1]["categories"] == []


def test_tag_and_classify_warn_of_categories_the_model_cannot_tag(tmp_path: Path) -> None:
    """A codebook changed after training: its new categories would show no notes."""
    ws = carers_workspace(tmp_path, ("respite", "money"), respite=12, money=12)
    book = ws / "carers.yaml"  # the workspace's own copy is the one that changes

    def write_book(version: str, *categories: str) -> None:
        book.write_text(f"name: Carers\nversion: '{version}'\ncategories:\n" + "".join(
            f"  - {{id: {c}, name: {c.title()}, description: {c}}}\n" for c in categories),
            encoding="utf-8")

    insight("train", "-w", str(ws))
    # the model fits the codebook: its one warning is that it learnt both from 12 notes
    version = json.loads((ws / "model" / "model.json").read_text())["model_version"]
    few = f"warning: model {version}: 2 categories learnt from fewer than 30 examples"
    tagged = insight("tag", "-w", str(ws)).stderr
    assert tagged.count("warning") == 1 and few in tagged
    texts = tmp_path / "in.csv"
    texts.write_text("id,text\nx1,No break since March.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    fits = insight("classify", str(texts), "--out", str(out), "-w", str(ws))
    assert fits.stderr.count("warning") == 1 and few in fits.stderr
    assert f"using the model of workspace {ws}" in " ".join(fits.stderr.split())
    write_book("2", "respite", "money", "housing")  # a category added since training
    gained = insight("tag", "-w", str(ws), "--model", str(ws / "model"), "--retag")
    assert "tagged 24 notes" in gained.stdout
    assert ("cannot tag the codebook's category housing (it was trained on codebook carers "
            "version 1; the workspace's is version 2), so no note gets it from the model; "
            "train one on the workspace's codebook (`insight train`)") \
        in " ".join(gained.stderr.split())
    write_book("3", "respite", "allowance", "housing")  # money renamed, housing added
    renamed = " ".join(insight("classify", str(texts), "--out", str(out), "-w", str(ws))
                       .stderr.split())
    assert "tags categories that are not in this workspace's codebook: money" in renamed
    assert "cannot tag the codebook's categories allowance, housing" in renamed
    assert json.loads(out.read_text())["id"] == "x1"  # still written: nothing is stored
    write_book("4", "respite", "allowance", "housing")
    refused = insight("tag", "-w", str(ws), "--model", str(ws / "model"), check=False)
    said = " ".join(refused.stderr.split())
    assert refused.returncode != 0
    # a category gone beside ones come is most often a rename: its tags move first
    assert ("if the codebook renamed money, first carry its notes' tags over (`insight "
            "codebook rename money NEW`)") in said


def test_the_thread_warns_where_the_community_page_would_contradict_itself(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    insight("actions", "add", "Walk-in centre", "-w", str(ws))
    insight("actions", "add", "Lunch club", "--status", "done", "--status-on", "2026-05-20",
            "-w", str(ws))
    insight("actions", "status", "A1", "declined", "--reason", "No budget", "-w", str(ws))
    declined = insight("outcomes", "add", "A1", "Calls started", "-w", str(ws))
    assert "A1 is declined" in " ".join(declined.stderr.split())
    insight("outcomes", "add", "A2", "Club funded", "--fed-back-on", "2026-06-01", "-w", str(ws))
    back = insight("actions", "status", "A2", "proposed", "-w", str(ws))
    assert "A2 was done and 1 of its outcomes were fed back" in " ".join(back.stderr.split())
    # fed back before a status taken back as a mistake: people never heard it was done
    insight("actions", "add", "Bus pass help", "--status", "in progress", "--status-on",
            "2026-05-01", "-w", str(ws))
    insight("outcomes", "add", "A3", "Ten passes so far", "--fed-back-on", "2026-06-01",
            "-w", str(ws))
    insight("actions", "status", "A3", "done", "--on", "2026-06-10", "-w", str(ws))
    mistake = insight("actions", "status", "A3", "--undo", "-w", str(ws))
    assert "fed back" not in mistake.stderr
    reopened = insight("actions", "status", "A1", "in progress", "-w", str(ws))
    assert ("A1 was declined and is now in progress: the reports stop showing why it was "
            "declined; say what changed with --reason") in " ".join(reopened.stderr.split())
    insight("actions", "status", "A1", "declined", "--reason", "No budget", "-w", str(ws))
    said = insight("actions", "status", "A1", "agreed", "--reason", "Budget found", "-w", str(ws))
    assert "was declined" not in said.stderr
    blank = insight("priorities", "add", "  ", "-w", str(ws), check=False)
    assert blank.returncode == 1 and "title cannot be blank" in blank.stderr
    bad_status = insight("actions", "status", "A2", "finished", "-w", str(ws), check=False)
    assert bad_status.returncode == 2 and "unknown action status" in bad_status.stderr
    bad_ref = insight("actions", "status", "A-1", "done", "-w", str(ws), check=False)
    assert bad_ref.returncode == 2 and "is not an action reference" in bad_ref.stderr
    insight("priorities", "add", "Somewhere to go", "-w", str(ws))
    insight("actions", "link", "A2", "P1", "-w", str(ws))
    deleted = insight("priorities", "delete", "P1", "--yes", "-w", str(ws))
    said = " ".join(deleted.stderr.split())
    assert "deleting P1 leaves: action A2 responds to no priority" in said
    assert "`insight priorities undelete P1` brings it back" in deleted.stdout
    back = insight("priorities", "undelete", "p1", "-w", str(ws))
    assert ("brought back P1 and 1 of what its deletion took (links to insights and actions)"
            in back.stdout)
    again = insight("priorities", "undelete", "P1", "-w", str(ws), check=False)
    assert again.returncode == 1 and "P1 is not deleted" in again.stderr


def test_a_lead_pins_and_leaves_out_quotes_from_the_cli(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    notes = tmp_path / "n.csv"
    rows = [f'q{i},"\'The wait felt {word},\' she said.",yes,access-waiting,no'
            for i, word in enumerate(["endless", "cruel", "lonely", "silent", "grey"], 1)]
    rows += ['quiet,"\'The wait felt private,\' she said.",no,access-waiting,no',
             'worry,"\'The wait felt dangerous,\' she said.",yes,access-waiting,yes',
             'apart,"Not about waiting.",yes,access-waiting,no',
             'ring,"\'Ring me on 07700 900123 any time,\' she said.",yes,access-waiting,no']
    notes.write_text("id,text,consent_quote,categories,safeguarding\n" + "\n".join(rows) + "\n",
                     encoding="utf-8")
    insight("ingest", str(notes), "-w", str(ws))
    evidence = [f"--note=q{i}" for i in range(1, 6)] + ["--note=quiet", "--note=worry"]
    insight("insights", "add", "Waiting", "--category", "access-waiting", *evidence,
            "-w", str(ws))
    insight("priorities", "add", "No one waits alone", "--insight", "I1", "-w", str(ws))

    pinned = insight("insights", "quote", "I1", "q4", "--pin", "-w", str(ws))
    assert pinned.stdout.strip() == ("I1: note q4 pinned (pins are quoted before other "
                                     "notes, in the order pinned: this is pin 1 of 1)")
    assert pinned.stderr == ""
    left = insight("insights", "quote", "I1", "q1", "--leave-out", "-w", str(ws))
    assert "I1: note q1 left out of quoting" in left.stdout
    # recorded, but not quoted: said why, never with the note's words
    for note_id, why in (("quiet", "did not agree to be quoted"), ("worry", "safeguarding")):
        done = insight("insights", "quote", "I1", note_id, "--pin", "-w", str(ws))
        assert f"I1: note {note_id} pinned" in done.stdout
        assert f"note {note_id} will not be quoted: " in done.stderr and why in done.stderr
        assert "felt" not in done.stdout + done.stderr
    assert "a report quotes at most 2" in done.stderr  # three pins, two quotes
    again = insight("insights", "quote", "I1", "q4", "--pin", "-w", str(ws))
    assert "I1: note q4 was already pinned" in again.stdout

    listed = insight("insights", "list", "-f", "json", "-w", str(ws))
    [row] = json.loads(listed.stdout)
    assert row["pinned"] == "q4,quiet,worry" and row["left_out"] == "q1"
    # pins no report will quote are marked, with why (never the note's words)
    assert row["not_quotable"].startswith("quiet: the person did not agree to be quoted")
    assert "; worry: " in row["not_quotable"] and "safeguarding" in row["not_quotable"]
    assert "q4" not in row["not_quotable"] and "felt" not in row["not_quotable"]

    insight("report", "--audience", "lead", "--out", str(tmp_path / "lead.html"), "-w", str(ws))
    html = (tmp_path / "lead.html").read_text(encoding="utf-8")
    assert "felt silent" in html and "pinned by a lead" in html and "felt endless" not in html
    assert "1 note left out of quoting" in html and "felt private" not in html
    insight("report", "--out", str(tmp_path / "c.html"), "-w", str(ws))
    commissioner = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert "felt silent" in commissioner and "felt endless" not in commissioner
    assert "pinned by a lead" not in commissioner and "dangerous" not in commissioner

    trail = insight("audit", "--record", "I1", "-f", "json", "-w", str(ws))
    choices = [e for e in json.loads(trail.stdout) if e["record_type"] == "insight_quotes"]
    assert [(e["record"], e["actor"]) for e in choices][:2] == [
        ("I1 -> q4", "cli-tester"), ("I1 -> q1", "cli-tester")
    ]

    cleared = insight("insights", "quote", "I1", "q1", "--clear", "-w", str(ws))
    assert "I1: note q1 is no longer left out" in cleared.stdout
    nothing = insight("insights", "quote", "I1", "q1", "--clear", "-w", str(ws))
    assert "nothing to clear" in nothing.stdout

    for args, message in (
        (("I1", "apart", "--pin"), "apart is not evidence for I1"),
        (("I1", "nope", "--leave-out"), "no note 'nope'"),
        (("I9", "q2", "--pin"), "no insight I9"),
        (("I1", "q2"), "give one of --pin, --leave-out or --clear"),
        (("I1", "q2", "--pin", "--clear"), "give one of --pin, --leave-out or --clear"),
    ):
        failed = insight("insights", "quote", *args, "-w", str(ws), check=False)
        assert failed.returncode == 2, (args, failed.stderr)
        assert message in failed.stderr, (args, failed.stderr)
    assert "Traceback" not in failed.stderr

    insight("insights", "unlink", "I1", "q4", "-w", str(ws))  # the pin goes with the link
    [row] = json.loads(insight("insights", "list", "-f", "json", "-w", str(ws)).stdout)
    assert row["pinned"] == "quiet,worry" and row["left_out"] == ""

    # what would leave the community page with no quote is said when the pin is made
    insight("insights", "link", "I1", "apart", "-w", str(ws))
    unquoted = insight("insights", "quote", "I1", "apart", "--pin", "-w", str(ws))
    assert ("note apart has no words in quote marks that can be quoted (none, or only words "
            "with contact details in them), and the community page quotes only a person's "
            "own words" in " ".join(unquoted.stderr.split()))
    assert "Not about" not in unquoted.stderr  # never the note's words
    # words in quote marks that give out a phone number are not quoted either: said so too
    insight("insights", "link", "I1", "ring", "-w", str(ws))
    phone = insight("insights", "quote", "I1", "ring", "--pin", "-w", str(ws))
    assert "note ring has no words in quote marks that can be quoted" in " ".join(
        phone.stderr.split())
    assert "07700" not in phone.stderr
    insight("insights", "quote", "I1", "ring", "--clear", "-w", str(ws))
    insight("insights", "unlink", "I1", "ring", "-w", str(ws))
    insight("insights", "add", "Waiting, again", "--category", "access-waiting",
            "--note=apart", "-w", str(ws))
    twice = insight("insights", "quote", "I2", "apart", "--pin", "-w", str(ws))
    assert ("note apart is pinned for I1 too: a report quotes a note once"
            in " ".join(twice.stderr.split()))


def test_pinning_a_note_the_software_holds_back_says_so_and_asks_for_a_check(
        tmp_path: Path) -> None:
    """A lead's audit: pinning a note whose words may speak of a risk the flag did not
    raise quoted it to commissioners with no word. The pin still stands (a person read
    it), but the command says why the software held it back and asks for a check."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    notes = tmp_path / "n.csv"
    notes.write_text(
        "id,text,consent_quote,categories\n"
        "calm,\"'The clinic rang me back within a week,' she said.\",yes,access-waiting\n"
        "bleak,\"'What is the point of ringing them any more,' he said.\",yes,access-waiting\n"
        "scored,\"'Nobody has rung me since the summer,' she said.\",yes,access-waiting\n"
        + "".join(f"w{i},\"'I waited {i + 2} months for a call,' she said.\",yes,"
                  "access-waiting\n" for i in range(2)),
        encoding="utf-8")
    insight("ingest", str(notes), "-w", str(ws))
    with Store.open(open_workspace(ws).db_url, create=False) as store:
        store.save_model_tags(
            [ModelTagging(n, {"access-waiting": 0.9}, ["access-waiting"], {}, False,
                          "negative", safeguarding_score=score, safeguarding_threshold=0.18)
             for n, score in (("calm", 0.02), ("bleak", 0.03), ("scored", 0.12),
                              ("w0", 0.01), ("w1", 0.01))],
            model_version="m1", codebook_version="1")
    insight("insights", "add", "Waiting", "--category", "access-waiting", "--note=calm",
            "--note=bleak", "--note=scored", "--note=w0", "--note=w1", "-w", str(ws))

    plain = insight("insights", "quote", "I1", "calm", "--pin", "-w", str(ws))
    assert plain.stderr == ""
    for note_id, why in (("bleak", "the phrase list's words (hopelessness)"),
                         ("scored", "the safeguarding classifier scored it 0.12")):
        pinned = insight("insights", "quote", "I1", note_id, "--pin", "-w", str(ws))
        assert f"I1: note {note_id} pinned" in pinned.stdout  # the pin still stands
        said = " ".join(pinned.stderr.split())
        assert (f"note {note_id} is held back from the quotes the software picks, as its "
                "words may speak of a risk the safeguarding flag did not raise") in said
        assert why in said
        assert f"read it again before the report goes out (`insight notes show {note_id}`)" \
            in said and f"insight safeguarding add {note_id}" in said
        assert "point" not in said and "summer" not in said  # never the note's words
    listed = json.loads(insight("insights", "list", "-f", "json", "-w", str(ws)).stdout)
    assert listed[0]["pinned"] == "calm,bleak,scored"


def test_report_compares_who_was_heard_with_the_declared_population(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    config = ws / "insight.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[population]\nsource = '
                      '"Census 2021, Leeds"\n"carers" = 10\n"Bangladeshi" = 3\n',
                      encoding="utf-8")
    notes = tmp_path / "n.jsonl"
    notes.write_text("".join(json.dumps({"id": f"c{i}", "text": f"Carers group {i}.",
                                         "community": ["carers"]}) + "\n" for i in range(8))
                     + "".join(json.dumps({"id": f"u{i}", "text": f"Bus stop chat {i}."}) + "\n"
                               for i in range(6)),
                     encoding="utf-8")
    insight("ingest", str(notes), "-w", str(ws))
    out = tmp_path / "r.html"
    insight("report", "--out", str(out), "-w", str(ws))
    html = " ".join(out.read_text(encoding="utf-8").split())
    assert "Compared with who lives here" in html and "(Census 2021, Leeds)" in html
    # the shares are of all 14 notes; 6 name no community (43%, said to within 10%)
    assert "Between 40% and 50% of the notes name no community: they count in no row" in html
    insight("report", "--audience", "lead", "--out", str(out), "-w", str(ws))
    lead = " ".join(out.read_text(encoding="utf-8").split())
    assert "8 of 14 notes name a community; the 6 that name none count in no row" in lead
    insight("report", "--out", str(out), "-w", str(ws))
    assert "Bangladeshi</th><td class=\"num\">3.0%</td>" in html
    assert "fewer than 5 notes: too few to compare" in html
    # the table names communities few notes come from: the text above it says why
    assert "lists every community of the local population, whether heard or not" in html
    broken = config.read_text(encoding="utf-8").replace('"carers" = 10', '"carers" = "lots"')
    config.write_text(broken, encoding="utf-8")
    refused = insight("report", "--out", str(out), "-w", str(ws), check=False)
    assert refused.returncode == 1 and "give the community's percent" in " ".join(
        refused.stderr.split())


def test_report_as_a_workbook_or_csv_files(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    notes = tmp_path / "notes.jsonl"
    notes.write_text("".join(json.dumps({"id": f"n{i}", "text": f"Waited months {i}.",
                                         "categories": ["access-waiting"]}) + "\n"
                             for i in range(6)), encoding="utf-8")
    insight("ingest", str(notes), "-w", str(ws))
    book = tmp_path / "out" / "influence.xlsx"
    written = insight("report", "--out", str(book), "-w", str(ws))
    assert f"report written to {book}" in written.stdout and book.stat().st_size > 0
    csvs = insight("report", "--out", str(tmp_path / "r.csv"), "-w", str(ws))
    assert csvs.stdout.count("report written to") == 7  # a file per table, "changes" too
    assert (tmp_path / "r-categories.csv").read_text(encoding="utf-8-sig").startswith(
        "name,notes,share")
    refused = insight("report", "--out", str(tmp_path / "r.pdf"), "-w", str(ws), check=False)
    assert refused.returncode == 2 and ".html, .xlsx, .csv" in " ".join(refused.stderr.split())
    assert not (tmp_path / "r.pdf").exists()


def test_involvement_options_in_the_words_the_help_uses(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    insight("actions", "add", "Peer panel", "-w", str(ws))
    said = insight("actions", "involve", "A1", "--mode", " ACTIVE ", "--continuity", "one-off",
                   "--how", "Sarah Jones chairs it, 07700 900123", "-w", str(ws))
    assert "A1: people with lived experience took part, active and isolated" in said.stdout
    assert ("warning: A1 how holds personal details (PERSON, PHONE); shown redacted outside "
            "the leads' view, but redaction can miss a name: write roles, not names"
            in " ".join(said.stderr.split()))
    reworded = insight("actions", "involve", "A1", "--how", "peers chair it", "-w", str(ws))
    assert "active and isolated" in reworded.stdout and not reworded.stderr
    moved = insight("actions", "involve", "A1", "--continuity", "ongoing", "-w", str(ws))
    assert "active and embedded" in moved.stdout
    listed = json.loads(insight("actions", "list", "-w", str(ws), "-f", "json").stdout)
    assert listed[0]["involvement"] == "active, embedded"
    insight("actions", "add", "Leaflet", "-w", str(ws))
    nothing = insight("actions", "involve", "A2", "--how", "x", "-w", str(ws), check=False)
    assert nothing.returncode == 2 and "nothing is recorded for A2" in " ".join(
        nothing.stderr.split())
    community = insight("report", "--audience", "community", "--out", str(tmp_path / "c.xlsx"),
                        "-w", str(ws), check=False)
    assert community.returncode == 2 and "plain words" in " ".join(community.stderr.split())


def test_leads_words_naming_a_small_group_are_warned_of_where_written_and_at_report(
    tmp_path: Path,
) -> None:
    rows = [{"id": f"s{i}", "text": f"Waited months {i}.", "place": "Leeds",
             "community": ["Somali"]} for i in range(6)]
    rows += [{"id": "k1", "text": "Waited a year.", "place": "Kendal", "community": ["Afghan"]}]
    ws = workspace_with(tmp_path, rows)

    def warned(result: subprocess.CompletedProcess) -> str:
        return " ".join(result.stderr.split())

    broad = insight("insights", "add", "Somali families in Leeds wait months", "-w", str(ws))
    assert "warning" not in broad.stderr  # six notes: not a small group
    said = insight("insights", "add", "Afghan families wait", "--summary",
                   "Heard in Kendal.", "-w", str(ws))
    assert ("I2 title names 'Afghan', a community fewer than 5 notes come from"
            in warned(said))
    assert "I2 summary names 'Kendal', a place fewer than 5 notes come from" in warned(said)
    insight("actions", "add", "Peer panel", "-w", str(ws))
    involved = insight("actions", "involve", "A1", "--mode", "active", "--continuity",
                       "embedded", "--how", "two Afghan mums joined", "-w", str(ws))
    assert "A1 how names 'Afghan'" in warned(involved)
    updated = insight("insights", "update", "I2", "--title", "Families wait", "-w", str(ws))
    assert "title names" not in warned(updated)

    out = tmp_path / "c.html"
    report = insight("report", "--out", str(out), "-w", str(ws))
    assert "I2 summary names 'Kendal'" in warned(report)
    assert "A1 how names 'Afghan'" in warned(report)
    assert "names 'Kendal'" not in out.read_text(encoding="utf-8")  # a warning, not content
    lead = tmp_path / "l.html"
    insight("report", "--audience", "lead", "--out", str(lead), "-w", str(ws))
    checks = " ".join(lead.read_text(encoding="utf-8").split())
    assert "I2 summary names &#39;Kendal&#39;" in checks


def test_ingest_reads_columns_named_on_the_command_line(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    notes = tmp_path / "log.csv"
    notes.write_text("Ref,What was said,Village,Who (group),Themes\n"
                     "r1,Waited a year.,Holt,carers,Access waiting\n", encoding="utf-8")
    done = insight("ingest", str(notes), "-w", str(ws), "--text-col", "What was said",
                   "--column", "id=Ref", "--column", "place=Village", "--column",
                   "community=Who (group)", "--column", "categories=Themes")
    assert "accepted 1, rejected 0" in done.stdout
    shown = insight("notes", "show", "r1", "-w", str(ws)).stdout
    assert "Holt" in shown and "community: carers" in shown
    assert "[person] access-waiting" in shown
    for bad, message in ((["--column", "Village"], "give FIELD=COLUMN"),
                         (["--column", "town=Village"], "'town' is not a note field"),
                         (["--column", "text=What was said"], "named with --text-col")):
        refused = insight("ingest", str(notes), "-w", str(ws), *bad, check=False)
        assert refused.returncode == 2 and message in " ".join(refused.stderr.split())
    # blind ingest audit: a second --text-col silently won and the notes' column was dropped
    twice = insight("ingest", str(notes), "-w", str(ws), "--text-col", "What was said",
                    "--text-col", "Themes", check=False)
    assert twice.returncode == 2 and "accepted" not in twice.stdout
    said = " ".join(twice.stderr.replace("│", " ").split())
    assert "--text-col names the one column that holds the notes, and was given twice " \
        "('What was said', 'Themes'): give it once" in said


def test_a_lead_routes_a_missed_concern_to_the_queue_and_it_is_never_quoted(
    tmp_path: Path,
) -> None:
    rows = [{"id": f"w{i}", "text": f"I won't be around for the follow up anyway, week {i}.",
             "categories": ["access-waiting"], "consent_quote": True} for i in range(6)]
    ws = workspace_with(tmp_path, rows, "--no-screen")
    insight("insights", "add", "Waiting", "--note", "w0", "--note", "w1", "--note", "w2",
            "--note", "w3", "--note", "w4", "--note", "w5", "-w", str(ws))
    insight("priorities", "add", "No one waits alone", "--insight", "I1", "-w", str(ws))
    insight("insights", "quote", "I1", "w0", "--pin", "-w", str(ws))
    added = insight("safeguarding", "add", "w0", "--reason", "may not be around: ask today",
                    "-w", str(ws))
    assert "w0 routed to the safeguarding queue as item 1" in added.stdout
    queue = json.loads(insight("safeguarding", "list", "-w", str(ws), "-f", "json").stdout)
    assert [(i["note"], i["reason"]) for i in queue] == [
        ("w0", "raised by a person: may not be around: ask today")]
    again = insight("safeguarding", "add", "w0", "--reason", "again", "-w", str(ws))
    assert "already in the queue as item 1" in again.stdout
    out = tmp_path / "c.html"
    insight("report", "--audience", "community", "--out", str(out), "-w", str(ws))
    assert "week 0" not in out.read_text(encoding="utf-8")  # the pin gives way to the flag
    for bad, code in ((["zz", "--reason", "x"], 2), (["w1", "--reason", " "], 2)):
        refused = insight("safeguarding", "add", *bad, "-w", str(ws), check=False)
        assert refused.returncode == code, refused.stderr
    # the phrase list flagged a note first: a lead's concern about it is still recorded,
    # and outlives the flag being judged a false alarm
    screened = tmp_path / "s.jsonl"
    screened.write_text(json.dumps({"id": "s1", "text": "Said she wants to end it all when "
                                    "the form comes.", "consent_quote": True}) + "\n")
    insight("ingest", str(screened), "-w", str(ws))
    [flag] = [i for i in json.loads(insight("safeguarding", "list", "-w", str(ws), "-f",
                                            "json").stdout) if i["note"] == "s1"]
    lead = insight("safeguarding", "add", "s1", "--reason", "young carer", "-w", str(ws))
    said = " ".join(lead.stdout.split())
    assert f"(item {flag['item']}, raised by the flag, is open too;" in said
    judged = insight("safeguarding", "ack", str(flag["item"]), "--not-a-concern", "--note",
                     "a figure of speech", "-w", str(ws))
    assert "s1 still raises a concern" in " ".join(judged.stdout.split())


def test_a_leads_words_holding_personal_details_or_a_note_id_are_warned_of(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    notes = tmp_path / "n.csv"
    notes.write_text("id,text\nBK-065,The bus is every two hours.\n", encoding="utf-8")
    insight("ingest", str(notes), "-w", str(ws))
    added = insight("actions", "add", "Ask for a later bus", "--owner",
                    "Dr Helen Marsh, transport lead", "-w", str(ws))
    assert ("A1 owner holds personal details (PERSON); commissioners read it as written, "
            "and the community page with the name taken out") in " ".join(added.stderr.split())
    said = insight("outcomes", "add", "A1", "Later bus from May",
                   "--evidence", "Note BK-065 and what Sarah Jones told us", "-w", str(ws))
    shown = " ".join(said.stderr.split())
    assert ("O1 evidence holds personal details (PERSON); commissioners and the community "
            "read it as written: take it out") in shown
    assert "O1 evidence names note BK-065: a note's id points into the listeners' files" in shown
    # again at the report, on stderr (never in a report outside the leads' view) ...
    report = insight("report", "--out", str(tmp_path / "r.html"), "-w", str(ws))
    assert "O1 evidence names note BK-065" in " ".join(report.stderr.split())
    # ... and under the leads' thread checks
    insight("report", "--audience", "lead", "--out", str(tmp_path / "l.html"), "-w", str(ws))
    lead = " ".join((tmp_path / "l.html").read_text(encoding="utf-8").split())
    assert "O1 evidence names note BK-065" in lead


def test_ingest_reads_dates_the_way_it_is_told(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    notes = tmp_path / "n.csv"
    notes.write_text("id,text,heard_on\nd1,Waited months.,03/04/2025\n", encoding="utf-8")
    wrong = insight("ingest", str(notes), "--dates", "US", "-w", str(ws), check=False)
    said = " ".join(wrong.stderr.replace("│", " ").split())
    assert wrong.returncode == 2 and "auto, day-first, month-first" in said
    assert "unknown date order 'US' (did you mean 'month-first'?)" in said
    insight("ingest", str(notes), "--dates", "Month-First", "-w", str(ws))
    shown = insight("notes", "show", "d1", "-w", str(ws)).stdout
    assert shown.startswith("d1 · 2025-03-04")


def test_quarantine_export_to_a_workbook_names_the_rows_too_long_for_it(
    tmp_path: Path
) -> None:
    """A note longer than a workbook cell was cut short in the .xlsx without a word: it is
    left out, named with its column, and the .jsonl export that holds it whole is given."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    long_note = "She spoke about the wait and the calls that never came. " * 600
    form = tmp_path / "form.csv"
    form.write_text("id,heard_on,text\n"
                    f"k1,2025-03-04,{long_note}\n"
                    "k2,31/02/2025,The crisis line put me on hold for an hour.\n",
                    encoding="utf-8")
    insight("ingest", "-w", str(ws), "--no-screen", str(form), check=False)
    out = tmp_path / "fix.xlsx"
    exported = insight("quarantine", "export", "--out", str(out), "-w", str(ws))
    said = " ".join(exported.stderr.split())
    assert "warning: 1 row left out of the workbook, as it holds a cell longer than a " \
        "workbook cell holds (32,767 characters" in said
    assert "form.csv line 2 (text). It stays to fix: `insight quarantine export --out " \
        "fix.jsonl` writes every row to fix whole" in said
    assert long_note[:40] not in exported.stderr + exported.stdout  # no note's words
    assert f"wrote 1 row to fix to {out}" in exported.stdout
    whole = tmp_path / "fix.jsonl"
    insight("quarantine", "export", "--out", str(whole), "-w", str(ws))
    assert json.loads(whole.read_text(encoding="utf-8").splitlines()[0])["text"] == long_note
    # with the other row fixed, no row to fix fits a workbook: nothing written, and said
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("id,heard_on,text\nk2,28/02/2025,The crisis line put me on hold for an "
                     "hour.\n", encoding="utf-8")
    insight("ingest", "-w", str(ws), "--no-screen", str(fixed))
    none = insight("quarantine", "export", "--out", str(tmp_path / "only.xlsx"), "-w",
                   str(ws), check=False)
    assert none.returncode == 1 and "no row to fix fits a workbook; nothing written" in \
        none.stdout and "form.csv line 2 (text)" in " ".join(none.stderr.split())
    assert not (tmp_path / "only.xlsx").exists()


def test_quarantine_list_show_export_and_clear(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    form = tmp_path / "form.csv"
    form.write_text(
        "id,heard_on,text,consent_quote\n"
        "k1,2025-03-04,The group closed and nobody said why.,yes\n"
        "k2,31/02/2025,The crisis line put me on hold for an hour and then rang off.,yes\n"
        "k3,2025-03-05,,no\n",
        encoding="utf-8",
    )
    first = insight("ingest", "-w", str(ws), "--no-screen", str(form), check=False)
    assert first.returncode == 3 and "`insight quarantine show`" in first.stdout
    insight("ingest", "-w", str(ws), "--no-screen", str(form), check=False)  # next month's
    listed = insight("quarantine", "list", "-w", str(ws)).stdout
    assert "2 rows still to fix; 2 older copies of them in earlier files" in listed
    assert re.search(r"1\s+heard_on\n\s+1\s+text\n", listed)
    shown = insight("quarantine", "show", "-w", str(ws)).stdout
    assert "form.csv line 3  (quarantined " in shown and "also in 1 earlier file)" in shown
    assert "  text: The crisis line put me on hold for an hour and then rang off." in shown
    cut = insight("quarantine", "show", "-w", str(ws), "-f", "json").stdout
    assert [(r["line"], r["state"]) for r in json.loads(cut)] == [(3, "to fix"), (4, "to fix")]
    wrong = insight("quarantine", "export", "--out", str(tmp_path / "fix.csv"), "-w", str(ws),
                    check=False)
    assert wrong.returncode == 2 and ".xlsx or .jsonl" in wrong.stderr
    out = tmp_path / "fix.jsonl"
    exported = insight("quarantine", "export", "-o", str(out), "-w", str(ws)).stdout
    assert f"wrote 2 rows to fix to {out}" in exported
    # a second export must not overwrite corrections begun in the first
    again = insight("quarantine", "export", "--out", str(out), "-w", str(ws), check=False)
    assert again.returncode == 2 and "may hold corrections" in " ".join(again.stderr.split())
    insight("quarantine", "export", "--out", str(out), "--force", "-w", str(ws))
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    rows[0]["heard_on"] = "28/02/2025"
    rows[1]["text"] = "Nobody told me the clinic had moved."
    out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    back = insight("ingest", "-w", str(ws), "--no-screen", str(out))
    assert "accepted 2, rejected 0" in back.stdout and "not note fields" not in back.stderr
    assert "no rows to fix (`--all` shows the rest)" in insight(
        "quarantine", "show", "-w", str(ws)).stdout
    # the third month's export still holds both old rows, fixed since, and one new bad row
    form.write_text(form.read_text(encoding="utf-8")
                    + "k4,2025-02-30,The new group meets on Tuesdays.,yes\n", encoding="utf-8")
    third = insight("ingest", "-w", str(ws), "--no-screen", str(form), check=False)
    assert third.returncode == 3
    assert "rejected rows: 1 new; 2 already stored (copies of a stored note: an earlier row " \
        "of the file, or fixed and ingested before)" in third.stdout
    assert "line 5: heard_on" in third.stderr and "line 3:" not in third.stderr
    # a month with nothing new to fix is not a failed ingest
    form.write_text("\n".join(form.read_text(encoding="utf-8").splitlines()[:4]) + "\n",
                    encoding="utf-8")
    fourth = insight("ingest", "-w", str(ws), "--no-screen", str(form), check=False)
    assert fourth.returncode == 0 and "rejected 2, already present 1" in fourth.stdout
    assert "rejected rows: 2 already stored" in fourth.stdout
    assert "line 3:" not in fourth.stderr
    insight("quarantine", "clear", "-w", str(ws))
    listed = insight("quarantine", "list", "-w", str(ws)).stdout
    assert "1 row still to fix" in listed and "`insight quarantine dismiss FILE LINE`" in listed
    wrong = insight("quarantine", "dismiss", "form.csv", "3", "-w", str(ws), check=False)
    said = " ".join(wrong.stderr.replace("│", " ").split())  # as typer's box wraps it
    assert wrong.returncode == 2 and "rows to fix: form.csv line 5" in said
    kept = insight("quarantine", "dismiss", "form.csv", "5", "-w", str(ws), input="n\n",
                   check=False)
    assert kept.returncode == 1 and "nothing dismissed" in kept.stdout
    gone = insight("quarantine", "dismiss", "form.csv", "5", "--yes", "-w", str(ws)).stdout
    assert "dismissed form.csv line 5: removed 1 quarantined row" in gone
    assert "nothing in quarantine" in insight("quarantine", "list", "-w", str(ws)).stdout
    form.write_text(form.read_text(encoding="utf-8")
                    + "k4,2025-02-30,The new group meets on Tuesdays.,yes\n", encoding="utf-8")
    again = insight("ingest", "-w", str(ws), "--no-screen", str(form), check=False)
    assert again.returncode == 0 and "1 dismissed before" in again.stdout
    cleared = insight("quarantine", "clear", "--all", "--yes", "-w", str(ws)).stdout
    assert cleared.strip().startswith("removed 3 quarantined rows")
    assert not list((ws / "quarantine").glob("*.jsonl"))
    assert "nothing in quarantine" in insight("quarantine", "list", "-w", str(ws)).stdout



def test_a_form_ingested_again_with_a_column_named_lists_and_dismisses_each_row_once(
    tmp_path: Path
) -> None:
    """Blind ingest audit: the same form ingested again with `--column setting=...` had
    '4 rows still to fix' for 2, and dismissing one row left its other reading to fix."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    form = tmp_path / "form.csv"
    form.write_text("id,heard_on,Q7,text\n"
                    "k1,31/02/2025,phone,The crisis line put me on hold for an hour.\n"
                    "k2,2025-03-05,cafe,\n", encoding="utf-8")
    insight("ingest", "-w", str(ws), "--no-screen", str(form), check=False)
    again = insight("ingest", "-w", str(ws), "--no-screen", str(form),
                    "--column", "setting=Q7", check=False)
    assert "2 rejected before and still to fix" in again.stdout
    listed = insight("quarantine", "list", "-w", str(ws)).stdout
    assert "2 rows still to fix; 2 older copies of them in earlier files" in listed
    gone = insight("quarantine", "dismiss", "form.csv", "3", "--yes", "-w", str(ws)).stdout
    assert "removed 2 quarantined rows" in gone
    shown = json.loads(insight("quarantine", "show", "--all", "-w", str(ws), "-f", "json").stdout)
    assert [(r["line"], r["state"]) for r in shown] == [(2, "repeated"), (2, "to fix")]

def test_a_file_read_at_last_clears_its_failed_attempts_from_quarantine(
    tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    form = tmp_path / "form.csv"
    form.write_text("id,What did you hear?\nk1,She waited six months for a call back.\n",
                    encoding="utf-8")
    other = tmp_path / "other.csv"
    other.write_text("id,Notes\nz1,The group closed.\n", encoding="utf-8")
    for file in (form, form, other):  # the notes' column not named: the files are not read
        assert insight("ingest", "-w", str(ws), str(file), check=False).returncode == 3
    listed = insight("quarantine", "list", "-w", str(ws), "-f", "json").stdout
    assert sum(row["unreadable_file"] for row in json.loads(listed)) == 3
    read = insight("ingest", "-w", str(ws), str(form), "--text-col", "What did you hear?")
    assert "accepted 1, rejected 0" in read.stdout
    assert "2 earlier failed attempts to read it cleared from quarantine" in read.stdout
    listed = json.loads(insight("quarantine", "list", "-w", str(ws), "-f", "json").stdout)
    assert [(row["from"], row["unreadable_file"]) for row in listed] == [("other.csv", 1)]


def test_backup_restores_as_a_working_workspace(tmp_path: Path) -> None:
    ws = workspace_with(tmp_path, [
        {"id": "b1", "text": "The drop-in on Fridays kept me going.", "consent_quote": True}])
    out = tmp_path / "backups" / "ws.zip"
    inside = insight("backup", "--out", str(ws / "b.zip"), "-w", str(ws), check=False)
    assert inside.returncode == 2 and "outside the workspace" in inside.stderr
    said = insight("backup", "--out", str(out), "-w", str(ws)).stdout
    assert said.startswith(f"backed up {ws.resolve()} to {out}")
    assert out.stat().st_mode & 0o777 == 0o600  # notes' words: its owner's alone
    assert ws.stat().st_mode & 0o777 == 0o700  # as `insight init` made the workspace
    import zipfile

    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert "insight.toml" in names and "insight.db" in names
        assert not any(n.endswith(("-wal", "-shm")) for n in names)
        restored = tmp_path / "restored"
        archive.extractall(restored)
    shown = insight("notes", "show", "b1", "-w", str(restored)).stdout
    assert "The drop-in on Fridays kept me going." in shown


def test_database_and_file_errors_are_one_line_without_note_text(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    import sqlite3

    with sqlite3.connect(ws / "insight.db") as conn:  # the database refuses every new note
        conn.execute("CREATE TRIGGER no_more BEFORE INSERT ON notes "
                     "BEGIN SELECT RAISE(ABORT, 'no room for more notes'); END")
    notes = tmp_path / "n.csv"
    notes.write_text("id,text\nq1,Winifred told me about the river path.\n", encoding="utf-8")
    failed = insight("ingest", str(notes), "-w", str(ws), "--no-screen", check=False)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "Winifred" not in failed.stderr + failed.stdout
    assert "error: the database refused the change (no room for more notes)" in " ".join(
        failed.stderr.split())
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    report = insight("report", "--out", str(blocked / "report.html"), "-w", str(ws),
                     check=False)
    # a path that cannot be made is said before the report is built: a usage error
    assert report.returncode == 2 and "Traceback" not in report.stderr
    [line] = report.stderr.strip().splitlines()
    assert f"{blocked} is a file, not a folder" in line


def test_an_interrupted_command_says_what_stays_saved(capsys: pytest.CaptureFixture) -> None:
    import typer

    from insight.cli import handled

    @handled
    def long_job() -> None:
        raise KeyboardInterrupt

    with pytest.raises(typer.Exit) as stopped:
        long_job()
    assert stopped.value.exit_code == 130
    assert "interrupted: what was saved before stays saved" in capsys.readouterr().err


# -- restore: a backup comes back with later erasures applied again ------------------------

SAID = "Winifred told me the crisis line hung up on her twice."


def _database_bytes(folder: Path) -> bytes:
    """Every byte of a workspace's database files (the journal too)."""
    return b"".join(p.read_bytes() for p in sorted(folder.glob("insight.db*")))


@pytest.mark.parametrize("into", ["the same workspace", "a new folder"])
def test_what_was_erased_or_withdrawn_after_the_backup_stays_so_after_a_restore(
    tmp_path: Path, into: str,
) -> None:
    """Blind DPO audit: a note ingested and erased after the backup came back when its
    file was ingested again after a restore; the backup's quarantined row of another came
    back whole; a consent withdrawn since was given back."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    first = tmp_path / "first.csv"
    first.write_text("id,text,heard_on,consent_quote\n"
                     "keep-1,'The wait was cruel' she said.,2026-06-01,yes\n"
                     "n090,Oswaldo Pemberton-Kray on 07700 900111 waited a year.,31/02/2026,no\n",
                     encoding="utf-8")
    insight("ingest", str(first), "-w", str(ws), "--no-screen", check=False)
    out = tmp_path / "ws.zip"
    insight("backup", "--out", str(out), "-w", str(ws))
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("id,text,heard_on\n"
                     "n090,Oswaldo Pemberton-Kray on 07700 900111 waited a year.,2026-02-28\n",
                     encoding="utf-8")
    later = tmp_path / "later.csv"
    later.write_text("id,text,heard_on\nlate-1,Delphine Arkwright has had no call back.,"
                     "2026-07-01\n", encoding="utf-8")
    for file in (fixed, later):
        insight("ingest", str(file), "-w", str(ws), "--no-screen")
    insight("notes", "consent", "keep-1", "--no-quote", "-w", str(ws))
    insight("erase", "--note", "n090", "--note", "late-1", "--yes", "-w", str(ws))
    if into == "the same workspace":
        said = insight("restore", str(out), "-w", str(ws), "--yes").stdout
        target = ws
    else:
        target = tmp_path / "copy"
        said = insight("restore", str(out), "-w", str(target), "--erasures",
                       str(ws / "erasures.jsonl")).stdout
    # neither was in the backup's database; n090's row was in its quarantine
    assert "kept erased 2 notes erased after the backup was made" in said
    assert "blanked 1 quarantined row of erased notes" in said
    assert "withdrew again consent on 1 note" in said
    [shown] = json.loads(insight("notes", "show", "keep-1", "-w", str(target), "-f",
                                 "json").stdout)
    assert shown["consent_quote"] is False
    # the backup's quarantined row of n090 is blanked; its file, ingested again, refused
    rows = insight("quarantine", "show", "--all", "-w", str(target)).stdout
    assert "Pemberton" not in rows and "07700" not in rows
    again = insight("ingest", str(later), str(fixed), "-w", str(target), "--no-screen").stdout
    assert "erased, not restored" in again
    listed = insight("notes", "list", "-w", str(target), "-f", "json").stdout
    assert [r["note"] for r in json.loads(listed)] == ["keep-1"]
    assert b"Arkwright" not in _database_bytes(target)
    assert b"Pemberton" not in _database_bytes(target)
    # what a restore unpacks is its owner's alone, as `init` made it
    assert {path.name: path.stat().st_mode & 0o777 for path in (
        target / "insight.db", target / "quarantine", target / "erasures.jsonl")} == {
        "insight.db": 0o600, "quarantine": 0o700, "erasures.jsonl": 0o600}


def _two_notes(tmp_path: Path) -> Path:
    return workspace_with(tmp_path, [
        {"id": "winifred-1", "text": SAID, "listener": "L-1"},
        {"id": "k2", "text": "The drop-in on Fridays kept me going.", "listener": "L-2"},
    ], "--no-screen")


def test_restore_erases_again_a_note_erased_after_the_backup(tmp_path: Path) -> None:
    ws = _two_notes(tmp_path)
    out = tmp_path / "backups" / "ws.zip"
    insight("backup", "--out", str(out), "-w", str(ws))  # taken before any erasure
    report = tmp_path / "after-backup.html"
    insight("report", "--out", str(report), "-w", str(ws))
    insight("erase", "--note", "winifred-1", "--reason", "she asked", "-w", str(ws))
    register = (ws / "erasures.jsonl").read_text(encoding="utf-8")
    lines = [json.loads(line) for line in register.splitlines()]
    with Store.open(open_workspace(ws).db_url) as store:
        assert [line["tombstone"] for line in lines if "tombstone" in line] == [
            store.tombstone_id("winifred-1")]
    # the tombstone with the keyed mark of its text, and the keyed mark of its words:
    # nothing the note said, enough for a restore to know its words again
    assert [sorted(line) for line in lines] == [["erased_at", "text", "tombstone"],
                                                ["words"]]
    assert "winifred" not in register.lower() and "crisis" not in register

    asked = insight("restore", str(out), "-w", str(ws), input="n\n", check=False)
    assert asked.returncode == 1 and "Replace the workspace" in asked.stdout
    assert "nothing restored" in asked.stdout
    assert not list(tmp_path.glob("ws.before-restore-*"))  # "no" changed nothing
    said = insight("restore", str(out), "-w", str(ws), "--yes")
    assert "erased again 1 note erased after the backup was made" in said.stdout
    assert SAID not in said.stdout + said.stderr and "winifred" not in said.stdout.lower()
    with Store.open(open_workspace(ws).db_url) as store:
        assert store.get_note("winifred-1")["erased_at"] is not None
        assert store.get_note("winifred-1")["text"] is None
        assert store.get_note("k2")["text"] == "The drop-in on Fridays kept me going."
        # who erased it, when and why is kept (from the replaced workspace), beside the
        # restore's own erasure; so is the report written since the backup
        erasures = [e for e in store.audit_log() if e["operation"] == "erase"]
        assert [e["after"]["reason"] for e in erasures] == [  # in time order
            "she asked", "erased again after restore"]
        assert erasures[0]["at"] < erasures[1]["at"]
        assert [e["record_id"] for e in store.audit_log() if e["record_type"] == "report"] \
            == [str(report.resolve())]
    assert "kept 2 records of reports written and erasures made since the backup" in \
        " ".join(said.stdout.split())
    assert b"Winifred" not in _database_bytes(ws)
    [aside] = tmp_path.glob("ws.before-restore-*")  # the replaced workspace, kept whole
    assert (aside / "insight.db").is_file() and (aside / "erasures.jsonl").is_file()
    assert "kept in" in said.stdout and str(aside) in said.stdout
    assert (ws / "erasures.jsonl").read_text(encoding="utf-8") == register  # one entry
    assert insight("notes", "show", "k2", "-w", str(ws)).returncode == 0


def test_restore_into_a_new_folder_and_with_another_register(tmp_path: Path) -> None:
    ws = _two_notes(tmp_path)
    out = tmp_path / "ws.zip"
    insight("backup", "--out", str(out), "-w", str(ws))
    insight("erase", "--note", "winifred-1", "-w", str(ws))
    copy = tmp_path / "copy"
    # a copy must not undo an erasure: the live workspace's register, or say it is gone
    refused = insight("restore", str(out), "-w", str(copy), check=False)
    assert refused.returncode == 2 and "--workspace-lost" in refused.stderr
    assert not copy.exists()
    said = insight("restore", str(out), "-w", str(copy), "--workspace-lost").stdout
    assert "erased again 0 notes" in said and "may be back" in said  # what it cannot know
    assert insight("notes", "show", "winifred-1", "-w", str(copy)).returncode == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    # a register that is not there says why there may be none
    missing = insight("restore", str(out), "-w", str(empty), "--erasures",
                      str(tmp_path / "erasures.jsonl"), check=False)
    assert missing.returncode != 0
    assert "a workspace has one only once a note was erased in it" in missing.stderr
    said = insight("restore", str(out), "-w", str(empty), "--erasures",
                   str(ws / "erasures.jsonl")).stdout
    assert "erased again 1 note" in said
    with Store.open(open_workspace(empty).db_url) as store:
        assert store.get_note("winifred-1")["text"] is None
    assert b"Winifred" not in _database_bytes(empty)
    assert not list(tmp_path.glob(".*restoring*"))  # the unpacked copy is gone


def test_restore_carries_the_key_to_an_older_backup_without_one(tmp_path: Path) -> None:
    """A backup from before the erasure key existed: the replaced workspace's key is kept,
    so erasures made since still match."""
    import sqlite3
    import zipfile

    ws = _two_notes(tmp_path)
    out = tmp_path / "old.zip"
    insight("backup", "--out", str(out), "-w", str(ws))
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(unpacked)
    with sqlite3.connect(unpacked / "insight.db") as conn:  # as an older insight made it
        conn.execute("DELETE FROM meta WHERE key = 'secret:erasure'")
    conn.close()
    older = tmp_path / "older.zip"
    with zipfile.ZipFile(older, "w") as archive:
        for path in sorted(unpacked.rglob("*")):
            archive.write(path, path.relative_to(unpacked).as_posix())
    insight("erase", "--note", "winifred-1", "-w", str(ws))
    said = insight("restore", str(older), "-w", str(ws), "--yes")
    assert "erased again 1 note" in said.stdout and "warning" not in said.stderr
    with Store.open(open_workspace(ws).db_url) as store:
        assert store.get_note("winifred-1")["text"] is None
    assert b"Winifred" not in _database_bytes(ws)


def test_rows_dismissed_after_an_older_backup_stay_dismissed_when_it_is_restored(
    tmp_path: Path,
) -> None:
    """A DPO dismissed a person's rows never stored (and erased a listener's), then
    restored a backup taken before: the rows came back "to fix", an NHS number with them,
    as the backup's database had no key to match the marks of rows dismissed since."""
    import sqlite3
    import zipfile

    ws = tmp_path / "ws"
    insight("init", str(ws))
    form = tmp_path / "march.csv"
    form.write_text("id,heard_on,listener,text\n"
                    "b1,31/02/2025,L1,Mrs Amina Hussain whose NHS number is 943 476 5919.\n"
                    "b2,30/02/2025,L8,Ms Jo Bloggs on 07700 900888 waited a year.\n",
                    encoding="utf-8")
    insight("ingest", str(form), "--no-screen", "-w", str(ws), check=False)
    out = tmp_path / "b.zip"
    insight("backup", "--out", str(out), "-w", str(ws))
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(unpacked)
    with sqlite3.connect(unpacked / "insight.db") as conn:  # as an older insight made it
        conn.execute("DELETE FROM meta WHERE key = 'secret:quarantine-dismissed'")
    conn.close()
    older = tmp_path / "older.zip"
    with zipfile.ZipFile(older, "w") as archive:
        for path in sorted(unpacked.rglob("*")):
            archive.write(path, path.relative_to(unpacked).as_posix())
    insight("quarantine", "dismiss", "march.csv", "2", "--yes", "-w", str(ws))
    insight("erase", "--listener", "L8", "--yes", "-w", str(ws))
    assert insight("quarantine", "show", "-w", str(ws)).stdout.startswith("no rows to fix")
    insight("restore", str(older), "-w", str(ws), "--yes")
    assert insight("quarantine", "show", "-w", str(ws)).stdout.startswith("no rows to fix")
    rows = json.loads(insight("quarantine", "show", "--all", "-f", "json", "-w",
                              str(ws)).stdout)
    assert {r["state"] for r in rows} <= {"dismissed"}
    # and a backup made now carries every key, whatever the workspace has used
    insight("backup", "--out", str(tmp_path / "now.zip"), "-w", str(ws))
    with zipfile.ZipFile(tmp_path / "now.zip") as archive:
        archive.extract("insight.db", tmp_path / "now")
    with sqlite3.connect(tmp_path / "now" / "insight.db") as conn:
        keys = {k for (k,) in conn.execute("SELECT key FROM meta WHERE key LIKE 'secret:%'")}
    conn.close()
    assert keys == {"secret:erasure", "secret:note-ref", "secret:quarantine-dismissed",
                    "secret:report-names"}


def test_a_copy_restored_with_the_live_register_keeps_rows_dismissed_since(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    form = tmp_path / "march.csv"
    form.write_text("id,heard_on,text\n"
                    "b0,2025-03-01,The group closed and nobody said why.\n"
                    "b1,31/02/2025,Mrs Amina Hussain whose NHS number is 943 476 5919.\n",
                    encoding="utf-8")
    insight("ingest", str(form), "--no-screen", "-w", str(ws), check=False)
    insight("erase", "--note", "b0", "-w", str(ws))  # the live workspace has a register
    out = tmp_path / "b.zip"
    insight("backup", "--out", str(out), "-w", str(ws))
    insight("quarantine", "dismiss", "march.csv", "3", "--yes", "-w", str(ws))
    copy = tmp_path / "copy"
    insight("restore", str(out), "-w", str(copy), "--erasures", str(ws / "erasures.jsonl"))
    assert insight("quarantine", "show", "-w", str(copy)).stdout.startswith("no rows to fix")


def test_restore_refuses_unsafe_zips_and_folders(tmp_path: Path) -> None:
    import zipfile

    ws = _two_notes(tmp_path)
    out = tmp_path / "ws.zip"
    insight("backup", "--out", str(out), "-w", str(ws))
    slip = tmp_path / "slip.zip"
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(slip, "w") as archive:
        for info in source.infolist():
            archive.writestr(info, source.read(info))
        archive.writestr("../escaped.txt", "outside")
    target = tmp_path / "target"
    refused = insight("restore", str(slip), "--workspace-lost", "-w", str(target), check=False)
    assert refused.returncode == 1 and "outside its folder" in refused.stderr
    assert not (tmp_path / "escaped.txt").exists() and not target.exists()
    absolute = tmp_path / "absolute.zip"
    with zipfile.ZipFile(absolute, "w") as archive:
        archive.writestr("insight.toml", '[insight]\ndb = "sqlite:///insight.db"\n')
        archive.writestr("/tmp/abs.txt", "outside")
    assert "outside its folder" in insight("restore", str(absolute), "--workspace-lost", "-w",
                                           str(target), check=False).stderr
    not_a_backup = tmp_path / "other.zip"
    with zipfile.ZipFile(not_a_backup, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "not a zip made by `insight backup`" in insight(
        "restore", str(not_a_backup), "--workspace-lost", "-w", str(target), check=False).stderr
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "letter.txt").write_text("mine", encoding="utf-8")
    refused = insight("restore", str(out), "--workspace-lost", "-w", str(busy), check=False)
    assert refused.returncode == 1 and "not empty and is not a workspace" in refused.stderr
    assert sorted(p.name for p in busy.iterdir()) == ["letter.txt"]
    postgres = tmp_path / "pg"
    postgres.mkdir()
    (postgres / "insight.toml").write_text(
        '[insight]\ndb = "postgresql://insight@localhost/insight"\n', encoding="utf-8")
    refused = insight("restore", str(out), "-w", str(postgres), "--yes", check=False)
    assert refused.returncode == 1 and "pg_restore" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_erase_says_loudly_when_the_register_cannot_be_written(tmp_path: Path) -> None:
    ws = _two_notes(tmp_path)
    (ws / "erasures.jsonl").mkdir()  # the register cannot be written
    failed = insight("erase", "--note", "winifred-1", "-w", str(ws), check=False)
    assert failed.returncode == 1 and "erased 1 note" in failed.stdout
    assert "erasure register" in failed.stderr and "could not be written" in failed.stderr
    assert "Winifred" not in failed.stdout + failed.stderr
    with Store.open(open_workspace(ws).db_url) as store:  # the erasure itself stands
        assert store.get_note("winifred-1")["text"] is None
    (ws / "erasures.jsonl").rmdir()
    insight("backup", "--out", str(tmp_path / "later.zip"), "-w", str(ws))
    lines = (ws / "erasures.jsonl").read_text(encoding="utf-8").splitlines()
    # the next backup wrote the erasure the database holds (and its words' mark)
    assert len([line for line in lines if "tombstone" in line]) == 1


def test_erasing_or_withdrawing_a_quoted_note_names_the_reports_that_quote_it(
    tmp_path: Path,
) -> None:
    from insight.thread import add_action, add_insight, add_priority

    rows = [{"id": f"q{i}", "text": f"'The wait for help was long, week {i},' she said.",
             "consent_quote": True, "categories": "access-waiting"} for i in range(1, 7)]
    ws = workspace_with(tmp_path, rows)
    with Store.open(open_workspace(ws).db_url) as store:
        insight_id = add_insight(store, "Long waits", categories=["access-waiting"],
                                 note_ids=[r["id"] for r in rows])
        add_action(store, "Call-backs", priority_ids=[
            add_priority(store, "No one waits alone", insight_ids=[insight_id])])
    out = tmp_path / "out" / "commissioners.html"
    insight("report", "--audience", "commissioner", "--out", str(out), "-w", str(ws))
    tables = tmp_path / "out" / "tables.xlsx"  # tables hold no quotes
    insight("report", "--audience", "commissioner", "--out", str(tables), "-w", str(ws))
    with Store.open(open_workspace(ws).db_url) as store:
        written, as_tables = [e for e in store.audit_log() if e["record_type"] == "report"]
        assert as_tables["after"]["files"] == [str(tables.resolve())]
        assert as_tables["after"]["quoted"] == []
        assert written["after"]["files"] == [str(out.resolve())]
        # the notes are named by a keyed hash, never by their ids
        assert not any(r["id"] in json.dumps(written["after"]) for r in rows)
        quoted = [r["id"] for r in rows if store.reports_quoting([r["id"]])]
    assert len(quoted) == 2 and all(f"week {q[1:]}" in out.read_text() for q in quoted)
    unquoted = next(r["id"] for r in rows if r["id"] not in quoted)
    # written again the same day: one file, named once
    insight("report", "--audience", "commissioner", "--out", str(out), "-w", str(ws))
    withdrawn = insight("notes", "consent", quoted[0], "--no-quote", "-w", str(ws))
    said = " ".join(withdrawn.stderr.split())
    assert f"1 report file written before quotes its words: {out.resolve()} (commissioner; " \
        "written 20" in said and "tables.xlsx" not in said
    assert "report written before" not in insight(
        "notes", "consent", unquoted, "--no-quote", "-w", str(ws)).stderr
    # a later export saying no for the other quoted note: the same reminder
    withdrawal = tmp_path / "withdrawn.jsonl"
    withdrawal.write_text(json.dumps({**next(r for r in rows if r["id"] == quoted[1]),
                                      "consent_quote": False}) + "\n", encoding="utf-8")
    said = insight("ingest", str(withdrawal), "-w", str(ws))
    assert "1 report file written before quotes notes whose consent to quote this file " \
        "withdrew" in " ".join(said.stderr.split())
    erased = insight("erase", "--note", quoted[1], "-w", str(ws))
    assert "commissioner; written 20" in " ".join(erased.stderr.split())
    # a report written after quotes neither: nothing more to replace
    insight("report", "--audience", "commissioner", "--out", str(out), "-w", str(ws))
    with Store.open(open_workspace(ws).db_url) as store:
        [file] = store.reports_quoting([quoted[0]])  # the one file, as written before
        assert file["file"] == str(out.resolve()) and len(file["dates"]) == 1


def test_a_persons_notes_are_found_exported_and_old_notes_erased_by_date(tmp_path: Path) -> None:
    ws = workspace_with(tmp_path, [
        {"id": "s1", "text": "Priya said the crisis line never rang back.",
         "heard_on": "2023-03-01", "listener": "L1"},
        {"id": "s2", "text": "The group helped her, Priya said.", "heard_on": "2024-06-01",
         "listener": "L1"},
        {"id": "s3", "text": "Nobody explained the letter.", "listener": "L2"},
    ])
    # a person asks what is held about them: found by their words, exported whole
    found = json.loads(insight("notes", "list", "--words", "priya", "-f", "json",
                               "-w", str(ws)).stdout)
    assert [r["note"] for r in found] == ["s2", "s1"]
    held = json.loads(insight("notes", "show", "s1", "s2", "-f", "json", "-w", str(ws)).stdout)
    assert [n["text"] for n in held] == ["Priya said the crisis line never rang back.",
                                         "The group helped her, Priya said."]
    assert {"tags", "safeguarding_items", "consent_quote"} <= set(held[0])
    wrong = insight("notes", "show", "s1", "-f", "csv", "-w", str(ws), check=False)
    assert wrong.returncode == 2
    # the retention period ends: notes heard before a day go, undated ones stay
    kept = insight("erase", "--heard-before", "2024-01-01", "-w", str(ws), input="n\n",
                   check=False)
    assert kept.returncode == 1 and "Erase 1 note heard before 2024-01-01" in kept.stdout
    gone = insight("erase", "--heard-before", "01/01/2024", "--yes", "-w", str(ws))
    assert "erased 1 note" in gone.stdout
    left = json.loads(insight("notes", "list", "-f", "json", "-w", str(ws)).stdout)
    assert sorted(r["note"] for r in left) == ["s2", "s3"]
    again = insight("erase", "--heard-before", "2024-01-01", "--yes", "-w", str(ws))
    assert "no live notes heard before 2024-01-01: nothing erased" in again.stdout


def test_a_persons_rows_never_stored_are_found_and_a_listeners_erased(tmp_path: Path) -> None:
    """Subject access reached the notes but not the quarantine, and `erase --listener` left
    the listener's rows never stored there with their words."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    form = tmp_path / "form.csv"
    form.write_text(
        "id,heard_on,listener,text,safeguarding\n"
        "q1,2025-03-01,L7,Priya said the Crisis  Line never rang back.,no\n"
        "q2,31/02/2025,l7 ,Priya's son waits for CAMHS.,no\n"
        "q3,30/02/2025,L7,Her partner hits her and she is scared to go home.,yes\n"
        "q4,2025-02-30,L8,The crisis line was kind to Priya.,no\n", encoding="utf-8")
    assert insight("ingest", "-w", str(ws), str(form), check=False).returncode == 3

    def shown(*options: str) -> list[str]:
        out = insight("quarantine", "show", *options, "-f", "json", "-w", str(ws)).stdout
        return sorted(r["row"]["id"] for r in json.loads(out))

    # the words they remember, in any case and spacing, across every cell
    assert shown("--words", "priya", "--words", "crisis line") == ["q4"]
    assert shown("--words", "PRIYA") == ["q2", "q4"]
    assert shown("--listener", "L7") == ["q2", "q3"]
    none = insight("quarantine", "show", "--words", "Margaret", "-w", str(ws))
    assert none.stdout.strip() == "no rows match (3 rows searched)"
    # the listener's notes and their rows never stored go; a concern nobody dealt with stays
    gone = insight("erase", "--listener", "l7", "--yes", "-w", str(ws))
    assert gone.stdout.startswith("erased 1 note; removed 1 quarantined row by this listener")
    assert "kept 1 quarantined row by this listener raising a concern" in gone.stderr
    held = "".join(p.read_text() for p in (ws / "quarantine").glob("*.jsonl"))
    assert "CAMHS" not in held and "Crisis  Line" not in held
    assert "scared to go home" in held and "kind to Priya" in held
    assert shown("--listener", "L7") == ["q3"]
    # a later cumulative export brings the same row back: removed at once, not to fix again
    insight("ingest", "-w", str(ws), str(form), check=False)
    assert shown("--listener", "L7") == ["q3"]
    log = json.loads(insight("audit", "-f", "json", "-w", str(ws)).stdout)
    assert any(e["after"] and e["after"].get("rows_never_stored_removed") == 1 for e in log)


def test_erase_listener_removes_their_quarantined_lines_intake_could_not_split(
    tmp_path: Path
) -> None:
    """DPO audit: `erase --listener L03` and `quarantine show --listener L03` missed the
    listener's rows kept as written (a CSV row of the wrong width, a broken JSON line), and
    a later export wrote dismissed rows back in full."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    form = tmp_path / "form.csv"
    form.write_text(
        "id,heard_on,listener,text\n"
        "BD-011,2025-03-01,L03,Mrs Amina Hussain waits for CAMHS.\n"
        "BD-012,2025-03-02,l03 ,Mr Daniel Okoro rang, twice, about his CPN.\n"
        "BD-013,2025-03-02,L033,The bus, again, never came.\n", encoding="utf-8")
    app = tmp_path / "app.jsonl"
    app.write_text(
        '{"id": "A-1", "listener": "L03", "text": "Sara Hussain 07700 900123 called.",}\n'
        '{"id": "A-2", "listener": "L04", "text": "L03 was kind to her.",}\n',
        encoding="utf-8")
    for path in (form, app):
        assert insight("ingest", "-w", str(ws), str(path), check=False).returncode == 3

    def shown(*options: str) -> list[str]:
        out = insight("quarantine", "show", "--all", *options, "-f", "json", "-w", str(ws))
        return sorted(f"{Path(r['from']).name} {r['line']} {r['state']}"
                      for r in json.loads(out.stdout))

    assert shown("--listener", "L03") == ["app.jsonl 1 to fix", "form.csv 3 to fix"]
    gone = insight("erase", "--listener", "L03", "--yes", "-w", str(ws))
    assert "removed 2 quarantined rows by this listener" in gone.stdout
    held = "".join(p.read_text(encoding="utf-8") for p in (ws / "quarantine").glob("*.jsonl"))
    assert "Okoro" not in held and "07700" not in held
    assert "The bus" in held and "kind to her" in held  # another listener's rows stay
    # the same lines in a later export: dismissed at once, their cells never written again
    for path in (form, app):
        insight("ingest", "-w", str(ws), str(path), check=False)
    held = "".join(p.read_text(encoding="utf-8") for p in (ws / "quarantine").glob("*.jsonl"))
    assert "Okoro" not in held and "07700" not in held
    assert shown("--listener", "L03") == []
    assert "app.jsonl 1 dismissed" in shown() and "form.csv 3 dismissed" in shown()


def test_an_owner_finds_their_actions_by_status_and_what_is_overdue(tmp_path: Path) -> None:
    ws = workspace_with(tmp_path, [{"id": "w1", "text": "Waited nine months for a call."}],
                        "--no-screen")
    insight("insights", "add", "Waiting", "--note", "w1", "-w", str(ws))
    insight("priorities", "add", "No one waits alone", "--insight", "I1", "-w", str(ws))
    for title, owner, due in (("Monthly calls", "Talking Therapies  lead", "2020-01-31"),
                              ("Crisis cafe", "ICB urgent care", "2099-01-31"),
                              ("Text reminders", "talking therapies lead", "2020-02-01")):
        insight("actions", "add", title, "--priority", "P1", "--owner", owner,
                "--due-on", due, "-w", str(ws))
    insight("actions", "status", "A3", "done", "-w", str(ws))

    def refs(*options: str) -> list[str]:
        out = insight("actions", "list", *options, "-f", "json", "-w", str(ws)).stdout
        return [r["ref"] for r in json.loads(out)]

    assert refs("--owner", "TALKING therapies lead") == ["A1", "A3"]
    assert refs("--owner", "talking", "--status", "In-Progress", "--status", "proposed") == \
        ["A1"]
    assert refs("--overdue") == ["A1"]  # A3 is done; A2 is due later
    none = insight("actions", "list", "--owner", "council", "-w", str(ws))
    assert none.stdout.strip() == "no actions match"
    wrong = insight("actions", "list", "--status", "finished", "-w", str(ws), check=False)
    assert wrong.returncode == 2 and "did you mean 'done'" in wrong.stderr


def test_a_report_names_new_groups_once_not_every_time(tmp_path: Path) -> None:
    """A commissioner's lead got the same forty names in a warning every quarter and
    stopped reading it: after the first report, only what no earlier one named."""
    rows = [{"id": f"c{i}", "text": f"Waiting for help {i}.", "setting": "cafe",
             "community": ["carers"]} for i in range(6)]
    ws = workspace_with(tmp_path, rows, "--no-screen")
    out = tmp_path / "r.html"
    first = insight("report", "--out", str(out), "-w", str(ws))
    assert ("this report names settings 'cafe' and communities 'carers'; to leave one out"
            in " ".join(first.stderr.split()))
    again = insight("report", "--out", str(out), "-w", str(ws))
    assert "this report names" not in again.stderr
    more = tmp_path / "more.jsonl"
    more.write_text("".join(json.dumps({"id": f"s{i}", "text": f"No interpreter {i}.",
                                        "setting": "Cafe", "community": ["Somali"]}) + "\n"
                            for i in range(5)), encoding="utf-8")
    insight("ingest", str(more), "--no-screen", "-w", str(ws))
    new = " ".join(insight("report", "--out", str(out), "-w", str(ws)).stderr.split())
    assert ("this report names for the first time communities 'Somali' (and 2 named in "
            "earlier reports for these readers); to leave one out") in new
    # each audience is its own: the community page has named nothing yet
    page = insight("report", "--audience", "community", "--out", str(tmp_path / "c.html"),
                   "-w", str(ws))
    assert "this report names settings 'cafe' and communities" in " ".join(page.stderr.split())
    log = json.loads(insight("audit", "-f", "json", "-w", str(ws)).stdout)
    named = [e["after"]["named"] for e in log if e["after"] and "named" in e["after"]]
    assert len(named) == 4 and all(re.fullmatch(r"[0-9a-f]{24}", m) for m in named[-1])


def test_a_labels_column_named_on_a_second_go_labels_the_notes(tmp_path: Path) -> None:
    """A lead ingested her labelled file without naming its labels column, then again with
    it and the listener column: the notes' ids (from date and listener) came out
    different, the listener was filled in, and the labels went nowhere while ingest said
    all was well (blind audit, own codebook)."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    first = tmp_path / "first.csv"
    first.write_text(
        "Date,Notes,Topics\n"
        "01/05/2024,The bus from Alston only runs two days a week so she cannot get to the "
        "group.,Value of community support\n"
        "02/05/2024,Carers allowance does not cover the oil and she is rationing the heating "
        "this winter.,money housing work and daily life; Carers-family\n", encoding="utf-8")
    insight("ingest", str(first), "--text-col", "Notes", "--no-screen", "-w", str(ws))
    second = tmp_path / "second.csv"
    second.write_text(first.read_text(encoding="utf-8").replace("Date,", "Date,Volunteer,")
                      .replace("01/05/2024,", "01/05/2024,V03,")
                      .replace("02/05/2024,", "02/05/2024,V04,"), encoding="utf-8")
    again = insight("ingest", str(second), "--text-col", "Notes", "--column",
                    "categories=Topics", "--column", "listener=Volunteer", "--no-screen",
                    "-w", str(ws), check=False)
    said = " ".join(again.stdout.split())
    assert "labelled 2 already-present notes" in said and "listener filled in 2" in said
    listed = json.loads(insight("notes", "list", "-f", "json", "-w", str(ws)).stdout)
    assert sorted((r["listener"], r["categories"], r["by"]) for r in listed) == [
        ("V03", "community-support", "person"),
        ("V04", "carers-family,daily-living", "person")]
    # a third go changes nothing, and a person's labels are never replaced by a file
    third = insight("ingest", str(second), "--text-col", "Notes", "--column",
                    "categories=Topics", "--column", "listener=Volunteer", "--no-screen",
                    "-w", str(ws), check=False)
    assert "labelled" not in third.stdout


def test_labels_the_codebook_lacks_are_tallied_with_the_nearest(tmp_path: Path) -> None:
    """122 of a lead's 209 rows were rejected one message at a time for 40 spellings of
    her labels: each spelling is one fix, so ingest tallies them."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    form = tmp_path / "form.csv"
    form.write_text("text,categories\n"
                    "Waited a year for a call back from the team.,Housing\n"
                    "The council moved her out of town.,housing ;Acess waiting\n"
                    "Nobody told him about the group.,information-navigation\n"
                    "She sleeps on a sofa now.,HOUSING\n", encoding="utf-8")
    rejected = insight("ingest", str(form), "--no-screen", "-w", str(ws), check=False)
    assert rejected.returncode == 3
    said = " ".join(rejected.stderr.split())
    assert ("rows rejected for categories not in the codebook (\"Default enquiry "
            "categories\", version 1), by label: 'housing' (3 rows), 'acess waiting' (1 row; "
            "did you mean access-waiting?); correct them in the file") in said
    assert "line 3: categories: unknown categories: housing, acess waiting" in said


def test_the_audit_log_is_searched_by_a_persons_words(tmp_path: Path) -> None:
    """Subject access reached notes and quarantine, not what people typed into the audit
    log (a correction's place, a reason naming the person)."""
    ws = workspace_with(tmp_path, [{"id": "a1", "text": "The crisis line rang back.",
                                    "listener": "L1"}], "--no-screen")
    insight("notes", "update", "a1", "--place", "Manningham", "--reason",
            "Mrs Amina Hussain rang to correct it", "-w", str(ws))
    found = json.loads(insight("audit", "--words", "amina", "--words", "HUSSAIN", "-f", "json",
                               "-w", str(ws)).stdout)
    assert [(e["record"], e["after"]["place"]) for e in found] == [("a1", "Manningham")]
    assert insight("audit", "--words", "manningham", "--limit", "5", "-w",
                   str(ws)).stdout.count("a1") == 1
    assert insight("audit", "--words", "Margaret", "-w", str(ws)).stdout.strip() == "(none)"


def test_a_notes_copies_are_named_for_subject_access_and_erasure(tmp_path: Path) -> None:
    """A DPO could not tell a person which reports, backups and files to fix hold their
    words: the audit log kept reports by a keyed mark only, and backups and exports not at
    all."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    form = tmp_path / "k.csv"
    form.write_text('id,heard_on,text,consent_quote\n'
                    'k1,2026-03-01,"""The crisis line never rang back,"" she said.",yes\n'
                    'k2,31/02/2026,Her son waits for a bed.,yes\n', encoding="utf-8")
    insight("ingest", str(form), "--no-screen", "-w", str(ws), check=False)
    insight("insights", "add", "No call back", "--note", "k1", "-w", str(ws))
    insight("insights", "quote", "I1", "k1", "--pin", "-w", str(ws))
    insight("priorities", "add", "Ring back", "--insight", "I1", "-w", str(ws))
    insight("report", "--audience", "lead", "--out", str(tmp_path / "lead.html"), "-w", str(ws))
    insight("backup", "--out", str(tmp_path / "b.zip"), "-w", str(ws))
    insight("quarantine", "export", "--out", str(tmp_path / "fix.jsonl"), "-w", str(ws))
    said = " ".join(insight("audit", "--record", "k1", "-w", str(ws)).stdout.split())
    assert f"its words are quoted in: {tmp_path / 'lead.html'} (lead; written" in said
    assert (f"backups and files to fix written since it was stored, which hold its words "
            f"until deleted: backup {tmp_path / 'b.zip'} (") in said
    assert f"file to fix {tmp_path / 'fix.jsonl'} (" in said
    erased = insight("erase", "--note", "k1", "-w", str(ws))
    assert f"backup {tmp_path / 'b.zip'}" in " ".join(erased.stderr.split())


def test_the_safeguarding_list_fits_a_terminal_and_says_where_the_rest_is(
    tmp_path: Path,
) -> None:
    """A new lead found the queue 200 characters wide, unreadable in a normal terminal."""
    answer = ("Yes - she said her partner takes her bank card and she has not eaten for "
              "two days, she is scared to go home tonight")
    ws = workspace_with(tmp_path, [{"id": "s1", "text": "She is scared to go home.",
                                    "safeguarding": answer}])
    table = insight("safeguarding", "list", "-w", str(ws)).stdout
    assert all(len(line) < 200 for line in table.splitlines())
    assert "`insight safeguarding show ITEM` gives one whole" in table
    [item] = json.loads(insight("safeguarding", "list", "-f", "json", "-w", str(ws)).stdout)
    assert "she is scared to go home tonight" in item["reason"]


def test_subject_access_words_find_a_number_however_it_is_spaced(tmp_path: Path) -> None:
    """DPO audit: `--words 07700900123` found nothing where the note says "07700 900123",
    nor an NHS number "9434765919" written "943 476 5919": in notes, quarantine, audit."""
    ws = workspace_with(tmp_path, [
        {"id": "p1", "text": "Amina rang from 07700 900123 about her son.", "listener": "L1"},
        {"id": "p2", "text": "His NHS number is 943 476 5919, he said.", "listener": "L1"},
        {"id": "p3", "text": "Nothing of hers: 0770 0900 124.", "listener": "L1"}], "--no-screen")

    def listed(*words: str) -> list[str]:
        args = [a for w in words for a in ("--words", w)]
        out = insight("notes", "list", *args, "-f", "json", "-w", str(ws)).stdout
        return sorted(n["note"] for n in json.loads(out))

    assert listed("07700900123") == ["p1"]
    assert listed("+44 (0)7700-900123") == []  # other digits: another number
    assert listed("9434765919") == ["p2"] and listed("943-476-5919", "nhs") == ["p2"]
    assert listed("07700 900123", "amina") == ["p1"]
    form = tmp_path / "form.csv"
    form.write_text("id,heard_on,text\n"
                    "q1,31/02/2025,Ring her back on 07700-900-123 please.\n"
                    "q2,31/02/2025,NHS (943) 476 5919 to check.,extra\n", encoding="utf-8")
    insight("ingest", "-w", str(ws), str(form), "--no-screen", check=False)

    def shown(*words: str) -> list[int]:
        args = [a for w in words for a in ("--words", w)]
        out = insight("quarantine", "show", *args, "-f", "json", "-w", str(ws)).stdout
        return sorted(r["line"] for r in json.loads(out))

    assert shown("07700900123") == [2] and shown("9434765919") == [3]
    insight("notes", "update", "p1", "--place", "Flat 2 ring 07700 900 123", "--reason",
            "asked by her", "-w", str(ws))
    found = json.loads(insight("audit", "--words", "07700900123", "-f", "json",
                               "-w", str(ws)).stdout)
    assert [e["record"] for e in found] == ["p1"]
    assert insight("audit", "--words", "07700900124", "-w", str(ws)).stdout.strip() == "(none)"


def test_output_cut_short_by_its_reader_is_no_error(tmp_path: Path) -> None:
    ws = workspace_with(tmp_path, [
        {"id": f"p{i}", "text": f"Note {i} about waiting.", "listener": "L1",
         "place": "Leeds", "setting": "cafe"} for i in range(1500)], "--no-screen")
    import os
    import sys

    env = {**os.environ, "INSIGHT_USER": "cli-tester"}
    reader = subprocess.Popen(
        [sys.executable, "-m", "insight", "notes", "show", *[f"p{i}" for i in range(1500)],
         "-w", str(ws)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert reader.stdout is not None and reader.stderr is not None
    assert reader.stdout.readline()  # as `| head -1` reads
    reader.stdout.close()
    said = reader.stderr.read()
    assert reader.wait(timeout=120) == 0
    assert b"Broken pipe" not in said and b"Traceback" not in said


def test_audit_table_says_what_changed_by_reference_never_a_notes_words(
    tmp_path: Path,
) -> None:
    """A blind user audit: the table showed no change, and 'action 2', 'priority_insights
    4->6' where everything else says A2 and P4 -> I6."""
    rows = [{"id": "w1", "text": "Waited nine months for a call back."},
            {"id": "w2", "text": "Nobody rang me while I waited."}]
    ws = workspace_with(tmp_path, rows, "--no-screen")
    insight("insights", "add", "Waiting alone", "--note", "w1", "--note", "w2", "-w", str(ws))
    insight("priorities", "add", "No one waits alone", "--insight", "I1", "-w", str(ws))
    insight("actions", "add", "Monthly calls", "--priority", "P1", "-w", str(ws))
    insight("actions", "status", "A1", "declined", "--reason", "No budget", "-w", str(ws))
    insight("actions", "status", "A1", "agreed", "--reason", "Budget found", "-w", str(ws))
    insight("actions", "update", "A1", "--owner", "A team lead whose name is much too long "
            "for a table", "-w", str(ws))
    fixed = tmp_path / "fixed.jsonl"
    fixed.write_text(json.dumps({**rows[1], "text": "Nobody rang me back while I waited."})
                     + "\n", encoding="utf-8")
    insight("ingest", str(fixed), "--replace-text", "--no-screen", "-w", str(ws))
    table = insight("audit", "-w", str(ws)).stdout
    lines = {line.split()[0]: " ".join(line.split()) for line in table.splitlines()[1:]}
    assert "record" in table.splitlines()[0] and "change" in table.splitlines()[0]
    assert any(line.endswith("priority_insights P1 -> I1") for line in lines.values())
    assert any(line.endswith("action_priorities A1 -> P1") for line in lines.values())
    assert any(line.endswith("insight_notes I1 -> w2") for line in lines.values())
    updates = [line for line in lines.values() if " update " in line]
    assert updates[0].endswith("update action A1 status: proposed -> declined; "
                               f"reason: (none) -> No budget; reached on {uk_today()}")
    assert updates[1].endswith("update action A1 status: declined -> agreed; "
                               f"reason: No budget -> Budget found; reached on {uk_today()}")
    # only what changed, a long value cut short
    assert updates[2].endswith("update action A1 owner: (none) -> A team lead whose name…")
    # a note's words changed: said, never shown (nor its hash or length)
    note_update = next(line for line in updates if " note w2 " in line)
    assert " text" in note_update and "rang" not in table and "Nobody" not in table
    assert "content_hash" not in note_update and "text_chars" not in note_update
    # json keeps the entry as stored, its record named as the table names it
    log = json.loads(insight("audit", "-f", "json", "-w", str(ws)).stdout)
    assert {e["record"] for e in log if e["record_type"] == "action_priorities"} == {"A1 -> P1"}


def test_audit_json_and_csv_name_records_as_the_table_and_trace_do(tmp_path: Path) -> None:
    """A lead's report: `audit -f json` said record_id "1" and "1->1" where the table and
    `insight trace` say A1 and A1 -> P1."""
    rows = [{"id": "w1", "text": "Waited nine months for a call back."}]
    ws = workspace_with(tmp_path, rows, "--no-screen")
    insight("insights", "add", "Waiting alone", "--note", "w1", "-w", str(ws))
    insight("priorities", "add", "No one waits alone", "--insight", "I1", "-w", str(ws))
    insight("actions", "add", "Monthly calls", "--priority", "P1", "-w", str(ws))
    insight("outcomes", "add", "A1", "Calls started", "-w", str(ws))
    log = json.loads(insight("audit", "-f", "json", "-w", str(ws)).stdout)
    named = {(e["record_type"], e["record"]) for e in log}
    assert {("insight", "I1"), ("insight_notes", "I1 -> w1"), ("priority", "P1"),
            ("priority_insights", "P1 -> I1"), ("action", "A1"),
            ("action_priorities", "A1 -> P1"), ("outcome", "O1"), ("note", "w1")} <= named
    assert all("record_id" not in e for e in log)
    for record in ("I1", "P1", "A1", "O1", "w1"):  # each one trace takes
        insight("trace", record, "-w", str(ws))
    table = insight("audit", "-w", str(ws)).stdout
    with_csv = list(csv.DictReader(insight("audit", "-f", "csv", "-w", str(ws))
                                   .stdout.splitlines()))
    assert [r["record"] for r in with_csv] == [e["record"] for e in log]
    assert all(r["record"] in table for r in with_csv)
    # before and after as JSON a program reads back, not Python's repr
    created = next(r for r in with_csv if r["record"] == "A1")
    assert json.loads(created["after"])["title"] == "Monthly calls" and created["before"] == ""


def test_audit_of_a_reference_that_names_nothing_says_no_record(tmp_path: Path) -> None:
    ws = workspace_with(tmp_path, [{"id": "n001", "text": "Waited nine months."}], "--no-screen")
    for wrong in ("Z9", "A9"):
        missing = insight("audit", "--record", wrong, "-w", str(ws), check=False)
        assert missing.returncode == 2 and f"no record '{wrong}'" in missing.stderr
        assert "no note '" not in missing.stderr
    # a note id a character off is still a note
    note = insight("audit", "--record", "n01", "-w", str(ws), check=False)
    assert note.returncode == 2 and "no note 'n01' (did you mean 'n001'?)" in note.stderr


def test_trace_takes_a_reports_note_reference_in_any_case_and_says_a_typo_is_one(
    tmp_path: Path,
) -> None:
    """A blind user audit: a reference one character short was said to be erased or
    unlinked, and one typed in capitals from a printout was refused."""
    ws = workspace_with(tmp_path, [
        {"id": f"w{i}", "text": f"Waited {i + 2} months with no call.",
         "categories": ["access-waiting"]} for i in range(6)], "--no-screen")
    insight("insights", "add", "Waiting alone", *[a for i in range(6) for a in
                                                  ("--note", f"w{i}")], "-w", str(ws))
    insight("priorities", "add", "No one waits alone", "--insight", "I1", "-w", str(ws))
    insight("actions", "add", "Monthly calls", "--priority", "P1", "-w", str(ws))
    report = tmp_path / "r.html"
    insight("report", "--out", str(report), "-w", str(ws))
    reference = re.findall(r"note-[0-9a-f]{12}", report.read_text())[0]
    typed = insight("trace", reference.upper(), "-w", str(ws))
    assert typed.stdout.startswith("note w") and "evidence for I1 Waiting alone\n" in typed.stdout
    short = insight("trace", reference[:-1], "-w", str(ws), check=False)
    said = " ".join(short.stderr.replace("│", " ").split())
    assert short.returncode == 2
    assert f"'{reference[:-1]}' matches no note: did you mean {reference}?" in said
    assert "Otherwise its note was erased or unlinked from every insight" in said
    nothing = insight("trace", "note-000000000000", "-w", str(ws), check=False)
    said = " ".join(nothing.stderr.replace("│", " ").split())
    assert "'note-000000000000' matches no note: check it is copied in full" in said
    assert "did you mean" not in said


def test_a_notes_trace_says_what_came_of_it_and_a_listener_follows_all_their_notes(
    tmp_path: Path,
) -> None:
    """A blind audit by a peer listener: `trace NOTE -f json` printed text; a note's trace
    named P2 and A2 without titles, said nothing of an outcome seen and fed back, nor of
    the report that quoted the note; and `trace L-G01` found no record, with no other way
    to follow all of one's notes at once."""
    rows = [{"id": f"g{i}", "text": f"'The wait for help was long, week {i},' she said.",
             "listener": "L-G01", "consent_quote": True, "categories": "access-waiting"}
            for i in range(1, 7)]
    rows += [{"id": "g7", "text": "The cafe shut in May.", "listener": "L-G01"},
             {"id": "zz9", "text": "Nobody rang me back, not once.", "listener": "L-H02",
              "consent_quote": True, "categories": "access-waiting"}]
    ws = workspace_with(tmp_path, rows)
    on = ("-w", str(ws))
    insight("insights", "add", "Waiting with no contact",
            *[a for i in range(1, 7) for a in ("--note", f"g{i}")], "--note", "zz9", *on)
    insight("insights", "add", "Nobody rings back", "--note", "g1", "--note", "zz9", *on)
    insight("priorities", "add", "No one left waiting alone", "--insight", "I1", "--insight",
            "I2", *on)
    insight("priorities", "add", "Call-backs within a day", "--insight", "I2", *on)
    insight("actions", "add", "Contact every four weeks", "--owner", "Talking Therapies lead",
            "--status", "agreed", "--status-on", "2026-09-10", "--priority", "P1", *on)
    insight("outcomes", "add", "A1", "Calls started in October", "--observed-on",
            "2026-10-01", "--fed-back-on", "2026-10-20", *on)
    report = tmp_path / "report.html"
    insight("report", "--audience", "commissioner", "--out", str(report), *on)
    with Store.open(open_workspace(ws).db_url) as store:
        quoted = [f"g{i}" for i in range(1, 7) if store.reports_quoting([f"g{i}"])]
    assert quoted
    unquoted = next(f"g{i}" for i in range(2, 7) if f"g{i}" not in quoted)

    # a note: JSON, the same facts as the text
    traced = json.loads(insight("trace", quoted[0], "-f", "json", *on).stdout)
    assert traced["note"] == quoted[0]
    assert [(i["insight"], i["title"]) for i in traced["insights"]][0] == (
        "I1", "Waiting with no contact")
    [action] = traced["actions"]
    assert {k: action[k] for k in ("action", "title", "status", "since", "owner")} == {
        "action": "A1", "title": "Contact every four weeks", "status": "agreed",
        "since": "2026-09-10", "owner": "Talking Therapies lead"}
    assert action["outcomes"] == [{"outcome": "O1", "description": "Calls started in October",
                                   "seen_on": "2026-10-01", "fed_back": True,
                                   "fed_back_on": "2026-10-20"}]
    [written] = traced["quoted_in"]
    assert written["file"] == str(report.resolve()) and written["audience"] == "commissioner"
    read = insight("trace", quoted[0], *on).stdout
    lines = read.splitlines()
    assert lines[:5] == [
        f"note {quoted[0]}",
        "  evidence for I1 Waiting with no contact",
        "    supports P1 No one left waiting alone",
        "      answered by A1 Contact every four weeks [agreed since 10 September 2026; "
        "Talking Therapies lead]",
        "        outcome O1 Calls started in October (seen 1 October 2026; fed back 20 "
        "October 2026)"]
    assert lines[-1].startswith(f"  quoted in: {report.resolve()} (commissioner report; "
                                "written ")
    for text in (read, json.dumps(traced)):  # no other note, by its words or its id
        assert "zz9" not in text and "she said" not in text and "rang me" not in text
    assert insight("trace", unquoted, *on).stdout.splitlines()[-1] == \
        "  quoted in: no report written so far"
    g1 = insight("trace", "g1", *on).stdout  # in both insights: P1's actions said once
    assert "    supports P1 No one left waiting alone (as above)" in g1.splitlines()
    assert "    supports P2 Call-backs within a day\n      no action yet" in g1

    # a listener: all their live notes at once, ids only
    mine = insight("trace", "--listener", "l-g01", *on).stdout.splitlines()
    assert mine[:2] == [
        "listener L-G01: 7 live notes, 6 of them evidence for an insight (1 in none yet)",
        "their notes stand behind 1 action (1 agreed); 1 outcome so far, fed back to people"]
    assert "  evidence for I1 Waiting with no contact (6 of their notes: g1, g2, g3, g4, g5, " \
        "g6)" in mine
    assert "  evidence for I2 Nobody rings back (1 of their notes: g1)" in mine
    assert "      answered by A1 Contact every four weeks [agreed since 10 September 2026; " \
        "Talking Therapies lead] (6 of their notes: g1, g2, g3, g4, g5, g6)" in mine
    assert "        outcome O1 Calls started in October (seen 1 October 2026; fed back 20 " \
        "October 2026)" in mine
    assert "    supports P2 Call-backs within a day (1 of their notes: g1)" in mine
    assert not any("zz9" in line or "g7" in line or "she said" in line for line in mine)
    as_json = json.loads(insight("trace", "--listener", "L-G01", "-f", "json", *on).stdout)
    assert (as_json["listener"], as_json["notes"], as_json["in_insights"]) == ("L-G01", 7, 6)
    assert as_json["behind"] == {"actions": {"agreed": 1}, "outcomes": 1, "fed_back": 1}
    assert [p["notes"] for p in as_json["priorities"]] == [
        ["g1", "g2", "g3", "g4", "g5", "g6"], ["g1"]]
    assert "zz9" not in json.dumps(as_json)
    # a typo, or a listener's code given as a record: said what to type
    typo = insight("trace", "--listener", "L-G1", *on, check=False)
    assert typo.returncode == 2
    assert "no live notes by listener 'L-G1' (did you mean 'L-G01'?)" in " ".join(
        typo.stderr.split())
    positional = insight("trace", "L-G01", *on, check=False)
    assert positional.returncode == 2 and "`insight trace --listener L-G01` follows all of " \
        "their notes" in " ".join(positional.stderr.replace("│", " ").split())
    # an erased note is not theirs any more: neither listed nor counted, and said so
    insight("erase", "--note", "g2", *on)
    after = insight("trace", "--listener", "L-G01", *on).stdout
    assert after.startswith("listener L-G01: 6 live notes, 5 of them evidence")
    assert "g2" not in after and "(erased notes are not here" in after
    assert json.loads(insight("trace", "g2", "-f", "json", *on).stdout)["erased_on"]
    one = insight("trace", "--listener", "L-H02", *on).stdout.splitlines()
    assert one[0] == "listener L-H02: 1 live note, evidence for an insight"
    insight("erase", "--note", "zz9", *on)
    gone = insight("trace", "--listener", "L-H02", *on, check=False)
    assert gone.returncode == 2 and "one whose notes were all erased has none to follow" in \
        " ".join(gone.stderr.split())


def test_a_word_not_in_a_fixed_set_gets_a_did_you_mean(tmp_path: Path) -> None:
    """A blind user audit: `actions status A1 complete` and `--audience comissioner` said
    only what was allowed; each such word now names the closest one."""
    ws = workspace_with(tmp_path, [{"id": "w1", "text": "Waited nine months."}], "--no-screen")
    insight("actions", "add", "Monthly calls", "-w", str(ws))

    def said(*args: str) -> str:
        done = insight(*args, "-w", str(ws), check=False)
        assert done.returncode == 2, done.stderr
        return " ".join(done.stderr.replace("│", " ").split())

    assert "unknown action status 'complete' (did you mean 'done'?); use one of: proposed, " \
        "agreed, in progress, done, declined" in said("actions", "status", "A1", "complete")
    for command in ("rollup", "report"):
        assert "unknown audience 'comissioner' (did you mean 'commissioner'?)" in said(
            command, "--audience", "comissioner")
    assert "unknown format 'tabel' (did you mean 'table'?)" in said("rollup", "-f", "tabel")
    assert "unknown format 'jsn' (did you mean 'json'?)" in said("trace", "A1", "-f", "jsn")
    assert "unknown commissioning stage 'desgn' (did you mean 'pathway design'?)" in said(
        "actions", "update", "A1", "--stage", "desgn")
    assert "unknown involvement 'activ' (did you mean 'active'?)" in said(
        "actions", "involve", "A1", "--mode", "activ", "--continuity", "embedded")
    assert "unknown experience 'negtive' (did you mean 'negative'?)" in said(
        "notes", "review", "w1", "--experience", "negtive")
    assert "(did you mean 'access-waiting'?)" in said("notes", "list", "--category",
                                                     "acess-waiting")
    assert "unknown backend 'sklern' (did you mean 'sklearn'?)" in said(
        "train", "--backend", "sklern")
    # nothing close: no guess
    assert "did you mean" not in said("actions", "status", "A1", "banana")


def test_a_date_written_right_that_is_no_day_is_said_to_be_no_day(tmp_path: Path) -> None:
    """A blind user audit: `--due 31/02/2026` was said to be in the wrong format."""
    ws = workspace_with(tmp_path, [{"id": "w1", "text": "Waited nine months."}], "--no-screen")
    insight("actions", "add", "Monthly calls", "-w", str(ws))
    for value, why in (("31/02/2026", "February 2026 has 28 days"),
                       ("2026-04-31", "April 2026 has 30 days"),
                       ("14/13/2026", "there is no month 13")):
        wrong = insight("actions", "update", "A1", "--due", value, "-w", str(ws), check=False)
        said = " ".join(wrong.stderr.replace("│", " ").split())
        assert wrong.returncode == 2 and f"'{value}' is not a day: {why}" in said
        assert "expected" not in said
    # a leap day is a day; a date in no format is still told the formats
    assert "A1: updated due_on" in insight("actions", "update", "A1", "--due", "29/02/2028",
                                           "-w", str(ws)).stdout
    junk = insight("actions", "update", "A1", "--due", "soon", "-w", str(ws), check=False)
    assert "expected YYYY-MM-DD" in " ".join(junk.stderr.replace("│", " ").split())


def test_a_reference_typed_in_lower_case_is_echoed_as_every_list_shows_it(
    tmp_path: Path,
) -> None:
    """A blind user audit: `actions status a5 agreed` said `a5: agreed`."""
    ws = workspace_with(tmp_path, [{"id": "w1", "text": "Waited nine months."}], "--no-screen")
    insight("insights", "add", "Waiting alone", "--note", "w1", "-w", str(ws))
    insight("priorities", "add", "No one waits alone", "--insight", "I1", "-w", str(ws))
    insight("actions", "add", "Monthly calls", "--priority", "P1", "-w", str(ws))

    def said(*args: str) -> str:
        return insight(*args, "-w", str(ws)).stdout.strip()

    today = uk_today()
    since = f" since {today.day} {today:%B %Y}"  # dated today, as no day was given
    assert said("actions", "status", "a1", "agreed") == "A1: agreed" + since
    assert said("actions", "status", "1", "in progress") == "A1: in progress" + since
    assert said("actions", "status", "A1", "done") == "A1: done" + since
    assert said("actions", "status", "A1", "--undo") == \
        "A1: in progress" + since + " (done taken back)"
    both = insight("actions", "status", "A1", "done", "--undo", "-w", str(ws), check=False)
    neither = insight("actions", "status", "A1", "-w", str(ws), check=False)
    assert both.returncode == neither.returncode == 2 and "--undo" in neither.stderr
    assert "done taken back as a mistake" in insight("audit", "--record", "A1", "-w",
                                                     str(ws)).stdout
    assert said("actions", "involve", "a1", "--mode", "active", "--continuity",
                "embedded") == "A1: people with lived experience took part, active and embedded"
    assert said("actions", "update", "a1", "--owner", "Service lead") == "A1: updated owner"
    insight("outcomes", "add", "a1", "Calls started", "-w", str(ws))
    assert said("outcomes", "update", "o1", "--evidence", "Call log") == "O1: updated evidence"
    assert said("insights", "update", "i1", "--title", "Waiting, alone") == "I1: updated title"
    assert said("actions", "unlink", "a1", "p1") == "A1: unlinked 1 priority"
    assert said("outcomes", "delete", "o1", "--yes").startswith("deleted O1 ")


def test_a_period_is_given_with_since_and_until(tmp_path: Path) -> None:
    """report, rollup and notes list count the notes heard in a period; a period given
    backwards is refused, not answered with nothing."""
    ws = workspace_with(tmp_path, [
        {"id": f"n{i}", "text": f"Note {i} about the long wait.", "heard_on": day,
         "categories": ["access-waiting"]}
        for i, day in enumerate(["2026-08-03", "2026-08-20", "2026-10-02", "2026-10-09",
                                 "2026-11-12"])], "--no-screen")
    table = insight("rollup", "--since", "1/10/2026", "--until", "31/12/2026", "-f", "json",
                    "-w", str(ws)).stdout
    assert {r["category"]: r["notes"] for r in json.loads(table)}["access-waiting"] == 3
    listed = json.loads(insight("notes", "list", "--until", "2026-09-30", "-f", "json",
                                "-w", str(ws)).stdout)
    assert [r["note"] for r in listed] == ["n1", "n0"]
    out = tmp_path / "q.xlsx"
    insight("report", "--since", "2026-10-01", "--until", "2026-12-31", "-o", str(out),
            "--audience", "lead", "-w", str(ws))
    from openpyxl import load_workbook

    about = {r[0].value: r[1].value for r in load_workbook(out)["About"].iter_rows()}
    assert about["notes"] == 3 and about["notes heard from"].date() == date(2026, 10, 1)
    for command in (["rollup"], ["notes", "list"], ["report", "-o", str(out)]):
        backwards = insight(*command, "--since", "2026-12-01", "--until", "2026-10-01",
                            "-w", str(ws), check=False)
        assert backwards.returncode == 2 and "is after --until" in backwards.stderr
    later = insight("report", "--since", "2099-01-01", "-o", str(out), "-w", str(ws),
                    check=False)
    assert later.returncode == 2 and "is still to come" in later.stderr


def test_a_report_overlapping_an_earlier_one_for_the_same_readers_says_so(
    tmp_path: Path,
) -> None:
    """A quarter's "<5" could be worked out from the running total less the other quarter
    (blind commissioner audit): the second report written says so, a correction does not."""
    ws = workspace_with(tmp_path, [
        {"id": f"n{i}", "text": f"Note {i} about the long wait.", "heard_on": day,
         "categories": ["access-waiting"]}
        for i, day in enumerate(["2026-08-03", "2026-10-02"])], "--no-screen")
    out = tmp_path / "r.html"
    everything = insight("report", "-o", str(out), "-w", str(ws))
    assert "overlap" not in everything.stderr  # the first for these readers
    quarter = insight("report", "--since", "2026-10-01", "--until", "2026-12-31", "-o",
                      str(out), "-w", str(ws))
    assert ("counted every note, and this one counts the notes heard from 2026-10-01 to "
            "2026-12-31: where they overlap, a count in one less the same count in the "
            "other can be a number under 5") in " ".join(quarter.stderr.split())
    again = insight("report", "--since", "2026-10-01", "--until", "2026-12-31", "-o",
                    str(out), "-w", str(ws))
    assert "(and 1 more)" not in again.stderr  # the same notes again is no new risk
    assert "counted every note" in again.stderr  # but the running total still is
    # another quarter beside it is not; leads see every count anyway
    earlier = insight("report", "--since", "2026-07-01", "--until", "2026-09-30", "-o",
                      str(out), "-w", str(ws))
    assert "overlap" in earlier.stderr and "2026-10-01" not in earlier.stderr
    lead = insight("report", "--audience", "lead", "-o", str(out), "-w", str(ws))
    assert "overlap" not in lead.stderr


def test_rollup_table_gives_a_share_as_the_report_does(tmp_path: Path) -> None:
    """A blind user audit: the table said 0.375 where the report says 38%."""
    ws = workspace_with(tmp_path, [
        {"id": f"n{i}", "text": f"Note {i} about what happened.",
         "categories": ["access-waiting"] if i < 3 else ["carers-family"]} for i in range(8)],
        "--no-screen")
    table = insight("rollup", "-w", str(ws)).stdout.splitlines()
    shares = {line.split()[0]: line.split()[2] for line in table[1:]}
    assert table[0].split()[:3] == ["category", "notes", "share"]
    assert shares["access-waiting"] == "38%" and shares["carers-family"] == "62%"
    assert shares["crisis-urgent"] == "0%"
    # csv and json are data: the number
    rows = json.loads(insight("rollup", "-f", "json", "-w", str(ws)).stdout)
    assert next(r for r in rows if r["category"] == "access-waiting")["share"] == 0.375
    as_csv = list(csv.DictReader(insight("rollup", "-f", "csv", "-w", str(ws)).stdout
                                 .splitlines()))
    assert next(r for r in as_csv if r["category"] == "access-waiting")["share"] == "0.375"


def test_notes_list_as_json_gives_null_for_a_field_not_given(tmp_path: Path) -> None:
    # blind audit: a note stored without a place was listed as "place": NaN, which is no
    # JSON: jq, a browser or a spreadsheet's import refuse the whole list
    ws = workspace_with(tmp_path, [
        {"id": "p", "text": "Waited a year for a call back.", "place": "Leeds"},
        {"id": "q", "text": "The group closed without a word.", "listener": "L-1"}])

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    out = insight("notes", "list", "-w", str(ws), "-f", "json").stdout
    listed = {r["note"]: r for r in json.loads(out, parse_constant=refuse)}
    assert listed["q"]["place"] is None and listed["p"]["place"] == "Leeds"
    assert listed["p"]["listener"] is None and listed["q"]["heard_on"] is None


def test_evaluate_names_labels_the_model_left_out_not_as_renamed(tmp_path: Path) -> None:
    words = {"Housing": "landlord rent flat damp eviction",
             "Money": "benefits debt food bank credit"}
    rows = ["id,text,labels"]
    for i in range(60):
        label = "Housing" if i % 2 else "Money"
        rows.append(f"r{i},{words[label]} note {i},{label}")
    rows += [f"t{i},bus fare {i} and a taxi,Transport" for i in range(3)]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    insight("train", "--data", "train.csv", "--label-col", "labels", "--min-count", "5",
            "--out", "m", cwd=tmp_path)
    # no Money rows here: a label the data lacks beside one the model lacks asked "renamed?"
    (tmp_path / "eval.csv").write_text(
        "id,text,labels\ne1,damp flat and the landlord,Housing\ne2,rent and eviction,Housing\n"
        "e3,bus fare to the clinic,Transport;Housing\n", encoding="utf-8")
    scored = insight("evaluate", "--model", "m", "--data", "eval.csv", "--label-col", "labels",
                     "--no-write-card", cwd=tmp_path)
    assert ("note: Transport had fewer than --min-count 5 examples when this model was "
            "trained: the model never learned it" in scored.stderr)
    assert "renamed?" not in scored.stderr
    with (tmp_path / "eval.csv").open("a", encoding="utf-8") as handle:
        handle.write("e4,gas bill,Utilities;Housing\n")
    scored = insight("evaluate", "--model", "m", "--data", "eval.csv", "--label-col", "labels",
                     "--no-write-card", cwd=tmp_path)
    [warning] = [line for line in scored.stderr.splitlines() if "renamed?" in line]
    assert "Utilities" in warning and "Transport" not in warning
    # a file of left-out labels only has nothing to score, and says why
    (tmp_path / "rare.csv").write_text("id,text,labels\ne1,taxi again,Transport\n",
                                       encoding="utf-8")
    refused = insight("evaluate", "--model", "m", "--data", "rare.csv", "--label-col", "labels",
                      cwd=tmp_path, check=False)
    assert refused.returncode == 1
    assert "nothing to score: Transport had fewer than --min-count 5" in refused.stderr


def test_a_workspace_option_before_the_command_says_where_it_goes(tmp_path: Path) -> None:
    early = insight("-w", "ws", "ingest", "notes.csv", cwd=tmp_path, check=False)
    assert early.returncode == 2
    said = " ".join(early.stderr.replace("│", " ").split())
    assert "No such option: -w: put it after the command (insight COMMAND ... -w DIR), or " \
        "set $INSIGHT_WORKSPACE" in said
    grouped = insight("notes", "--workspace", "ws", "list", cwd=tmp_path, check=False)
    said = " ".join(grouped.stderr.replace("│", " ").split())
    assert "(insight notes COMMAND ... --workspace DIR)" in said
    other = insight("--nope", "ingest", cwd=tmp_path, check=False)
    assert other.returncode == 2 and "put it after" not in other.stderr


def test_a_rejected_row_raising_a_concern_cannot_be_dropped_unread(tmp_path: Path) -> None:
    """Such a row was never stored, so no queue holds it: quarantine marks it, `clear --all`
    keeps it, and `dismiss` asks what a person did about it and audits the answer."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    form = tmp_path / "form.csv"
    form.write_text("id,heard_on,text,safeguarding\n"
                    "k1,31/02/2025,Her boyfriend strangled her and she is scared to go home.,"
                    "yes\n"
                    "k2,2025-02-30,The new group meets on Tuesdays.,no\n", encoding="utf-8")
    ingested = insight("ingest", "-w", str(ws), str(form), check=False)
    assert ingested.returncode == 3
    assert "SAFEGUARDING: 1 rejected row raises a safeguarding concern (line " in ingested.stderr
    listed = insight("quarantine", "list", "-w", str(ws), "-f", "json")
    assert json.loads(listed.stdout)[0]["safeguarding_concerns"] == 1
    # the safeguarding lead's own views say it is there, in no queue
    queue = insight("safeguarding", "list", "-w", str(ws))
    assert "SAFEGUARDING: 1 rejected row raising a concern waits in quarantine, in no queue " \
        "(form.csv line 2; the oldest since " in queue.stderr
    assert "SAFEGUARDING: 1 rejected row raising a concern waits in quarantine" in insight(
        "quarantine", "list", "-w", str(ws)).stderr
    shown = insight("quarantine", "show", "-w", str(ws)).stdout
    assert shown.index("SAFEGUARDING CONCERN") < shown.index("form.csv line 2")
    assert "SAFEGUARDING CONCERN" not in shown[shown.index("form.csv line 3"):]
    cleared = insight("quarantine", "clear", "--all", "--yes", "-w", str(ws))
    assert "removed 1 quarantined row" in cleared.stdout and "kept 1 row raising" in cleared.stderr
    refused = insight("quarantine", "dismiss", "form.csv", "2", "--yes", "-w", str(ws),
                      check=False)
    assert refused.returncode == 2 and "--concern-handled" in refused.stderr
    done = insight("quarantine", "dismiss", "form.csv", "2", "--yes", "--concern-handled",
                   "rang the listener; referred to the IDVA", "-w", str(ws))
    assert "dismissed form.csv line 2" in done.stdout
    log = json.loads(insight("audit", "-w", str(ws), "-f", "json").stdout)
    events = [(e["operation"], e["record_type"], e["record"]) for e in log]
    assert ("clear", "quarantine", "quarantine") in events
    [dismissed] = [e for e in log if e["record_type"] == "quarantine-row"]
    assert dismissed["record"] == "form.csv line 2"
    assert dismissed["after"]["what_was_done"] == "rang the listener; referred to the IDVA"
    assert "strangled" not in json.dumps(log)  # the row's words are never in the log
    # next month's cumulative export repeats the row: handled, so no new alarm
    again = insight("ingest", "-w", str(ws), str(form), check=False)
    assert "SAFEGUARDING" not in again.stderr and "1 dismissed before" in again.stdout


def test_a_broken_json_line_marked_safeguarding_yes_is_kept_in_quarantine(
    tmp_path: Path
) -> None:
    """A line that is not JSON (a trailing comma, a missing brace) but says safeguarding
    yes is named in red and kept by `clear --all`, as a CSV row of the wrong width is."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    form = tmp_path / "form.jsonl"
    form.write_text(
        '{"id": "S-1", "listener": "L07", "text": "The damp is making her low mood worse.", '
        '"safeguarding": "yes",}\n'
        '{"id": "S-2", "listener": "L07", "text": "The pharmacy runs out of his tablets.", '
        '"safeguarding": true\n'
        '{"id": "S-3", "listener": "L07", "text": "The cafe group meets on Tuesdays.", '
        '"safeguarding": "no",}\n', encoding="utf-8")
    ingested = insight("ingest", "-w", str(ws), str(form), check=False)
    assert ingested.returncode == 3
    said = " ".join(ingested.stderr.split())
    assert "SAFEGUARDING: 2 rejected rows raise a safeguarding concern (lines 1, 2)" in said
    assert "damp" not in said
    listed = insight("quarantine", "list", "-w", str(ws), "-f", "json")
    assert json.loads(listed.stdout)[0]["safeguarding_concerns"] == 2
    cleared = insight("quarantine", "clear", "--all", "--yes", "-w", str(ws))
    assert "removed 1 quarantined row" in cleared.stdout and "kept 2 rows raising" in cleared.stderr
    shown = insight("quarantine", "show", "-w", str(ws)).stdout
    assert "form.jsonl line 1" in shown and "form.jsonl line 2" in shown


def test_no_screen_says_what_is_not_read(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    form = tmp_path / "form.csv"
    form.write_text("id,text,Anything else\n"
                    "k1,Sleeps in his car most nights.,He keeps thinking about driving into "
                    "a wall\n", encoding="utf-8")
    said = " ".join(insight("ingest", "--no-screen", "-w", str(ws), str(form)).stderr.split())
    assert "safeguarding phrase screening is off (--no-screen)" in said
    assert "NOT read for safeguarding phrases (--no-screen)" in said
    assert "read only for safeguarding phrases" not in said


def test_an_erased_notes_concern_already_in_the_queue_is_no_rejection_at_ingest(
    tmp_path: Path
) -> None:
    """DPO audit: ingesting an edited export exited 3 while saying "rejected 0": an erased
    note's row said safeguarding yes, a concern the queue had held (and a person dealt
    with) before the note was erased. A new yes for an erased note is still an alarm."""
    scared = "She is scared to go home tonight with the children and the dog."
    drop_in = "The drop-in on Fridays kept me going through the whole of winter."
    rows = [{"id": "s1", "text": scared, "safeguarding": "yes"},
            {"id": "s2", "text": drop_in, "safeguarding": "no"}]
    ws = workspace_with(tmp_path, rows, "--no-screen")
    [item] = json.loads(insight("safeguarding", "list", "-w", str(ws), "-f", "json").stdout)
    insight("safeguarding", "ack", str(item["item"]), "--note", "referred to the IDVA",
            "-w", str(ws))
    insight("erase", "--note", "s1", "--note", "s2", "--yes", "-w", str(ws))
    edited = tmp_path / "edited.csv"  # the same rows, renamed columns, no ids
    edited.write_text(f"Text,Safeguarding\n{scared},yes\n", encoding="utf-8")
    again = insight("ingest", "--no-screen", "-w", str(ws), str(edited), check=False)
    assert again.returncode == 0 and "SAFEGUARDING" not in again.stderr
    assert "rejected 0, already present 0" in again.stdout
    assert "1 row of erased notes: erased, not restored" in again.stdout
    # an erased note no queue ever held a concern for, now said yes: named, and exit 3
    new = tmp_path / "new.csv"
    new.write_text(f"Text,Safeguarding\n{drop_in},yes - rang again\n", encoding="utf-8")
    alarm = insight("ingest", "--no-screen", "-w", str(ws), str(new), check=False)
    assert alarm.returncode == 3
    assert "SAFEGUARDING: 1 row(s) of erased notes say safeguarding yes" in alarm.stderr


def test_restore_keeps_safeguarding_work_done_since_the_backup(tmp_path: Path) -> None:
    ws = workspace_with(tmp_path, [
        {"id": "s1", "text": "She is scared to go home tonight.", "safeguarding": "yes",
         "listener": "L-1"},
        {"id": "s2", "text": "The drop-in on Fridays kept me going.", "listener": "L-2"},
    ], "--no-screen")
    out = tmp_path / "ws.zip"
    insight("backup", "--out", str(out), "-w", str(ws))
    [item] = json.loads(insight("safeguarding", "list", "-w", str(ws), "-f", "json").stdout)
    insight("safeguarding", "ack", str(item["item"]), "--note", "referred to the IDVA",
            "-w", str(ws))
    insight("safeguarding", "follow-up", str(item["item"]), "--note", "MARAC on Tuesday",
            "-w", str(ws))
    insight("safeguarding", "add", "s2", "--reason", "rang back: disclosed a plan",
            "-w", str(ws))
    late = tmp_path / "late.jsonl"  # a note the backup never held
    late.write_text(json.dumps({"id": "s3", "text": "Another worry.", "safeguarding": "yes"})
                    + "\n", encoding="utf-8")
    insight("ingest", "--no-screen", "-w", str(ws), str(late))
    bad = tmp_path / "bad.csv"  # a rejected row raising a concern: its only copy
    bad.write_text("id,heard_on,text,safeguarding\nq1,31/02/2025,He has gone missing since "
                   "Friday.,yes\n", encoding="utf-8")
    assert insight("ingest", "--no-screen", "-w", str(ws), str(bad), check=False).returncode == 3
    before = json.loads(insight("safeguarding", "list", "--all", "-w", str(ws), "-f",
                                "json").stdout)
    said = insight("restore", str(out), "-w", str(ws), "--yes")
    assert "kept 4 safeguarding records made since the backup" in said.stdout
    # a note the backup lacks comes with its concern: no concern is lost, no number reused
    assert "1 note(s) ingested after the backup raised safeguarding concerns: kept with " \
        "their queue items (s3)" in " ".join(said.stderr.split())
    after = json.loads(insight("safeguarding", "list", "--all", "-w", str(ws), "-f",
                               "json").stdout)
    assert after == before
    assert "Another worry." in insight("notes", "show", "s3", "-w", str(ws)).stdout
    assert "kept 1 quarantine file written since the backup" in said.stdout
    listed = insight("quarantine", "list", "-w", str(ws)).stderr
    assert "SAFEGUARDING: 1 rejected row raising a concern waits" in listed
    shown = json.loads(insight("safeguarding", "show", str(item["item"]), "-w", str(ws),
                               "-f", "json").stdout)
    assert [f["note"] for f in shown[0]["follow_ups"]] == ["MARAC on Tuesday"]
    log = json.loads(insight("audit", "-w", str(ws), "-f", "json").stdout)
    [restored] = [e for e in log if e["operation"] == "restore"]
    assert restored["after"]["safeguarding_records_carried"] == 4
    assert [e["at"] for e in log] == sorted(e["at"] for e in log)  # in time order
    # who acknowledged it, and when, is in the audit log as it was
    assert any(e["record_type"] == "safeguarding" and e["operation"] == "update"
               and e["after"]["ack_note"] == "referred to the IDVA" for e in log)


def test_erasing_past_an_open_item_is_audited_and_said(tmp_path: Path) -> None:
    ws = workspace_with(tmp_path, [
        {"id": "s1", "text": "She is scared to go home tonight.", "safeguarding": "yes"},
        {"id": "s2", "text": "He is worried about money.", "safeguarding": "yes"},
    ], "--no-screen")
    items = json.loads(insight("safeguarding", "list", "-w", str(ws), "-f", "json").stdout)
    insight("safeguarding", "ack", str(items[1]["item"]), "--note", "rang him", "-w", str(ws))
    forced = insight("erase", "--note", "s1", "--note", "s2", "--force", "--yes", "--reason",
                     "subject request", "-w", str(ws))
    assert f"SAFEGUARDING: 1 queue item(s) stay open against erased notes (queue " \
        f"{items[0]['item']})" in forced.stderr
    assert "2 of these notes had items in the safeguarding queue: their queue records" in \
        " ".join(forced.stdout.split())
    log = json.loads(insight("audit", "-w", str(ws), "-f", "json").stdout)
    [override] = [e for e in log if e["operation"] == "override"]
    assert override["after"]["open_items"] == [items[0]["item"]]
    assert override["after"]["reason"] == "subject request"
    kept = json.loads(insight("safeguarding", "list", "--all", "-w", str(ws), "-f",
                              "json").stdout)
    assert [i["what_was_done"] for i in kept] == [None, "rang him"]  # the record stays


def test_notes_show_says_where_a_flagged_note_reads_as_risk(small_model: Path,
                                                            tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    shutil.copytree(small_model, ws / "model")  # the workspace's model
    notes = tmp_path / "notes.jsonl"
    notes.write_text(json.dumps({"id": "r1", "text": "We had tea. She has been cutting again "
                                 "and showed me her arm."}) + "\n", encoding="utf-8")
    insight("ingest", str(notes), "-w", str(ws))
    shown = insight("notes", "show", "r1", "-w", str(ws)).stdout
    assert "the phrase list (self-harm) matched: “cutting again" in shown
    assert "the classifier reads most risk in: “She has been cutting again and showed me " \
        "her arm.”" in shown
    held = json.loads(insight("notes", "show", "r1", "-w", str(ws), "-f", "json").stdout)
    assert held[0]["safeguarding_words"]["sentence"][0].startswith("She has been cutting")
    insight("tag", "-w", str(ws))
    tagged = insight("notes", "show", "r1", "-w", str(ws)).stdout
    model_lines = [line for line in tagged.splitlines() if line.startswith("  [model]")]
    # each tag's confidence beside the one its category is given from (they differ)
    assert model_lines and all(re.search(r" \d\.\d\d \(tagged from \d\.\d\d\)$", line)
                               for line in model_lines)
    # the queue itself keeps no note words: only what raised it
    queue = insight("safeguarding", "list", "-w", str(ws)).stdout
    assert "cutting" not in queue
    rows = tmp_path / "in.csv"
    rows.write_text("id,text\nx1,She has been cutting again.\nx2,We had tea.\n",
                    encoding="utf-8")
    out = tmp_path / "out.jsonl"
    insight("classify", str(rows), "-o", str(out), "--model", str(small_model))
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["safeguarding_why"].startswith("phrase list: self-harm")
    assert "cutting" not in lines[0]["safeguarding_why"] and lines[1]["safeguarding_why"] == ""


@pytest.mark.parametrize("name", ["root", "  ", "Administrator", "x", "DSL", "Office",
                                  "safeguarding  lead"])
def test_a_safeguarding_decision_names_a_person_not_a_shared_account(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    from insight.cli import _acting_person

    monkeypatch.setenv("INSIGHT_USER", name)
    monkeypatch.setattr("getpass.getuser", lambda: "root")
    with pytest.raises(typer.BadParameter, match="set INSIGHT_USER to your name"):
        _acting_person()
    monkeypatch.setenv("INSIGHT_USER", "Sam Patel")
    assert _acting_person() == "Sam Patel"
    monkeypatch.setenv("INSIGHT_USER", "Jo")  # a short name is still a person's
    assert _acting_person() == "Jo"


def test_an_outcome_corrected_after_it_was_fed_back_is_to_feed_back_again(
        tmp_path: Path) -> None:
    ws = workspace_with(tmp_path, [{"id": "n1", "text": "Nobody rang me back for weeks."}])
    insight("insights", "add", "No call backs", "--note", "n1", "-w", str(ws))
    insight("priorities", "add", "Call people back", "--insight", "I1", "-w", str(ws))
    insight("actions", "add", "Check-in calls", "--priority", "P1", "--status", "done",
            "-w", str(ws))
    insight("outcomes", "add", "A1", "Calls made to 200 people", "--fed-back-on",
            "2026-11-20", "-w", str(ws))
    fixed = insight("outcomes", "update", "O1", "--description", "Calls made to 80 people",
                    "-w", str(ws))
    assert "O1 was fed back on 2026-11-20 as it was before this change: it is now marked " \
        "not fed back" in " ".join(fixed.stderr.split())
    [outcome] = json.loads(insight("outcomes", "list", "-w", str(ws), "-f", "json").stdout)
    assert outcome["fed_back"] is False and not outcome["fed_back_on"]
    blank = insight("outcomes", "update", "O1", "--fed-back-on", "", "-w", str(ws),
                    check=False)
    assert blank.returncode == 2 and "--not-fed-back" in blank.stderr
    insight("outcomes", "update", "O1", "--fed-back-on", "2026-11-27", "-w", str(ws))
    insight("outcomes", "update", "O1", "--not-fed-back", "-w", str(ws))
    [outcome] = json.loads(insight("outcomes", "list", "-w", str(ws), "-f", "json").stdout)
    assert outcome["fed_back"] is False and not outcome["fed_back_on"]


def test_an_action_status_is_dated_and_traced(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    insight("actions", "add", "Evening crisis line", "--status", "agreed", "--status-on",
            "2026-09-20", "-w", str(ws))
    done = insight("actions", "status", "A1", "in progress", "--on", "02/10/2026", "-w", str(ws))
    assert done.stdout.strip() == "A1: in progress since 2 October 2026"
    traced = insight("trace", "A1", "-w", str(ws)).stdout.splitlines()
    assert "  statuses: agreed 20 September 2026, in progress 2 October 2026" in traced
    early = insight("actions", "status", "A1", "done", "--on", "2026-09-01", "-w", str(ws),
                    check=False)
    assert early.returncode != 0 and "it became in progress on 2 October 2026" in " ".join(
        early.stderr.split())


def test_a_person_corrects_a_notes_fields(tmp_path: Path) -> None:
    """Ingesting again never changes a stored field: `notes update` does, audited, and a
    phone number corrected out of the listener field leaves the audit log too."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    notes = tmp_path / "n.csv"
    notes.write_text("id,text,listener,place\nh1,The home visit was cut short again.,"
                     "07700 900999,home visit\n", encoding="utf-8")
    insight("ingest", str(notes), "-w", str(ws))
    fixed = insight("notes", "update", "h1", "--listener", "L12", "--place", "Aston",
                    "--heard-on", "03/11/2025", "-w", str(ws)).stdout.splitlines()
    assert sorted(fixed) == ["h1: heard on now 2025-11-03", "h1: listener now L12",
                             "h1: place now Aston"]
    assert insight("notes", "update", "h1", "--place", "Aston", "-w", str(ws)).stdout.strip() \
        == "h1: unchanged"
    log = insight("audit", "-f", "json", "-w", str(ws)).stdout
    assert "07700 900999" not in log and "(contact details, removed)" in log
    nothing = insight("notes", "update", "h1", "-w", str(ws), check=False)
    assert nothing.returncode == 2 and "give what to correct" in nothing.stderr
    # a conversation's day has passed, as ingest says of a date in a file
    later = insight("notes", "update", "h1", "--heard-on", "2099-01-01", "-w", str(ws),
                    check=False)
    assert later.returncode == 1 and "that day is still to come" in later.stderr
    assert "2099" not in insight("audit", "-f", "json", "-w", str(ws)).stdout


def test_a_priority_is_withdrawn_and_reinstated(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    insight("priorities", "add", "Evening crisis line", "-w", str(ws))
    insight("actions", "add", "Pilot an evening line", "--priority", "P1", "--status",
            "in progress", "-w", str(ws))
    done = insight("priorities", "withdraw", "p1", "--reason", "The ICB funds a 24-hour line",
                   "-w", str(ws))
    assert done.stdout.startswith("P1: withdrawn; the reports keep it")
    assert "A1 still responds to P1 and is not done or declined" in " ".join(done.stderr.split())
    assert "update" not in insight("audit", "--record", "P1", "-w", str(ws)).stdout
    assert "priority_withdrawals" in insight("audit", "--record", "P1", "-w", str(ws)).stdout
    why = insight("priorities", "withdraw", "P1", "-w", str(ws), check=False)
    assert why.returncode == 2 and "--reason" in why.stderr
    # where a lead looks, not only in the reports (the golden-thread audit over two quarters)
    [listed] = json.loads(insight("priorities", "list", "-f", "json", "-w", str(ws)).stdout)
    assert listed["withdrawn_on"] == str(uk_today()) and listed["agreed_on"] == ""
    traced = insight("trace", "P1", "-w", str(ws)).stdout
    assert traced.startswith(f"P1 Evening crisis line [withdrawn {uk_today().day} "
                             f"{uk_today():%B %Y}: The ICB funds a 24-hour line]")
    refused = insight("actions", "add", "Fund a peer group", "--priority", "P1", "-w",
                      str(ws), check=False)
    assert refused.returncode == 1 and "reinstate it first" in refused.stderr
    assert insight("priorities", "reinstate", "P1", "-w", str(ws)).stdout.strip() == \
        "P1: pursued again"
    assert insight("priorities", "reinstate", "P1", "-w", str(ws)).stdout.strip() == \
        "P1: was not withdrawn"


def test_a_priority_added_twice_is_merged(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws))
    insight("priorities", "add", "Evening crisis line", "-w", str(ws))
    twice = insight("priorities", "add", "Evening crisis line", "-w", str(ws))
    assert "P1 has the same title" in twice.stderr
    insight("actions", "add", "Pilot an evening line", "--priority", "P2", "-w", str(ws))
    merged = insight("priorities", "merge", "p2", "--into", "P1", "-w", str(ws)).stdout
    assert merged.startswith("merged P2 into P1: 0 insights, 1 action newly under it (P2 "
                             "deleted;")
    assert [p["ref"] for p in json.loads(insight("priorities", "list", "-f", "json", "-w",
                                                 str(ws)).stdout)] == ["P1"]
    assert "merged into P1" in insight("audit", "--record", "P2", "-w", str(ws)).stdout
    gone = insight("trace", "P2", "-w", str(ws), check=False)
    assert gone.returncode == 2 and "it was merged into P1 on" in " ".join(
        gone.stderr.replace("│", " ").split())
    itself = insight("priorities", "merge", "P1", "--into", "P1", "-w", str(ws), check=False)
    assert itself.returncode == 1 and "into itself" in itself.stderr
    missing = insight("priorities", "merge", "P1", "-w", str(ws), check=False)
    assert missing.returncode == 2 and "--into" in missing.stderr


def test_dismissing_a_row_in_a_file_to_fix_dismisses_the_row_it_was_made_from(
        tmp_path: Path) -> None:
    """Both blind coordinator audits: dismissing the copy of a row in the file to fix left
    the original to fix again (and the other way round)."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    notes = tmp_path / "d.csv"
    notes.write_text("id,text,heard_on\nd1,Test answer please ignore this row,31/02/2026\n",
                     encoding="utf-8")
    insight("ingest", str(notes), "-w", str(ws), check=False)
    fix = tmp_path / "fix.jsonl"
    insight("quarantine", "export", "--out", str(fix), "-w", str(ws))
    insight("ingest", str(fix), "-w", str(ws), check=False)  # still a bad date
    done = insight("quarantine", "dismiss", "fix.jsonl", "1", "--yes", "-w", str(ws))
    assert "removed 2 quarantined rows" in done.stdout
    assert insight("quarantine", "show", "-w", str(ws)).stdout.strip() == "no rows to fix"


def test_a_concern_row_quarantined_by_two_ingests_of_one_file_is_one_row(
        tmp_path: Path) -> None:
    """Second blind coordinator audit: '2 rejected rows ... (form line 2, form line 2)'."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    notes = tmp_path / "form.csv"
    notes.write_text("id,text,heard_on,safeguarding,Where\n"
                     "s1,She said she cannot keep herself safe tonight.,31/02/2026,yes,Leeds\n",
                     encoding="utf-8")
    insight("ingest", str(notes), "-w", str(ws), check=False)
    insight("ingest", str(notes), "--column", "place=Where", "-w", str(ws), check=False)
    listed = " ".join(insight("quarantine", "list", "-w", str(ws)).stderr.split())
    assert "SAFEGUARDING: 1 rejected row raising a concern waits in quarantine, in no queue " \
        "(form.csv line 2;" in listed


def test_consent_to_contact_is_shown_and_found(tmp_path: Path) -> None:
    """Blind audit (a peer listener): `notes show` gave consent to quote but not consent to
    contact, and nothing listed the people who agreed to be told what happened next. A
    contact answer read as no ("yes ring her": a condition, as README says) is named with
    the file's column it was in."""
    ws = tmp_path / "ws"
    insight("init", str(ws))
    sheet = tmp_path / "grace.csv"
    sheet.write_text(
        "id,text,Can we quote them?,Can we contact them?\n"
        "c1,She wants to hear if the bus to the clinic comes back.,no,yes\n"
        "c2,He said the lunch club is the only place he talks to anyone.,yes,no\n"
        "c3,She asked us to tell her what the council says about the library.,no,yes ring her\n",
        encoding="utf-8")
    result = insight("ingest", "--no-screen", "-w", str(ws), str(sheet))
    said = " ".join(result.stderr.split())
    assert ("consent_contact answers in the column 'Can we contact them?' that give a yes "
            "with a condition") in said and "(line 4;" in said
    assert "consent to contact: yes" in insight("notes", "show", "c1", "-w", str(ws)).stdout
    shown = insight("notes", "show", "c2", "-w", str(ws)).stdout
    assert "consent to quote: yes · consent to contact: no" in shown
    listed = json.loads(insight("notes", "list", "--contact", "-w", str(ws), "-f",
                                "json").stdout)
    assert [row["note"] for row in listed] == ["c1"]
    everyone = json.loads(insight("notes", "list", "-w", str(ws), "-f", "json").stdout)
    assert {row["note"]: row["contact"] for row in everyone} == {
        "c1": "yes", "c2": "", "c3": ""}


# -- leads and listeners -----------------------------------------------------------------

LEADS_ROWS = [{"id": "cn-D-0081", "text": "She is scared to go home tonight with the children.",
               "heard_on": "2025-06-01", "listener": "L-1", "safeguarding": "yes"},
              {"id": "n2", "text": "The drop-in on Fridays kept me going all winter.",
               "heard_on": "2025-06-02", "listener": "L-2", "consent_quote": "yes"}]


def led_workspace(tmp_path: Path, *leads: str) -> Path:
    """A workspace with two notes (one in the safeguarding queue), made by `init --lead`."""
    ws = tmp_path / "ws"
    insight("init", str(ws), *[a for name in leads for a in ("--lead", name)])
    notes = tmp_path / "n.jsonl"
    notes.write_text("".join(json.dumps(r) + "\n" for r in LEADS_ROWS), encoding="utf-8")
    insight("ingest", str(notes), "-w", str(ws), "--no-screen")
    return ws


def test_init_lead_writes_the_workspace_leads(tmp_path: Path) -> None:
    made = insight("init", str(tmp_path / "ws"), "--lead", "tom", "--lead", " Anna  Jones ",
                   "--lead", "TOM", user="grace")
    text = (tmp_path / "ws" / "insight.toml").read_text(encoding="utf-8")
    assert 'leads = ["tom", "Anna Jones"]' in text  # trimmed, each person once
    assert open_workspace(tmp_path / "ws").leads == ["tom", "Anna Jones"]
    assert "its leads: tom, Anna Jones" in made.stdout
    assert "you (grace) are not one of its leads" in made.stderr
    plain = insight("init", str(tmp_path / "plain"))
    assert "# leads = [" in (tmp_path / "plain" / "insight.toml").read_text(encoding="utf-8")
    assert open_workspace(tmp_path / "plain").leads == [] and "leads" not in plain.stderr
    shared = insight("init", str(tmp_path / "shared"), "--lead", "root", check=False)
    assert shared.returncode == 2 and "'root' names no one" in shared.stderr
    assert not (tmp_path / "shared").exists()


def test_init_area_is_what_the_report_says_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    insight("init", str(ws), "--area", "Leeds")
    config = ws / "insight.toml"
    assert 'area = "Leeds"' in config.read_text(encoding="utf-8")
    insight("report", "-w", str(ws), "--out", str(tmp_path / "r.html"))
    assert "Area: Leeds" in (tmp_path / "r.html").read_text(encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8").replace(
        'area = "Leeds"', 'area = ["Leeds", "Bradford"]'), encoding="utf-8")
    bad = insight("report", "-w", str(ws), "--out", str(tmp_path / "r2.html"), check=False)
    assert bad.returncode == 1 and "area must be the name of the area" in bad.stderr
    assert not (tmp_path / "r2.html").exists()


def test_a_listener_is_refused_what_only_a_lead_may_do_and_nothing_changes(
        tmp_path: Path) -> None:
    """A peer listener's blind audit: as herself she erased another listener's note,
    acknowledged a safeguarding concern and read every note's words."""
    ws = led_workspace(tmp_path, "tom", "anna")
    [item] = json.loads(insight("safeguarding", "list", "-w", str(ws), "-f", "json",
                                user="tom").stdout)
    said = "its leads are tom, anna (insight.toml). You are grace ($INSIGHT_USER)"
    for args, doing in [
            (("erase", "--note", "cn-D-0081", "--reason", "test"), "erase notes"),
            (("safeguarding", "ack", str(item["item"]), "--note", "rang her back"),
             "acknowledge a safeguarding item"),
            (("notes", "show", "n2"), "read notes' words"),
            (("report", "--audience", "lead", "--out", str(tmp_path / "leads.html")),
             "write the leads' report"),
            (("rollup",), "see the leads' roll-up (every count)"),
            (("notes", "list", "--words", "scared"), "search notes' words"),
            (("insights", "add", "Fridays matter", "--note", "n2"), "change insights"),
            (("audit",), "read the audit log")]:
        refused = insight(*args, "-w", str(ws), user="grace", check=False)
        assert refused.returncode == 1, args
        assert f"error: only a lead can {doing} in this workspace; {said}" in refused.stderr
        assert "scared" not in refused.stdout + refused.stderr
        assert "drop-in" not in refused.stdout
    # nothing changed: the note is there with its words, the item open, no report, no insight
    with Store.open(open_workspace(ws).db_url) as store:
        assert store.get_note("cn-D-0081")["text"].startswith("She is scared")
        assert [i["acknowledged_at"] for i in store.safeguarding_items()] == [None]
    assert not (tmp_path / "leads.html").exists()
    assert insight("insights", "list", "-w", str(ws), user="grace").stdout.strip() == "(none)"
    # by login name, without INSIGHT_USER: said so, with what to do
    login = insight("erase", "--note", "n2", "-w", str(ws), user="", check=False)
    assert login.returncode == 1 and "(your login name)" in login.stderr
    assert "set INSIGHT_USER to your name as insight.toml gives it" in login.stderr


def test_a_listener_keeps_what_listeners_do(tmp_path: Path) -> None:
    ws = led_workspace(tmp_path, "tom")
    more = tmp_path / "more.jsonl"
    more.write_text(json.dumps({"id": "n3", "text": "Nobody rang me back for weeks."}) + "\n",
                    encoding="utf-8")
    insight("ingest", str(more), "-w", str(ws), "--no-screen", user="grace")
    listed = json.loads(insight("notes", "list", "-w", str(ws), "-f", "json",
                                user="grace").stdout)
    assert {r["note"] for r in listed} == {"cn-D-0081", "n2", "n3"}
    insight("notes", "update", "n3", "--place", "Leeds", "-w", str(ws), user="grace")
    insight("rollup", "--audience", "commissioner", "-w", str(ws), user="grace")
    insight("report", "--audience", "commissioner", "--out", str(tmp_path / "c.html"),
            "-w", str(ws), user="grace")
    assert (tmp_path / "c.html").is_file()
    insight("safeguarding", "add", "n3", "--reason", "said she has no one", "-w", str(ws),
            user="grace")


@pytest.mark.parametrize("name", ["anna", "ANNA", "  Anna ", "anna\t"])
def test_a_lead_is_known_in_any_case_and_spacing(tmp_path: Path, name: str) -> None:
    ws = led_workspace(tmp_path, "tom", "Anna")
    [item] = json.loads(insight("safeguarding", "list", "-w", str(ws), "-f", "json",
                                user=name).stdout)
    assert "drop-in on Fridays" in insight("notes", "show", "n2", "-w", str(ws),
                                           user=name).stdout
    insight("safeguarding", "ack", str(item["item"]), "--note", "rang her back", "-w",
            str(ws), user=name)
    insight("report", "--audience", "lead", "--out", str(tmp_path / "leads.html"),
            "-w", str(ws), user=name)
    insight("erase", "--note", "n2", "--reason", "asked to", "-w", str(ws), user=name)
    with Store.open(open_workspace(ws).db_url) as store:
        assert store.get_note("n2")["text"] is None  # its tombstone
        assert store.safeguarding_items() == []  # open ones: none left


@pytest.mark.parametrize("name", ["ann", "annabel", "anna jones", "tom anna"])
def test_only_a_whole_name_is_a_lead(tmp_path: Path, name: str) -> None:
    ws = led_workspace(tmp_path, "tom", "anna")
    refused = insight("notes", "show", "n2", "-w", str(ws), user=name, check=False)
    assert refused.returncode == 1 and "only a lead can read notes' words" in refused.stderr


def test_without_leads_everyone_may_do_everything(tmp_path: Path) -> None:
    ws = led_workspace(tmp_path)
    [item] = json.loads(insight("safeguarding", "list", "-w", str(ws), "-f", "json",
                                user="grace").stdout)
    assert "drop-in" in insight("notes", "show", "n2", "-w", str(ws), user="grace").stdout
    insight("safeguarding", "ack", str(item["item"]), "--note", "rang her back", "-w",
            str(ws), user="grace")
    insight("report", "--audience", "lead", "--out", str(tmp_path / "leads.html"),
            "-w", str(ws), user="grace")
    insight("rollup", "-w", str(ws), user="grace")
    erased = insight("erase", "--note", "cn-D-0081", "--reason", "test", "-w", str(ws),
                     user="grace")
    assert "erased 1 note" in erased.stdout


def test_every_command_is_either_a_leads_or_everyones() -> None:
    """A new command must be put on one side: a command for leads left off `LEAD_ONLY`
    would be open to everyone."""
    import typer.main

    from insight.cli import LEAD_ONLY, app

    def names(command: Any, prefix: str = "") -> set[str]:
        if not hasattr(command, "commands"):
            return {prefix.strip()}
        return set().union(*(names(sub, f"{prefix}{name} ")
                             for name, sub in command.commands.items()))

    everyone = {"init", "ingest", "tag", "classify", "evaluate", "demo", "trace", "redact",
                "codebook show", "codebook check", "notes update", "safeguarding add",
                "quarantine list", "insights list", "priorities list", "actions list",
                "outcomes list"}
    commands = names(typer.main.get_command(app))
    assert set(LEAD_ONLY) <= commands, set(LEAD_ONLY) - commands
    assert commands - set(LEAD_ONLY) == everyone
    # of those, some uses are a lead's only
    assert {n for n, rule in LEAD_ONLY.items() if rule.when} == {
        "restore", "train", "report", "rollup", "notes list"}


def test_leads_added_by_editing_insight_toml_are_honoured(tmp_path: Path) -> None:
    ws = led_workspace(tmp_path)
    config = ws / "insight.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('# leads = ["Sam Patel", "Anna Jones"]',
                                   'leads = ["Sam Patel"]'), encoding="utf-8")
    refused = insight("erase", "--note", "n2", "-w", str(ws), user="grace", check=False)
    assert refused.returncode == 1 and "its leads are Sam Patel" in refused.stderr
    insight("erase", "--note", "n2", "-w", str(ws), user="sam  patel")


def test_a_listener_is_sent_to_a_lead_not_to_a_command_that_refuses_her(
        tmp_path: Path) -> None:
    """Blind audit (a peer listener): ingest told her to run `insight safeguarding list`,
    which then refused her. Where the workspace lists its leads, anyone else is told whom
    to tell and what they do; a lead, and everyone where none are listed, sees the command
    as before."""
    ws = led_workspace(tmp_path, "Sam Patel", "Anna Jones")
    sheet = tmp_path / "june.csv"
    sheet.write_text("id,text,safeguarding,heard_on\n"
                     "g1,She said she is frightened of her son.,Yes - I saw bruising,\n"
                     "g2,The bus to the clinic stopped in March.,no,31/02/2025\n",
                     encoding="utf-8")
    tell = "tell a lead (Sam Patel, Anna Jones): they "
    grace = insight("ingest", str(sheet), "-w", str(ws), "--no-screen", user="grace",
                    check=False)
    said = " ".join((grace.stdout + grace.stderr).split())
    assert (f"{tell}read the safeguarding queue with `insight safeguarding list`") in said
    assert f"every row still to fix: {tell}read quarantined rows with " \
        "`insight quarantine show`" in said
    listed = " ".join(insight("quarantine", "list", "-w", str(ws), user="grace").stdout.split())
    assert f"to read them: {tell}read quarantined rows with `insight quarantine show`" in listed
    assert "`insight quarantine export --out rows-to-fix.xlsx`" in listed
    # a thread record deleted: bringing it back is a lead's
    insight("insights", "add", "Buses", "--note", "n2", "-w", str(ws), user="Sam Patel")
    insight("insights", "delete", "I1", "--yes", "-w", str(ws), user="Sam Patel")
    gone = insight("trace", "I1", "-w", str(ws), user="grace", check=False)
    assert gone.returncode == 2
    assert f"{tell}change insights with `insight insights undelete I1`" in " ".join(
        gone.stderr.replace("│", " ").split())
    # a lead sees the commands as they were, and so does everyone without a list of leads
    for who, folder in (("anna jones", ws), ("grace", led_workspace(tmp_path / "open"))):
        sheet.write_text("id,text,safeguarding,heard_on\n"
                         f"{who[0]}1,He said {who} rang the crisis line twice.,Yes - urgent,\n"
                         f"{who[0]}2,No bus since March.,no,31/02/2025\n", encoding="utf-8")
        ingested = insight("ingest", str(sheet), "-w", str(folder), "--no-screen", user=who,
                           check=False)
        said = " ".join((ingested.stdout + ingested.stderr).split())
        assert "(names and contact details removed): `insight safeguarding list`" in said
        assert "every row still to fix: `insight quarantine show`" in said
        assert "tell a lead" not in said
        listed = insight("quarantine", "list", "-w", str(folder), user=who).stdout
        assert "to read them: `insight quarantine show`" in listed


def test_a_pointer_is_a_leads_as_the_command_and_its_options_are() -> None:
    """Which commands a message may point anyone else to (`_lead_rule`): by `LEAD_ONLY`,
    a command for some uses only by the options the message gives, else its defaults."""
    from insight.cli import LEAD_ONLY, _lead_rule

    assert _lead_rule("erase --note n-1") is LEAD_ONLY["erase"]
    assert _lead_rule("safeguarding list --all") is LEAD_ONLY["safeguarding list"]
    assert _lead_rule("notes list --words crisis") is LEAD_ONLY["notes list"]
    assert _lead_rule("report --audience lead --out r.html") is LEAD_ONLY["report"]
    assert _lead_rule("rollup --format csv") is LEAD_ONLY["rollup"]  # the leads' by default
    assert _lead_rule("train --data FILE -w WORKSPACE") is LEAD_ONLY["train"]
    for anyones in ("notes list --listener L-1", "report --out r.html",
                    "train --data FILE --out MODEL", "tag --retag", "safeguarding add",
                    "notes update ID --place", "trace I1", "quarantine list"):
        assert _lead_rule(anyones) is None, anyones


def test_a_lead_typed_by_hand_that_names_no_one_is_refused_naming_it(tmp_path: Path) -> None:
    """`init --lead admin` is refused; typed into insight.toml it was read, making everyone
    logged in as admin a lead. Now every command says which entry of which file to
    correct, and does nothing."""
    ws = led_workspace(tmp_path, "Sam Patel")
    config = ws / "insight.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        'leads = ["Sam Patel"]', 'leads = ["Sam Patel", "admin"]'), encoding="utf-8")
    for args in (("notes", "list"), ("erase", "--note", "n2")):
        refused = insight(*args, "-w", str(ws), user="admin", check=False)
        said = " ".join(refused.stderr.split())
        assert refused.returncode == 1, args
        assert f"{config.resolve()}: in leads, 'admin' names no one" in said
    with Store.open(f"sqlite:///{ws / 'insight.db'}") as store:
        assert store.get_note("n2") is not None


def test_only_a_lead_backs_up_or_restores_over_a_led_workspace(tmp_path: Path) -> None:
    ws = led_workspace(tmp_path, "tom")
    zipped = tmp_path / "b.zip"
    refused = insight("backup", "--out", str(zipped), "-w", str(ws), user="grace", check=False)
    assert refused.returncode == 1 and "only a lead can make a backup" in refused.stderr
    assert not zipped.exists()
    insight("backup", "--out", str(zipped), "-w", str(ws), user="tom")
    over = insight("restore", str(zipped), "--yes", "-w", str(ws), user="grace", check=False)
    assert over.returncode == 1 and "only a lead can restore a backup" in over.stderr
    assert not list(tmp_path.glob("ws.before-restore-*"))  # the workspace was not moved
    # into a new folder: whoever holds the backup holds every note already
    insight("restore", str(zipped), "--workspace-lost", "-w", str(tmp_path / "copy"),
            user="grace")
    assert open_workspace(tmp_path / "copy").leads == ["tom"]
