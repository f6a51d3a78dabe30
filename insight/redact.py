"""Find and redact personal data (PII) in community-listening notes.

Why: notes are written by people about people; before they become evidence for commissioners,
names, contact details, NHS and National Insurance numbers, addresses and dates of birth must
be removed. This runs
offline with no pretrained model: a blank spaCy English tokenizer plus

* ``phonenumbers`` (region GB) for phone numbers, keeping only numbers that reach a person
  (mobile, geographic, personal, VoIP) and dropping helplines (116 123, 111, 999, 0800/0808,
  03xx, text short codes);
* a name lexicon derived at build time from ``names-dataset`` (``corpora/pii/lexicon.tsv``,
  made by ``corpora/pii/build_lexicon.py``) with flags for "also a common English word" and
  "also a place", plus context rules (titles, relation words, "called", vocatives,
  capitalisation, following surname, service/place words) for PERSON;
* a spaCy ``Matcher`` for house addresses and a ``PhraseMatcher`` for service names;
* regular expressions only where no library does the job: e-mail, NHS number (with the
  modulus-11 check digit), National Insurance number (HMRC's two letters, six digits,
  optional A-D; letters in capitals, or any case after an "NI"/"national insurance" cue),
  UK postcode, date of birth after a birth cue.

All spans are offsets into the original text. See ``corpora/pii/README.md`` for the rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
import spacy
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from insight.resources import corpora_dir

PII_TYPES = (
    "PERSON", "PHONE", "EMAIL", "NHS_NUMBER", "NI_NUMBER", "POSTCODE", "ADDRESS", "DATE_OF_BIRTH"
)

# When two detections overlap, the earlier type in this tuple wins (then the longer span).
_PRIORITY = (
    "EMAIL", "NHS_NUMBER", "NI_NUMBER", "PHONE", "POSTCODE", "DATE_OF_BIRTH", "ADDRESS", "PERSON"
)


@dataclass(frozen=True)
class PiiSpan:
    """One piece of personal data: character offsets into the original text and its type."""

    start: int
    end: int
    type: str


@dataclass(frozen=True)
class Redaction:
    """The redacted text (each span replaced by ``[TYPE]``) and the spans that were removed."""

    text: str
    spans: list[PiiSpan]


# --------------------------------------------------------------------------- regexes
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z]{2,}(?![\w-])")
_NHS = re.compile(r"(?<![\w-])(\d{3})([ -]?)(\d{3})\2(\d{4})(?![\w-])")
# National Insurance number: two letters, three pairs of digits, an optional A-D letter.
# Any two letters (HMRC's own example prefix "QQ" is not an allocated one); lower-case
# letters only count after an NI cue, so "on 12 03 24" stays a date.
_NINO = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}(?:[ -]?[A-Da-d])?(?![A-Za-z0-9])"
)
_NINO_CUE = re.compile(r"(?:\bN\.?\s?I\b\.?|\bnino\b|national\s+insurance)", re.IGNORECASE)
# Royal Mail postcode format: outward code, optional space, inward code. Case-insensitive.
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])(?:GIR ?0AA|[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRVWXY\d]?)"
    r" ?\d[ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = (
    rf"(?:\d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?:\d{{4}}|\d{{2}})"
    rf"|{_DAY}(?:\s+of)?\s+{_MONTH},?\s+\d{{4}}"
    rf"|{_MONTH}\s+{_DAY},?\s+\d{{4}}"
    rf"|{_MONTH},?\s+\d{{4}})"
)
# A birth cue, then at most a few non-digit words (", is, on the", a name), then the date.
_DOB = re.compile(
    r"\b(?:born|d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|birth\s*date|birthday)"
    rf"[^\d\n.;!?]{{0,24}}?(?<![\w])(?P<date>{_DATE})(?![\w/])",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------- phones
_PHONE_TYPES = {
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
    phonenumbers.PhoneNumberType.VOIP,
    phonenumbers.PhoneNumberType.PAGER,
    phonenumbers.PhoneNumberType.VOICEMAIL,
}

# --------------------------------------------------------------------------- word lists
_TITLES = {
    "dr", "doctor", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "nurse", "sister",
    "father", "rev", "revd", "reverend", "cllr", "councillor", "pc", "sgt", "auntie", "aunty",
    "aunt", "uncle", "grandma", "grandad", "granddad", "sir", "dame", "imam", "pastor",
}
_RELATIONS = {
    "daughter", "daughters", "son", "sons", "friend", "friends", "partner", "husband", "wife",
    "mum", "mom", "mother", "dad", "father", "brother", "brothers", "sister", "sisters", "nan",
    "gran", "granny", "grandson", "granddaughter", "grandchild", "grandkids", "niece", "nephew",
    "cousin", "boyfriend", "girlfriend", "fiance", "fiancé", "fiancee", "fiancée", "ex", "carer",
    "worker", "keyworker", "caseworker", "coordinator", "co-ordinator", "cpn", "therapist",
    "counsellor", "counselor", "psychiatrist", "psychologist", "neighbour", "neighbor",
    "colleague", "boss", "manager", "mate", "flatmate", "housemate", "child", "children", "kid",
    "kids", "baby", "lad", "stepson", "stepdaughter", "stepdad", "stepmum", "twin", "sibling",
    "teacher", "mentor", "volunteer", "befriender", "officer", "advocate", "leader", "member",
    "participant", "client", "patient", "lodger", "landlord", "landlady", "pal", "grandson's",
    "grandfather", "grandmother", "midwife", "visitor", "practitioner", "supporter", "hubby",
}
_NAMING = {"called", "named", "call", "name's", "nicknamed", "alias"}
_NAMING_PAIRS = {("name", "is"), ("names", "are"), ("known", "as"), ("goes", "by"),
                 ("go", "by"), ("it", "'s"), ("this", "is"), ("i", "'m"), ("i", "am"),
                 ("name", ":")}
_VOCATIVES = {"thanks", "thank", "hi", "hello", "hiya", "hey", "dear", "cheers", "bye", "ta"}
_ORG_WORDS = {
    "street", "st", "road", "rd", "lane", "avenue", "close", "drive", "way", "crescent", "grove",
    "place", "terrace", "gardens", "court", "square", "walk", "row", "mews", "parade", "rise",
    "hill", "green", "park", "ward", "wards", "hospital", "infirmary", "surgery", "practice",
    "medical", "health", "healthcare", "centre", "center", "house", "café", "cafe", "church",
    "chapel", "cathedral", "mosque", "temple", "gurdwara", "synagogue", "school", "primary",
    "academy", "college", "university", "trust", "foundation", "project", "group", "team",
    "service", "services", "unit", "clinic", "hub", "hall", "library", "cottage", "lodge",
    "care", "home", "homes", "line", "uk", "partnership", "network", "society", "association",
    "council", "club", "kitchen", "bank", "foodbank", "ministries", "fund", "charity", "estate",
    "tower", "towers", "building", "station", "nhs", "suite", "wing", "manor", "village",
}
_DATE_WORDS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "christmas", "easter", "eid", "ramadan", "diwali", "hanukkah",
}
_SERVICES = [
    "mind", "rethink", "samaritans", "shout", "calm", "papyrus", "kooth", "qwell",
    "togetherall", "beat", "sane", "young minds", "youngminds", "talking therapies",
    "crisis café", "crisis cafe", "hub of hope", "anxiety uk", "age uk", "citizens advice",
    "turning point", "change grow live", "andy's man club", "op courage", "nhs", "camhs",
    "iapt", "pals", "relate", "cruse", "mencap", "barnardo's", "childline", "nspcc", "refuge",
    "shelter", "stepchange", "samaritan",
]
# Words after a name that show it is a person doing something (used when casing is no help).
_FOLLOW_VERBS = {
    "said", "says", "told", "tells", "asked", "asks", "explained", "explains", "mentioned",
    "reckons", "thinks", "thought", "feels", "felt", "wants", "wanted", "needs", "needed",
    "prefers", "preferred", "rang", "rings", "phoned", "phones", "texted", "texts", "emailed",
    "came", "comes", "went", "goes", "lives", "lived", "works", "worked", "stays", "stayed",
    "visits", "visited", "helped", "helps", "runs", "ran", "leads", "led", "got", "gets",
    "didn't", "doesn't", "hasn't", "isn't", "wasn't", "can't", "won't", "'s", "who", "keeps",
    "kept", "died", "passed", "agreed", "agrees", "is", "was", "has", "had", "from",
}
# "X is scared": states only people are in, so a name-word before "is/was" + one is a person.
_ANIMATE_STATES = {
    "scared", "frightened", "terrified", "afraid", "worried", "anxious", "upset", "angry",
    "lonely", "exhausted", "struggling", "pregnant", "desperate", "depressed", "suicidal",
    "homeless", "sectioned", "unwell", "poorly", "grieving", "heartbroken", "knackered",
    "gutted", "distraught", "furious", "ashamed", "embarrassed", "married",
    "divorced", "widowed", "bereaved", "hospitalised", "admitted", "discharged",
}
_SENT_BREAK = {".", "!", "?", ":", ";", '"', "“", "”", "(", "[", "-", "–", "—", "…", "*", "•"}
# Capitalised for grammar, not because they are names (several are also surnames).
_DEMONYMS = {
    "english", "british", "scottish", "welsh", "irish", "european", "polish", "romanian",
    "lithuanian", "ukrainian", "russian", "portuguese", "spanish", "italian", "french", "german",
    "turkish", "kurdish", "arabic", "arab", "persian", "farsi", "urdu", "punjabi", "bengali",
    "bangladeshi", "pakistani", "indian", "gujarati", "tamil", "hindi", "somali", "eritrean",
    "sudanese", "nigerian", "ghanaian", "zimbabwean", "african", "caribbean", "jamaican",
    "chinese", "cantonese", "mandarin", "vietnamese", "filipino", "asian", "muslim", "christian",
    "jewish", "sikh", "hindu", "buddhist", "catholic", "anglican", "methodist", "baptist",
    "pentecostal", "orthodox", "roma", "traveller", "travellers", "gypsy", "black", "white",
}
_STOP = set(STOP_WORDS) - {"will", "may"}
_NEVER_NAME = (_TITLES | _RELATIONS | _VOCATIVES | _ORG_WORDS | _DEMONYMS | _STOP
               | {"i", "gp", "god", "allah", "no", "ok", "nhs"})
_PLACE_PREPS = {"in", "near", "around", "outside", "across", "throughout", "within", "into"}
_ALPHA_UNIT = re.compile(r"^[^\W\d_]+(?:['’][^\W\d_]+)?$")
_SURNAME_PREFIX = re.compile(r"^(?:o['’]|mc|mac)[^\W\d_]{2,}$", re.IGNORECASE)

_STREET_SUFFIX = (
    "road|rd|street|st|avenue|ave|lane|ln|close|drive|way|crescent|cres|grove|place|pl|terrace"
    "|gardens|court|ct|square|sq|walk|row|mews|parade|rise|view|hill|green|park|mount|vale|wharf"
    "|approach|boulevard|parkway|broadway|croft|fold|gate|brow|meadow|meadows|chase|grange"
)


# --------------------------------------------------------------------------- resources
@dataclass
class _Resources:
    nlp: Any
    lexicon: dict[str, str]
    services: PhraseMatcher
    address: Matcher


@lru_cache(maxsize=1)
def _resources() -> _Resources:
    """Load the tokenizer, lexicon and matchers once per process (about 0.3 s, ~60 MB)."""
    nlp = spacy.blank("en")
    lexicon: dict[str, str] = {}
    path = corpora_dir() / "pii" / "lexicon.tsv"
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            token, _, flags = line.rstrip("\n").partition("\t")
            lexicon[token] = flags
    services = PhraseMatcher(nlp.vocab, attr="LOWER")
    services.add("SERVICE", list(nlp.tokenizer.pipe(_SERVICES)))
    address = Matcher(nlp.vocab)
    number = {"TEXT": {"REGEX": r"^\d{1,4}[A-Za-z]?$"}}
    word = {"TEXT": {"REGEX": r"^(?:[A-Z][a-z'’]+|St\.?|'s)$"}}
    lower_word = {"TEXT": {"REGEX": r"^(?:[a-z][a-z'’]+)$"}}
    suffix = {"LOWER": {"REGEX": rf"^(?:{_STREET_SUFFIX})\.?$"}}
    flat = {"LOWER": {"IN": ["flat", "apartment", "apt", "unit", "room", "studio", "maisonette"]}}
    for words in (word, lower_word):
        for n_words in (1, 2, 3):
            street = [number] + [words] * n_words + [suffix]
            address.add("ADDRESS", [street])
            address.add("ADDRESS", [[flat, number, {"TEXT": ",", "OP": "?"}] + street])
    return _Resources(nlp, lexicon, services, address)


# --------------------------------------------------------------------------- detectors
def _nhs_ok(digits: str) -> bool:
    """NHS number modulus-11 check digit (NHS Data Dictionary)."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _regex_spans(text: str) -> list[PiiSpan]:
    out = [PiiSpan(m.start(), m.end(), "EMAIL") for m in _EMAIL.finditer(text)]
    for m in _NHS.finditer(text):
        if _nhs_ok(m.group(1) + m.group(3) + m.group(4)):
            out.append(PiiSpan(m.start(), m.end(), "NHS_NUMBER"))
    for m in _NINO.finditer(text):
        if m.group()[:2].isupper() or _NINO_CUE.search(text, max(0, m.start() - 40), m.start()):
            out.append(PiiSpan(m.start(), m.end(), "NI_NUMBER"))
    out += [PiiSpan(m.start(), m.end(), "POSTCODE") for m in _POSTCODE.finditer(text)]
    out += [PiiSpan(m.start("date"), m.end("date"), "DATE_OF_BIRTH") for m in _DOB.finditer(text)]
    return out


