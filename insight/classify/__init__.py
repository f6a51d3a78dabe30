"""Tagging notes against a codebook: categories, evidence sentences, safeguarding, experience.

The rest of insight uses `TagModel` (and `default_model()` for the shipped codebook).
"""

from insight.classify.backend import ModelFormatError
from insight.classify.data import LabelledData, LabelReport, evaluate, load_labelled
from insight.classify.default import default_model
from insight.classify.model import NoteTags, TagModel

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
