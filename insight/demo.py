"""`insight demo`: the whole golden thread on the shipped demo corpus, in one call.

Creates a workspace, ingests the demo notes (a quarter arrive without labels, as new notes
from listeners would), trains, tags, records insights, priorities, actions and outcomes the
way a lead would, and writes the commissioner report.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from insight.classify.model import read_model_json
from insight.intake import ingest_file
from insight.privacy import quotes_for
from insight.report import build_report, quoted_notes, write_report
from insight.resources import corpora_dir
from insight.rollup import note_frame
from insight.store import Store
from insight.tagging import tag_store, train_from_store
from insight.thread import (
    add_action,
    add_insight,
    add_outcome,
    add_priority,
    set_involvement,
    set_quote_choice,
)
from insight.workspace import Workspace, init_workspace

MARKER = ".insight-demo"
#: What the demo writes in its folder (a SQLite journal too, left by a command cut short)
_DEMO_ENTRIES = frozenset({
    MARKER, "insight.toml", "insight.db", "insight.db-wal", "insight.db-shm",
    "insight.db-journal", "inbox", "model", "quarantine", "erasures.jsonl", "report.html",
})
MAX_NOTES_PER_INSIGHT = 40
#: How the demo's community page says people can reach the team.
DEMO_CONTACT = "ask the peer listener you spoke to, or email listening@example.org"


def demo_corpus_path() -> Path:
    return corpora_dir() / "notes" / "demo.jsonl"


@dataclass(frozen=True)
class InsightRecipe:
    key: str
    title: str
    summary: str
    category: str
    pattern: str  # what a lead would search for among the category's notes


INSIGHTS = [
    InsightRecipe(
        "spaces",
        "Community spaces keep people well, and people feel lost when they close",
        "Cafés, groups, gardens and faith or community centres give connection, routine and "
        "somewhere safe to be; when a group closes or the bus stops running, isolation follows.",
        "community-support",
        r"caf[eé]|group|garden|allotment|centre|church|mosque|gurdwara|shed|club|closed|lonel",
    ),
    InsightRecipe(
        "unknown",
        "People do not know what support exists near them",
        "People found help by chance, were handed leaflets with jargon, or never heard of local "
        "groups that could have helped.",
        "information-navigation",
        r"know|told|heard|leaflet|letter|website|find|where",
    ),
    InsightRecipe(
        "waiting",
        "Waiting months on a list with no contact",
        "People are left on lists for months with nobody checking in, and some get worse while "
        "they wait.",
        "access-waiting",
        r"wait|list|month|week|referr|appointment",
    ),
    InsightRecipe(
        "crisis",
        "At night, in a crisis, A&E or the police are the only doors",
        "People in crisis out of hours end up in A&E for hours or with the police, and want "
        "somewhere calm to go.",
        "crisis-urgent",
        r"night|a ?& ?e|a and e|police|crisis|111|hours",
    ),
    InsightRecipe(
        "culture",
        "Help that does not fit someone's language, faith or culture is not taken up",
        "Shame in the community, no interpreter, or workers who do not understand someone's "
        "background stop people asking for or staying with help.",
        "cultural-factors",
        r"interpret|language|faith|imam|church|mosque|culture|family|shame|communit",
    ),
    InsightRecipe(
        "carers",
        "Carers are worn out and left out of care",
        "Families and carers hold people together but are not told what is happening, are not "
        "asked, and get little support themselves.",
        "carers-family",
        r"carer|mum|dad|son|daughter|wife|husband|partner|family|respite",
    ),
]

PRIORITIES = [
    (
        "Community spaces for connection, grounding and support",
        "Keep and grow the community places where people find each other, and make sure "
        "people know they exist.",
        ["spaces", "unknown"],
    ),
    (
        "No one left waiting alone",
        "Everyone waiting for help hears from a person regularly and knows what to do if "
        "things get worse.",
        ["waiting"],
    ),
    (
        "Help right now that fits who I am",
        "Calm, culturally safe places to go in a crisis, any time, with interpreters.",
        ["crisis", "culture"],
    ),
    (
        "Carers as partners in care",
        "Families and carers involved, informed and supported in their own right.",
        ["carers"],
    ),
]


def _labels_withheld(note_id: str) -> bool:
    """A fixed quarter of demo notes arrive as new, unlabelled notes."""
    return hashlib.sha256(note_id.encode()).digest()[0] < 64


def _split_demo_corpus(source: Path, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    labelled = folder / "labelled-notes.jsonl"
    new = folder / "new-notes.jsonl"
    with source.open(encoding="utf-8") as lines, labelled.open("w", encoding="utf-8") as a, \
            new.open("w", encoding="utf-8") as b:
        for line in lines:
            if not line.strip():
                continue
            note = json.loads(line)
            if _labels_withheld(note["id"]):
                for key in ("categories", "safeguarding", "experience"):
                    note.pop(key, None)
                b.write(json.dumps(note, ensure_ascii=False) + "\n")
            else:
                a.write(json.dumps(note, ensure_ascii=False) + "\n")
    return [labelled, new]


def _pin_a_quote(store: Store, insight_id: int, note_ids: list[str], category: str,
                 pattern: re.Pattern[str]) -> None:
    """As a lead would for the community page: read what each linked note would quote in
    the person's own words, and pin the first that speaks to the finding."""
    concerns, cleared = store.safeguarding_state()
    evidence = {t["note_id"]: t["evidence"] for t in store.tags_for(note_ids)
                if t["category"] == category and t["evidence"]}
    for note_id in note_ids:
        note = store.get_note(note_id)
        quoted = quotes_for([note], excerpts=evidence, flagged=concerns, cleared=cleared,
                            own_words=True, named=False) if note else []
        if quoted and pattern.search(quoted[0].text):
            set_quote_choice(store, insight_id, note_id, "pin")
            return