def _phone_spans(text: str) -> list[PiiSpan]:
    """UK numbers that reach a person; helplines and short codes are public, not PII."""
    out = []
    matcher = phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE)
    for match in matcher:
        raw = match.raw_string
        if not re.match(r"^(?:\+|00|\(?0)", raw):
            continue  # written without a trunk 0 or country code: a reference number
        number = match.number
        if phonenumbers.is_valid_number(number):
            if phonenumbers.number_type(number) not in _PHONE_TYPES:
                continue
        else:
            # Ofcom's drama ranges (07700 900xxx) and new ranges are "possible" but not in the
            # metadata: keep possible UK geographic (01/02) and mobile (07) numbers.
            national = str(number.national_number)
            if number.country_code != 44 or national[0] not in "127" or len(national) < 9:
                continue
        out.append(PiiSpan(match.start, match.end, "PHONE"))
    return out


def _address_spans(doc: Doc, res: _Resources) -> list[PiiSpan]:
    out = []
    for _, start, end in res.address(doc):
        span = doc[start:end]
        if span[-1].lower_.rstrip(".") in {"st", "rd"} and end < len(doc) and doc[end].is_title:
            continue  # "12 St Mary's" is a number followed by a saint's name, not "12 X St"
        out.append(PiiSpan(span.start_char, span.end_char, "ADDRESS"))
    return out


