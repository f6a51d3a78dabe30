"""Find and redact personal data (PII) in community-listening notes.

Why: notes are written by people about people; before they become evidence for commissioners,
names, contact details (social media handles too), NHS and National Insurance numbers,
addresses and dates of birth must be removed. This runs
offline with no pretrained model: a blank spaCy English tokenizer plus

* ``phonenumbers`` (region GB) for phone numbers, keeping only numbers that reach a person
  (mobile, geographic, personal, VoIP) and dropping helplines (116 123, 111, 999, 0800/0808,
  03xx, text short codes), also numbers dictated in words ("oh seven seven ...", "07 double
  7 nine ...", "nine hundred");
* a name lexicon derived at build time from ``names-dataset`` (``corpora/pii/lexicon.tsv``,
  made by ``corpora/pii/build_lexicon.py``) with flags for "also a common English word" and
  "also a place", plus context rules (titles, relation words, "called", vocatives,
  capitalisation, following surname, service/place words) for PERSON. A capitalised first
  name counts even when it is also a word (Rob, Jean, Ray, Jo, Mark, Rose): mid-sentence
  unless it is a thing ("a Kit Kat", "Humber Bridge"), at a sentence start when a verb
  follows ("Rob has ..."). A compass point before a place is a region ("South East London
  ICB"), and a word for a kind of person in the possessive after "at"/"to" a hospital ("A&E
  at King's", "Guy's and St Thomas'"). Only a small closed list of abstract nouns, virtues, seasons,
  months and "will" (Hope, Faith, Grace, Summer, Will), and words that are hardly names
  (Staff, Best, Said), need a cue (title, surname, "called", "X said", "met X", ", X, who",
  "X came to the group", "X and her son").
  A street or place word after a title or a first name is a surname ("Mrs Green", "Sarah
  Hill"). Lower-case names in a normally written note need a cue too ("met dave", "dave
  said"); names in capitals are read like capitalised ones when long or cued ("TYLER my
  son", "SAM said"), never everyday words or acronyms ("NOT", "CAMHS", "ICU"); two-word
  nicknames with a cue are one span ("known as Big Mo"); an age, a relation or pronouns
  after a word make it a name in any case, known to the lexicon or not ("Harleen
  (daughter, 15)", "hannah 17,", "TONI (she/they)", "Sunny (Sundeep's cousin)"), a person's
  verb or relation after a capitalised word no dictionary has ("Sundeep said", "Tharshan's
  mum") makes it one, as does a personal detail after its
  possessive ("Summer's DOB", "Grace's own mob") and a name beside it in brackets ("Sunny
  (Sundeep)"); after a phrase that introduces a name ("my name is rose", "I'm called
  brook", "his surname BROWN", "first name Jo", "known as hope") or a short title ("mr
  mcdonald", "Dr. Achterberg", "mrs okafor") a name counts in any case, even one that is
  a word, and so does one whose relation follows ("Hope is my daughter", "Grace and Hope
  are my twins"); a name found once is redacted wherever it recurs, in any case;
* a spaCy ``Matcher`` for addresses (house number + street, flat + number + block or street,
  "number 14 on Mill Lane", house name + street, "9 Railway Cottages", "3 Kingsway", "Plot 6,
  Rosebank Travellers Site"; the street after "lives on" or right after a person's name
  ("Mrs Begum on Gibbet Street"), "house number
  twenty two") and a ``PhraseMatcher`` for service names;
* regular expressions only where no library does the job: e-mail (also spelled out, "jo dot
  smith at gmail dot com"), NHS number (3-3-4 digits, spaced, dashed, dotted or run together;
  the modulus-11 check digit must pass unless "NHS" comes just before, since a mistyped
  number is still identifying), National Insurance number (HMRC's two letters, six digits,
  optional A-D; letters in capitals, or any case after an "NI"/"national insurance" cue),
  UK postcode (also spelled out a character at a time after a cue: "postcode L S 6 2 A
  B"), date of birth (any common date format, or a day and month: "birthday 12th June")
  after a birth cue (or "b." right before it), ID_NUMBER (a passport, driving licence,
  hospital or patient number, bank account or sort code after a word for one; an IPv4
  address anywhere), social
  media handles (HANDLE: "@name" but not an e-mail's @ or "@ 3pm", profile links on the
  common social sites, "snap: name", "on insta name" or "insta at name" after a site's
  name, "name.x on insta" before it), and short runs of another script in a note written
  in English ("محمد علي is my husband", "王伟"), read as names (``_other_script_spans``);
* token rules for the names of schools, nurseries, PRUs and colleges (SCHOOL: with a child's
  age, a school points at one child): a name before a school word ("Oakfield Academy", "St
  Anne's C of E Primary", "oakfield high"), after a school year ("Year 10 at Brookfield") or
  after a child "goes to" ("my son goes to Allerton Grange", two words or three), then that
  name wherever else the note uses it;
* token rules for local places (PLACE, a type apart from ``PII_TYPES``: ``PLACE_TYPE``): a
  named GP practice ("Herne Hill Group Practice", "Walworth Road surgery") and a street
  without a house number ("the day centre on Sumner Road"), which in a small area point at
  few people; not "the GP surgery", "the High Street" or "the road to recovery".

Detection runs on the NFC form of the text (decomposed accents are composed first); all
spans are offsets into the original text, as given by the caller. See
``corpora/pii/README.md`` for the rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import phonenumbers
import spacy
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from insight.resources import corpora_dir

PII_TYPES = (
    "PERSON", "PHONE", "EMAIL", "NHS_NUMBER", "NI_NUMBER", "POSTCODE", "ADDRESS", "DATE_OF_BIRTH",
    "SCHOOL", "HANDLE", "VEHICLE", "ID_NUMBER",
)
#: A local place that is no one's personal data but points at few people in a small area
#: (``_place_spans``): a named GP practice ("Herne Hill Group Practice", "Walworth Road
#: surgery") or a street without a house number ("the day centre on Sumner Road"). Apart
#: from ``PII_TYPES``, which the annotated sets score (their rules leave these in, so they
#: have no gold for it), and not an ADDRESS: a quote naming one is about the service, not
#: about getting in touch (`insight.privacy` drops spoken words holding an [ADDRESS]).
#: Reports show it as "[place removed]", as they do a place few notes come from.
PLACE_TYPE = "PLACE"
SPAN_TYPES = (*PII_TYPES, PLACE_TYPE)

# When two detections overlap, the earlier type in this tuple wins (then the longer span).
# A phone number after "hospital number" is a phone (a ward's line), a sort code that reads
# as a date is an ID number.
_PRIORITY = (
    "EMAIL", "HANDLE", "NHS_NUMBER", "NI_NUMBER", "PHONE", "ID_NUMBER", "POSTCODE",
    "DATE_OF_BIRTH", "VEHICLE", "ADDRESS", "SCHOOL", "PLACE", "PERSON",
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
# An apostrophe inside the local part is allowed ("siobhan.o'reilly@gmail.com"), so a match
# never starts just after one, which would leave "siobhan.o'" outside it.
_EMAIL = re.compile(r"(?<![\w.+-])(?<!\w['’])[A-Za-z0-9](?:[A-Za-z0-9._%+-]|['’](?=\w))*"
                    r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
# A spelled-out address ("john dot smith at gmail dot com", "jo_b (at) example (dot) org"):
# an "at" and at least one "dot" ending in a common top-level domain. The local part is
# checked in code (a plain English word before " at " is a sentence, not an address).
_SPELLED_DOT = r"(?:\s+dot\s+|\s*[(\[]dot[)\]]\s*|\.)"
_EMAIL_SPELLED = re.compile(
    r"(?<![\w.+-])(?P<local>[A-Za-z0-9][\w+-]*(?:(?:\s+(?:dot|underscore)\s+|[._])[\w+-]+)*)"
    r"(?:\s+at\s+|\s*[(\[]at[)\]]\s*)"
    rf"[A-Za-z0-9-]+(?:{_SPELLED_DOT}[A-Za-z0-9-]+)*"
    rf"(?:\s+dot\s+|\s*[(\[]dot[)\]]\s*)"
    r"(?:com|org|net|edu|gov|info|biz|io|me|uk|ie|co|ac|nhs)(?![\w-])",
    re.IGNORECASE,
)
# NHS number: 3-3-4 digits run together or split by spaces, dashes or dots.
_NHS = re.compile(r"(?<![\w-])(?<!\d\.)(\d{3})([ .-]?)(\d{3})\2(\d{4})(?![\w-])(?!\.\d)")
# "NHS", "NHS number", "NHS no." shortly before: the number is one even if a digit is mistyped.
_NHS_CUE = re.compile(r"\bnhs\b", re.IGNORECASE)
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
    r"[ \u00a0]{0,2}\d[ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# A postcode spelled out a character at a time after a cue ("postcode L S 6 2 A B"): the
# characters joined must make a postcode (checked in code, longest first).
_SPACED_POSTCODE = re.compile(
    r"\b(?:post\s?code|postal\s+code|p/code)(?:['’]s)?[^\w\n]{0,3}(?:(?:is|was)\s+)?"
    r"(?P<chars>[A-Za-z0-9](?:[ \t]{1,2}[A-Za-z0-9](?![A-Za-z0-9])){3,6})",
    re.IGNORECASE,
)


def _spaced_postcode_spans(text: str) -> list[PiiSpan]:
    out = []
    for m in _SPACED_POSTCODE.finditer(text):
        chars = list(re.finditer(r"[A-Za-z0-9]", m.group("chars")))
        for n in range(len(chars), 4, -1):
            if _POSTCODE.fullmatch("".join(c.group() for c in chars[:n])):
                start = m.start("chars")
                out.append(PiiSpan(start, start + chars[n - 1].end(), "POSTCODE"))
                break
    return out


_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:\d{4}|['’]?\d{2})"  # 1985, 85, '85
# Dates said aloud and typed as dictated: "fourteenth of march nineteen seventy two",
# "the 3rd of May two thousand and six".
_UNIT_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_TEEN_WORD = (r"(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen"
              r"|nineteen)")
_TENS_WORD = r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
_TWO_DIGIT_WORDS = rf"(?:{_TENS_WORD}(?:[\s-]+{_UNIT_WORD})?|{_TEEN_WORD}|oh[\s-]+{_UNIT_WORD})"
_YEAR_WORDS = (
    rf"(?:(?:nineteen|eighteen|twenty)[\s-]+(?:hundred(?:\s+and)?[\s-]+)?{_TWO_DIGIT_WORDS}"
    rf"|two\s+thousand(?:\s+and)?(?:[\s-]+(?:{_TWO_DIGIT_WORDS}|{_UNIT_WORD}))?)"
)
_ORDINAL_WORD = (
    r"(?:(?:twenty|thirty)[\s-]+)?(?:first|second|third|fourth|fifth|sixth|seventh|eighth"
    r"|ninth)|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth"
    r"|eighteenth|nineteenth|twentieth|thirtieth"
)
_SPOKEN_DAY = rf"(?:{_ORDINAL_WORD}|{_DAY})"
# Any common way of writing a full date: d/m/y (/ . - or spaces), ISO y-m-d, "3rd (of) April
# 1985", "April 3rd, '85", month-year ("April 1985", "April '85", "09/1996"), and dates in
# words.
_DATE = (
    rf"(?:\d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?:\d{{4}}|\d{{2}})"
    rf"|\d{{1,2}} \d{{1,2}} \d{{4}}"
    rf"|\d{{4}}(?P<iso>[/.\-])\d{{1,2}}(?P=iso)\d{{1,2}}"
    rf"|\d{{1,2}}[/.\-]\d{{4}}"
    rf"|{_DAY}(?:\s+of)?\s+{_MONTH},?\s+(?:{_YEAR}|{_YEAR_WORDS})"
    rf"|{_SPOKEN_DAY}(?:\s+of)?\s+{_MONTH},?\s+(?:\d{{4}}|{_YEAR_WORDS})"
    rf"|{_MONTH}\s+(?:the\s+)?{_SPOKEN_DAY},?\s+(?:{_YEAR}|{_YEAR_WORDS})"
    rf"|{_MONTH},?\s+(?:\d{{4}}|['’]\d{{2}}|{_YEAR_WORDS}))"
)
# A day and month with no year ("12th June", "the 3rd of March", "june the twenty first"):
# after a birth cue it is a birthday, and with an age (which is kept) it is the whole date.
_DAY_MONTH = (rf"(?:{_SPOKEN_DAY}(?:\s+of)?\s+{_MONTH}(?!\w)"
              rf"|{_MONTH}\s+(?:the\s+)?{_SPOKEN_DAY}(?!\w))")
_FULL_MONTH_DOT = re.compile(r"(?:january|february|march|april|may|june|july|august|september"
                             r"|october|november|december)\.$", re.IGNORECASE)
# A birth cue, then at most a few non-digit words (", is, on the", a name), then the date.
# A year alone ("born in 1998") is not a date of birth: it says no more than an age.
_DOB = re.compile(
    r"\b(?:born|d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|birth\s*date|birthday|b['’-]?day)"
    rf"[^\d\n.;!?]{{0,24}}?(?<![\w])(?P<date>{_DATE}|{_DAY_MONTH})(?![\w/])",
    re.IGNORECASE,
)
# The genealogists' "b." for born ("b. 12/03/1978"): only with the full date right after it,
# since a lone "b." is also a list item or an initial.
_DOB_SHORT = re.compile(rf"(?<![\w.])[bB]\.[ \t]{{0,2}}(?P<date>{_DATE})(?![\w/])", re.IGNORECASE)

# A full date (day, month and year) with no birth cue: "Sunita Sharma, 12/8/1979".
_FULL_DATE = re.compile(
    rf"(?<![\w/.\-])(?:\d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?P<y1>\d{{4}}|\d{{2}})"
    rf"|(?P<y2>\d{{4}})-\d{{1,2}}-\d{{1,2}}"
    rf"|{_DAY}(?:\s+of)?\s+{_MONTH},?\s+(?P<y3>\d{{4}})"
    rf"|{_MONTH}\s+(?:the\s+)?{_DAY},?\s+(?P<y4>\d{{4}}))(?![\w/])",
    re.IGNORECASE,
)
#: A full date this many years or more before today is read as a date of birth with no cue:
#: what a listening note dates to the day that long ago is nearly always someone's birth,
#: and a day, month and year that old identifies whoever it belongs to.
OLD_DATE_YEARS = 10


def _old_full_dates(text: str, today: date | None = None) -> list[PiiSpan]:
    this_year = (today or date.today()).year
    out = []
    for m in _FULL_DATE.finditer(text):
        digits = next(y for y in m.group("y1", "y2", "y3", "y4") if y)
        year = int(digits)
        if len(digits) == 2:  # '79 is 1979, '05 is 2005
            year += 2000 if year <= this_year % 100 else 1900
        if 1900 <= year <= this_year - OLD_DATE_YEARS:
            out.append(PiiSpan(m.start(), m.end(), "DATE_OF_BIRTH"))
    return out


# A UK vehicle registration finds its keeper: the current style in capitals anywhere
# ("BV63 XYZ"); in any case, and the older prefix and suffix styles ("A123 BCD", "ABC
# 123D"), only after a word for one ("reg", "plate", "registration", "car", "van").
_VEHICLE_NOW = re.compile(r"(?<![\w-])[A-Z]{2}\d{2} ?[A-Z]{3}(?![\w-])")
_VEHICLE_CUED = re.compile(
    r"\b(?:reg(?:istration)?|plates?|number ?plate|car|van|motor|vehicle)\b[^\w\n]{0,3}"
    r"(?:(?:no\.?|number|is|was|of|reads?)[^\w\n]{1,3})?"  # "Reg no: ab12cde"
    r"(?P<reg>[A-Z]{2}\d{2} ?[A-Z]{3}|[A-Z]\d{1,3} ?[A-Z]{3}|[A-Z]{3} ?\d{1,3}[A-Z])(?![\w-])",
    re.IGNORECASE,
)


# Numbers on a person's documents and accounts (ID_NUMBER): a passport, driving licence,
# hospital or patient number (MRN), bank account, sort code, Home Office or pupil reference,
# ID card. Only after a word for one, since six digits alone are anything ("ref 123456" on a
# complaint is not a person's); the number has six digits or more, with up to three letters
# before it and one after ("RR1234567", "123456789", "12345678"), spaced or dashed.
_ID_CUED = re.compile(
    r"\b(?:passport|(?:driving\s+)?licen[cs]e|hospital|patient|m\.?r\.?n|(?:bank\s+)?account"
    r"|acc(?:oun)?t|a/c|home\s+office|chi|id(?:\s+card)?|i\.d\.|(?:unique\s+)?pupil|upn)"
    r"(?:\s+(?:number|no\.?|num|nr|ref(?:erence)?|id|card))?"
    r"[^\w\n]{0,3}(?:(?:is|was|reads)[^\w\n]{1,3})?"
    r"(?P<id>[A-Z]{0,3}\d(?:[ -]?\d){5,15}[A-Z]?"
    r"|[A-Z9]{5} ?\d{6} ?[A-Z9]{2}\d ?[A-Z]{2})(?![\w-])",  # a driving licence number
    re.IGNORECASE,
)
_SORT_CODE = re.compile(
    r"\bsort[ -]?code[^\w\n]{0,3}(?:(?:is|was)[^\w\n]{1,3})?"
    r"(?P<id>\d{2}([ -]?)\d{2}\2\d{2})(?![\w-])",
    re.IGNORECASE,
)


# An IP address (v4) finds the person's home connection: four numbers of 0-255 with dots,
# not part of a longer dotted run ("1.2.3.4.5" is a version or a list, not an address).
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IP_ADDRESS = re.compile(rf"(?<![\w.])(?P<id>{_OCTET}(?:\.{_OCTET}){{3}})(?![\w]|\.\d)")


def _id_spans(text: str) -> list[PiiSpan]:
    return [PiiSpan(m.start("id"), m.end("id"), "ID_NUMBER")
            for rx in (_ID_CUED, _SORT_CODE, _IP_ADDRESS) for m in rx.finditer(text)]


def _vehicle_spans(text: str) -> list[PiiSpan]:
    out = [PiiSpan(m.start(), m.end(), "VEHICLE") for m in _VEHICLE_NOW.finditer(text)]
    out += [PiiSpan(m.start("reg"), m.end("reg"), "VEHICLE") for m in _VEHICLE_CUED.finditer(text)]
    return out


# Social media: a handle or profile link finds one person as surely as an e-mail address.
# "@name" not after a word character (so not an e-mail's @) and not followed by a space ("@ 3pm").
_AT_HANDLE = re.compile(
    r"(?<![\w.@/+-])@(?P<handle>[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)(?![\w@])"
)
# A profile link on a common social site; a bare domain ("on facebook.com") names no one.
_SOCIAL_URL = re.compile(
    r"(?<![\w.@/-])(?:https?://)?(?:(?:www|m|mobile|vm|[a-z]{2})\.)?"
    r"(?:facebook\.com|fb\.com|fb\.me|instagram\.com|instagr\.am|tiktok\.com|twitter\.com"
    r"|x\.com|snapchat\.com|linkedin\.com|youtube\.com|youtu\.be|threads\.net)"
    r"/[^\s<>()\[\]{}\"',;]+",
    re.IGNORECASE,
)
# A handle after a site's name: "snap: lilbabyk", "insta - jazzy.jas99", "ig is kasia_l",
# "snapchat username lilbabyk". The handle is checked in code (not "insta: private").
_SOCIAL_SITES = (r"snap(?:chat)?|insta(?:gram)?|ig|tik ?tok|twitter|fb|facebook|linkedin"
                 r"|youtube|threads|discord|we ?chat|telegram|kik|skype|signal|viber")
_SITE_HANDLE = re.compile(
    rf"(?<![\w.@/])(?:{_SOCIAL_SITES})"
    r"(?:(?:\s+(?:user ?name|handle|name|id|account|acc|page|profile))?"
    r"(?:\s*[:=]\s*|\s+[-–]\s+|\s+is\s+)"
    r"|\s+(?:user ?name|handle|id|account|acc|page|profile)\s+)"
    r"(?P<handle>@?[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)(?![\w@/])",
    re.IGNORECASE,
)
# A handle straight after a site's name, with no "is" or ":": "find her on insta kezzy.b",
# "add him on snapchat lilbabyk", "her tiktok lil_k99", "on tiktok as kaylaa", "insta at
# mandy_mum_of3" (not "on insta at night": a word, not a handle). Only after
# "on", "via" or a possessive may the handle be a plain word, and not one in title case
# ("on facebook Sarah said"); checked in code.
_SITE_SPACE_HANDLE = re.compile(
    rf"(?<![\w.@/])(?P<lead>(?:on|via|my|his|her|their|your|our)\s+)?(?:{_SOCIAL_SITES})"
    r"[ \t]+(?:(?:as|under|at)[ \t]+)?"
    r"(?P<handle>[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)(?![\w@/]|\.\w)",
    re.IGNORECASE,
)
# A handle before a site's name: "add kezzy.b on insta", "jayden_x2 on snap", "lil_k99 (tiktok)".
# It must look like a handle (a digit, "_" or "." inside); checked in code.
_HANDLE_BEFORE_SITE = re.compile(
    r"(?<![\w.@/+-])(?P<handle>[A-Za-z0-9_](?:[A-Za-z0-9_.]{1,28}[A-Za-z0-9_]))"
    rf"(?:[ \t]+(?:on|via)[ \t]+|[ \t]*\([ \t]*)(?:{_SOCIAL_SITES})\b",
    re.IGNORECASE,
)
_SITE_CUE = re.compile(rf"\b(?:{_SOCIAL_SITES}|on x)\b", re.IGNORECASE)
_SITE_NAME = re.compile(rf"(?:{_SOCIAL_SITES})\b", re.IGNORECASE)
# "@3pm", "@10", "snap: 3hrs a day": times and amounts, not handles.
_NOT_HANDLE = re.compile(r"^\d+(?:[.:]\d+)?(?:am|pm|hrs?|h|mins?|m|s|x|st|nd|rd|th|ish)?$",
                         re.IGNORECASE)

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

# A phone number dictated in words: digit words (and "double 7", "treble oh"), figures, and a
# leading "plus" for +44, with spaces, commas or dashes between them (not a line break).
_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "nought": "0", "one": "1", "two": "2", "three": "3",
    "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "plus": "+",
}
_REPEAT_WORDS = {"double": 2, "treble": 3, "triple": 3}
# "nine hundred" is 900 and "two thousand" 2000, as in "oh seven seven oh oh, nine hundred,
# four five six" (one digit, in words or figures, then the multiplier).
_ZEROS_WORDS = {"hundred": "00", "thousand": "000"}
_SPOKEN_PIECE = re.compile(
    r"(?<![\w+])(?:(?P<hdigit>one|two|three|four|five|six|seven|eight|nine|[1-9])[ \t]+"
    r"(?P<zeros>hundred|thousand)"
    r"|(?:(?P<times>double|treble|triple)[ \t]+)?"
    r"(?P<word>zero|oh|o|nought|one|two|three|four|five|six|seven|eight|nine|plus)"
    r"|(?:(?P<dtimes>double|treble|triple)[ \t]+)?(?P<digits>\+?\d+))(?!\w)",
    re.IGNORECASE,
)
_SPOKEN_GAP = re.compile(r"[ \t]*[,\-–]?[ \t]*")

# --------------------------------------------------------------------------- word lists
_TITLES = {
    "dr", "doctor", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "nurse", "sister",
    "father", "rev", "revd", "reverend", "cllr", "councillor", "pc", "sgt", "auntie", "aunty",
    "aunt", "uncle", "grandma", "grandad", "granddad", "sir", "dame", "imam", "pastor", "coach",
}
_RELATIONS = {
    "daughter", "daughters", "son", "sons", "friend", "friends", "partner", "husband", "wife",
    "mum", "mom", "mother", "dad", "father", "brother", "brothers", "sister", "sisters", "nan",
    "gran", "granny", "grandson", "granddaughter", "grandchild", "grandkids", "niece", "nephew",
    "cousin", "boyfriend", "girlfriend", "fiance", "fiancé", "fiancee", "fiancée", "ex", "carer",
    "worker", "keyworker", "caseworker", "coordinator", "co-ordinator", "cpn", "therapist",
    "counsellor", "counselor", "psychiatrist", "psychologist", "neighbour", "neighbor",
    "colleague", "boss", "manager", "mate", "flatmate", "housemate", "child", "children", "kid",
    "kids", "baby", "lad", "stepson", "stepdaughter", "stepdad", "stepmum", "twin", "twins",
    "sibling",
    "teacher", "mentor", "volunteer", "befriender", "officer", "advocate", "leader", "member",
    "participant", "client", "patient", "lodger", "landlord", "landlady", "pal", "grandson's",
    "grandfather", "grandmother", "midwife", "visitor", "practitioner", "supporter", "hubby",
}
_NAMING = {"called", "named", "call", "calls", "name's", "nicknamed", "alias"}
#: Family words after "my", "our" ...: the capitalised word that follows is a name even
#: when it is also a word ("my sister Marvellous", "our Storm", "my daughter Patience").
_FAMILY = {
    "daughter", "son", "friend", "partner", "husband", "wife", "mum", "mom", "mother", "dad",
    "father", "brother", "sister", "nan", "gran", "granny", "grandson", "granddaughter",
    "niece", "nephew", "cousin", "boyfriend", "girlfriend", "fiance", "fiancé", "fiancee",
    "fiancée", "stepson", "stepdaughter", "stepdad", "stepmum", "twin", "hubby", "grandad",
}
# Family words in the plural: "Grace and Hope are my twins", "my kids Grace and Hope"
_FAMILY_PLURALS = {
    "twins", "kids", "children", "sons", "daughters", "boys", "girls", "grandkids",
    "grandchildren", "grandsons", "granddaughters", "brothers", "sisters", "nieces",
    "nephews", "cousins", "parents", "friends",
}
_POSSESSIVES = {"my", "our", "his", "her", "their", "your"}
_NAMING_PAIRS = {("name", "is"), ("name", "'s"), ("name", "’s"), ("names", "are"),
                 ("known", "as"), ("goes", "by"), ("go", "by"), ("it", "'s"), ("this", "is"),
                 ("i", "'m"), ("i", "am"),
                 ("name", ":"), ("call", "me"), ("calls", "me"), ("called", "me"),
                 ("calls", "him"), ("calls", "her"), ("calls", "them")}
# Phrases that introduce a name ("my name is rose", "I'm called brook", "his surname BROWN",
# "first name Jo", "known as hope"): the word after one is a name in any case, even when it
# is also a word; see ``_introduced``. The words for a name, with "is"/"was"/":" or none
# after them ("name" alone only with "is": "my name is", not "the name Hope"):
_NAME_NOUNS = {"surname", "surnames", "forename", "forenames", "nickname", "firstname",
               "lastname"}
_NAME_MODIFIERS = {"first", "last", "middle", "family", "maiden", "given", "christian",
                   "second", "full", "real", "birth", "married", "proper", "other"}
_BE = {"is", "was", "'s", "’s", "am", "'m", "’m", "are", "were", "be", "been", "'re", "’re"}
# Who can be "called" or "named" a name: "I'm called", "he is called", "my son is named",
# "a lad called" (not "it's called Hope", "she called back", "called the GP").
_NAMED_SUBJECTS = {"i", "he", "she", "they", "we", "you", "who", "baby"}
# Honorifics written short: the word after one is a surname in any case, even one that is
# also a word ("mr mcdonald", "mrs green", "dr achterberg"); not "miss", also a verb ("I
# miss grace"), nor "doctor" and "sister", also nouns ("the doctor said").
# Surnames that are everyday words the name lexicon lacks: after a title, capitalised, they
# are surnames ("Dr Young", "Mrs Singer"); the lexicon's own surnames (Baker, Hope) are
# names already. Not "Dr Appointment", "Mr Men".
_WORD_SURNAMES = {
    "young", "sweet", "gardener", "singer", "painter", "dancer", "player", "stranger",
    "spinner", "keeping", "bird", "king", "fox", "wolf", "lamb", "swan", "crow", "rose",
    "moon", "day", "knight", "page", "bell", "wood", "field", "brook", "marsh", "hill",
    "stone", "rock", "frost", "snow", "rain", "winter", "summer", "spring", "gold", "silver",
    "pound", "penny", "price", "cash", "rich", "good", "best", "love", "kind", "gay",
    "bright", "light", "small", "long", "short", "little", "strong", "wise", "noble", "free",
    "major", "rector", "dean", "prior", "abbott", "monk", "friar", "pope", "lord", "duke",
    "earl", "baron", "squire", "sheriff", "chancellor", "steward", "reeve", "coward",
    "archer", "bowman", "hunter", "fisher", "tailor", "miner", "sawyer",
}
_SHORT_HONORIFICS = {"mr", "mrs", "ms", "mx", "dr", "prof", "rev", "revd", "cllr", "sgt"}
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
    "saturday", "sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri",
    "christmas", "easter", "eid", "ramadan", "diwali", "hanukkah",
}
_SERVICES = [
    "mind", "rethink", "samaritans", "shout", "calm", "papyrus", "kooth", "qwell",
    "togetherall", "beat", "sane", "young minds", "youngminds", "talking therapies",
    "crisis café", "crisis cafe", "hub of hope", "anxiety uk", "age uk", "citizens advice",
    "turning point", "change grow live", "andy's man club", "op courage", "nhs", "camhs",
    "iapt", "pals", "relate", "cruse", "mencap", "barnardo's", "childline", "nspcc", "refuge",
    "shelter", "stepchange", "samaritan", "healthwatch", "ofsted", "ofqual", "mumsnet",
]
# Well-known UK shop, café, supermarket and restaurant chains: "Greggs then Costa", "then Aldi",
# "Nando's". Some are names too (Costa, Aldi, Nando), so a title, relation word or person cue
# still makes one a person ("Mr Costa", "my mate Nando said"). The second set are surnames
# first and only a chain in the possessive ("Sainsbury's", "McDonald's", "Morrison's").
_CHAINS = {
    "aldi", "lidl", "tesco", "tescos", "asda", "sainsburys", "morrisons", "waitrose",
    "iceland", "coop", "londis", "spar", "budgens", "farmfoods", "greggs", "costa",
    "starbucks", "nero", "pret", "subway", "kfc", "mcdonalds", "maccies", "maccys", "nandos",
    "wetherspoons", "spoons", "primark", "matalan", "argos", "wilko", "wilkos", "poundland",
    "poundstretcher", "boots", "superdrug", "specsavers", "currys", "halfords", "screwfix",
    "wickes", "ikea", "debenhams", "selfridges", "peacocks", "ladbrokes", "betfred", "wimpy",
    "dominos", "timpsons", "barclays", "natwest", "santander", "halifax", "lloyds",
}
# Chains named after two people or a pair of names, masked as services are: nobody is
# called "Marks and Spencer" (shops named after one person, "John Lewis", "William Hill",
# stay names: a person of that name is as likely).
_CHAINS_PAIRED = [
    f"{a} {conj} {b}" for a, b in (("marks", "spencer"), ("marks", "sparks"),
                                   ("holland", "barrett"), ("frankie", "benny's"))
    for conj in ("and", "&")
]
_CHAINS_POSSESSIVE = {
    "sainsbury", "mcdonald", "morrison", "nando", "domino", "wetherspoon", "timpson", "lloyd",
}
# A capitalised place of worship before a name makes it the place's name: "Masjid Al-Noor",
# "Gurdwara Guru Nanak", "Temple Beth Shalom", "Church Farm".
_WORSHIP_WORDS = {
    "masjid", "mosque", "jamia", "madrasa", "madrassa", "gurdwara", "gurudwara", "mandir",
    "temple", "synagogue", "shul", "church", "chapel", "cathedral", "vihara",
}
# Where people come together: "Faith came to the group", "Grace came to every session"
# (not "Peace came to the estate", "Hope came to the rescue").
_GATHERINGS = {
    "group", "groups", "cafe", "café", "session", "sessions", "meeting", "meetings", "drop-in",
    "centre", "center", "hub", "club", "class", "classes", "course", "workshop", "lunch",
    "party", "event", "church", "mosque", "temple", "gurdwara", "clinic", "surgery",
    "appointment", "forum", "circle", "choir", "funeral", "vigil", "service", "coffee",
    "school", "library", "office", "door", "house", "flat", "garden", "walk", "quiz",
}
# "Eid Mubarak", "Ramadan Kareem", "Jummah Mubarak": greetings, though both words are names.
_FESTIVALS = {"eid", "ramadan", "ramzan", "jummah", "jumma", "jumuah", "diwali", "nowruz",
              "navroz", "eid-ul-fitr", "eid-ul-adha", "eid-al-fitr", "eid-al-adha"}
_FESTIVAL_GREETINGS = {"mubarak", "kareem"}
# Before a place of worship these make it the service, not the place's name: "After Mosque
# Yusuf stayed behind".
_EVENT_PREPS = {"after", "before", "since", "till", "until", "during"}
# Particles inside a place's name: "Costa del Sol", "Rio de Janeiro" (and inside people's:
# "Maria del Carmen", so only after a capitalised word that is not a person).
_NAME_PARTICLES = {"del", "de", "la", "da", "di", "do", "dos", "das", "le", "du", "des"}
# Lower-case words that make a name before them a ward's or unit's name ("Florence
# Nightingale ward", "Rose wing"): wards are named after people, and nobody is "Sarah ward".
_WARD_WORDS = {"ward", "wing", "unit", "suite"}
# "bumped into Shaz", "caught up with Jo": ways of meeting someone, like "met".
_MEET_PHRASES = {
    ("bumped", "into"), ("bump", "into"), ("bumping", "into"), ("bumps", "into"),
    ("caught", "up", "with"), ("catch", "up", "with"), ("catching", "up", "with"),
    ("met", "up", "with"), ("meet", "up", "with"), ("meeting", "up", "with"),
}
# Before a number, these make it a year group or an age ("in year 10 Park View Academy").
_NOT_HOUSE_NUMBER = {"year", "yr", "yrs", "years", "aged", "age", "ages", "grade", "class"}
# Between a house number and its street there is never a preposition ("in year 10 at Park
# View Academy", "2 kids at Park Lane Primary").
_NOT_STREET_WORDS = "at|in|on|to|of|and|or|for|from|with|by|into|near|is|was|are|were"

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
# After a name that is also an ordinary word (Hope, Will, Faith) or a lower-case name, only
# these show a person: things people say, do or are, not "Hope has", "Hope came".
_PERSON_VERBS = {
    "said", "says", "told", "tells", "asked", "asks", "explained", "explains", "mentioned",
    "reckons", "rang", "rings", "phoned", "texted", "emailed", "messaged", "replied", "admits",
    "admitted", "complained", "cried", "laughed", "shouted", "lives", "lived", "works", "worked",
    "wants", "wanted", "prefers", "preferred", "agreed", "agrees", "died",
}
# Particles that begin a surname after a title: "dr de la cruz", "Mr van der Berg"
_SURNAME_PARTICLES = {"de", "la", "le", "da", "di", "del", "della", "van", "von", "der", "den",
                      "al", "el", "bin", "ibn", "ap", "du", "dos", "das"}
# Words a jotting puts between a name and what the person did: "Bill again - says ...".
_BESIDE_NAME = {"again", "today", "too", "also", "still", "now", "then", "herself", "himself"}
# Seeing or talking to someone: "met dave", "spoke to Patience", "rang jo".
_MEET_VERBS = {
    "met", "meet", "meeting", "saw", "visited", "visiting", "rang", "phoned", "texted",
    "messaged", "emailed", "told", "asked", "thanked", "hugged", "introduced",
}
_TALK_VERBS = {"spoke", "speak", "speaking", "talked", "talk", "talking", "chatted", "chat", "sat"}
# "a course called Hope", "a group named Faith in Recovery": things, not people, are called so.
_THING_NOUNS = {
    "course", "courses", "group", "groups", "programme", "program", "project", "service", "app",
    "book", "charity", "scheme", "session", "sessions", "class", "classes", "workshop", "café",
    "cafe", "place", "film", "song", "show", "website", "site", "organisation", "organization",
    "campaign", "centre", "center", "ward", "home", "hostel", "pub", "shop", "street", "road",
    "band", "podcast", "magazine", "initiative", "network", "forum", "helpline", "line", "model",
    "approach", "technique", "exercise", "tool", "club", "team", "unit", "house", "event",
    "festival", "game", "poem", "play", "piece", "choir", "garden", "allotment", "bus", "boat",
    "horse", "dog", "cat", "pet", "puppy", "kitten", "budgie", "rabbit", "hamster", "parrot",
}
_DETERMINERS = {
    "the", "a", "an", "this", "that", "these", "those", "some", "any", "our", "their", "his",
    "her", "its", "your", "my", "no", "every", "each",
}
# First names that are first of all abstract nouns, virtues, seasons, months or the modal
# "will": capitals prove nothing ("Hope is the only thing", "gives me Faith", "Summer I'm
# fine"), so they need a cue (title, surname, "called", "X said", "met X", ", X, who") even
# mid-sentence, and "lost Hope" is the word. A small closed list, kept deliberately: every
# other first name in the lexicon counts when capitalised (see ``_WORD_FIRST`` for the words
# that are not really names at all). Many of these are given names too (Blessing, Favour,
# Precious, Comfort), so a cue still catches them.
_ABSTRACT_NAMES = {
    "hope", "faith", "patience", "grace", "joy", "charity", "mercy", "honor", "honour",
    "destiny", "unity", "harmony", "trinity", "serenity", "felicity", "prudence", "liberty",
    "justice", "peace", "love", "bliss", "glory", "heaven", "haven", "journey", "promise",
    "precious", "blessing", "blessed", "miracle", "courage", "spirit", "happy", "lucky", "sunny",
    "rich", "will", "may", "april", "june", "august", "summer", "autumn", "winter", "spring",
    "trust", "chance", "victory", "freedom", "wisdom", "kindness", "goodness", "happiness",
    "beauty", "comfort", "success", "progress", "praise", "treasure", "fortune", "silence",
    "favour", "favor", "gift", "wonder", "desire", "divine", "karma", "dharma", "confidence",
    "endurance", "purity", "innocent", "genesis",
}
# In the lexicon as first names (names-dataset is broad) but ordinary English words first:
# nouns for kinds of people, animals and things that begin sentences ("Staff were busy",
# "Cat's had kittens", "Art helps"), adjectives and verb forms ("Best advice", "Little has
# changed", "Said they'd"). They need a cue like the abstract names; "my friend Kit" still
# counts.
_WORD_FIRST = {
    "staff", "cat", "cats", "farmer", "doc", "king", "queen", "prince", "princess", "major",
    "mayor", "bishop", "sheriff", "marshal", "marine", "scholar", "senior", "junior", "elder",
    "champion", "hero", "dentist", "hunter", "tiger", "bear", "bull", "pig", "hen", "pony",
    "bunny", "kitty", "panda", "badger", "collie", "tabby", "bee", "fan", "bride", "buddy",
    "guru", "gal", "sis", "sista", "nana", "mummy", "papa", "baba", "bhai", "mates", "gang",
    "art", "rehab", "job", "law", "land", "tea", "milk", "fish", "rain", "snow", "sun", "storm",
    "moon", "star", "sky", "wind", "cloud", "stone", "rock", "gold", "silver", "forest",
    "bridge", "ring", "song", "heart", "hair", "circle", "season", "holiday", "image",
    "evidence", "ability", "choice", "ball", "bar", "bench", "floor", "sale", "med",
    "said", "given", "laid", "ran", "run", "led", "hung", "sang", "tore", "best",
    "little", "long", "lovely", "real", "low", "far", "deep", "tall", "tiny", "bright", "smart",
    "pretty", "glad", "sad", "fat", "red", "soon", "seven", "fun", "joke", "harm",
    "catch", "marry", "carry", "teach", "greet", "deny", "forgive", "sing", "win",
}
# A first name at the start of a sentence is a person when a verb follows ("Rob has a
# learning disability", "Jean had her hip done", "Ray came every fortnight"); "are"/"were"
# are left out, since a single name does not take them ("Staff were busy").
_SUBJECT_VERBS = (_FOLLOW_VERBS - {"from"}) | {
    "will", "would", "could", "can", "should", "might", "must", "did", "does", "do", "'ll",
    "’ll", "'d", "’d", "’s", "never", "always", "still", "also", "used", "seems", "looks",
    "loves", "likes", "hates", "knows", "knew", "made", "makes", "took", "takes", "gave",
    "gives", "left", "leaves", "brought", "brings", "sat", "sits", "stood", "couldn't",
    "wouldn't", "shouldn't", "hadn't", "says", "told", "tells", "admits", "reckons",
}
_PAST_TENSE = re.compile(r"^[a-z]{2,}ed$")
# "... from X" where X is where someone comes from, not who sent something.
_ORIGIN_WORDS = {
    "came", "come", "comes", "coming", "moved", "move", "moves", "moving", "over", "originally",
    "'m", "’m", "am", "is", "'s", "’s", "are", "was", "were", "be", "back", "fled", "arrived",
    "here", "family", "all", "way", "migrated", "emigrated", "relocated",
}
# Before a capitalised word, these make it a thing: "a Kit Kat", "a Barbie", "this Bond film".
_INDEFINITE = {
    "a", "an", "this", "that", "these", "those", "some", "any", "every", "each", "no",
    "another", "such", "what", "which",
}
# Verbs whose object is usually a person: "lose Dev", "lost Ray", "forget Joy" (but not for
# the abstract names above: "lost Hope").
_OBJECT_VERBS = {
    "lose", "lost", "losing", "miss", "missed", "misses", "missing", "forget", "forgot",
    "love", "loved", "loves", "trust", "trusted", "trusts", "hug", "thank", "visit", "visits",
    "ring", "phone", "text", "tell", "ask", "meet", "see", "sees", "seeing", "seen", "blame",
    "blamed", "marry", "married", "adore", "adored", "like", "liked", "likes",
}
# Capitalised place-type words after a name-like word: "Moss Side", "Rose Vale", "Hope End".
# The first set are hardly ever surnames and always excuse the word before; the second are
# also surnames (Sam Wood, Amy Cross) and only excuse a word that is not a clear first name.
_PLACE_WORDS = {
    "side", "town", "vale", "end", "common", "fields", "heights", "valley", "village", "estate",
    "quay", "docks", "moor", "marsh", "heath", "bottom", "top", "edge", "cross", "bridge", "wood",
    "woods", "brook", "dale", "gate", "field", "bank", "lea", "mead", "ley",
}
_PLACE_WORDS_SURNAMES = {
    "heath", "bottom", "cross", "bridge", "wood", "woods", "brook", "dale", "gate", "field",
    "bank", "lea", "mead", "ley", "marsh",
}
# Honorifics: the capitalised word after one is a surname even if it is a street or place word
# ("Mrs Green", "Dr Hill", "Mr Lane").
_HONORIFICS = {
    "mr", "mrs", "ms", "miss", "mx", "dr", "doctor", "prof", "professor", "sir", "dame", "rev",
    "revd", "reverend", "cllr", "councillor", "sgt", "pc",
}
# Street words that are also common surnames: after a clear first name they are the surname
# ("Sarah Hill", "Tom Green", "Amy Hall"), unless a street word follows ("Sarah Hill Road").
# Not "Street", "Court", "House", "Church" or "Lodge": "Mary Street", "Victoria Court"; and
# "Ward" only with a person cue ("Willow Ward" is a ward). After a first name that is also a
# word (Rose, Holly, Mark) the pair needs a person cue ("Pat Hill said", "met Holly Green")
# or must be mid-sentence ("gave Ruby Hall a lift"): "Rose Hill was lovely", "went to Rose
# Hill" are places.
_FIRST_NAME_STREET_SURNAMES = {"hill", "green", "hall", "lane", "park", "croft"}
_WARD_SURNAMES = {"ward"}  # only with a person cue: "Sarah Ward said", "met Amy Ward"
# Words for a person, after "a" in apposition: "Winnie Ward, a Traveller woman,"
_PERSON_NOUNS = {
    "woman", "man", "lady", "gentleman", "girl", "boy", "lad", "lass", "bloke", "guy",
    "person", "mother", "father", "mum", "dad", "grandmother", "grandfather", "widow",
    "widower", "pensioner", "student", "teenager", "carer", "refugee", "veteran", "fella",
    "someone", "somebody", "chap", "resident", "tenant", "family", "people",
}
# A job title after a first name that is only a name: the person and their role ("Nadia
# Lead", "Amir Manager"), not a proper-noun phrase ("Moss Side", "Grace Church").
_JOB_TITLES = {
    "lead", "manager", "coordinator", "co-ordinator", "officer", "worker", "director",
    "commissioner", "chair", "volunteer", "listener", "champion", "navigator", "advisor",
    "adviser", "practitioner", "therapist", "counsellor", "supervisor", "administrator",
}
# Jobs that are surnames too. Starting a jotting they are the job ("Farmer said GP was
# good", "Farmer's wife rang"); a title or a first name still makes one a surname.
_JOB_SURNAMES = {
    "farmer", "baker", "butcher", "cook", "shepherd", "porter", "driver", "carpenter",
    "gardener", "painter", "fisher", "miller", "thatcher", "plumber", "builder", "labourer",
    "keeper", "warden", "steward",
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
    "chinese", "cantonese", "mandarin", "afghan", "syrian", "iraqi", "iranian", "kenyan",
    "vietnamese", "filipino", "asian", "muslim", "christian", "jewish", "sikh", "hindu",
    "buddhist", "catholic", "anglican", "methodist", "baptist", "pentecostal", "orthodox", "roma",
    "traveller", "travellers", "gypsy", "black", "white", "romany", "romani", "romanichal",
    "sinti", "gypsies", "yenish", "mixed",
    # more nationalities, peoples and languages heard in England (none is a person's name)
    "czech", "slovak", "hungarian", "bulgarian", "latvian", "estonian", "albanian", "kosovan",
    "serbian", "croatian", "bosnian", "greek", "cypriot", "moldovan", "georgian", "belarusian",
    "yoruba", "igbo", "hausa", "twi", "akan", "ewe", "amharic", "tigrinya", "oromo", "swahili",
    "lingala", "shona", "ndebele", "zulu", "xhosa", "congolese", "ethiopian", "ugandan",
    "rwandan", "cameroonian", "leonean", "gambian", "senegalese", "moroccan",
    "algerian", "tunisian", "egyptian", "libyan", "yemeni", "palestinian", "lebanese",
    "jordanian", "saudi", "kuwaiti", "emirati", "israeli", "pashto", "pashtun", "dari",
    "baloch", "sorani", "kurmanji", "sinhala", "sinhalese", "nepali", "nepalese", "marathi",
    "telugu", "malayalam", "kannada", "mirpuri", "pahari", "sylheti", "hakka", "thai", "korean",
    "japanese", "malay", "malaysian", "indonesian", "tagalog", "bajan", "barbadian",
    "trinidadian", "guyanese", "brazilian", "colombian", "venezuelan", "ecuadorian",
    "bolivian", "peruvian", "chilean", "argentinian", "mexican", "cuban", "american",
    "canadian", "australian", "dutch", "belgian", "danish", "swedish", "norwegian", "finnish",
    "swiss", "austrian", "slovenian", "maltese", "hebrew", "yiddish", "bsl", "makaton",
}
_STOP = set(STOP_WORDS) - {"will", "may"}
# How notes describe someone without naming them ("Boy, 15, ...", "Gay, 24, ...").
_DESCRIBERS = {
    "boy", "girl", "man", "woman", "lady", "gent", "lass", "bloke", "fella", "person", "gay",
    "lesbian", "trans", "bi", "widow", "widower", "veteran", "pensioner", "teen", "teenager",
    "male", "female", "young", "older", "elderly", "youth", "student",
}
#: Words that start a clause: a name may come right after them ("and hodan says").
_CLAUSE_LINKS = {"and", "&", "but", "so", "then", "cos", "because", "when", "while", "if",
                 "that", "as", "or", "until", "till", "since", "after", "before"}
_NEVER_NAME = (_TITLES | _RELATIONS | _VOCATIVES | _ORG_WORDS | _DEMONYMS | _STOP
               | {"i", "gp", "god", "allah", "no", "ok", "nhs", "bro", "bruv", "babe", "hun"}
               # the names of personal details ("his dad, dob ...", "his nino"), and "Sri",
               # a title before a name and the start of "Sri Lanka", never a name itself
               | {"dob", "nino", "sri", "no-one", "noone", "someone", "anyone", "everyone"}
               | {"bday", "b'day", "b’day", "b-day", "birthday", "d.o.b", "d.o.b."}
               | _DESCRIBERS)
# Everyday acronyms of health, care, benefits, schools and texting. In capitals none is a
# name, though a broad name list has some as names somewhere (ICU, UC, ELSA, ISA, RAF, IRO,
# GAD). A word in capitals with no vowel (CPN, DWP, CMHT, PTSD) is an acronym anyway.
_ACRONYMS = {
    "nhs", "gp", "gps", "camhs", "amhp", "cpn", "cmht", "crht", "htt", "picu", "icu", "itu",
    "ae", "ed", "mh", "ld", "asd", "adhd", "add", "ocd", "ptsd", "cptsd", "bpd", "eupd", "gad",
    "ibs", "me", "ms", "copd", "cbt", "dbt", "emdr", "iapt", "mdt", "cpa", "cto", "dols", "mca",
    "ect", "eip", "spa", "ot", "salt", "pip", "dwp", "uc", "esa", "jsa", "hb", "hmrc", "dla",
    "isa", "pcn", "icb", "cqc", "pals", "dvla", "sen", "send", "senco", "ehcp", "pru", "elsa",
    "dsl", "iro", "sgo", "yot", "cin", "lac", "gcse", "gcses", "ucas", "dbs", "lgbt", "lgbtq",
    "lgbtqi", "bame", "bme", "esol", "raf", "rabi", "dil", "mil", "hiv", "aids", "asap", "ok",
    "omg", "lol", "tbh", "idk", "fyi", "rip", "idva", "isva", "marac", "mappa", "pcso", "hmp",
    "asbo", "hmo", "uk", "usa", "eu", "bbc", "itv", "tv", "nok", "aka", "hca",
}
_VOWELS = frozenset("aeiouy")
# Words that begin a two-word nickname: "Big Mo", "Little Dee", "Young Kez", "Lil Jay" (not
# "Baby Niamh is 8 weeks": the baby, who is called Niamh).
_NICK_PREFIXES = {"big", "little", "lil", "young", "old", "tiny", "mad", "wee"}
# An age after a name: "15", "40s", "16yo", "17yrs" (with "early", "aged", "y/o" around it).
_AGE_TOKEN = re.compile(r"^(?:\d{1,3}|[1-9]0s|\d{1,2}(?:yo|yrs?|ish))$", re.IGNORECASE)
_AGE_WORDS = {"early", "mid", "late", "aged", "age", "about", "around", "nearly", "almost",
              "yo", "y", "o", "yrs", "yr", "years", "year", "old", "months", "mths", "weeks",
              "ish"}
# Pronouns in brackets after a name: "(she/they)", "(he/him, 17)". Only people have them.
_PRONOUNS = {"she", "her", "hers", "he", "him", "his", "they", "them", "theirs", "ze", "zir",
             "xe", "xem", "it", "any", "all"}
# Words that may stand with an age, a relation or pronouns in a bracket after a name.
_BRACKET_FILLERS = _AGE_WORDS | _POSSESSIVES | {",", ";", "-", "–", "and", "&", "the", "a"}
# A personal detail after a possessive: "Summer's DOB", "Grace's own mob", "Faith's number",
# "Will's address". Organisations have numbers, addresses and e-mails too, so only the
# details in ``_PERSON_FIELDS`` (or "own"/"personal"/"home" before one) vouch for a word no
# dictionary has; the rest need a name from the lexicon.
_FIELD_WORDS = {
    "number", "num", "phone", "tel", "tel.", "landline", "email", "e-mail", "address",
    "postcode", "contact", "details",
}
_PERSON_FIELDS = {
    "dob", "d.o.b", "d.o.b.", "birthday", "bday", "b'day", "mob", "mob.", "mobile", "nino",
}
_FIELD_LEADS = {"own", "personal", "private", "home", "new", "old", "work", "main"}
_PERSON_LEADS = {"own", "personal", "private", "home"}
_PLACE_PREPS = {"in", "near", "around", "outside", "across", "throughout", "within", "into"}
# Before a word for a kind of person in the possessive (King, Queen, Guy: a king, a guy),
# these make it a place named so, most often a hospital: "A&E at King's" (King's College
# Hospital), "taken to Guy's", "seen at Queen's", "a nurse from King's". A first name that
# is a name first is someone's home ("stayed at Rob's", "at Jamie's"), and a cue still
# makes a person ("Mr King's son", "my friend Guy's mum").
_PLACE_NAMED_PREPS = {"at", "in", "to", "into", "from", "near", "outside", "inside"}
# Before a first name + street word, these make the pair a place: "walk round Alexandra Park".
_BEFORE_PLACE = _PLACE_PREPS | {
    "st", "saint", "the", "at", "on", "off", "up", "down", "along", "past", "via", "round",
    "through", "towards", "opposite", "behind", "beside",
}
# Words no dictionary has that are jobs or roles ("Paediatrician", "Skipper", "Chaplain"
# aside) or contractions ("Nobody'd"), not names, before a person's verb.
_ROLE_OR_CONTRACTION = re.compile(r"(?:ician|ologist|iatrist|ist|er|or|['’](?:d|ll|ve|re))$")
_ALPHA_UNIT = re.compile(r"^[^\W\d_]+(?:['’][^\W\d_]+)?$")
_SURNAME_PREFIX = re.compile(r"^(?:o['’]|mc|mac)[^\W\d_]{2,}$", re.IGNORECASE)

_STREET_SUFFIX = (
    "road|rd|street|st|avenue|ave|lane|ln|close|drive|way|crescent|cres|grove|place|pl|terrace"
    "|gardens|court|ct|square|sq|walk|row|mews|parade|rise|view|hill|green|park|mount|vale|wharf"
    "|approach|boulevard|parkway|broadway|croft|fold|gate|brow|meadow|meadows|chase|grange"
)
# Capitalised after a name-like word, these make it part of a street or place name.
_STREET_WORDS = _ORG_WORDS | _PLACE_WORDS | set(_STREET_SUFFIX.split("|"))
# Names of blocks of flats ("Flat 5, Jubilee House") and of houses ("The Old Rectory").
_BUILDING_SUFFIX = (
    "house|court|lodge|mansions|buildings|tower|towers|heights|point|block|hall|cottages"
    "|apartments|flats|mill|quay|wharf|yard|works|villas"
)
_NAMED_PLACE_WORDS = _STREET_WORDS | set(_BUILDING_SUFFIX.split("|"))
_HOUSE_NAME_SUFFIX = (
    "rectory|vicarage|manse|cottage|cottages|farm|farmhouse|barn|lodge|house|bungalow|mill"
    "|granary|orchard|grange|hall|villa|croft"
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
    services.add("SERVICE", list(nlp.tokenizer.pipe(_SERVICES + _CHAINS_PAIRED)))
    # places of more than one word ("Hong Kong", "Milton Keynes", "Sierra Leone") are
    # masked as services are: each word alone can be a name ("Milton", "Kong")
    services.add("PLACE", list(nlp.tokenizer.pipe(
        token for token, flags in lexicon.items() if " " in token.strip() and "P" in flags
    )))
    address = Matcher(nlp.vocab)
    number = {"TEXT": {"REGEX": r"^\d{1,4}[A-Za-z]?$"}}
    flat_number = {"TEXT": {"REGEX": r"^\d{1,4}[A-Za-z]?(?:/\d{1,3}[A-Za-z]?)?$"}}  # "Flat 3/2"
    word = {"TEXT": {"REGEX": r"^(?:[A-Z][a-z'’]+|St\.?|'s)$"}}
    lower_word = {"TEXT": {"REGEX": rf"^(?!(?:{_NOT_STREET_WORDS})$)[a-z][a-z'’]+$"}}
    suffix = {"LOWER": {"REGEX": rf"^(?:{_STREET_SUFFIX})\.?$"}}
    flats = ["flat", "apartment", "apt", "unit", "room", "studio", "maisonette"]
    flat = {"LOWER": {"IN": flats}}
    flat_not_room = {"LOWER": {"IN": [f for f in flats if f != "room"]}}
    room = {"LOWER": "room"}
    venue = ["church", "chapel", "community", "village", "parish", "scout", "scouts", "library",
             "school", "sports", "leisure", "mosque", "temple", "gurdwara", "synagogue",
             "methodist", "baptist", "quaker", "town", "civic", "memorial", "youth"]
    comma = {"TEXT": ",", "OP": "?"}
    building = {"LOWER": {"REGEX": rf"^(?:{_STREET_SUFFIX}|{_BUILDING_SUFFIX})$"}}
    house = {"TEXT": {"REGEX": rf"^(?:{_HOUSE_NAME_SUFFIX.title()})$"}}
    # "number 14 on Mill Lane", "no. 3, Park Road", "house 5, rowan close"
    house_no = [{"LOWER": {"IN": ["number", "no", "no.", "num", "nr", "house"]}},
                {"TEXT": ".", "OP": "?"}, number,
                {"LOWER": {"IN": ["on", "in", "at", ","]}, "OP": "?"}]
    for words in (word, lower_word):
        for n_words in (1, 2, 3):
            street = [number] + [words] * n_words + [suffix]
            address.add("ADDRESS", [street])
            address.add("ADDRESS", [[flat, flat_number, comma] + street])
            # a numbered flat in a named block, no house number: "Apartment 5, Riverside Court";
            # a room is one too ("Room 12, Acorn House", a hostel), but not a room in a
            # meeting place ("Room 2 church hall", "room 4, Village Hall")
            address.add("ADDRESS", [[flat_not_room, flat_number, comma] + [words] * n_words
                                    + [building]])
            address.add("ADDRESS", [[room, flat_number, comma]
                                    + [{**words, "LOWER": {"NOT_IN": venue}}] * n_words
                                    + [building]])
            address.add("ADDRESS", [house_no + [words] * n_words + [suffix]])
    # Welsh streets name their type first: "3 Heol y Parc", "12 Ffordd Las", "5 Stryd Fawr"
    welsh = {"TEXT": {"REGEX": r"^(?:Heol|Ffordd|Stryd|Lôn|Lon|Rhodfa|Cilgant|Clos|Maes)$"}}
    article = {"LOWER": {"IN": ["y", "yr", "'r", "’r"]}, "OP": "?"}
    for n_words in (1, 2):
        address.add("ADDRESS", [[number, welsh, article] + [word] * n_words])
    # a farm or cottage by its name alone: in the country it is a home's address ("Hollin
    # Edge Farm", "Top Fold Farm", "Ivy Cottage"); not a kind of farm ("City Farm")
    home = {"TEXT": {"REGEX": r"^(?:Farm|Farmhouse|Farms|Barn|Cottage|Cottages)$"}}
    for n_words in (1, 2, 3):
        address.add("HOME", [[word] * n_words + [home]])
    # a numbered house in a named row: "9 Railway Cottages", "number 4 Albert Villas"
    row = {"TEXT": {"REGEX": r"^(?:Cottages|Villas|Almshouses)$"}}
    for n_words in (1, 2):
        address.add("ADDRESS", [[number] + [word] * n_words + [row]])
        address.add("ADDRESS", [house_no + [word] * n_words + [row]])
    # a street named in one word ending in -way or -gate: "3 Kingsway", "14 Micklegate"
    # (not an everyday word: "2 Gateway courses"; checked in ``_address_spans``)
    one_word = {"TEXT": {"REGEX": r"^[A-Z][a-z]{2,}(?:way|gate)$"}}
    address.add("ONE_WORD_STREET", [[number, one_word], house_no + [one_word]])
    # a pitch or plot on a Travellers' site or a caravan or park-home site: "Plot 6, Rosebank
    # Travellers Site", "pitch 12 at Oak Tree Caravan Park"
    pitch = [{"LOWER": {"IN": ["plot", "pitch"]}}, number,
             {"LOWER": {"IN": [",", "at", "on", "-"]}, "OP": "?"}, {"LOWER": "the", "OP": "?"}]
    site_kind = {"TEXT": {"REGEX": r"^(?:Caravan|Travellers['’]?|Traveller|Gypsy|Residential"
                                   r"|Home|Holiday)$"}}
    for n_words in (0, 1, 2):
        address.add("ADDRESS", [pitch + [word] * n_words + [site_kind]
                                + [{"TEXT": {"IN": ["Site", "Park"]}}]])
        if n_words:
            address.add("ADDRESS", [pitch + [word] * n_words + [{"TEXT": "Site"}]])
    # a house name then its street: "The Old Rectory, Church Lane", "Rose Cottage, Mill Road"
    for n_before in (0, 1, 2):
        for n_street in (1, 2, 3):
            named = [{"LOWER": "the", "OP": "?"}] + [word] * n_before + [house, comma]
            address.add("ADDRESS", [named + [word] * n_street + [suffix]])
    return _Resources(nlp, lexicon, services, address)


def lexicon_flags(word: str) -> str:
    """The lexicon's flags for a word: F first name, L surname, W everyday English word,
    P place; "" for a word it does not know."""
    return _resources().lexicon.get(word.lower(), "")


def is_common_word(word: str) -> bool:
    """Whether a word is an everyday English word ("reading", "bath"), from the lexicon."""
    return "W" in _resources().lexicon.get(word.lower(), "")


def place_key(name: str) -> tuple[str, ...]:
    """A place's name as words to compare (lower case; hyphens, full stops and "Saint"
    alike: "Stoke-on-Trent" is "stoke on trent", "St. Helens" and "Saint Helens" are one)."""
    words = re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)*", name.casefold())
    return tuple("st" if w == "saint" else w.replace("’", "'") for w in words)


@lru_cache(maxsize=1)
def _place_names() -> tuple[frozenset[tuple[str, ...]], int]:
    """The lexicon's places (flag P) of more than one word, by `place_key`, and the most
    words one has."""
    names = frozenset(key for token, flags in _resources().lexicon.items()
                      if "P" in flags and len(key := place_key(token)) > 1)
    return names, max(map(len, names), default=1)


#: Words after which a capitalised everyday word that is also a town is the town ("live in
#: Reading", "moved to Bath", "the lads from Bury"); anywhere else it may be the word
#: ("Reading the letter", "had a Bath").
_PLACE_CUES = frozenset("""
    in into to from near nr around round outside towards toward via at of between across
    through past beyond
