"""The `insight` command line: a thin typer layer over the core library.

Exit codes: 0 success, 1 an error explained on stderr, 2 usage errors, 3 some input rows
were rejected (and quarantined).
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, TypeVar

import typer
from typer.core import TyperGroup

from insight import __version__
from insight.clock import uk_time, uk_today

if TYPE_CHECKING:  # imported lazily at run time: `insight --help` stays fast
    from insight.store import Store
    from insight.workspace import Workspace


class _Commands(TyperGroup):
    """A command group that says where an option given before the command belongs."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except Exception as exc:  # click's NoSuchOption (typer >= 0.20 vendors click)
            name = getattr(exc, "option_name", None)
            if type(exc).__name__ == "NoSuchOption" and name in ("-w", "--workspace", "--db"):
                value = "URL" if name == "--db" else "DIR"
                exc.message += (f": put it after the command ({ctx.command_path} COMMAND ... "
                                f"{name} {value})"
                                + ("" if name == "--db" else ", or set $INSIGHT_WORKSPACE"))
            raise


app = typer.Typer(
    cls=_Commands,
    help="insight: community-listening notes into traceable evidence for mental health services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
codebook_app = typer.Typer(cls=_Commands, help="Show and check codebooks.", no_args_is_help=True)
insights_app = typer.Typer(
    cls=_Commands, help="Insights: findings grounded in notes.", no_args_is_help=True
)
priorities_app = typer.Typer(
    cls=_Commands,
    help="Collective lived-experience priorities, built from insights.", no_args_is_help=True
)
actions_app = typer.Typer(
    cls=_Commands, help="Change actions responding to priorities.", no_args_is_help=True
)
outcomes_app = typer.Typer(
    cls=_Commands, help="Outcomes: what changed after an action.", no_args_is_help=True
)
safeguarding_app = typer.Typer(cls=_Commands, help="The safeguarding queue.", no_args_is_help=True)
notes_app = typer.Typer(
    cls=_Commands, help="Read notes and review their tags (leads).", no_args_is_help=True
)
quarantine_app = typer.Typer(
    cls=_Commands,
    help="Rows ingest could not store: what is wrong and what is still to fix.",
    no_args_is_help=True,
)
app.add_typer(codebook_app, name="codebook")
app.add_typer(insights_app, name="insights")
app.add_typer(priorities_app, name="priorities")
app.add_typer(actions_app, name="actions")
app.add_typer(outcomes_app, name="outcomes")
app.add_typer(safeguarding_app, name="safeguarding")
app.add_typer(notes_app, name="notes")
app.add_typer(quarantine_app, name="quarantine")

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (default: $INSIGHT_WORKSPACE, else the current directory).",
        show_default=False,
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL overriding the workspace's (e.g. postgresql://...)."),
]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")]

EXIT_REJECTED = 3
F = TypeVar("F", bound=Callable[..., Any])


def _expected_errors() -> tuple[type[Exception], ...]:
    from insight.codebook import CodebookError
    from insight.intake import FileRejected
    from insight.store import StoreError
    from insight.thread import ThreadError
    from insight.workspace import WorkspaceError

    errors: list[type[Exception]] = [
        CodebookError, StoreError, ThreadError, WorkspaceError, FileRejected, FileExistsError,
        FileNotFoundError,
    ]
    # Only modules already imported can have raised their errors: no heavy import on error.
    if "insight.classify.backend" in sys.modules:
        errors.append(sys.modules["insight.classify.backend"].ModelFormatError)
    if "insight.tagging" in sys.modules:
        errors.append(sys.modules["insight.tagging"].TaggingError)
    if "insight.sheets" in sys.modules:  # a cell a workbook cannot keep whole
        errors.append(sys.modules["insight.sheets"].WorkbookError)
    return tuple(errors)


def handled(func: F) -> F:
    """Explained errors become one line on stderr and exit code 1, never a traceback; a
    note, record or value named on the command line that does not exist is a usage error
    (2)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from insight.store import NotFound
        from insight.thread import UnknownValue

        try:
            return func(*args, **kwargs)
        except _expected_errors() as exc:
            said = str(exc)
            if "`insight " in said:  # a pointer to a lead's command: whom to tell
                said = _for_reader(said, _reader_workspace(kwargs))
            typer.secho(f"error: {said}", err=True, fg=typer.colors.RED)
            usage = isinstance(exc, NotFound | UnknownValue) or getattr(exc, "usage_error", False)
            raise typer.Exit(2 if usage else 1) from None
        except KeyboardInterrupt:
            typer.secho("interrupted: what was saved before stays saved (notes are stored and "
                        "tagged in batches, each whole or not at all); run the same command "
                        "again to finish", err=True, fg=typer.colors.RED)
            raise typer.Exit(130) from None
        except BrokenPipeError:  # `insight notes show ... | head`: the reader has enough
            # Python would complain again when it flushes stdout at exit: point it nowhere
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except OSError as exc:  # a folder not writable, a full disk
            typer.secho(f"error: {_os_error(exc)}", err=True, fg=typer.colors.RED)
            raise typer.Exit(1) from None
        except Exception as exc:
            if (problem := _database_error(exc)) is None:
                raise
            typer.secho(f"error: {problem}", err=True, fg=typer.colors.RED)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _os_error(exc: OSError) -> str:
    """An operating-system error in one line: what failed, and on which file."""
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def _database_error(exc: Exception) -> str | None:
    """A database error in one line, without the statement or its values (notes' words),
    with what to do; None for an error that is not the database's."""
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is None or not isinstance(exc, sqlalchemy_exc.DBAPIError):
        return None
    said = " ".join(str(exc.orig).split()) or type(exc.orig).__name__
    if isinstance(exc, sqlalchemy_exc.IntegrityError):
        return (f"the database refused the change ({said}): another command may have changed "
                "the same records at the same time; run this one again once it has finished")
    if isinstance(exc, sqlalchemy_exc.OperationalError):
        return (f"the database could not be written or read ({said}): check the disk has "
                "space, the workspace folder and database file can be written, and no other "
                "program holds the database; then run the command again")
    return f"the database refused the request ({said})"


def _open(workspace: Path | None, db: str | None = None):
    from insight.store import Store
    from insight.workspace import open_workspace

    ws = open_workspace(workspace, db=db)
    return ws, Store.open(ws.db_url)


def _chosen_workspace(workspace: Path | None, *, here: bool = False):
    """The workspace the user named (-w or $INSIGHT_WORKSPACE), for stateless commands;
    with `here`, else the one the command is run in, as commands on a workspace find it
    (a lead in the workspace's folder means its codebook, not the default)."""
    from insight.workspace import CONFIG_NAME, open_workspace

    if workspace is None and not os.environ.get("INSIGHT_WORKSPACE"):
        if here and (Path.cwd() / CONFIG_NAME).is_file():
            return open_workspace(None)
        return None
    return open_workspace(workspace)


def _missing(value: Any) -> bool:
    """A value a pandas table holds where there is none (NaN, NaT, NA)."""
    import pandas as pd

    if isinstance(value, list | tuple | dict | set | str) or value is None:
        return value is None
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _print_table(rows: list[dict[str, Any]], fmt: str) -> None:
    import pandas as pd

    # object columns: a whole number beside a missing one stays 576, not 576.0
    frame = pd.DataFrame(rows, dtype=object)
    frame = frame.where(frame.notna(), "")
    if fmt == "json":  # a value a table lacks is null: NaN is no JSON (jq and browsers fail)
        rows = [{k: None if _missing(v) else v for k, v in row.items()} for row in rows]
        typer.echo(json.dumps(rows, indent=2, default=str, ensure_ascii=False,
                              allow_nan=False))
    elif fmt == "csv":
        from insight.sheets import csv_cell

        typer.echo(frame.map(csv_cell).to_csv(index=False), nl=False)
    elif fmt == "table":
        typer.echo(frame.to_string(index=False) if len(frame) else "(none)")
    else:
        from insight.choices import not_one_of

        raise typer.BadParameter(not_one_of("format", fmt, ("table", "csv", "json")),
                                 param_hint="--format")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"insight {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """insight: community-listening notes into traceable evidence for mental health services."""


# -- who may run what -------------------------------------------------------------------


class LeadOnly(NamedTuple):
    """A command (or a use of one) for the workspace's leads, once insight.toml lists them:
    it reads other people's notes or makes a lead's decision. A guard against mistakes on a
    shared machine, not security: whoever can read the workspace's files can read them.
    (A named tuple: `scripts/make_cli_docs.sh` loads this module in a way dataclasses
    cannot.)"""

    #: what the refusal says only a lead can do: "erase notes"
    doing: str
    #: given the command's options, whether this use of it is a lead's (None: every use)
    when: Callable[[dict[str, Any]], bool] | None = None
    #: what anyone else can do instead, said in the refusal
    instead: str = ""


def _thread_changes(group: str, commands: Sequence[str]) -> dict[str, LeadOnly]:
    return {f"{group} {name}": LeadOnly(f"change {group}") for name in commands}


#: The lead-only commands, by their names as typed; applied once to every command named
#: here (`_guard_lead_commands`, at the end of this module). Everything else is anyone's:
#: ingest, tag, notes list and update, trace, the thread's lists, safeguarding add, quarantine
#: list, reports and roll-ups for commissioners and the community, and the commands that
#: read no workspace (classify, evaluate, redact, codebook show and check, init, demo).
LEAD_ONLY: dict[str, LeadOnly] = {
    "erase": LeadOnly("erase notes"),
    "backup": LeadOnly("make a backup (it holds every note)"),
    "restore": LeadOnly("restore a backup", when=lambda o: (
        _config_file(o["workspace"]).is_file())),
    "train": LeadOnly("train the model",
                      when=lambda o: o["data"] is None or o["out"] is None),
    "audit": LeadOnly("read the audit log"),
    "report": LeadOnly("write the leads' report", when=lambda o: _audience(o["audience"]) == "lead",
                       instead="`--audience commissioner` and `--audience community` are open "
                       "to everyone"),
    "rollup": LeadOnly("see the leads' roll-up (every count)",
                       when=lambda o: _audience(o["audience"]) == "lead",
                       instead="`--audience commissioner` is open to everyone"),
    "codebook rename": LeadOnly("rename a category"),
    "notes show": LeadOnly("read notes' words"),
    "notes list": LeadOnly("search notes' words", when=lambda o: bool(o["words"]),
                           instead="Without --words, `insight notes list` is open to everyone"),
    "notes queue": LeadOnly("see the review queue"),
    "notes review": LeadOnly("review a note's tags"),
    "notes consent": LeadOnly("record a person's consent"),
    "safeguarding list": LeadOnly("read the safeguarding queue"),
    "safeguarding show": LeadOnly("read a safeguarding item"),
    "safeguarding ack": LeadOnly("acknowledge a safeguarding item"),
    "safeguarding reopen": LeadOnly("reopen a safeguarding item"),
    "safeguarding follow-up": LeadOnly("add a follow-up to a safeguarding item"),
    "quarantine show": LeadOnly("read quarantined rows"),
    "quarantine export": LeadOnly("export quarantined rows"),
    "quarantine clear": LeadOnly("clear quarantined rows"),
    "quarantine dismiss": LeadOnly("dismiss a quarantined row"),
    **_thread_changes("insights", ("add", "link", "unlink", "quote", "update", "merge",
                                   "delete", "undelete")),
    **_thread_changes("priorities", ("add", "link", "unlink", "withdraw", "reinstate",
                                     "update", "merge", "delete", "undelete")),
    **_thread_changes("actions", ("add", "link", "unlink", "status", "involve", "update",
                                  "merge", "delete", "undelete")),
    **_thread_changes("outcomes", ("add", "update", "delete", "undelete")),
}


def _config_file(workspace: Path | None) -> Path:
    """Where the chosen workspace's insight.toml is (or would be)."""
    from insight.workspace import CONFIG_NAME, resolve_workspace_path

    return resolve_workspace_path(workspace) / CONFIG_NAME


def _for_leads(command: F, rule: LeadOnly) -> F:
    """`command`, refused to anyone but a lead when the workspace lists its leads and this
    use of it is a lead's; a folder that is no workspace is left to the command to say."""

    @handled
    @functools.wraps(command)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        from insight.workspace import open_workspace

        workspace = kwargs.get("workspace")
        if _config_file(workspace).is_file() and (rule.when is None or rule.when(kwargs)):
            open_workspace(workspace).require_lead(rule.doing, instead=rule.instead)
        return command(*args, **kwargs)

    return guarded  # type: ignore[return-value]


def _registered_commands() -> Iterator[tuple[str, Any]]:
    """Each command as typed ("safeguarding list") with its registration."""
    from typer.main import get_command_name

    groups = [("", app)] + [(f"{g.name} ", g.typer_instance) for g in app.registered_groups
                            if g.typer_instance is not None]
    for prefix, group in groups:
        for info in group.registered_commands:
            if info.callback is not None:
                yield prefix + (info.name or get_command_name(info.callback.__name__)), info


def _guard_lead_commands() -> None:
    """Put every command `LEAD_ONLY` names behind the leads' check, once."""
    for name, info in _registered_commands():
        if name in LEAD_ONLY:
            info.callback = _for_leads(info.callback, LEAD_ONLY[name])


#: A command a message points to, as it is typed: `insight safeguarding list`
_POINTER = re.compile(r"`insight ([^`]+)`")


def _lead_rule(typed: str) -> LeadOnly | None:
    """The `LEAD_ONLY` rule of a command as a message types it ("safeguarding list",
    "erase --note ID"), or None where it is anyone's. A rule for some uses only is read
    from the options the message gives, the rest as the command's defaults
    (`notes list --words` is a lead's, `report --audience commissioner` anyone's)."""
    import inspect

    words = typed.split()
    name = " ".join(words[:2]) if " ".join(words[:2]) in LEAD_ONLY else " ".join(words[:1])
    rule = LEAD_ONLY.get(name)
    if rule is None or rule.when is None:
        return rule
    callback = next((info.callback for typed_name, info in _registered_commands()
                     if typed_name == name), None)
    options: dict[str, Any] = {} if callback is None else {
        p.name: p.default for p in inspect.signature(callback).parameters.values()}
    for at, word in enumerate(words):
        if word.startswith("--"):
            key, _, value = word[2:].partition("=")
            after = words[at + 1] if at + 1 < len(words) else ""
            options[key.replace("-", "_")] = value or (
                after if after and not after.startswith("-") else True)
    try:
        return rule if rule.when(options) else None
    except (KeyError, AttributeError, TypeError, typer.BadParameter):  # cannot tell: a lead's
        return rule


def _for_reader(message: str, ws: Any) -> str:
    """`message` as the person running the command can act on it. Once the workspace
    lists its leads, a command in it that only a lead may run (`LEAD_ONLY`) becomes, for
    anyone else, who to tell and what they do with it ("tell a lead (Sam Patel, Anna
    Jones): they read the safeguarding queue with `insight safeguarding list`"): a
    listener sent to a command that refuses her is stuck. Leads, and everyone where none
    are listed, see the message as it was. The leads are named once a message."""
    from insight.store import current_actor

    if ws is None or not ws.leads or "`insight " not in message \
            or ws.is_lead(current_actor()):
        return message
    named = [False]

    def tell(found: re.Match[str]) -> str:
        rule = _lead_rule(found.group(1))
        if rule is None:
            return found.group(0)
        who = "a lead" if named[0] else f"a lead ({', '.join(ws.leads)})"
        named[0] = True
        return f"tell {who}: they {rule.doing} with {found.group(0)}"

    return _POINTER.sub(tell, message)


def _say(ws: Any, message: str, *, err: bool = False, fg: str | None = None) -> None:
    """`typer.secho` for the commands anyone may run: a pointer to a lead's command is
    said as who to tell (`_for_reader`)."""
    typer.secho(_for_reader(message, ws), err=err, fg=fg)


def _reader_workspace(kwargs: dict[str, Any]) -> Any:
    """The workspace a command ran on, for its error message (`_for_reader`), or None: a
    command without one, or a folder that is no workspace."""
    from insight.workspace import WorkspaceError, open_workspace

    if "workspace" not in kwargs or not _config_file(kwargs["workspace"]).is_file():
        return None
    try:
        return open_workspace(kwargs["workspace"])
    except WorkspaceError:  # the error being said may be this one
        return None


# -- workspace and codebook -------------------------------------------------------------


@app.command()
@handled
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new workspace.")],
    db: DbOpt = None,
    codebook: Annotated[
        Path | None, typer.Option(help="Codebook YAML/TOML (default: enquiry codebook v1); "
                                  "the workspace keeps a copy.")
    ] = None,
    small_number: Annotated[
        int, typer.Option(help="Suppress counts below this for non-lead audiences.")
    ] = 5,
    lead: Annotated[list[str] | None, typer.Option(
        help="A lead's name, as $INSIGHT_USER (else their login) gives it (repeat): only "
             "they may then erase notes, read their words, decide on safeguarding items and "
             "change the thread. Without it, everyone may.")] = None,
    area: Annotated[str, typer.Option(
        help="The area you listen in, e.g. \"Leeds\": reports say it, and quotes for "
             "commissioners and the community may name it (other towns are written "
             "[PLACE]).")] = "",
) -> None:
    """Create a workspace: insight.toml and its database."""
    from insight.store import Store, current_actor
    from insight.workspace import init_workspace, lead_name_problem

    for name in lead or ():
        if (problem := lead_name_problem(name)) is not None:
            raise typer.BadParameter(problem, param_hint="--lead")
    ws = init_workspace(
        directory, db=db, codebook=str(codebook) if codebook else None,
        small_number_threshold=small_number, leads=lead or (), area=area,
    )
    with Store.open(ws.db_url) as store:
        store.secret("erasure")  # so a backup taken before any erasure can match later ones
    typer.echo(f"created workspace {ws.path} (database {ws.db_url.split('@')[-1]})")
    from insight.workspace import enclosing_workspace

    if (outer := enclosing_workspace(ws.path)) is not None:
        typer.secho(f"warning: {ws.path} is inside the workspace at {outer}: a separate "
                    "workspace, with notes of its own; if you meant to work in that one, "
                    f"delete {ws.path} and pass --workspace {outer}", err=True,
                    fg=typer.colors.YELLOW)
    if codebook is not None and ws.codebook_path is not None \
            and ws.codebook_path.resolve() != codebook.resolve():
        typer.echo(f"the workspace keeps its own copy of the codebook, {ws.codebook_path}: "
                   f"edit that copy to change its categories ({codebook} is no longer read)")
    if ws.leads:
        typer.echo(f"its leads: {', '.join(ws.leads)} (leads in {ws.config_path.name}, where "
                   "more are added)")
        if not ws.is_lead(current_actor()):
            typer.secho(f"warning: you ({current_actor()}) are not one of its leads: you "
                        "cannot erase notes, read their words or decide on safeguarding items "
                        "in it unless INSIGHT_USER names a lead", err=True,
                        fg=typer.colors.YELLOW)


CodebookFileOpt = Annotated[
    Path | None,
    typer.Option("--codebook", help="Codebook file (default: the workspace's (-w, "
                 "$INSIGHT_WORKSPACE or the current folder's), else enquiry v1)."),
]


def _chosen_codebook(codebook: Path | None, workspace: Path | None):
    """The codebook named, else the chosen workspace's (-w, $INSIGHT_WORKSPACE or the
    current folder's), else the default."""
    from insight.codebook import load_codebook

    ws = _chosen_workspace(workspace, here=codebook is None)
    return load_codebook(codebook) if codebook or ws is None else ws.load_codebook()


#: `insight codebook check FILE`, as people type it, beside --codebook FILE
CodebookFileArg = Annotated[Path | None, typer.Argument(
    help="Codebook file (the same as --codebook).", show_default=False)]


def _one_codebook(file: Path | None, codebook: Path | None) -> Path | None:
    if file is not None and codebook is not None and file != codebook:
        raise typer.BadParameter("give the codebook once: as FILE or as --codebook",
                                 param_hint="--codebook")
    return file or codebook


#: How wide `codebook show` writes a category's description: a terminal's usual width.
_SHOW_WIDTH = 88