# --------------------------------------------------------------------------- PERSON
@dataclass
class _Unit:
    """A word, or a hyphen-joined name such as Lily-Mae / Okonkwo-Smith, with its features."""

    start: int  # first token index
    end: int  # one past the last token
    text: str
    lower: str
    cap: bool
    alpha: bool
    name: bool
    word: bool
    place: bool
    known: bool
    sent_start: bool
    org_masked: bool

    @property
    def strong(self) -> bool:
        return self.name and not self.word and not self.place

    @property
    def never(self) -> bool:
        return self.lower in _NEVER_NAME


def _units(doc: Doc, res: _Resources) -> list[_Unit]:
    masked = [False] * len(doc)
    for _, s, e in res.services(doc):
        for k in range(s, e):
            masked[k] = True
    units: list[_Unit] = []
    i = 0
    n = len(doc)
    while i < n:
        j = i + 1
        while (j + 1 < n and doc[j - 1].whitespace_ == "" and doc[j].text == "-"
               and doc[j].whitespace_ == "" and doc[j + 1].is_alpha and doc[j - 1].is_alpha):
            j += 2
        toks = doc[i:j]
        text = toks.text
        parts = [t.lower_ for t in toks if t.text != "-"]
        flags = "".join(res.lexicon.get(p, "") for p in parts)
        if len(parts) == 1 and _SURNAME_PREFIX.match(parts[0]) and not flags:
            flags = "L"
        cap = text[:1].isupper() and not (len(text) > 1 and text.replace("-", "").isupper())
        units.append(_Unit(
            start=i, end=j, text=text, lower=text.lower(), cap=cap,
            alpha=bool(_ALPHA_UNIT.match(text.replace("-", ""))),
            name="F" in flags or "L" in flags,
            word="W" in flags and len(parts) == 1,
            place="P" in flags and len(parts) == 1,
            known=bool(flags),
            sent_start=i == 0 or doc[i - 1].text in _SENT_BREAK or "\n" in doc[i - 1].text
            or "\n" in doc[i - 1].whitespace_,
            org_masked=any(masked[i:j]),
        ))
        i = j
    return units