""".split())
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def place_name_spans(text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """Towns, cities, regions and countries the lexicon knows (flag P) that `text` names,
    as (start, end, `place_key`), longest name first ("Milton Keynes", "Stoke-on-Trent",
    "St. Helens", "Keighley's" without its "'s"). Capitalised words only: in lower case a
    place cannot be told from a word or a name. A place that is also an everyday word
    ("Reading", "Bath", "Deal") only where a word before it puts a place there ("live in
    Reading", "moved to Bath"), never at a sentence's start ("Reading the letter ...").
    Which of them a text may keep is its reader's rule (`insight.privacy.Towns`)."""
    lexicon = _resources().lexicon
    names, longest = _place_names()
    words = list(_WORD.finditer(text))
    out = []
    i = 0
    while i < len(words):
        first = words[i]
        if not first.group()[:1].isupper():
            i += 1
            continue
        found = 0
        for n in range(min(longest, len(words) - i), 1, -1):
            run = words[i:i + n]
            gaps = [text[a.end():b.start()] for a, b in zip(run, run[1:], strict=False)]
            if not run[-1].group()[:1].isupper() or not all(
                    re.fullmatch(r"\s+|\s*-\s*", gap) or (
                        re.fullmatch(r"\.\s*", gap) and len(a.group()) <= 3)
                    for gap, a in zip(gaps, run, strict=False)):
                continue
            if place_key(" ".join(w.group() for w in run)) in names:
                found = n
                break
        if found:
            run = words[i:i + found]
            out.append((first.start(), run[-1].end(),
                        place_key(" ".join(w.group() for w in run))))
            i += found
            continue
        word = re.sub(r"['’]s$", "", first.group(), flags=re.IGNORECASE)
        flags = lexicon.get(word.casefold(), "")
        if "P" in flags:
            before = words[i - 1] if i else None
            cued = (before is not None and before.group().casefold() in _PLACE_CUES
                    and not text[before.end():first.start()].strip())
            if "W" not in flags or cued:
                out.append((first.start(), first.start() + len(word), place_key(word)))
        i += 1
    return out


# --------------------------------------------------------------------------- detectors
def _nhs_ok(digits: str) -> bool:
    """NHS number modulus-11 check digit (NHS Data Dictionary)."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _nhs_cue_before(text: str, start: int) -> bool:
    """ "NHS", "NHS number", "NHS no. is" within 40 characters before, in the same sentence."""
    window = text[max(0, start - 40):start]
    cues = list(_NHS_CUE.finditer(window))
    if not cues:
        return False
    between = window[cues[-1].end():]
    return not re.search(r"\d|[!?;\n]|\.\s+[A-Z]", between)


def _spelled_email_ok(local: str) -> bool:
    """The part before a spoken "at" looks like a mailbox, not a word ("looked at ...")."""
    if re.search(r"[\d._+]|\s(?:dot|underscore)\s", local, re.IGNORECASE):
        return True
    low = local.lower()
    flags = _resources().lexicon.get(low, "")
    return low not in _STOP and ("F" in flags or "L" in flags or "W" not in flags)


def _handle_ok(handle: str, cued: bool) -> bool:
    """A social media handle, not a time, an amount or an "@" for "at" ("@3pm", "@home",
    "snap: 3hrs a day", "insta: private"). Plain words only count after a site's name."""
    bare = handle.lstrip("@")
    if not re.search(r"[A-Za-z]", bare) or _NOT_HANDLE.match(bare):
        return False
    if re.search(r"[\d_.]", bare):
        return True
    low = bare.lower()
    flags = _resources().lexicon.get(low, "")
    if low in _STOP or low in _NEVER_NAME or low in _DATE_WORDS:
        return False
    return "F" in flags or "L" in flags or "W" not in flags or (cued and handle.startswith("@"))


def _handle_spans(text: str) -> list[PiiSpan]:
    """Social media handles ("@jazzyjas_x", "snap: lilbabyk") and profile links
    ("facebook.com/kasia.lewandowska.5"): each points at one person."""
    out = []
    for m in _SOCIAL_URL.finditer(text):
        end = m.start() + len(m.group().rstrip(".!?:"))
        if text[m.start():end].rstrip("/").endswith((".com", ".me", ".am", ".be", ".net")):
            continue  # a bare domain: no profile
        out.append(PiiSpan(m.start(), end, "HANDLE"))
    for m in _AT_HANDLE.finditer(text):
        cued = bool(_SITE_CUE.search(text, max(0, m.start() - 25), min(len(text), m.end() + 25)))
        if _handle_ok(m.group(), cued):
            out.append(PiiSpan(m.start(), m.end(), "HANDLE"))
    for m in _SITE_HANDLE.finditer(text):
        if _handle_ok(m.group("handle"), True):
            out.append(PiiSpan(m.start("handle"), m.end("handle"), "HANDLE"))
    if not _SITE_NAME.search(text):
        return out
    for m in _SITE_SPACE_HANDLE.finditer(text):
        handle = m.group("handle")
        if _handle_ok(handle, True) and (_handle_shaped(handle) or (
                m.group("lead") and not handle.istitle())):  # not "on facebook Sarah said"
            out.append(PiiSpan(m.start("handle"), m.end("handle"), "HANDLE"))
    for m in _HANDLE_BEFORE_SITE.finditer(text):
        handle = m.group("handle")
        if _handle_shaped(handle) and _handle_ok(handle, True):
            out.append(PiiSpan(m.start("handle"), m.end("handle"), "HANDLE"))
    return out


def _handle_shaped(handle: str) -> bool:
    """Only a handle has a digit, "_" or "." among three letters or more ("kezzy.b",
    "lil_k99"; not "e.g", "yr9", "3.5hrs", a web address "mind.org.uk")."""
    return (bool(re.search(r"[\d_.]", handle)) and len(re.findall(r"[A-Za-z]", handle)) >= 3
            and not _NOT_HANDLE.match(handle)
            and not re.search(r"\.(?:com|org|net|co|uk|io|gov|nhs|me)$", handle, re.IGNORECASE))


def _regex_spans(text: str) -> list[PiiSpan]:
    out = [PiiSpan(m.start(), m.end(), "EMAIL") for m in _EMAIL.finditer(text)]
    for m in _EMAIL_SPELLED.finditer(text):
        if _spelled_email_ok(m.group("local")):
            out.append(PiiSpan(m.start(), m.end(), "EMAIL"))
    for m in _NHS.finditer(text):
        if _nhs_ok(m.group(1) + m.group(3) + m.group(4)) or _nhs_cue_before(text, m.start()):
            out.append(PiiSpan(m.start(), m.end(), "NHS_NUMBER"))
    for m in _NINO.finditer(text):
        if m.group()[:2].isupper() or _NINO_CUE.search(text, max(0, m.start() - 40), m.start()):
            out.append(PiiSpan(m.start(), m.end(), "NI_NUMBER"))
    out += [PiiSpan(m.start(), m.end(), "POSTCODE") for m in _POSTCODE.finditer(text)]
    out += _spaced_postcode_spans(text)
    for dob in (_DOB, _DOB_SHORT):
        for m in dob.finditer(text):
            end = m.end("date")
            if text[end - 1] == "." and _FULL_MONTH_DOT.search(m.group("date")):
                end -= 1  # "birthday 12th June.": the full stop ends the sentence
            out.append(PiiSpan(m.start("date"), end, "DATE_OF_BIRTH"))
    out += _old_full_dates(text)
    out += _vehicle_spans(text)
    out += _id_spans(text)
    return out + _handle_spans(text)


def _phone_spans(text: str) -> list[PiiSpan]:
    """UK numbers that reach a person; helplines and short codes are public, not PII."""
    out = []
    matcher = phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE)
    for match in matcher:
        raw = match.raw_string
        if not re.match(r"^(?:\+|00|\(?0)", raw):
            continue  # written without a trunk 0 or country code: a reference number
        if not _reaches_person(match.number):
            continue
        start, end = match.start, match.end
        if raw.startswith("(") and ")" not in raw:
            start += 1  # "Janet (07700900555)": the bracket is punctuation, not an area code
        if raw.endswith(")") and "(" not in raw:
            end -= 1
        out.append(PiiSpan(start, end, "PHONE"))
    return out + _spoken_phone_spans(text)


