"""Tests for `insight.redact`: each PII type, the tricky look-alikes that must stay, and the
API contract (original offsets, no leaked text, batch == one by one)."""

from __future__ import annotations

import json

import pytest

from insight.redact import PII_TYPES, PiiSpan, find_pii, redact, redact_many
from insight.resources import corpora_dir


def found(text: str) -> list[tuple[str, str]]:
    """(surface, type) pairs, so failures show what was found."""
    return [(text[s.start:s.end], s.type) for s in find_pii(text)]


def types_of(text: str, kind: str) -> list[str]:
    return [surface for surface, t in found(text) if t == kind]


# --------------------------------------------------------------------------- PERSON
@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("My daughter Hope was discharged with no plan.", "Hope"),
        ("Spoke with Siobhan at the drop-in.", "Siobhan"),
        ("my son jamie won't go to school", "jamie"),
        ("Dr Patel referred her to the memory clinic.", "Patel"),
        ("Mrs O'Brien lives on her own.", "O'Brien"),
        ("Oluwaseun wants to start a walking group.", "Oluwaseun"),
        ("We met Agnieszka at the Polish centre.", "Agnieszka"),
        ("Her husband Mohammed works nights.", "Mohammed"),
        ("The worker said Nguyen has moved flats.", "Nguyen"),
        ("Spoke with a mum called May about the waits.", "May"),
        ("Thanks Grace, for bringing the leaflets.", "Grace"),
        ("Gran said Sunny has been self-harming.", "Sunny"),
        ("Her keyworker Bill retired last month.", "Bill"),
        ("Will said the café was the only safe place.", "Will"),
        ("Carer for her husband Frank, who has dementia.", "Frank"),
        ("We spoke to Patience about the long waits.", "Patience"),
    ],
)
def test_person_names(text: str, name: str) -> None:
    assert name in types_of(text, "PERSON")


def test_person_full_and_double_barrelled_names_are_one_span() -> None:
    text = "Met Grace Mensah and Dr Okonkwo-Smith; Lily-Mae is seven."
    assert types_of(text, "PERSON") == ["Grace Mensah", "Okonkwo-Smith", "Lily-Mae"]


@pytest.mark.parametrize(
    "text",
    [
        "I hope someone from the trust reads this.",
        "My faith keeps me going.",
        "They will close the day centre in May.",
        "It was a real joy to see the young people lead.",
        "The bill for the gas went up.",
        "Being frank, the GP didn't have time.",
        "They need patience with people who don't speak English.",
        "Hope is in short supply when you wait two years.",
        "May was the hardest month, he said.",
        "He was on Hope Ward at St Mary's Hospital for six weeks.",
        "The surgery on Hope Street has stopped home visits.",
        "Mind and Rethink both ran sessions. Talking Therapies wait is 16 weeks.",
        "Lots of people mentioned the Hub of Hope directory.",
        "Grace Church hosts a community supper.",
        "He was sent to a unit in Kent.",
    ],
)
def test_common_words_services_and_places_are_not_people(text: str) -> None:
    assert types_of(text, "PERSON") == []


# --------------------------------------------------------------------------- PHONE
@pytest.mark.parametrize(
    "number",
    ["07700 900123", "+44 7700 900 123", "(0161) 496 0000", "0161-496-0000", "07700900123",
     "020 7946 0321", "+44 (0)20 7946 0987"],
)
def test_uk_phone_formats(number: str) -> None:
    assert types_of(f"Please call her on {number} after 5pm.", "PHONE") == [number]


@pytest.mark.parametrize(
    "text",
    [
        "Samaritans 116 123 and NHS 111 were the only options at night.",
        "If you are in danger ring 999.",
        "CALM is on 0800 58 58 58 and Shout is text 85258.",
        "The council's 0300 123 1234 number just rings out.",
        "Case ref 1234567890 needs closing.",
    ],
)
def test_helplines_and_references_are_not_phones(text: str) -> None:
    assert types_of(text, "PHONE") == []


# --------------------------------------------------------------------------- EMAIL
def test_email() -> None:
    text = "Contact sam.okafor@example.org or j.doe+notes@example.co.uk."
    assert types_of(text, "EMAIL") == ["sam.okafor@example.org", "j.doe+notes@example.co.uk"]


# --------------------------------------------------------------------------- NHS_NUMBER
@pytest.mark.parametrize("number", ["999 526 0182", "999-159-0838", "9990166137"])
def test_nhs_number_with_valid_check_digit(number: str) -> None:
    assert types_of(f"NHS number {number} on the letter.", "NHS_NUMBER") == [number]


@pytest.mark.parametrize("number", ["999 526 0185", "999-159-0831", "9990166130"])
def test_ten_digits_failing_modulus_11_are_not_nhs_numbers(number: str) -> None:
    assert types_of(f"NHS number {number} on the letter.", "NHS_NUMBER") == []


