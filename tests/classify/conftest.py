"""Small, deterministic training notes for the classifier tests (no corpus dependency).

Each label has its own phrases, so a working classifier must separate them; notes mix
one or two labels and some filler, and a few carry a safeguarding concern.
"""

from __future__ import annotations

import random

import pytest

LABELS = ["access-waiting", "carers-family", "daily-living"]
PHRASES = {
    "access-waiting": [
        "been on the list since March and still no appointment",
        "the GP said I'm not ill enough for the team",
        "waited eight months for a first assessment",
        "they keep bouncing me between services and nobody sees me",
    ],
    "carers-family": [
        "my mum is knackered looking after me",
        "nobody asks how the carers are coping",
        "my husband has to do everything for me now",
        "the kids are worried sick about their dad",
    ],
    "daily-living": [
        "universal credit got stopped and the rent is behind",
        "can't afford the bus fare to get to the clinic",
        "lost my job and the debt letters keep coming",
        "using the food bank every week now",
    ],
}
FILLER = [
    "We talked for a while at the cafe.",
    "Weather was awful so not many in today.",
    "He said the football was rubbish again.",
    "She was chatty and made a cup of tea.",
]
RISK = [
    "She said she has been cutting again and showed me her arm.",
    "He told me he has his tablets saved up just in case.",
]


def make_notes(
    n: int = 90, seed: int = 0
) -> tuple[list[str], list[list[str]], list[bool], list[str]]:
    rng = random.Random(seed)
    texts, labels, flags, experience = [], [], [], []
    for i in range(n):
        k = 1 if i % 3 else 2
        cats = rng.sample(LABELS, k)
        sentences = [rng.choice(PHRASES[c]).capitalize() + "." for c in cats]
        sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(FILLER))
        risk = i % 15 == 0
        if risk:
            sentences.append(rng.choice(RISK))
        texts.append(" ".join(sentences))
        labels.append(cats)
        flags.append(risk)
        experience.append("negative" if i % 2 else "neutral")
    return texts, labels, flags, experience


@pytest.fixture(scope="session")
def notes() -> tuple[list[str], list[list[str]], list[bool], list[str]]:
    return make_notes()