def _reaches_person(number: phonenumbers.PhoneNumber) -> bool:
    """A mobile, geographic, personal or VoIP number (not a helpline, 0800 or 03xx line)."""
    if phonenumbers.is_valid_number(number):
        return phonenumbers.number_type(number) in _PHONE_TYPES
    # Ofcom's drama ranges (07700 900xxx) and new ranges are "possible" but not in the
    # metadata: keep possible UK geographic (01/02) and mobile (07) numbers.
    national = str(number.national_number)
    return number.country_code == 44 and national[0] in "127" and len(national) >= 9


def _spoken_pieces(text: str) -> Iterator[list[tuple[int, int, str, bool]]]:
    """Runs of digits written in words or figures ("oh seven seven double 9", "07 double 7
    nine 123 456", "plus four four ...", "nine hundred"), on one line, separated by spaces,
    commas or dashes: lists of (start, end, digits, spoken) per piece ("double 7" is one
    piece, "77"; "nine hundred" is one, "900")."""
    run: list[tuple[int, int, str, bool]] = []
    pos = 0
    for m in _SPOKEN_PIECE.finditer(text):
        if run and not _SPOKEN_GAP.fullmatch(text[pos:m.start()]):
            yield run
            run = []
        word = m.group("word")
        if m.group("zeros") is not None:  # "nine hundred" is 900
            head = m.group("hdigit")
            piece = _DIGIT_WORDS.get(head.lower(), head) + _ZEROS_WORDS[m.group("zeros").lower()]
            spoken = True
        elif word is not None:
            digit = _DIGIT_WORDS[word.lower()]
            times = _REPEAT_WORDS.get((m.group("times") or "").lower(), 1)
            piece = "+" if digit == "+" else digit * times
            spoken = True
        else:
            piece = m.group("digits")
            times = _REPEAT_WORDS.get((m.group("dtimes") or "").lower(), 1)
            piece = piece[:1] * times + piece[1:]  # "double 7" is 77
            spoken = times > 1
        run.append((m.start(), m.end(), piece, spoken))
        pos = m.end()
    if run:
        yield run