@codebook_app.command("show")
@handled
def codebook_show(
    file: CodebookFileArg = None,
    codebook: CodebookFileOpt = None,
    full: Annotated[bool, typer.Option(
        "--full", help="Each description whole, with what the category includes and "
        "excludes (by default one line each).")] = False,
    source: Annotated[bool, typer.Option(
        "--source", help="The codebook's file itself, as written (comments too), e.g. to "
        "start a workspace's own: `insight codebook show --source > codebook.yaml`.")] = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """List a codebook's categories and what each covers (validates the file).

    -f csv and json give every field: id, name, description, includes, excludes, parent."""
    import textwrap

    book = _chosen_codebook(_one_codebook(file, codebook), workspace)
    if source:  # a valid codebook (read above), copied whole: a lead edits the copy
        typer.echo(Path(book.path).read_text(encoding="utf-8"), nl=False)
        return
    if fmt != "table":  # data: every field the file holds, lists kept as lists in json
        joined = (lambda items: "; ".join(items)) if fmt == "csv" else list
        _print_table([{"id": c.id, "name": c.name, "description": c.description,
                       "includes": joined(c.includes), "excludes": joined(c.excludes),
                       "parent": c.parent} for c in book.categories], fmt)
        return
    count = len(book.categories)
    typer.echo(f"{book.name or 'codebook'} version {book.version}: "
               f"{count} {'category' if count == 1 else 'categories'} ({book.path})")
    indent = " " * 4
    for c in book.categories:  # a block each: a lead reads what a category covers
        if full:
            typer.echo("")
        typer.secho(f"{c.id}  {c.name}" + (f"  (part of {c.parent})" if c.parent else ""),
                    bold=True)
        if not full:
            typer.echo(indent + _shortened(c.description, _SHOW_WIDTH - len(indent)))
            continue
        for label, text in (("", c.description), ("includes: ", "; ".join(c.includes)),
                            ("excludes: ", "; ".join(c.excludes))):
            if text:
                typer.echo(textwrap.fill(label + text, _SHOW_WIDTH, initial_indent=indent,
                                         subsequent_indent=indent * 2 if label else indent))
    if not full:
        typer.echo("(--full: each description whole, with what a category includes and "
                   "excludes)")


@codebook_app.command("check")
@handled
def codebook_check(
    file: CodebookFileArg = None,
    codebook: CodebookFileOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Validate a codebook: one line if it is fine, every problem (exit 1) if not."""
    book = _chosen_codebook(_one_codebook(file, codebook), workspace)
    count = len(book.categories)
    typer.echo(f"ok: {book.path}: version {book.version}: "
               f"{count} {'category' if count == 1 else 'categories'}")


@codebook_app.command("rename")
@handled
def codebook_rename(
    old: Annotated[str, typer.Argument(help="The category id notes are tagged with now.")],
    new: Annotated[str, typer.Argument(help="The codebook's id for it now.")],
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Carry tags and insights from a category the codebook renamed or merged to its new id.

    Edit the workspace's codebook first; every tag on OLD then moves to NEW: people's
    labels (still under the name of whoever gave them), the model's tags and insights (a
    note tagged both keeps one), each change audited. Train again afterwards so the model
    learns NEW. Not for a split (OLD becoming two or more categories): leave OLD out of the
    codebook, list its notes (`insight notes list --category OLD`) and review each
    (`insight notes review ID --drop OLD --add NEW`)."""
    ws, store = _open(workspace, db)
    book = ws.load_codebook()
    if new not in book.ids:
        hint = difflib.get_close_matches(new, book.ids, n=1)
        raise typer.BadParameter(
            f"{new!r} is not in the workspace's codebook ({ws.codebook_path or 'the default'})"
            + (f"; did you mean {hint[0]}?" if hint else ": add it there first"),
            param_hint="NEW")
    if old in book.ids:
        raise typer.BadParameter(
            f"{old!r} is still in the workspace's codebook: take it out first (merging two "
            "categories the codebook still has would leave one empty)", param_hint="OLD")
    with store:
        moved = store.rename_category(old, new)
    if not any(moved.values()):
        typer.echo(f"nothing is tagged {old}: nothing changed")
        return
    typer.echo(f"moved from {old} to {new}: {moved['person']} people's labels, "
               f"{moved['model']} model tags, {moved['insights']} insights; every note "
               f"tagged {old} is now tagged {new}")
    if moved["person"]:
        typer.secho(f"if {old} was split rather than renamed, review the notes people "
                    f"labelled: `insight notes list --category {new} --tagged-by person`, "
                    f"then `insight notes review ID --drop {new} --add CATEGORY`",
                    err=True, fg=typer.colors.YELLOW)
    if moved["person"] or moved["model"]:
        typer.echo("train again (`insight train`), then re-tag (`insight tag --retag`), so "
                   f"the model learns and tags {new}")


# -- intake -------------------------------------------------------------------------------


@app.command()
@handled
def ingest(
    files: Annotated[
        list[Path], typer.Argument(help="CSV, JSONL or Excel (.xlsx) files of notes.")
    ],
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    max_chars: Annotated[
        int | None, typer.Option(help="Reject notes longer than this (default from config).")
    ] = None,
    screen: Annotated[
        bool, typer.Option(help="Screen new notes with the safeguarding phrase list.")
    ] = True,
    id_prefix: Annotated[
        str | None,
        typer.Option(
            help="Put this before every id the files give (e.g. 'carers-form-'), for exports "
            "whose ids restart at 1; use the same prefix when ingesting an update again."
        ),
    ] = None,
    allow_same_text: Annotated[
        bool,
        typer.Option(help="Store a note whose text is exactly that of a stored note under "
                     "another id, heard the same day by the same listener (by default such a "
                     "row is quarantined as a likely duplicate)."),
    ] = False,
    text_col: Annotated[
        list[str] | None,
        typer.Option(metavar="<str>",  # given once (`_one_text_column`), not a list
                     help="The one column that holds the notes, if not 'text' (e.g. a form's "
                     "question: --text-col 'What did you hear?'). Give it once: columns are "
                     "not joined, so notes in two columns are joined in the file first."),
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(help="FIELD=COLUMN: read COLUMN as a note field (repeat), e.g. --column "
                     "place=Village --column categories=Themes. Fields: id, heard_on, "
                     "listener, setting, place, community, categories, consent_quote, "
                     "consent_contact, consent_keep, safeguarding, experience."),
    ] = None,
    list_sep: Annotated[
        str | None,
        typer.Option(help="Also split community and categories cells at this character (a "
                     "form's several choices joined by commas: --list-sep ','); ';' and '|' "
                     "always split."),
    ] = None,
    replace_text: Annotated[
        bool,
        typer.Option("--replace-text", help="A row whose id is stored with other words is a "
                     "corrected answer: the note takes its words (audited; the model reads "
                     "it again at the next `insight tag`)."),
    ] = False,
    dates: Annotated[
        str,
        typer.Option(help="How to read numeric dates such as 03/04/2025: auto (day first, "
                     "as in the UK, unless the column shows it is a US form's), day-first "
                     "or month-first. Dates the other way are row errors."),
    ] = "auto",
) -> None:
    """Validate and store notes; bad rows go to quarantine with line number and reason."""
    from insight.intake import check_id_prefix, ingest_file, rows_upper_bound, shown_cell, some_of

    if id_prefix is not None:
        try:
            check_id_prefix(id_prefix)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--id-prefix") from None

    from insight.intake import DATE_ORDERS

    if max_chars is not None and max_chars < 1:
        raise typer.BadParameter("give the longest note to accept, in characters (1 or more)",
                                 param_hint="--max-chars")
    dates = _one_word(dates, DATE_ORDERS, "date order", "--dates", hints={
        "us": "month-first", "american": "month-first", "mm/dd/yyyy": "month-first",
        "uk": "day-first", "british": "day-first", "dd/mm/yyyy": "day-first"})
    text_col = _one_text_column(text_col or [])
    column_names = _column_names(column or [])
    if list_sep is not None and (len(list_sep.strip()) != 1 or list_sep.strip().isalnum()):
        raise typer.BadParameter("give one punctuation character, e.g. ','",
                                 param_hint="--list-sep")
    list_sep = list_sep.strip() if list_sep else None
    # A file that is not there (or a folder) is a mistake on the command line: say so and
    # ingest nothing, rather than quarantine a file that does not exist.
    missing = [f for f in files if not f.is_file()]
    for file in missing:
        problem = "is a folder, not a file" if file.is_dir() else "no such file"
        typer.secho(f"error: {file}: {problem}", err=True, fg=typer.colors.RED)
    if missing:
        raise typer.Exit(2)
    ws, store = _open(workspace, db)
    codebook = ws.load_codebook()
    if screen:
        from insight.classify.safeguarding import phrase_screen

        screener = phrase_screen()
    else:
        screener = None
    if not screen:
        typer.secho("warning: safeguarding phrase screening is off (--no-screen): only the "
                    "listeners' answers route new notes to the queue now, and words in "
                    "columns that are not stored are never read for risk",
                    err=True, fg=typer.colors.YELLOW)
    any_rejected = stored_any = False
    with store:
        for file in files:
            lines = rows_upper_bound(file, text_col)
            with typer.progressbar(length=lines, label=f"ingest {file.name}",
                                   file=sys.stderr) as bar:
                done = [0]

                def advance(rows: int, bar=bar, done=done) -> None:
                    bar.update(rows - done[0])
                    done[0] = rows

                try:
                    report = ingest_file(
                        store,
                        file,
                        category_ids=codebook.ids,
                        category_names=codebook.names,
                        quarantine_dir=ws.quarantine_dir,
                        max_chars=max_chars or ws.max_note_chars,
                        screen=screener,
                        on_rows=advance,
                        id_prefix=id_prefix or "",
                        text_col=text_col,
                        column_names=column_names,
                        list_sep=list_sep,
                        dates=dates,
                        replace_text=replace_text,
                        allow_same_text=allow_same_text,
                    )
                except KeyboardInterrupt:
                    typer.secho(
                        f"{file}: interrupted after about {done[0]} of {lines} rows: the notes "
                        "stored so far stay stored (in whole batches); ingest the same file "
                        "again to take in the rest (stored rows count as already present) "
                        "and to see any rejected row that raises a safeguarding concern",
                        err=True, fg=typer.colors.RED)
                    raise typer.Exit(130) from None
            for warning in report.warnings:
                _say(ws, f"{file}: warning: {warning}", err=True, fg=typer.colors.YELLOW)
                if warning.startswith("not note fields"):
                    typer.secho(f"{file}: to read such a column as a note field (setting, "
                                "place, community, ...), name it with --column FIELD=COLUMN; "
                                "ingesting again fills the fields of notes stored without them",
                                err=True, fg=typer.colors.YELLOW)
            if report.file_error:
                typer.secho(f"{file}: file rejected: {report.file_error}", err=True,
                            fg=typer.colors.RED)
            if report.file_error and not (report.accepted or report.rejected
                                          or report.already_present or report.erased
                                          or report.not_kept):
                typer.echo(f"{file}: not read (see why above); nothing was stored")
            else:
                typer.echo(
                    f"{file}: accepted {report.accepted}, rejected {report.rejected}, "
                    f"already present {report.already_present}"
                    + (f", not kept {len(report.not_kept)}" if report.not_kept else "")
                )
            _say_not_kept(file, report, ws)
            if not report.file_error:
                from insight.quarantine import settle_unread

                if settled := settle_unread(ws.quarantine_dir, file):
                    typer.echo(f"{file}: read this time: {settled} earlier failed "
                               f"attempt{'s' if settled > 1 else ''} to read it "
                               f"cleared from quarantine")
            for line in report.change_summary():
                _say(ws, f"{file}: {line}")
            if report.quote_withdrawn and (quoted_in := store.reports_quoting(
                    report.quote_withdrawn)):
                typer.secho(f"{file}: " + _quoted_in(quoted_in, "notes whose consent to quote "
                            "this file withdrew"), err=True, fg=typer.colors.YELLOW)
            if report.flagged:
                noun = "note" if report.flagged == 1 else "notes"
                typer.echo(f"{file}: {report.flagged} {noun} routed to the safeguarding queue")
            if report.unstored_concerns:  # in the queue, like the rest: said plainly
                where = [f"line {line} ({shown_cell(column)})"
                         for line, column in report.unstored_concerns]
                typer.echo(
                    f"{file}: {len(where)} of them for words in a column that is not stored "
                    f"({some_of(where, 5)}): the queue item keeps those words (names and "
                    "contact details removed) and where they were, as the notes do not hold "
                    "them")
            for column, count in report.unread_concern_columns:
                typer.secho(
                    f"{file}: SAFEGUARDING: the column {shown_cell(column)} is not read as the "
                    f"safeguarding answer, yet {count} row{'s' if count != 1 else ''} say yes "
                    "in it: if it is the safeguarding question, ingest again with --column "
                    f"safeguarding={shown_cell(column)} (stored notes are flagged then)",
                    err=True, fg=typer.colors.RED)
            if lines := report.erased_concerns:
                typer.secho(
                    f"{file}: SAFEGUARDING: {len(lines)} row(s) of erased notes say "
                    "safeguarding yes or raise a phrase (line "
                    f"{', '.join(map(str, lines[:10]))}" + (" and more" if len(lines) > 10
                                                            else "")
                    + "); an erased note is never stored again, so they are not in the "
                    "queue: read those lines of the file now",
                    err=True, fg=typer.colors.RED,
                )
            kinds = None
            if report.quarantine and report.rejected:
                from insight.quarantine import sort_rejected

                kinds = sort_rejected(ws.quarantine_dir, report.quarantine, store)
                # a concern row dismissed before, with what was done about it, comes back in
                # every cumulative export: it is no new alarm
                handled = {r.line for r in kinds["dismissed"]}
                report.rejected_concerns = [n for n in report.rejected_concerns
                                            if n not in handled]
            if lines := report.rejected_concerns:
                one = len(lines) == 1
                typer.secho(
                    f"{file}: SAFEGUARDING: {len(lines)} rejected row{'' if one else 's'} "
                    f"{'raises' if one else 'raise'} a safeguarding concern "
                    f"(line{'' if one else 's'} {', '.join(map(str, lines[:10]))}"
                    + (" and more" if len(lines) > 10 else "")
                    + f"); {'it is' if one else 'they are'} not in the queue because "
                    f"{'it was' if one else 'they were'} not stored: read "
                    f"{'it' if one else 'them'} in the quarantine file now, fix and ingest "
                    "again",
                    err=True, fg=typer.colors.RED,
                )
            to_fix = report.rejected
            shown = report.first_reasons
            if kinds is not None:
                if len(kinds["new"]) < report.rejected:
                    _say(ws, f"{file}: {_rejected_kinds(kinds)}")
                pending = kinds["new"] + kinds["before"]
                to_fix = len(pending)
                shown = [(r.line, r.reason) for r in pending[:len(report.first_reasons)]]
            for line, reason in shown:
                _say(ws, f"{file}: line {line}: {reason}", err=True, fg=typer.colors.YELLOW)
            if report.unknown_labels:
                typer.secho(f"{file}: {_unknown_labels(report.unknown_labels, ws)}", err=True,
                            fg=typer.colors.YELLOW)
            if report.quarantine and report.rejected:  # a file not read has no rows there
                more = to_fix - len(shown)
                _say(ws, f"{file}: quarantined rows in {report.quarantine}"
                     + (f" ({more} more reasons there)" if more > 0 else "")
                     + "; every row still to fix: `insight quarantine show`")
            # rows already stored or erased need nothing: only what does is a rejection
            any_rejected |= bool(to_fix or report.file_error or report.rejected_concerns
                                 or report.erased_concerns or report.unread_concern_columns
                                 or report.not_kept_concerns or report.keep_refused)
            stored_any |= report.accepted > 0
    if stored_any:  # what a new lead does next
        typer.echo("next: `insight tag` tags the new notes")
    if any_rejected:
        raise typer.Exit(EXIT_REJECTED)


#: Rows not kept named one a line, up to this many (the rest by line number).
_NOT_KEPT_SHOWN = 20


def _say_not_kept(file: Path, report: Any, ws: Any) -> None:
    """What ingest says of rows whose person did not agree to their words being kept: each
    by line (never its words); a stored note of one, to erase; a concern in one, in red,
    as it reaches no queue."""
    from insight.intake import shown_cell, some_of

    for line in report.not_kept[:_NOT_KEPT_SHOWN]:
        typer.echo(f"{file}: line {line}: not kept: the person did not agree to their words "
                   "being kept; nothing of it was stored")
    if more := report.not_kept[_NOT_KEPT_SHOWN:]:
        typer.echo(f"{file}: not kept either, for the same reason: line"
                   f"{'s' if len(more) > 1 else ''} {some_of([str(n) for n in more], 30)}")
    for line, note_id in report.keep_refused:
        _say(ws,
             f"{file}: line {line}: the person no longer agrees to their words being kept, but "
             f"note {shown_cell(note_id)} from an earlier file holds them: erase it now "
             f"(`insight erase --note {note_id}`; a file never erases a note, as that cannot "
             "be undone; its consent to quote is withdrawn meanwhile)",
             err=True, fg=typer.colors.RED)
    _say_not_kept_concerns(file, report.not_kept_concerns, "stored")


def _say_not_kept_concerns(file: Path, lines: Sequence[int], done: str) -> None:
    """In red: rows not kept that raise a safeguarding concern, which no queue or output
    holds (`done`: "stored" by ingest, "written" by classify and redact), for a person to
    read in the file now."""
    from insight.intake import some_of

    if not lines:
        return
    one = len(lines) == 1
    typer.secho(
        f"{file}: SAFEGUARDING: line{'' if one else 's'} "
        f"{some_of([str(n) for n in lines], 10)} "
        f"{'raises' if one else 'raise'} a safeguarding concern, but the person did not "
        f"agree to their words being kept, so nothing of {'it' if one else 'them'} was "
        f"{done} and {'it is' if one else 'they are'} in no queue: read "
        f"{'it' if one else 'them'} in the file now, and act as your safeguarding policy "
        "says (a risk of harm may outweigh the wish not to be recorded)",
        err=True, fg=typer.colors.RED)


def _unknown_labels(labels: dict[str, list[int]], ws: Any) -> str:
    """One line on the categories rejected rows give that the codebook lacks, most rows
    first, each with the codebook's nearest: a file labelled by hand spells a label many
    ways, and each spelling is one fix in the file, or one line in the codebook."""
    from insight.codebook import category_lookup
    from insight.intake import category_hint, shown_cell
    from insight.report import codebook_title

    codebook = ws.load_codebook()
    lookup = category_lookup(codebook.ids, codebook.names)
    ranked = sorted(labels.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    said = []
    for label, lines in ranked[:12]:
        hint = category_hint(label, lookup)
        said.append(f"{shown_cell(label, answer=True)} ({len(lines)} row"
                    f"{'s' if len(lines) != 1 else ''}"
                    + (f"; did you mean {hint}?" if hint else "") + ")")
    more = len(ranked) - len(said)
    return (f"rows rejected for categories not in the codebook ({codebook_title(codebook)}), "
            f"by label: {', '.join(said)}" + (f" and {more} more" if more > 0 else "")
            + "; correct them in the file (or add them to the codebook, or leave the cell "
            "empty: the model then tags the note) and ingest it again")


def _rejected_kinds(kinds: dict[str, list[Any]]) -> str:
    """One line on what an ingest's rejected rows need (`quarantine.sort_rejected`)."""
    parts = {
        "new": "new",
        "before": "rejected before and still to fix",
        "stored": "already stored (copies of a stored note: an earlier row of the file, or "
                  "fixed and ingested before), needing "
                  "nothing (to remove them: `insight quarantine clear`)",
        "erased": "of erased notes, not kept",
        "dismissed": "dismissed before, needing nothing more",
    }
    said = [f"{len(rows)} {parts[kind]}" for kind, rows in kinds.items() if rows]
    return "rejected rows: " + "; ".join(said)


#: Said before training, which shows no progress of its own: a wait that looks like a hang.
_TRAINING = ("training: each setting is tried by 5-fold cross-validation, so this takes "
             "from about half a minute to a few minutes on 2 cores")

#: A retrained workspace model this much worse on held-out notes is warned of.
WORSE_BY = 0.02


def _one_text_column(given: list[str]) -> str:
    """`--text-col` given at most once: a second one used to win silently, and the notes'
    own column was then dropped as "not note fields"."""
    if len(given) > 1:
        named = ", ".join(repr(name) for name in given)
        raise typer.BadParameter(
            f"--text-col names the one column that holds the notes, and was given "
            f"{'twice' if len(given) == 2 else f'{len(given)} times'} ({named}): give it "
            "once, with the column of the notes. Columns are not joined: to keep the words "
            "of another column as part of the notes, join the two columns in the file first",
            param_hint="--text-col")
    return given[0] if given else "text"


def _column_names(given: list[str]) -> dict[str, str]:
    """`--column FIELD=COLUMN` options as field -> column, each field a note field."""
    from insight.intake import NOTE_FIELDS, header_key

    fields = [f for f in NOTE_FIELDS if f != "text"]
    named: dict[str, str] = {}
    for value in given:
        field_name, sep, name = value.partition("=")
        field_name = header_key(field_name)
        if not sep or not name.strip() or not field_name:
            raise typer.BadParameter(f"{value!r}: give FIELD=COLUMN, e.g. place=Village",
                                     param_hint="--column")
        if field_name == "text":
            raise typer.BadParameter("the notes' column is named with --text-col",
                                     param_hint="--column")
        if field_name not in fields:
            raise typer.BadParameter(f"{field_name!r} is not a note field; use one of: "
                                     f"{', '.join(fields)}", param_hint="--column")
        if field_name in named:
            raise typer.BadParameter(f"{field_name} is named twice", param_hint="--column")
        named[field_name] = name.strip()
    return named


# -- tagging ------------------------------------------------------------------------------


@app.command()
@handled
def train(
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    data: Annotated[
        Path | None,
        typer.Option(help="Labelled CSV/JSONL/.xlsx to train on instead of the workspace."),
    ] = None,
    text_col: Annotated[str, typer.Option(help="Text column in --data.")] = "text",
    id_col: Annotated[
        str | None, typer.Option(help="Id column in --data (default: 'id', if there is one).")
    ] = None,
    label_cols: Annotated[
        list[str] | None,
        typer.Option(
            "--label-cols",
            help="Label columns, comma-separated or repeated; a column whose name has "
            "commas is matched whole.",
        ),
    ] = None,
    label_col: Annotated[
        str | None, typer.Option(help="One column holding several labels.")
    ] = None,
    label_sep: Annotated[
        str | None,
        typer.Option(help="Separator inside --label-col (default: ';' and '|', and ',' or '/' "
                     "where the cells list labels so), or inside each --label-cols cell."),
    ] = None,
    codebook: Annotated[
        Path | None, typer.Option(help="Codebook for --data (labels outside it are reported; "
                                  "default: the workspace's, with -w).")
    ] = None,
    backend: Annotated[str, typer.Option(help="sklearn, spacy or ensemble.")] = "sklearn",
    min_count: Annotated[
        int, typer.Option(min=1, help="Drop (and report) rarer labels.")
    ] = 1,
    skip_unlabelled: Annotated[bool, typer.Option(
        "--skip-unlabelled", help="Leave out --data rows with no label (an export's 'not "
        "coded yet') instead of learning them as notes with no category.")] = False,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="Random seed.")] = 0,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Model directory to write (default: the workspace's model).")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the model already in --out, or with "
                           "--data and -w the workspace's.")
    ] = False,
) -> None:
    """Train a tagging model from the workspace's labelled notes or from --data.

    From the workspace's notes, the model replaces the workspace's (the one it replaces is
    kept beside it, in model.previous). With --data and -w, the workspace's codebook reads
    the file's labels and, without --out, the model becomes the workspace's: replacing one
    it already has needs --force (the one replaced is kept in model.previous too)."""
    from insight.choices import not_one_of
    from insight.classify import BACKEND_NAMES

    # every option checked before anything loads or trains: a typo costs no wait
    if backend not in BACKEND_NAMES:
        raise typer.BadParameter(not_one_of("backend", backend, BACKEND_NAMES),
                                 param_hint="--backend")
    _one_label_layout(label_col, label_cols)
    if data is not None:
        _check_given(data)
    if out is not None:
        _free_model_target(out, force, f"{out} already holds a model")
    ws = None
    if data is not None:
        from insight.codebook import load_codebook

        ws = _chosen_workspace(workspace)  # -w: its codebook reads the labels, its model folder
        if out is None and ws is None:
            raise typer.BadParameter("--out DIR is required with --data (or -w WORKSPACE, to "
                                     "train the workspace's model from the file)")
        if out is None:
            out = ws.model_dir
            _free_model_target(out, force, f"workspace {ws.path} already has a model",
                               kept=f" (it is then kept in {out.name}.previous, to go back to)")
        book = load_codebook(codebook) if codebook else None
    if data is None:
        from insight.tagging import train_from_store

        ws, store = _open(workspace, db)
        with store:
            book = ws.load_codebook()
            target = out or ws.model_dir
            model = train_from_store(store, book, target, backend=backend, seed=seed,
                                     on_start=lambda: typer.secho(_TRAINING, err=True))
        facts = model.metadata["training_data"]
        counts = facts["workspace_counts"]
        typer.secho(
            f"{facts['rows']} labelled notes in the workspace; per category: "
            + (", ".join(f"{c} ({n})" for c, n in counts.items()) or "none")
            + (f"\nalso learnt from {facts['shipped_notes']} shipped notes on the same "
               "codebook, so categories your notes have few examples of are still tagged"
               if facts["shipped_notes"] else ""),
            err=True,
        )
        if lost := facts.get("not_in_codebook"):
            typer.secho(
                "warning: people's labels on categories the codebook does not have were not "
                "learnt from: " + ", ".join(f"{c} ({n} notes)" for c, n in lost.items())
                + "; if the codebook renamed or merged them, carry them over with `insight "
                "codebook rename OLD NEW` and train again; if it split or retired them, "
                "review their notes (`insight notes list --category OLD --tagged-by person`)",
                err=True, fg=typer.colors.YELLOW,
            )
        few = [f"{c} ({n})" for c, n in facts["few_examples"].items()]
        if few or facts["no_examples"]:
            typer.secho(
                "warning: "
                + (f"categories with fewer than 5 examples are seldom tagged: {', '.join(few)}"
                   if few else "")
                + ("; " if few and facts["no_examples"] else "")
                + (f"categories with no labelled example are learned from the codebook's "
                   f"wording alone, if at all (seldom tagged, and not to be trusted): "
                   f"{', '.join(facts['no_examples'])}" if facts["no_examples"] else "")
                + "; label more notes before re-tagging with this model",
                err=True, fg=typer.colors.YELLOW,
            )
        _warn_few_examples(model.metadata)
        metrics = model.metadata.get("metrics")
        typer.echo(
            f"trained {model.backend} model {model.model_version} on "
            f"{model.metadata.get('n_train', '?')} notes -> {target}"
            + (f" (macro-F1 {metrics['macro_f1']:.2f} {_held_out_said(metrics)})"
               if metrics and metrics.get("macro_f1") is not None else "")
        )
        if replaced := model.metadata.get("replaced"):
            kept = Path(target).with_name(replaced["kept_in"])
            before, now = replaced.get("held_out_macro_f1"), (metrics or {}).get("macro_f1")
            worse = before is not None and now is not None and now < before - WORSE_BY
            typer.secho(
                (f"warning: held-out macro-F1 fell from {before:.2f} to {now:.2f} (on the "
                 "notes held out each time); " if worse else "")
                + f"the model it replaced is kept in {kept}: to go back, delete {target} "
                f"and rename {kept} to {Path(target).name}",
                err=True, fg=typer.colors.YELLOW if worse else None,
            )
        if not facts["shipped_notes"]:  # with the shipped notes, no category is thin
            _warn_small_data(facts["rows"], {c: counts.get(c, 0) for c in book.ids})
        _say_checks(model.metadata)
        return
    from insight.classify.data import load_labelled
    from insight.classify.model import TagModel
    from insight.intake import FileRejected

    assert out is not None
    if book is None and ws is not None:
        book = ws.load_codebook()
        typer.secho(f"labels read with the codebook of workspace {ws.path}", err=True)
    labelled = load_labelled(
        data, text_col=text_col, id_col=id_col, label_cols=label_cols or None,
        label_col=label_col, label_sep=label_sep, known_labels=book.ids if book else None,
        min_count=min_count, drop_unlabelled=skip_unlabelled,
        label_aliases={name: cid for cid, name in book.names.items()} if book else None,
    )
    typer.secho(labelled.report.summary(), err=True,
                fg=typer.colors.YELLOW if labelled.report.problems else None)
    if not labelled.report.counts or len(labelled.texts) < 2:
        raise FileRejected(
            f"{data}: nothing to learn: {len(labelled.texts)} usable rows and "
            f"{len(labelled.report.counts)} labels with examples (see the report above; "
            f"--min-count {min_count}; use --label-col/--label-cols to name the label columns)"
        )
    from insight.classify.data import FEW_EXAMPLES

    if max(labelled.report.counts.values()) < FEW_EXAMPLES:
        # no threshold could be tuned: a model that tags next to nothing, called trained
        raise FileRejected(
            f"{data}: no label has {FEW_EXAMPLES} or more examples (see the report above), "
            f"so a model can learn none of them: label more notes, at least {FEW_EXAMPLES} "
            "for each category it should learn")
    from insight.classify.default import shipped_experience_notes, shipped_safeguarding_notes

    typer.secho(_TRAINING, err=True)
    model = TagModel.fit(
        labelled.texts, labelled.labels, label_names=labelled.label_names,
        safeguarding=labelled.safeguarding, experience=labelled.experience,
        backend=backend, codebook_version=book.version if book else None, seed=seed,
        codebook_id=(book.name or (Path(codebook).stem if codebook else None)) if book
        else None,
        label_texts=book.label_texts() if book else None,
        # safeguarding is the same whatever the codebook: learn it from the shipped notes too
        safeguarding_extra=shipped_safeguarding_notes(),
        experience_extra=shipped_experience_notes(),  # used when the data has none
        category_names=book.names if book else None,
    )
    # dropped while reading, before the model saw them: recorded all the same
    model.metadata["unknown_labels_dropped"] = {
        **{lab: len(rows) for lab, rows in labelled.report.unknown.items()},
        **model.metadata.get("unknown_labels_dropped", {}),
    }
    model.metadata["training_data"] = labelled.report.card_facts(data.name, min_count)
    replaced = None
    if ws is not None and out.resolve() == ws.model_dir.resolve():
        from insight.tagging import keep_previous

        replaced = keep_previous(out)  # the workspace's model: a retrain can be undone
    model.save(out)
    held = model.metadata.get("held_out") or {}
    typer.echo(
        f"trained {model.backend} model {model.model_version} on {len(labelled.texts)} texts, "
        f"{len(model.labels)} labels -> {out}"
        + (f" (macro-F1 {held['macro_f1']:.2f} on {held['said']}, where its thresholds were "
           "tuned, so a little flattering)" if held.get("macro_f1") is not None else "")
    )
    _warn_few_examples(model.metadata)
    if replaced is not None:
        kept = out.with_name(replaced["kept_in"])
        typer.secho(f"the model it replaced is kept in {kept}: to go back, delete {out} and "
                    f"rename {kept} to {out.name}", err=True)
    _warn_small_data(len(labelled.texts), {name: labelled.report.counts.get(name, 0)
                                           for name in labelled.label_names})
    _say_checks(model.metadata)


def _held_out_said(metrics: dict[str, Any]) -> str:
    """On which of the workspace's notes a new model's macro-F1 was measured, as the card
    says it (`tagging.train_from_store`): the notes of listeners held out, a share of the
    notes, or each note by cross-validation."""
    held = metrics.get("held_out") or {}
    if "folds" in held:
        return (f"by {held['folds']}-fold cross-validation on your {held['notes']} labelled "
                "notes: each scored by a model trained without it"
                + (" or any note of its listener" if held.get("by_listener") else "")
                + "; few notes, so a rough measure")
    if "of" not in held:  # a model trained before this was recorded
        return "on notes held out"
    share = (f"{held['notes']} of your {held['of']} labelled notes, "
             f"{held['notes'] / held['of']:.0%}")
    if n := held.get("listeners"):
        return (f"on the labelled notes of {n} of your {held['of_listeners']} listeners, held "
                f"out: {share}; the model saw none of "
                + ("this listener's notes" if n == 1 else "these listeners' notes"))
    return f"on {share}, held out"


