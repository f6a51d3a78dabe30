"""Restore a SQLite workspace from a backup made by `insight backup`, then erase again the
notes erased since the backup was made (the erasure register, `erasures.jsonl`).

A restore never loses data silently: a workspace it replaces is moved aside whole, and it
never writes into a folder that holds anything but a workspace. The backup is checked and
unpacked into a folder beside the workspace, notes are erased again there, and only then
is it moved into place: an interrupted restore leaves the workspace as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from insight.workspace import (
    CONFIG_NAME,
    RegisterMarks,
    Workspace,
    WorkspaceError,
    open_workspace,
    read_register,
    read_register_marks,
    register_problem,
    register_time,
    write_register,
)

#: The reason an erasure applied again is audited under.
REASON = "erased again after restore"
_SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass
class Restored:
    """What a restore did, for the command to say (counts and paths only)."""

    path: Path
    #: where the replaced workspace was moved, when there was one
    aside: Path | None
    #: notes the backup held live that the register says were erased: erased again
    erased_again: int
    #: erasures the register holds after the restore (the backup's and the workspace's)
    registered: int
    #: the register has erasures but no key can match them (the backup predates the key
    #: and no workspace was replaced): those notes could not be erased again
    unmatched: bool
    #: quarantined rows of the notes erased again, blanked
    scrubbed: int
    #: register lines that could not be read (cut short by a crash)
    unreadable: int
    #: False when the erased words could not be folded out of the database's journal yet
    purged: bool
    #: audit entries carried from the replaced workspace (`Store.CARRIED_AUDIT`): reports
    #: written and erasures made since the backup, so an erasure or a withdrawn consent
    #: still names every report that quotes the note, and who erased what stays known
    carried: int = 0
    #: notes erased since the backup that it never held, kept erased (their tombstones
    #: and the marks of their words), so ingesting them again is refused
    kept_erased: int = 0
    #: notes whose consent, withdrawn since the backup, was withdrawn again
    consent_kept: int = 0
    #: the replaced workspace's key differs from the backup's (a backup of another
    #: workspace): its reports' marks cannot be matched, so they were not carried
    not_carried: int = 0
    #: safeguarding records (items, acknowledgements, judgements, follow-ups) carried from
    #: the replaced workspace: work done since the backup is never undone by a restore
    safeguarding_carried: int = 0
    #: notes the backup lacks (ingested after it) carried with their safeguarding items,
    #: so that no concern is lost; their tags are not carried (`insight tag` reads them)
    safeguarding_notes: tuple[str, ...] = ()
    #: quarantine files written since the backup, carried from the replaced workspace (a
    #: rejected row raising a concern may be the only copy of it)
    quarantine_carried: int = 0


def check_backup(archive: zipfile.ZipFile) -> str:
    """Refuse a zip that `insight backup` did not make or that would write outside the
    folder (absolute paths, `..`, links: zip-slip); returns the database's name in it."""
    names: set[str] = set()
    for info in archive.infolist():
        name = info.filename
        path = PurePosixPath(name)
        if ("\\" in name or path.is_absolute() or ".." in path.parts
                or (path.parts and ":" in path.parts[0]) or not path.parts):
            raise WorkspaceError(f"the backup holds an entry outside its folder ({name!r}): "
                                 "not restoring it (a zip made by `insight backup` never does)")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise WorkspaceError(f"the backup holds a link ({name!r}): not restoring it")
        if name in names:
            raise WorkspaceError(f"the backup holds {name!r} twice: not restoring it")
        names.add(name)
    if CONFIG_NAME not in names:
        raise WorkspaceError(f"the backup has no {CONFIG_NAME}: not a zip made by "
                             "`insight backup`")
    try:
        config = tomllib.loads(archive.read(CONFIG_NAME).decode("utf-8"))
        db = str(config.get("insight", {}).get("db", "sqlite:///insight.db"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError) as exc:
        raise WorkspaceError(f"the backup's {CONFIG_NAME} cannot be read: {exc}") from exc
    relative = db.removeprefix("sqlite:///")
    if not db.startswith("sqlite:///") or not relative or relative.startswith("/") \
            or ".." in PurePosixPath(relative).parts:
        raise WorkspaceError(f"the backup's {CONFIG_NAME} names its database as {db!r}, not "
                             "a SQLite file inside the workspace: `insight restore` restores "
                             "only backups made by `insight backup`")
    database = PurePosixPath(relative).as_posix()
    if database not in names:
        raise WorkspaceError(f"the backup has no database ({database}): not a zip made by "
                             "`insight backup`")
    if any(n in names for n in (database + "-wal", database + "-shm", database + "-journal")):
        raise WorkspaceError("the backup holds the database's journal files: not a zip made "
                             "by `insight backup` (a copied folder may be inconsistent)")
    return database


def restore_workspace(backup: Path, target: Path, *, replace: bool = False,
                      registers: tuple[Path, ...] = ()) -> Restored:
    """Restore `backup` into `target`: a new or empty folder, or (with `replace`) an
    existing SQLite workspace, which is moved aside whole. Every erasure in the register
    (the backup's and the replaced workspace's) is applied again before the restored
    workspace is moved into place. `registers` are other workspaces' erasure registers
    (the live one's, when restoring a copy into a new folder) to apply as well."""
    from insight.quarantine import scrub
    from insight.store import Store

    target = target.absolute()
    current = _current_workspace(target, replace)
    with zipfile.ZipFile(backup) as archive:  # BadZipFile: not a zip (the caller says so)
        database = check_backup(archive)
        need = sum(i.file_size for i in archive.infolist())
        target.parent.mkdir(parents=True, exist_ok=True)
        if shutil.disk_usage(target.parent).free < need:
            raise WorkspaceError(f"not enough disk space beside {target} to restore the "
                                 f"backup ({need} bytes unpacked)")
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.restoring-",
                                        dir=target.parent))
        try:
            _extract(archive, staging)
            _check_database(staging / database)
            old_key, old_register, unreadable = None, {}, 0
            old_secrets: dict[str, bytes] = {}
            carried_audit: list[dict] = []
            safeguarding: dict[str, list[dict]] = {}
            current_db = Path(current.db_url.removeprefix("sqlite:///")) if current else None
            if current is not None and current_db is not None and current_db.exists():
                # what the workspace being replaced knows of erasures, and its key
                with Store.open(current.db_url, create=False) as store:
                    if not store.purge_erased():
                        raise WorkspaceError(
                            f"another program has the database at {current.path} open: close "
                            "it (and any other insight command) and restore again")
                    try:
                        current.register_erasures(store)
                    except OSError as exc:
                        raise WorkspaceError(
                            register_problem(current.erasure_register, exc)) from exc
                    old_key = store.existing_secret("erasure")
                    old_secrets = store.existing_secrets()
                    carried_audit = store.carried_audit()
                    safeguarding = store.safeguarding_records()
            marks = RegisterMarks()
            if current is not None:
                old_register, unreadable = read_register(current.erasure_register)
                marks.update(read_register_marks(current.erasure_register))
            restored = open_workspace(staging)
            register, bad = read_register(restored.erasure_register)
            marks.update(read_register_marks(restored.erasure_register))
            unreadable += bad
            for extra in registers:
                if not extra.is_file():
                    raise WorkspaceError(
                        f"no erasure register {extra}: a workspace has one only once a note "
                        "was erased in it; if none was, there is nothing to erase again, so "
                        "leave out --erasures (check the path otherwise)")
                entries, bad = read_register(extra)
                old_register, unreadable = {**entries, **old_register}, unreadable + bad
                marks.update(read_register_marks(extra))
                # the live workspace's rows dismissed since (a person's rows never stored,
                # a listener's erased): their marks, so the backup's copies stay dismissed
                _carry_dismissed(extra.parent / "quarantine", restored.quarantine_dir)
            register = {**old_register, **register}  # the union; the backup's time first
            erased_again, scrubbed, unmatched, purged = 0, 0, False, True
            kept_erased = consent_kept = 0
            carried = not_carried = sg_carried = 0
            sg_notes: list[str] = []
            quarantine_carried = 0
            with Store.open(restored.db_url, create=False) as store:
                key = store.existing_secret("erasure")
                if key is None and old_key is not None:
                    store.adopt_secret("erasure", old_key)
                    key = old_key
                # the marks of reports and the tombstones of erasures are keyed: carried
                # only where the restored database has the same key (the same workspace)
                same_key = old_key is not None and key == old_key
                if same_key:  # keys made since the backup (a row dismissed, a report's
                    # references): kept, so what they marked still matches
                    for name, value in old_secrets.items():
                        store.adopt_secret(name, value)
                if same_key and current is not None:  # before erasing again: scrubbed too
                    quarantine_carried = _carry_quarantine(current.quarantine_dir,
                                                           restored.quarantine_dir)
                keys = [k for k in (key, old_key) if k is not None]
                keys = list(dict.fromkeys(keys))
                unmatched = bool(register) and not keys
                again = store.live_ids_erased_as(register, keys)
                if again:
                    texts = {n["text"] for n in map(store.get_note, again) if n and n["text"]}
                    erased_again = store.erase_notes(again, reason=REASON)
                    purged = store.purge_erased()
                    scrubbed = scrub(restored.quarantine_dir, set(again), texts)
                # notes erased since that the backup never held stay erased: their
                # tombstones and the marks of their words, so a file holding them again
                # is refused, and their rows in the backup's quarantine are blanked
                kept_erased = store.adopt_erasures(register, marks.texts, marks.words)
                scrubbed += scrub(restored.quarantine_dir, set(), set(),
                                  erased=store.erased_matcher(keys))
                consent_kept = store.keep_withdrawals(marks.withdrawn, keys)
                register.update({t: register_time(at) for t, at in store.erased_tombstones()
                                 if t not in register})
                texts_now, words_now = store.erasure_marks()
                marks.update(RegisterMarks(texts_now, words_now))
                carried = store.adopt_audit(carried_audit) if same_key else 0
                not_carried = 0 if same_key else len(carried_audit)
                sg_carried, sg_notes = (store.adopt_safeguarding(safeguarding) if same_key
                                        else (0, []))
                store.record_event("restore", "workspace", backup.name, {
                    "erased_again": erased_again, "audit_entries_carried": carried,
                    "safeguarding_records_carried": sg_carried,
                    "notes_carried_with_safeguarding_items": len(sg_notes),
                    "quarantine_files_carried": quarantine_carried,
                    "erasures_kept": kept_erased, "consent_withdrawals_kept": consent_kept,
                    "replaced": current is not None})
                store.secret("erasure")  # its next backup carries a key, whatever it had
            write_register(restored.erasure_register, register, marks)
            aside = _move_into_place(staging, target, current is not None)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # it may hold notes' words
    return Restored(path=target, aside=aside, erased_again=erased_again,
                    registered=len(register), unmatched=unmatched, scrubbed=scrubbed,
                    unreadable=unreadable, purged=purged, carried=carried,
                    not_carried=not_carried, safeguarding_carried=sg_carried,
                    safeguarding_notes=tuple(sg_notes), quarantine_carried=quarantine_carried,
                    kept_erased=kept_erased, consent_kept=consent_kept)