def _spoken_phone_spans(text: str) -> list[PiiSpan]:
    """A UK phone number dictated in words, or partly in words: "oh seven seven nine ...",
    "07 double 7 nine 123 456", "zero one six one ...", "plus four four seven ...", "oh seven
    seven oh oh, nine hundred, four five six". The digits must make a number that reaches a
    person, from a trunk 0 or +44 (not "seven or eight times", "nine hundred people", not
    "oh eight hundred"). A number spelled out digit by digit from 01, 02 or 07 is
    kept with one digit too many or too few: people mishear and mistype dictated numbers."""
    out = []
    for run in _spoken_pieces(text):
        i = 0
        while i < len(run):
            found = None
            if run[i][2][:1] in {"0", "+"}:
                for j in range(len(run) - 1, i - 1, -1):
                    pieces = run[i:j + 1]
                    if any(p[3] for p in pieces) and _spoken_number_ok(pieces):
                        found = j
                        break
            if found is None:
                i += 1
                continue
            out.append(PiiSpan(run[i][0], run[found][1], "PHONE"))
            i = found + 1
    return out


def _spoken_number_ok(pieces: list[tuple[int, int, str, bool]]) -> bool:
    """Whether dictated pieces make a UK number that reaches a person."""
    digits = "".join(p[2] for p in pieces)
    if "+" in digits[1:]:
        return False
    if digits.startswith("0044"):
        digits = "+" + digits[2:]  # "oh oh four four seven ..."
    if digits.startswith("+440"):
        digits = "+44" + digits[4:]  # "plus four four oh seven ..."
    if digits.startswith("+"):
        if not digits.startswith("+44") or len(digits) != 13:
            return False
    elif len(digits) != 11:
        spelled = all(p[3] and len(p[2]) <= 3 for p in pieces)
        return spelled and len(digits) in (10, 12) and digits[:2] in {"01", "02", "07"}
    try:
        number = phonenumbers.parse(digits, "GB")
    except phonenumbers.NumberParseException:
        return False
    return _reaches_person(number)


def _address_spans(doc: Doc, res: _Resources) -> list[PiiSpan]:
    out = []
    for match, start, end in res.address(doc):
        if doc.vocab.strings[match] == "HOME":
            while start < end - 2 and (start == 0 or doc[start - 1].text in _SENT_BREAK) and (
                    "W" in res.lexicon.get(doc[start].lower_, "W")):
                start += 1  # "Visited Top Fold Farm": a sentence's first word is not its name
            after = doc[end].lower_ if end < len(doc) else ""
            if not any(t.lower_ in _FARM_KINDS for t in doc[start:end - 1]) and (
                    after not in _NOT_A_HOME_AFTER):
                # "Kirkstall City Farm" is a public place, "Rose Cottage care home" a service
                out.append(PiiSpan(doc[start].idx, doc[end - 1].idx + len(doc[end - 1]),
                                   "ADDRESS"))
            continue
        span = doc[start:end]
        after = doc[end] if end < len(doc) else None
        if doc.vocab.strings[match] == "ONE_WORD_STREET" and (
                "W" in res.lexicon.get(span[-1].lower_, "")
                or (start > 0 and doc[start - 1].lower_ in _DETERMINERS)
                or (after is not None and (after.is_title or after.lower_ in _STREET_WORDS))):
            continue  # "2 Gateway courses", "3 Broadway Market": not a one-word street
        if start > 0 and doc[start - 1].lower_ in _NOT_HOUSE_NUMBER:
            continue  # "in year 10 Park View Academy": a year group or an age
        if after is not None and after.lower_ in _SCHOOL_HEADS and not after.is_lower:
            continue  # "10 Park View Academy": the street words are a school's name
        if span[-1].lower_.rstrip(".") in {"st", "rd"} and after is not None and after.is_alpha \
                and (after.is_title or after.is_upper) and not _new_sentence(span[-1], after, res):
            continue  # "12 St Mary's", "Year 10 at ST JOHNS": a saint's name, not "12 X St"
        out.append(PiiSpan(span.start_char, span.end_char, "ADDRESS"))
    return out


# Where someone lives: the street after one of these and "on" (or "at") is their address
# even without a house number ("I live on Roundhay Rd"); elsewhere a street alone is not
# ("the surgery on Roundhay Road", "People on Victoria Road").
_LIVE_VERBS = {"live", "lives", "living", "lived", "stay", "stays", "staying", "stayed"}
# After "lives at" only a street's own words: "lives at Hope Street", not "at Roundhay Park"
_AT_STREET_SUFFIX = {
    "road", "rd", "street", "st", "avenue", "ave", "lane", "ln", "close", "drive", "crescent",
    "cres", "terrace", "grove", "place", "pl", "way", "court", "ct", "gardens", "mews", "walk",
    "row", "square", "sq",
}
_STREET_SUFFIX_RE = re.compile(rf"^(?:{_STREET_SUFFIX})\.?$", re.IGNORECASE)
# "house number twenty two", "flat no. 3": a home's number, in figures or in words
_HOUSE_NUMBER_WORDS = re.compile(
    r"\b(?:house|flat|door)\s+(?:number|no\.?|num)\s+(?:is\s+|was\s+)?"
    rf"(?:\d{{1,4}}[A-Za-z]?(?![\w/])|(?:{_TWO_DIGIT_WORDS}|{_UNIT_WORD})\b)",
    re.IGNORECASE,
)


def _lives_on_spans(doc: Doc, res: _Resources) -> list[PiiSpan]:
    """The street someone lives on, with no house number ("I live on Roundhay Rd", "lives
    on hyde park road"), and a home's number in words or figures ("house number twenty
    two"). One to three words of the street's name, capitalised or, in lower case, words no
    dictionary has as ordinary words; not "lives on her own", "lives on the 9th floor"."""
    out = []
    n = len(doc)
    for i in range(n - 3):
        if doc[i].lower_ not in _LIVE_VERBS or doc[i + 1].lower_ not in {"on", "at"}:
            continue
        j = i + 2
        while j < n and j - (i + 2) < 4 and (
                (doc[j].text in _POSSESSIVE and j > i + 2) or doc[j].lower_ not in _STOP) and (
                (doc[j].is_alpha and (doc[j].is_title or doc[j].is_upper or (
                    doc[j].is_lower and ("W" not in res.lexicon.get(doc[j].lower_, "")
                                         or "P" in res.lexicon.get(doc[j].lower_, "")))))
                or _STREET_SUFFIX_RE.match(doc[j].text)
                or (doc[j].text in _POSSESSIVE and j > i + 2)):  # "St Mark's Road"
            j += 1
        # the last street word among them ends the street: "Roundhay Rd", "Sarah Hill Road"
        ends = [k for k in range(i + 3, j) if _STREET_SUFFIX_RE.match(doc[k].text)]
        if not ends:
            continue
        k = ends[-1]
        if doc[i + 1].lower_ == "at" and doc[k].lower_.rstrip(".") not in _AT_STREET_SUFFIX:
            continue
        if k + 1 < n and doc[k + 1].lower_ in (_SCHOOL_HEADS | _ORG_WORDS) - _AT_STREET_SUFFIX:
            continue  # "lives on Hope Street Surgery's patch"
        out.append(PiiSpan(doc[i + 2].idx, doc[k].idx + len(doc[k].text), "ADDRESS"))
    out += [PiiSpan(m.start(), m.end(), "ADDRESS") for m in _HOUSE_NUMBER_WORDS.finditer(doc.text)]
    return out


def _new_sentence(suffix: Any, after: Any, res: _Resources) -> bool:
    """ "56a High St. She moved": the full stop after "St." ends the sentence when the next
    word is a function word or an ordinary word, not a saint's name ("St. Mary's")."""
    if not suffix.text.endswith("."):
        return False
    flags = res.lexicon.get(after.lower_, "")
    return after.lower_ in _STOP or ("W" in flags and "F" not in flags and "P" not in flags)


# Words that make "<word> Farm" a kind of farm or a public place, not a home
_FARM_KINDS = {
    "city", "community", "care", "urban", "petting", "animal", "open", "social", "children's",
    "wind", "solar", "fish", "dairy", "pig", "sheep", "organic", "the", "a", "our", "their",
    "his", "her", "my",
}


# After "<name> Cottage/Farm", words that make it a service or a business, not a home
_NOT_A_HOME_AFTER = {
    "care", "nursing", "residential", "hospice", "surgery", "ward", "shop", "cafe", "café",
    "tearoom", "tearooms", "nursery", "hospital", "unit", "centre", "center", "project",
}


# --------------------------------------------------------------------------- SCHOOL
# The word that ends a school's name. "high", "primary", "grammar", "secondary" are also
# ordinary words, so a lone common word before them is not a name ("Feeling High").
_SCHOOL_HEADS = {
    "academy", "school", "college", "nursery", "pru", "infants", "juniors", "preschool",
    "high", "primary", "grammar", "secondary",
}
_SCHOOL_HEADS_PLAIN = {"high", "primary", "grammar", "secondary"}
# Words that may come between the name and the final school word: "Primary School", "High
# School", "Sixth Form College", "Primary Academy", "Junior School", "Community College".
_SCHOOL_TYPE_WORDS = _SCHOOL_HEADS | {
    "sixth", "form", "junior", "infant", "community", "free", "special", "church", "of",
    "england", "c", "e", "ce", "cofe", "rc", "catholic", "methodist", "girls", "boys",
    "girls'", "boys'", "pre", "-", "technical", "comprehensive", "upper", "middle", "lower",
    "first", "federation", "studio", "university", "technology", "pupil", "referral",
}
# A name made only of these is a kind of school, not one school ("a special school").
_SCHOOL_GENERIC = _SCHOOL_TYPE_WORDS | {
    "st", "st.", "saint", "'s", "’s", "and", "&", "new", "old", "local", "private",
    "state", "independent", "village", "boarding", "faith", "mainstream", "alternative",
    "specialist", "big", "main", "other", "same", "different", "next", "previous", "current",
    "last", "nearest", "whole", "year", "fe", "he", "sen", "send",
}
# Words that make it something else: a club, a church's class, a royal college, a university.
_NOT_SCHOOL = _DATE_WORDS | {
    "driving", "dance", "dancing", "drama", "stage", "boxing", "football", "sports", "sport",
    "fitness", "martial", "karate", "judo", "recovery", "royal", "university", "police",
    "bible", "music", "art", "arts", "cookery", "beauty", "summer", "holiday", "weekend",
    "supplementary", "language", "night", "business", "medical", "nursing", "army",
    "flight", "coding", "swim", "swimming", "tennis", "rugby", "cricket", "gymnastics", "fc",
    "afc", "united", "rovers", "athletic", "wanderers", "albion", "hotspur",  # club academies
}
# After the school word these make it a street, a hospital or a service ("College Road",
# "High Street", "primary care", "King's College Hospital").
_NOT_SCHOOL_AFTER = set(_STREET_SUFFIX.split("|")) | {
    "care", "health", "hospital", "church", "surgery", "team", "teams", "mental", "of",
}
_SAINT = {"st", "st.", "saint"}
_POSSESSIVE = {"'s", "’s", "'", "’"}


def _school_spans(doc: Doc, res: _Resources) -> list[PiiSpan]:
    """Names of schools, nurseries, PRUs and colleges, and their short names elsewhere in
    the note ("Oakfield Academy ... back at Oakfield")."""
    found: list[tuple[int, int, int]] = []  # (start, first type word, end) token indexes
    i = 0
    while i < len(doc):
        referral_unit = doc[i].lower_ == "unit" and i > 0 and doc[i - 1].lower_ == "referral"
        if (doc[i].lower_ not in _SCHOOL_HEADS and not referral_unit) or (
            doc[i].lower_ == "form" and (i == 0 or doc[i - 1].lower_ != "sixth")
        ):
            i += 1
            continue
        end = i + 1
        while end < len(doc) and doc[end].lower_ in _SCHOOL_HEADS | {"form"}:
            end += 1  # "Primary School", "Sixth Form College"
        if end < len(doc) and doc[end].lower_ in _NOT_SCHOOL_AFTER:
            i = end
            continue
        start = _school_name_start(doc, i, res)
        if start is not None:
            first_type = next(
                (k for k in range(start, end) if doc[k].lower_ in _SCHOOL_TYPE_WORDS
                 and not any(_naming(doc[m]) for m in range(k, end))), i)
            found.append((start, first_type, end))
        i = end
    for a, e in _year_school_names(doc, res):
        if not any(a < e2 and a2 < e for a2, _, e2 in found):
            found.append((a, e, e))
    spans = [PiiSpan(doc[a].idx, doc[e - 1].idx + len(doc[e - 1]), "SCHOOL")
             for a, _, e in found] + _welsh_school_spans(doc)
    taken = [(a, e) for a, _, e in found]
    for a, first_type, _ in found:
        key = [t.lower_ for t in doc[a:first_type]]
        while key and key[-1] in _SCHOOL_TYPE_WORDS | _POSSESSIVE:
            key.pop()  # "St Anne's C of E" -> "st anne 's"
        if not key or (len(key) == 1 and "W" in res.lexicon.get(key[0], "")):
            continue  # "The Oaks" is not found as "oaks" elsewhere
        n = len(key)
        for k in range(len(doc) - n + 1):
            if [t.lower_ for t in doc[k:k + n]] != key:
                continue
            if any(k < e and a2 < k + n for a2, e in taken):
                continue
            if k + n < len(doc) and doc[k + n].lower_ in _NOT_SCHOOL_AFTER:
                continue
            taken.append((k, k + n))
            spans.append(PiiSpan(doc[k].idx, doc[k + n - 1].idx + len(doc[k + n - 1]), "SCHOOL"))
    return spans