def _warn_small_data(rows: int, counts: dict[str, int]) -> None:
    """The last word of `insight train` when its data was too small for the model's figures
    to mean much (`classify.small_data`): said, not refused."""
    from insight.classify import small_data

    if (why := small_data(rows, counts)) is not None:
        typer.secho(f"warning: {why}", err=True, fg=typer.colors.YELLOW)


def _warn_few_examples(metadata: dict[str, Any]) -> None:
    """Name the categories a model learnt from few examples (`classify.learnt_from_few`):
    their tags can show a high confidence that the few notes behind them do not support."""
    from insight.classify import learnt_from_few
    from insight.classify.card import few_examples_text

    if few := learnt_from_few(metadata):
        typer.secho(f"warning: model {metadata.get('model_version', '')}: "
                    + few_examples_text(few), err=True, fg=typer.colors.YELLOW)


def _say_checks(metadata: dict[str, Any]) -> None:
    """At the end of `insight train`: the weight an ensemble chose and what it means, and
    the categories the held-out check found the model never tags or tags wrongly
    (`card.weak_categories`): a backend that did badly must not pass in silence."""
    from insight.classify.card import ensemble_text, weak_categories_text

    if said := ensemble_text(metadata.get("settings") or {}):
        typer.secho(said, err=True)
    if weak := weak_categories_text(metadata):
        typer.secho(f"warning: {weak}", err=True, fg=typer.colors.YELLOW)


def _free_model_target(out: Path, force: bool, holds: str, kept: str = "") -> None:
    """A model folder to write: never anything but a model's, and a model only with --force;
    somewhere it can be made (checked before training, which it would otherwise end)."""
    from insight.classify import MODEL_FILE, check_model_target

    _check_writable(out)
    check_model_target(out)
    if (out / MODEL_FILE).is_file() and not force:
        raise FileExistsError(f"{holds}; add --force to replace it{kept}, or choose another "
                              "--out")


def _audience(value: str) -> str:
    """--audience in any case ("Commissioner"); anything else is a usage error."""
    from insight.privacy import AUDIENCES

    return _one_word(value, AUDIENCES, "audience", "--audience")


def _one_word(value: str, allowed: Sequence[str], what: str, option: str,
              hints: dict[str, str] | None = None) -> str:
    """A word from a fixed set, in any case; anything else is a usage error naming the
    closest (`insight.choices`; `hints`: other words for them, only ever suggested)."""
    from insight.choices import not_one_of

    word = " ".join(value.strip().lower().split())
    if word not in allowed:
        raise typer.BadParameter(not_one_of(what, value, allowed, hints), param_hint=option)
    return word


def _read_texts_warned(
    file: Path, id_col: str, text_col: str, errors: dict[int, str], out: Path
) -> tuple[list[str], list[str], Any]:
    """Ids and texts for a stateless command, with the file's warnings on stderr; rows
    that cannot be read are kept in `errors` (position -> why), as `read_texts` does.
    Rows whose person did not agree to their words being kept are left out, as ingest
    leaves them out, and said by line on stderr (`_say_left_out`); also returns them
    (`intake.NotKept`), for `_left_out_done`."""
    from insight.intake import NotKept, read_texts

    warnings: list[str] = []
    not_kept = NotKept()
    ids, texts = read_texts(file, id_col=id_col, text_col=text_col, warnings=warnings,
                            errors=errors, not_kept=not_kept, screen=_screen_when_needed())
    for warning in warnings:
        typer.secho(f"{file}: warning: {warning}", err=True, fg=typer.colors.YELLOW)
    _say_left_out(file, not_kept, out)
    return ids, texts, not_kept


def _screen_when_needed() -> Callable[[str], str | None]:
    """The safeguarding phrase screen, loaded (a second or two) only when first asked: a
    stateless command screens only the rows it leaves out, which most files have none of."""
    loaded: list[Callable[[str], str | None]] = []

    def screen(text: str) -> str | None:
        if not loaded:
            from insight.classify.safeguarding import phrase_screen

            loaded.append(phrase_screen())
        return loaded[0](text)

    return screen


def _say_left_out(file: Path, not_kept: Any, out: Path) -> None:
    """What classify and redact say, on stderr, of the rows they left out because their
    person did not agree to their words being kept: how many, by line (never their
    words), as ingest says it; a concern in one in red, as it reaches no one otherwise."""
    from insight.intake import WORKBOOKS, some_of

    if not (lines := not_kept.lines):
        return
    n = len(lines)
    where = "row" if file.suffix.lower() in WORKBOOKS else "line"
    written = "standard output" if out == STDOUT else str(out)
    typer.secho(f"{file}: not kept: {n} row{'s' if n != 1 else ''} ({where}"
                f"{'s' if n != 1 else ''} {some_of([str(i) for i in lines], 30)}): the person "
                "did not agree to their words being kept; nothing of "
                f"{'it' if n == 1 else 'them'} was written to {written}", err=True)
    _say_not_kept_concerns(file, not_kept.concerns, "written")


STDOUT = Path("-")


@contextmanager
def _jsonl_writer(out: Path) -> Iterator[Any]:
    """A JSONL writer to `out`, or to standard output for `-o -` (so it can be piped)."""
    import jsonlines

    if out == STDOUT:
        with jsonlines.Writer(sys.stdout, flush=True) as writer:
            yield writer
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    # written whole or not at all: a run stopped half way leaves the old file, not half a one
    partial = out.with_name(f".{out.name}.partial")
    try:
        with jsonlines.open(partial, mode="w") as writer:
            yield writer
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


#: Suffixes of other formats: a JSONL written under such a name would pass for one.
_NOT_JSONL = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods", ".json", ".html")


def _check_jsonl_out(out: Path, file: Path, force: bool, fields: tuple[str, ...]) -> None:
    """`classify` and `redact` write JSONL: not under another format's name, and not over
    a file already there that they did not write (it may be the labelled data itself)
    unless asked. Their own earlier output, whose lines have `fields`, is replaced."""
    _check_out(out, file)
    if out == STDOUT:
        return
    if out.suffix.lower() in _NOT_JSONL:
        raise typer.BadParameter(
            f"{out.name}: this writes JSONL (one JSON object per line), not "
            f"{out.suffix.lower().lstrip('.').upper()}: give a .jsonl name",
            param_hint="--out")
    if out.is_file() and not force and not _earlier_output(out, fields):
        raise typer.BadParameter(
            f"{out} exists and is not an earlier output of this command: give another "
            "name, or --force to replace it", param_hint="--out")


def _earlier_output(path: Path, fields: tuple[str, ...]) -> bool:
    """Whether a file is empty or starts with a JSON line holding `fields`."""
    try:
        with path.open(encoding="utf-8") as fh:
            first = next((line for line in fh if line.strip()), None)
        return first is None or (isinstance(record := json.loads(first), dict)
                                 and all(f in record for f in fields))
    except (OSError, UnicodeDecodeError, ValueError):
        return False


def _left_out_done(summary: str, left_out: Any, out: Path) -> None:
    """The closing summary of classify and redact, with the rows left out as not kept
    (`_say_left_out`); exit 3 when one of them raises a safeguarding concern, as ingest
    exits for such a row: it reached no output or queue, so a person must read it."""
    n = len(left_out.lines)
    _said(summary + (f" ({n} not kept, left out)" if n else ""), out)
    if left_out.concerns:
        raise typer.Exit(EXIT_REJECTED)


def _said(message: str, out: Path) -> None:
    """A closing summary: on stderr when the lines themselves go to standard output."""
    typer.echo(message.replace(f"-> {STDOUT}", "-> standard output"), err=out == STDOUT)


def _check_given(*files: Path) -> None:
    """Files named on the command line are there, checked before any model loads (a
    mistyped name took seconds to be told); the same words as the file readers'."""
    from insight.intake import FileMissing

    for file in files:
        if file.is_dir():
            raise FileMissing(f"{file}: is a folder, not a file")
        if not file.is_file():
            raise FileMissing(f"{file}: no such file")


def _check_model_given(model: Path | None) -> None:
    """A model folder named with --model is there (with a did-you-mean for one beside it
    named like it), checked before anything loads."""
    from insight.classify import missing_model_folder
    from insight.intake import FileMissing

    if model is not None and (missing := missing_model_folder(model)) is not None:
        raise FileMissing(missing)


def _check_writable(out: Path) -> None:
    """`out` can be written: the nearest folder above it that is there (the folders below
    it are made) is a folder this user can write in. Checked before anything loads, as a
    command found it only when it came to write, after loading models or training."""
    from insight.intake import FileMissing

    if out == STDOUT:
        return
    above = out.absolute().parent
    while not above.exists() and above != above.parent:
        above = above.parent
    if not above.is_dir():  # a usage error (2), in one line
        raise FileMissing(f"--out {out} cannot be made: {above} is a file, not a folder; "
                          "give another path")
    if not os.access(above, os.W_OK):
        raise FileMissing(f"--out {out} cannot be made: this user may not write in {above}; "
                          "give a folder you can write in")


def _check_out(out: Path, *inputs: Path) -> None:
    """An output file must not be a folder or one of the inputs (it would be overwritten),
    and must be somewhere it can be written (`_check_writable`)."""
    if out == STDOUT:
        return
    _check_writable(out)
    if out.is_dir():
        raise typer.BadParameter(f"{out} is a folder; give a file name", param_hint="--out")
    for source in inputs:
        if out.exists() and source.exists() and out.resolve() == source.resolve():
            raise typer.BadParameter(
                f"{out} is the input file; writing there would overwrite it", param_hint="--out"
            )


def _one_label_layout(label_col: str | None, label_cols: list[str] | None) -> None:
    if label_col is not None and label_cols:
        raise typer.BadParameter(
            "give --label-col (one column of several labels) or --label-cols (one column "
            "per label or code), not both"
        )


def _workspace_model(ws):
    """The workspace's trained model; before one is trained, a workspace on the default
    codebook uses the default model (built from the shipped corpus on first use)."""
    from insight.classify.model import TagModel
    from insight.tagging import learns_from_shipped_notes

    if ws.model_dir.exists():
        return TagModel.load(ws.model_dir)
    if not learns_from_shipped_notes(ws.load_codebook()):
        raise FileNotFoundError(
            f"no model at {ws.model_dir}: this workspace has its own codebook, so its "
            "model is trained from notes labelled with it; run `insight train` first"
        )
    if ws.codebook not in ("", "default"):  # a copy of the default codebook
        typer.secho("the workspace's codebook has the default codebook's categories and "
                    "version, so the default model tags with them", err=True)
    typer.secho(
        "no workspace model yet: using the default model for the default codebook "
        "(built from the shipped corpus on first use, then cached); `insight train` "
        "replaces it once your notes are labelled",
        err=True,
    )
    return _default_model()


def _default_model():
    """The default model, saying so when it must be built first (a long wait otherwise
    looks like a hang)."""
    from insight.classify.default import default_model, default_model_path
    from insight.classify.model import MODEL_FILE

    target = default_model_path()
    if not (target / MODEL_FILE).is_file():
        typer.secho(f"building the default model from the shipped corpus: once, about half a "
                    f"minute on 2 cores, then cached in {target}", err=True)
    return default_model()


@app.command()
@handled
def tag(
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    model: Annotated[
        Path | None, typer.Option(help="Model directory (default: the workspace model).")
    ] = None,
    retag: Annotated[bool, typer.Option(help="Re-tag notes that already have model tags.")] = False,
) -> None:
    """Tag the workspace's untagged notes with categories, evidence and flags."""
    from insight.classify.model import TagModel
    from insight.tagging import check_model_fits, tag_store, workers_for

    ws, store = _open(workspace, db)
    tag_model = TagModel.load(model) if model is not None else _workspace_model(ws)
    for warning in check_model_fits(tag_model, ws.load_codebook()):
        _say(ws, f"warning: {warning}", err=True, fg=typer.colors.YELLOW)
    _warn_few_examples(tag_model.metadata)
    with store:
        total = store.count_notes(untagged=not retag)
        queued = {item["id"] for item in store.safeguarding_items()}
        workers = workers_for(total)
        changes: Counter[str] = Counter()
        with typer.progressbar(length=total, label="tagging", file=sys.stderr) as bar:
            done = tag_store(
                store,
                tag_model,
                retag=retag,
                n_process=workers,
                batch_size=10_000 if workers > 1 else 2000,
                on_batch=bar.update,
                changes=changes,
            )
        routed = {item["note_id"] for item in store.safeguarding_items()
                  if item["id"] not in queued}
    _say(ws, f"tagged {done} note{'s' if done != 1 else ''} with model "
         f"{tag_model.model_version}"
         + ("; next, to review the tags least sure first: `insight notes queue`"
            if done and not retag else ""))
    if retag:  # a retrained model moves notes nobody reviewed: say how many, and where
        unreviewed = changes["unreviewed_changed"]
        _say(ws,
             f"categories changed on {changes['notes_changed']} of the notes tagged before "
             f"({changes['tags_added']} tags added, {changes['tags_removed']} removed)"
             + (f"; {unreviewed} of these no person has reviewed, so the counts by category "
                "change with them (the least sure first: `insight notes queue`)"
                if unreviewed else "; a person has reviewed every one of these, so the "
                "counts by category stay as people judged them" if changes["notes_changed"]
                else "")
             + f"; the experience changed on {changes['experience_changed']}")
    if routed:  # said as ingest says it: a person must read them
        noun = "note" if len(routed) == 1 else "notes"
        _say(ws, f"{len(routed)} {noun} routed to the safeguarding queue by the model or "
             "the phrase list: `insight safeguarding list`")


@app.command()
@handled
def classify(
    file: Annotated[Path, typer.Argument(help="CSV, JSONL or .xlsx of texts.")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="JSONL to write, one line per input row kept ('-': standard "
        "output).")],
    model: Annotated[
        Path | None,
        typer.Option(help="Model directory (default: the workspace model if -w or "
                     "$INSIGHT_WORKSPACE names one, else the default model for the default "
                     "codebook)."),
    ] = None,
    id_col: Annotated[str, typer.Option(help="Id column.")] = "id",
    text_col: Annotated[str, typer.Option(help="Text column.")] = "text",
    workspace: WorkspaceOpt = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace --out even if it is not this command's earlier output.")] = False,
) -> None:
    """Stateless: tag every row of FILE and write JSONL, in input order.

    A row with no text, or one that cannot be read, keeps its place: a line with no
    tags, an error field ("no text", or why) and no id unless the row has one. Rows are
    numbered as ids only in a file that has no ids. With -w, a model whose categories
    differ from the workspace's codebook is warned of. `few_examples`: the row's categories
    the model learnt from fewer than 30 examples, whose tags need a person's check.

    A row whose person did not agree to their words being kept (a column such as "Keep
    their words?" saying no, read as ingest reads it) is left out: nothing of it is
    written, and its line is named on stderr (in red if it raises a safeguarding
    concern)."""
    _check_jsonl_out(out, file, force, ("id", "categories", "scores"))
    _check_given(file)
    _check_model_given(model)

    from insight.classify.model import TagModel

    errors: dict[int, str] = {}  # a row that cannot be read keeps its line, with why
    ids, texts, left_out = _read_texts_warned(file, id_col, text_col, errors, out)
    # a workspace named with -w, or the one the model comes from
    ws = _chosen_workspace(workspace) if model is None or workspace is not None else None
    if model is not None:
        tag_model = TagModel.load(model)
    elif ws is not None:
        tag_model = _workspace_model(ws)
        if ws.model_dir.exists():  # $INSIGHT_WORKSPACE chooses it silently otherwise
            typer.secho(f"using the model of workspace {ws.path} (version "
                        f"{tag_model.model_version})", err=True)
    else:
        tag_model = _default_model()
    from insight.tagging import check_model_fits, workers_for

    if ws is not None:
        for warning in check_model_fits(tag_model, ws.load_codebook(), storing=False):
            typer.secho(f"warning: {warning}", err=True, fg=typer.colors.YELLOW)
    from insight.classify import learnt_from_few

    _warn_few_examples(tag_model.metadata)
    few = learnt_from_few(tag_model.metadata)

    # a row with no text is not tagged: scores and "neutral" for nothing would read as found
    worded = [text for text in texts if text.strip()]
    results = tag_model.iter_tag(worded, n_process=workers_for(len(worded)))
    with (
        _jsonl_writer(out) as writer,
        typer.progressbar(length=len(texts), label="classifying", file=sys.stderr) as bar,
    ):
        for i, (note_id, text) in enumerate(zip(ids, texts, strict=True)):
            bar.update(1)
            if not text.strip():
                writer.write({"id": note_id, "categories": [], "scores": {}, "evidence": {},
                              "few_examples": [], "safeguarding": None, "experience": None,
                              "experience_confidence": None,
                              "error": errors.get(i, "no text")})
                continue
            result = next(results)
            writer.write(
                {
                    "id": note_id,
                    "categories": result.categories,
                    "scores": result.scores,
                    "evidence": result.evidence,
                    # its categories the model learnt from few examples: check them
                    "few_examples": [c for c in result.categories if c in few],
                    "safeguarding": result.safeguarding,
                    # what raised it: signals and the classifier's score, never words
                    "safeguarding_why": result.safeguarding_why,
                    "experience": result.experience,
                    "experience_confidence": result.experience_confidence,
                }
            )
        next(results, None)  # run the tagger to its end: its worker processes are closed
    _left_out_done(f"classified {len(worded)} of {len(ids)} rows -> {out}"
                   if len(worded) < len(ids)
                   else f"classified {len(ids)} row{'s' if len(ids) != 1 else ''} -> {out}",
                   left_out, out)


@app.command()
@handled
def evaluate(
    model: Annotated[Path, typer.Option(help="Model directory.")],
    data: Annotated[Path, typer.Option(help="Labelled CSV/JSONL/.xlsx.")],
    text_col: Annotated[str, typer.Option(help="Text column.")] = "text",
    id_col: Annotated[
        str | None, typer.Option(help="Id column (default: 'id', if there is one).")
    ] = None,
    label_cols: Annotated[
        list[str] | None,
        typer.Option(
            "--label-cols",
            help="Label columns, comma-separated or repeated; a column whose name has "
            "commas is matched whole.",
        ),
    ] = None,
    label_col: Annotated[str | None, typer.Option(help="One column with several labels.")] = None,
    label_sep: Annotated[
        str | None,
        typer.Option(help="Separator inside --label-col (default: ';' and '|', and ',' or '/' "
                     "where the cells list labels so), or inside each --label-cols cell."),
    ] = None,
    write_card: Annotated[bool, typer.Option(help="Write metrics into MODEL_CARD.md.")] = True,
) -> None:
    """Per-label precision/recall/F1 and micro/macro F1 on labelled data."""
    _one_label_layout(label_col, label_cols)
    _check_model_given(model)
    _check_given(data)

    from insight.classify.card import (
        confidence_said,
        scoring_scope,
        too_few_to_judge,
        write_model_card,
    )
    from insight.classify.data import evaluate as run_evaluation
    from insight.classify.data import labels_left_out, load_labelled
    from insight.classify.model import TagModel
    from insight.intake import FileRejected, some_of

    tag_model = TagModel.load(model)
    labelled = load_labelled(
        data, text_col=text_col, id_col=id_col, label_cols=label_cols or None,
        label_col=label_col, label_sep=label_sep, known_labels=tag_model.labels,
        training=False,
        # a codebook's names ("Hospital discharge"), as `train` read them
        label_aliases={name: cid for cid, name in tag_model.category_names.items()},
    )
    report = labelled.report
    typer.secho(report.summary(), err=True, fg=typer.colors.YELLOW if report.problems else None)
    # a misspelt label's rows are left out, as `train` leaves them out (the report says so):
    # it is neither a label the model never learned nor one renamed
    misspelt = report.misspelt
    too_few, not_coded = labels_left_out(
        tag_model.metadata, [lab for lab in report.unknown if lab not in misspelt])
    untrained = sorted(too_few + not_coded)
    unknown = sorted(set(report.unknown) - set(untrained) - set(misspelt))
    facts = tag_model.metadata.get("training_data") or {}
    why = []
    if too_few:
        why.append(f"{some_of(too_few, 8)} had fewer than --min-count "
                   f"{facts.get('min_count')} examples when this model was trained")
    if not_coded:
        why.append(f"{some_of(not_coded, 8)} {'is' if len(not_coded) == 1 else 'are'} not "
                   "in its codebook")
    trained_without = "; ".join(why) + ": the model never learned " + (
        "it" if len(untrained) == 1 else "them")
    if not labelled.texts and not report.unknown:
        raise FileRejected(f"{data}: no rows to evaluate (see the report above)")
    if not report.counts:
        theirs = unknown or sorted(misspelt)  # misspelt only: the report says "did you mean"
        found = (
            f"its labels ({some_of(theirs, 8)}) are not the model's "
            f"({some_of(tag_model.labels, 8)})"
            if theirs
            else trained_without if untrained
            else "no labels were found (name them with --label-col or --label-cols)"
        )
        raise FileRejected(
            f"{data}: nothing to score: {found}; the model card was left as it was"
        )
    if untrained:
        typer.secho(f"note: {trained_without}; not scored, and rows keep their other labels",
                    err=True)
    if report.absent and unknown:  # "waiting list" in the data, "waiting times" here
        typer.secho(
            f"warning: the model's labels {some_of(report.absent, 5)} have no examples in "
            f"this data, and its labels {some_of(unknown, 5)} are not the "
            "model's: renamed? On rows kept for their other labels the model's tags for "
            "them count as wrong; rename them in the data to the model's names",
            err=True, fg=typer.colors.YELLOW,
        )
    metrics = run_evaluation(
        tag_model, labelled.texts, labelled.labels, safeguarding=labelled.safeguarding,
        experience=labelled.experience, data=str(data),
        # the unknown labels of the rows scored (a misspelt label's rows are left out)
        ignored=sum(len(rows) for lab, rows in report.unknown.items() if lab not in misspelt),
        scored=report.coded, report=report,
    )
    rows = [
        {"label": label, **{k: round(v, 3) if isinstance(v, float) else v for k, v in m.items()},
         **({"precision": "never tagged"} if m["precision"] is None else {}),
         "caution": "too few to judge" if too_few_to_judge(m) else ""}
        if m["support"] else
        {"label": label, "precision": "", "recall": "", "f1": "not tested", "support": 0,
         "caution": ""}
        for label, m in metrics["per_label"].items()
    ]
    _print_table(rows, "table")
    typer.echo(
        f"micro-F1 {metrics['micro_f1']:.3f}  macro-F1 {metrics['macro_f1']:.3f}  "
        f"calibration error {metrics['calibration_error']:.3f}"
        + (f" ({metrics['tag_calibration_error']:.3f} over the tags given)"
           if metrics.get("tag_calibration_error") is not None else "")
        + (f"  safeguarding recall {metrics['safeguarding_recall']:.3f}"
           if metrics.get("safeguarding_recall") is not None else "")
        + ("  safeguarding recall n/a (no flagged notes)"
           if metrics.get("safeguarding_support") == 0 else "")
    )
    for line in scoring_scope(metrics):
        typer.echo(line)
    if said := confidence_said(metrics):
        typer.echo(said)
    if metrics["notes_seen_in_training"]:
        typer.secho(
            f"warning: at least {metrics['notes_seen_in_training']} of these texts are also in "
            "this model's training data (the same words, perhaps in another row: short "
            "comments repeat); scores on them flatter it (evaluate on held-out notes)",
            err=True, fg=typer.colors.YELLOW,
        )
    if write_card:
        write_model_card(model, metrics)
        typer.echo(f"metrics written to {model / 'MODEL_CARD.md'}")


# -- review -----------------------------------------------------------------------------


@notes_app.command("show")
@handled
def notes_show(
    note_ids: Annotated[list[str], typer.Argument(
        help="Note id(s), e.g. from `insight notes list` (several are shown one after "
             "another).")],
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    fmt: Annotated[str, typer.Option(
        "--format", "-f", help="text, or json: every field held, its tags and safeguarding "
        "items (e.g. to answer a person who asks what is held about them).")] = "text",
) -> None:
    """Notes with people's and the model's tags, evidence and confidence (leads only).

    A model's tag in a category it learnt from fewer than 30 examples is marked "few
    examples": its confidence rests on those few notes."""
    from insight.classify import learnt_from_few

    fmt = _one_word(fmt, ("text", "json"), "format", "--format")
    from insight.tagging import renamed_labels

    ws, store = _open(workspace, db)
    renamed: dict[str, dict[str, dict[str, Any]]] = {}
    with store:
        found = []
        for note_id in dict.fromkeys(note_ids):  # every id checked before any is shown
            note = store.get_note(note_id)
            if note is None:
                raise store.no_note(note_id)
            note["model_experience_confidence"] = store.experience_confidence(
                [note["id"]]).get(note["id"])
            found.append((note_id, note, store.tags_for([note_id]),
                          store.safeguarding_items(open_only=False, note_id=note_id)))
            # a person's label a codebook rename moved: they chose the old category
            renamed[note_id] = renamed_labels(store, note_id)
    # the model itself only to say where a flagged note reads as risk: loading it is slow
    reader = _model_for_reading(ws) if any(
        items and note["text"] for _, note, _, items in found) else None
    # a tag's confidence beside the one it is given from, and whether the model learnt its
    # category from few examples, for tags of this model
    version, from_value, few = (
        (reader.model_version, reader.shown_thresholds(), learnt_from_few(reader.metadata))
        if reader else _reading_facts(ws) if any(
            t["source"] == "model" for _, _, tags, _ in found for t in tags) else (None, {}, {}))
    for _, _, tags, _ in found:
        for t in tags:
            if t["source"] == "model" and t["model_version"] == version \
                    and t["category"] in few:
                t["few_examples"] = few[t["category"]]
    why = {note_id: reader.safeguarding_words(note["text"])
           for note_id, note, _, items in found if items and note["text"] and reader}
    if fmt == "json":
        typer.echo(json.dumps([{**{k: v for k, v in note.items() if k != "content_hash"},
                                "tags": tags, "safeguarding_items": items,
                                "renamed_labels": renamed[note_id],
                                **({"safeguarding_words": why[note_id]}
                                   if note_id in why else {})}
                               for note_id, note, tags, items in found],
                              ensure_ascii=False, indent=2, default=str))
        return
    for number, (note_id, note, tags, items) in enumerate(found):
        if number:
            typer.echo("\n" + "-" * 40 + "\n")
        _show_note(note_id, note, tags, items, why.get(note_id),
                   {t["category"]: from_value[t["category"]] for t in tags
                    if t["model_version"] == version and t["category"] in from_value},
                   renamed[note_id])