def _carry_quarantine(old: Path, new: Path) -> int:
    """Copy into the restored quarantine the files the replaced workspace wrote since the
    backup (named by the time they were written, so a file the backup has is not copied
    twice), and the marks of rows dismissed since. Rows of notes erased again are blanked
    with the rest (`quarantine.scrub`)."""
    from insight.quarantine import quarantine_files

    carried = 0
    if not old.is_dir():
        return 0
    new.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in quarantine_files(old):
        if not (new / path.name).exists():
            shutil.copy2(path, new / path.name)
            os.chmod(new / path.name, 0o600)
            carried += 1
    _carry_dismissed(old, new)
    return carried


def _carry_dismissed(old: Path, new: Path) -> None:
    """Add to the restored quarantine the marks of rows the folder `old` dismissed that it
    lacks (keyed: they match where the restored database has the same key)."""
    from insight.quarantine import DISMISSED

    if not (old / DISMISSED).is_file():
        return
    marks = set((old / DISMISSED).read_text(encoding="utf-8").split())
    if (new / DISMISSED).is_file():
        marks -= set((new / DISMISSED).read_text(encoding="utf-8").split())
    if marks:
        new.mkdir(mode=0o700, parents=True, exist_ok=True)
        with (new / DISMISSED).open("a", encoding="utf-8") as out:
            out.writelines(f"{m}\n" for m in sorted(marks))
        os.chmod(new / DISMISSED, 0o600)


