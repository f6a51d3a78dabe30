from __future__ import annotations

import os
from pathlib import Path

import pytest

from insight.workspace import (
    WorkspaceError,
    enclosing_workspace,
    init_workspace,
    open_workspace,
)


def test_init_writes_config_and_reopens(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", small_number_threshold=7)
    text = (tmp_path / "ws" / "insight.toml").read_text()
    assert 'db = "sqlite:///insight.db"' in text
    again = open_workspace(tmp_path / "ws")
    assert again.small_number_threshold == 7
    assert again.db_url == f"sqlite:///{(tmp_path / 'ws' / 'insight.db').resolve()}"
    assert again.load_codebook().version == ws.load_codebook().version == "1"


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    init_workspace(tmp_path)
    with pytest.raises(WorkspaceError, match="already exists"):
        init_workspace(tmp_path)


def test_workspace_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    init_workspace(tmp_path / "env-ws")
    monkeypatch.setenv("INSIGHT_WORKSPACE", str(tmp_path / "env-ws"))
    assert open_workspace().path == (tmp_path / "env-ws").resolve()


def test_missing_workspace_explains_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="insight init"):
        open_workspace(tmp_path / "nothing-here")


def test_db_override(tmp_path: Path) -> None:
    init_workspace(tmp_path)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert open_workspace(tmp_path, db=other).db_url == other


