"""A workspace: a folder with `insight.toml` and (by default) a SQLite database.

Every command works on one workspace, chosen by `--workspace/-w`, else the
`INSIGHT_WORKSPACE` environment variable, else the current directory.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from insight.choices import folder_named_like
from insight.codebook import Codebook, load_codebook

if TYPE_CHECKING:
    from insight.store import Store

CONFIG_NAME = "insight.toml"
#: The erasure register: one JSON line per erased note (its tombstone id and when), kept
#: beside the database so a restored backup can have later erasures applied again.
ERASURE_REGISTER = "erasures.jsonl"
DEFAULT_DB = "sqlite:///insight.db"
DEFAULT_SMALL_NUMBER = 5
DEFAULT_MAX_NOTE_CHARS = 20_000


class WorkspaceError(RuntimeError):
    """The workspace is missing or its configuration is unusable."""


class NotALead(WorkspaceError):
    """A command for the workspace's leads, run by someone else (`Workspace.require_lead`)."""


def same_person(name: str) -> str:
    """A name as compared with the leads': any case, spaces trimmed and runs of them one."""
    return " ".join(name.split()).casefold()


#: Login names that name no person: a safeguarding record made under one says nobody.
SHARED_ACCOUNTS = frozenset({"root", "admin", "administrator", "unknown", "user", "ubuntu"})
#: Roles and places, not people: several people may act as "DSL" or from "office".
ROLE_NAMES = frozenset({"dsl", "ddsl", "lead", "safeguarding", "safeguarding lead", "team",
                        "office", "staff", "manager", "coordinator", "volunteer", "listener",
                        "me", "test", "guest", "shared", "reception"})


def names_no_one(name: str) -> bool:
    """A name no inspection could follow to one person: blank, a shared account, a role,
    a single letter. Such a name may not be a lead's, nor record a safeguarding decision."""
    plain = " ".join(name.casefold().split())
    return (not plain or plain in SHARED_ACCOUNTS or plain in ROLE_NAMES
            or sum(c.isalpha() for c in plain) < 2)


def lead_name_problem(name: str) -> str | None:
    """Why `name` cannot be one of a workspace's leads (`names_no_one`), or None: the one
    check for `insight init --lead` and for `leads` typed into insight.toml, since a lead
    "admin" would let anyone logged in as admin act as a lead."""
    if not names_no_one(name):
        return None
    shown = repr(name) if name.strip() else "a blank name"
    return (f"{shown} names no one (a role or a shared account may be several people): "
            "give each lead's own name, as they set INSIGHT_USER")


class RegisterError(WorkspaceError):
    """The erasure register could not be written: the notes are erased in the database, but
    a restored backup would not know to erase them again until the register is written."""

    def __init__(self, message: str, erased: int = 0) -> None:
        super().__init__(message)
        self.erased = erased