def _is_lower_style(doc: Doc) -> bool:
    """Notes typed all in lower case: capitalisation cannot tell names from words."""
    letters = [t.text for t in doc if t.is_alpha and t.text not in {"I", "I'm", "Im"}]
    return bool(letters) and not any(ch.isupper() for w in letters for ch in w)


def _name_after_trigger(u: _Unit, nxt: _Unit | None) -> bool:
    """Is this word a name, given that a title/relation/"called" comes right before it?"""
    if not u.alpha or u.never or u.org_masked:
        return False
    if u.cap:
        return u.name or not u.known
    if u.strong:
        return True
    return u.name and nxt is not None and nxt.lower in _FOLLOW_VERBS


def _negative_context(units: list[_Unit], k: int, strict: bool = True) -> bool:
    """Capitalised word that is part of a place or service name (Hope Street, St Mary's).

    ``strict`` adds the weaker clues used when no title/relation word vouches for a name.
    """
    u = units[k]
    if u.org_masked:
        return True
    nxt = units[k + 1] if k + 1 < len(units) else None
    possessive = nxt is not None and nxt.lower in {"'s", "’s"}
    if possessive and k + 2 < len(units):
        nxt = units[k + 2]
    if nxt is not None and nxt.cap and nxt.lower.rstrip(".") in _ORG_WORDS:
        return True
    if k == 0:
        return False
    prev = units[k - 1]
    if prev.lower.rstrip(".") in {"st", "saint", "the"}:
        return True
    if not strict:
        return False
    if prev.lower in _PLACE_PREPS and not possessive:
        return True  # "a unit in Kent": a place (but "in Jamie's room" is a person)
    if prev.cap and not prev.sent_start and prev.known and not prev.name and not prev.never:
        return True  # "Salford Royal", "Moss Side": part of a proper-noun phrase
    if prev.lower == "of" and k > 1 and units[k - 2].cap and not units[k - 2].sent_start:
        return True  # "Hub of Hope"
    return False