def test_population_is_read_from_the_config(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    assert ws.population == {}
    assert "# [population]" in ws.config_path.read_text(encoding="utf-8")
    ws.config_path.write_text(
        ws.config_path.read_text(encoding="utf-8")
        + '\n[population]\nsource = "Census 2021, Leeds"\n"Black  Caribbean" = 1.9\n'
        '"older people" = 16\n',
        encoding="utf-8",
    )
    again = open_workspace(tmp_path / "ws")
    assert again.population == {"Black Caribbean": 1.9, "older people": 16.0}
    assert again.population_source == "Census 2021, Leeds"


def test_names_never_named_are_read_from_the_config(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    text = ws.config_path.read_text(encoding="utf-8")
    assert ws.never_name == [] and "# never_name = [" in text
    ws.config_path.write_text(text.replace("[insight]\n", '[insight]\nnever_name = '
                                           '["refuge group ", "asylum hotel drop-in"]\n'),
                              encoding="utf-8")
    again = open_workspace(tmp_path / "ws")
    assert again.never_name == ["refuge group", "asylum hotel drop-in"]
    assert 'never_name = ["refuge group", "asylum hotel drop-in"]' in again.to_toml()
    ws.config_path.write_text(text.replace("[insight]\n", "[insight]\nnever_name = 3\n"),
                              encoding="utf-8")
    with pytest.raises(WorkspaceError, match="never_name must be a list of names"):
        open_workspace(tmp_path / "ws")


def test_the_area_is_written_by_init_and_read_from_the_config(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", area="  City of  Leeds ")
    text = ws.config_path.read_text(encoding="utf-8")
    assert 'area = "City of Leeds"' in text
    # a setting given is edited, not uncommented (blind audit: "uncomment" over a live line)
    assert "as [PLACE] (edit):\narea = " in text
    assert open_workspace(tmp_path / "ws").area == "City of Leeds"
    # without one the template says how to set it, and nothing is read
    other = init_workspace(tmp_path / "other")
    assert '(uncomment and edit):\n# area = "Leeds"' in other.config_path.read_text(
        encoding="utf-8")
    assert open_workspace(tmp_path / "other").area == ""
    for bad in ('["Leeds", "Bradford"]', "1"):
        ws.config_path.write_text(text.replace('area = "City of Leeds"', f"area = {bad}"),
                                  encoding="utf-8")
        with pytest.raises(WorkspaceError, match=r'area must be the name of .* area = "Leeds"'):
            open_workspace(tmp_path / "ws")


def test_leads_are_read_from_the_config_and_matched_whole_in_any_case(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", leads=["Sam  Patel ", "anna", "ANNA"])
    assert ws.leads == ["Sam Patel", "anna"]
    again = open_workspace(tmp_path / "ws")
    assert again.leads == ["Sam Patel", "anna"]
    assert again.is_lead(" sam patel") and again.is_lead("Anna") and again.is_lead("sam\tPATEL")
    assert not again.is_lead("sam") and not again.is_lead("annabel") and not again.is_lead("")
    assert init_workspace(tmp_path / "open").is_lead("anyone")  # none listed: everyone
    text = ws.config_path.read_text(encoding="utf-8")
    ws.config_path.write_text(text.replace('leads = ["Sam Patel", "anna"]', 'leads = "Jo"'),
                              encoding="utf-8")
    assert open_workspace(tmp_path / "ws").leads == ["Jo"]  # one name alone: a list of one
    ws.config_path.write_text(text.replace('leads = ["Sam Patel", "anna"]', "leads = [3]"),
                              encoding="utf-8")
    with pytest.raises(WorkspaceError, match="leads must be a list of names"):
        open_workspace(tmp_path / "ws")


@pytest.mark.parametrize("entry", ['"root"', '"DSL"', '"Safeguarding  Lead"', '"x"',
                                   '" "', '"admin"'])
def test_a_lead_typed_into_the_config_that_names_no_one_is_refused(
        tmp_path: Path, entry: str) -> None:
    """`init --lead root` is refused, and so is the same name typed into insight.toml by
    hand (alone or in a list): a lead "admin" would make everyone logged in as admin a
    lead, and a blank alone would leave the workspace open to all."""
    ws = init_workspace(tmp_path / "ws", leads=["Sam Patel"])
    text = ws.config_path.read_text(encoding="utf-8")
    for leads in (f'["Sam Patel", {entry}]', entry):
        ws.config_path.write_text(text.replace('leads = ["Sam Patel"]', f"leads = {leads}"),
                                  encoding="utf-8")
        with pytest.raises(WorkspaceError) as err:
            open_workspace(tmp_path / "ws")
        said = str(err.value)
        assert said.startswith(f"{ws.config_path}: in leads, ") and "names no one" in said
        named = entry.strip('"')
        assert (repr(named) if named.strip() else "a blank name") in said
    with pytest.raises(WorkspaceError, match="names no one"):  # nor written by init
        init_workspace(tmp_path / "other", leads=["Sam Patel", entry.strip('"')])
    assert not (tmp_path / "other").exists()


def test_a_lead_only_step_refuses_anyone_else_saying_who_they_are(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from insight.workspace import NotALead

    ws = init_workspace(tmp_path / "ws", leads=["tom", "anna"])
    monkeypatch.setenv("INSIGHT_USER", "grace")
    with pytest.raises(NotALead) as err:
        ws.require_lead("erase notes")
    assert str(err.value).startswith(
        "only a lead can erase notes in this workspace; its leads are tom, anna "
        "(insight.toml). You are grace ($INSIGHT_USER).")
    monkeypatch.setenv("INSIGHT_USER", "Tom")
    ws.require_lead("erase notes")


@pytest.mark.parametrize(
    ("table", "message"),
    [('"carers" = "ten"', "'carers' = 'ten': give the community's percent"),
     ('"carers" = 0', "a number above 0 and up to 100"),
     ('"carers" = 120', "a number above 0 and up to 100"),
     ('"Carers" = 5\n"carers " = 6', "names 'carers' twice")],
)
def test_a_bad_population_entry_is_named(tmp_path: Path, table: str, message: str) -> None:
    ws = init_workspace(tmp_path / "ws")
    ws.config_path.write_text(ws.config_path.read_text(encoding="utf-8")
                              + f"\n[population]\n{table}\n", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="population") as err:
        open_workspace(tmp_path / "ws")
    assert message in str(err.value)


def test_erasure_register_holds_tombstones_only_and_survives_a_torn_line(
        tmp_path: Path) -> None:
    from insight.intake import NoteRecord
    from insight.store import Store
    from insight.workspace import read_register

    ws = init_workspace(tmp_path / "ws")
    with Store.open(ws.db_url) as store:
        store.add_notes([NoteRecord("ana-1", "Ana said the ward was cold.", "h1"),
                         NoteRecord("b2", "The group helped.", "h2")])
        assert ws.erase_notes(store, ["ana-1"], reason="asked") == 1
        tomb = store.tombstone_id("ana-1")
        text = ws.erasure_register.read_text(encoding="utf-8")
        assert "ana" not in text.lower() and "ward" not in text and tomb in text
        with ws.erasure_register.open("a", encoding="utf-8") as handle:
            handle.write('{"tombstone": "erased-cut')  # a crash mid-line
        assert ws.erase_notes(store, ["b2"]) == 1
        entries, bad = read_register(ws.erasure_register)
        assert set(entries) == {tomb, store.tombstone_id("b2")} and bad == 1
        assert ws.register_erasures(store) == 0  # nothing the database holds is missing


def test_an_erasure_keeps_no_hash_of_the_words_and_no_personal_details_in_its_reason(
    tmp_path: Path,
) -> None:
    import json

    from insight.intake import text_hash
    from insight.store import Store
    from tests.notes import add, note

    ws = init_workspace(tmp_path / "ws")
    store = Store.open(ws.db_url)
    words = "Purple giraffe marmalade was all she could say."
    add(store, note("n1", words), note("n2", "Another note."))
    ws.erase_notes(store, ["n1"], reason="asked by Priya Raman on 0113 496 0000")
    log = json.dumps(store.audit_log(), default=str)
    assert text_hash(words) not in log  # a guessed text cannot be confirmed from the log
    assert "Priya" not in log and "0113 496 0000" not in log
    assert "asked by [PERSON] on [PHONE]" in log
    store.close()


def test_a_new_workspace_and_the_files_with_notes_words_are_its_owners_alone(
    tmp_path: Path,
) -> None:
    from insight.sheets import written_whole

    ws = init_workspace(tmp_path / "ws")
    assert ws.path.stat().st_mode & 0o777 == 0o700
    with written_whole(tmp_path / "backup.zip", private=True) as partial:
        partial.write_bytes(b"x")
    assert (tmp_path / "backup.zip").stat().st_mode & 0o777 == 0o600
    umask = os.umask(0)
    os.umask(umask)
    with written_whole(tmp_path / "report.html") as partial:  # a report to share
        partial.write_text("x")
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o666 & ~umask


BOOK = (
    "name: Carers' listening\nversion: '3'\ncategories:\n"
    "  - {id: respite, name: Breaks for carers, description: Time off from caring.}\n"
)


def test_init_keeps_its_own_copy_of_a_codebook(tmp_path: Path) -> None:
    """The workspace moves and restores whole; editing the original changes nothing."""
    source = tmp_path / "mine" / "book.yaml"
    source.parent.mkdir()
    source.write_text(BOOK, encoding="utf-8")
    ws = init_workspace(tmp_path / "ws", codebook=str(source))
    assert ws.codebook == "book.yaml"  # its name, which model cards show as its id
    assert ws.codebook_path == ws.path / "book.yaml"
    source.write_text(BOOK.replace("respite", "sitting"), encoding="utf-8")
    reopened = open_workspace(tmp_path / "ws")
    assert reopened.load_codebook().ids == ["respite"]
    moved = tmp_path / "moved"
    (tmp_path / "ws").rename(moved)
    assert open_workspace(moved).load_codebook().ids == ["respite"]
    # a codebook already inside the folder is read where it is, not copied
    inside = tmp_path / "ws2" / "books" / "carers.yaml"
    inside.parent.mkdir(parents=True)
    inside.write_text(BOOK, encoding="utf-8")
    ws2 = init_workspace(tmp_path / "ws2", codebook=str(inside))
    assert ws2.codebook == "books/carers.yaml" and not (ws2.path / "carers.yaml").exists()


def test_a_backup_brings_a_codebook_kept_outside_the_workspace(tmp_path: Path) -> None:
    """Workspaces made before init copied the codebook in name it by its absolute path:
    their backups carry a copy and settings that point at it, comments kept."""
    import zipfile

    from insight.restore import restore_workspace
    from insight.store import Store

    source = tmp_path / "shared" / "book.yaml"
    source.parent.mkdir()
    source.write_text(BOOK, encoding="utf-8")
    ws = init_workspace(tmp_path / "ws")
    config = ws.config_path.read_text(encoding="utf-8")
    ws.config_path.write_text(config.replace('codebook = "default"',
                                             f'codebook = "{source.resolve()}"'),
                              encoding="utf-8")
    (ws.path / "book.yaml").write_text("not this one", encoding="utf-8")
    ws = open_workspace(ws.path)
    backup = tmp_path / "b.zip"
    with Store.open(ws.db_url) as store:
        ws.backup(store, backup)
    with zipfile.ZipFile(backup) as archive:
        names = archive.namelist()
        saved = archive.read("insight.toml").decode("utf-8")
        assert names.count("insight.toml") == 1 and "book-2.yaml" in names
        assert archive.read("book-2.yaml").decode("utf-8") == BOOK
    assert 'codebook = "book-2.yaml"' in saved and "# where `insight train`" in saved
    source.unlink()  # the other machine has no such file
    restored = restore_workspace(backup, tmp_path / "elsewhere")
    assert open_workspace(restored.path).load_codebook().ids == ["respite"]


def test_a_folder_inside_a_workspace_names_the_workspace(tmp_path: Path) -> None:
    """Running a command in a report's folder, or making a workspace inside another, is a
    slip: the message names the workspace around it."""
    init_workspace(tmp_path / "ws")
    inside = tmp_path / "ws" / "out"
    inside.mkdir()
    with pytest.raises(WorkspaceError, match="inside the workspace at .*pass --workspace"):
        open_workspace(inside)
    with pytest.raises(WorkspaceError, match="pass --workspace DIR .*insight init"):
        open_workspace(tmp_path / "elsewhere")
    assert enclosing_workspace(inside) == (tmp_path / "ws").resolve()
    assert enclosing_workspace(tmp_path / "elsewhere") is None