@dataclass
class Workspace:
    path: Path
    db: str = DEFAULT_DB
    codebook: str = "default"
    model: str = "model"
    small_number_threshold: int = DEFAULT_SMALL_NUMBER
    max_note_chars: int = DEFAULT_MAX_NOTE_CHARS
    #: the local population the workspace listens to: community -> percent of it (from the
    #: `[population]` table), so reports can show who is and is not being heard
    population: dict[str, float] = field(default_factory=dict)
    population_source: str = ""
    #: the area the workspace listens in ("Leeds"): reports say it, and a quote outside the
    #: leads' view may name it (naming the whole area points at no one), where another town
    #: is written [PLACE] (`privacy.Towns`); "" when not declared
    area: str = ""
    #: how people reach the team: the community page's "Tell us what you think"
    contact: str = ""
    #: settings and communities no report outside the leads' view names, however many
    #: notes come from them (a refuge group, an asylum hotel drop-in): a lead's choice
    never_name: list[str] = field(default_factory=list)
    #: who may make a lead's decisions and read other people's notes (`leads` in
    #: insight.toml); empty: everyone may, as before the setting existed. A guard against
    #: mistakes on a shared machine, not security: the files' permissions are that.
    leads: list[str] = field(default_factory=list)

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_NAME

    @property
    def db_url(self) -> str:
        """The database URL, with relative SQLite paths resolved against the workspace."""
        prefix = "sqlite:///"
        if self.db.startswith(prefix) and not self.db.startswith(prefix + "/"):
            relative = self.db[len(prefix) :]
            if relative and relative != ":memory:":
                return prefix + str((self.path / relative).resolve())
        return self.db

    @property
    def model_dir(self) -> Path:
        return (self.path / self.model).resolve()

    @property
    def quarantine_dir(self) -> Path:
        return self.path / "quarantine"

    @property
    def erasure_register(self) -> Path:
        return self.path / ERASURE_REGISTER

    def is_lead(self, name: str) -> bool:
        """Whether `name` is one of the workspace's leads (any case and spacing), or the
        workspace lists none, when everyone acts as a lead."""
        return not self.leads or same_person(name) in {same_person(n) for n in self.leads}

    def require_lead(self, doing: str, *, instead: str = "") -> None:
        """Refuse, with what to do, anyone but a lead (`is_lead`) who is about to `doing`
        ("erase notes"). The person is `$INSIGHT_USER`, else the login name."""
        from insight.store import current_actor

        actor = current_actor()
        if self.is_lead(actor):
            return
        how = "$INSIGHT_USER" if os.environ.get("INSIGHT_USER") else "your login name"
        raise NotALead(
            f"only a lead can {doing} in this workspace; its leads are "
            f"{', '.join(self.leads)} ({CONFIG_NAME}). You are {actor.strip() or 'no one'} "
            f"({how}). {instead or 'Ask a lead to do it'}; if you are a lead, set "
            f"INSIGHT_USER to your name as {CONFIG_NAME} gives it")

    def erase_notes(self, store: Store, note_ids: list[str], reason: str | None = None) -> int:
        """Erase notes (`Store.erase_notes`) and write them to the erasure register, so a
        backup restored later erases them again. Raises RegisterError, after the erasure,
        when the register cannot be written: that must never pass unnoticed.

        The reason is kept in the audit log without personal details ("asked by [PERSON] on
        [PHONE]"): an erasure's record must not hold what it erased."""
        if reason:
            from insight.redact import redact

            reason = redact(reason).text
        erased = store.erase_notes(note_ids, reason=reason)
        try:
            self.register_erasures(store)
        except OSError as exc:
            raise RegisterError(register_problem(self.erasure_register, exc), erased) from exc
        return erased

    def register_erasures(self, store: Store) -> int:
        """Append to the register every erasure the database holds that it lacks (erasures
        made before the register existed too), with the keyed marks of the erased words,
        and every consent to quote or contact withdrawn and still withdrawn: a restore of
        an older backup keeps all of them. Returns how many lines were added."""
        known = read_register(self.erasure_register)[0]
        marks = read_register_marks(self.erasure_register)
        texts, words = store.erasure_marks()
        # a tombstone registered before its text mark was kept is written again with it
        missing = [(tomb, at) for tomb, at in store.erased_tombstones()
                   if tomb not in known or (texts.get(tomb) and tomb not in marks.texts)]
        withdrawn = {tomb: columns for tomb, columns in store.withdrawn_consents().items()
                     if not columns <= marks.withdrawn.get(tomb, set())}
        append_register(self.erasure_register, missing, texts=texts,
                        words=words - marks.words, withdrawn=withdrawn)
        return len(missing) + len(words - marks.words) + len(withdrawn)

    @property
    def codebook_path(self) -> Path | None:
        """The codebook file, or None for the shipped default."""
        if self.codebook in ("", "default"):
            return None
        file = Path(self.codebook)
        return file if file.is_absolute() else self.path / file

    def load_codebook(self) -> Codebook:
        path = self.codebook_path
        return load_codebook() if path is None else load_codebook(path)

    def backup(self, store: Store, out: Path) -> int:
        """Write the workspace whole to a .zip: its SQLite database as it stands (SQLite's
        online backup, so other commands may run) and every other file in the folder
        (settings, model, quarantine). Returns how many files besides the database."""
        import zipfile

        from insight.sheets import written_whole
        from insight.store import SECRETS

        if not self.db_url.startswith("sqlite:///"):
            store.backup_to(out)  # says how a PostgreSQL database is backed up
        # the keys go with every backup, so erasures, dismissed rows and report references
        # made after it still match on restore; the register goes complete (erasures made
        # before it existed too)
        for name in SECRETS:
            store.secret(name)
        try:
            self.register_erasures(store)
        except OSError as exc:
            raise RegisterError(register_problem(self.erasure_register, exc)) from exc
        folder = self.path.resolve()
        database = Path(self.db_url.removeprefix("sqlite:///")).resolve()
        if not database.is_relative_to(folder):
            raise WorkspaceError(f"the database {database} is outside the workspace: back it "
                                 "up with its own copy (sqlite3 DATABASE '.backup FILE') and "
                                 "the workspace folder with it")
        files = 0
        with written_whole(out, private=True) as partial, zipfile.ZipFile(
                partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            snapshot = partial.with_name(partial.name + ".db")
            try:
                store.backup_to(snapshot)
                archive.write(snapshot, database.relative_to(folder).as_posix())
            finally:
                snapshot.unlink(missing_ok=True)
            live = {database.with_name(database.name + suffix)
                    for suffix in ("", "-wal", "-shm", "-journal")}
            # a codebook kept outside the folder (workspaces made before init copied it in)
            # goes in too, and the backup's settings point at that copy, so the backup
            # restores on another machine
            book = self.codebook_path
            outside = book is not None and book.is_file() \
                and not book.resolve().is_relative_to(folder)
            for path in sorted(self.path.rglob("*")):
                if not path.is_file() or path.resolve() in live:
                    continue
                if outside and path.resolve() == self.config_path.resolve():
                    continue
                archive.write(path, path.relative_to(self.path).as_posix())
                files += 1
            if outside:
                assert book is not None
                copy = _free_name(folder, book.name)
                archive.write(book, copy.name)
                archive.writestr(CONFIG_NAME, _with_codebook(
                    self.config_path.read_text(encoding="utf-8"), copy.name))
                files += 2
        return files

    def to_toml(self) -> str:
        def edit(value: Any) -> str:  # a setting given at init is edited, not uncommented
            return "(edit)" if value else "(uncomment and edit)"

        return (
            "# insight workspace configuration\n"
            "[insight]\n"
            f"db = {_quote(self.db)}\n"
            f"# 'default' is the shipped enquiry codebook v1; or a path to a YAML/TOML file\n"
            f"codebook = {_quote(self.codebook)}\n"
            f"# where `insight train` writes the workspace model\n"
            f"model = {_quote(self.model)}\n"
            "# counts below this are suppressed in outputs for commissioners and the community\n"
            f"small_number_threshold = {self.small_number_threshold}\n"
            f"max_note_chars = {self.max_note_chars}\n"
            "# the area you listen in, as reports name it; quotes for commissioners and the\n"
            f"# community may name it, and write other towns as [PLACE] {edit(self.area)}:\n"
            + (f"area = {_quote(self.area)}\n" if self.area else '# area = "Leeds"\n')
            + f"# how people can reach you, shown on the community page {edit(self.contact)}:\n"
            + (f"contact = {_quote(self.contact)}\n" if self.contact else
               '# contact = "Call Sam on 0113 496 0000, or email listening@example.org"\n')
            + "# settings and communities that reports for commissioners and the community\n"
            f"# never name, however many notes come from them {edit(self.never_name)}:\n"
            + (f"never_name = [{', '.join(_quote(n) for n in self.never_name)}]\n"
               if self.never_name else '# never_name = ["refuge group", "asylum hotel drop-in"]\n')
            + "# who may erase notes, read their words, decide on safeguarding items and change\n"
            "# the thread: each lead's name as $INSIGHT_USER (else their login) gives it; none\n"
            "# listed: everyone may. A guard against mistakes, not security "
            f"{edit(self.leads)}:\n"
            + (f"leads = [{', '.join(_quote(n) for n in self.leads)}]\n"
               if self.leads else '# leads = ["Sam Patel", "Anna Jones"]\n')
            + "\n# Who lives here, so reports show who is and is not being heard: each community\n"
            "# as notes name it, and its percent of the local population, e.g. from the\n"
            "# Census 2021 (uncomment and edit):\n"
            "# [population]\n"
            '# source = "Census 2021, Leeds"\n'
            '# "Black Caribbean" = 1.9\n'
            '# "older people" = 16.5\n'
        )


def register_problem(path: Path, exc: OSError) -> str:
    """What to say when the erasure register cannot be written, and what to do."""
    return (f"the erasure register {path} could not be written ({exc.strerror or exc}): a "
            "backup restored later would not erase these notes again. Fix the problem (disk "
            "space, permissions), then run `insight backup` or erase again, which writes every "
            "erasure the database holds to the register")


def read_register(path: Path) -> tuple[dict[str, str], int]:
    """The register's entries, tombstone id -> when erased, and how many lines could not
    be read (a line cut short by a crash; the database still knows that erasure)."""
    import json

    entries: dict[str, str] = {}
    bad = 0
    if not path.exists():
        return entries, 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if isinstance(entry, dict) and ("words" in entry or "withdrawn" in entry):
                continue  # a mark beside the erasures (`read_register_marks`)
            tomb, at = entry["tombstone"], entry.get("erased_at", "")
        except (ValueError, TypeError, KeyError):
            bad += 1
            continue
        if isinstance(tomb, str) and tomb.startswith("erased-"):
            entries.setdefault(tomb, str(at or ""))
        else:
            bad += 1
    return entries, bad


@dataclass
class RegisterMarks:
    """What the register keeps beside the tombstones, all keyed with the workspace's
    erasure key (nothing a note said): each erased note's text mark (tombstone -> mark),
    the marks of erased words, and the consents withdrawn (a note's tombstone id ->
    columns)."""

    texts: dict[str, str] = field(default_factory=dict)
    words: set[str] = field(default_factory=set)
    withdrawn: dict[str, set[str]] = field(default_factory=dict)

    def update(self, other: RegisterMarks) -> None:
        self.texts.update(other.texts)
        self.words |= other.words
        for tomb, columns in other.withdrawn.items():
            self.withdrawn.setdefault(tomb, set()).update(columns)


def read_register_marks(path: Path) -> RegisterMarks:
    """The marks of a register (`RegisterMarks`); lines that cannot be read are counted
    by `read_register`."""
    import json

    marks = RegisterMarks()
    if not path.exists():
        return marks
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("tombstone"), str) and isinstance(entry.get("text"), str):
            marks.texts[entry["tombstone"]] = entry["text"]
        if isinstance(entry.get("words"), str):
            marks.words.add(entry["words"])
        if isinstance(entry.get("withdrawn"), str) and isinstance(entry.get("columns"), list):
            marks.withdrawn.setdefault(entry["withdrawn"], set()).update(
                c for c in entry["columns"] if c in ("consent_quote", "consent_contact"))
    return marks


