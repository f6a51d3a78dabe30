"""The reviewed safeguarding phrase list, matched with spaCy over lower-cased tokens.

The phrase list is the transparent half of the safeguarding flag: a lead can read in
`corpora/safeguarding-phrases.yaml` exactly which words raise it. Matches that sit inside an
`exclude` phrase ("suicide prevention training") are ignored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from insight.resources import corpora_dir

EXCLUDE_KEY = "__exclude__"
TRIGGER_KEY = "__trigger__"


def default_phrases_path() -> Path:
    return corpora_dir() / "safeguarding-phrases.yaml"


@dataclass(frozen=True)
class PhraseHit:
    signal: str
    text: str


class SafeguardingPhrases:
    """Matches the phrase list against spaCy docs made by the same tokenizer."""

    def __init__(self, nlp: Language, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_phrases_path()
        raw = self.path.read_bytes()
        self.sha256 = hashlib.sha256(raw).hexdigest()
        data: dict[str, Any] = yaml.safe_load(raw) or {}
        self.version = str(data.get("version", ""))
        self.signals = [s["id"] for s in data.get("signals", [])]
        self._phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._patterns = Matcher(nlp.vocab)
        triggers: set[str] = set()
        self._always_run_patterns = False
        for signal in data.get("signals", []):
            phrases = [nlp.make_doc(p) for p in signal.get("phrases", []) or []]
            if phrases:
                self._phrases.add(signal["id"], phrases)
            for pattern in signal.get("patterns", []) or []:
                self._patterns.add(signal["id"], [pattern])
                words = _required_words(pattern)
                if words is None:
                    self._always_run_patterns = True
                else:
                    triggers |= words
        # token patterns are slow to run on every note; run them only when a note contains
        # a word the pattern requires (found by the fast phrase matcher)
        if triggers:
            self._phrases.add(TRIGGER_KEY, [nlp.make_doc(w) for w in sorted(triggers)])
        self._trigger_id = nlp.vocab.strings.add(TRIGGER_KEY)
        self._has_patterns = len(self._patterns) > 0
        excluded = (data.get("exclude") or {}).get("phrases", []) or []
        if excluded:
            self._phrases.add(EXCLUDE_KEY, [nlp.make_doc(p) for p in excluded])
        self._exclude_id = nlp.vocab.strings.add(EXCLUDE_KEY)

    def hits(self, doc: Doc) -> list[PhraseHit]:
        """Signals found in the doc, minus those inside an excluded phrase."""
        found = list(self._phrases(doc))
        triggered = any(key == self._trigger_id for key, _, _ in found)
        if self._has_patterns and (triggered or self._always_run_patterns):
            found += list(self._patterns(doc))
        found = [m for m in found if m[0] != self._trigger_id]
        if not found:
            return []
        blocked = [(s, e) for key, s, e in found if key == self._exclude_id]
        out = []
        for key, start, end in found:
            if key == self._exclude_id:
                continue
            if any(bs <= start and end <= be for bs, be in blocked):
                continue
            out.append(PhraseHit(doc.vocab.strings[key], doc[start:end].text))
        return out

    def flag(self, doc: Doc) -> bool:
        return bool(self.hits(doc))


def _required_words(pattern: list[dict[str, Any]]) -> set[str] | None:
    """Words one of which must occur for the pattern to match, or None if unknown.

    Picks the required token whose alternatives are longest words (a proxy for rare), so
    the slow token matcher runs on few notes.
    """
    best: set[str] | None = None
    best_len = 0.0
    for spec in pattern:
        if "OP" in spec:
            continue
        lower = spec.get("LOWER")
        if isinstance(lower, str):
            words = {lower.lower()}
        elif isinstance(lower, dict) and isinstance(lower.get("IN"), list):
            words = {str(w).lower() for w in lower["IN"]}
        else:
            continue
        mean_len = sum(map(len, words)) / len(words)
        if mean_len > best_len:
            best, best_len = words, mean_len
    return best