# A school year before "at": "Year 10 at", "yr 8 at", "Y13 at" (years 1 to 13).
_YEAR_GROUP = re.compile(r"^(?:year|yr|y)\s?(?:[1-9]|1[0-3])$", re.IGNORECASE)
_YEAR_NUMBER = re.compile(r"^(?:[1-9]|1[0-3])$")


def _year_group_before(doc: Doc, i: int) -> bool:
    """Token ``i`` ("at") comes right after a school year: "Year 10 at", "Yr11 at"."""
    if i >= 1 and _YEAR_GROUP.match(doc[i - 1].text):
        return True
    return (i >= 2 and doc[i - 2].lower_ in {"year", "yr", "y"}
            and bool(_YEAR_NUMBER.match(doc[i - 1].text)))


def _year_school_names(doc: Doc, res: _Resources) -> list[tuple[int, int]]:
    """A school named by its bare name after a school year: "Year 10 at Brookfield", "he's
    year 8 at Rivendale", "Yr 11 at St Bede's" (one to three capitalised words, with a
    saint's "St" and "'s"); not "year 10 at the time", "Year 2 at Home", "at Christmas", a
    town ("at Leeds"), a street or place ("at Roundhay Park"), a service ("at Mind") or
    someone's house ("at Jamie's"). Names ending in a school word are left to the rule for
    those. Token ranges (start, end)."""
    masked = {k for _, a, e in res.services(doc) for k in range(a, e)}

    def cap(tok: Any) -> bool:
        return tok.is_alpha and (tok.is_title or (tok.is_upper and len(tok) > 1))

    out = []
    n = len(doc)
    for i, tok in enumerate(doc):
        child = _child_goes_before(doc, i)
        if not child and (tok.lower_ != "at" or not _year_group_before(doc, i)):
            continue
        start = j = i + 1
        saint = j < n and doc[j].lower_ in _SAINT and (doc[j].is_title or doc[j].is_upper)
        if saint:
            j += 1
        first = j
        while j < n and j - first < 3 and cap(doc[j]):
            j += 1
        words = doc[first:j]
        if not words or (j < n and cap(doc[j])):
            continue  # nothing capitalised, or more than three words
        after = doc[j].lower_ if j < n else ""
        if after in _POSSESSIVE:
            if not saint:
                continue  # "year 10 at Jamie's": someone's house
            j += 1  # "St Bede's"
            after = doc[j].lower_ if j < n else ""
        if after in _SCHOOL_TYPE_WORDS - {"of", "-", "c", "e", "first"}:
            continue  # "Year 10 at Brookfield High": the rule for school words has it
        lows = [w.lower_ for w in words]
        flags = [res.lexicon.get(w, "") for w in lows]
        not_name = _NOT_SCHOOL | _STREET_WORDS | _NEVER_NAME | _ACRONYMS | _DATE_WORDS | _CHAINS
        if child:
            last = flags[-1]
            if (len(lows) < 2 or lows[-1] in _NOT_SCHOOL_AFTER - _SCHOOL_LAST_WORDS
                    or ("W" in last and not set("FLP") & set(last))):
                continue  # "goes to Leeds", "goes to Elland Road", "goes to Kirkgate Market"
            not_name = not_name - _SCHOOL_LAST_WORDS  # "Allerton Grange"
        if (lows[0] in _STOP | _SCHOOL_GENERIC or any(w in not_name for w in lows)
                or any(k in masked for k in range(start, j))):
            continue  # "at the time", "at Old Trafford", "at Roundhay Park", "at Mind"
        if not saint and all("W" in f or "P" in f or ("F" in f and "L" not in f)
                             or (not f and _inflected_word(w, res))
                             for w, f in zip(lows, flags, strict=True)):
            continue  # "at Lunch", "at Leeds", "at Jamie", "at Brownies": not a school
        out.append((start, j))
    return out


# Children going to school: "my son goes to", "her daughter is at", "the kids attend",
# "my son Tayo goes to" (a name between). After one of these, two or three capitalised
# words are a school's name ("my son goes to Allerton Grange"); one word is too often a
# town or a club ("goes to Leeds", "goes to Scouts"), and never a street, a chain, a
# service or a place made of ordinary words ("goes to Tesco", "goes to Crown Point").
_CHILD_WORDS = {
    "son", "daughter", "child", "kid", "grandson", "granddaughter", "lad", "boy", "girl",
    "kids", "children", "sons", "daughters", "twins", "stepson", "stepdaughter", "nephew",
    "niece", "boys", "girls",
}
_GOES_TO = {("goes", "to"), ("go", "to"), ("going", "to"), ("started", "at"),
            ("starts", "at"), ("is", "at"), ("are", "at"), ("was", "at"), ("were", "at")}
# Street words that end many schools' names, allowed after a child's "goes to"
_SCHOOL_LAST_WORDS = {"grange"}


def _child_goes_before(doc: Doc, i: int) -> bool:
    """Token ``i`` ("to", "at", "attends") ends "my son goes to", "her daughter is at",
    "the kids attend", "my son Tayo goes to"."""
    low = doc[i].lower_
    if low in {"attends", "attend", "attended"}:
        verb = i
    elif i >= 1 and (doc[i - 1].lower_, low) in _GOES_TO:
        verb = i - 1
    else:
        return False
    before = [doc[k] for k in range(max(0, verb - 2), verb)]
    return any(t.lower_ in _CHILD_WORDS for t in before[-1:]) or (
        len(before) == 2 and before[0].lower_ in _CHILD_WORDS and before[1].is_title)


def _naming(token: Any) -> bool:
    """A word that names one school rather than saying what kind it is."""
    return token.is_alpha and token.lower_ not in _SCHOOL_GENERIC


# A specialist school's subjects, joined by "and" inside its name: "Stepney Green Maths
# and Computing College", "Science & Technology Academy"
_SUBJECTS = {
    "maths", "mathematics", "computing", "science", "sciences", "technology", "arts", "art",
    "media", "sports", "sport", "business", "enterprise", "engineering", "languages",
    "language", "music", "humanities", "performing", "visual", "design", "english",
}


def _welsh_school_spans(doc: Doc) -> list[PiiSpan]:
    """Welsh schools name their type first: "Ysgol Gymraeg Bro Morgannwg", "Ysgol y Graig"."""
    spans = []
    for i, tok in enumerate(doc):
        if tok.text not in {"Ysgol", "YSGOL"}:
            continue
        end = i + 1
        while end < len(doc) and end - i <= 5 and (
                doc[end].is_title or doc[end].lower_ in {"y", "yr", "'r", "’r"}):
            end += 1
        while end > i + 1 and doc[end - 1].lower_ in {"y", "yr"}:
            end -= 1
        if end > i + 1:
            spans.append(PiiSpan(tok.idx, doc[end - 1].idx + len(doc[end - 1]), "SCHOOL"))
    return spans


def _school_name_start(doc: Doc, head: int, res: _Resources) -> int | None:
    """Where the name before the school word at `head` starts, or None if there is none:
    capitalised words (with St, 's, of, C of E, RC, VI) or, in lower case, words no
    dictionary has ("oakfield high", "st johns primary")."""
    k = head - 1
    while k >= 0 and (
        doc[k].is_space
        or doc[k].lower_ in _SCHOOL_TYPE_WORDS - {"of", "-"}
        or (doc[k].lower_ == "-" and k > 0 and doc[k - 1].lower_ == "pre")
        or (doc[k].lower_ == "of" and 0 < k < head - 1
            and (doc[k - 1].lower_, doc[k + 1].lower_) in {("c", "e"), ("church", "england")})
    ):
        k -= 1  # the type words before the head: "C of E Primary", "Pre-School"
    start = None
    cap = doc[head].is_title or doc[head].is_upper
    upper_head = doc[head].is_upper and len(doc[head]) > 3  # "OAKFIELD ACADEMY"
    while k >= 0:
        tok = doc[k]
        low = tok.lower_
        if low in _NOT_SCHOOL:
            return None
        if low in _POSSESSIVE and k > 0 and doc[k - 1].is_alpha:
            k -= 1
            continue
        if low in {"of", "&", "and", "-"} and start is not None and k > 0 and (
            doc[k - 1].is_title or doc[k - 1].is_upper
        ) and (low not in {"and", "&"} or doc[start].lower_ in _SAINT or (
            doc[k - 1].lower_ in _SUBJECTS and doc[k + 1].lower_ in _SUBJECTS)):
            k -= 1  # "Our Lady of Lourdes", "St Peter and St Paul", "Pre-School"
            continue
        if tok.is_space:
            k -= 1  # "Oakfield  Academy", a line break in a cell
            continue
        if tok.is_title or (tok.is_upper and tok.is_alpha and (len(tok) <= 4 or upper_head)):
            inside = (k > 0 and doc[k - 1].is_title and doc[k - 1].text not in _SENT_BREAK
                      and low not in {"the", "a", "an"} and not upper_head)
            if low in _STOP and not inside and not (
                low == "our" and start is not None and doc[start].lower_ == "lady"
            ):
                break  # "At Oakfield Academy", "The Oaks Academy"; not "St Thomas More"
            start, cap = k, True
            k -= 1
            continue
        if tok.is_lower and tok.is_alpha and not cap and low not in _STOP and low not in (
            _NEVER_NAME - _SAINT
        ) and ("W" not in res.lexicon.get(low, "") or (k > 0 and doc[k - 1].lower_ in _SAINT)):
            start = k  # "oakfield high", "st johns primary"
            k -= 1
            continue
        if low in _SAINT and start is not None:
            start = k
            k -= 1
            continue
        break
    if start is None:
        return None
    for m in range(start, head):
        if doc[m].lower_ in _NOT_SCHOOL:
            return None
    naming = [doc[m] for m in range(start, head) if _naming(doc[m])]
    if not naming:
        return None  # "a Special School", "C of E Primary"
    # in capitals, as in lower case, the case of a word says nothing about it: a name
    # needs a word no dictionary has ("OAKFIELD"), a place or a saint's name
    lower_head = doc[head].is_lower or upper_head
    if upper_head and all(
        "W" in res.lexicon.get(w.lower_, "") and "P" not in res.lexicon.get(w.lower_, "")
        and not (w.i > 0 and doc[w.i - 1].lower_ in _SAINT) for w in naming
    ):
        return None  # "I AM FEELING HIGH", "THE OAKS ACADEMY"
    if lower_head and doc[head - 1].lower_ in _POSSESSIVE:
        return None  # "Kayden's school", "the kids' school": whose school, not its name
    if (doc[head].lower_ in _SCHOOL_HEADS_PLAIN or lower_head) and len(naming) == 1:
        word = naming[0]
        flags = res.lexicon.get(word.lower_, "")
        sentence_start = word.i == 0 or doc[word.i - 1].text in _SENT_BREAK
        saint = word.i > 0 and doc[word.i - 1].lower_ in _SAINT
        if "W" in flags and "P" not in flags and not saint and (
            sentence_start or not cap or upper_head
        ):
            return None  # "Feeling High", "really high", "Misses school"
    return start


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
    first: bool  # a first name in the lexicon (F)
    last: bool  # a surname in the lexicon (L)
    word: bool
    place: bool
    known: bool
    sent_start: bool
    org_masked: bool  # inside a service's or a many-word place's name

    @property
    def strong(self) -> bool:
        return self.name and not self.word and not self.place

    @property
    def never(self) -> bool:
        return self.lower in _NEVER_NAME or ("-" in self.lower and (
            self.lower.rpartition("-")[2] in _COMPOUND_HEADS
            or self.lower.partition("-")[0] in _WORD_PREFIXES
            or not _COMPOUND_LINKS.isdisjoint(self.lower.split("-")[1:-1])))

    @property
    def shout(self) -> bool:
        """Typed in capitals: "TYLER", "NHS", "NOT", "LILY-MAE"."""
        return len(self.text) > 1 and self.text.isupper() and self.alpha

    @property
    def plain_first(self) -> bool:
        """A first name that is also a word but a name first (Rob, Jean, Ray, Jo, Mark, Dawn,
        Rose, Bill): capitalised, it is a name, as any first name is. Not the abstract names
        (Hope, Will), words that are hardly names (Staff, Best) or places."""
        return (self.first and self.word and not self.place
                and self.lower not in _ABSTRACT_NAMES and self.lower not in _WORD_FIRST)


# The second half of a compound that describes a group or a service, never a name:
# "Black-led", "Welsh-speaking", "Somali-run", "Asian-British", "LGBT-friendly"
_COMPOUND_HEADS = frozenset(
    "led run speaking speakers based owned born only friendly focused focussed centred "
    "centered specific inclusive aware affirming identifying heritage majority dominated "
    "british english american caribbean african language "
    # a verb's particle makes a noun of it: "Hand-over", "Follow-up", "Drop-in", "Call-back"
    "over up out off down back in on through away".split()
)


# A small word inside a compound makes it a phrase, never a name: "one-to-one",
# "face-to-face", "day-to-day", "mother-in-law", "out-of-hours", "up-to-date"
_COMPOUND_LINKS = frozenset("to in of by and or the a an on for at".split())


# The first half of a compound that makes a word of a word, never a name: "co-wrote",
# "re-referred", "self-referred", "ex-partner", "non-urgent", "pre-assessment"
_WORD_PREFIXES = frozenset(
    "co re self ex non pre post anti multi inter sub over under semi mis un mid half well "
    "part full step great".split()
)


def _opening_quote(doc: Doc, i: int) -> bool:
    """A single quote that opens a quotation ("... said. 'Best advice ...'")."""
    return doc[i].text in {"'", "‘"} and (i == 0 or doc[i - 1].whitespace_ != ""
                                          or doc[i - 1].text in _SENT_BREAK)


# Points of the compass before a place name make a region: "East London", "North
# Yorkshire", "South East London ICB", "North-East Lincolnshire", "South Tyneside". East,
# West and North are surnames and London and Kent first names too, so without this "East
# London" reads as a name and a surname.
_COMPASS = {"north", "south", "east", "west", "northeast", "northwest", "southeast",
            "southwest"}


def _compass_places(doc: Doc, res: _Resources) -> set[int]:
    """Token indexes of compass points and the place after them ("South East London",
    "North-East Lincolnshire"): capitalised, the place a town or region in the lexicon or
    a word it lacks ("Tyneside"); not after a title, where it is a surname ("Mr West
    Kent" is Mr West), nor before a word that is not a place ("Kate West said")."""
    def cap(tok: Any) -> bool:
        return tok.is_alpha and (tok.is_title or tok.is_upper)

    out: set[int] = set()
    n = len(doc)
    i = 0
    while i < n:
        if not (cap(doc[i]) and doc[i].lower_ in _COMPASS) or (
                i > 0 and doc[i - 1].lower_.rstrip(".") in _HONORIFICS):
            i += 1
            continue
        j = i + 1
        while j < n and ((cap(doc[j]) and doc[j].lower_ in _COMPASS) or (
                doc[j].text == "-" and j + 1 < n and doc[j + 1].lower_ in _COMPASS)):
            j += 1  # "South East", "North-East"
        flags = res.lexicon.get(doc[j].lower_, "") if j < n else ""
        if j < n and cap(doc[j]) and doc[j].lower_ not in _COMPASS and (
                "P" in flags or not flags):
            out.update(range(i, j + 1))
        i = j
    return out


def _units(doc: Doc, res: _Resources) -> list[_Unit]:
    masked = [False] * len(doc)
    for _, s, e in res.services(doc):
        for k in range(s, e):
            masked[k] = True
    for k in _compass_places(doc, res):
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
            first="F" in flags,
            last="L" in flags,
            word="W" in flags and len(parts) == 1,
            place="P" in flags and len(parts) == 1,
            known=bool(flags),
            sent_start=i == 0 or doc[i - 1].text in _SENT_BREAK or "\n" in doc[i - 1].text
            or "\n" in doc[i - 1].whitespace_ or _opening_quote(doc, i - 1),
            org_masked=any(masked[i:j]),
        ))
        i = j
    return units


_INFLECTIONS = (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e"), ("ed", ""),
                ("ed", "e"), ("ers", ""), ("ers", "e"), ("er", ""), ("er", "e"))


def _inflected_word(low: str, res: _Resources) -> bool:
    """A word no dictionary has as such that is an everyday word with an ending ("carers",
    "referrals", "signposting"), so not a name."""
    for suffix, repl in _INFLECTIONS:
        if low.endswith(suffix) and len(low) - len(suffix) >= 3:
            stem = low[:-len(suffix)] + repl
            if "W" in res.lexicon.get(stem, "") or stem in _NEVER_NAME:
                return True
    return False


def _is_lower_style(doc: Doc) -> bool:
    """Notes typed in lower case: capitalisation cannot tell names from words.

    All in lower case, or written by someone who does not capitalise the start of a
    sentence (the note's first word and at least two thirds of its sentences' first words
    in lower case): such a writer does not capitalise names either, even when an acronym
    or a school's name is in capitals ("spoke w bilal, at Ashgrove Sixth Form College")."""
    letters = [t.text for t in doc if t.is_alpha and t.text not in {"I", "I'm", "Im"}]
    if not letters:
        return False
    if not any(ch.isupper() for w in letters for ch in w):
        return True
    starts: list[str] = []
    new_sentence = True
    for t in doc:
        if t.text in {".", "!", "?", "…"} or "\n" in t.text or "\n" in t.whitespace_:
            new_sentence = True
        elif t.is_alpha and new_sentence:
            if t.text not in {"I", "I'm", "Im"} and not (len(t.text) > 1 and t.text.isupper()):
                starts.append(t.text)
            new_sentence = False
    lower = [w for w in starts if w[:1].islower()]
    return bool(starts) and starts[0][:1].islower() and 3 * len(lower) >= 2 * len(starts)


def _caps_name(u: _Unit) -> bool:
    """A word in capitals that can be a name typed in capitals ("TYLER", "KWAME", "O'BRIEN"):
    three letters or more with a vowel, and not an everyday word, acronym, place, month or
    service ("NOT", "HELP", "CAMHS", "ICU", "CPN", "LEEDS", "MIND")."""
    letters = u.lower.replace("-", "")
    return (u.shout and len(letters) >= 3 and not _VOWELS.isdisjoint(letters) and not u.never
            and u.lower not in _ACRONYMS and u.lower not in _DATE_WORDS and not u.word
            and not u.place and not u.org_masked)


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
    if _place_named_for(units, k):
        return True  # "A&E at King's", "Guy's and St Thomas'": a hospital
    if nxt is not None and (nxt.cap or (u.shout and nxt.shout)) and (
            nxt.lower.rstrip(".") in _ORG_WORDS):
        return True  # "Hope Street", "KWAME HOUSE"
    if (nxt is not None and nxt.cap and not possessive and nxt.lower in _PLACE_WORDS
            and (nxt.lower not in _PLACE_WORDS_SURNAMES or not (u.strong or u.plain_first))):
        return True  # "Moss Side", "Hope Vale": a place (but "Sam Wood", "Dawn Wood")
    if k == 0:
        return False
    prev = units[k - 1]
    if prev.lower.rstrip(".") in {"st", "saint", "the"}:
        return True
    if u.lower in _FESTIVAL_GREETINGS and prev.lower in _FESTIVALS:
        return True  # "Eid Mubarak", "Ramadan Kareem": a greeting, not Mr Mubarak
    j = k - 1
    while j > 0 and k - j < 3 and units[j].cap and units[j].alpha and not units[j].sent_start \
            and units[j].lower not in _WORSHIP_WORDS:
        j -= 1
    if units[j].cap and units[j].lower in _WORSHIP_WORDS and (
            j == 0 or units[j - 1].lower not in _EVENT_PREPS):
        return True  # "Masjid Al-Noor", "Temple Beth Israel" (not "After Church Sarah said")
    if not strict:
        return False
    if prev.lower in _PLACE_PREPS and not possessive and not _meet_before(units, k):
        return True  # "a unit in Kent": a place (but "in Jamie's room", "bumped into Shaz")
    if prev.cap and not prev.sent_start and prev.known and not prev.name and not prev.never:
        return True  # "Salford Royal", "Moss Side": part of a proper-noun phrase
    if prev.lower == "of" and k > 1 and units[k - 2].cap and not units[k - 2].sent_start:
        return True  # "Hub of Hope"
    return False


