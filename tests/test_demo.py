"""End to end: `insight demo` and following every action in the report back to notes."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from insight.store import Store
from insight.thread import load_thread
from insight.workspace import open_workspace


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "ws"
    result = subprocess.run(
        [sys.executable, "-m", "insight", "demo", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert f"report: {(out / 'report.html').resolve()}" in result.stdout
    return out


def _blocks(html: str, css_class: str) -> list[str]:
    parts = re.split(rf'<div class="{css_class}" id="', html)
    return parts[1:]


def test_report_priorities_actions_and_chains_reach_real_notes(demo_dir: Path) -> None:
    html = (demo_dir / "report.html").read_text(encoding="utf-8")
    section = html.split('<section id="priorities">', 1)[1].split("</section>", 1)[0]
    priorities = _blocks(section, "priority")
    assert len(priorities) >= 3
    ws = open_workspace(demo_dir)
    with Store.open(ws.db_url, create=False) as store:
        for block in priorities:
            actions = _blocks(block, "action")
            assert actions, "every priority in the demo has at least one action"
            for action in actions:
                refs = re.findall(r'<code class="note-id">([^<]+)</code>', action)
                assert refs, "every action's chain ends in note references"
                # commissioners see references, never ids; each resolves to a stored note
                key = store.secret("note-ref")
                note_ids = [load_thread(store).note_of_ref(r, key) for r in refs]
                assert None not in note_ids and not set(refs) & set(note_ids)
                found = store.existing_notes(note_ids)
                assert set(found) == set(note_ids)


def test_quotes_only_from_consenting_notes(demo_dir: Path) -> None:
    html = (demo_dir / "report.html").read_text(encoding="utf-8")
    quoted = re.findall(r"— (?:note )?([^<]+)</span></blockquote>", html)
    assert quoted
    ws = open_workspace(demo_dir)
    with Store.open(ws.db_url, create=False) as store:
        thread = load_thread(store)
        for reference in quoted:
            note = store.get_note(thread.note_of_ref(reference, store.secret("note-ref")))
            assert note["consent_quote"] is True and not note["model_safeguarding"]
        for batch in store.iter_notes():
            for note in batch:
                if not note["consent_quote"]:
                    assert note["text"] not in html


def test_the_demo_report_is_recorded_as_quoting_its_notes(demo_dir: Path) -> None:
    """So an erasure or a withdrawn consent names it, as for `insight report`."""
    html = (demo_dir / "report.html").read_text(encoding="utf-8")
    quoted = re.findall(r"— (?:note )?([^<]+)</span></blockquote>", html)
    ws = open_workspace(demo_dir)
    with Store.open(ws.db_url, create=False) as store:
        note_id = load_thread(store).note_of_ref(quoted[0], store.secret("note-ref"))
        found = store.reports_quoting([note_id])
    assert [entry["file"] for entry in found] == [str((demo_dir / "report.html").resolve())]


def test_report_is_self_contained(demo_dir: Path) -> None:
    html = (demo_dir / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)
    assert "<script" not in html and "@import" not in html


def test_every_link_in_the_report_lands_on_one_anchor(demo_dir: Path) -> None:
    html = (demo_dir / "report.html").read_text(encoding="utf-8")
    ids = re.findall(r'(?<![\w:-])id="([^"]*)"', html)
    assert len(ids) == len(set(ids))  # a record under two priorities is anchored once
    assert set(re.findall(r'href="#([^"]*)"', html)) <= set(ids)
    # and every table scrolls in its own named region on a narrow screen
    assert html.count("<table") == len(re.findall(
        r'<div class="table-wrap" role="region" aria-label(?:ledby)?="[^"]+" tabindex="0">\s*'
        r"<table", html))


def test_demo_workspace_has_model_and_tags(demo_dir: Path) -> None:
    assert (demo_dir / "model" / "model.json").is_file()
    ws = open_workspace(demo_dir)
    with Store.open(ws.db_url, create=False) as store:
        tags = store.tags_for()
        assert any(t["source"] == "model" and t["evidence"] for t in tags)
        assert store.count_notes() >= 300


def test_demo_refuses_to_overwrite_a_real_workspace(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "insight", "init", str(tmp_path)], check=True,
                   capture_output=True)
    result = subprocess.run(
        [sys.executable, "-m", "insight", "demo", "--out", str(tmp_path)],
        capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert "not a demo" in result.stderr


def test_demo_never_deletes_a_file_it_did_not_write(tmp_path: Path) -> None:
    """Blind docs audit: `insight demo --out files` into a folder of note files, run again,
    deleted every one of them."""
    from insight.demo import MARKER, run_demo

    mine = tmp_path / "files"
    mine.mkdir()
    (mine / "notes.csv").write_text("id,text\n1,hello\n", encoding="utf-8")
    with pytest.raises(FileExistsError, match="is not empty"):
        run_demo(mine, say=lambda _: None)
    earlier = tmp_path / "demo"
    earlier.mkdir()
    for name in (MARKER, "insight.toml", "report.html"):
        (earlier / name).write_text("from an earlier demo\n", encoding="utf-8")
    (earlier / "lead.html").write_text("a report of my own\n", encoding="utf-8")
    with pytest.raises(FileExistsError, match=r"files it did not write \(lead\.html\)"):
        run_demo(earlier, say=lambda _: None)
    assert (mine / "notes.csv").is_file() and (earlier / "lead.html").is_file()
    assert (earlier / "report.html").read_text(encoding="utf-8") == "from an earlier demo\n"


def test_the_demo_timeline_has_no_outcome_before_its_action_began(demo_dir: Path) -> None:
    """Blind docs audit: "Done since" today, with an outcome seen in September."""
    with Store.open(open_workspace(demo_dir).db_url) as store:
        thread = load_thread(store)
        for outcome in thread.outcomes.values():
            began = thread.statuses[outcome["action_id"]][0]["on"]
            assert outcome["observed_on"] is None or outcome["observed_on"] >= began
        assert all(thread.status_since(a) < date.today() for a in thread.actions)
