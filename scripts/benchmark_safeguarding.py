"""The safeguarding flag on hand-written audit notes that no model was trained on.

Why: nested cross-validation on the shipped corpus (`scripts/safeguarding_cv.py`) measures
the flag on notes written the same way as its training notes. Risk is said in countless
ways, so the flag is also measured on notes written later by other writers who saw only the
labelling rules (`corpora/safeguarding-audit/`, README there): the shipped flag (what
`insight tag` and `insight classify` set), the phrase list alone (what `insight ingest`
screens with) and the classifier alone. `SETS` says what each set has been used for.

    PYTHONPATH=.:scripts python scripts/benchmark_safeguarding.py [--write-docs] [--misses]
"""

from __future__ import annotations

import argparse
import json
import platform
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from benchdoc import write_section

from insight.classify.default import default_model
from insight.classify.features import CountCache
from insight.classify.safeguarding import SafeguardingPhrases
from insight.classify.sentences import sentence_pipeline
from insight.resources import corpora_dir

AUDIT_DIR = corpora_dir() / "safeguarding-audit"
# what each set has been used for; a set used to change the list is no longer blind
SETS = {
    "audit-1.jsonl": "development: used to write phrase list v3, and trained on by the "
    "default model's safeguarding classifier (so its rows below are not a test)",
    "audit-2.jsonl": "development since 2026-11-28: written after list v3, a test until "
    "then (history below); now trained on by the default model's safeguarding classifier",
    "audit-3.jsonl": "development since 2026-11-29: written blind after list v6, a test "
    "until then (history below); now trained on by the default model's safeguarding "
    "classifier, never used to write a phrase",
    "audit-4.jsonl": "development since 2026-11-29 (later): written blind, a test until "
    "then (history below); now trained on by the default model's safeguarding classifier, "
    "never used to write a phrase",
    "audit-5.jsonl": "development since 2026-11-29 (later): written blind, a test until "
    "then (history below); now trained on by the default model's safeguarding classifier, "
    "never used to write a phrase",
    "audit-6.jsonl": "test: written blind on 2026-11-29 by a sixth writer; never trained "
    "on or used to write a phrase",
}