# --------------------------------------------------------------------------- NI_NUMBER
@pytest.mark.parametrize(
    "text, number",
    [
        ("NI number QQ 12 34 56 C on the form.", "QQ 12 34 56 C"),
        ("Her national insurance is jk-12-34-56-a apparently.", "jk-12-34-56-a"),
        ("ni no ab123456c, he read it out", "ab123456c"),
        ("Gave me AB123456 for the PIP form.", "AB123456"),
    ],
)
def test_national_insurance_numbers(text: str, number: str) -> None:
    assert types_of(text, "NI_NUMBER") == [number]


@pytest.mark.parametrize(
    "text", ["We met on 12 03 24 at the cafe.", "Sort code 12-34-56, she said.", "Room B 123456."]
)
def test_dates_and_codes_without_letters_or_cue_are_not_ni_numbers(text: str) -> None:
    assert types_of(text, "NI_NUMBER") == []


# --------------------------------------------------------------------------- POSTCODE
@pytest.mark.parametrize("postcode", ["M1 1AE", "m11ae", "SW1A 1AA", "B33 8TH", "ls6 2ab"])
def test_postcodes(postcode: str) -> None:
    assert types_of(f"She lives in {postcode} near the park.", "POSTCODE") == [postcode]


def test_outward_code_alone_is_not_a_postcode() -> None:
    assert types_of("He lives somewhere in M1 but wouldn't say more.", "POSTCODE") == []


# --------------------------------------------------------------------------- ADDRESS
@pytest.mark.parametrize(
    "address",
    ["14 Elm Road", "Flat 3, 22 Station Street", "31a Wilmslow Road", "18 Cheetham Hill Road"],
)
def test_house_addresses(address: str) -> None:
    assert types_of(f"She lives at {address} with her sons.", "ADDRESS") == [address]


def test_street_without_house_number_is_not_an_address() -> None:
    assert types_of("People on Victoria Road feel unsafe at night.", "ADDRESS") == []


# --------------------------------------------------------------------------- DATE_OF_BIRTH
@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("She was born 3/4/1988 in Bolton.", "3/4/1988"),
        ("DOB 12.05.79, lives alone.", "12.05.79"),
        ("Date of birth 1st March 1990.", "1st March 1990"),
        ("Born on the 3rd of May 1987, she said.", "3rd of May 1987"),
    ],
)
def test_dates_of_birth(text: str, date: str) -> None:
    assert types_of(text, "DATE_OF_BIRTH") == [date]


@pytest.mark.parametrize(
    "text",
    [
        "Her appointment is on 12/05/2024 at 10am.",
        "Follow-up on 3rd June 2025 with the memory clinic.",
        "He was born in Pakistan and came here in 1998.",
    ],
)
def test_other_dates_are_not_dates_of_birth(text: str) -> None:
    assert types_of(text, "DATE_OF_BIRTH") == []


# --------------------------------------------------------------------------- API contract
NOTE = (
    "Mrs O'Brien (DOB 12.05.79, NHS 999 526 0182) lives at Flat 3, 22 Station Street, m11ae. "
    "Her son Jamie rang from 07700 900123 and emailed jamie.obrien@example.com. "
    "Her NI number is QQ 12 34 56 C. I hope Samaritans 116 123 call back."
)


def test_offsets_refer_to_original_text_and_are_sorted_non_overlapping() -> None:
    spans = find_pii(NOTE)
    assert {s.type for s in spans} == set(PII_TYPES)
    assert all(isinstance(s, PiiSpan) and s.type in PII_TYPES for s in spans)
    assert spans == sorted(spans, key=lambda s: s.start)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    surfaces = {NOTE[s.start:s.end] for s in spans}
    assert {"O'Brien", "12.05.79", "999 526 0182", "Flat 3, 22 Station Street", "m11ae",
            "Jamie", "07700 900123", "jamie.obrien@example.com", "QQ 12 34 56 C"} <= surfaces


def test_redacted_text_contains_no_span_text() -> None:
    result = redact(NOTE)
    for s in result.spans:
        assert NOTE[s.start:s.end] not in result.text
    assert "[PERSON]" in result.text and "[NHS_NUMBER]" in result.text
    assert "Samaritans 116 123" in result.text and "I hope" in result.text


def test_redact_many_equals_redact_one_by_one() -> None:
    path = corpora_dir() / "pii" / "pii-eval.jsonl"
    texts = [json.loads(line)["text"] for line in path.open(encoding="utf-8")][:60]
    texts += ["", NOTE]
    assert list(redact_many(iter(texts))) == [redact(t) for t in texts]


def test_empty_text() -> None:
    assert find_pii("") == []
    assert redact("").text == ""


def test_eval_set_gold_offsets_match_their_types() -> None:
    """The shipped evaluation set is well formed: spans inside the text, known types."""
    path = corpora_dir() / "pii" / "pii-eval.jsonl"
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    assert len(rows) >= 150
    for row in rows:
        for sp in row["spans"]:
            assert 0 <= sp["start"] < sp["end"] <= len(row["text"])
            assert sp["type"] in PII_TYPES
