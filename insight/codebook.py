"""Codebooks: the enquiry categories notes are tagged against.

A codebook is a YAML or TOML file with a `version`, an optional `name` and a list of
`categories`, each with `id`, `name`, `description`, `includes`, `excludes` and an optional
`parent`; any other key is an error (a misspelt `exclude:` would otherwise lose the
exclusions unseen). Deployments may bring their own; nothing in the code depends on the
default ids.
"""

from __future__ import annotations

import datetime
import difflib
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from insight.resources import default_codebook_path

REQUIRED_FIELDS = ("id", "name", "description")
CODEBOOK_KEYS = ("name", "version", "categories")
CATEGORY_KEYS = ("id", "name", "description", "includes", "excludes", "parent")
ID_RULE = "lower-case letters, digits and single hyphens between them"
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def category_key(label: str) -> str:
    """What two spellings of one category share: 'Access waiting' = 'access-waiting',
    "Carer's own health" = 'carers-own-health', 'School & exams' = 'School and exams'."""
    return _NOT_ALNUM.sub("", label.lower().replace("&", "and"))


def slug(text: str) -> str:
    """The id `text` was probably meant as ('Housing Stuff' -> 'housing-stuff'), for a hint."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def category_lookup(
    ids: Iterable[str], names: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Each way a file may write a category (its id or, from `names` (id -> name), its
    name, in any case, spacing or punctuation: `category_key`) -> its id."""
    lookup = {category_key(name): cid for cid, name in (names or {}).items()}
    lookup.update({category_key(cid): cid for cid in ids})
    lookup.pop("", None)
    return lookup


class CodebookError(ValueError):
    """A codebook file is missing, unreadable or invalid; the message names file and entry."""


class CodebookMissing(CodebookError):
    """The codebook file named is not there: a mistake on the command line."""

    usage_error = True  # the CLI's exit code 2, as for any file named that is not there


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    description: str
    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    parent: str | None = None


@dataclass(frozen=True)
class Codebook:
    version: str
    categories: tuple[Category, ...]
    name: str = ""
    path: str | None = field(default=None, compare=False)

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.categories]

    def get(self, category_id: str) -> Category:
        for category in self.categories:
            if category.id == category_id:
                return category
        raise KeyError(category_id)

    def __contains__(self, category_id: object) -> bool:
        return any(c.id == category_id for c in self.categories)

    def label_texts(self) -> dict[str, list[str]]:
        """Each category's own wording (name, description, includes) for training a model.

        A classifier treats these as a few extra example notes per category: a category
        with little labelled data still starts from what the codebook says it means.
        """
        return {c.id: [c.name, c.description, *c.includes] for c in self.categories}

    @property
    def names(self) -> dict[str, str]:
        """Category id -> name: data may label notes by name."""
        return {c.id: c.name for c in self.categories}

    def category_id(self, written: str) -> str | None:
        """The category `written` names: its id or name in any case, spacing or
        punctuation ("Carer's own health" for carers-own-health); None if none."""
        return category_lookup(self.ids, self.names).get(category_key(written))


def _read(path: Path) -> Any:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CodebookMissing(f"{path}: codebook file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CodebookError(f"{path}: cannot read codebook ({exc})") from exc
    try:
        if path.suffix.lower() == ".toml":
            return tomllib.loads(raw)
        return _load_yaml(raw, path)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise CodebookError(f"{path}: not valid {path.suffix.lstrip('.').upper()}: {exc}") from exc


def _load_yaml(raw: str, path: Path) -> Any:
    """YAML (or JSON) as written: a key written twice in one mapping is an error, not the
    last one silently kept, and a number `version` keeps its text (`2.10` is not 2.1)."""
    loader = yaml.SafeLoader(raw)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _no_repeated_keys(node, path)
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    if isinstance(data, dict) and isinstance(node, yaml.MappingNode):
        for key, value in node.value:  # the last one written is the one YAML keeps
            if (isinstance(key, yaml.ScalarNode) and key.value == "version"
                    and isinstance(value, yaml.ScalarNode) and value.style is None
                    and isinstance(data.get("version"), int | float)
                    and not isinstance(data.get("version"), bool)):
                data["version"] = value.value
    return data


def _no_repeated_keys(node: yaml.Node, path: Path) -> None:
    """YAML keeps the last of a repeated key: an entry's first `excludes` would vanish."""
    repeated: list[tuple[int, str]] = []
    seen_nodes: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen_nodes:  # an alias points back at a node already checked
            continue
        seen_nodes.add(id(current))
        if isinstance(current, yaml.MappingNode):
            keys: set[str] = set()
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if key.value in keys:
                        repeated.append((key.start_mark.line + 1, key.value))
                    keys.add(key.value)
                stack.extend((key, value))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    if repeated:
        raise CodebookError("\n".join(
            f"{path}: line {line}: key '{key}' is written twice in one entry (YAML would "
            "keep only the last)" for line, key in sorted(repeated)))


def _unknown_keys(entry: dict, known: tuple[str, ...], where: str, what: str) -> list[str]:
    """One problem per key the format does not have, with the known key it resembles."""
    problems = []
    for key in entry:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key).lower(), known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"{what} has only {', '.join(known)}"
        problems.append(f"{where}: unknown key '{key}' ({hint})")
    return problems