def read_set(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def scores(flagged: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    tp = int((flagged & truth).sum())
    return {
        "recall": tp / max(1, int(truth.sum())),
        "caught": tp,
        "positives": int(truth.sum()),
        "precision": tp / max(1, int(flagged.sum())),
        "flagged": float(flagged.mean()),
    }


def evaluate_set(rows: list[dict], show_misses: bool) -> dict[str, dict[str, float]]:
    model = default_model()
    texts = [r["text"] for r in rows]
    truth = np.array([bool(r["safeguarding"]) for r in rows])
    nlp = sentence_pipeline()
    phrases = SafeguardingPhrases(nlp)
    by_list = np.array([bool(phrases.flag(nlp.make_doc(t))) for t in texts])
    by_model = np.asarray(model.safeguarding_model.predict(texts, CountCache(texts)), bool)
    shipped = np.array([t.safeguarding for t in model.tag(texts)])
    if show_misses:
        for row, flag in zip(rows, shipped, strict=True):
            if bool(row["safeguarding"]) != bool(flag):
                kind = "missed" if row["safeguarding"] else "false alarm"
                print(f"  {kind:11s} {row['id']}: {row.get('why', '')}")
    return {
        "shipped flag (classifier OR phrase list)": scores(shipped, truth),
        "phrase list alone": scores(by_list, truth),
        "classifier alone": scores(by_model, truth),
    }


def render(results: dict[str, dict[str, dict[str, float]]], counts: dict[str, int]) -> str:
    lines = [
        "## Safeguarding flag on audit notes (`scripts/benchmark_safeguarding.py`)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d} on {platform.machine()}, 2 cores, Python "
        f"{platform.python_version()}, with the default model and phrase list in this "
        "repository. Audit notes were hand-written by writers who saw only the labelling "
        "rules (`corpora/safeguarding-audit/README.md`); none is in the corpus. Only "
        "audit-6 is a test: audit-1 to audit-5 have been used to improve the flag (below).",
        "",
        "| set | what it has been used for | notes | flag | recall | precision | flagged |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    for name, by_flag in results.items():
        for flag, s in by_flag.items():
            lines.append(
                f"| `{name}` | {SETS.get(name, '')} | {counts[name]} | {flag} | "
                f"{s['recall']:.3f} ({s['caught']}/{s['positives']}) | {s['precision']:.3f} | "
                f"{s['flagged']:.1%} |"
            )
    lines += [
        "",
        "History, so the figures above can be read honestly:",
        "",
        "- `audit-1.jsonl`, first run (blind, before any change): shipped flag recall 0.671 "
        "(47/70) at precision 0.758; phrase list alone 0.400; classifier alone 0.543. Nested "
        "cross-validation on the corpus says 0.987: the corpus says risk in fewer ways than "
        "people do.",
        "- Phrase list v3 was written from audit-1's misses. On `audit-2.jsonl` (blind) it "
        "caught 19 of 65 against v2's 18: new phrases fit the notes they came from and "
        "generalise little. With v3 and the old classifier the shipped flag caught 42/65 "
        "(0.646) at precision 0.689.",
        "- The classifier then learned from audit-1 as well (`TagModel.fit(..., "
        "safeguarding_extra=...)`), its threshold still set on the corpus notes alone so "
        "that everyday notes are not flagged more often. Chosen by 5-fold cross-validation "
        "over audit-1 (classifier alone on held-out audit notes: 38/70 without them, 48/70 "
        "with them, corpus flag rate unchanged; 62/70 when their scores also set the "
        "threshold, at twice the corpus flag rate). audit-2 was scored for both ways once "
        "(threshold on all notes: 63/65 at 77% of notes flagged; on the corpus alone: the "
        "row above) and is not used again to choose anything.",
        "- Phrase list v4 added the verb's other forms ('she self harms', 'self-harmed last "
        "night', 'keeps SH'ing'), 'I'd rather not be here' and hard food restriction ('500 "
        "cals a day', 'one meal every few days'), from the misses of a later blind audit of "
        "`insight classify` on new hand-written notes (not kept here); audit-2 was not read "
        "to write them. No corpus note's flag changed; in each audit set it flags one more note, "
        "about a soap character who self-harms (as 'self-harming' already would), and catches "
        "no more.",
        "- Phrase list v5 added 'rather die' ('I would rather die than go back to that ward', "
        "missed in a blind user audit of the whole tool); audit-2 was not read to write it. "
        "It flags two more corpus notes, neither a concern ('people would rather die than be "
        "seen going into the mental health place'), and one more audit-2 note, a joke about "
        "hostel food; it catches no more in either audit set.",
        "- Phrase list v6 added a listener giving the Samaritans' or a crisis line's number "
        "('Low mood ... Gave him the number for the Samaritans', missed in a blind user audit "
        "of a charity's own-codebook workspace); audit-2 was not read to write it. No audit "
        "note's flag changed (the figures above are as with v5). Against the corpus it "
        "matches 12 notes: 7 labelled safeguarding, 5 not (a crisis line rung in 2019, a "
        "jury handed the Samaritans' number, three about a death some time ago).",
        "- `audit-3.jsonl` was written on 2026-11-28 by a third writer who read only the "
        "rule and the corpus guide. Its first run (blind; classifier trained on the corpus "
        "and audit-1): shipped flag 0.785 (51/65) at precision 0.708, phrase list alone "
        "0.215 (14/65), classifier alone 0.754 (49/65). One change was then tried, with its "
        "rule written before the run: the classifier also learns from audit-2 (recipe 12), "
        "shipped if audit-3's shipped flag catches at least 2 more notes and nested "
        "cross-validation on the corpus keeps recall >= 0.98 with at most 2 points more "
        "notes flagged. It caught 53/65 (0.815) at precision 0.707, classifier alone 50/65; "
        "cross-validation 0.993 (712/717) with 17.5% of notes flagged (18.3% before): "
        "shipped. audit-2's rows above are no longer a test from then on. Nothing else was "
        "chosen on audit-3; its misses have not been read.",
        "- `audit-4.jsonl` was written on 2026-11-29 by a fourth writer who read only the "
        "corpus guide and the rule. Its first run (blind; classifier trained on the corpus, "
        "audit-1 and audit-2): shipped flag 0.877 (57/65) at precision 0.731, phrase list "
        "alone 0.277 (18/65), classifier alone 0.877 (57/65). The same kind of change was "
        "then tried under the same rule, written before the run: the classifier also learns "
        "from audit-3 (recipe 14). It caught 60/65 (0.923) at precision 0.723, classifier "
        "alone 60/65; cross-validation 0.993 (712/717) with 17.8% of notes flagged (17.5% "
        "before): shipped. audit-3's rows above are no longer a test from then on (it is "
        "caught whole: it is trained on). Nothing else was chosen on audit-4; its misses "
        "have not been read. Learning from each new set has caught 2-3 more notes of the next "
        "blind one: more such sets, each tested blind before it is learned from, are the "
        "surest way found to raise recall.",
        "- Phrase list v7 added 'I might not be here' and 'may not be around by then' (not "
        "'here on Tuesday'), missed in a blind user audit of the whole tool on 2026-11-29 "
        "('Two years to be seen, I might not be here.'); audit-4 was not read to write it. "
        "No corpus note matches it, and no audit note's flag changed.",
        "- Phrase list v8 added the noun where people say it ('suicide thoughts again', "
        "'suicide ideas', suicide 'crossed her mind', 'thinking of killing himself', "
        "'contemplating suicide'; not after 'no' or 'denies'), missed by both the list and "
        "the classifier in a blind user audit of the golden thread on 2026-11-29 ('I have "
        "been having suicide thoughts again'); no audit set was read to write it. No corpus, "
        "audit or short note's flag changed.",
        "- Phrase list v9 reads a list's or a form's number before a colon as no child's "
        "age ('Conversation 2: Older man', 'Person 2: older man' raised child-at-risk in "
        "a blind user audit of `insight ingest` on 2026-11-29; '15:' is seldom an age); "
        "no audit set was read to write it. No corpus, audit or short note's flag "
        "changed.",
        "- `audit-5.jsonl` was written on 2026-11-29 by a fifth writer who read only the "
        "corpus guide and the rule, told to say risk as people do rather than in stock "
        "words. Its first run (blind; list v7, classifier trained on the corpus and audit-1 "
        "to audit-3, recipe 14): shipped flag 0.908 (59/65) at precision 0.686, phrase list "
        "alone 0.231 (15/65), classifier alone 0.908 (59/65). The same change was then tried "
        "under the same rule, written down before the run: the classifier also learns from "
        "audit-4 (recipe 15). It caught 63/65 (0.969) at precision 0.716, classifier alone "
        "63/65; cross-validation 0.994 (713/717) with 18.4% of notes flagged (17.8% before): "
        "shipped. audit-4's rows above are no longer a test from then on. Nothing else was "
        "chosen on audit-5; its misses have not been read.",
        "- `audit-6.jsonl` was written on 2026-11-29 by a sixth writer who read only the "
        "corpus guide and the rule, told to write as listeners do in a hurry (phone calls, "
        "home visits, carers' and faith groups, older people; abbreviations, dictation "
        "slips, what a third person said). Its first run (blind; list v7, classifier trained "
        "on the corpus and audit-1 to audit-4, recipe 16): shipped flag 0.938 (61/65) at "
        "precision 0.649, phrase list alone 0.292 (19/65), classifier alone 0.938 (61/65). "
        "The same change was then tried under the same rule, written down before the run: "
        "the classifier also learns from audit-5 (recipe 17). It caught 64/65 (0.985) at "
        "precision 0.640, classifier alone 64/65; cross-validation 0.996 (714/717) with "
        "19.4% of notes flagged (18.4% before): shipped. audit-5's rows above are no longer "
        "a test from then on. Nothing else was chosen on audit-6; its misses have not been "
        "read.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list misses and false alarms")
    args = parser.parse_args()
    results, counts = {}, {}
    for name in SETS:
        path = AUDIT_DIR / name
        if not path.is_file():
            print(f"skipped {name}: not found")
            continue
        rows = read_set(path)
        print(f"{name} ({len(rows)} notes)")
        results[name] = evaluate_set(rows, args.misses)
        counts[name] = len(rows)
    table = render(results, counts)
    print(table)
    if args.write_docs:
        write_section("safeguarding-audit", table)


if __name__ == "__main__":
    main()
