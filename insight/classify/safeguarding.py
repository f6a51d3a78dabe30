"""The reviewed safeguarding phrase list, matched with spaCy over normalised tokens.

The phrase list is the transparent half of the safeguarding flag: a lead can read in
`corpora/safeguarding-phrases.yaml` exactly which words raise it. Matching is on each token's
NORM: lower case, with contractions written out, so "won't", "wont" and "won’t" are all
"will not" and "gonna" is "going to". Besides plain phrases a phrase may use a small syntax
(documented in the YAML header): `{set}` for any word of a named set, `a|b` for one of a few
words, `word?` for an optional word and `...` / `...N` for a short gap. Matches that overlap
an `exclude` phrase ("suicide prevention training") are ignored.

`hold_back` lists softer signals in the same form: words that can speak of a risk but say
something else too often to put a note in the queue ("what's the point", "stood on the
balcony"). They never flag a note; a note holding one, or any signal, is not quoted by the
software outside the leads' view until a lead reads and pins it (`insight.privacy`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from spacy.attrs import NORM
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from insight.resources import corpora_dir

EXCLUDE_KEY = "__exclude__"
GAP_WORDS = 4  # `...`: up to this many words, not crossing punctuation
SENTENCE_END = [".", "!", "?", ";", "…"]  # `...N` may cross commas but not these
# a bare "n't" is normalised only inside a word ("won't" -> "will not"); write it as "not"
_NORM_FIXES = {"n't": "not", "n’t": "not", "nt": "not", "’s": "'s", "’d": "'d"}
_GAP = re.compile(r"^\.\.\.(\d+)?$")
_SET = re.compile(r"^\{([a-z_]+)\}$")


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
        #: the softer signals: they hold a note back from quotes, never flag it
        self.softer = [s["id"] for s in data.get("hold_back") or []]
        if clash := set(self.signals) & set(self.softer):
            raise ValueError(f"{', '.join(sorted(clash))}: both a signal and a softer one "
                             "(hold_back): give each its own id")
        compiler = PhraseCompiler(nlp, data.get("sets") or {})
        self._phrases = PhraseMatcher(nlp.vocab, attr="NORM")
        # token patterns are slow to run on every note; the matcher runs only when some
        # pattern's gate passes: the note holds a word from every required item of that
        # pattern (a necessary condition for a match). Exclude patterns run only once
        # something else has matched.
        self._matchers: dict[bool, list[Matcher]] = {False: [], True: []}  # one per gate
        self._gates: dict[bool, list[tuple[frozenset[int], ...]]] = {False: [], True: []}
        self._index: dict[tuple[str, bool], Any] = {}

        def add(key: str, phrases: list[str], patterns: list[list[dict[str, Any]]]) -> None:
            literal = []
            for text in phrases:
                pattern = compiler.compile(str(text))
                if pattern is None:
                    literal.append(nlp.make_doc(str(text)))
                else:
                    patterns = [*patterns, pattern]
            if literal:
                self._phrases.add(key, literal)
            for pattern in patterns:
                if not isinstance(pattern, list) or not all(isinstance(t, dict) for t in pattern):
                    raise ValueError(f"{key}: a pattern must be a list of token dicts: {pattern!r}")
                is_exclude = key == EXCLUDE_KEY
                gate = tuple(
                    frozenset(map(nlp.vocab.strings.add, words))
                    for words in compiler.required_items(pattern)
                )
                matcher = Matcher(nlp.vocab)
                matcher.add(key, [pattern])
                self._gates[is_exclude].append(gate)
                self._matchers[is_exclude].append(matcher)

        for signal in [*data.get("signals", []), *(data.get("hold_back") or [])]:
            add(signal["id"], signal.get("phrases") or [], signal.get("patterns") or [])
        excluded = data.get("exclude") or {}
        add(EXCLUDE_KEY, excluded.get("phrases") or [], excluded.get("patterns") or [])
        self._exclude_id = nlp.vocab.strings.add(EXCLUDE_KEY)

    def _triggers(self, exclude: bool) -> tuple[dict[int, list[int]], list[int]]:
        """norm -> gates whose first item holds it; and gates with no item (always run)."""
        key = ("triggers", exclude)
        if key not in self._index:
            by_norm: dict[int, list[int]] = {}
            always = []
            for i, gate in enumerate(self._gates[exclude]):
                if not gate:
                    always.append(i)
                for norm in gate[0] if gate else ():
                    by_norm.setdefault(norm, []).append(i)
            self._index[key] = (by_norm, always)
        return self._index[key]

    def _run_patterns(self, doc: Doc, norms: set[int], exclude: bool) -> list[tuple[int, int, int]]:
        by_norm, always = self._triggers(exclude)
        gates, matchers = self._gates[exclude], self._matchers[exclude]
        candidates = {i for norm in norms for i in by_norm.get(norm, ())}
        found: list[tuple[int, int, int]] = []
        for i in sorted(candidates.union(always)):
            if all(not words.isdisjoint(norms) for words in gates[i][1:]):
                found += matchers[i](doc)
        return found

    def hits(self, doc: Doc) -> list[PhraseHit]:
        """Signals found in the doc, minus those overlapping an excluded phrase (not the
        softer ones of `hold_back`, which raise no flag)."""
        softer = set(self.softer)
        return [hit for hit in self._hits(doc) if hit.signal not in softer]

    def holds_back(self, doc: Doc) -> list[str]:
        """The ids of every signal found, the softer ones too, sorted: a note holding any
        is not quoted by the software until a person has read it."""
        return sorted({hit.signal for hit in self._hits(doc)})

    def _hits(self, doc: Doc) -> list[PhraseHit]:
        found = list(self._phrases(doc))
        norms = set(doc.to_array(NORM).tolist())
        found += self._run_patterns(doc, norms, exclude=False)
        if all(key == self._exclude_id for key, _, _ in found):
            return []
        found += self._run_patterns(doc, norms, exclude=True)
        blocked = [(s, e) for key, s, e in found if key == self._exclude_id]
        out = []
        for key, start, end in sorted(set(found), key=lambda m: (m[1], m[2])):
            if key == self._exclude_id:
                continue
            if any(start < be and bs < end for bs, be in blocked):
                continue
            out.append(PhraseHit(doc.vocab.strings[key], doc[start:end].text))
        return out

    def flag(self, doc: Doc) -> bool:
        return bool(self.hits(doc))

    def signals_in(self, doc: Doc) -> list[str]:
        """The ids of the signals found, sorted: what a flag's reason names (no words)."""
        return sorted({hit.signal for hit in self.hits(doc)})


