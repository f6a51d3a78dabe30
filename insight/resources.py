"""Where the shipped corpora and model recipes live, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_root(name: str) -> Path:
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def corpora_dir() -> Path:
    """The `corpora/` folder: codebooks, labelled notes, phrase lists."""
    return _data_root("corpora")


def models_dir() -> Path:
    """The `models/` folder: model cards, spaCy config and recipes."""
    return _data_root("models")


def default_codebook_path() -> Path:
    return corpora_dir() / "codebooks" / "enquiry-v1.yaml"