#: The demo's settings a lead would keep out of reports (`never_name` in insight.toml).
DEMO_NEVER_NAME = ("asylum hotel drop-in", "refugee drop-in", "hostel", "women's group")


def run_demo(out: str | Path, *, say: Callable[[str], None] = print) -> Path:
    """Build the demo workspace in `out` and return the report path."""
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder} is a file; choose another --out")
    if folder.exists() and any(folder.iterdir()):
        if (folder / "insight.toml").exists() and not (folder / MARKER).exists():
            raise FileExistsError(
                f"{folder} holds a workspace that is not a demo; choose another --out"
            )
        if not (folder / MARKER).exists():
            raise FileExistsError(
                f"{folder} is not empty: the demo makes its workspace in a new or empty "
                "folder; choose another --out"
            )
        # an earlier demo's folder: replaced, but never a file the demo did not write
        theirs = sorted(p.name for p in folder.iterdir() if p.name not in _DEMO_ENTRIES)
        if theirs:
            raise FileExistsError(
                f"{folder} holds an earlier demo and files it did not write "
                f"({', '.join(theirs[:5])}{' and more' if len(theirs) > 5 else ''}): move "
                "them out or choose another --out (the demo replaces only its own files)"
            )
        say(f"replacing the demo made earlier in {folder}")
        shutil.rmtree(folder)
    # as a lead would: settings whose name would point at the people in them are never
    # named outside the leads' view, however many notes come from them
    workspace: Workspace = init_workspace(folder, contact=DEMO_CONTACT,
                                          never_name=DEMO_NEVER_NAME)
    (folder / MARKER).write_text("created by `insight demo`; safe to delete\n")
    codebook = workspace.load_codebook()
    files = _split_demo_corpus(demo_corpus_path(), folder / "inbox")
    with Store.open(workspace.db_url, actor="demo") as store:
        for file in files:
            report = ingest_file(
                store,
                file,
                category_ids=codebook.ids,
                quarantine_dir=workspace.quarantine_dir,
                max_chars=workspace.max_note_chars,
            )
            say(
                f"ingest {file.name}: accepted {report.accepted}, rejected {report.rejected}, "
                f"already present {report.already_present}"
            )
        # the demo's labelled notes are enough to learn from, and most of them are shipped
        # training notes already: learning from the shipped corpus as well would triple the
        # first run's time for the same model
        model = train_from_store(store, codebook, workspace.model_dir, shipped=False)
        say(f"train: model {model.model_version} ({model.backend}) -> {workspace.model_dir}")
        tagged = tag_store(store, model)
        say(f"tag: {tagged} notes tagged")

        frame = note_frame(store)
        texts = {}
        for batch in store.iter_notes():
            texts.update({n["id"]: n["text"] for n in batch})
        insight_ids: dict[str, int] = {}
        for recipe in INSIGHTS:
            in_category = frame["categories"].map(lambda cs, c=recipe.category: c in cs)
            candidates = list(frame.loc[in_category, "id"])
            pattern = re.compile(recipe.pattern, re.IGNORECASE)
            chosen = [n for n in candidates if pattern.search(texts[n])]
            if len(chosen) < 5:
                chosen = candidates
            insight_ids[recipe.key] = add_insight(
                store,
                recipe.title,
                summary=recipe.summary,
                categories=[recipe.category],
                note_ids=chosen[:MAX_NOTES_PER_INSIGHT],
            )
            _pin_a_quote(store, insight_ids[recipe.key], chosen[:MAX_NOTES_PER_INSIGHT],
                         recipe.category, pattern)
        priority_ids = [
            add_priority(
                store,
                title,
                description=description,
                agreed_on=date(2026, 6, 18),
                insight_ids=[insight_ids[k] for k in keys],
            )
            for title, description, keys in PRIORITIES
        ]
        spaces, waiting, crisis, carers = priority_ids
        cafes = add_action(
            store,
            "Fund peer-led community cafés and groups in three neighbourhoods",
            owner="ICB mental health commissioner",
            status="in progress",
            status_on=date(2026, 7, 15),
            description="Three-year grants to voluntary and faith groups, with a shared "
            "directory so listeners and GPs can point people to them.",
            due_on=date(2027, 3, 31),
            stage="contracting",
            framework="Community Mental Health Framework",
            priority_ids=[spaces],
        )
        set_involvement(store, cafes, "active", "embedded",
                        how="peer leads sit on the grants panel and visit the groups")
        add_outcome(
            store,
            cafes,
            "Two community cafés open weekly; a printed and online directory of 64 local "
            "groups is in every GP surgery.",
            observed_on=date(2026, 10, 1),
            evidence="Grant monitoring returns, Q2 2026/27",
            fed_back=True,
            fed_back_on=date(2026, 10, 20),
        )
        calls = add_action(
            store,
            "Contact every four weeks for everyone on the Talking Therapies waiting list",
            owner="Talking Therapies service lead",
            status="agreed",
            status_on=date(2026, 9, 10),
            stage="pathway design",
            framework="NHS Talking Therapies manual",
            due_on=date(2027, 1, 31),
            priority_ids=[waiting],
        )
        set_involvement(store, calls, "passive", "isolated",
                        how="one workshop with people on the waiting list")
        sanctuary = add_action(
            store,
            "Open an out-of-hours crisis sanctuary with interpreters on call",
            owner="ICB urgent care commissioner",
            status="done",
            status_on=date(2026, 8, 3),
            stage="specifying outcomes",
            framework="Community Mental Health Framework",
            priority_ids=[crisis],
        )
        set_involvement(store, sanctuary, "active", "embedded",
                        how="two peer workers on every shift; lived-experience leads wrote "
                        "the service specification")
        add_outcome(
            store,
            sanctuary,
            "Sanctuary open 6pm-2am, seven nights; 40% of visitors said they would otherwise "
            "have gone to A&E.",
            observed_on=date(2026, 9, 1),
            evidence="Sanctuary visitor survey, summer 2026",
        )
        add_action(
            store,
            "A 24/7 walk-in crisis centre in every town",
            owner="ICB urgent care commissioner",
            status="declined",
            status_on=date(2026, 7, 2),
            reason="Not affordable in 2026/27; the sanctuary pilot is funded first and will be "
            "reviewed with lived-experience leads in spring 2027.",
            stage="strategic planning",
            priority_ids=[crisis],
        )
        add_action(
            store,
            "Carers asked and involved at every care-plan review in community teams",
            owner="Trust carers lead",
            status="proposed",
            status_on=date(2026, 10, 5),
            stage="monitoring",
            priority_ids=[carers],
        )
        data = build_report(
            store, codebook, audience="commissioner", threshold=workspace.small_number_threshold,
            model=read_model_json(workspace.model_dir), never_name=workspace.never_name,
        )
        [path] = write_report(data, folder / "report.html")
        # as `insight report` does: an erasure or a withdrawn consent names this report too
        store.record_report([str(path.resolve())], "commissioner", quoted_notes(data))
    return path