class PhraseCompiler:
    """Turns a phrase written in the list's small syntax into a spaCy token pattern.

    Items are separated by spaces. `{name}`: any word of the named set; `a|b|{name}`: any of
    these; a trailing `?` makes an item optional; `...` is a gap of up to GAP_WORDS words
    (no punctuation); `...N` a gap of up to N tokens within the sentence. Any other item is
    literal text (tokenised, so "won't" is two tokens). Everything is compared on NORM.
    """

    def __init__(self, nlp: Language, sets: dict[str, list[Any]]) -> None:
        self.nlp = nlp
        self.sets = {name: [self.norm(str(w), f"set {name!r}") for w in words]
                     for name, words in sets.items()}

    def norm(self, word: str, where: str) -> str:
        tokens = self.nlp.make_doc(word)
        if len(tokens) != 1:
            raise ValueError(f"{where}: {word!r} must be a single token, not {len(tokens)}")
        norm = tokens[0].norm_
        return _NORM_FIXES.get(norm, norm)

    def compile(self, text: str) -> list[dict[str, Any]] | None:
        """The token pattern for `text`, or None when it is a plain phrase."""
        items = text.split()
        if not any(_is_syntax(item) for item in items):
            return None
        pattern: list[dict[str, Any]] = []
        for item in items:
            gap = _GAP.match(item)
            if gap:
                if gap.group(1):
                    spec = {"ORTH": {"NOT_IN": SENTENCE_END}, "OP": f"{{0,{gap.group(1)}}}"}
                else:
                    spec = {"IS_PUNCT": False, "OP": f"{{0,{GAP_WORDS}}}"}
                pattern.append(spec)
                continue
            optional = len(item) > 1 and item.endswith("?")
            if optional:
                item = item[:-1]
            if "|" in item or _SET.match(item):
                words: list[str] = []
                for part in item.split("|"):
                    name = _SET.match(part)
                    if name:
                        if name.group(1) not in self.sets:
                            raise ValueError(f"{text!r}: no set named {name.group(1)!r}")
                        words += self.sets[name.group(1)]
                    else:
                        words.append(self.norm(part, repr(text)))
                specs: list[dict[str, Any]] = [{"NORM": {"IN": sorted(set(words))}}]
            else:
                specs = [{"NORM": _NORM_FIXES.get(t.norm_, t.norm_)}
                         for t in self.nlp.make_doc(item)]
            if optional:
                if len(specs) != 1:
                    raise ValueError(f"{text!r}: only a single word can be optional ({item!r})")
                specs[0]["OP"] = "?"
            pattern += specs
        return pattern

    def required_items(self, pattern: list[dict[str, Any]]) -> list[set[str]]:
        """For each required token whose words are known, the norms it can be (a match
        needs one of each), rarest first; optional or open-ended tokens are left out."""
        items = []
        for spec in pattern:
            if "OP" in spec:
                continue
            words = None
            for attr in ("NORM", "LOWER"):
                value = spec.get(attr)
                if isinstance(value, str):
                    words = {value}
                elif isinstance(value, dict) and isinstance(value.get("IN"), list):
                    words = {str(w) for w in value["IN"]}
                if words is not None:
                    break
            if not words:
                continue
            try:  # a LOWER word is found by its norm ("won't" has none: skip it)
                items.append({self.norm(w.lower(), "trigger") for w in words})
            except ValueError:
                continue
        # rarest first (no stop words, then longer words): the first item is the trigger
        return sorted(
            items, key=lambda w: (not w & STOP_WORDS, sum(map(len, w)) / len(w)), reverse=True
        )

def _is_syntax(item: str) -> bool:
    return bool(
        _GAP.match(item) or "|" in item or "{" in item or (len(item) > 1 and item.endswith("?"))
    )


@lru_cache(maxsize=1)
def shared_phrases() -> SafeguardingPhrases:
    """The shipped phrase list on the shared sentence pipeline's tokenizer, built once per
    process: for reading notes where no model is loaded (a report's quotes)."""
    from insight.classify.sentences import shared_pipeline

    return SafeguardingPhrases(shared_pipeline())


def phrase_screen() -> Callable[[str], str | None]:
    """The reviewed safeguarding phrase list as a screen for intake (no model needed)."""
    from insight.classify.sentences import shared_pipeline

    nlp = shared_pipeline()  # the model's tokenizer, so both match alike
    phrases = SafeguardingPhrases(nlp)

    def screen(text: str) -> str | None:
        signals = phrases.signals_in(nlp.make_doc(text))
        if not signals:
            return None
        version = f"v{phrases.version}" if phrases.version else "(unversioned)"
        return f"phrase list {version}: {', '.join(signals)}"

    return screen