def _place_named_for(units: list[_Unit], k: int) -> bool:
    """Unit k is a word for a kind of person in the possessive that names a place (see
    ``_PLACE_NAMED_PREPS``): "at King's", "to Guy's", "in Kings" (the apostrophe dropped),
    "Guy's and St Thomas'"; not with a relation or a personal detail after it ("at King's
    mum's", "to Guy's number")."""
    u = units[k]
    kinds = _WORD_FIRST | _PERSON_NOUNS
    if not u.cap or not u.alpha:
        return False

    def at(i: int) -> str:
        return units[i].lower if 0 <= i < len(units) else ""

    if at(k + 1) in {"'s", "’s"} and u.word and u.lower in kinds:
        after = k + 2
    elif u.lower.endswith("s") and u.lower[:-1] in kinds and u.name:
        after = k + 1  # "at Kings", "to Guys"
    else:
        return False
    if at(after) in _RELATIONS | _FIELD_WORDS | _PERSON_FIELDS:
        return False
    return at(k - 1) in _PLACE_NAMED_PREPS or (
        at(after) in {"and", "&"} and at(after + 1).rstrip(".") in _SAINT)


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
    if prev.rstrip(".") in _TITLES:
        return True  # "Dr Patel", "Dr. Achterberg" ("Dr." is one token)
    if prev in _RELATIONS or prev in _NAMING or prev in _VOCATIVES:
        return True
    if j > 0 and (units[j - 1].lower, prev) in _NAMING_PAIRS:
        return True
    if prev in {"its", "itz", "tis"} and j > 0 and units[j - 1].lower in _VOCATIVES:
        return True  # a text typed fast: "hiya its dee from tues" ("it's dee")
    if prev in {"you"} and j > 0 and units[j - 1].lower == "thank":
        return True
    return prev in {"and", "&", "or"} and j > 0 and person[j - 1]


def _introduced(units: list[_Unit], k: int) -> str | None:
    """What names unit k, in any case: "intro" after a phrase that introduces a name ("my
    name is rose", "my name's Precious", "I'm called brook", "he is called brook", "a lad
    called kai", "his surname BROWN", "surname is brown", "first name Jo", "known as hope",
    "call me"), "title" after a short honorific ("mr mcdonald", "Dr. Achterberg",
    "mrs okafor"); None otherwise."""
    def at(i: int) -> str:
        return units[i].lower if 0 <= i < len(units) else ""

    j = k - 1
    while j >= 0 and at(j) in {":", "-", "–", '"', "'", "“", "‘"} and k - j <= 2:
        j -= 1  # "surname: Brown", "name is 'Rose'"
    prev = at(j)
    if prev.rstrip(".") in _SHORT_HONORIFICS and j == k - 1:
        return "title"
    if prev in _NAME_NOUNS or (prev in {"name", "names"} and at(j - 1) in _NAME_MODIFIERS):
        return "intro"  # "his surname BROWN", "first name Jo"
    if prev in {"is", "was", "'s", "’s", "are", "were"} and (
            at(j - 1) in _NAME_NOUNS | {"name", "names"}):
        return "intro"  # "my name is rose", "her surname was brown", "my name's Precious"
    if prev in {"called", "named", "nicknamed"} and (
            at(j - 1) in _RELATIONS | _PERSON_NOUNS | _NAMED_SUBJECTS
            or (at(j - 1) in _BE and at(j - 2) in _RELATIONS | _PERSON_NOUNS | _NAMED_SUBJECTS)):
        return "intro"  # "I'm called brook", "he is called", "my son is named", "a lad called"
    if (at(j - 1), prev) in {("known", "as"), ("call", "me"), ("calls", "me")} or prev == "alias":
        return "intro"
    return None


def _cued_name(units: list[_Unit], k: int, cue: str, res: _Resources) -> bool:
    """Whether unit k, after a phrase that names it (``_introduced``), is a name: a first
    name or surname from the lexicon even when it is also a word ("rose", "brook", "hope",
    "BROWN"), or a word no dictionary has that looks like a name ("achterberg"); not a word
    that is only a word ("called back", "my name is on the list", "known as difficult",
    "dr said", "dr appt"), a thing's name ("a course called Hope") or an acronym."""
    u = units[k]
    if cue == "title" and u.lower in _SURNAME_PARTICLES:
        return True  # "dr de la cruz": the caller checks the name after the particles
    if cue == "title" and u.cap and not u.shout and u.lower in _WORD_SURNAMES:
        return True  # "Dr Young", "Mrs Singer", "Mr Gardener" (not "Dr Appointment")
    if (not u.alpha or u.never or u.org_masked or u.lower in _ACRONYMS
            or _thing_named(units, k) or (u.lower in _DATE_WORDS and not u.first)):
        return False
    lower = not u.cap and not u.shout
    if lower and (u.lower in _WORD_FIRST | _SUBJECT_VERBS | _PERSON_VERBS
                  or _PAST_TENSE.match(u.lower)):
        return False  # "the dr said", "known as staff", "called stressed"
    if u.cap and u.word and not u.strong and _title_phrase(units, k):
        return False  # "Dr Foster Intelligence": a title-case name of a thing
    if u.known:
        if not u.name or (u.place and not u.first and not u.last):
            return False
        # after a title a lower-case word that is also a word must be a surname ("mr brown",
        # "mrs green"; not "dr surgery"); capitalised, any name ("Dr Hope")
        return cue != "title" or not (lower and u.word) or u.last
    letters = u.lower.replace("-", "").replace("'", "").replace("’", "")
    vowels = sum(ch in _VOWELS for ch in letters)
    if len(letters) < 3 or not vowels or _inflected_word(u.lower, res):
        return False
    # a lower-case word unknown to the lexicon after "dr": a name has two vowels or more
    # ("achterberg", "okafor"), text-speak mostly not ("dr appt", "mr cb")
    return not lower or cue == "intro" or (vowels >= 2 and len(letters) >= 4)


# Conditions named after people: "Parkinson's", "Alzheimer's disease", "Down syndrome".
_EPONYMS = {
    "addison", "alzheimer", "asperger", "bell", "crohn", "cushing", "down", "ehlers",
    "graves", "guillain", "hashimoto", "hodgkin", "huntington", "korsakoff", "lyme",
    "meniere", "ménière", "munchausen", "parkinson", "raynaud", "sjogren", "sjögren",
    "tourette", "wernicke", "wilson",
}
_CONDITION_WORDS = {"disease", "syndrome", "palsy", "lymphoma", "dementia"}


def _eponym(units: list[_Unit], k: int) -> bool:
    """ "diagnosed with Parkinson's", "Crohn's disease", "Down syndrome": a condition."""
    if units[k].lower not in _EPONYMS:
        return False
    after = [units[i].lower for i in range(k + 1, min(k + 3, len(units)))]
    if after[:1] and after[0] in {"'s", "’s", "'", "’"}:
        return True
    return bool(after[:1]) and after[0] in _CONDITION_WORDS


def _chain(units: list[_Unit], k: int) -> bool:
    """ "Greggs then Costa", "a Nando's", "Sainsbury's": a shop or café chain, not a person."""
    u = units[k]
    if u.lower in _CHAINS:
        return True
    return (u.lower in _CHAINS_POSSESSIVE and k + 1 < len(units)
            and units[k + 1].lower in {"'s", "’s", "s"})




def _meet_before(units: list[_Unit], k: int) -> bool:
    """ "met X", "rang X", "spoke to X", "talked with X", "bumped into X"."""
    if k == 0:
        return False
    prev = units[k - 1].lower
    if prev in _MEET_VERBS:
        return True
    if any(k >= len(p) and tuple(u.lower for u in units[k - len(p):k]) == p
           for p in _MEET_PHRASES):
        return True  # "bumped into Shaz", "caught up with Jo"
    # "w" and "w/" are how a note typed on a phone says "with": "spoke w hodan"
    return prev in {"to", "with", "w", "w/"} and k > 1 and units[k - 2].lower in _TALK_VERBS


def _thing_named(units: list[_Unit], k: int) -> bool:
    """ "a course called Hope", "the group is named Faith": a thing's name, not a person's."""
    j = k - 1
    while j >= 0 and units[j].text in {",", ":", "'", '"', "‘", "“"}:
        j -= 1
    if j < 1 or units[j].lower not in _NAMING:
        return False
    if units[j - 1].lower in _THING_NOUNS:
        return True  # "a course called", "a walking group named"
    if j < 2 or units[j - 1].lower not in {"is", "was", "are", "were", "'s", "’s"}:
        return False
    # "the group is called Hope" (but "her friend from the charity is called Pat")
    return (units[j - 2].lower in _THING_NOUNS
            and not any(units[i].lower in {"from", "of", "at", "in", "for", "with", "on"}
                        for i in range(max(0, j - 4), j - 2)))


def _title_phrase(units: list[_Unit], k: int) -> bool:
    """Unit k starts a title-case phrase: "Hope and Resilience", "Faith in Recovery",
    "Hope Rising" (the next capitalised word is an ordinary word, not a name)."""
    def plain_cap(i: int) -> bool:
        w = units[i]
        return (w.cap and w.alpha and w.known and not w.name and not w.sent_start
                and w.lower not in _STOP and w.lower not in {"'s", "’s"})

    if k + 1 >= len(units):
        return False
    if plain_cap(k + 1):
        return True
    return (units[k + 1].lower in {"and", "&", "of", "for", "in", "on", "to"}
            and k + 2 < len(units) and plain_cap(k + 2))


def _thing_before(units: list[_Unit], k: int, person: list[bool]) -> bool:
    """A capitalised word that names a thing, not a person, because of what comes before: "a
    Kit Kat", "this Barbie", or the second word of a proper noun whose first word is not a
    person ("Humber Bridge", "Bishop's Castle", "New Year's Eve", "Tai Chi", "Costa del
    Sol")."""
    if k == 0:
        return False
    j = k - 1
    if units[j].lower in {"'s", "’s"} and j > 0:
        j -= 1
    prev = units[j]
    if j == k - 1 and prev.lower in _INDEFINITE:
        return True
    if (j == k - 1 and prev.lower in _NAME_PARTICLES and j > 0 and units[j - 1].cap
            and not person[j - 1]):
        return True  # "Costa del Sol", "Rio de Janeiro" (but "Maria del Carmen")
    if (j == k - 1 and prev.lower == "from" and j > 0 and units[j - 1].lower in _ORIGIN_WORDS
            and (k + 1 >= len(units) or units[k + 1].lower not in {"'s", "’s"})):
        return True  # "came over from Cork", "I'm from Mars" (but "a card from Jean")
    return prev.cap and not prev.sent_start and not person[j] and prev.alpha


# A name written against a phone number or e-mail address, as listeners jot them: "Pat
# (07700 900456) said", "Contact: Pat, 07700 900456", "07700 900456 (Pat)". Beside a
# contact detail a first name is a person even where it is an everyday word ("Hope",
# "Grace"); the words people write before a number instead are not ("Ring 07700 ...",
# "Mum: 07700 ...", "Samaritans (116 123)" is no first name).
_BEFORE_CONTACT = re.compile(
    r"(?<![\w'’-])(?P<name>[A-Z][a-z'’-]+(?:[ \t]+[A-Z][a-z'’-]+)?)"
    r"(?:[ \t]*\([ \t]*|[ \t]*[-–:,][ \t]*|[ \t]+(?:on|at|-)?[ \t]*)$")
_AFTER_CONTACT = re.compile(
    r"^(?:[ \t]*\([ \t]*(?P<bracketed>[A-Z][a-z'’-]+(?:[ \t]+[A-Z][a-z'’-]+)?)[ \t]*\)"
    r"|[ \t]*[-–][ \t]*(?P<dashed>[A-Z][a-z'’-]+)(?![\w'’-]))")
_CONTACT_WORDS = frozenset("""
    ring call text phone dial try contact mum mam nan nana gran dad home work mobile tel
    number landline whatsapp email e-mail or and
""".split())


def _names_beside_contacts(text: str, spans: list[PiiSpan], res: _Resources
                           ) -> list[PiiSpan]:
    out = []
    for span in spans:
        if span.type not in ("PHONE", "EMAIL"):
            continue
        before = _BEFORE_CONTACT.search(text[max(0, span.start - 60):span.start])
        after = _AFTER_CONTACT.match(text[span.end:span.end + 60])
        for found, offset in ((before, max(0, span.start - 60)), (after, span.end)):
            if found is None:
                continue
            group = next(g for g in ("name", "bracketed", "dashed") if found.groupdict().get(g))
            words = found.group(group).split()
            flags = [res.lexicon.get(w.lower(), "") for w in words]
            if (any(w.lower() in _CONTACT_WORDS or w.lower() in _NEVER_NAME for w in words)
                    or "F" not in flags[0] or not all("F" in f or "L" in f for f in flags)):
                continue
            out.append(PiiSpan(offset + found.start(group), offset + found.end(group),
                               "PERSON"))
    return out


