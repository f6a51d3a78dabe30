"""Codebooks: the enquiry categories notes are tagged against.

A codebook is a YAML or TOML file with a `version` and a list of `categories`, each with
`id`, `name`, `description`, `includes`, `excludes` and an optional `parent`. Deployments
may bring their own; nothing in the code depends on the default ids.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from insight.resources import default_codebook_path

REQUIRED_FIELDS = ("id", "name", "description")


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def category_key(label: str) -> str:
    """What two spellings of one category share: 'Access waiting' = 'access-waiting',
    "Carer's own health" = 'carers-own-health'."""
    return _NOT_ALNUM.sub("", label.lower())


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
        raise CodebookError(f"{path}: codebook file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CodebookError(f"{path}: cannot read codebook ({exc})") from exc
    try:
        if path.suffix.lower() == ".toml":
            return tomllib.loads(raw)
        return yaml.safe_load(raw)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise CodebookError(f"{path}: not valid {path.suffix.lstrip('.').upper()}: {exc}") from exc


def _phrases(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CodebookError(f"{where}: '{key}' must be a list of short phrases")
    return tuple(v.strip() for v in value if v.strip())


def parse_codebook(data: Any, source: str = "<codebook>") -> Codebook:
    """Validate a parsed codebook document, naming the file and entry in every error; every
    problem found is reported at once (one a line), so a file is fixed in one pass."""
    if not isinstance(data, dict):
        raise CodebookError(f"{source}: expected a mapping with 'version' and 'categories'")
    problems: list[str] = []
    version = data.get("version")
    if version is None or str(version).strip() == "":
        problems.append(f"{source}: missing 'version'")
    entries = data.get("categories")
    if not isinstance(entries, list) or not entries:
        problems.append(f"{source}: 'categories' must be a non-empty list")
        entries = []
    categories: list[Category] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        label = entry.get("id") if isinstance(entry, dict) else None
        where = f"{source}: category #{index}" + (f" ('{label}')" if label else "")
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        missing = [f for f in REQUIRED_FIELDS if not str(entry.get(f) or "").strip()]
        if missing:
            problems.append(f"{where}: missing field(s) {', '.join(missing)}")
            continue
        category_id = str(entry["id"]).strip()
        if category_id in seen:
            problems.append(f"{where}: duplicate id '{category_id}'")
            continue
        seen.add(category_id)
        parent = entry.get("parent")
        try:
            includes = _phrases(entry.get("includes"), where, "includes")
            excludes = _phrases(entry.get("excludes"), where, "excludes")
        except CodebookError as exc:
            problems.append(str(exc))
            continue
        categories.append(
            Category(
                id=category_id,
                name=str(entry["name"]).strip(),
                description=" ".join(str(entry["description"]).split()),
                includes=includes,
                excludes=excludes,
                parent=str(parent).strip() if parent else None,
            )
        )
    for index, category in enumerate(categories, start=1):
        if category.parent is not None and category.parent not in seen:
            problems.append(
                f"{source}: category #{index} ('{category.id}'): "
                f"parent '{category.parent}' is not a category id in this codebook"
            )
        if category.parent == category.id:
            problems.append(f"{source}: category '{category.id}' is its own parent")
    if problems:
        raise CodebookError("\n".join(problems))
    return Codebook(
        version=str(version).strip(),
        categories=tuple(categories),
        name=str(data.get("name") or ""),
        path=source,
    )


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Load and validate a codebook; `None` means the shipped default (enquiry v1)."""
    file = Path(path) if path is not None else default_codebook_path()
    return parse_codebook(_read(file), source=str(file))
