"""Tagging notes against a codebook: categories, evidence sentences, safeguarding, experience.

The rest of insight uses `TagModel` (and `default_model()` for the shipped codebook).
Names are loaded on first use (PEP 562), so code that needs only the safeguarding phrase
list or the sentence cutter does not pay for scikit-learn.
"""

from __future__ import annotations

from collections.abc import Mapping
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

#: A category the model learnt from fewer training notes than this is "learnt from few
#: examples": its tags need a person's check, whatever confidence they show. Measured on
#: the shipped corpus (workspaces of 200 and 800 of its notes adding a category labelled
#: on 5, 10 or 20 of them, scored on 1,444 notes it never saw): such tags came at
#: confidence up to 0.95, and of those at 0.6 or more, 0 of 1, 1 of 3, 65% or 95% were
#: right, by category, with nothing in the confidence to tell which (a category with about
#: 100 examples: 0.84 shown, 87% right); one learnt from 5 was also put on 164 of 1,200 new
#: notes, 31% rightly, each near 0.03. Calibration cannot mend it: it is fitted on those
#: same few notes. Every category of the shipped corpus has hundreds: the default model
#: has none.
FEW_TO_TRUST = 30


def learnt_from_few(metadata: Mapping[str, Any]) -> dict[str, int]:
    """The categories a model learnt from fewer than `FEW_TO_TRUST` training notes, each
    with how many (0: from the codebook's wording alone), in the model's order; from the
    `label_counts` of its metadata (`model.json`), so read without loading the model."""
    counts = metadata.get("label_counts") or {}
    return {label: int(n) for label, n in counts.items() if int(n) < FEW_TO_TRUST}


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
    "FEW_TO_TRUST",
    "LabelReport",
    "LabelledData",
    "ModelFormatError",
    "NoteTags",
    "TagModel",
    "default_model",
    "evaluate",
    "learnt_from_few",
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