def _trigger_before(units: list[_Unit], k: int, person: list[bool]) -> bool:
    """A title, relation word, naming verb, greeting or "X and" comes just before unit k."""
    j = k - 1
    while j >= 0 and units[j].text in {",", ":", ".", "("} and k - j <= 2:
        if units[j].text == "." and not (j > 0 and units[j - 1].lower in _TITLES):
            return False
        j -= 1
    if j < 0:
        return False
    prev = units[j].lower
    if prev in _TITLES or prev in _RELATIONS or prev in _NAMING or prev in _VOCATIVES:
        return True
    if j > 0 and (units[j - 1].lower, prev) in _NAMING_PAIRS:
        return True
    if prev in {"you"} and j > 0 and units[j - 1].lower == "thank":
        return True
    return prev in {"and", "&", "or"} and j > 0 and person[j - 1]


def _person_units(doc: Doc, res: _Resources) -> list[tuple[int, int]]:
    units = _units(doc, res)
    n = len(units)
    person = [False] * n
    lower_style = _is_lower_style(doc)

    def nxt(k: int) -> _Unit | None:
        return units[k + 1] if k + 1 < n else None

    def surname_next(k: int) -> bool:
        m = nxt(k)
        return (m is not None and m.cap and m.alpha and not m.never and not m.org_masked
                and (m.name or not m.known) and m.lower.rstrip(".") not in _ORG_WORDS)

    for k, u in enumerate(units):
        if not u.alpha or u.never:
            continue
        if _trigger_before(units, k, person) and _name_after_trigger(u, nxt(k)):
            if not (u.cap and _negative_context(units, k, strict=False)):
                person[k] = True
            continue
        if not u.name or (u.cap and _negative_context(units, k)):
            continue
        m = nxt(k)
        follow = m is not None and m.lower in _FOLLOW_VERBS and m.lower not in {"is", "was"}
        if m is not None and m.lower in {"is", "was"} and k + 2 < n:
            follow = follow or units[k + 2].lower in _ANIMATE_STATES
        if u.cap:
            if m is not None and m.cap and m.known and not m.never and (
                    not m.name or (u.word and m.word)):
                continue  # "Moss Side", "Grace Church": a proper-noun phrase, not a person
            if u.lower in _DATE_WORDS:
                continue
            if u.strong:
                person[k] = True
            elif u.word and not u.place and not u.sent_start:
                person[k] = True  # "Will", "Hope" capitalised mid-sentence
            elif surname_next(k) or follow:
                person[k] = True
        elif lower_style and u.strong and len(u.text) > 2:
            person[k] = True

    # extend to following surnames: "Grace Mensah", "Mrs Stella Adebayo", "Nguyen Van An"
    for k in range(n):
        if person[k]:
            j = k + 1
            while j < n and j - k <= 3 and surname_next(j - 1):
                if units[j].lower in _DATE_WORDS or (units[j].word and not units[j].name):
                    break
                person[j] = True
                j += 1

    # "Faith and Hope came": a name joined by "and" to a detected name is a name too
    for k in range(n - 3, -1, -1):
        u = units[k]
        if (not person[k] and person[k + 2] and units[k + 1].lower in {"and", "&"} and u.cap
                and u.name and not u.never and u.lower not in _DATE_WORDS):
            person[k] = True

    # the same name again in the note ("Sunny ... Sunny is 14"), except months and places
    names = {units[k].text for k in range(n) if person[k] and units[k].lower not in _DATE_WORDS}
    for k, u in enumerate(units):
        if not person[k] and u.text in names and not _negative_context(units, k):
            person[k] = True

    spans: list[tuple[int, int]] = []
    k = 0
    while k < n:
        if person[k]:
            j = k
            while j + 1 < n and person[j + 1]:
                j += 1
            spans.append((doc[units[k].start].idx, doc[units[j].end - 1].idx
                          + len(doc[units[j].end - 1].text)))
            k = j + 1
        else:
            k += 1
    return spans