def _reading_folder(ws: Any) -> Path | None:
    """The folder of the model that tags the workspace: its own, else the default model's
    where the workspace learns from the shipped notes and it is built; None when there is
    none yet to read without building one (a read must stay quick)."""
    from insight.classify import MODEL_FILE
    from insight.classify.default import default_model_path
    from insight.tagging import learns_from_shipped_notes

    if ws.model_dir.exists():
        return ws.model_dir
    if learns_from_shipped_notes(ws.load_codebook()) and (
            (found := default_model_path()) / MODEL_FILE).is_file():
        return found
    return None


def _model_for_reading(ws: Any) -> Any:
    """The model that tags the workspace, to say where a flagged note reads as risk."""
    from insight.classify.model import TagModel

    folder = _reading_folder(ws)
    return TagModel.load(folder) if folder is not None else None


def _reading_facts(ws: Any) -> tuple[str | None, dict[str, float], dict[str, int]]:
    """The version of the model that tags the workspace, the confidence each category's
    tag is given from and the categories it learnt from few examples (`learnt_from_few`),
    read from its model.json without loading it; loaded for a model saved before
    model.json held the thresholds."""
    from insight.classify import MODEL_FILE, learnt_from_few

    folder = _reading_folder(ws)
    if folder is None:
        return None, {}, {}
    try:
        doc = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    few = learnt_from_few(doc.get("metadata") or {})
    if isinstance(doc.get("shown_thresholds"), dict):
        return doc.get("model_version"), doc["shown_thresholds"], few
    reader = _model_for_reading(ws)
    return ((reader.model_version, reader.shown_thresholds(), learnt_from_few(reader.metadata))
            if reader else (None, {}, {}))


def _show_note(note_id: str, note: dict[str, Any], tags: list[dict[str, Any]],
               items: list[dict[str, Any]], why: dict[str, Any] | None = None,
               tags_from: dict[str, float] | None = None,
               renamed: dict[str, dict[str, Any]] | None = None) -> None:
    """`renamed`: a person's labels a codebook rename moved (`tagging.renamed_labels`)."""
    from insight.thread import long_day

    if note["erased_at"]:
        typer.echo(f"{note_id}: erased at {uk_time(note['erased_at'])}")
        return
    typer.echo(
        f"{note_id} · {note['heard_on'] or 'date not given'} · "
        f"{note['place'] or 'place not given'} · listener {note['listener'] or 'not given'}"
    )
    typer.echo(f"setting: {note['setting'] or 'not given'} · community: "
               f"{', '.join(note['community'] or []) or 'not given'}")
    typer.echo(f"consent to quote: {'yes' if note['consent_quote'] else 'no'} · consent to "
               f"contact: {'yes' if note['consent_contact'] else 'no'} · experience: "
               + (f"{note['experience']} (a person)" if note["experience"] else
                  f"{note['model_experience']} (the model"
                  + (f", {felt:.2f})" if (felt := note.get("model_experience_confidence"))
                     is not None else ")") if note["model_experience"] else
                  "not judged yet"))
    for item in items:  # a lead reading the note must not miss that it is a concern
        state = _item_state(item)
        state = ("OPEN" if state == "open" else
                 f"acknowledged by {item['acknowledged_by']}" if state == "acknowledged"
                 else state)
        typer.secho(f"safeguarding: queue item {item['id']}, {state} ({item['reason']})",
                    fg=None if item["acknowledged_at"] else typer.colors.RED)
    if why:  # where the note reads as risk, in its words (leads only, like the text)
        for signal, words in why["phrases"]:
            typer.echo(f"  the phrase list ({signal}) matched: “{words}”")
        if why["sentence"] is not None:
            words, score, threshold = why["sentence"]
            typer.echo(f"  the classifier reads most risk in: “{words}” ({score:.2f}; it "
                       f"flags a note from {threshold:.2f})")
    typer.echo("")
    # a lone carriage return (an old Mac file's line break, kept as stored) would send a
    # terminal back to the start of the line, over the words before it
    typer.echo(re.sub(r"\r\n?", "\n", note["text"]))
    typer.echo("")
    if note["labelled"] and not any(t["source"] == "person" for t in tags):
        typer.echo("  [person] no category (a person decided)")
    elif not tags:  # say so: a blank here reads as a display fault
        typer.echo("  [model] no category it was sure of (`insight notes review` gives one)"
                   if note["model_experience"] else
                   "  no categories yet: `insight tag` tags it")
    # a person's categories are the note's (the counts use them): theirs first, and the
    # model's beside them said to be not counted
    for tag in sorted(tags, key=lambda t: t["source"] != "person"):
        confidence = f" {tag['confidence']:.2f}" if tag["confidence"] is not None else ""
        if tag["source"] == "model" and tag["category"] in (tags_from or {}):
            confidence += f" (tagged from {tags_from[tag['category']]:.2f})"
        if "few_examples" in tag:  # a confidence the few notes behind it do not support
            confidence += (f"  (few examples: the model learnt {tag['category']} from "
                           f"{tag['few_examples']} notes, so check it)")
        overruled = note["labelled"] and tag["source"] == "model"
        moved = (renamed or {}).get(tag["category"]) if tag["source"] == "person" else None
        typer.echo(f"  [{tag['source']}] {tag['category']}{confidence}"
                   + ("  (not counted: a person decided this note's categories)"
                      if overruled else "")
                   + (f"  (given as {moved['from']}; renamed by {moved['by']} on "
                      f"{long_day(moved['at'].date())})" if moved else ""))
        if tag["evidence"]:
            typer.echo(f"      “{tag['evidence']}”")


