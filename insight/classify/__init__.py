"""Tagging notes against a codebook: categories, evidence sentences, safeguarding, experience.

The rest of insight uses `TagModel` (and `default_model()` for the shipped codebook).
Names are loaded on first use (PEP 562), so code that needs only the safeguarding phrase
list or the sentence cutter does not pay for scikit-learn.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from insight.classify.backend import ModelFormatError
    from insight.classify.data import LabelledData, LabelReport, evaluate, load_labelled
    from insight.classify.default import default_model
    from insight.classify.model import NoteTags, TagModel

#: The file that makes a folder a tag model (what it is, its labels, how it was made):
#: here, so code that only finds or reads a model does not load the classifier.
MODEL_FILE = "model.json"

_WHERE = {
    "ModelFormatError": "backend",
    "LabelReport": "data",
    "LabelledData": "data",
    "evaluate": "data",
    "load_labelled": "data",
    "default_model": "default",
    "NoteTags": "model",
    "TagModel": "model",
}

__all__ = [
    "LabelReport",
    "LabelledData",
    "ModelFormatError",
    "NoteTags",
    "TagModel",
    "default_model",
    "evaluate",
    "load_labelled",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
