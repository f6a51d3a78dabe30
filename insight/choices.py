"""Words taken from a fixed set (an action's status, an audience, an output format, a
backend): one message for a word that is not one of them, naming the closest as a
did-you-mean ("complete" -> "done", "comissioner" -> "commissioner"); and a folder named
that is not there, with the folder beside it it was most likely meant to be."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path


def closest(value: str, allowed: Iterable[str],
            synonyms: Mapping[str, str] | None = None) -> str | None:
    """The allowed word a person most likely meant: a synonym's word ("complete" for
    "done"), else the closest spelling ("comissioner"); None where nothing is close."""
    allowed = list(allowed)
    word = " ".join(value.strip().lower().replace("_", " ").split())
    synonyms = {" ".join(k.lower().split()): v for k, v in (synonyms or {}).items()}
    if word in synonyms:
        return synonyms[word]
    match = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    if match:
        return match[0]
    meant = difflib.get_close_matches(word, list(synonyms), n=1, cutoff=0.75)
    return synonyms[meant[0]] if meant else None


def not_one_of(what: str, value: str, allowed: Iterable[str],
               synonyms: Mapping[str, str] | None = None) -> str:
    """The message for a `what` that is none of `allowed`:
    "unknown action status 'complete' (did you mean 'done'?); use one of: ..."."""
    allowed = list(allowed)
    hint = closest(value, allowed, synonyms)
    return (f"unknown {what} {value!r}" + (f" (did you mean {hint!r}?)" if hint else "")
            + f"; use one of: {', '.join(allowed)}")


def folder_named_like(folder: Path, holding: str | None = None) -> Path | None:
    """The folder beside `folder` whose name is closest to its own, for a did-you-mean
    (`-w my-aera`, `--model m-skk`); with `holding`, only folders holding that file (a
    workspace's insight.toml, a model's model.json). None when none is close."""
    try:
        beside = [p.name for p in folder.parent.iterdir()
                  if p.is_dir() and (holding is None or (p / holding).is_file())]
    except OSError:
        return None
    close = difflib.get_close_matches(folder.name, beside, n=1, cutoff=0.6)
    return folder.parent / close[0] if close else None