def _email_names(text: str, res: _Resources) -> set[str]:
    """Names spelled out in a first.last e-mail address in the note ("nana.owusu@..."): the
    same names elsewhere in the note are that person."""
    out: set[str] = set()
    for m in _EMAIL.finditer(text):
        parts = re.split(r"[._-]", m.group().split("@")[0].lower())
        flags = [res.lexicon.get(p, "") for p in parts]
        if not (len(parts) in (2, 3) and all(p.isalpha() and len(p) > 2 for p in parts)
                and all("F" in f or "L" in f or not f for f in flags)):
            continue
        # "nana.owusu@", "tendai.moyo@": names, or words no dictionary knows, as names are
        out |= set(parts)
    return out - _NEVER_NAME - _DATE_WORDS


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

    def at(i: int) -> str:
        return units[i].lower if 0 <= i < n else ""

    def person_cue_after(k: int) -> bool:
        """ "X said", "X is scared", "X's mum", "X is 14", "X (her son)", "X from the team":
        only a person fits."""
        m = at(k + 1)
        if m in _PERSON_VERBS:
            return True
        if m in _BESIDE_NAME:  # a jotting: "Bill again - says", "Pat today, rang"
            j = k + 2
            while at(j) in {"-", "–", "—", ","}:
                j += 1
            if at(j) in _PERSON_VERBS:
                return True
        if m in {"is", "was"} and at(k + 2) in _ANIMATE_STATES:
            return True
        if m in {"is", "was", "turned", "turns", "aged", "'s", "’s"} and re.fullmatch(
                r"\d{1,2}", at(k + 2)):
            # an age: "Sunny is 14." (not "is 12 weeks late")
            return at(k + 3) in {"", ".", ",", ";", "!", "?", ")", "and", "now", "next",
                                 "years", "year", "yrs", "yo", "y/o", "in", "this"}
        if m in {"'s", "’s"} and at(k + 2) in _RELATIONS:
            return True
        # "Hope is my daughter", "Sunny was her carer", "X and Hope are my twins": whose
        # relation someone is ("my best friend" too); "are" only for the last of a pair
        rel = k + 4 if at(k + 3) in {"best", "little", "big", "older", "younger", "eldest",
                                     "youngest", "twin", "step", "ex"} else k + 3
        if at(k + 2) in _POSSESSIVES and at(rel) in _RELATIONS | _FAMILY_PLURALS and (
                m in {"is", "was", "'s", "’s"}
                or (m in {"are", "were"} and at(k - 1) in {"and", "&"})):
            return True
        if age_apposition(k):
            return True  # an age in apposition: "Ba, 80, used to come", "- Joy, 58."
        if m == "," and (at(k + 2) in {"dob", "d.o.b", "d.o.b."}
                         or (at(k + 2), at(k + 3), at(k + 4)) == ("date", "of", "birth")):
            return True  # "mehret, date of birth 09/1996"
        if m in {"(", ","}:  # apposition: "Sunny (her grandson)", "Mark, my brother,"
            i = k + 3 if at(k + 2) in _DETERMINERS else k + 2
            if at(i) in _RELATIONS:
                return True
            # a person described: "Winnie Ward, a Traveller woman,", "Jo, an older man"
            if at(k + 2) in {"a", "an"} and (
                    at(k + 3) in _PERSON_NOUNS or at(k + 4) in _PERSON_NOUNS):
                return True
        if m == "," and at(k + 2) == "from":  # "Mary Ward, from the site, said"
            k += 1
        return at(k + 1) == "from" and at(k + 2) in {"the", "her", "his", "their", "our", "my"}

    def age_apposition(k: int) -> bool:
        """ "Ba, 80, used to come", "(Ba, 80)", "- Joy, 58.", "Hevin, Kurdish, 23,"."""
        if at(k + 1) not in {",", "("}:
            return False
        i = k + 2
        if at(i) in _DEMONYMS and at(i + 1) == ",":
            i += 2
        return bool(re.fullmatch(r"\d{1,3}", at(i))) and at(i + 1) in {",", ")", ".", ";", ""}

    def age_between_commas(k: int) -> str | None:
        """ "Jo, 15 yrs,", "Jo, aged 15 -" ("age"); "Jo, early 30s,", "Jo, 40s." ("decade",
        said of jobs and kinds of people too: "Farmer, 60s", "Guy, early 50s")."""
        if at(k + 1) != ",":
            return None
        i = k + 2
        decade = at(i) in {"early", "mid", "late"}
        if at(i) in {"early", "mid", "late", "aged"}:
            i += 1
        if not _AGE_TOKEN.match(at(i)):
            return None
        decade = decade or (at(i).endswith("s") and not at(i).endswith("yrs"))
        if at(i + 1) in {"yo", "yrs"}:
            i += 1
        if at(i + 1) not in {",", ")", ".", ";", "", "-", "–"}:
            return None
        return "decade" if decade else "age"

    def bracket_cue(k: int) -> str | None:
        """What a bracket right after unit k says of it: "relation" ("(daughter, 15)", "(her
        son)", "(mum, 40s)"), "pronouns" ("(she/they)", "(they/them, 16)"), "age" ("(16)",
        "(16yo)", "(Iraqi Kurdish, 16)"), or None ("(12 people)", "(see below)")."""
        if at(k + 1) != "(":
            return None
        relation = age = decade = False
        pronouns = slash = 0
        i = k + 2
        while i < n and i <= k + 10 and at(i) != ")":
            w = at(i)
            if w in _RELATIONS:
                relation = True
            elif _AGE_TOKEN.match(w):
                age = age or not w.endswith("s") or w.endswith("yrs")
                decade = True
            elif w in _PRONOUNS and (at(i - 1) == "/" or at(i + 1) == "/"):
                pronouns += 1
            elif w == "/":
                slash += 1
            elif units[i].cap and at(i + 1) in {"'s", "’s"} and at(i + 2) in _RELATIONS:
                i += 1  # whose relation: "Sunny (Sundeep's cousin, 22)"
            elif w not in _BRACKET_FILLERS and w not in _DEMONYMS:
                return None
            i += 1
        if at(i) != ")":
            return None
        if relation:
            return "relation"
        if pronouns >= 2 and slash:
            return "pronouns"
        return "age" if age else "decade" if decade else None

    def bare_age(k: int) -> bool:
        """ "hannah 17, in care", "Kyle 15 - angry": an age straight after a name."""
        m = at(k + 1)
        return bool(_AGE_TOKEN.match(m)) and len(m) <= 5 and (
            at(k + 2) in {",", ";", "-", "–"} or not m.isdigit())

    def field_after(k: int) -> str | None:
        """ "Summer's DOB", "Grace's own mob", "Faith's number is", "Will's address": a
        personal detail after a possessive. "person" when only a person has it (DOB, NHS
        number, mobile, "own ..."), "any" for a number, address or e-mail, else None."""
        if at(k + 1) not in {"'s", "’s"}:
            return None
        i = k + 2
        while at(i) in _FIELD_LEADS and i < k + 4:
            i += 1  # "own", "new", "home"
        leads = {at(j) for j in range(k + 2, i)}
        w, w2 = at(i), at(i + 1)
        if (w in _PERSON_FIELDS or (w in {"nhs", "ni", "n.i.", "n.i"} and w2 in {
                "number", "no", "no.", "num"}) or (w, w2, at(i + 2)) == ("date", "of", "birth")
                or (w, w2) == ("national", "insurance")):
            return "person"
        if w in _FIELD_WORDS or (w, w2) == ("post", "code"):
            return "person" if leads & _PERSON_LEADS else "any"
        return None

    def name_shaped(k: int, strong: bool) -> bool:
        """Unit k can be a name, when a cue after it vouches for one: a name from the lexicon
        or a word no dictionary has, in any case ("Harleen", "zainab", "TONI"); not an
        everyday word, a town, a month, an acronym, a service or an inflected word ("Year",
        "Room", "Leeds", "Tuesday", "CAMHS", "Carers", "daughter-in-law"). After a weak cue
        (an age), not a name that is also a word, a lower-case word no dictionary has
        ("sparky, 19") or a place after "in/from" ("from China, 20"); after a strong cue
        (``strong``: a relation, pronouns, a personal detail) a capitalised name that is
        also a word counts ("Precious (mum, 40s)", "Summer's DOB")."""
        u = units[k]
        parts = re.split(r"[-‐]", u.lower)
        if (not u.alpha or u.never or u.org_masked or u.lower in _DATE_WORDS
                or u.lower in _WORD_FIRST or u.lower in _ACRONYMS or _chain(units, k)
                or _eponym(units, k) or at(k - 1) in _INDEFINITE | {"the"}
                or any(p in _NEVER_NAME for p in parts)):
            return False
        letters = "".join(parts).replace("'", "").replace("’", "")
        lower = not (u.cap or u.shout)
        if u.shout and (len(letters) < 3 or _VOWELS.isdisjoint(letters)):
            return False  # "CYP", "DV"
        if lower and (at(k - 1) in _POSSESSIVES or not (u.strong or (strong and not u.known))):
            return False  # "her nonna, 80s", "housebound, 91"
        if lower and not strong and k > 0 and units[k - 1].alpha and at(k - 1) not in (
                _STOP | _MEET_VERBS | _RELATIONS):
            return False  # "Apprentice sparky, 19": a kind of worker
        if u.known:
            if not u.name or (u.place and not u.first):
                return False  # "Year", "Room", "Leeds"
            if u.word and (lower or not (strong or u.plain_first)):
                return False  # "Summer (3)", "grace's mob" (but "Jo, 15 yrs,")
            if u.place and not strong and at(k - 1) in _BEFORE_PLACE | {"from", "to"}:
                return False  # "a student from China, 20"
        elif (len(letters) < 3 or not set("aeiou") & set(letters)
              or _inflected_word(u.lower, res)
              or not re.fullmatch(r"(?:[A-Z]?[a-z'’]+|[A-Z'’]+)(?:-(?:[A-Z]?[a-z'’]+|[A-Z'’]+))*"
                                  r"|(?:O['’]|Ma?c)[A-Z][a-z]+", u.text)):
            return False  # "Carers", "Hrs", "TalkTalk"
        return not (u.cap and _negative_context(units, k, strict=not strong))

    def apposition_name(k: int) -> bool:
        """ "Harleen (daughter, 15)", "zainab (16)", "TONI (she/they), 17,", "Kofi, 15,",
        "hannah 17, in care", "Summer's DOB", "Grace's own mob": a name, in any case and known
        to the lexicon or not, before an age, a relation, pronouns or a personal detail."""
        u = units[k]
        cue = bracket_cue(k)
        field = field_after(k)
        if cue in {"relation", "pronouns"} or field == "person":
            return name_shaped(k, strong=True)
        if field == "any":
            return u.name and name_shaped(k, strong=True)
        between = age_between_commas(k)
        if cue == "age" or between == "age" or age_apposition(k):
            return name_shaped(k, strong=False)
        if "decade" in {cue, between}:  # "Jo, 40s" (not "Farmer, 60s", "Guy, early 50s")
            return u.name and not u.word and name_shaped(k, strong=False)
        return (bare_age(k) and u.first and not u.word and not u.place
                and name_shaped(k, strong=False))

    def bracket_name(k: int) -> bool:
        """One word of "Sunny (Sundeep)", "Jaz (Jasmine)": a name or a word that looks like
        one, capitalised (or both in lower case), not a town, service or everyday word."""
        u = units[k]
        return name_shaped(k, strong=True) and (u.first or not u.word)  # not "Barber (Kev)"

    def appositive(k: int) -> bool:
        """ ", Jo, went on leave", "(Ba, 80)": set off by commas and not an item of a list."""
        if k == 0 or at(k - 1) not in {",", "("} or at(k + 1) not in {",", ")"} or k + 2 >= n:
            return False
        after = units[k + 2]
        return (after.text[:1] in {"'", '"', "“", "‘"} or after.text[:1].isdigit()
                or (after.text[:1].islower() and after.lower not in {"and", "or", "etc", "&"}))

    def lone_lower_name(k: int) -> bool:
        """A lower-case first name in a normally written note: "met dave", "dave said". In a
        note typed in lower case also a first name that is a word, but not an abstract one,
        with such a cue: "foreman mark told him", "spoke w chen" (not "hope said")."""
        u, m = units[k], nxt(k)
        if len(u.text) < 3 or (k > 0 and units[k - 1].lower in _DETERMINERS):
            return False
        if not u.strong:
            if (lower_style and u.first and u.word and not u.cap and u.lower in _ABSTRACT_NAMES
                    and and_own_relation(k)):
                return True  # "spoke w patience and her son kwame"
            if not (lower_style and u.first and u.word and not u.place and not u.cap
                    and u.lower not in _ABSTRACT_NAMES and u.lower not in _WORD_FIRST):
                return False
            return _meet_before(units, k) or (m is not None and m.lower in _PERSON_VERBS)
        return _meet_before(units, k) or (m is not None and (
            m.lower in _PERSON_VERBS or (m.lower == "from" and k + 2 < n
                                         and units[k + 2].lower in {"the", "her", "his"})))

    def lower_unknown_name(k: int) -> bool:
        """In a note typed in lower case, a word no dictionary has that a cue makes a name:
        a relation or title before it ("her sister faadumo", "volunteer tharshan"), meeting
        or talking ("spoke w hodan"), or, at the start of a clause, a person's verb or
        possessive relation after it ("hodan says", "kezzy's mum", "yonas from the church")
        or "and his/her <relation>" ("tesfay and his cousin"); an age alone is not enough.
        Not an everyday word with an ending, a short word or one without a vowel ("carers",
        "tbh", "wks": `name_shaped`)."""
        u = units[k]
        if u.known or u.cap or u.shout or not lower_style or u.lower in _NEVER_NAME:
            return False
        before = _trigger_before(units, k, person) or _meet_before(units, k)
        # a cue after the word vouches for it only where it starts a clause ("the prison
        # chaplaincy sat with", "housebound, 91", "budgie's poorly": no name)
        after = (not (k > 0 and units[k - 1].alpha and at(k - 1) not in _CLAUSE_LINKS)
                 and ((person_cue_after(k) and not age_apposition(k))
                      or (verb_after(k) and at(k + 1) not in {"'s", "’s"})
                      or (at(k + 1) in {"and", "&"} and at(k + 2) in _POSSESSIVES
                          and at(k + 3) in _RELATIONS)))
        return (before or after) and name_shaped(k, strong=True)

    def and_own_relation(k: int) -> bool:
        """ "Faith and her son", "patience and his wife": only a person has one."""
        return (at(k + 1) in {"and", "&"} and at(k + 2) in {"his", "her", "their"}
                and at(k + 3) in _RELATIONS)

    def came_along(k: int) -> bool:
        """ "Faith came to the cafe", "Sunny came with his mum", "Grace attended", "Hope
        turned up": a person coming to something (not "Hope came to nothing", "came to me",
        "Joy came with time", "Summer came round")."""
        m, m2 = at(k + 1), at(k + 2)
        if m in {"came", "comes"}:
            i = k + 3 if m2 == "along" else k + 2
            if at(i) == "with":
                return at(i + 1) in {"his", "her", "their"}
            # to a gathering, a word or two after "the/every": "came to the carers cafe"
            return at(i) == "to" and (at(i + 1) in _GATHERINGS or (
                at(i + 1) in _DETERMINERS | {"every"}
                and (at(i + 2) in _GATHERINGS or at(i + 3) in _GATHERINGS)))
        return (m in {"attended", "attends", "joined", "joins", "arrived", "arrives"}
                or (m in {"turned", "turns"} and m2 == "up"))

    def unknown_person_after(k: int) -> bool:
        """A capitalised word no dictionary has, alone (not the first of a capitalised run:
        "Kirklees Council said"), with what only a person does or has after it: a person's
        verb ("Sundeep said", "Tharshan rang"), a possessive relation ("Sundeep's mum"), "is
        scared", "and his/her <relation>" (an age and "spoke with" are cued above)."""
        m = nxt(k)
        if (m is not None and m.cap and m.alpha) or _ROLE_OR_CONTRACTION.search(at(k)):
            return False  # "Paediatrician said", "Skipper says", "Nobody'd said"
        return (at(k + 1) in _PERSON_VERBS
                or (at(k + 1) in {"'s", "’s"} and at(k + 2) in _RELATIONS)
                or (at(k + 1) in {"is", "was"} and at(k + 2) in _ANIMATE_STATES)
                or (at(k + 1) in {"and", "&"} and at(k + 2) in _POSSESSIVES
                    and at(k + 3) in _RELATIONS))

    def verb_after(k: int) -> bool:
        """ "Rob has", "Jean had her hip done", "Ray came", "Jo's been", "Rob and I" (not "Rose
        petals")."""
        m = at(k + 1)
        if m in {"and", "&"} and at(k + 2) in {"i", "me"}:
            return True  # "Rob and I went"
        if m == ":" and k + 2 < n and units[k + 2].text[:1] in {"'", '"', "‘", "“"}:
            return True  # "Rose: 'I can't cope.'"
        return m in _SUBJECT_VERBS or bool(_PAST_TENSE.match(m))

    def street_surname_after_first_name(j: int, k: int) -> bool:
        """ "Sarah Hill", "Tom Green", "gave Ruby Hall a lift", "Pat Hill rang", "Sarah Ward
        said" (not "Rose Hill was lovely", "Willow Ward", "at Victoria Park")."""
        prev, u = units[j], units[k]
        if not (prev.cap and prev.first and not prev.never) or _thing_before(units, j, person):
            return False
        cue = person_cue_after(k) or _meet_before(units, j)
        if u.lower in _WARD_SURNAMES:
            # wards are named after first names: "Victoria Ward", "Rose Ward"; but no ward
            # has a family: "Johnny Ward lost his brother", "Mary Ward and her husband"
            return cue or family_after(k)
        if u.lower not in _FIRST_NAME_STREET_SURNAMES:
            return False
        if person[j] or cue:
            return True
        if at(j - 1).rstrip(".") in _BEFORE_PLACE:
            return False
        return prev.strong or (prev.plain_first and not starts_sentence(j)
                               and at(j - 1) not in {"to", "from"})

    def family_after(k: int) -> bool:
        """A relation of the person's own in the words after unit k, with no preposition
        first: "lost his brother", "has three kids", "and her husband" (a ward has none;
        "visited Rose Ward with her son" is not one)."""
        if at(k + 1) in _SENT_BREAK or at(k + 1) in {"with", "for", "to", "at", "on", "in",
                                                      "by", "from", "of", ","}:
            return False
        for i in range(k + 2, min(k + 6, n)):
            if at(i) in _SENT_BREAK or at(i) == ",":
                return False
            if at(i) in _POSSESSIVES - {"my", "our", "your"} and (
                    at(i + 1) in _RELATIONS | _FAMILY_PLURALS):
                return True
            if at(i - 1) in {"has", "had", "have"} and (
                    at(i).isdigit() or at(i) in {"two", "three", "four", "five", "six"}) and (
                    at(i + 1) in _FAMILY_PLURALS | {"kids", "children", "grandchildren"}):
                return True
        return False

    def starts_sentence(k: int) -> bool:
        """At a sentence start, or coordinated with a word that is ("Faith and Hope got")."""
        return units[k].sent_start or (
            at(k - 1) in {"and", "&", "or"} and k >= 2 and units[k - 2].cap
            and units[k - 2].sent_start)

    def family_or_naming_before(k: int) -> bool:
        """ "my son DILNAZ", "Mrs OKAFOR", "called TENDAI", "known as TOMMO" (not "rang CAMHS",
        "support worker AMHP": acronyms follow those)."""
        j = k - 1 if at(k - 1) != ":" else k - 2  # "Son: DILNAZ" (not "wife, HCA on nights")
        return (at(j) in _FAMILY or at(j).rstrip(".") in _HONORIFICS
                or at(j) in {"called", "named", "nicknamed", "alias", "name's"}
                or (at(j - 1), at(j)) in _NAMING_PAIRS - {("it", "'s"), ("this", "is"),
                                                          ("i", "'m"), ("i", "am")})

    def caps_cue(k: int) -> bool:
        """ "my son KWAME", "spoke to MARCIA", "SAM said", "SAM my son", "SAM, 15,", "JOHN
        SMITH"."""
        if _trigger_before(units, k, person) or _meet_before(units, k) or person_cue_after(k):
            return True
        if at(k + 1) in _POSSESSIVES and at(k + 2) in _FAMILY:
            return True  # "SAM my son was sectioned"
        return any(0 <= i < n and units[i].strong and _caps_name(units[i]) for i in (k - 1, k + 1))

    def nickname(k: int) -> bool:
        """ "Big Mo", "Little Dee", "Young Kez": a capitalised nickname word and a name (or a
        word no dictionary has), with a naming or meeting cue before it or a person cue after
        it ("known as Big Mo", "met Young Kez", "Big Mo said"), or a verb after a name already
        found ("Little Dee came"). After "known as", "called" or a relation word the name may be
        any word ("known as Big Dog"), but not a place, a month, a chain or a street ("Big Ben
        Road")."""
        u, m = units[k], units[k + 1]
        if u.lower not in _NICK_PREFIXES:
            return False
        caps = _caps_name(m) or (u.shout and m.shout and m.name and m.lower not in _ACRONYMS)
        if not ((u.cap or u.shout) and (m.cap or caps) and m.alpha and not m.never
                and not m.place and m.lower not in _DATE_WORDS and not _chain(units, k + 1)
                and not _negative_context(units, k + 1, strict=False)):
            return False
        named = _trigger_before(units, k, person) and not _thing_named(units, k)
        if not (m.name or not m.known or named):
            return False
        return (named or _meet_before(units, k) or person_cue_after(k + 1)
                or (person[k + 1] and verb_after(k + 1)))

    # Names typed in capitals ("TYLER my son was sectioned", "spoke to MARCIA"): a word in
    # capitals that is a name in the lexicon, and no everyday word or acronym, is read as a
    # capitalised name when it is five letters or more or a cue vouches for it (short ones
    # are mostly acronyms: "ICU", "RAF"); one no dictionary has ("DILNAZ") only after a
    # family word, a title or "called". Then a name after it, even one that is also a word,
    # is its surname ("TYLER BROWN").
    for k, u in enumerate(units):
        if not _caps_name(u):
            continue
        if (u.strong and (len(u.lower) >= 5 or caps_cue(k))) or (
                not u.known and family_or_naming_before(k)):
            u.cap = True
            m = nxt(k)
            if (m is not None and m.shout and m.name and not m.never and not m.place
                    and m.lower not in _ACRONYMS and m.lower not in STOP_WORDS
                    and m.lower not in _ABSTRACT_NAMES and m.lower not in _WORD_FIRST):
                m.cap = True

    for k, u in enumerate(units):
        if not u.alpha or u.lower in _MEET_VERBS or u.lower in _TALK_VERBS or (
                u.never and u.lower not in _WORD_SURNAMES):
            continue  # ... and "Met Tomasz" is a verb and a name
        cue = _introduced(units, k)
        if u.never and cue != "title":
            continue  # "young" only after a title: "Dr Young"
        if cue is not None and _cued_name(units, k, cue, res) and not (
                u.cap and _negative_context(units, k, strict=False)):
            person[k] = True  # "my name is rose", "his surname BROWN", "mr mcdonald"
            if cue == "title" and u.lower in _SURNAME_PARTICLES:
                j = k + 1  # "dr de la cruz", "mr van der berg": the particles and the name
                while j < n and units[j].lower in _SURNAME_PARTICLES and j - k < 3:
                    j += 1
                if j < n and units[j].alpha and not units[j].never and (
                        units[j].name or not units[j].known):
                    for i in range(k + 1, j + 1):
                        person[i] = True
                else:
                    person[k] = False
                continue
            m = nxt(k)
            if (m is not None and not m.cap and m.alpha and m.last and not m.word
                    and not m.never and m.lower not in _DATE_WORDS):
                person[k + 1] = True  # "my name is jo okafor"
            continue
        if (u.cap and not u.sent_start and not u.org_masked and k >= 2
                and units[k - 1].lower in _FAMILY and units[k - 2].lower in _POSSESSIVES):
            person[k] = True  # "my sister Marvellous", "our daughter Patience"
            continue
        if _trigger_before(units, k, person) and _name_after_trigger(u, nxt(k)):
            if u.cap and _negative_context(units, k, strict=False):
                continue
            if not u.strong and (_thing_named(units, k) or (u.word and _title_phrase(units, k))):
                continue  # "a course called Hope and Resilience"
            person[k] = True
            continue
        if apposition_name(k):
            person[k] = True  # "Harleen (daughter, 15)", "hannah 17,", "Summer's DOB"
            continue
        if _eponym(units, k):
            continue  # "diagnosed with Parkinson's"
        if _chain(units, k) and not person_cue_after(k):
            continue  # "Greggs then Costa", "Nando's" (but "Mr Costa", "Costa said")
        if (u.cap and u.alpha and len(u.text) > 1 and not u.known and not u.org_masked
                and u.lower not in _DATE_WORDS and not _inflected_word(u.lower, res)
                and not _negative_context(units, k)
                and (age_apposition(k) or _meet_before(units, k) or unknown_person_after(k))):
            person[k] = True  # a name the lexicon lacks: "Hevin, 23,", "spoke with Tendai",
            continue  # "Sundeep said", "Tharshan's mum rang", "Hevin and his brother"
        if lower_unknown_name(k):
            person[k] = True  # "her sister faadumo", "tesfay and his cousin"
            continue
        if not u.name or (u.cap and _negative_context(units, k)):
            continue
        m = nxt(k)
        follow = m is not None and m.lower in _FOLLOW_VERBS and m.lower not in {"is", "was"}
        if m is not None and m.lower in {"is", "was"} and k + 2 < n:
            follow = follow or units[k + 2].lower in _ANIMATE_STATES
        if u.cap:
            if m is not None and m.cap and m.known and not m.never and (
                    not m.name or (u.word and m.word and not (u.plain_first and m.last))
            ) and not (u.strong and _meet_before(units, k)) and not (  # "spoke with Nguyen Thi Lan"
                    u.strong and m.lower in _JOB_TITLES):  # "Nadia Lead", "Amir Manager"
                continue  # "Moss Side", "Grace Church": a proper-noun phrase, not a person
            if u.lower in _DATE_WORDS:
                continue
            if u.strong:
                person[k] = True
            elif u.plain_first:
                # Rob, Jean, Mark: a name when capitalised, unless it starts a sentence with no
                # verb after it ("Rose petals"), or is a thing ("a Kit Kat", "Humber Bridge").
                if _title_phrase(units, k):
                    continue
                if starts_sentence(k):
                    m = units[k + 1] if k + 1 < n else None
                    surname = surname_next(k) and m is not None and (m.last or m.strong
                                                                     or not m.known)
                    if surname or person_cue_after(k) or verb_after(k) or appositive(k):
                        person[k] = True
                elif (not _thing_before(units, k, person) or verb_after(k)
                      or person_cue_after(k)):
                    person[k] = True  # "... said Po Po goes quiet": a verb vouches for it
            elif u.word:
                # Hope, Faith, Will, May: capitals alone prove nothing (sentence start, titles,
                # "gives me Hope"); a surname, a person verb or "met/spoke to" must vouch for it.
                job = u.lower in _JOB_SURNAMES and starts_sentence(k)
                if not _title_phrase(units, k) and (
                        surname_next(k) or (person_cue_after(k) and not job)
                        or _meet_before(units, k)
                        or came_along(k) or and_own_relation(k)
                        or (not starts_sentence(k) and (follow or appositive(k)
                            or (at(k - 1) in _OBJECT_VERBS and u.lower not in _ABSTRACT_NAMES)))):
                    # ... or a capital mid-sentence plus a verb, ", X, who" or "lost X"
                    person[k] = True
            elif surname_next(k) or follow:
                person[k] = True
        elif (lower_style and u.strong and len(u.text) > 2 and u.lower not in _DATE_WORDS
              and u.lower not in _ACRONYMS):
            person[k] = True
        elif lone_lower_name(k):
            person[k] = True

    # a name and another in brackets: "Sunny (Sundeep) rang", "Jaz (Jasmine) - 20": both are
    # names when one is a first name (or already found) and the other looks like a name, and
    # not both are everyday words ("Hope (Faith)"), nor towns ("Kirkstall (Leeds)")
    for k in range(n - 3):
        if at(k + 1) != "(" or at(k + 3) != ")":
            continue
        a, b = units[k], units[k + 2]
        if a.cap != b.cap or (a.word and b.word) or not (bracket_name(k) and bracket_name(k + 2)):
            continue
        if any(person[i] or (units[i].first and not units[i].place) for i in (k, k + 2)):
            person[k] = person[k + 2] = True

    # a street/place word that is a surname after a title or a first name: "Mrs Green",
    # "Sarah Hill", "Mrs Sarah Green" (not "Sarah Hill Road", "round Alexandra Park",
    # "West Ham Park")
    for k in range(1, n):
        u = units[k]
        lower_after_title = (not u.cap and not u.shout
                             and at(k - 1).rstrip(".") in _SHORT_HONORIFICS)  # "mrs green"
        if person[k] or not ((u.cap or lower_after_title) and u.alpha and u.name
                             and u.lower in _STREET_WORDS):
            continue
        after = nxt(k)
        if after is not None and (after.cap or lower_after_title) and (
                after.lower.rstrip(".") in _STREET_WORDS):
            continue  # "Sarah Hill Road", "Dr Green Surgery": an address or a place
        j = k - 1
        if units[j].text == "." and j > 0:
            j -= 1
        prev = units[j]
        if prev.lower.rstrip(".") in _HONORIFICS:
            person[k] = True
        elif j == k - 1 and street_surname_after_first_name(j, k):
            person[j] = person[k] = True

    # extend to following surnames: "Grace Mensah", "Mrs Stella Adebayo", "Nguyen Van An"
    for k in range(n):
        if person[k]:
            j = k + 1
            while j < n and j - k <= 3 and surname_next(j - 1):
                if units[j].lower in _DATE_WORDS or (units[j].word and not units[j].name):
                    break
                person[j] = True
                j += 1
            # in a note typed in lower case: "priya khan", "bridget ward rang" (a surname that
            # is also a word only with a person's verb after it); in any note, a lower-case
            # surname that is no word: "her sister, Jo-Anne mcdonald"
            m = nxt(j - 1)
            if ((lower_style or (m is not None and not m.word))
                    and m is not None and not person[j] and not m.cap and m.last
                    and m.alpha and m.lower not in _DATE_WORDS and not m.place
                    and (not m.never or m.lower in _WARD_SURNAMES)
                    and (not m.word or person_cue_after(j))):
                person[j] = True

    # two-word nicknames: "known as Big Mo", "Big Mo said", "met Young Kez", "Little Dee came"
    for k in range(n - 1):
        if not person[k] and nickname(k):
            person[k] = person[k + 1] = True

    # a first name no dictionary has, just before a surname read as a person's: "Jolyon
    # Breckinridge mentioned" (the surname vouched for by its verb; the first name, first of
    # a capitalised run, by nothing of its own)
    for k in range(n - 2, -1, -1):
        u = units[k]
        if (not person[k] and person[k + 1] and u.cap and u.alpha and not u.shout
                and not u.known and not u.never and not u.org_masked and len(u.text) > 2
                and u.lower not in _DATE_WORDS and u.lower not in _ACRONYMS
                and units[k + 1].start == u.end and not _inflected_word(u.lower, res)):
            person[k] = True

    # a run of names that goes on into a building, service or street word names that place:
    # "Mary Seacole House", "John Radcliffe Hospital" (not "Mrs Green Surgery"'s title case);
    # a name or two before a lower-case "ward" or "wing" is a ward: "Florence Nightingale ward"
    k = 0
    while k < n:
        if not person[k]:
            k += 1
            continue
        j = k
        while j + 1 < n and person[j + 1]:
            j += 1
        after = units[j + 1] if j + 1 < n else None
        if (after is not None and at(k - 1).rstrip(".") not in _HONORIFICS
                and ((j > k and after.cap and after.lower.rstrip(".") in _NAMED_PLACE_WORDS)
                     or (not after.cap and after.lower in _WARD_WORDS
                         and not person_cue_after(j + 1)))):  # "bridget ward rang"
            for i in range(k, j + 1):
                person[i] = False
        k = j + 1

    # "Faith and Hope came": a name joined by "and" to a detected name is a name too
    for k in range(n - 3, -1, -1):
        u = units[k]
        if (not person[k] and person[k + 2] and units[k + 1].lower in {"and", "&"} and u.cap
                and u.name and not u.never and u.lower not in _DATE_WORDS
                and not _chain(units, k)):
            person[k] = True

    # The same name again in the note, in any case ("Spoke to Sam ... sam is 19"), except
    # months and places. A lower-case repeat of a name that is also a word ("Will ... I will")
    # needs a person cue after it.
    names = {units[k].lower for k in range(n) if person[k] and units[k].lower not in _DATE_WORDS}
    names |= _email_names(doc.text, res)
    for k, u in enumerate(units):
        if person[k] or not u.alpha or u.lower not in names or _eponym(units, k):
            continue
        if u.cap or u.text.isupper():
            if not _negative_context(units, k):
                person[k] = True
        elif not u.word or person_cue_after(k):
            person[k] = True

    # "It was Val and Jean ...", once "Val" is known from later in the note
    for k, u in enumerate(units):
        if (not person[k] and u.cap and u.name and not u.never and u.lower not in _DATE_WORDS
                and not _chain(units, k)
                and ((at(k - 1) in {"and", "&"} and person[k - 2] if k >= 2 else False)
                     or (at(k + 1) in {"and", "&"} and k + 2 < n and person[k + 2]))
                and not _negative_context(units, k) and not _title_phrase(units, k)):
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