def _version_problem(version: Any, source: str) -> str | None:
    """A version is recorded with every tag, so it must be the text the file's author wrote."""
    if version is None or (isinstance(version, str) and not version.strip()):
        return f"{source}: missing 'version'"
    if isinstance(version, float):  # TOML `version = 2.10`: the written text is gone
        return (f"{source}: version {version} is read as a number, which loses how it was "
                'written (2.10 reads as 2.1): put it in quotes, e.g. version = "2.10"')
    if isinstance(version, bool) or not isinstance(version, str | int | datetime.date):
        return f"{source}: 'version' must be text such as \"2\" or \"2.10\""
    return None


def _phrases(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise CodebookError(f"{where}: '{key}' must be a list of short phrases")
    if odd := [v for v in value if not isinstance(v, str)]:
        # YAML reads 111 or yes unquoted as a number or true: say which, and how
        shown = ", ".join(repr(v) for v in odd[:5])
        raise CodebookError(
            f"{where}: '{key}' must be a list of short phrases, but {shown} "
            f"{'is' if len(odd) == 1 else 'are'} not text: put {'it' if len(odd) == 1 else 'them'}"
            ' in quotes (e.g. "111")')
    return tuple(v.strip() for v in value if v.strip())


def _same_key_problems(numbered: list[tuple[int, Category]], source: str) -> list[str]:
    """Files name a category by id or name in any case, spacing or punctuation
    (`category_key`), so two categories written alike could not be told apart."""
    problems = []
    owner: dict[str, tuple[int, Category, str, str]] = {}
    for index, category in numbered:
        spellings = {category_key(category.id): ("id", category.id)}
        spellings.setdefault(category_key(category.name), ("name", category.name))  # not twice
        for key, (what, text) in spellings.items():
            prior = owner.setdefault(key, (index, category, what, text)) if key else None
            if prior is None or prior[1] is category:
                continue
            other_index, other, other_what, other_text = prior
            problems.append(
                f"{source}: category #{index} ('{category.id}'): {what} '{text}' differs "
                f"only in case, spacing or punctuation from '{other_text}', the {other_what} "
                f"of category #{other_index}"
                + (f" ('{other.id}')" if other_what == "name" else "")
                + "; files naming a category ignore those, so the two could not be told apart"
            )
    return problems


def parse_codebook(data: Any, source: str = "<codebook>") -> Codebook:
    """Validate a parsed codebook document, naming the file and entry in every error; every
    problem found is reported at once (one a line), so a file is fixed in one pass."""
    if not isinstance(data, dict):
        raise CodebookError(f"{source}: expected a mapping with 'version' and 'categories'")
    problems = _unknown_keys(data, CODEBOOK_KEYS, source, "a codebook")
    version = data.get("version")
    if (problem := _version_problem(version, source)) is not None:
        problems.append(problem)
    entries = data.get("categories")
    if not isinstance(entries, list) or not entries:
        problems.append(f"{source}: 'categories' must be a non-empty list")
        entries = []
    numbered: list[tuple[int, Category]] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        label = entry.get("id") if isinstance(entry, dict) else None
        where = f"{source}: category #{index}" + (f" ('{label}')" if label else "")
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        problems.extend(_unknown_keys(entry, CATEGORY_KEYS, where, "a category"))
        missing = [f for f in REQUIRED_FIELDS if not str(entry.get(f) or "").strip()]
        if missing:
            problems.append(f"{where}: missing field(s) {', '.join(missing)}")
            continue
        category_id = str(entry["id"]).strip()
        if category_id in seen:
            problems.append(f"{where}: duplicate id '{category_id}'")
            continue
        seen.add(category_id)
        if not _ID.fullmatch(category_id):
            hint = slug(category_id)
            problems.append(f"{where}: id '{category_id}' may hold only {ID_RULE}"
                            + (f" (e.g. '{hint}')" if hint else ""))
        parent = entry.get("parent")
        try:
            includes = _phrases(entry.get("includes"), where, "includes")
            excludes = _phrases(entry.get("excludes"), where, "excludes")
        except CodebookError as exc:
            problems.append(str(exc))
            continue
        numbered.append((index, Category(
            id=category_id,
            name=str(entry["name"]).strip(),
            description=" ".join(str(entry["description"]).split()),
            includes=includes,
            excludes=excludes,
            parent=str(parent).strip() if parent else None,
        )))
    problems.extend(_same_key_problems(numbered, source))
    for index, category in numbered:
        if category.parent is not None and category.parent not in seen:
            close = difflib.get_close_matches(category.parent, sorted(seen), n=1)
            problems.append(
                f"{source}: category #{index} ('{category.id}'): "
                f"parent '{category.parent}' is not a category id in this codebook"
                + (f" (did you mean '{close[0]}'?)" if close else "")
            )
        if category.parent == category.id:
            problems.append(f"{source}: category '{category.id}' is its own parent")
    if problems:
        raise CodebookError("\n".join(problems))
    return Codebook(
        version=str(version).strip(),
        categories=tuple(category for _, category in numbered),
        name=str(data.get("name") or ""),
        path=source,
    )


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Load and validate a codebook; `None` means the shipped default (enquiry v1)."""
    file = Path(path) if path is not None else default_codebook_path()
    return parse_codebook(_read(file), source=str(file))