@notes_app.command("review")
@handled
def notes_review(
    note_id: Annotated[str, typer.Argument(help="Note id.")],
    category: Annotated[
        list[str] | None, typer.Option(help="The right category (repeat); none for no category.")
    ] = None,
    accept: Annotated[
        bool, typer.Option(help="Accept the model's categories as they are.")
    ] = False,
    add: Annotated[list[str] | None, typer.Option(
        "--add", help="A category to add to those the note has (repeat).")] = None,
    drop: Annotated[list[str] | None, typer.Option(
        "--drop", help="A category to take off those the note has (repeat).")] = None,
    experience: Annotated[
        str | None,
        typer.Option(help="The note's experience, as a person judges it: positive, negative, "
                          "mixed or neutral."),
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Accept or correct a note's tags and experience, as a person judges them.

    A person's decision outranks the model's in every count. --add and --drop change one
    category of those the note counts under now, keeping the rest."""
    from insight.intake import EXPERIENCES
    from insight.tagging import decided_by_someone_else, review_note, with_changes

    if experience is not None:
        experience = _one_word(experience, EXPERIENCES, "experience", "--experience")
    if sum(map(bool, (accept, category, add or drop))) > 1:
        raise typer.BadParameter(
            "give one of --accept (the model's categories are right), --category ID "
            "(repeat; --category none for no category), or --add/--drop ID"
        )
    if not (accept or category or add or drop or experience):
        raise typer.BadParameter(
            "give --accept (the model's categories are right), --category ID (repeat; "
            "--category none for no category), --add/--drop ID and/or --experience"
        )
    if experience is not None and not (accept or category or add or drop):
        _, store = _open(workspace, db)
        with store:
            before = store.set_experience(note_id, experience)
        typer.echo(f"{note_id}: experience {experience} (reviewed"
                   f"{f'; was {before}' if before else ''})")
        return
    chosen_ids = [c.strip() for c in category or []]
    if "none" in chosen_ids:
        if len(chosen_ids) > 1:
            raise typer.BadParameter("--category none means no category: give it alone")
        chosen_ids = []
    ws, store = _open(workspace, db)
    with store:
        codebook = ws.load_codebook()
        retired: list[str] = []  # carried along, not typed: left out, and said so
        if add or drop:
            chosen_ids = with_changes(store, note_id, add or [], drop or [], codebook,
                                      no_longer=retired)
        other = decided_by_someone_else(store, note_id)
        chosen = review_note(store, note_id, None if accept else chosen_ids, codebook,
                             no_longer=retired)
        before = store.set_experience(note_id, experience) if experience else None
    if retired:
        typer.secho(f"{', '.join(retired)} {'is' if len(retired) == 1 else 'are'} no longer "
                    "in the codebook: dropped from this note's categories", err=True,
                    fg=typer.colors.YELLOW)
    felt = f" · experience {experience}" if experience else ""
    typer.echo(f"{note_id}: {', '.join(chosen) or 'no category'}{felt} (reviewed"
               f"{f'; experience was {before}' if before else ''})")
    if other and sorted(other["categories"]) != sorted(chosen):
        from insight.thread import long_day

        renamed = other["renamed"]  # the person gave the old id: say who renamed it
        given = ("; " if renamed else ", ").join(
            c + (f", renamed from {r['from']} by {r['by']} on {long_day(r['at'].date())}"
                 if (r := renamed.get(c)) else "") for c in other["categories"])
        typer.secho(
            f"note: this replaces the categories {other['author']} gave on "
            f"{long_day(other['at'].date())} ({given}); the audit "
            f"log keeps both (`insight audit --record {note_id}`)",
            err=True, fg=typer.colors.YELLOW)


@notes_app.command("consent")
@handled
def notes_consent(
    note_id: Annotated[str, typer.Argument(help="Note id.")],
    quote: Annotated[
        bool | None, typer.Option("--quote/--no-quote", help="May the note's words be quoted?")
    ] = None,
    contact: Annotated[
        bool | None,
        typer.Option("--contact/--no-contact", help="May the person be contacted?"),
    ] = None,
    reason: Annotated[
        str | None, typer.Option(help="Why, for the audit log (e.g. 'asked again by phone').")
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Record what the person said about consent: the only way it comes back once withdrawn."""
    values = {
        name: value
        for name, value in (("consent_quote", quote), ("consent_contact", contact))
        if value is not None
    }
    if not values:
        raise typer.BadParameter("give --quote/--no-quote and/or --contact/--no-contact")
    ws, store = _open(workspace, db)
    unregistered = ""
    if reason:  # the audit log keeps it: without the person's details, as `erase` does
        from insight.redact import redact

        reason = redact(reason).text
    with store:
        changed = store.set_consent(note_id, reason=reason, **values)
        quoted_in = store.reports_quoting([note_id]) if changed.get("consent_quote") is False \
            else []
        if False in changed.values():  # so a restored older backup withdraws it again
            try:
                ws.register_erasures(store)
            except OSError as exc:
                from insight.workspace import register_problem

                unregistered = register_problem(ws.erasure_register, exc)
    words = {"consent_quote": "consent to quote", "consent_contact": "consent to contact"}
    if not changed:
        typer.echo(f"{note_id}: unchanged")
    for column, value in changed.items():
        typer.echo(f"{note_id}: {words[column]} {'given' if value else 'withdrawn'}")
    if quoted_in:  # reports written from now on leave the words out; those before do not
        typer.secho(_quoted_in(quoted_in, "its words"), err=True, fg=typer.colors.YELLOW)
    if unregistered:
        typer.secho(f"warning: {unregistered}", err=True, fg=typer.colors.YELLOW)


@notes_app.command("update")
@handled
def notes_update(
    note_id: Annotated[str, typer.Argument(help="Note id.")],
    heard_on: Annotated[str | None, typer.Option(
        "--heard-on", help="The day of the conversation (YYYY-MM-DD or DD/MM/YYYY).")] = None,
    listener: Annotated[str | None, typer.Option(help="The listener's code or name.")] = None,
    setting: Annotated[str | None, typer.Option(help="Cafe, phone, home visit, ...")] = None,
    place: Annotated[str | None, typer.Option(help="Where it was heard.")] = None,
    community: Annotated[list[str] | None, typer.Option(
        help="A community the person belongs to (repeat; replaces the note's list).")] = None,
    reason: Annotated[str | None, typer.Option(
        help="Why, for the audit log (e.g. 'date typed wrong in the form').")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Correct a note's date, listener, setting, place or communities (audited).

    Ingesting a file again fills a field a note lacks but never changes one it has: this
    is how a person corrects it."""
    values: dict[str, Any] = {
        name: value.strip() for name, value in
        (("listener", listener), ("setting", setting), ("place", place)) if value is not None}
    if heard_on is not None:
        values["heard_on"] = _parse_day(heard_on)
    if community is not None:
        values["community"] = list(dict.fromkeys(c.strip() for c in community if c.strip()))
    if not values:
        raise typer.BadParameter(
            "give what to correct: --heard-on, --listener, --setting, --place or --community")
    _, store = _open(workspace, db)
    with store:
        changed = store.correct_note(note_id, reason=reason, **values)
    if not changed:
        typer.echo(f"{note_id}: unchanged")
    for name, value in changed.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        typer.echo(f"{note_id}: {name.replace('_', ' ')} now {shown or '(none)'}")


@notes_app.command("list")
@handled
def notes_list(
    listener: Annotated[str | None, typer.Option(help="Heard by this listener.")] = None,
    place: Annotated[str | None, typer.Option(help="Heard at this place.")] = None,
    setting: Annotated[str | None, typer.Option(help="Heard in this setting (cafe, phone, ...).")
                       ] = None,
    community: Annotated[str | None, typer.Option(
        help="From someone who named this community (among any others).")] = None,
    category: Annotated[str | None, typer.Option(
        help="Tagged with this category (its id or its name).")] = None,
    since: Annotated[
        str | None, typer.Option(help="Heard on or after (YYYY-MM-DD or DD/MM/YYYY).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Heard on or before (YYYY-MM-DD or DD/MM/YYYY).")
    ] = None,
    safeguarding: Annotated[
        bool | None,
        typer.Option("--safeguarding/--no-safeguarding",
                     help="Only notes with (or without) a safeguarding flag."),
    ] = None,
    tagged_by: Annotated[
        str | None, typer.Option(help="Whose categories: person, model or none.")
    ] = None,
    contact: Annotated[
        bool, typer.Option("--contact", help="Only notes whose person agreed to be contacted "
                           "(to tell them what happened next).")
    ] = False,
    words: Annotated[list[str] | None, typer.Option(
        "--words", help="Whose text holds this word or phrase, in any case, or this number "
        "however spaced (repeat: every one of them), e.g. to find a person's notes when they "
        "ask what is held about them."
    )] = None,
    limit: Annotated[int, typer.Option(min=0, help="How many to list (0: all).")] = 50,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Find notes by listener, place, setting, community, category, date, flag or words.

    `--contact` lists only those whose person agreed to be contacted.

    No note text is listed: `insight notes show ID` reads one."""
    from insight.rollup import find_notes, note_frame

    if tagged_by is not None:
        tagged_by = _one_word(tagged_by, ("person", "model", "none"), "tagged-by",
                              "--tagged-by")
    first, last = _period(since, until)
    ws, store = _open(workspace, db)
    codebook = ws.load_codebook()
    if category is not None:  # its id or its name, as `notes review` takes it
        category = codebook.category_id(category) or category
    with store:
        frame = note_frame(store)
        if category is not None and category not in codebook:
            _retired_category(category, frame, ws)
        found = find_notes(
            frame, listener=listener, place=place, category=category,
            since=first, until=last, safeguarding=safeguarding,
            tagged_by=tagged_by, setting=setting, community=community,
            contact=True if contact else None,
        )
        if words is not None:
            if not any(w.strip() for w in words):
                raise typer.BadParameter("give a word or phrase", param_hint="--words")
            found = found[found["id"].isin(store.ids_with_words(words))]
    rows = [
        {"note": r["id"], "heard_on": r["heard_on"], "listener": r["listener"],
         "place": r["place"], "setting": r["setting"],
         "community": ", ".join(r["community"]), "categories": ",".join(r["categories"]),
         "by": r["category_source"] or "", "safeguarding": "yes" if r["safeguarding"] else "",
         "contact": "yes" if r["consent_contact"] else ""}
        for r in found.to_dict("records")
    ]
    shown = rows[:limit] if limit else rows
    _print_table(shown, fmt)
    if fmt == "table" and len(shown) < len(rows):
        typer.echo(f"({len(shown)} of {len(rows)} notes; --limit 0 lists all)", err=True)


def _retired_category(category: str, frame: Any, ws: Any) -> None:
    """A category the workspace's codebook does not have: notes still tagged with it
    (retired or split since) are found, and the lead told how to review them; else it is a
    typo, refused."""
    codebook = ws.load_codebook()
    tagged = int(frame["categories"].map(lambda found: category in found).sum())
    if not tagged:
        from insight.choices import closest

        # a retired category notes still carry is one a lead may mean, misspelt
        carried = {c for found in frame["categories"] for c in found}
        hint = closest(category, sorted({*codebook.ids, *carried}))
        raise typer.BadParameter(f"{category!r} is not a category of the workspace's codebook"
                                 + (f" (did you mean {hint!r}?)" if hint else ""),
                                 param_hint="--category")
    _say(ws, f"{category} is not in the workspace's codebook (version {codebook.version}): "
         f"{tagged} {'note is' if tagged == 1 else 'notes are'} still tagged with it, "
         f"in no count under it: review them (`insight notes review ID --drop {category} "
         "--add CATEGORY`), or, where the model tagged them, train and tag again "
         "(`insight train`, then `insight tag --retag`)", err=True,
         fg=typer.colors.YELLOW)


def _confidence_given(text: str) -> float:
    """A confidence as a person gives it: 0.6, 60% or 60 (a number over 1 is a percentage)."""
    written = text.strip()
    try:
        value = float(written.removesuffix("%"))
    except ValueError:
        raise typer.BadParameter(f"give a confidence such as 0.6 or 60%, not {text!r}",
                                 param_hint="--below") from None
    if written.endswith("%") or value > 1:
        value /= 100
    if not 0 <= value <= 1:
        raise typer.BadParameter(f"a confidence is from 0 to 1 (0% to 100%), not {text!r}",
                                 param_hint="--below")
    return value


@notes_app.command("queue")
@handled
def notes_queue(
    below: Annotated[
        str,
        typer.Option(help="Calibrated model confidence under which a tag needs review: 0 to "
                     "1, or a percentage (60% or 60)."),
    ] = "0.6",
    limit: Annotated[int, typer.Option(min=1, help="How many to list.")] = 50,
    category: Annotated[str | None, typer.Option(
        help="Only notes the model tagged with this category (its id or its name).")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Model-tagged notes not yet reviewed, least confident first.

    A note is listed when one of its category tags, or its experience value (unless a
    person has judged it), is below the confidence given; `least_sure` is the lower of the
    two, which orders the list. Notes the model gave no category come first: it may have
    missed what they are about. Then notes tagged with a category the model learnt from
    fewer than 30 examples (`few_examples`), whatever their confidence: it rests on those
    few notes. `safeguarding` says where a note is in the queue."""
    below = _confidence_given(below)
    ws, store = _open(workspace, db)
    # the model's categories learnt from few examples, for the tags that model gave
    version, _, few = _reading_facts(ws)
    # (no category 0, few examples 1, else 2; least confidence), row
    ranked: list[tuple[tuple[int, float], dict[str, Any]]] = []
    with store:
        if category is not None:  # as `notes list --category` takes it
            from insight.rollup import note_frame

            codebook = ws.load_codebook()
            category = codebook.category_id(category) or category
            if category not in codebook:
                _retired_category(category, note_frame(store), ws)
        queued, cleared = store.safeguarding_state()
        for batch in store.iter_notes(labelled=False):
            tagged = {n["id"]: n for n in batch if n["tagged_with"]}
            by_note: dict[str, list[dict[str, Any]]] = {note_id: [] for note_id in tagged}
            for tag in store.tags_for(list(by_note)):
                if tag["source"] == "model":
                    by_note[tag["note_id"]].append(tag)
            felt = store.experience_confidence(list(tagged))
            for note_id, tags in by_note.items():
                if category is not None and category not in {t["category"] for t in tags}:
                    continue
                note = tagged[note_id]
                weakest = min(tags, key=lambda t: t["confidence"] or 0.0, default=None)
                sure = None if weakest is None else weakest["confidence"] or 0.0
                # a person's experience value is the note's: the model's is not in question
                unsure = None if note["experience"] else felt.get(note_id)
                thin = [t["category"] for t in tags
                        if t["category"] in few and t["model_version"] == version]
                if sure is None or sure < below or (unsure is not None and unsure < below) \
                        or thin:
                    least = -1.0 if sure is None else min(sure, 1.0 if unsure is None
                                                          else unsure)
                    # what the place in the list comes from: a category's tag or experience
                    what = "" if sure is None else "experience" if least != sure else \
                        weakest["category"]
                    ranked.append(((0 if sure is None else 1 if thin else 2, least), {
                        "note": note_id,
                        "least_sure": "" if sure is None else f"{least:.2f} {what}",
                        "categories": ",".join(t["category"] for t in tags)
                        or "(none from the model)",
                        "few_examples": ",".join(thin),
                        # in the queue, a person reads it there first; judged, not a concern
                        "safeguarding": "in the queue" if note_id in queued else
                        "judged no concern" if note_id in cleared else "",
                        "experience": f"{note['experience']} (a person)" if note["experience"]
                        else f"{note['model_experience']} {unsure:.2f}" if unsure is not None
                        else note["model_experience"],
                    }))
    ranked.sort(key=lambda pair: pair[0])
    if not ranked and fmt == "table":  # say what "none" was measured against
        typer.echo(f"(none: no model-tagged note left to review is below {below:.0%})")
        return
    _print_table([row for _, row in ranked[:limit]], fmt)


# -- roll-up and report -------------------------------------------------------------------


@app.command()
@handled
def rollup(
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    fmt: FormatOpt = "table",
    audience: Annotated[
        str, typer.Option(help="lead (all counts) or commissioner/community (suppressed).")
    ] = "lead",
    phrases: Annotated[
        bool, typer.Option("--phrases", help="Add each category's key phrases (what people "
                           "talk about within it; leads: with how many notes hold each), or "
                           "why it has none (e.g. too few notes).")
    ] = False,
    since: Annotated[str | None, typer.Option(
        help="Only notes heard on or after this day.")] = None,
    until: Annotated[str | None, typer.Option(
        help="Only notes heard on or before this day.")] = None,
) -> None:
    """Notes per category: share, places, listeners, experience, trend, count per month."""
    from insight.classify import learnt_from_few
    from insight.rollup import (
        categories_not_in,
        category_rollup,
        find_key_phrases,
        heard_between,
        learnt_from_few_said,
        note_frame,
    )

    audience = _audience(audience)
    first, last = _period(since, until)
    ws, store = _open(workspace, db)
    with store:
        frame, undated = heard_between(every := note_frame(store), first, last)
        codebook = ws.load_codebook()
        model = _tagging_model(ws, store.tagging_models())
        if undated:
            typer.secho(f"warning: {undated} note(s) have no date heard, so are in no "
                        "period and not counted", err=True, fg=typer.colors.YELLOW)
        for warning in categories_not_in(frame, codebook):
            _say(ws, f"warning: {warning}", err=True, fg=typer.colors.YELLOW)
        table = category_rollup(
            frame, codebook, audience=audience,  # type: ignore[arg-type]
            threshold=ws.small_number_threshold,
            trend_from=heard_between(every, None, last)[0] if first or last else None,
            few_examples=learnt_from_few((model or {}).get("metadata") or {}),
        )
        if phrases:
            found = find_key_phrases(
                (note for batch in store.iter_notes() for note in batch), frame, codebook,
                audience=audience, threshold=ws.small_number_threshold,  # type: ignore[arg-type]
                flagged=(state := store.safeguarding_state())[0], cleared=state[1],
            )
            table.insert(2, "phrases", [
                [p if n is None else f"{p} ({n})" for p, n in found.phrases.get(c, [])]
                for c in table["category"]
            ])
            if fmt != "json":
                table["phrases"] = table["phrases"].map("; ".join)
            # a blank cell reads as a fault: say why a category has none (most often too
            # few notes); in the table in the cell, as data in a column of its own
            why = [found.missing.get(c) for c in table["category"]]
            if fmt == "table":
                table["phrases"] = [f"({w})" if w else p for p, w in zip(
                    table["phrases"], why, strict=True)]
            else:
                table.insert(3, "why_no_phrases", why)
    caveats: dict[str, str] = {}
    if fmt == "table":  # read by a person: a share as the report gives it (38%, not 0.375);
        # csv and json keep the number, as data
        table = table.drop(columns=["name"])
        table["share"] = table["share"].map(
            lambda share: "–" if share is None or share != share else f"{share * 100:.0f}%")
        # a count resting on tags the model learnt from few notes: marked beside it, and
        # said under the table by name (a mark alone is lost on a screen reader)
        caveats = {row["category"]: learnt_from_few_said(row["learnt_from_few"])
                   for row in table.to_dict("records") if row["learnt_from_few"] is not None}
        table["notes"] = [f"{n} *" if c in caveats else n
                          for n, c in zip(table["notes"], table["category"], strict=True)]
        table = table.drop(columns=["learnt_from_few"])
    _print_table(table.to_dict("records"), fmt)
    for category, said in caveats.items():
        _say(ws, f"* {category}: {said} (`insight notes queue` lists the notes the model "
                 "tagged with it)")
    if fmt == "table":  # what the counts are of, and how to read the ones not shown
        _say_rollup_base(frame, codebook, audience, ws.small_number_threshold,
                         bool(first or last))


def _say_rollup_base(frame: Any, codebook: Any, audience: str, threshold: int,
                     period: bool) -> None:
    """Under a roll-up's table: how many notes it is of and how many no category count
    stands on, as the report says them (`rollup.category_coverage`), and, outside the
    leads' view, what the counts not shown mean (blind audit: "5 to 17" and "–" bare)."""
    from insight.privacy import suppress
    from insight.rollup import category_coverage

    coverage = category_coverage(frame, codebook, audience, threshold)  # type: ignore[arg-type]
    total = suppress(len(frame), audience, threshold)  # type: ignore[arg-type]
    typer.echo(f"of {total} notes{' heard in the period' if period else ''}: shares are of "
               f"all of them; {coverage['no_category']} in no category"
               + (f", {coverage['only_retired']} only in categories the codebook no longer "
                  "has" if coverage["only_retired"] else "")
               + "; a note can be in several categories")
    if audience != "lead":
        typer.echo(f"counts under {threshold} are shown as <{threshold}; 'A to B', 'hidden', "
                   "'not shown' and '–' stand where an exact figure would let a small count "
                   "be worked out from the others (the leads' roll-up shows every count)")


@app.command()
@handled
def report(
    out: Annotated[Path, typer.Option("--out", "-o",
        help="File to write: .html (the report), .xlsx (a sheet per table) or .csv (one "
             "file per table, named after this one).")] = Path("report.html"),
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    audience: Annotated[
        str, typer.Option(help="commissioner, lead or community.")
    ] = "commissioner",
    title: Annotated[str | None, typer.Option(
        help="Report title, e.g. your organisation's name and the period (on the community "
             "page, under 'You said, we did'). Default: 'Community listening: influence "
             "report'.")] = None,
    contact: Annotated[str | None, typer.Option(
        help="How people can reach you, for the community page's 'Tell us what you think' "
             "(default: contact under [insight] in insight.toml).")] = None,
    since: Annotated[str | None, typer.Option(
        help="Count only notes heard on or after this day (e.g. the quarter's first), and "
             "say what changed in the thread from it.")] = None,
    until: Annotated[str | None, typer.Option(
        help="Count only notes heard on or before this day (e.g. the quarter's last).")
    ] = None,
    next_update: Annotated[str | None, typer.Option(
        help="When readers will hear more, as you would say it: \"in March 2027\" (the "
             "community page: \"We will tell you what happened next in March 2027\").")
    ] = None,
) -> None:
    """Write the golden-thread report (HTML), or its tables (.xlsx or .csv).

    The report is one self-contained HTML file; a workbook has a sheet per table; CSV
    writes one file per table, named after --out. With --since/--until it counts and
    quotes only the notes heard in that period, an insight's and a priority's too, and
    says what changed in the thread in it; without them, every note, and what changed
    since the audience's last report (written on an earlier day)."""
    from insight.privacy import overlap_warnings
    from insight.report import (
        DEFAULT_TITLE,
        build_report,
        quoted_notes,
        report_files,
        write_report,
    )
    from insight.rollup import note_frame

    _check_out(out)
    audience = _audience(audience)
    first, last = _period(since, until)
    try:
        report_files(out, audience)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--out") from None
    ws, store = _open(workspace, db)
    with store:
        tagged_by = store.tagging_models()
    model = _tagging_model(ws, tagged_by)
    with store:
        data = build_report(
            store, ws.load_codebook(), audience=audience,  # type: ignore[arg-type]
            since=first, until=last, last_report=store.last_report(audience, uk_today()),
            threshold=ws.small_number_threshold, title=title or DEFAULT_TITLE,
            population=ws.population, population_source=ws.population_source, model=model,
            contact=ws.contact if contact is None else contact, never_name=ws.never_name,
            next_update=next_update or "", area=ws.area,
            tagged_by=sorted(tagged_by) if model is None else None,
        )
        untagged = int(note_frame(store)["category_source"].isna().sum())
        data.warnings.extend(overlap_warnings(store.reports_written(audience), first, last,
                                              audience, ws.small_number_threshold))
    paths = write_report(data, out)
    with store:  # so an erasure or a withdrawn consent can say which reports hold the words
        store.record_report([str(p.resolve()) for p in paths], audience,
                            quoted_notes(data) if out.suffix.lower() == ".html" else [],
                            since=first, until=last, named=data.named)
    for path in paths:
        typer.echo(f"report written to {path}")
    for warning in data.warnings:
        _say(ws, f"warning: {warning}", err=True, fg=typer.colors.YELLOW)
    if untagged:
        typer.secho(
            f"warning: {untagged} note(s) have no categories yet and are not counted under "
            "any category; run `insight tag` first",
            err=True, fg=typer.colors.YELLOW,
        )
    if audience == "lead":  # the leads' checklist cannot see quarantine: said here
        _quarantined_concerns(workspace, db)


def _tagging_model(ws: Any, tagged_by: Collection[str]) -> dict[str, Any] | None:
    """The `model.json` of the model that tagged the workspace's notes, for readers to weigh
    its tags (how it was measured, what it learnt from few examples): the workspace's, or
    the default model (a workspace on the default codebook tags with it); None where
    neither is the one (`tagged_by`: the model versions the notes' tags name)."""
    from insight.classify.default import default_model_path
    from insight.classify.model import ModelFormatError, read_model_json

    for folder, untagged_too in ((ws.model_dir, True), (default_model_path(), False)):
        try:
            found = read_model_json(folder)
        except ModelFormatError:  # none there, or not one this code reads
            continue
        version = found.get("model_version") or found.get("metadata", {}).get("model_version")
        if version in tagged_by or (untagged_too and not tagged_by):
            return found
    return None


@app.command()
@handled
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the demo workspace.")] = Path(
        "insight-demo"
    ),
) -> None:
    """Create a demo workspace, ingest, train, tag, build a thread and write the report."""
    from insight.demo import run_demo

    path = run_demo(out, say=typer.echo)
    typer.echo(f"report: {path.resolve()}")


# -- the thread ---------------------------------------------------------------------------


def _parse_day(value: str | None) -> date | None:
    """The dates notes accept (YYYY-MM-DD, DD/MM/YYYY, 14 Sep 2025), from one parser."""
    from insight.intake import parse_date

    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _period(since: str | None, until: str | None) -> tuple[date | None, date | None]:
    """--since and --until as days, the first not after the last, nor still to come."""
    first, last = _parse_day(since), _parse_day(until)
    if first and last and first > last:
        raise typer.BadParameter(f"--since {first} is after --until {last}: give the "
                                 "period's first day first")
    if first and first > uk_today():
        raise typer.BadParameter(f"--since {first} is still to come: no note is heard yet")
    return first, last


def _refs(kind: str, values: list[str] | None) -> list[int]:
    from insight.store import parse_ref

    return [parse_ref(kind, v) for value in values or [] for v in value.split(",") if v.strip()]


def _record_rows(kind: str, store) -> list[dict[str, Any]]:
    from insight.store import ref
    from insight.thread import load_thread, quote_blockers

    thread = load_thread(store)
    rows = []
    for record in store.list_records(kind):
        row: dict[str, Any] = {"ref": ref(kind, record["id"])}
        if kind == "insight":
            pinned = thread.pinned_notes(record["id"])
            row |= {"title": record["title"], "notes": len(thread.notes_of_insight(record["id"])),
                    # a lead's quote choices (`insight insights quote`), pins in order
                    "pinned": ",".join(pinned),
                    # pins no report will quote, and why (consent, a concern, erased)
                    "not_quotable": "; ".join(
                        f"{n}: {', '.join(why)}" for n in pinned
                        if (why := quote_blockers(store, n))),
                    "left_out": ",".join(thread.left_out_notes(record["id"]))}
        elif kind == "priority":
            withdrawn = thread.withdrawn.get(record["id"])
            row |= {"title": record["title"], "insights": ",".join(
                ref("insight", i) for i in thread.insights_of_priority(record["id"])),
                "agreed_on": str(record["agreed_on"] or ""),
                # a priority no longer pursued stays in the thread: say so where it is listed
                "withdrawn_on": str(withdrawn["withdrawn_on"]) if withdrawn else ""}
        elif kind == "action":
            involved = thread.involvement.get(record["id"])
            since = thread.status_since(record["id"])
            row |= {"title": record["title"], "status": record["status"],
                    "since": str(since or ""), "due_on": str(record["due_on"] or ""),
                    "owner": record["owner"], "priorities": ",".join(
                        ref("priority", p) for p in thread.priorities_of_action(record["id"])),
                    "involvement": f"{involved['mode']}, {involved['continuity']}"
                    if involved else ""}
        else:
            row |= {"action": ref("action", record["action_id"]),
                    "description": record["description"],
                    "observed_on": str(record["observed_on"] or ""),
                    # when people were told is what a "you said, we did" page rests on
                    "fed_back": record["fed_back"],
                    "fed_back_on": str(record["fed_back_on"] or "")}
        rows.append(row)
    return rows


@insights_app.command("add")
@handled
def insights_add(
    title: Annotated[str, typer.Argument(help="What was found, in plain words.")],
    summary: Annotated[str | None, typer.Option(help="A few sentences.")] = None,
    category: Annotated[list[str] | None, typer.Option(help="Category id (repeat).")] = None,
    note: Annotated[list[str] | None, typer.Option(help="Evidence note id (repeat).")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Record an insight grounded in notes."""
    from insight.store import ref
    from insight.thread import add_insight, same_title

    ws, store = _open(workspace, db)
    with store:
        twins = same_title(store, "insight", title)
        new = add_insight(store, title, summary=summary, categories=category or [],
                          note_ids=note or [], known_categories=ws.load_codebook().names)
        typer.echo(f"created insight {ref('insight', new)}")
        _warn_same_title("insight", twins, new)
        _warn_small_groups(ws, store, ref("insight", new), title=title, summary=summary)


def _linked(given: list[str] | None, option: list[str] | None, what: str,
            example: str) -> list[str]:
    """The records a link command links: given after the record, or with the option its
    add command takes (`--note`, `--insight`, `--priority`), or both."""
    linked = list(dict.fromkeys([*(given or []), *(option or [])]))
    if not linked:
        raise typer.BadParameter(f"give the {what} to link, e.g. `{example}`")
    return linked


@insights_app.command("link")
@handled
def insights_link(
    insight: Annotated[str, typer.Argument(help="Insight, e.g. I1.")],
    notes: Annotated[list[str] | None, typer.Argument(help="Note ids.")] = None,
    note: Annotated[list[str] | None, typer.Option(
        help="A note id (repeat), as `insights add` takes them; or give them after I1.")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Add evidence notes to an insight."""
    from insight.store import parse_ref
    from insight.thread import link_notes

    given = _linked(notes, note, "note ids", "insight insights link I1 n-1 n-2")
    _, store = _open(workspace, db)
    with store:
        added = link_notes(store, parse_ref("insight", insight), given)
    typer.echo(f"linked {added} new note{'s' if added != 1 else ''}")


@insights_app.command("quote")
@handled
def insights_quote(
    insight: Annotated[str, typer.Argument(help="Insight, e.g. I1.")],
    note: Annotated[str, typer.Argument(help="One of the insight's evidence note ids.")],
    pin: Annotated[
        bool, typer.Option("--pin", help="Quote this note first for the insight.")
    ] = False,
    leave_out: Annotated[
        bool, typer.Option("--leave-out", help="Never quote this note for the insight.")
    ] = False,
    clear: Annotated[
        bool, typer.Option("--clear", help="Take back a pin or a leave-out.")
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Choose which notes are quoted for an insight: pin one or leave one out.

    A pinned note is quoted first, in the order pinned; a note left out is quoted for no
    audience. Audited. A pin never overrides consent, a safeguarding concern or a
    suppressed count."""
    from insight.privacy import group_counts, is_suppressed, pinned_own_words, why_held_back
    from insight.store import parse_ref, ref
    from insight.thread import QUOTES_PER_INSIGHT, load_thread, pin_blockers, set_quote_choice

    if pin + leave_out + clear != 1:
        raise typer.BadParameter("give one of --pin, --leave-out or --clear")
    choice = "pin" if pin else "leave out" if leave_out else None
    insight_id = parse_ref("insight", insight)
    name = ref("insight", insight_id)
    ws, store = _open(workspace, db)
    with store:
        before = set_quote_choice(store, insight_id, note, choice)
        blockers = pin_blockers(store, note) if pin else []
        thread = load_thread(store)
        counts = group_counts(
            {i: thread.notes_of_insight(i) for i in thread.insights}, "commissioner",
            ws.small_number_threshold,
        )
        pins = thread.pinned_notes(insight_id)
        pinned_elsewhere = [ref("insight", i) for i in sorted(thread.insights)
                            if i != insight_id and note in thread.pinned_notes(i)]
        pinned_note = store.get_note(note) if pin else None
        # a pin quotes a note the software holds back (`holds_back`): a person read it,
        # but is asked to read it again for a risk before commissioners do
        risk = why_held_back(pinned_note, store.safeguarding_scores([note]).get(note)) \
            if pinned_note is not None and not blockers else []
    if clear:
        typer.echo(f"{name}: note {note} " + (
            f"is no longer {'pinned' if before == 'pin' else 'left out'}: it may be quoted "
            "like any other note" if before else "had no quote choice: nothing to clear"))
        return
    if before == choice:
        typer.echo(f"{name}: note {note} was already "
                   f"{'pinned' if pin else 'left out of quoting'}")
    elif leave_out:
        typer.echo(f"{name}: note {note} left out of quoting for this insight, in every "
                   "report")
    else:
        typer.echo(f"{name}: note {note} pinned (pins are quoted before other notes, in "
                   f"the order pinned: this is pin {pins.index(note) + 1} of {len(pins)})")
    if not pin:
        return
    if blockers:  # recorded, but privacy decides: say why, never the note's words
        typer.secho(f"note {note} will not be quoted: {'; '.join(blockers)}", err=True,
                    fg=typer.colors.YELLOW)
    elif is_suppressed(counts.get(insight_id, 0)):
        typer.secho(
            f"{name}'s count is not shown outside the leads' view (too few notes, or a few "
            "short of another insight's), so commissioners and the community see no quote "
            "for it; leads do",
            err=True, fg=typer.colors.YELLOW,
        )
    elif pinned_note is not None and not pinned_own_words(pinned_note["text"] or ""):
        typer.secho(
            f"note {note} has no words in quote marks that can be quoted (none, or only "
            "words with contact details in them), and the community page quotes only a "
            "person's own words: it is quoted in the leads' and commissioners' reports, "
            f"and the community page quotes nothing for {name} unless another pin has them",
            err=True, fg=typer.colors.YELLOW,
        )
    if risk:
        typer.secho(
            f"note {note} is held back from the quotes the software picks, as its words may "
            f"speak of a risk the safeguarding flag did not raise ({'; '.join(risk)}). Your "
            "pin lets the reports quote it, to commissioners and the community too: "
            f"read it again before the report goes out (`insight notes show {note}`); if it "
            f"speaks of a risk, raise a concern (`insight safeguarding add {note} --reason "
            '"..."`), and it is never quoted',
            err=True, fg=typer.colors.YELLOW,
        )
    if pinned_elsewhere:
        typer.secho(
            f"note {note} is pinned for {', '.join(pinned_elsewhere)} too: a report quotes a "
            "note once, under the first of them it shows",
            err=True, fg=typer.colors.YELLOW,
        )
    if len(pins) > QUOTES_PER_INSIGHT:
        typer.secho(
            f"{name} has {len(pins)} pinned notes; a report quotes at most "
            f"{QUOTES_PER_INSIGHT} for an insight (the community page one), the first pinned",
            err=True, fg=typer.colors.YELLOW,
        )


@priorities_app.command("add")
@handled
def priorities_add(
    title: Annotated[str, typer.Argument(help="The priority, in the community's words.")],
    description: Annotated[str | None, typer.Option(help="What it means.")] = None,
    insight: Annotated[
        list[str] | None, typer.Option(help="Insight it builds on (repeat).")
    ] = None,
    agreed_on: Annotated[
        str | None, typer.Option(help="Date agreed (YYYY-MM-DD or DD/MM/YYYY).")
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Record a collective lived-experience priority."""
    from insight.store import ref
    from insight.thread import add_priority, same_title

    ws, store = _open(workspace, db)
    with store:
        twins = same_title(store, "priority", title)
        new = add_priority(store, title, description=description,
                           agreed_on=_parse_day(agreed_on),
                           insight_ids=_refs("insight", insight))
        typer.echo(f"created priority {ref('priority', new)}"
                   + ("" if agreed_on else "; no day agreed: reports count it from today "
                      "(`insight priorities update "
                      f"{ref('priority', new)} --agreed-on DAY` if it was agreed before)"))
        _warn_same_title("priority", twins, new)
        _warn_small_groups(ws, store, ref("priority", new), title=title,
                           description=description)


@priorities_app.command("withdraw")
@handled
def priorities_withdraw(
    priority: Annotated[str, typer.Argument(help="Priority, e.g. P1.")],
    reason: Annotated[str, typer.Option(
        help="Why it is no longer pursued: the reports tell the people who raised it.")],
    on: Annotated[str | None, typer.Option(
        "--on", help="Since when, if not today (YYYY-MM-DD or DD/MM/YYYY).")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Mark a priority as no longer pursued, and why (kept in every report; audited)."""
    from insight.store import parse_ref, ref
    from insight.thread import load_thread, withdraw_priority

    ws, store = _open(workspace, db)
    with store:
        priority_id = parse_ref("priority", priority)
        shown = ref("priority", priority_id)
        before = withdraw_priority(store, priority_id, reason, on=_parse_day(on))
        thread = load_thread(store)
        open_actions = [ref("action", a) for a, ps in sorted(thread.action_priorities.items())
                        if priority_id in ps
                        and thread.actions[a]["status"] not in ("done", "declined")]
        typer.echo(f"{shown}: {'withdrawal corrected' if before else 'withdrawn'}; the reports "
                   "keep it, saying it is no longer pursued and why")
        if open_actions:
            one = len(open_actions) == 1
            typer.secho(f"warning: {', '.join(open_actions)} still "
                        f"{'responds' if one else 'respond'} to {shown} and "
                        f"{'is' if one else 'are'} not done or declined: give "
                        f"{'it' if one else 'each'} a status (`insight actions status`)",
                        err=True, fg=typer.colors.YELLOW)
        _warn_small_groups(ws, store, shown, reason=reason)


@priorities_app.command("reinstate")
@handled
def priorities_reinstate(
    priority: Annotated[str, typer.Argument(help="Priority, e.g. P1.")],
    on: Annotated[str | None, typer.Option(
        "--on", help="The day it was taken up again, if not today.")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Pursue a withdrawn priority again (audited).

    The reports say it was withdrawn and taken up again, each on its day."""
    from insight.store import parse_ref, ref
    from insight.thread import reinstate_priority

    _, store = _open(workspace, db)
    with store:
        priority_id = parse_ref("priority", priority)
        store.get_record("priority", priority_id)
        undone = reinstate_priority(store, priority_id, _parse_day(on))
    typer.echo(f"{ref('priority', priority_id)}: "
               + ("pursued again" if undone else "was not withdrawn"))


@priorities_app.command("link")
@handled
def priorities_link(
    priority: Annotated[str, typer.Argument(help="Priority, e.g. P1.")],
    insights: Annotated[list[str] | None, typer.Argument(help="Insights, e.g. I1 I2.")] = None,
    insight: Annotated[list[str] | None, typer.Option(
        help="An insight (repeat), as `priorities add` takes them; or give them after P1.")
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Link insights to a priority."""
    from insight.store import parse_ref
    from insight.thread import link_insights

    given = _linked(insights, insight, "insights", "insight priorities link P1 I1 I2")
    _, store = _open(workspace, db)
    with store:
        added = link_insights(store, parse_ref("priority", priority), _refs("insight", given))
    typer.echo(f"linked {added} new insights")


StageOpt = Annotated[str | None, typer.Option(
    help="Commissioning-cycle stage: strategic planning (or needs assessment), specifying "
         "outcomes, pathway design (or service design), contracting (or procurement) or "
         "monitoring (or evaluation).")]


@actions_app.command("add")
@handled
def actions_add(
    title: Annotated[str, typer.Argument(help="What will be done.")],
    owner: Annotated[str | None, typer.Option(help="Who is responsible.")] = None,
    status: Annotated[str, typer.Option(
        help="proposed, agreed, in progress, done or declined.")] = "proposed",
    status_on: Annotated[str | None, typer.Option(
        "--status-on", help="The day it reached that status, if not today (YYYY-MM-DD or "
        "DD/MM/YYYY).")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (required when declined).")] = None,
    priority: Annotated[
        list[str] | None, typer.Option(help="Priority it answers (repeat).")
    ] = None,
    due: Annotated[
        str | None,
        typer.Option("--due", "--due-on", help="Due date (YYYY-MM-DD or DD/MM/YYYY)."),
    ] = None,
    stage: StageOpt = None,
    framework: Annotated[str | None, typer.Option(help="Framework reference.")] = None,
    description: Annotated[str | None, typer.Option(help="More detail.")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Record a change action responding to priorities."""
    from insight.store import ref
    from insight.thread import add_action, same_title

    ws, store = _open(workspace, db)
    with store:
        twins = same_title(store, "action", title)
        new = add_action(store, title, owner=owner, status=status, reason=reason,
                         description=description, due_on=_parse_day(due), stage=stage,
                         framework=framework, priority_ids=_refs("priority", priority),
                         status_on=_parse_day(status_on))
        typer.echo(f"created action {ref('action', new)}")
        _warn_same_title("action", twins, new)
        _warn_small_groups(ws, store, ref("action", new), title=title, owner=owner,
                           reason=reason, description=description)



def _warn_small_groups(ws: Workspace, store: Store, record: str, **written: str | None) -> None:
    """Warn when a lead's words name a place or community few notes come from (reports
    outside the leads' view leave such groups out of quotes, but show leads' words as
    written; `insight report` warns again, as the notes may change), or hold personal
    details or a note's id (`privacy.written_detail_warnings`)."""
    for warning in _small_group_warnings(ws, store, record, **written):
        typer.secho(f"warning: {warning}", err=True, fg=typer.colors.YELLOW)


def _small_group_warnings(ws: Workspace, store: Store, record: str,
                          **written: str | None) -> list[str]:
    import pandas as pd

    from insight.privacy import id_candidates, small_group_warnings, written_detail_warnings
    from insight.rollup import small_groups

    texts = [(record, name, text) for name, text in written.items() if text]
    if not texts:
        return []
    frame = pd.DataFrame(store.note_groups(), columns=["place", "community"])
    groups = small_groups(frame, "commissioner", ws.small_number_threshold)
    return small_group_warnings(texts, groups, ws.small_number_threshold) + (
        written_detail_warnings(texts, store.existing_notes(id_candidates(texts))))


def _warn_same_title(kind: str, twins: list[int], new: int) -> None:
    """Say when a new record repeats another's title: probably the same one added twice."""
    from insight.store import ref
    from insight.thread import PLURAL

    if twins:
        others = " and ".join(ref(kind, i) for i in twins)
        one = len(twins) == 1
        if kind == "outcome":  # of the same action: nothing to keep but one
            said = (f"{'says' if one else 'say'} the same; if {ref(kind, new)} is the same "
                    f"outcome, delete it (insight outcomes delete {ref(kind, new)})")
        else:  # merging keeps whatever was linked to it since
            said = (f"{'has' if one else 'have'} the same title; if {ref(kind, new)} is the "
                    f"same {kind}, merge it (insight {PLURAL[kind]} merge {ref(kind, new)} "
                    f"--into {ref(kind, twins[0])})")
        typer.secho(f"warning: {others} {said}", err=True, fg=typer.colors.YELLOW)


@actions_app.command("link")
@handled
def actions_link(
    action: Annotated[str, typer.Argument(help="Action, e.g. A1.")],
    priorities: Annotated[list[str] | None, typer.Argument(
        help="Priorities, e.g. P1 P2.")] = None,
    priority: Annotated[list[str] | None, typer.Option(
        help="A priority (repeat), as `actions add` takes them; or give them after A1.")
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Link an action to the priorities it answers."""
    from insight.store import parse_ref
    from insight.thread import link_priorities

    given = _linked(priorities, priority, "priorities", "insight actions link A1 P1 P2")
    _, store = _open(workspace, db)
    with store:
        added = link_priorities(store, parse_ref("action", action), _refs("priority", given))
    typer.echo(f"linked {added} new priorities")


@actions_app.command("status")
@handled
def actions_status(
    action: Annotated[str, typer.Argument(help="Action, e.g. A1.")],
    status: Annotated[str | None, typer.Argument(
        help="proposed, agreed, in progress, done, declined.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (required when declined).")] = None,
    on: Annotated[str | None, typer.Option(
        "--on", help="The day the status was reached, if not today (YYYY-MM-DD or DD/MM/YYYY); "
        "given with the status the action has, it corrects that day.")] = None,
    undo: Annotated[bool, typer.Option(
        "--undo", help="The last status was recorded by mistake: go back to the one before, "
        "with its day, and leave the mistake out of the action's history (audited).")] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Update an action's status, dated (the reports say since when)."""
    from insight.store import parse_ref, ref
    from insight.thread import load_thread, long_day, set_action_status, undo_action_status

    if undo and (status is not None or on is not None or reason is not None):
        raise typer.BadParameter("--undo goes back to the status before: give no status, "
                                 "--on or --reason with it")
    if not undo and status is None:
        raise typer.BadParameter("give the status (proposed, agreed, in progress, done, "
                                 "declined), or --undo to take back the last one")
    _, store = _open(workspace, db)
    with store:
        action_id = parse_ref("action", action)
        action = ref("action", action_id)  # as every other output names it: "a5" is A5
        before = store.get_record("action", action_id)["status"]
        history = store.status_history().get(action_id) or [{}]
        # the day it became what it is: people told of it since then heard it as that
        reached = history[-1].get("on") if history[-1].get("status") == before else None
        if undo:
            record = undo_action_status(store, action_id)
        else:
            record = set_action_status(store, action_id, status or "", reason=reason,
                                       on=_parse_day(on))
        thread = load_thread(store)
        fed_back = [o for o in thread.outcomes_of_action(action_id) if o["fed_back"] and not (
            reached and o["fed_back_on"] and o["fed_back_on"] < reached)]
        since = thread.status_since(action_id)
    typer.echo(f"{action}: {record['status']}"
               + (f" since {long_day(since)}" if since is not None else "")
               + (f" ({before} taken back)" if undo else ""))
    if before == "declined" and record["status"] != "declined" and reason is None:
        typer.secho(
            f"warning: {action} was declined and is now {record['status']}: the reports stop "
            "showing why it was declined; say what changed with --reason (audited)",
            err=True, fg=typer.colors.YELLOW,
        )
    if before == "done" and record["status"] != "done" and fed_back:
        typer.secho(
            f"warning: {action} was done and {len(fed_back)} of its outcomes were fed back to "
            f"people; the community page now says it is {record['status']}: if that is "
            "right, tell people why",
            err=True, fg=typer.colors.YELLOW,
        )


@actions_app.command("involve")
@handled
def actions_involve(
    action: Annotated[str, typer.Argument(help="Action, e.g. A1.")],
    mode: Annotated[str | None, typer.Option(
        help="active: people with lived experience shaped or made the decision; passive: "
             "they were asked or told.")] = None,
    continuity: Annotated[str | None, typer.Option(
        help="embedded: ongoing, part of how the work is run; isolated: a one-off.")] = None,
    how: Annotated[str | None, typer.Option(
        help="How they took part, in plain words (shown in the reports).")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove what was recorded.")] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Record how people with lived experience took part in an action.

    Where it sits on the co-production grid: active or passive, embedded or isolated."""
    from insight.store import parse_ref, ref
    from insight.thread import set_involvement

    if clear == (mode is not None or continuity is not None or how is not None):
        raise typer.BadParameter("give --mode and --continuity (and --how), or --clear")
    ws, store = _open(workspace, db)
    with store:
        action_id = parse_ref("action", action)
        action = ref("action", action_id)
        recorded = store.involvements().get(action_id)
        if not clear and (mode is None or continuity is None):
            # changing part of what was recorded (--how, --mode or --continuity alone)
            if recorded is None:
                raise typer.BadParameter(
                    f"nothing is recorded for {action} yet: give --mode and --continuity")
            mode = mode or recorded["mode"]
            continuity = continuity or recorded["continuity"]
            how = recorded["how"] if how is None else how
        before = set_involvement(store, action_id, mode, continuity, how)
        now = store.involvements().get(action_id)
        named = _small_group_warnings(ws, store, action, how=now["how"]) if now else []
    if now is None:
        typer.echo(f"{action}: involvement cleared" if before else
                   f"{action}: no involvement was recorded")
        return
    typer.echo(f"{action}: people with lived experience took part, {now['mode']} and "
               f"{now['continuity']}")
    for warning in named:
        typer.secho(f"warning: {warning}", err=True, fg=typer.colors.YELLOW)


@outcomes_app.command("add")
@handled
def outcomes_add(
    action: Annotated[str, typer.Argument(help="Action, e.g. A1.")],
    description: Annotated[str, typer.Argument(help="What changed.")],
    observed_on: Annotated[
        str | None, typer.Option(help="When (YYYY-MM-DD or DD/MM/YYYY).")
    ] = None,
    evidence: Annotated[str | None, typer.Option(help="How we know.")] = None,
    fed_back_on: Annotated[
        str | None, typer.Option(help="When it was fed back to people (YYYY-MM-DD or DD/MM/YYYY).")
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Record an outcome of an action."""
    from insight.store import parse_ref, ref
    from insight.thread import OUTCOME_WARNINGS, add_outcome, outcome_before_action, title_key

    ws, store = _open(workspace, db)
    with store:
        action_id = parse_ref("action", action)
        action = ref("action", action_id)
        twins = [o["id"] for o in store.list_records("outcome")
                 if o["action_id"] == action_id
                 and title_key(o["description"]) == title_key(description)]
        new = add_outcome(store, action_id, description,
                          observed_on=_parse_day(observed_on), evidence=evidence,
                          fed_back_on=_parse_day(fed_back_on))
        status = store.get_record("action", action_id)["status"]
        early = outcome_before_action(store, action_id, _parse_day(observed_on))
        typer.echo(f"created outcome {ref('outcome', new)}")
        _warn_same_title("outcome", twins, new)
        _warn_small_groups(ws, store, ref("outcome", new), description=description,
                           evidence=evidence)
    if status in OUTCOME_WARNINGS:
        typer.secho(f"warning: {action} {OUTCOME_WARNINGS[status]}", err=True,
                    fg=typer.colors.YELLOW)
    if early:
        typer.secho(f"warning: {early}", err=True, fg=typer.colors.YELLOW)


def _lister(kind: str) -> Callable[..., None]:
    @handled
    def command(workspace: WorkspaceOpt = None, db: DbOpt = None, fmt: FormatOpt = "table"):
        _, store = _open(workspace, db)
        with store:
            _print_table(_record_rows(kind, store), fmt)

    command.__doc__ = f"List {kind} records with their links."
    return command


insights_app.command("list")(_lister("insight"))
priorities_app.command("list")(_lister("priority"))
outcomes_app.command("list")(_lister("outcome"))


@actions_app.command("list")
@handled
def actions_list(
    owner: Annotated[str | None, typer.Option(
        help="Only actions whose owner holds these words, in any case (\"urgent care\").")
    ] = None,
    status: Annotated[list[str] | None, typer.Option(
        help="Only actions with this status (repeat): proposed, agreed, in progress, done, "
             "declined.")] = None,
    overdue: Annotated[bool, typer.Option(
        "--overdue", help="Only actions past their due day and not done or declined.")
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """List action records with their links (an owner's, by status, overdue)."""
    from insight.thread import action_status

    wanted = {action_status(s) for s in status or []}
    _, store = _open(workspace, db)
    with store:
        rows = _record_rows("action", store)
    today = uk_today().isoformat()
    if owner:
        words = " ".join(owner.casefold().split())
        rows = [r for r in rows if words in " ".join(str(r["owner"] or "").casefold().split())]
    if wanted:
        rows = [r for r in rows if r["status"] in wanted]
    if overdue:
        rows = [r for r in rows if r["due_on"] and r["due_on"] < today
                and r["status"] not in ("done", "declined")]
    if not rows and fmt == "table" and (owner or wanted or overdue):
        typer.echo("no actions match")
        return
    _print_table(rows, fmt)

def _unlink(kind: str, record: str, targets: list[str], workspace: Path | None,
            db: str | None) -> None:
    from insight.store import parse_ref, ref
    from insight.thread import unlink

    part = {"insight": "note", "priority": "insight", "action": "priority"}[kind]
    values: list[str | int] = list(targets) if part == "note" else _refs(part, targets)
    record_id = parse_ref(kind, record)
    _, store = _open(workspace, db)
    with store:
        removed = unlink(store, kind, record_id, values)
    record = ref(kind, record_id)
    typer.echo(f"{record}: unlinked {removed} {part}{'s' if removed != 1 else ''}")


def _delete(kind: str, record: str, yes: bool, workspace: Path | None, db: str | None) -> None:
    from insight.store import parse_ref, ref
    from insight.thread import PLURAL, delete_record, load_thread

    record_id = parse_ref(kind, record)
    record = ref(kind, record_id)
    also = " and its outcomes" if kind == "action" else ""
    _, store = _open(workspace, db)
    with store:
        store.get_record(kind, record_id)
        broken = load_thread(store).left_without(kind, record_id)
        if broken:  # e.g. an action left answering no priority: say so before, not after
            typer.secho(f"deleting {record} leaves: " + "; ".join(broken), err=True,
                        fg=typer.colors.YELLOW)
        if not yes and not typer.confirm(f"Delete {record}{also} and its links?"):
            raise typer.Exit(1)
        delete_record(store, kind, record_id)
    typer.echo(f"deleted {record}{also} (the audit log keeps what it was: "
               f"`insight {PLURAL[kind]} undelete {record}` brings it back)")
    if broken:
        typer.secho("link what was left to another record, or check the report's thread "
                    "checks before it goes out", err=True, fg=typer.colors.YELLOW)


def _undelete(kind: str, record: str, workspace: Path | None, db: str | None) -> None:
    from insight.store import parse_ref, ref
    from insight.thread import undelete_record

    record_id = parse_ref(kind, record)
    _, store = _open(workspace, db)
    with store:
        undeleted = undelete_record(store, kind, record_id)
    what = {"insight": "links to notes and priorities, quote choices",
            "priority": "links to insights and actions",
            "action": "links to priorities, outcomes, involvement",
            "outcome": ""}[kind]
    said = f"brought back {ref(kind, record_id)}"
    if undeleted.back:
        said += f" and {undeleted.back} of what its deletion took ({what})"
    typer.echo(said)
    if undeleted.stayed_gone:
        typer.secho(
            f"warning: {undeleted.stayed_gone} of its links stay gone: what they linked to "
            "was deleted or erased since", err=True, fg=typer.colors.YELLOW)


def _update(kind: str, record: str, workspace: Path | None, db: str | None,
            **given: str | list[str] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Correct a thread record; returns it as it was and as it is."""
    from insight.store import parse_ref, ref
    from insight.thread import update_record

    values: dict[str, Any] = {
        name: _parse_day(value) if name.endswith("_on") else value
        for name, value in given.items() if value is not None
    }
    ws, store = _open(workspace, db)
    with store:
        record_id = parse_ref(kind, record)
        before = store.get_record(kind, record_id)
        known = ws.load_codebook().names if "categories" in values else None
        after = update_record(store, kind, record_id, known_categories=known, **values)
        typer.echo(f"{ref(kind, record_id)}: updated {', '.join(values)}")
        _warn_small_groups(ws, store, ref(kind, record_id), **{
            name: value for name, value in values.items() if isinstance(value, str)
        })
    return before, after


RecordArg = Annotated[str, typer.Argument(help="The record, e.g. I1, P1, A1 or O1.")]
YesOpt = Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")]
LinkedArg = Annotated[list[str], typer.Argument(help="What was linked by mistake.")]
TitleOpt = Annotated[str | None, typer.Option(help="New title.")]
TextOpt = Annotated[str | None, typer.Option(help="New text.")]
DayOpt = Annotated[str | None, typer.Option(help="A date (YYYY-MM-DD or DD/MM/YYYY).")]


@insights_app.command("unlink")
@handled
def insights_unlink(record: RecordArg, notes: LinkedArg, workspace: WorkspaceOpt = None,
                    db: DbOpt = None) -> None:
    """Take notes off an insight (linked by mistake; audited)."""
    _unlink("insight", record, notes, workspace, db)


@priorities_app.command("unlink")
@handled
def priorities_unlink(record: RecordArg, insights: LinkedArg, workspace: WorkspaceOpt = None,
                      db: DbOpt = None) -> None:
    """Take insights off a priority (linked by mistake; audited)."""
    _unlink("priority", record, insights, workspace, db)


@actions_app.command("unlink")
@handled
def actions_unlink(record: RecordArg, priorities: LinkedArg, workspace: WorkspaceOpt = None,
                   db: DbOpt = None) -> None:
    """Take priorities off an action (linked by mistake; audited)."""
    _unlink("action", record, priorities, workspace, db)


@insights_app.command("delete")
@handled
def insights_delete(record: RecordArg, yes: YesOpt = False, workspace: WorkspaceOpt = None,
                    db: DbOpt = None) -> None:
    """Delete an insight made by mistake, with its links (audited)."""
    _delete("insight", record, yes, workspace, db)


@priorities_app.command("delete")
@handled
def priorities_delete(record: RecordArg, yes: YesOpt = False, workspace: WorkspaceOpt = None,
                      db: DbOpt = None) -> None:
    """Delete a priority made by mistake, with its links (audited)."""
    _delete("priority", record, yes, workspace, db)


@actions_app.command("delete")
@handled
def actions_delete(record: RecordArg, yes: YesOpt = False, workspace: WorkspaceOpt = None,
                   db: DbOpt = None) -> None:
    """Delete an action made by mistake, with its links and outcomes (audited)."""
    _delete("action", record, yes, workspace, db)


def _merge(kind: str, record: str, into: str, workspace: Path | None, db: str | None) -> None:
    from insight.store import parse_ref, ref
    from insight.thread import PLURAL, merge_records

    source, target = parse_ref(kind, record), parse_ref(kind, into)
    _, store = _open(workspace, db)
    with store:
        moved = merge_records(store, kind, source, target)
    said = ", ".join(f"{n} {what if n != 1 else 'priority' if what == 'priorities' else what[:-1]}"
                     for what, n in moved.items())
    typer.echo(f"merged {ref(kind, source)} into {ref(kind, target)}"
               + (f": {said} newly under it" if said else "")
               + f" ({ref(kind, source)} deleted; the audit log keeps it: `insight "
               f"{PLURAL[kind]} undelete {ref(kind, source)}` brings it back, without what "
               "moved)")


IntoOpt = Annotated[str, typer.Option("--into", help="The record to keep, e.g. P1.")]


@insights_app.command("merge")
@handled
def insights_merge(record: RecordArg, into: IntoOpt, workspace: WorkspaceOpt = None,
                   db: DbOpt = None) -> None:
    """Fold an insight into one that says the same (audited).

    Its notes, quote choices and priorities move to the one kept, and it is deleted."""
    _merge("insight", record, into, workspace, db)


@priorities_app.command("merge")
@handled
def priorities_merge(record: RecordArg, into: IntoOpt, workspace: WorkspaceOpt = None,
                     db: DbOpt = None) -> None:
    """Fold a priority into one that says the same (audited).

    Its insights and actions move to the one kept, and it is deleted."""
    _merge("priority", record, into, workspace, db)


@actions_app.command("merge")
@handled
def actions_merge(record: RecordArg, into: IntoOpt, workspace: WorkspaceOpt = None,
                  db: DbOpt = None) -> None:
    """Fold an action into one that says the same (audited).

    Its priorities, outcomes and involvement move to the one kept, and it is deleted."""
    _merge("action", record, into, workspace, db)


@outcomes_app.command("delete")
@handled
def outcomes_delete(record: RecordArg, yes: YesOpt = False, workspace: WorkspaceOpt = None,
                    db: DbOpt = None) -> None:
    """Delete an outcome recorded by mistake (audited)."""
    _delete("outcome", record, yes, workspace, db)


@insights_app.command("undelete")
@handled
def insights_undelete(record: RecordArg, workspace: WorkspaceOpt = None,
                      db: DbOpt = None) -> None:
    """Bring back an insight deleted by mistake, with its links (from the audit log)."""
    _undelete("insight", record, workspace, db)


@priorities_app.command("undelete")
@handled
def priorities_undelete(record: RecordArg, workspace: WorkspaceOpt = None,
                        db: DbOpt = None) -> None:
    """Bring back a priority deleted by mistake, with its links (from the audit log)."""
    _undelete("priority", record, workspace, db)


@actions_app.command("undelete")
@handled
def actions_undelete(record: RecordArg, workspace: WorkspaceOpt = None,
                     db: DbOpt = None) -> None:
    """Bring back an action deleted by mistake, with its links and outcomes (audit log)."""
    _undelete("action", record, workspace, db)


@outcomes_app.command("undelete")
@handled
def outcomes_undelete(record: RecordArg, workspace: WorkspaceOpt = None,
                      db: DbOpt = None) -> None:
    """Bring back an outcome deleted by mistake (from the audit log)."""
    _undelete("outcome", record, workspace, db)


@insights_app.command("update")
@handled
def insights_update(
    record: RecordArg, title: TitleOpt = None, summary: TextOpt = None,
    category: Annotated[list[str] | None, typer.Option(
        help="Category id (repeat): replaces the insight's categories, e.g. after the "
        "codebook renamed or split one; --category none for none.")] = None,
    workspace: WorkspaceOpt = None, db: DbOpt = None,
) -> None:
    """Correct an insight (only the options given change; audited)."""
    if category is not None and "none" in category:
        if len(category) > 1:
            raise typer.BadParameter("--category none means no category: give it alone")
        category = []
    _update("insight", record, workspace, db, title=title, summary=summary,
            categories=category)


@priorities_app.command("update")
@handled
def priorities_update(record: RecordArg, title: TitleOpt = None, description: TextOpt = None,
                      agreed_on: DayOpt = None, workspace: WorkspaceOpt = None,
                      db: DbOpt = None) -> None:
    """Correct a priority (only the options given change; audited)."""
    _update("priority", record, workspace, db, title=title, description=description,
            agreed_on=agreed_on)


@actions_app.command("update")
@handled
def actions_update(
    record: RecordArg,
    title: TitleOpt = None,
    description: TextOpt = None,
    owner: Annotated[str | None, typer.Option(help="Who is responsible.")] = None,
    due_on: Annotated[
        str | None,
        typer.Option("--due-on", "--due", help="Due date (YYYY-MM-DD or DD/MM/YYYY)."),
    ] = None,
    stage: StageOpt = None,
    framework: Annotated[str | None, typer.Option(help="Framework reference.")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Correct an action's details (status has `actions status`; audited)."""
    _update("action", record, workspace, db, title=title, description=description,
            owner=owner, due_on=due_on, stage=stage, framework=framework)


@outcomes_app.command("update")
@handled
def outcomes_update(
    record: RecordArg,
    description: TextOpt = None,
    observed_on: DayOpt = None,
    evidence: Annotated[str | None, typer.Option(help="How we know.")] = None,
    fed_back_on: Annotated[
        str | None, typer.Option(help="When it was fed back to people (marks it fed back).")
    ] = None,
    not_fed_back: Annotated[bool, typer.Option(
        "--not-fed-back", help="It was marked fed back by mistake: not fed back.")] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Correct an outcome, e.g. record that it was fed back to people (audited).

    Changing what an outcome says, or when it was seen, after it was fed back marks it not
    fed back: people heard it as it was, and the correction is still to tell them."""
    from insight.store import parse_ref
    from insight.thread import unmark_fed_back

    if fed_back_on is not None and not fed_back_on.strip():
        raise typer.BadParameter("give the day it was fed back, or --not-fed-back",
                                 param_hint="--fed-back-on")
    if not_fed_back:
        if fed_back_on is not None:
            raise typer.BadParameter("give --fed-back-on or --not-fed-back, not both")
        _, store = _open(workspace, db)
        with store:
            unmark_fed_back(store, parse_ref("outcome", record))
        typer.echo(f"{record.upper()}: marked not fed back")
        if description is None and observed_on is None and evidence is None:
            return
    before, after = _update("outcome", record, workspace, db, description=description,
                            observed_on=observed_on, evidence=evidence, fed_back_on=fed_back_on)
    if before["fed_back"] and not after["fed_back"] and not not_fed_back:
        when = before["fed_back_on"] or "a day not given"
        name = record.strip().upper()
        typer.secho(f"{name} was fed back on {when} as it was before this change: it is now "
                    "marked not fed back; once people have heard the correction, `insight "
                    f"outcomes update {name} --fed-back-on DAY`", err=True,
                    fg=typer.colors.YELLOW)


@app.command()
@handled
def trace(
    record: Annotated[
        str | None,
        typer.Argument(
            help="An action, priority, insight or outcome (A1, P1, I1, O1), a note id, or a "
            "note's reference from a report."
        ),
    ] = None,
    listener: Annotated[str | None, typer.Option(
        "--listener", help="Follow every live note by this listener at once: what their "
        "notes became (note ids only, never their words).")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json (the same facts, "
                                     "every note id).")] = "text",
) -> None:
    """Follow the golden thread from a record, a note or a listener's notes.

    A record (insight, priority, action, outcome) is followed down to its notes and up
    to its actions; a note up to the insights, priorities and actions it supports, what
    came of them (seen, fed back) and the reports that quoted it; --listener does that for
    all of a listener's notes ("you said, we did")."""
    fmt = _one_word(fmt, ("text", "json"), "format", "--format")
    from insight.store import parse_ref, ref_kind
    from insight.thread import load_thread, long_day, trace_listener, trace_note

    if record is None and listener is None:
        raise typer.BadParameter("give a record or a note id (insight trace A1), or a "
                                 "listener's code (insight trace --listener L-01)")
    if record is not None and listener is not None:
        raise typer.BadParameter(f"give {record} or --listener {listener}, not both: trace "
                                 "follows one at a time")
    ws, store = _open(workspace, db)
    with store:
        thread = load_thread(store)
        if listener is not None:
            followed = trace_listener(store, thread, listener)
            if fmt == "json":
                typer.echo(json.dumps(followed, indent=2, default=str))
                return
            whose = f"{followed['listener']}'s"
            outside = followed["notes"] - followed["in_insights"]
            typer.echo(f"listener {followed['listener']}: " + (
                f"{followed['notes']} live notes, {followed['in_insights']} of them evidence "
                f"for an insight" + (f" ({outside} in none yet)" if outside else "")
                if followed["notes"] != 1 else "1 live note, " + (
                    "evidence for an insight" if followed["in_insights"] else "in no insight "
                    "yet")))
            if followed["actions"]:  # "you said, we did" in one line
                behind = followed["behind"]
                count = sum(behind["actions"].values())
                typer.echo(
                    f"their notes stand behind {count} action{'s' if count != 1 else ''} ("
                    + ", ".join(f"{n} {status}" for status, n in behind["actions"].items())
                    + f"); {behind['outcomes']} outcome{'s' if behind['outcomes'] != 1 else ''}"
                    " so far" + _fed_back(behind["outcomes"], behind["fed_back"]))
            lines, cut = _follow_lines(followed, "their")
            typer.echo("\n".join(lines))
            if cut:
                typer.echo("(every note id: -f json)")
            if store.erased_tombstones():  # said, not counted: erasure keeps no listener
                typer.echo(f"(erased notes are not here: erasing a note keeps no record of "
                           f"whose it was, so none is counted among {whose})")
            return
        assert record is not None
        kind = ref_kind(record)
        if kind is not None and store.get_note(record) is None:
            record_id = parse_ref(kind, record)
            records = {"insight": thread.insights, "priority": thread.priorities,
                       "action": thread.actions, "outcome": thread.outcomes}[kind]
            if record_id not in records:
                raise typer.BadParameter(f"no {kind} {record!r}" + _for_reader(
                    _gone_record(store, kind, record_id), ws))
            traced = thread.trace(kind, record_id)
            if fmt == "json":
                typer.echo(json.dumps(traced, indent=2, default=str))
            else:
                typer.echo("\n".join(_trace_lines(thread, kind, record_id, traced)))
            return
        note_id = (  # an erased note's id finds its tombstone: see below
            record if store.get_note(record) is not None
            else thread.note_of_ref(record, store.secret("note-ref"))
        )
        if note_id is None and record.strip().lower().startswith("note-"):
            # a report's reference: mistyped, most likely; else its note has gone
            close = thread.close_note_refs(record, store.secret("note-ref"))
            hint = (f"did you mean {' or '.join(close)}?" if close
                    else "check it is copied in full ('note-' and 12 letters and digits).")
            raise typer.BadParameter(
                f"{record.strip()!r} matches no note: {hint} Otherwise its note was erased "
                "or unlinked from every insight since the report was made.")
        if note_id is None:
            close = store.close_note_id(record)
            hint = f" (did you mean {close!r}?)" if close else ""
            if not close and store.note_ids_for_listener(record):
                hint = (f": {record.strip()!r} is a listener; `insight trace --listener "
                        f"{record.strip()}` follows all of their notes")
            raise typer.BadParameter(f"no note or thread record {record!r}{hint}")
        erased_at = (store.get_note(note_id) or {}).get("erased_at")
        if erased_at:  # its links went with its text: "no action yet" would mislead
            if fmt == "json":
                typer.echo(json.dumps({"note": record, "erased_on": str(erased_at)[:10]},
                                      indent=2))
            else:
                typer.echo(f"note {record} was erased on {str(erased_at)[:10]}: it is no "
                           "longer evidence for any insight, priority or action")
            return
        traced = trace_note(store, thread, note_id)
    if fmt == "json":
        typer.echo(json.dumps(traced, indent=2, default=str))
        return
    typer.echo(f"note {note_id}")
    typer.echo("\n".join(_follow_lines(traced, None)[0]))
    typer.echo("  quoted in: " + ("; ".join(
        f"{r['file']} ({r['audience']} report; written "
        f"{', '.join(long_day(d) for d in r['written'])})" for r in traced["quoted_in"])
        or "no report written so far"))


def _fed_back(outcomes: int, fed_back: int) -> str:
    """", 2 of them fed back to people": how many outcomes people were told of."""
    if not outcomes:
        return ""
    if outcomes == 1:
        return ", fed back to people" if fed_back else ", not yet fed back to people"
    return (f", {fed_back} of them fed back to people" if fed_back
            else ", none of them fed back to people yet")


def _follow_lines(followed: dict[str, Any], whose: str | None) -> tuple[list[str], bool]:
    """Notes followed up the thread (`Thread.follow`), as a person reads it: each insight,
    the priorities it supports, the actions answering them and what came of each, with
    titles, statuses, owners, and when an outcome was seen and fed back. `whose` ("their"):
    each record also says how many of the notes stand behind it, and which (a few ids).
    Returns the lines and whether some note ids were left out."""
    from insight.thread import long_day

    priorities = {p["priority"]: p for p in followed["priorities"]}
    actions = {a["action"]: a for a in followed["actions"]}
    cut = False

    def behind(ids: list[str]) -> str:
        nonlocal cut
        if whose is None:
            return ""
        cut = cut or len(ids) > 6
        shown = ", ".join(ids[:6]) + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")
        return f" ({len(ids)} of {whose} notes: {shown})"

    def action_words(action: dict[str, Any]) -> str:
        said = [action["status"] + (f" since {long_day(action['since'])}"
                                    if action["since"] else "")]
        if action["owner"]:
            said.append(action["owner"])
        if action["reason"]:
            said.append(f"declined because: {action['reason']}")
        return f"{action['action']} {action['title']} [{'; '.join(said)}]"

    def outcome_words(outcome: dict[str, Any]) -> str:
        seen = (f"seen {long_day(outcome['seen_on'])}" if outcome["seen_on"]
                else "day seen not given")
        fed = ("not yet fed back" if not outcome["fed_back"]
               else f"fed back {long_day(outcome['fed_back_on'])}" if outcome["fed_back_on"]
               else "fed back, day not given")
        return f"{outcome['outcome']} {outcome['description']} ({seen}; {fed})"

    lines: list[str] = []
    above: set[str] = set()  # a priority two insights support: its actions said once
    for insight in followed["insights"]:
        lines.append(f"  evidence for {insight['insight']} {insight['title']}"
                     + behind(insight["notes"]))
        if not insight["priorities"]:
            lines.append("    supports no priority yet, so no report shows it")
        for reference in insight["priorities"]:
            priority = priorities[reference]
            if reference in above:
                lines.append(f"    supports {reference} {priority['title']} (as above)")
                continue
            above.add(reference)
            withdrawn = priority["withdrawn"]
            lines.append(f"    supports {reference} {priority['title']}"
                         + (f" [withdrawn {long_day(withdrawn['on'])}: {withdrawn['reason']}]"
                            if withdrawn else "") + behind(priority["notes"]))
            if not priority["actions"]:
                lines.append("      no action yet")
            for answer in priority["actions"]:
                action = actions[answer]
                lines.append(f"      answered by {action_words(action)}"
                             + behind(action["notes"]))
                lines += [f"        outcome {outcome_words(o)}" for o in action["outcomes"]]
                if not action["outcomes"]:
                    lines.append("        no outcome yet")
    if not followed["insights"]:
        lines.append("  evidence for no insight yet")
    return lines, cut


def _gone_record(store: Any, kind: str, record_id: int) -> str:
    """What became of a thread record that is no longer there, from the audit log: merged
    into another (trace that one), or deleted (it can be brought back); "" if never made."""
    from insight.clock import uk_day
    from insight.store import ref
    from insight.thread import PLURAL, long_day

    name = ref(kind, record_id)
    last: dict[str, Any] = {}  # operation -> its latest entry on the record itself
    for entry in store.audit_log(record=name):
        if entry["record_type"] == kind and entry["record_id"] == str(record_id):
            last[entry["operation"]] = entry
    merged, deleted = last.get("merge"), last.get("delete")
    if merged and not (last.get("undelete") and last["undelete"]["id"] > merged["id"]):
        into = (merged["after"] or {}).get("into")
        return (f": it was merged into {into} on {long_day(uk_day(merged['at']))} (`insight "
                f"trace {into}` follows it there)")
    if deleted:
        return (f": it was deleted on {long_day(uk_day(deleted['at']))} (to bring it back: "
                f"`insight {PLURAL[kind]} undelete {name}`)")
    return ""


def _trace_lines(thread: Any, kind: str, record_id: int, traced: dict[str, Any]) -> list[str]:
    """A record's thread as a person reads it: each record with its title (an action's
    status, owner and reason to decline; an outcome's words), notes by id, a few shown."""
    from insight.store import parse_ref
    from insight.thread import long_day

    cut: list[bool] = []  # whether some note ids were left out of a line

    def titled(reference: str) -> str:
        kind_of = {"I": "insight", "P": "priority", "A": "action", "O": "outcome"}[reference[0]]
        found = {"insight": thread.insights, "priority": thread.priorities,
                 "action": thread.actions, "outcome": thread.outcomes}[kind_of][
            parse_ref(kind_of, reference)]
        if kind_of == "outcome":
            fed = "fed back" if found["fed_back"] else "not yet fed back"
            return f"{reference} {found['description']} ({fed})"
        words = f"{reference} {found['title']}"
        withdrawn = thread.withdrawn.get(found["id"]) if kind_of == "priority" else None
        if withdrawn:  # no longer pursued: as every report says it
            words += (f" [withdrawn {long_day(withdrawn['withdrawn_on'])}: "
                      f"{withdrawn['reason']}]")
        if kind_of == "action":
            words += f" [{found['status']}" + (f"; {found['owner']}" if found["owner"] else "")
            words += (f"; declined because: {found['reason']}]"
                      if found["status"] == "declined" and found["reason"] else "]")
        return words

    def notes(ids: list[str]) -> str:
        if len(ids) > 6:
            cut.append(True)
        shown = ", ".join(ids[:6]) + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")
        return f"{len(ids)} note{'s' if len(ids) != 1 else ''}" + (f": {shown}" if ids else "")

    def insight_lines(items: list[dict[str, Any]], indent: str) -> list[str]:
        return [f"{indent}{titled(i['insight'])} ({notes(i['notes'])})" for i in items]

    lines: list[str] = []
    if kind in ("outcome", "action"):
        if kind == "outcome":
            lines.append(titled(traced["outcome"]))
            lines.append(f"  of {titled(traced['action'])}")
            indent = "    "
        else:
            lines.append(titled(traced["action"]))
            indent = "  "
        for priority in traced["priorities"]:
            lines.append(f"{indent}responds to {titled(priority['priority'])}")
            lines += insight_lines(priority["insights"], indent + "  built on ")
        if not traced["priorities"]:
            lines.append(f"{indent}responds to no priority yet")
        if kind == "action":
            if traced["statuses"]:  # since when, as the reports say it
                lines.append("  statuses: " + ", ".join(
                    f"{h['status']} {long_day(h['on'])}" for h in traced["statuses"]))
            lines.append("  outcomes: " + ("; ".join(titled(o) for o in traced["outcomes"])
                                           or "none yet"))
    elif kind == "priority":
        lines.append(titled(traced["priority"]))
        lines += insight_lines(traced["insights"], "  built on ")
        if not traced["insights"]:
            lines.append("  built on no insight yet")
        lines.append("  actions: " + ("; ".join(titled(a) for a in traced["actions"])
                                      or "none yet"))
    else:
        lines.append(f"{titled(traced['insight'])} ({notes(traced['notes'])})")
        lines.append("  supports: " + ("; ".join(titled(p) for p in traced["priorities"])
                                       or "no priority yet, so no report shows it"))
        lines.append("  actions: " + ("; ".join(titled(a) for a in traced["actions"])
                                      or "none yet"))
    if cut:
        lines.append("(every note id: -f json)")
    return lines


# -- safety -------------------------------------------------------------------------------


def _waited(since: datetime, until: datetime) -> str:
    """A wait as a person reads it: hours under two days (a same-day response matters)."""
    hours = max(0.0, (until - since).total_seconds() / 3600)
    if hours < 1:
        return "under 1 h"
    return f"{int(hours)} h" if hours < 48 else f"{int(hours // 24)} days"


def _item_state(item: dict[str, Any]) -> str:
    """An item's state in words: a hand flag withdrawn is not a judgement of the note."""
    if not item["acknowledged_at"]:
        return "open"
    if item["not_a_concern"]:
        return ("withdrawn (raised in error)"
                if str(item["ack_note"] or "").startswith("raised in error:")
                else "judged not a concern")
    return "acknowledged"


def _queue_row(item: dict[str, Any], now: datetime, *, full: bool,
               followups: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    heard = item.get("heard_on")
    return {
        "item": item["id"], "note": item["note_id"], "listener": item.get("listener"),
        "heard_on": heard, "place": item.get("place"),
        # a note entered long after the conversation has waited longer than its item
        "heard_days_ago": (now.date() - heard).days if heard else None,
        "flagged_by": item["flagged_by"], "flagged_at": uk_time(item["flagged_at"]),
        # how long it waited: until now while open, else until a person acknowledged it
        "waiting": _waited(item["flagged_at"], item["acknowledged_at"] or now),
        "reason": item["reason"],
        **({"acknowledged_at": uk_time(item["acknowledged_at"]),
            "acknowledged_by": item["acknowledged_by"],
            "what_was_done": item["ack_note"],
            "state": _item_state(item),
            "follow_ups": len(followups)} if full else {}),
    }


@safeguarding_app.command("list")
@handled
def safeguarding_list(
    all_items: Annotated[bool, typer.Option("--all", help="Include acknowledged items.")] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Notes waiting for a person to act on a safeguarding concern, oldest first.

    Items flagged on the same day come strongest signal first: a person's concern, then
    the model's by its score, then the phrase list's alone.

    `waiting`: since the flag (in hours under two days), or with --all until it was
    acknowledged; `heard_days_ago`: since the conversation, which may be longer. Times are
    UK time (GMT or BST, as named). `insight safeguarding show ITEM` gives one item's whole
    record."""
    from datetime import UTC

    from insight.store import queue_order

    _, store = _open(workspace, db)
    with store:
        items = sorted(store.safeguarding_items(open_only=not all_items, with_note=True),
                       key=queue_order)
        followups = store.safeguarding_followups(i["id"] for i in items) if all_items else {}
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [_queue_row(i, now, full=all_items, followups=followups.get(i["id"], ()))
            for i in items]
    cut = False
    if fmt == "table":  # a terminal's width: the whole reason is one `show` away
        for row in rows:
            if row.get("reason") and len(short := _shortened(row["reason"], 60)) < len(
                    " ".join(row["reason"].split())):
                row["reason"], cut = short, True
    _print_table(rows, fmt)
    if cut:
        typer.echo("reasons cut at 60 characters: `insight safeguarding show ITEM` gives one "
                   "whole, `insight notes show NOTE` the note's words")
    _quarantined_concerns(workspace, db)


def _quarantined_concerns(workspace: Path | None, db: str | None) -> None:
    """Say (on stderr) how many rejected rows raising a concern wait in quarantine: never
    stored, so in no queue, but a safeguarding lead must know of them."""
    ws, rows = _quarantined(workspace, db)
    _say_concerns_waiting(rows, ws)


def _say_concerns_waiting(rows: Sequence[Any], ws: Any) -> None:
    """The red line for quarantined rows raising a concern (`_quarantined_concerns`)."""
    from insight.intake import some_of

    if concerns := [r for r in rows if r.concern and r.state == "to fix"]:
        first = min(r.written for r in concerns if r.written) if any(
            r.written for r in concerns) else None
        # a row quarantined by two ingests of one file (other options) is one row
        places = list(dict.fromkeys(r.where for r in concerns))
        n = len(places)
        _say(ws, f"SAFEGUARDING: {n} rejected row{'s' if n != 1 else ''} raising a "
             f"concern wait{'s' if n == 1 else ''} in quarantine, "
             f"in no queue ({some_of(places, 5)}"
             + (f"; the oldest since {uk_time(first)}" if first else "")
             + "): `insight quarantine show`", err=True, fg=typer.colors.RED)


def _acting_person() -> str:
    """Who records a safeguarding decision: a person, named (`INSIGHT_USER`, else the
    login), never a shared account such as root, which an inspection could not follow."""
    from insight.store import current_actor
    from insight.workspace import names_no_one

    actor = current_actor().strip()
    if names_no_one(actor):
        raise typer.BadParameter(
            f"the safeguarding record names who acted, and {repr(actor) if actor else 'a blank'}"
            " names no one (a role or a shared account may be several people): "
            "set INSIGHT_USER to your name (e.g. `export INSIGHT_USER='Sam Patel'`)")
    return actor


def _queue_item(store: Any, given: str) -> int:
    """A queue item's number from what a person typed: a number, else a note id (said back
    with that note's items, which is what they meant)."""
    text = given.strip().removeprefix("#")
    if text.isdigit():
        return int(text)
    found = store.safeguarding_items(open_only=False, note_id=text)
    if not found:
        if store.get_note(text) is None:
            raise typer.BadParameter(f"give the queue item's number (`insight safeguarding "
                                     f"list`), not {given!r} ({store.no_note(text)})",
                                     param_hint="ITEM")
        raise typer.BadParameter(f"{text} is a note with no safeguarding item; give a queue "
                                 "item's number (`insight safeguarding list`)",
                                 param_hint="ITEM")
    open_ = [str(i["id"]) for i in found if i["acknowledged_at"] is None]
    raise typer.BadParameter(
        f"{text} is a note, not a queue item: its items are "
        f"{', '.join(str(i['id']) for i in found)}"
        + (f" (open: {', '.join(open_)})" if open_ else " (all acknowledged)")
        + "; give the item's number", param_hint="ITEM")


def _on_queue_item(item: str, words: str | None, option: str, workspace: Path | None,
                   db: str | None, act: Callable[[Any, int], Any],
                   asked: str = "say what and why, in a few words") -> tuple[int, Any]:
    """A named person's step on a queue item, with words that say something (`asked`
    otherwise): the item's number and what `act(store, number)` returned."""
    from insight.store import NotFound, says_what_was_done

    _acting_person()
    _, store = _open(workspace, db)
    with store:
        number = _queue_item(store, item)
        # an item that is not there is said first: better words would not help
        if not any(i["id"] == number for i in store.safeguarding_items(open_only=False)):
            raise NotFound(f"no safeguarding item {number} (`insight safeguarding list "
                           "--all` lists them)")
        if not says_what_was_done(words):
            raise typer.BadParameter(asked, param_hint=option)
        return number, act(store, number)


ItemArg = Annotated[str, typer.Argument(help="Queue item number (`insight safeguarding list`).",
                                        show_default=False)]


@safeguarding_app.command("show")
@handled
def safeguarding_show(
    item: ItemArg,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """One queue item's whole record: who raised it and why, what was done, follow-ups.

    Never the note's words: `insight notes show NOTE` (leads) has them."""
    from datetime import UTC

    _, store = _open(workspace, db)
    with store:
        number = _queue_item(store, item)
        found = [i for i in store.safeguarding_items(open_only=False, with_note=True)
                 if i["id"] == number]
        if not found:
            from insight.store import NotFound

            raise NotFound(f"no safeguarding item {number}")
        followups = store.safeguarding_followups([number]).get(number, [])
    now = datetime.now(UTC).replace(tzinfo=None)
    row = _queue_row(found[0], now, full=True, followups=followups)
    row["follow_ups"] = [{"at": uk_time(f["at"]), "by": f["author"], "note": f["note"]}
                         for f in followups]
    if fmt != "table":
        _print_table([row], fmt)
        return
    state = _item_state(found[0])
    typer.secho(f"item {number}: note {row['note']}, {state}", bold=True)
    for key, value in row.items():
        if key in ("item", "note", "follow_ups", "state") or value in (None, ""):
            continue
        typer.echo(f"  {key}: {value}")
    for f in row["follow_ups"]:
        typer.echo(f"  follow-up {f['at']} by {f['by']}: {f['note']}")


@safeguarding_app.command("add")
@handled
def safeguarding_add(
    note_id: Annotated[str, typer.Argument(help="The note that raises a concern.")],
    reason: Annotated[str, typer.Option(help="Why, in a few words (kept in the queue and "
                                        "the audit log).")],
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Route a note to the safeguarding queue by hand (a concern the flag missed).

    The note is never quoted from then on, even where a lead pinned it. If a person's item
    for it is open already, the reason is added to that item as a follow-up."""
    if not reason.strip():
        raise typer.BadParameter("say why in a few words", param_hint="--reason")
    _acting_person()
    from insight.store import DISMISSIBLE

    _, store = _open(workspace, db)
    with store:
        added = store.flag_safeguarding(note_id, reason=f"raised by a person: {reason.strip()}",
                                        again=True)
        items = store.safeguarding_items(open_only=True, note_id=note_id)
        if not added:  # flag_safeguarding adds unless an item a person raised is open
            held = next(i for i in items if not i["flagged_by"].startswith(DISMISSIBLE))
            store.add_safeguarding_followup(held["id"], f"raised again by a person: "
                                            f"{reason.strip()}")
    if not added:
        typer.echo(f"{note_id} is already in the queue as item {held['id']} (open, raised "
                   f"by {held['flagged_by']}): your reason is added to it as a follow-up; the "
                   "note is not quoted")
        return
    also = [i["id"] for i in items[:-1]]
    typer.echo(f"{note_id} routed to the safeguarding queue as item {items[-1]['id']}; it will "
               "not be quoted in any report"
               + (f" (item {', '.join(map(str, also))}, raised by the flag, is open too; "
                  "judging that one a false alarm leaves this one open)" if also else ""))


@safeguarding_app.command("ack")
@handled
def safeguarding_ack(
    item: ItemArg,
    note: Annotated[str | None, typer.Option(
        help="What was done (required: the record of how the concern was handled).")] = None,
    not_a_concern: Annotated[bool, typer.Option(
        "--not-a-concern", help="A false alarm of the model or the phrase list (say why "
        "with --note): the note then counts as raising no concern and may be quoted.")] = False,
    raised_in_error: Annotated[bool, typer.Option(
        "--raised-in-error", help="An item a person raised by hand on the wrong note (say "
        "why with --note): withdrawn, and kept in the history.")] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Acknowledge a safeguarding item, saying what was done (who and when are recorded).

    An item the model or the phrase list raised may be judged not a concern: a note flagged
    only by false alarms is then counted and quoted like any other. An item a person raised
    (the listener's, or `safeguarding add`) is only acknowledged, or, if added to the
    wrong note, withdrawn as raised in error. What happens later: `insight safeguarding
    follow-up ITEM`."""
    if not_a_concern and raised_in_error:
        raise typer.BadParameter("give one of --not-a-concern and --raised-in-error")

    def acknowledge(store: Any, number: int) -> tuple[dict[str, Any], set[str], list[int]]:
        row = store.acknowledge_safeguarding(number, note, not_a_concern=not_a_concern,
                                             raised_in_error=raised_in_error)
        return (row, store.safeguarding_state()[0],
                [i["id"] for i in store.safeguarding_items(note_id=row["note_id"])])

    number, (row, concerns, still) = _on_queue_item(
        item, note, "--note", workspace, db, acknowledge,
        asked="say what was done, in a few words: it is the record of how the concern was "
              "handled")
    if not_a_concern or raised_in_error:
        judged = "judged not a concern" if not_a_concern else "withdrawn as raised in error"
        typer.echo(f"item {number} {judged} by {row['acknowledged_by']}; note "
                   + (f"{row['note_id']} still raises a concern (item "
                      f"{', '.join(map(str, still)) or 'of a person'}): it is not quoted"
                      if row["note_id"] in concerns else
                      f"{row['note_id']} counts as raising no concern"))
        return
    typer.echo(f"item {number} acknowledged by {row['acknowledged_by']} at "
               f"{uk_time(row['acknowledged_at'])}; later steps: `insight safeguarding "
               f"follow-up {number} --note ...`")


@safeguarding_app.command("reopen")
@handled
def safeguarding_reopen(
    item: ItemArg,
    reason: Annotated[str, typer.Option(help="Why it is opened again, in a few words.")],
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Open again an item closed by mistake (acknowledged, judged not a concern, withdrawn).

    The closing is kept as a follow-up and in the audit log; the item keeps its number and
    the time it was first flagged, so its wait counts from then."""
    number, _ = _on_queue_item(item, reason, "--reason", workspace, db,
                               lambda store, n: store.reopen_safeguarding(n, reason))
    typer.echo(f"item {number} is open again; its closing is kept as a follow-up "
               f"(`insight safeguarding show {number}`)")


@safeguarding_app.command("follow-up")
@handled
def safeguarding_follow_up(
    item: ItemArg,
    note: Annotated[str, typer.Option(help="What was done or learned, in a few words.")],
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Add a dated note of what was done to a queue item, open or acknowledged.

    For a referral's outcome or a call back. Audited; `insight safeguarding show ITEM`
    lists them."""
    number, added = _on_queue_item(item, note, "--note", workspace, db,
                                   lambda store, n: store.add_safeguarding_followup(n, note))
    typer.echo(f"follow-up added to item {number} by {added['author']} at {uk_time(added['at'])}")


@app.command("audit")
@handled
def audit_log(
    record: Annotated[str | None, typer.Option(help="A note id or a ref such as P1.")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the last N entries.")] = None,
    words: Annotated[list[str] | None, typer.Option(
        "--words", help="Only entries whose before or after holds these words, in any case, "
        "or a number however spaced (repeat: all of them); for a person asking what is held "
        "about them.")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Who changed what, when, with before and after (-f json shows them).

    Every format names records as elsewhere (A2, P4 -> I6, a note's id); the table says
    what an update changed (`status: declined -> agreed`); a note's words are never
    shown, only that they changed."""
    from insight.store import NotFound, audit_change, audit_record, holds_searched, ref_kind

    _, store = _open(workspace, db)
    with store:
        rows = store.audit_log(record, None if words else limit)
        if words:  # a reason typed by hand, a place or a listener corrected, a dismissed row
            # (a number however spaced: "07700900123" finds "07700 900123")
            rows = [r for r in rows if holds_searched(json.dumps(
                [r["before"], r["after"]], ensure_ascii=False, default=str), words)]
            rows = rows[-limit:] if limit else rows
        if record and not rows and not words:  # nothing ever happened to it: it never existed
            if ref_kind(record) is not None:
                raise NotFound(f"no record {record!r} (the audit log keeps deleted ones)")
            # "Z9" looks like a record's reference, not a note id, unless one is close to it
            if re.fullmatch(r"[A-Za-z]\d+", record.strip()) and not store.close_note_id(record):
                raise NotFound(f"no record {record!r}: a record is I, P, A or O and its number "
                               "(e.g. P1), and no note has that id")
            raise store.no_note(record)
        # a note's words are also in the reports that quoted it and the backups and files
        # to fix written since it was stored: named, for a subject access request
        held: list[str] = []
        if record and ref_kind(record) is None and fmt == "table":
            if quoted := store.reports_quoting([record]):
                held.append("its words are quoted in: " + "; ".join(
                    f"{r['file']} ({r['audience']}; written {', '.join(r['dates'])})"
                    for r in quoted))
            if copies := _copies_since(store, [record], one=True):
                held.append(copies)
    # every format names a record as the rest of the tool does (A2, P4 -> I6, a note's
    # id), the one `insight trace` and `--record` take, not the database's number
    if fmt == "table":
        rows = [{**{k: v for k, v in r.items() if k not in ("before", "after", "record_id")},
                 # the time as the queue gives it, with its zone
                 "at": uk_time(r["at"], seconds=True),
                 "record": audit_record(r["record_type"], r["record_id"]),
                 "change": audit_change(r)} for r in rows]
    else:  # csv: before and after as JSON, which a program reads back (not Python's repr)
        rows = [{**{("record" if k == "record_id" else k): v for k, v in r.items()},
                 "record": audit_record(r["record_type"], r["record_id"]),
                 **({k: None if r[k] is None else json.dumps(r[k], ensure_ascii=False, default=str)
                     for k in ("before", "after")} if fmt == "csv" else {})} for r in rows]
    _print_table(rows, fmt)
    if fmt == "table":
        for line in held:
            typer.echo(line)


@app.command()
@handled
def erase(
    note: Annotated[list[str] | None, typer.Option(help="Note id to erase (repeat).")] = None,
    listener: Annotated[str | None, typer.Option(
        help="Erase every note by this listener, and their rows in quarantine.")] = None,
    heard_before: Annotated[str | None, typer.Option(
        help="Erase every note heard before this day (YYYY-MM-DD or DD/MM/YYYY): the "
             "retention period's end. Notes with no date are not included.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (kept in the audit log).")] = None,
    force: Annotated[
        bool,
        typer.Option(help="Erase even notes whose safeguarding items are still open."),
    ] = False,
    yes: Annotated[bool, typer.Option(
        "--yes", help="Do not ask before erasing several notes or a listener's.")] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Erase note text and identifying fields, keeping an audited tombstone.

    Erasing several notes, or all of a listener's, asks first (--yes does not)."""
    from insight.quarantine import dismiss, read_quarantine, review, scrub
    from insight.redact import redact
    from insight.store import StoreError
    from insight.workspace import RegisterError

    if not note and not listener and not heard_before:
        raise typer.BadParameter("give --note ID, --listener ID or --heard-before DAY")
    before_day = _parse_day(heard_before) if heard_before else None
    ws, store = _open(workspace, db)
    # a listener's rows that never became notes are theirs too; one raising a safeguarding
    # concern nobody has dealt with stays (it is in no queue): `quarantine dismiss` asks
    listener_rows: list[Any] = []
    concern_rows: list[Any] = []
    dismissed = 0
    with store:
        ids = list(note or [])
        if before_day is not None:
            ids += store.note_ids_heard_before(before_day)
        if listener:
            by_listener = store.note_ids_for_listener(listener)
            for r in review(read_quarantine(ws.quarantine_dir), store):
                if r.row is not None and r.by_listener(listener):
                    (concern_rows if r.concern and r.state == "to fix"
                     else listener_rows).append(r)
            if not by_listener and not listener_rows and not concern_rows:
                # a typo must not look like a done erasure
                close = store.close_listeners(listener)
                hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
                raise typer.BadParameter(
                    f"no live notes by listener {listener!r} (erased notes keep no listener, "
                    f"so a finished erasure finds none){hint}",
                    param_hint="--listener",
                )
            ids += by_listener
        found = {i: store.get_note(i) for i in ids}
        missing = [i for i in note or [] if found.get(i) is None]
        if missing:
            close = [c for c in map(store.close_note_id, missing) if c]
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise typer.BadParameter(f"no such note(s): {', '.join(missing)}{hint}")
        open_items = [i for i in store.safeguarding_items() if i["note_id"] in found]
        if open_items and not force:  # a rule, not a usage mistake: exit 1
            items = ("has an open safeguarding item" if len(open_items) == 1
                     else "have open safeguarding items")
            raise StoreError(
                f"{len(open_items)} of these notes {items} (queue "
                f"{', '.join(str(i['id']) for i in open_items[:10])}): once erased nobody can "
                "read them to act. Deal with them first (`insight safeguarding list`, then "
                "`ack`), or erase anyway with --force"
            )
        if open_items:  # --force: the override is a record of its own, by a named person
            _acting_person()
            store.record_event("override", "safeguarding",
                               ", ".join(str(i["id"]) for i in open_items),
                               {"open_items": [i["id"] for i in open_items],
                                "reason": reason, "notes": len(found)})
        with_items = {i["note_id"] for i in store.safeguarding_items(open_only=False)
                      if i["note_id"] in found and not found[i["note_id"]]["erased_at"]}
        already = [i for i, n in found.items() if n and n["erased_at"]]
        texts = {n["text"] for n in found.values() if n and n["text"]}
        live = len(found) - len(already)
        if not live and before_day is not None and not note and not listener:
            typer.echo(f"no live notes heard before {before_day}: nothing erased")
            return
        rows_too = (f" and {len(listener_rows)} quarantined row"
                    f"{'s' if len(listener_rows) != 1 else ''} never stored" if listener_rows
                    else "")
        if (listener or before_day or live > 1) and not yes and not typer.confirm(
                f"Erase {live} note{'s' if live != 1 else ''}{rows_too}"
                + (f" by listener {listener!r}" if listener else "")
                + (f" heard before {before_day}" if before_day else "")
                + " for good? Their text cannot be brought back"):
            raise typer.Exit(1)
        quoted_in = store.reports_quoting(ids)
        copies = _copies_since(store, [i for i in ids if found.get(i)])
        unregistered: RegisterError | None = None
        try:  # the workspace keeps a register of erasures outside the database, for restores
            erased = ws.erase_notes(store, ids, reason=reason)
        except RegisterError as exc:  # erased all the same: said once the rest is done
            erased, unregistered = exc.erased, exc
        purged = store.purge_erased()
        if listener_rows:  # as `quarantine dismiss`: the same row in a later export too
            dismissed = dismiss(listener_rows, store)
            store.record_event("erase", "quarantine-rows", ws.quarantine_dir.name,
                               {"rows_never_stored_removed": dismissed, "reason": reason and
                                redact(reason).text})
    scrubbed = scrub(ws.quarantine_dir, set(ids), texts)
    typer.echo(f"erased {erased} note{'s' if erased != 1 else ''}"
               + (f"; {len(already)} already erased" if already else "")
               + (f"; blanked {scrubbed} quarantined row{'s' if scrubbed != 1 else ''} of them"
                  if scrubbed else "")
               + (f"; removed {dismissed} quarantined row{'s' if dismissed != 1 else ''} by "
                  "this listener (and the same rows in later exports)" if dismissed else ""))
    if concern_rows:
        places = ", ".join(dict.fromkeys(r.where for r in concern_rows))
        typer.secho(f"SAFEGUARDING: kept {len(concern_rows)} quarantined row"
                    f"{'s' if len(concern_rows) != 1 else ''} by this listener raising a "
                    f"concern, in no queue ({places}): once a person has dealt with each, "
                    "`insight quarantine dismiss FILE LINE --concern-handled '...'`",
                    err=True, fg=typer.colors.RED)
    if not purged:
        typer.secho("warning: another program has the database open, so the erased words "
                    "stay in its journal file until that program closes (or until the next "
                    "`insight erase`)", err=True, fg=typer.colors.YELLOW)
    if open_items and erased:
        typer.secho(f"SAFEGUARDING: {len(open_items)} queue item(s) stay open against erased "
                    f"notes (queue {', '.join(str(i['id']) for i in open_items[:10])}): "
                    "acknowledge each once dealt with; erasing with them open is in the "
                    "audit log", err=True, fg=typer.colors.RED)
    if with_items and erased:
        typer.echo(f"{len(with_items)} of these notes had items in the safeguarding queue: their "
                   "queue records (who raised what, when, what was done, follow-ups) are "
                   "kept, as safeguarding records, without the notes' words")
    if erased:
        typer.echo("reports, exports and backups written before now still hold these notes: "
                   "delete or replace them (`insight restore` erases them again from a backup)")
        if copies:
            typer.secho(copies, err=True, fg=typer.colors.YELLOW)
    if erased and quoted_in:
        typer.secho(_quoted_in(quoted_in, "their words"), err=True, fg=typer.colors.YELLOW)
    if unregistered is not None:
        typer.secho(f"error: {unregistered}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1)


def _copies_since(store: Any, note_ids: Sequence[str], one: bool = False) -> str | None:
    """The backups and files to fix written since the first of these notes was stored
    (`Store.copies_written`), which hold its words: a person asking what is held, or to
    be erased, must hear of them by name."""
    stored = [n["created_at"] for n in map(store.get_note, note_ids) if n]
    if not stored:
        return None
    copies = store.copies_written(min(stored))
    if not copies:
        return None
    kinds = {"backup": "backup", "export": "file to fix"}
    return (f"backups and files to fix written since {'it was' if one else 'these were'} "
            f"stored, which hold {'its' if one else 'their'} words until deleted: " + "; ".join(
        f"{kinds.get(c['kind'], c['kind'])} {c['file']} ({uk_time(c['at'])})"
        for c in copies[-10:]) + (f" and {len(copies) - 10} earlier" if len(copies) > 10
                                 else ""))


def _quoted_in(reports: list[dict[str, Any]], what: str) -> str:
    """Which report files written before quote the notes (`Store.reports_quoting`), for a
    person to write again and replace the copies given out."""
    listed = [f"{r['file']} ({r['audience']}; written {', '.join(r['dates'])})"
              for r in reports]
    return (f"warning: {len(reports)} report file{'s' if len(reports) != 1 else ''} written "
            f"before quote{'s' if len(reports) == 1 else ''} {what}: {'; '.join(listed)}. "
            "Write them again and replace the copies you gave out")


@app.command()
@handled
def backup(
    out: Annotated[Path, typer.Option("--out", "-o", help="The .zip to write.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Back up a workspace (SQLite): settings, database, model, quarantine in one .zip.

    The erasure register goes with them. Safe while other commands run. Restore it with
    `insight restore`, which erases again the notes erased after the backup was made
    (unzipping by hand would bring them back)."""
    if out.suffix.lower() != ".zip":
        raise typer.BadParameter("give a .zip file name", param_hint="--out")
    _check_out(out)
    ws, store = _open(workspace)
    if out.resolve().is_relative_to(ws.path.resolve()):
        raise typer.BadParameter("write the backup outside the workspace folder",
                                 param_hint="--out")
    with store:
        files = ws.backup(store, out)
        # a person asking what is held, or to be erased, is in every backup since
        store.record_event("backup", "workspace", str(out.resolve()), {"files": files})
    typer.echo(f"backed up {ws.path} to {out} (the database and {files} other files); it "
               "holds notes' words: keep it as safe as the workspace")


@app.command()
@handled
def restore(
    backup_zip: Annotated[Path, typer.Argument(
        metavar="BACKUP", help="A .zip written by `insight backup`.")],
    yes: Annotated[bool, typer.Option(
        "--yes", help="Replace an existing workspace without asking.")] = False,
    erasures: Annotated[list[Path] | None, typer.Option(
        help="Another workspace's erasures.jsonl to apply too (repeat), e.g. the live "
             "workspace's when restoring a copy into a new folder.")] = None,
    workspace_lost: Annotated[bool, typer.Option(
        "--workspace-lost", help="Into a new folder: the workspace the backup came from is "
        "gone, so there is no later erasure register to give with --erasures.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Restore a workspace (SQLite) from a backup, erasing again notes erased since.

    Restores into a new or empty folder, or replaces a workspace: its files are moved aside
    whole, to NAME.before-restore-TIME beside it (asked first; --yes does not). A folder
    with other things in it is refused. Every erasure in the erasure register (the
    backup's and the replaced workspace's) is applied again before the restored workspace
    is moved into place, so an interrupted restore leaves the workspace as it was.
    Restoring into a new folder needs --erasures with the register of the workspace the
    backup came from (erasures made there since are applied), or --workspace-lost."""
    import zipfile

    from insight.restore import restore_workspace
    from insight.workspace import CONFIG_NAME, resolve_workspace_path

    if not backup_zip.is_file():
        raise typer.BadParameter(f"no file {backup_zip}", param_hint="BACKUP")
    target = resolve_workspace_path(workspace).absolute()
    if backup_zip.resolve().is_relative_to(target.resolve()) and target.exists() and not \
            (target / CONFIG_NAME).is_file():
        raise typer.BadParameter("the backup is inside the folder to restore into: move it "
                                 "out first, or restore into another folder",
                                 param_hint="BACKUP")
    replace = (target / CONFIG_NAME).is_file()
    if not replace and not erasures and not workspace_lost:
        # a right to erasure must not be undone by a copy: the backup's register stops at
        # the day it was made, and only the workspace it came from knows what was erased since
        raise typer.BadParameter(
            "restoring into a new folder: give the erasure register of the workspace this "
            "backup came from (--erasures WORKSPACE/erasures.jsonl), so notes erased since the "
            "backup stay erased; if that workspace is gone, say so with --workspace-lost",
            param_hint="--erasures")
    if replace and not yes and not typer.confirm(
            f"Replace the workspace at {target} with the backup? Its files are moved aside "
            "beside it, not deleted"):
        typer.echo("nothing restored")
        raise typer.Exit(1)
    try:
        done = restore_workspace(backup_zip, target, replace=replace,
                                 registers=tuple(erasures or ()))
    except zipfile.BadZipFile:
        raise typer.BadParameter(f"{backup_zip} is not a zip made by `insight backup`",
                                 param_hint="BACKUP") from None
    typer.echo(f"restored {backup_zip} into {done.path}")
    if done.aside is not None:
        typer.echo(f"the workspace as it was is kept in {done.aside}: delete it once the "
                   "restore is checked (it holds notes' words)")
    n = done.erased_again
    typer.echo(f"erased again {n} note{'s' if n != 1 else ''} erased after the backup was made "
               f"({done.registered} erasure{'s' if done.registered != 1 else ''} in the "
               "register)" + (f"; blanked {done.scrubbed} quarantined row"
                              f"{'s' if done.scrubbed != 1 else ''} of erased notes"
                              if done.scrubbed else ""))
    if done.carried:
        typer.echo(f"kept {done.carried} record{'s' if done.carried != 1 else ''} of reports "
                   "written and erasures made since the backup (from the replaced workspace's "
                   "audit log), so withdrawing consent still names every report that quotes "
                   "the note")
    if done.safeguarding_carried:
        typer.echo(f"kept {done.safeguarding_carried} safeguarding record"
                   f"{'s' if done.safeguarding_carried != 1 else ''} made since the backup "
                   "(items raised, acknowledged, judged or followed up): a restore never undoes "
                   "safeguarding work")
    if done.safeguarding_notes:
        typer.secho(f"SAFEGUARDING: {len(done.safeguarding_notes)} note(s) ingested after the "
                    "backup raised safeguarding concerns: kept with their queue items ("
                    f"{', '.join(done.safeguarding_notes[:10])}"
                    + (" and more" if len(done.safeguarding_notes) > 10 else "")
                    + "); the backup's other later notes are not in it: ingest those files "
                    "again, then `insight tag`", err=True, fg=typer.colors.YELLOW)
    if done.kept_erased:
        typer.echo(f"kept erased {done.kept_erased} note{'s' if done.kept_erased != 1 else ''} "
                   "erased after the backup was made that it did not hold: ingesting a file "
                   "that still has them says \"erased, not restored\"")
    if done.consent_kept:
        typer.echo(f"withdrew again consent on {done.consent_kept} note"
                   f"{'s' if done.consent_kept != 1 else ''}, withdrawn after the backup was "
                   "made (`insight notes consent` if a person has given it back since)")
    if done.quarantine_carried:
        typer.echo(f"kept {done.quarantine_carried} quarantine file"
                   f"{'s' if done.quarantine_carried != 1 else ''} written since the backup")
    if done.aside is None:
        typer.secho("warning: no workspace was replaced, so safeguarding work done since the "
                    "backup was made (items, acknowledgements, follow-ups) is not in this one: "
                    "check `insight safeguarding list --all` against your records",
                    err=True, fg=typer.colors.YELLOW)
    if done.not_carried:
        typer.secho("warning: the replaced workspace is not the one the backup was made of "
                    "(another key): its records of reports written were not kept, so an "
                    "erasure or a withdrawn consent cannot name reports it wrote",
                    err=True, fg=typer.colors.YELLOW)
    if done.unmatched:
        typer.secho("warning: the register lists erasures but neither the backup nor a "
                    "replaced workspace has the key to match them, so notes erased after the "
                    "backup was made may be back: erase them again by id", err=True,
                    fg=typer.colors.YELLOW)
    if done.aside is None and not erasures:
        typer.echo("only the backup's own erasure register was applied (--workspace-lost): "
                   "notes erased after the backup was made may be back; `insight audit` in "
                   "this workspace lists no erasure made after it")
    if done.unreadable:
        typer.secho(f"warning: {done.unreadable} line(s) of the erasure register could not be "
                    "read and were left out", err=True, fg=typer.colors.YELLOW)
    if not done.purged:
        typer.secho("warning: another program has the restored database open, so erased "
                    "words stay in its journal until it closes", err=True,
                    fg=typer.colors.YELLOW)


@app.command()
@handled
def redact(
    file: Annotated[Path, typer.Argument(help="CSV, JSONL or .xlsx with id and text.")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="JSONL to write ('-': standard output).")],
    id_col: Annotated[str, typer.Option(help="Id column.")] = "id",
    text_col: Annotated[str, typer.Option(help="Text column.")] = "text",
    force: Annotated[bool, typer.Option(
        "--force", help="Replace --out even if it is not this command's earlier output.")] = False,
) -> None:
    """Remove personal details from text: names, contact details, identifiers.

    Names, phone numbers, emails, NHS and NI numbers, postcodes, addresses, dates of
    birth, school names, social media handles and vehicle registrations. A row that cannot
    be read keeps its place: a line with no text and an error field saying why.

    A row whose person did not agree to their words being kept (a column such as "Keep
    their words?" saying no, read as ingest reads it) is left out: nothing of it is
    written, and its line is named on stderr (in red if it raises a safeguarding
    concern)."""
    _check_jsonl_out(out, file, force, ("id", "text", "spans"))
    _check_given(file)

    from insight.redact import redact_many

    errors: dict[int, str] = {}
    ids, texts, left_out = _read_texts_warned(file, id_col, text_col, errors, out)
    with _jsonl_writer(out) as writer:
        for i, (note_id, result) in enumerate(zip(ids, redact_many(texts), strict=True)):
            writer.write(
                {
                    "id": note_id,
                    "text": result.text,
                    "spans": [{"start": s.start, "end": s.end, "type": s.type}
                              for s in result.spans],
                    **({"error": errors[i]} if i in errors else {}),
                }
            )
    _left_out_done(f"redacted {len(ids)} row{'s' if len(ids) != 1 else ''} -> {out}",
                   left_out, out)


# -- quarantine ------------------------------------------------------------------------


def _quarantined(workspace: Path | None, db: str | None):
    """The workspace's quarantined rows, each with its state."""
    from insight.quarantine import read_quarantine, review

    ws, store = _open(workspace, db)
    with store:
        return ws, review(read_quarantine(ws.quarantine_dir), store)


@quarantine_app.command("list")
@handled
def quarantine_list(
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Each quarantine file: its rows, how many are still to fix, and their problems.

    A row is stored once a note has its words (fixed and ingested again, or a duplicate);
    repeated when a later export brought the same row back, or the same file was ingested
    again with other options (counted once, at its latest)."""
    from insight.quarantine import DONE, STATES, problem_kind

    ws, rows = _quarantined(workspace, db)
    column = {state: "unreadable_file" if state == "file" else state.replace(" ", "_")
              for state in STATES}
    files: dict[Path, dict[str, Any]] = {}
    for r in rows:
        entry = files.setdefault(r.path, {
            "quarantine_file": r.path.name, "from": Path(r.source).name,
            "written": uk_time(r.written), "rows": 0, **dict.fromkeys(column.values(), 0),
            "safeguarding_concerns": 0})
        entry["rows"] += 1
        entry[column[r.state]] += 1
        entry["safeguarding_concerns"] += int(r.concern and r.state == "to fix")
    _print_table(list(files.values()), fmt)
    _say_concerns_waiting(rows, ws)
    if fmt != "table" or not rows:
        if fmt == "table":
            typer.echo(f"nothing in quarantine ({ws.quarantine_dir})")
        return
    to_fix = [r for r in rows if r.state == "to fix"]
    typer.echo(f"\n{len(to_fix)} row{'s' if len(to_fix) != 1 else ''} still to fix"
               + (f"; {older} older cop{'ies' if older != 1 else 'y'} of them in earlier "
                  "files" if (older := sum(r.state == "repeated" for r in rows)) else ""))
    kinds = Counter(problem_kind(r.reason) for r in to_fix)
    for kind, count in kinds.most_common():
        typer.echo(f"  {count:>5}  {kind}")
    if to_fix:
        _say(ws, "to read them: `insight quarantine show`; to fix them: `insight quarantine "
             "export --out rows-to-fix.xlsx` (a file to correct and ingest again)")
    if to_fix:
        _say(ws, "a row that will never be a note (an empty form, a test answer): "
             "`insight quarantine dismiss FILE LINE`")
    if any(r.state in DONE for r in rows):
        _say(ws, f"to remove the rows that need nothing more ({', '.join(DONE)}): "
             "`insight quarantine clear`")


def _shortened(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


@quarantine_app.command("show")
@handled
def quarantine_show(
    all_rows: Annotated[bool, typer.Option(
        "--all", help="Every row, with its state, not only those still to fix.")] = False,
    full: Annotated[bool, typer.Option(
        "--full", help="Show each note's words whole (by default cut to 80 characters).")
    ] = False,
    words: Annotated[list[str] | None, typer.Option(
        "--words", help="Only rows holding these words, in any cell and any case, or a "
        "number however spaced (repeat: all of them); for a person asking what is held "
        "about them.")] = None,
    listener: Annotated[str | None, typer.Option(
        help="Only rows naming this listener.")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """The rows still to fix: where each came from, what is wrong, and its cells."""
    _, rows = _quarantined(workspace, db)
    shown = rows if all_rows else [r for r in rows if r.state == "to fix"]
    searched = len(shown)
    if words:
        shown = [r for r in shown if r.holds_words(words)]
    if listener:
        shown = [r for r in shown if r.by_listener(listener)]
    if (words or listener) and not shown and fmt == "table":
        typer.echo(f"no rows match ({searched} row{'s' if searched != 1 else ''} "
                   + ("searched)" if all_rows or searched == len(rows) else
                      "to fix searched; `--all` searches the rows stored or repeated too)"))
        return
    if fmt != "table":
        _print_table([
            {"from": r.source, "line": r.line, "state": r.state, "problem": r.reason,
             "safeguarding_concern": r.concern,
             "quarantined": uk_time(r.written), "earlier_copies": r.earlier,
             "row": r.row if full or not isinstance(r.row, dict) else
             {k: _shortened(v) if k == "text" and isinstance(v, str) else v
              for k, v in r.row.items()}}
            for r in shown], fmt)
        return
    if not shown:
        typer.echo("no rows to fix" + ("" if all_rows or not rows else
                                       " (`--all` shows the rest)"))
        return
    for r in shown:
        if r.concern and r.state == "to fix":
            typer.secho("SAFEGUARDING CONCERN: not in the queue until stored; read it now",
                        fg=typer.colors.RED, bold=True)
        typer.secho(f"{r.where}" + (f" [{r.state}]" if all_rows else "")
                    + f"  (quarantined {uk_time(r.written)}"
                    + (f"; also in {r.earlier} earlier file{'s' if r.earlier != 1 else ''}"
                       if r.earlier else "") + ")", bold=True)
        typer.echo(f"  problem: {r.reason}")
        if isinstance(r.row, dict):
            for key, value in r.row.items():
                if value in (None, "") or key in ("text", "problem"):  # problem: shown above
                    continue
                typer.echo(f"  {key}: {value}")
            if r.text is not None:
                typer.echo(f"  text: {r.text if full else _shortened(r.text)}")
        elif r.row is not None:
            typer.echo(f"  the line as read: {r.row if full else _shortened(str(r.row))}")
        if r.left_out:
            typer.echo(f"  left out (personal columns): {', '.join(r.left_out)}")


@quarantine_app.command("export")
@handled
def quarantine_export(
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="File to write: .xlsx (cells kept as text) or .jsonl.")],
    force: Annotated[bool, typer.Option(
        "--force", help="Replace the file if it exists (corrections made in it are lost).")
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Write the rows still to fix to a file: correct them, then ingest the file again.

    Each row keeps its cells, with its problem and where it came from in two more columns
    that ingest reads past. The file holds notes' words: keep it as safe as the notes."""
    from insight.intake import some_of
    from insight.quarantine import EXPORT_SUFFIXES, export, workbook_misfits
    from insight.sheets import CELL_LIMIT

    if out.suffix.lower() not in EXPORT_SUFFIXES:
        raise typer.BadParameter(f"give a {' or '.join(EXPORT_SUFFIXES)} file name",
                                 param_hint="--out")
    _check_out(out)
    if out.exists() and not force:  # it may hold corrections a person has not ingested yet
        raise typer.BadParameter(f"{out} exists, and may hold corrections not ingested yet: "
                                 "ingest it first, or give another name, or --force",
                                 param_hint="--out")
    _, rows = _quarantined(workspace, db)
    to_fix = [r for r in rows if r.state == "to fix"]
    if not to_fix:
        typer.echo("no rows to fix; nothing written")
        return
    misfits = workbook_misfits(to_fix) if out.suffix.lower() == ".xlsx" else []
    written = export(to_fix, out)
    if misfits:  # never cut short in a cell: left out, named, and still to fix
        one = len(misfits) == 1
        typer.secho(
            f"warning: {len(misfits)} row{'' if one else 's'} left out of the workbook, as "
            f"{'it holds' if one else 'each holds'} a cell longer than a workbook cell holds "
            f"({CELL_LIMIT:,} characters: a spreadsheet keeps only the start) or with a "
            "control character: "
            + some_of([f"{r.where} ({', '.join(cols)})" for r, cols in misfits], 10, "; ")
            + f". {'It stays' if one else 'They stay'} to fix: `insight quarantine export "
            f"--out {out.with_suffix('.jsonl').name}` writes every row to fix whole",
            err=True, fg=typer.colors.YELLOW)
    if not written:
        typer.echo("no row to fix fits a workbook; nothing written")
        raise typer.Exit(1)
    _, store = _open(workspace, db)
    with store:  # it holds rows' words: a subject access request must find it
        store.record_event("export", "quarantine", str(out.resolve()), {"rows": written})
    typer.echo(f"wrote {written} row{'s' if written != 1 else ''} to fix to {out}")
    typer.echo("fix each row as its 'problem' column says, then `insight ingest` the file; "
               "rows that go in are stored, and `insight quarantine clear` removes them. "
               "The file holds notes' words: delete it once ingested")
    if any(r.id_prefix for r in to_fix):
        typer.echo("ids already carry the --id-prefix they were ingested with: ingest the "
                   "file without --id-prefix")


@quarantine_app.command("clear")
@handled
def quarantine_clear(
    all_rows: Annotated[bool, typer.Option(
        "--all", help="Also remove rows still to fix and unreadable files' records: they "
        "are then lost for good.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before --all.")] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Remove quarantined rows that need nothing more (stored, repeated, erased, dismissed).

    A quarantine file left with no row is deleted. Rows still to fix stay unless --all."""
    from insight.quarantine import DONE, clear

    ws, rows = _quarantined(workspace, db)
    # a row raising a safeguarding concern that was never stored leaves only by `dismiss`,
    # which asks what was done about it
    gone = ([r for r in rows if not (r.concern and r.state == "to fix")] if all_rows
            else [r for r in rows if r.state in DONE])
    concerns = sum(r.concern and r.state == "to fix" for r in rows)
    kept = len(rows) - len(gone)
    to_fix = sum(r.state == "to fix" for r in gone)
    if all_rows and to_fix and not yes and not typer.confirm(
            f"Remove {to_fix} row{'s' if to_fix != 1 else ''} still to fix? Their cells "
            "will be in no note and no quarantine file"):
        typer.echo("nothing removed")
        raise typer.Exit(1)
    removed, deleted = clear(gone)
    if all_rows and to_fix:
        _, store = _open(workspace, db)
        with store:
            store.record_event("clear", "quarantine", str(ws.quarantine_dir.name),
                               {"rows_still_to_fix_removed": to_fix, "rows_removed": removed})
    typer.echo(f"removed {removed} quarantined row{'s' if removed != 1 else ''}"
               + (f" and {deleted} emptied file{'s' if deleted != 1 else ''}" if deleted
                  else "")
               + (f"; {kept} still to fix or unreadable files kept" if kept else ""))
    if concerns and all_rows:
        typer.secho(f"kept {concerns} row{'s' if concerns != 1 else ''} raising a safeguarding "
                    "concern: `insight quarantine dismiss FILE LINE --concern-handled "
                    "'what was done'` once a person has dealt with each",
                    err=True, fg=typer.colors.RED)


@quarantine_app.command("dismiss")
@handled
def quarantine_dismiss(
    file: Annotated[str, typer.Argument(help="The ingested file's name, as `insight "
                                        "quarantine show` gives it (e.g. form.csv).")],
    line: Annotated[int, typer.Argument(help="The row's line in that file.", min=1)],
    concern_handled: Annotated[str | None, typer.Option(
        help="For a row raising a safeguarding concern: what a person did about it "
        "(required for such a row; kept in the audit log).")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask first.")] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Dismiss a row still to fix that will never be a note (an empty form, a test answer).

    The row is removed from quarantine, with its copies in earlier files; the same row in
    a later export (a cumulative one repeats it every month) is dismissed at once and
    needs nothing. Only a keyed mark of its cells is kept, never the cells."""
    from insight.quarantine import dismiss, read_quarantine, review

    ws, store = _open(workspace, db)
    with store:
        rows = review(read_quarantine(ws.quarantine_dir), store)
        named = [r for r in rows if r.state == "to fix" and r.line == line
                 and Path(r.source).name == Path(file).name]
        if not named:
            others = sorted({r.where for r in rows if r.state == "to fix"})
            raise typer.BadParameter(
                f"no row still to fix at {Path(file).name} line {line}"
                + (f"; rows to fix: {', '.join(others[:5])}" if others else
                   "; no rows are still to fix"), param_hint="FILE LINE")
        # the row and the copies of it in a file to fix (`quarantine export`), either way:
        # dismissing one leaves no other "to fix"
        wheres = {r.where for r in named}
        origins = {r.origin for r in named if r.origin}
        linked = [r for r in rows if r.state in ("to fix", "repeated") and (
            (r.origin is not None and r.origin in wheres)  # its copies in files to fix
            or (r.origin is None and r.where in origins))]  # the row a copy was made from
        named = list({id(r): r for r in [*named, *linked]}.values())
        concern = any(r.concern for r in named)
        if concern:
            _acting_person()
        from insight.store import says_what_was_done

        if concern and not says_what_was_done(concern_handled):
            raise typer.BadParameter(
                f"{named[0].where} raises a safeguarding concern and was never stored, so it "
                "is in no queue: say what a person did about it with --concern-handled "
                "'...' (kept in the audit log), or fix the row and ingest it so that it "
                "reaches the queue", param_hint="--concern-handled")
        keys = {r.key() for r in named}
        # and its copies: the same cells, or the same line read with other options
        copies = [r for r in rows if r.state in ("to fix", "repeated") and (
            r.key() in keys or any(r.same_line(n) for n in named))]
        if not yes and not typer.confirm(
                f"Dismiss {named[0].where} ({named[0].reason})? Its cells will be in no "
                "note and no quarantine file"):
            typer.echo("nothing dismissed")
            raise typer.Exit(1)
        removed = dismiss(copies, store)
        store.record_event("dismiss", "quarantine-row", named[0].where, {
            "problem": named[0].reason, "rows_removed": removed,
            **({"safeguarding_concern": True, "what_was_done": concern_handled.strip()}
               if concern and concern_handled else {})})
    typer.echo(f"dismissed {named[0].where}: removed {removed} quarantined "
               f"row{'s' if removed != 1 else ''} (its copies included); the same row in a "
               "later export needs nothing")


_guard_lead_commands()

if __name__ == "__main__":  # pragma: no cover
    app()