# --------------------------------------------------------------------------- other scripts
# Unicode blocks of scripts other than Latin in which names are written: Greek, Cyrillic,
# Armenian, Hebrew, Arabic (and Syriac, Thaana), the Indic scripts (Devanagari to Sinhala),
# Thai, Lao, Tibetan, Myanmar, Georgian, Hangul, Ethiopic, Khmer, kana, CJK, and the Arabic
# and Hebrew presentation forms.
_OTHER_SCRIPT_BLOCKS = (
    (0x0370, 0x03FF), (0x0400, 0x052F), (0x0530, 0x058F), (0x0590, 0x05FF), (0x0600, 0x08FF),
    (0x0900, 0x0DFF), (0x0E00, 0x0FFF), (0x1000, 0x109F), (0x10A0, 0x10FF), (0x1100, 0x11FF),
    (0x1200, 0x139F), (0x1780, 0x17FF), (0x3040, 0x30FF), (0x3130, 0x318F), (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFB1D, 0xFDFF),
    (0xFE70, 0xFEFF),
)


def _letter_class(blocks: tuple[tuple[int, int], ...]) -> str:
    """A regex character class of the letters and combining marks in ``blocks`` (not their
    digits or punctuation: "٠٧٧٠٠" and "،" are no part of a name), with the zero-width
    joiners Persian and the Indic scripts write inside words."""
    ranges: list[list[int]] = []
    for lo, hi in blocks:
        for cp in range(lo, hi + 1):
            if unicodedata.category(chr(cp))[0] not in "LM":
                continue
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    body = "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)
    return f"[{body}\\u200c\\u200d]"


_OTHER_LETTER = _letter_class(_OTHER_SCRIPT_BLOCKS)
# A run of words in another script, one space or hyphen between them: "محمد علي", "王伟".
_OTHER_SCRIPT_RUN = re.compile(rf"{_OTHER_LETTER}+(?:[ \u00a0-]{_OTHER_LETTER}+)*")
#: Words in another script this many or fewer are read as a name; a longer run is a phrase
#: quoted in its language ("she wrote ... on the form"), left as it is.
OTHER_SCRIPT_NAME_WORDS = 4


def _other_script_spans(text: str) -> list[PiiSpan]:
    """Names written in a script other than Latin ("محمد علي is my husband and 王伟 is my
    brother", "Мария too"), as PERSON.

    Why always, not only beside a cue: the lexicon and the context rules know English and
    Latin-script names only, so nothing here can tell a name in Arabic, Han or Cyrillic
    from a word. In a note written in English, a short run of another script is almost
    always a name (of a person, as they write it, or of a place) that the listener copied
    down; the reports' readers could not read it anyway, so marking it costs a quote
    little and missing it leaks a name. Only in a note written in English (most of its
    letters Latin): a note in another language is left whole, as is a run of more than
    ``OTHER_SCRIPT_NAME_WORDS`` words, a phrase in that language."""
    runs = list(_OTHER_SCRIPT_RUN.finditer(text))
    if not runs:
        return []
    other = sum(len(m.group()) for m in runs)
    latin = sum(1 for ch in text if (ch.isascii() and ch.isalpha()) or "\u00c0" <= ch <= "\u024f")
    if other >= latin:
        return []
    out = []
    for m in runs:
        letters = sum(unicodedata.category(ch)[0] == "L" for ch in m.group())
        words = len(re.split(r"[ \u00a0-]", m.group()))
        if letters >= 2 and words <= OTHER_SCRIPT_NAME_WORDS:
            out.append(PiiSpan(m.start(), m.end(), "PERSON"))
    return out


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
    spans += _lives_on_spans(doc, res)
    spans += _school_spans(doc, res)
    people = [PiiSpan(s, e, "PERSON") for s, e in _person_units(doc, res)
              if not _town_of_address(text, spans, s, e)]
    people += _names_beside_contacts(text, spans, res)
    people = _with_particles(text, people)
    return _resolve(spans + people + _streets_of_people(text, people)
                    + _other_script_spans(text) + _place_spans(doc, res))


# --------------------------------------------------------------------------- PLACE
# Why a local place is marked (PLACE_TYPE): in a quote from a small area, "Nurse [PERSON] at
# Walworth Road surgery" or "the day centre on Sumner Road closed" narrows the speaker to
# one practice's patients or one street's neighbours. Public and large services stay: an
# NHS trust, A&E, "the crisis team", hospitals, towns and regions, and a practice or street
# named only in generic words ("the GP surgery", "the local health centre", "the High
# Street", "on the road to recovery", "The Road to Recovery group").
#
# The words that end a GP practice's name; "centre" and "group" only after a medical word
# ("Elm Tree Medical Centre", "Jubilee health centre", "Ashworth Medical Group"), never
# alone ("Jubilee Centre" is anything).
_PRACTICE_HEADS = {"surgery", "practice", "centre", "center", "group"}
_PRACTICE_QUALIFIERS = {"medical", "health", "healthcare", "group", "family", "gp"}
# Words in a practice's name that name no one practice ("the Community Health Centre",
# "Evening Surgery", "Monday surgery", "Good Practice", "Best Practice").
_PRACTICE_GENERIC = _STOP | _ACRONYMS | _DATE_WORDS | _PRACTICE_QUALIFIERS | {
    "local", "community", "mental", "new", "old", "main", "primary", "urgent", "general",
    "central", "morning", "evening", "afternoon", "weekend", "late", "early", "extended",
    "emergency", "duty", "triage", "telephone", "phone", "online", "open", "walk-in",
    "doctor's", "doctors", "nurse", "nurses", "private", "dental", "good", "best", "clinical",
    "nursing", "my", "our", "her", "his", "their",
}
# Street types that are streets whatever comes before ("Sumner Road", "Hope St"); "Park",
# "Green", "Hill", "Way", "Gardens", "Court" and the like name parks, buildings and
# phrases as often ("Roundhay Park", "Milky Way", "the Pride Parade"), so they are left to
# the address rules.
_STREET_TYPES = {
    "road", "rd", "street", "st", "avenue", "ave", "lane", "crescent", "terrace", "close",
    "drive", "grove", "mews", "boulevard",
}
# A street named with only these is a town's centre or a kind of road, not one street:
# "the High Street", "Main Street", "the Ring Road" (but "Station Road" is one street).
_STREET_GENERIC = {"high", "main", "ring"}
# After a street's name a capitalised word may go on into a venue on it ("Sumner Road Day
# Centre", "Walworth Road Surgery"); any other makes the street words a title ("Leeds Road
# Safety Partnership", "Street Triage").
_VENUE_STARTS = _ORG_WORDS | _GATHERINGS | {"day", "community", "family", "medical", "drop"}
# Before a practice named in everyday words only ("Elm Tree Surgery"), a word that makes it
# a place, not an operation ("had Heart Surgery", "for Weight Loss Surgery").
_BEFORE_A_PRACTICE = {"the", "at", "to", "from", "with", "by", "near", "of", "outside"}
_ADJECTIVE_ENDING = re.compile(r"(?:ic|al|ive|ary|ous)$")  # "Bariatric", "Spinal": no name


def _name_before(doc: Doc, end: int) -> int:
    """Where a proper name ending just before token ``end`` starts: up to four capitalised
    words, with a saint's "St" and its possessive ("St Mark's"); not a function word, a
    title or a relation ("Dr Patel's surgery", "at The Surgery"). ``end`` if there is none."""
    start = k = end
    while k > 0 and end - k < 5:
        tok = doc[k - 1]
        low = tok.lower_
        if low in _POSSESSIVE and k >= 3 and doc[k - 3].lower_.rstrip(".") in _SAINT:
            k -= 1  # "St Mark's"
            continue
        if not (tok.is_alpha or low == "st.") or not (tok.is_title or low in _SAINT) or (
                low in _STOP or low.rstrip(".") in _TITLES | _HONORIFICS or low in _RELATIONS):
            break
        k -= 1
        start = k
    while start < end and doc[start].lower_ in _POSSESSIVE:
        start += 1
    return start


def _everyday(word: Any, res: _Resources) -> bool:
    """A word that is an everyday word or an adjective, not a name ("Elm", "Heart",
    "Bariatric"): a name in a practice's name is a place or a person ("Ashworth", "Herne")."""
    flags = res.lexicon.get(word.lower_, "")
    return "W" in flags or (not flags and bool(_ADJECTIVE_ENDING.search(word.lower_)))


def _practice_spans(doc: Doc, res: _Resources) -> list[PiiSpan]:
    """Named GP practices: "Herne Hill Group Practice", "Walworth Road surgery", "the
    Elm Tree Medical Centre", "the Harehills surgery", "St Mark's Surgery". A name with a
    medical word before the head, or with a word that is not an everyday word ("Ashworth
    Surgery"), or a street's name ("Hope Street surgery"), or, in everyday words only, in
    title case after "the"/"at"/"to" ("registered at Elm Tree Surgery"); not "the GP
    surgery", "Knee surgery", "had Heart Surgery", "Good Practice"."""
    out = []
    for i, tok in enumerate(doc):
        if tok.lower_ not in _PRACTICE_HEADS:
            continue
        q = i
        while q > 0 and doc[q - 1].lower_ in _PRACTICE_QUALIFIERS and i - q < 2:
            q -= 1  # "Group Practice", "Medical Centre", "health centre"
        qualified = q < i
        if tok.lower_ in {"centre", "center", "group"} and not (
                qualified and doc[q].lower_ in {"medical", "health", "healthcare"}):
            continue  # "Jubilee Centre", "Walking Group"
        start = _name_before(doc, q)
        words = [t for t in doc[start:q] if t.is_alpha]
        naming = [t for t in words if t.lower_ not in _PRACTICE_GENERIC]
        if not naming:
            continue
        streets = any(t.lower_ in _STREET_TYPES for t in words[1:])
        proper = (tok.is_title and start > 0 and doc[start - 1].lower_ in _BEFORE_A_PRACTICE
                  and not any(t.lower_ in _DATE_WORDS for t in words))
        if qualified or streets or proper or not all(_everyday(t, res) for t in naming):
            out.append(PiiSpan(doc[start].idx, tok.idx + len(tok), PLACE_TYPE))
    return out


def _street_spans(doc: Doc, res: _Resources) -> list[PiiSpan]:
    """Streets named without a house number: "on Sumner Road", "Hope Street", "St Mark's
    Road" (one with a number is an ADDRESS). The street type capitalised, after one to
    three capitalised words that are not all generic; not "the High Street", "The Road to
    Recovery" (no name before it), "12 St Mary's" (a saint), "Leeds Road Safety Partnership"."""
    out = []
    n = len(doc)
    for i, tok in enumerate(doc):
        low = tok.lower_.rstrip(".")
        if low not in _STREET_TYPES or not tok.is_title:
            continue
        after = doc[i + 1] if i + 1 < n else None
        if after is not None and after.is_alpha and after.is_title and not _new_sentence(
                tok, after, res):  # "Hope St. Then ...": the street ends the sentence
            if low == "st" or after.lower_ not in _VENUE_STARTS:
                continue  # "St Mary's": a saint; "Leeds Road Safety Partnership": a title
        start = _name_before(doc, i)
        words = [t.lower_ for t in doc[start:i] if t.is_alpha]
        if not words or i - start > 4 or set(words) <= _STREET_GENERIC | _SAINT:
            continue
        # "Hope St." ends with the street: the full stop may end the sentence too
        out.append(PiiSpan(doc[start].idx, tok.idx + len(tok.text.rstrip(".")), PLACE_TYPE))
    return out


def _place_spans(doc: Doc, res: _Resources) -> list[PiiSpan]:
    return _practice_spans(doc, res) + _street_spans(doc, res)


# A street right after a person's name is where they live: "Mrs Begum on Gibbet Street",
# "Jo from Elm Road"; not a service's ("Dr Hussain at Park Lane Surgery", "on Hope Street"
# alone is where a service is, which the annotation rules leave in)
_PERSON_STREET = re.compile(
    r"\s+(?:on|of|from|off|in)\s+(?P<street>(?:[A-Z][\w'’-]*\s+){1,3}"
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Close|Drive|Way|Crescent|Grove|Terrace|Gardens"
    r"|Mews|Parade|Walk|Row)\b\.?)")


def _streets_of_people(text: str, people: list[PiiSpan]) -> list[PiiSpan]:
    out = []
    for person in people:
        found = _PERSON_STREET.match(text, person.end)
        if found is None:
            continue
        after = re.match(r"\s*([\w'’]+)", text[found.end():])
        if after and after[1].lower() in (_SCHOOL_HEADS | _ORG_WORDS):
            continue  # "Sue from Elm Road Surgery": a service's name
        out.append(PiiSpan(found.start("street"), found.end("street"), "ADDRESS"))
    return out


# A particle inside a person's name, between two of its parts: "Rhys ap Gwilym", "Ahmed bin
# Salman", "Ludwig van Dijk", "Nia ferch Owen", "Pieter van der Berg", "Maria de la Cruz"
_PERSON_PARTICLE = re.compile(
    r"\s+(?:ap|ab|bin|ibn|bint|ben|ferch|van(?:\s+(?:der|den|de))?|von(?:\s+der)?"
    r"|de(?:\s+(?:la|las|los))?|del|"
    r"della|di|da|dos|du|le|la|al|el)\s+(?:[A-Z][\w'’]*(?:-[A-Z][\w'’]*)*)"
)


# A nickname in brackets right after a name: "Rosalind ('Ro')", "Mohammed (Mo)"
_BRACKETED_NICKNAME = re.compile(r"\s*\(\s*['‘\"“]?(?P<nick>[A-Z][a-z]{1,14})['’\"”]?\s*\)")


def _with_particles(text: str, people: list[PiiSpan]) -> list[PiiSpan]:
    """A person's span with the particle and name part after it ("Rhys [ap Gwilym]"): the
    part after a particle names the person as surely as the part before; and a nickname
    in brackets after it ("Rosalind ('Ro')"), marked apart."""
    out = []
    for span in people:
        end = span.end
        while (found := _PERSON_PARTICLE.match(text, end)) is not None:
            end = found.end()
        out.append(PiiSpan(span.start, end, "PERSON") if end != span.end else span)
        nick = _BRACKETED_NICKNAME.match(text, end)
        if nick is not None and nick["nick"].lower() not in _NEVER_NAME:  # not "(Mum)"
            out.append(PiiSpan(nick.start("nick"), nick.end("nick"), "PERSON"))
    return out


def _town_of_address(text: str, spans: list[PiiSpan], start: int, end: int) -> bool:
    """A name-like word between an address and its postcode is the town ("14 Elm Road,
    Thornton-le-Dale, YO18 7QH"), not a person."""
    gap = re.compile(r"[\s,]*")
    return any(a.type == "ADDRESS" and a.end <= start and gap.fullmatch(text[a.end:start])
               for a in spans) and any(
        p.type == "POSTCODE" and p.start >= end and gap.fullmatch(text[end:p.start])
        for p in spans)


def _nfc(text: str) -> tuple[str, tuple[list[int], list[int]] | None]:
    """``text`` in Unicode NFC (so "Siobha\u0301n" is looked up as "Siobhán"), with maps from
    NFC offsets back to ``text``: ``(starts, ends)``, or ``None`` when it is already NFC.

    The text is cut into clusters (a character and the combining marks that compose with it)
    that normalise independently; an offset inside a composed cluster maps to the cluster's
    start (for a span start) or end (for a span end), so a span never cuts a letter in half.
    """
    nfc = unicodedata.normalize("NFC", text)
    if nfc == text:
        return text, None
    clusters: list[tuple[int, int, str]] = []
    begin = 0
    for i in range(1, len(text) + 1):
        if i < len(text):
            ch = text[i]
            if unicodedata.combining(ch):
                continue
            head = unicodedata.normalize("NFC", text[begin:i])
            if unicodedata.normalize("NFC", text[begin:i + 1]) != head + unicodedata.normalize(
                    "NFC", ch):
                continue  # composes with what came before (Hangul jamo and the like)
        clusters.append((begin, i, unicodedata.normalize("NFC", text[begin:i])))
        begin = i
    if "".join(c for _, _, c in clusters) != nfc:  # pragma: no cover - defensive
        return text, None
    starts = [len(text)] * (len(nfc) + 1)
    ends = [0] * (len(nfc) + 1)
    pos = 0
    for a, b, piece in clusters:
        for j in range(len(piece)):
            starts[pos + j] = a
            ends[pos + j + 1] = b
        pos += len(piece)
    return nfc, (starts, ends)


def _to_original(spans: list[PiiSpan], maps: tuple[list[int], list[int]] | None) -> list[PiiSpan]:
    if maps is None:
        return spans
    starts, ends = maps
    return [PiiSpan(starts[s.start], ends[s.end], s.type) for s in spans]


def find_pii(text: str) -> list[PiiSpan]:
    """Personal data in ``text``: sorted, non-overlapping spans with offsets into ``text``
    itself (detection runs on its NFC form; offsets are mapped back)."""
    norm, maps = _nfc(text)
    return _to_original(_find_in_doc(_resources().nlp(norm)), maps)


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

    def normalised() -> Iterator[tuple[str, tuple[str, Any]]]:
        for text in texts:
            norm, maps = _nfc(text)
            yield norm, (text, maps)

    for doc, (text, maps) in nlp.pipe(normalised(), batch_size=batch_size, as_tuples=True):
        yield _apply(text, _to_original(_find_in_doc(doc), maps))


__all__ = [
    "PII_TYPES", "PLACE_TYPE", "SPAN_TYPES", "PiiSpan", "Redaction", "find_pii", "is_common_word",
    "place_key", "place_name_spans", "redact", "redact_many",
]