def _current_workspace(target: Path, replace: bool) -> Workspace | None:
    """The workspace a restore would replace (None for a new or empty folder); refuses a
    folder with other things in it, a workspace without `replace`, and PostgreSQL."""
    if target.exists() and not target.is_dir():
        raise WorkspaceError(f"{target} is a file, not a folder")
    if not target.exists() or not any(target.iterdir()):
        return None
    if not (target / CONFIG_NAME).is_file():
        raise WorkspaceError(f"{target} is not empty and is not a workspace: restore into an "
                             "empty or new folder, or into a workspace to replace it")
    current = open_workspace(target)
    if not current.db_url.startswith("sqlite:///"):
        raise WorkspaceError("this workspace's database is not SQLite (PostgreSQL?): restore "
                             "it with pg_restore; `insight restore` restores only backups made "
                             "by `insight backup`")
    database = Path(current.db_url.removeprefix("sqlite:///"))
    if not database.resolve().is_relative_to(target.resolve()):
        raise WorkspaceError(f"this workspace's database {database} is outside its folder: "
                             "restore into a new folder instead")
    if not replace:
        raise WorkspaceError(f"{target} is a workspace: restoring replaces it (it is moved "
                             "aside, not deleted); pass --yes to go ahead")
    return current


def _extract(archive: zipfile.ZipFile, folder: Path) -> None:
    """Unpack every entry under `folder`, checking again that none lands outside it."""
    root = folder.resolve()
    for info in archive.infolist():
        dest = (folder / info.filename).resolve()
        if not dest.is_relative_to(root):
            raise WorkspaceError(f"the backup holds an entry outside its folder "
                                 f"({info.filename!r}): not restoring it")
        # notes' words: readable by their owner alone, as `init` makes them
        if info.is_dir():
            dest.mkdir(mode=0o700, parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with archive.open(info) as source, dest.open("wb") as out:
            os.chmod(dest, 0o600)
            shutil.copyfileobj(source, out)
            out.flush()
            os.fsync(out.fileno())


def _check_database(path: Path) -> None:
    """The backup's database must be a whole SQLite database before anything is moved."""
    import sqlite3

    with path.open("rb") as handle:
        if handle.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
            raise WorkspaceError("the backup's database is not a SQLite database: not "
                                 "restoring it")
    conn = sqlite3.connect(path)
    try:
        ok = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise WorkspaceError(f"the backup's database is damaged ({exc}): not restoring "
                             "it") from exc
    finally:
        conn.close()
    if not ok or ok[0] != "ok":
        raise WorkspaceError("the backup's database is damaged: not restoring it")


def _move_into_place(staging: Path, target: Path, replacing: bool) -> Path | None:
    """Move the restored files into `target` (the folder itself stays, so a shell inside
    it sees the restored workspace); a replaced workspace's files go first to a folder
    beside it, `NAME.before-restore-STAMP`. A failure part way moves everything back."""
    aside = None
    moved_out: list[tuple[Path, Path]] = []
    moved_in: list[tuple[Path, Path]] = []
    if not target.exists():  # notes' words: only their owner reads them (as `init`)
        target.mkdir(parents=True, mode=0o700)
        target.chmod(0o700)
    try:
        if replacing:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            aside = target.with_name(f"{target.name}.before-restore-{stamp}")
            aside.mkdir(mode=0o700)
            for item in sorted(target.iterdir()):
                os.replace(item, aside / item.name)
                moved_out.append((item, aside / item.name))
        for item in sorted(staging.iterdir()):
            os.replace(item, target / item.name)
            moved_in.append((item, target / item.name))
    except BaseException:
        for source, dest in reversed(moved_in):
            os.replace(dest, source)
        for source, dest in reversed(moved_out):
            os.replace(dest, source)
        if aside is not None and not any(aside.iterdir()):
            aside.rmdir()
        raise
    return aside