def _register_lines(entries: list[tuple[str, Any]], marks: RegisterMarks) -> str:
    import json

    return "".join(
        [json.dumps({"tombstone": tomb, "erased_at": register_time(at),
                     **({"text": marks.texts[tomb]} if marks.texts.get(tomb) else {})}) + "\n"
         for tomb, at in entries]
        + [json.dumps({"words": mark}) + "\n" for mark in sorted(marks.words)]
        + [json.dumps({"withdrawn": tomb, "columns": sorted(columns)}) + "\n"
           for tomb, columns in sorted(marks.withdrawn.items())])


def append_register(path: Path, entries: list[tuple[str, Any]], *,
                    texts: dict[str, str] | None = None, words: set[str] | None = None,
                    withdrawn: dict[str, set[str]] | None = None) -> None:
    """Append lines to the register and make them durable (flush and fsync, and the
    folder's entry when the file is new): an erasure written is one a restore will see.
    `texts`: erased notes' text marks by tombstone; `words`: marks of erased words;
    `withdrawn`: consents withdrawn (`RegisterMarks`)."""
    marks = RegisterMarks(texts or {}, words or set(), withdrawn or {})
    if not entries and not marks.words and not marks.withdrawn:
        return
    new = not path.exists()
    if new:  # it names no note, but is the workspace's: its owner's alone, as the rest
        path.touch(mode=0o600)
    text = _register_lines(entries, marks)
    with path.open("a+b") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell():  # a line cut short by a crash must not swallow the next one
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                text = "\n" + text
        handle.write(text.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
    if new:
        _fsync_folder(path.parent)


def write_register(path: Path, entries: dict[str, str],
                   marks: RegisterMarks | None = None) -> None:
    """Write the register whole (a restore's union of two registers), oldest first, with
    its marks."""
    from insight.sheets import written_whole

    with written_whole(path, private=True) as partial:
        with partial.open("w", encoding="utf-8") as handle:
            handle.write(_register_lines(sorted(entries.items(), key=lambda e: (e[1], e[0])),
                                         marks or RegisterMarks()))
            handle.flush()
            os.fsync(handle.fileno())
    _fsync_folder(path.parent)


def register_time(at: Any) -> str:
    """An erasure time as ISO text in UTC (the database keeps naive UTC times)."""
    from datetime import datetime

    if isinstance(at, datetime):
        return at.isoformat(timespec="seconds") + ("Z" if at.tzinfo is None else "")
    return str(at or "")


def _fsync_folder(folder: Path) -> None:
    """Make a file's creation or renaming durable (POSIX; a no-op where folders cannot be
    opened, as on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


MIN_SMALL_NUMBER = 2


def check_small_number(value: int) -> int:
    """Suppression below 2 would show every count: refuse rather than switch it off."""
    if value < MIN_SMALL_NUMBER:
        raise WorkspaceError(
            f"small-number threshold {value} would switch suppression off; use "
            f"{MIN_SMALL_NUMBER} or more (default {DEFAULT_SMALL_NUMBER})"
        )
    return value


def init_workspace(
    path: str | Path,
    *,
    db: str | None = None,
    codebook: str | None = None,
    small_number_threshold: int = DEFAULT_SMALL_NUMBER,
    area: str = "",
    contact: str = "",
    never_name: Sequence[str] = (),
    leads: Sequence[str] = (),
) -> Workspace:
    """Create a workspace folder and its configuration; refuses to overwrite one, and a
    lead's name that names no one (`lead_name_problem`), which it could not open again."""
    check_small_number(small_number_threshold)
    for name in leads:
        if (problem := lead_name_problem(name)) is not None:
            raise WorkspaceError(f"lead {problem}")
    folder = Path(path)
    if (folder / CONFIG_NAME).exists():
        raise WorkspaceError(f"{folder / CONFIG_NAME} already exists; not overwriting it")
    if codebook not in (None, "", "default"):
        load_codebook(codebook)  # fail early on a bad codebook, before making anything
    made = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    if made:  # notes about people's mental health: no other user of the machine reads them
        folder.chmod(0o700)
    if codebook not in (None, "", "default"):
        # the workspace keeps its own copy: it moves, backs up and restores whole, and the
        # categories change only when someone edits the workspace's copy
        source = Path(codebook).resolve()
        if source.is_relative_to(folder.resolve()):
            codebook = source.relative_to(folder.resolve()).as_posix()
        else:
            copy = _free_name(folder, source.name)  # its name is the codebook's id in cards
            shutil.copyfile(source, copy)
            codebook = copy.name
    workspace = Workspace(
        path=folder.resolve(),
        db=db or DEFAULT_DB,
        codebook=codebook or "default",
        small_number_threshold=small_number_threshold,
        area=" ".join(area.split()),
        contact=contact.strip(),
        never_name=list(never_name),
        leads=_distinct(leads),
    )
    workspace.config_path.write_text(workspace.to_toml(), encoding="utf-8")
    return workspace


def _free_name(folder: Path, name: str) -> Path:
    """`name` in `folder`, or `name` with -2, -3, ... if a file has it already."""
    path = folder / name
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{Path(name).stem}-{n}{Path(name).suffix}"
    return path


def _with_codebook(config: str, codebook: str) -> str:
    """insight.toml's text with its codebook setting changed, comments and all kept."""
    changed, n = re.subn(r"(?m)^codebook\s*=.*$", f"codebook = {_quote(codebook)}", config)
    if n != 1 or tomllib.loads(changed).get("insight", {}).get("codebook") != codebook:
        raise WorkspaceError(f"cannot point the backup's {CONFIG_NAME} at its codebook copy: "
                             "is the codebook setting on a line of its own?")
    return changed


def resolve_workspace_path(path: str | Path | None) -> Path:
    if path is not None:
        return Path(path)
    env = os.environ.get("INSIGHT_WORKSPACE")
    return Path(env) if env else Path.cwd()


def enclosing_workspace(folder: Path) -> Path | None:
    """The workspace a folder is inside (a report's folder, a new folder made there), if
    any: the nearest folder above it holding a workspace's configuration."""
    for parent in folder.resolve().parents:
        if (parent / CONFIG_NAME).is_file():
            return parent
    return None


def open_workspace(path: str | Path | None = None, *, db: str | None = None) -> Workspace:
    """Read `insight.toml` from the chosen folder; `db` overrides the configured URL."""
    folder = resolve_workspace_path(path).resolve()
    config = folder / CONFIG_NAME
    if not config.is_file():
        named = "" if path is not None or not os.environ.get("INSIGHT_WORKSPACE") else \
            " (named by $INSIGHT_WORKSPACE)"
        if (outer := enclosing_workspace(folder)) is not None:
            raise WorkspaceError(
                f"no workspace at {folder}{named} (no {CONFIG_NAME}): it is inside the "
                f"workspace at {outer}; pass --workspace {outer}, or run the command there"
            )
        near = folder_named_like(folder, CONFIG_NAME)
        error = WorkspaceError(
            f"no workspace at {folder}{named} (no {CONFIG_NAME})"
            + (f"; did you mean {near}?" if near else "")
            + "; pass --workspace DIR (or set $INSIGHT_WORKSPACE, or run the command in the "
            f"workspace's folder), or make a new one with `insight init {folder}`"
        )
        # a folder named on the command line that is no workspace: a usage error (2)
        error.usage_error = path is not None or bool(named)  # type: ignore[attr-defined]
        raise error
    try:
        raw = tomllib.loads(config.read_text(encoding="utf-8"))
        data = raw.get("insight", {})
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{config}: not valid TOML: {exc}") from exc
    try:
        return Workspace(
            path=folder,
            db=db or str(data.get("db", DEFAULT_DB)),
            codebook=str(data.get("codebook", "default")),
            model=str(data.get("model", "model")),
            small_number_threshold=check_small_number(
                int(data.get("small_number_threshold", DEFAULT_SMALL_NUMBER))
            ),
            max_note_chars=int(data.get("max_note_chars", DEFAULT_MAX_NOTE_CHARS)),
            area=_area(data.get("area", ""), config),
            contact=str(data.get("contact", "")).strip(),
            never_name=_names(data.get("never_name", []), config),
            leads=_leads(data.get("leads", []), config),
            **_population(raw.get("population", {}), config),
        )
    except (TypeError, ValueError) as exc:
        raise WorkspaceError(f"{config}: bad value: {exc}") from exc


def _names(value: Any, config: Path, key: str = "never_name",
           example: str = '["refuge group", "asylum hotel drop-in"]') -> list[str]:
    """`never_name` or `leads`: a list of names (one name alone is read as a list of one)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise WorkspaceError(f"{config}: {key} must be a list of names, e.g. {example}")
    return [v.strip() for v in value if v.strip()]


def _area(value: Any, config: Path) -> str:
    """`area`: one name, spacing tidied. Refused if not text: a number or a list would be
    read as some other area, and quotes would then show towns they should hide."""
    if not isinstance(value, str):
        raise WorkspaceError(f"{config}: area must be the name of the area you listen in, in "
                             f'quotes, e.g. area = "Leeds" (it is {value!r})')
    return " ".join(value.split())


def _leads(value: Any, config: Path) -> list[str]:
    """`leads`: each person once, and no entry that names no one (`lead_name_problem`),
    blank included: typed by hand, a shared account there would make everyone who uses it a
    lead, and a list of one blank name would leave the workspace open to all."""
    given = [value] if isinstance(value, str) else value
    if isinstance(given, list) and all(isinstance(v, str) for v in given):
        for name in given:
            if (problem := lead_name_problem(name)) is not None:
                raise WorkspaceError(
                    f"{config}: in leads, {problem}; correct that entry, or take it off "
                    "the list")
    return _distinct(_names(value, config, "leads", '["Sam Patel", "Anna Jones"]'))


def _distinct(names: Sequence[str]) -> list[str]:
    """Names trimmed, each person once (`same_person`), in the order given."""
    kept: dict[str, str] = {}
    for name in names:
        if name.strip():
            kept.setdefault(same_person(name), " ".join(name.split()))
    return list(kept.values())


def _population(table: Any, config: Path) -> dict[str, Any]:
    """The `[population]` table: community -> percent of the local population (0-100),
    plus an optional `source`. Refused with a message that says which entry is wrong."""
    if not isinstance(table, dict):
        raise WorkspaceError(f"{config}: [population] must be a table of community = percent")
    source = table.get("source", "")
    shares: dict[str, float] = {}
    for name, value in table.items():
        if name == "source":
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100:
            raise WorkspaceError(
                f"{config}: [population] {name!r} = {value!r}: give the community's percent "
                "of the local population, a number above 0 and up to 100"
            )
        key = " ".join(str(name).split())
        if key.casefold() in {k.casefold() for k in shares}:
            raise WorkspaceError(f"{config}: [population] names {key!r} twice")
        shares[key] = float(value)
    return {"population": shares, "population_source": str(source)}