# --------------------------------------------------------------------------- API
def _resolve(spans: list[PiiSpan]) -> list[PiiSpan]:
    """Keep non-overlapping spans, preferring the more specific type, then the longer span."""
    rank = {t: i for i, t in enumerate(_PRIORITY)}
    chosen: list[PiiSpan] = []
    for sp in sorted(spans, key=lambda s: (rank[s.type], -(s.end - s.start), s.start)):
        if all(sp.end <= c.start or sp.start >= c.end for c in chosen):
            chosen.append(sp)
    return sorted(chosen, key=lambda s: s.start)


def _find_in_doc(doc: Doc) -> list[PiiSpan]:
    res = _resources()
    text = doc.text
    spans = _regex_spans(text) + _phone_spans(text) + _address_spans(doc, res)
    spans += [PiiSpan(s, e, "PERSON") for s, e in _person_units(doc, res)]
    return _resolve(spans)


def find_pii(text: str) -> list[PiiSpan]:
    """Personal data in ``text``: sorted, non-overlapping spans with original offsets."""
    return _find_in_doc(_resources().nlp(text))


def _apply(text: str, spans: list[PiiSpan]) -> Redaction:
    out, pos = [], 0
    for sp in spans:
        out.append(text[pos:sp.start])
        out.append(f"[{sp.type}]")
        pos = sp.end
    out.append(text[pos:])
    return Redaction("".join(out), spans)


def redact(text: str) -> Redaction:
    """Replace each piece of personal data in ``text`` with ``[TYPE]``."""
    return _apply(text, find_pii(text))


def redact_many(texts: Iterable[str], batch_size: int = 256) -> Iterator[Redaction]:
    """Redact a stream of notes, tokenizing in batches with ``nlp.pipe`` (same output as
    calling :func:`redact` on each)."""
    nlp = _resources().nlp
    for doc in nlp.pipe(texts, batch_size=batch_size):
        yield _apply(doc.text, _find_in_doc(doc))


__all__ = ["PII_TYPES", "PiiSpan", "Redaction", "find_pii", "redact", "redact_many"]
