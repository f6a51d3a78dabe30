"""Time the whole pipeline (ingest -> tag -> roll-up -> report) as the notes grow.

Why: a national programme holds hundreds of thousands of notes. Each stage must stay
linear in the number of notes, so this runs the same stages at several sizes in one
process and reports seconds, notes per second and the cost per note relative to the
smallest size (1.0 = linear; a ratio that grows with size means a stage scales badly).

Notes are made at run time from the shipped corpus (`corpora/notes/community-notes.jsonl`):
each is a corpus note with a listener, place, date and a sentence that makes its text
unique, so every note is stored and tagged as a new one. Nothing is written into the repo
except, with ``--write-docs``, the table in `docs/benchmarks.md`.

Run: ``PYTHONPATH=.:scripts python scripts/benchmark_pipeline.py [--sizes 1000 10000 100000]
[--db-url URL] [--write-docs]``. Without ``--db-url`` each size gets a new SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchdoc import write_section  # scripts/ is on sys.path when run as a script
from sqlalchemy import create_engine, text

from insight.classify.default import corpus_files, default_model
from insight.classify.safeguarding import phrase_screen
from insight.codebook import load_codebook
from insight.intake import ingest_file
from insight.report import build_report, write_report
from insight.rollup import category_rollup, note_frame
from insight.store import Store
from insight.tagging import tag_store, workers_for
from insight.thread import add_action, add_insight, add_priority

SETTINGS = ["cafe", "faith group", "carers group", "phone", "home visit"]
PLACES = [f"Ward {n}" for n in range(1, 41)]
LISTENERS = [f"listener-{n:03d}" for n in range(1, 121)]
STAGES = ["ingest", "tag", "rollup", "report"]


def corpus_texts() -> list[str]:
    corpus, _ = corpus_files()
    with corpus.open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


def write_notes(path: Path, n: int, texts: list[str], seed: int = 0) -> None:
    """`n` notes in a JSONL note file; about a third arrive labelled by the listener."""
    rng = random.Random(seed)
    start = date(2025, 1, 1)
    categories = load_codebook().ids
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            note: dict[str, Any] = {
                "id": f"bench-{i:07d}",
                "text": f"{rng.choice(texts)} Heard at session {i}.",
                "heard_on": (start + timedelta(days=rng.randrange(640))).isoformat(),
                "listener": rng.choice(LISTENERS),
                "setting": rng.choice(SETTINGS),
                "place": rng.choice(PLACES),
                "consent_quote": rng.random() < 0.5,
            }
            if rng.random() < 0.33:
                note["categories"] = rng.sample(categories, rng.choice([0, 1, 1, 2]))
            fh.write(json.dumps(note) + "\n")


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_database(url: str) -> None:
    """Empty a server database between sizes (only used with --db-url)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def run_size(n: int, texts: list[str], folder: Path, db_url: str | None) -> dict[str, Any]:
    """One size through every stage; returns seconds per stage."""
    notes_file = folder / f"notes-{n}.jsonl"
    write_notes(notes_file, n, texts)
    if db_url:
        reset_database(db_url)
        url = db_url
    else:
        url = f"sqlite:///{folder / f'insight-{n}.db'}"
    codebook = load_codebook()
    model = default_model()
    seconds: dict[str, float] = {}

    def timed(stage: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        result = fn()
        seconds[stage] = time.perf_counter() - t0
        return result

    with Store.open(url, actor="benchmark") as store:
        report = timed("ingest", lambda: ingest_file(
            store, notes_file, category_ids=codebook.ids,
            quarantine_dir=folder / "quarantine", screen=phrase_screen(),
        ))
        assert report.accepted == n, f"{report.accepted} of {n} notes stored"
        workers = workers_for(n)  # as `insight tag` chooses
        tagged = timed("tag", lambda: tag_store(
            store, model, n_process=workers, batch_size=10_000 if workers > 1 else 2000))
        assert tagged == n, f"{tagged} of {n} notes tagged"
        frame = timed("rollup", lambda: category_rollup(note_frame(store), codebook))
        assert len(frame) == len(codebook.ids)
        # a lead's thread over a sample of notes, then the commissioner report
        ids = [f"bench-{i:07d}" for i in range(0, n, max(1, n // 200))]
        insight_id = add_insight(store, "Waiting", categories=["access-waiting"], note_ids=ids)
        priority = add_priority(store, "No one waits alone", insight_ids=[insight_id])
        add_action(store, "Call everyone waiting", owner="ICB", status="agreed",
                   priority_ids=[priority])

        def report_stage() -> Path:
            data = build_report(store, codebook, audience="commissioner")
            [path] = write_report(data, folder / f"report-{n}.html")
            return path

        timed("report", report_stage)
    return {"n": n, "seconds": seconds, "peak_rss_mib": peak_rss_mib()}


def render(rows: list[dict[str, Any]], backend: str, command: str, words: float) -> str:
    base = rows[0]
    lines = [
        f"## Pipeline at scale, {backend} (`scripts/benchmark_pipeline.py`)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, database {backend}. Command: `{command}`.",
        "",
        "Each size is a new database holding generated notes (shipped corpus texts, each made "
        f"unique, a third labelled by the listener; {words:.0f} words a note on average). "
        "*ingest*: read, check, screen for "
        "safeguarding phrases and store the file; *tag*: the default model tags every note "
        "(evidence included; two processes from 20,000 notes, as `insight tag` does) and "
        "stores the tags; *rollup*: the lead's "
        "per-category roll-up by month; *report*: the commissioner report with one insight, "
        "priority and action. *per note vs N*: seconds per note divided by the same at the "
        f"smallest size ({base['n']:,} notes), so 1.0 means the stage grows linearly.",
        "",
        "| notes | stage | seconds | notes/s | per note vs "
        f"{base['n']:,} |",
        "|---:|---|---:|---:|---:|",
    ]
    for row in rows:
        for stage in STAGES:
            s = row["seconds"][stage]
            ratio = (s / row["n"]) / (base["seconds"][stage] / base["n"])
            lines.append(f"| {row['n']:,} | {stage} | {s:.2f} | {row['n'] / s:,.0f} | "
                         f"{ratio:.2f} |")
    lines += ["", "| notes | total seconds | peak memory of the process (MiB) |",
              "|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row['n']:,} | {sum(row['seconds'].values()):.1f} | "
                     f"{row['peak_rss_mib']:,.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--db-url", help="a server database to use (emptied for each size)")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    texts = corpus_texts()
    default_model()  # build or load once, outside the timings
    folder = Path(tempfile.mkdtemp(prefix="insight-pipeline-"))
    rows = []
    try:
        for n in sorted(args.sizes):
            row = run_size(n, texts, folder, args.db_url)
            rows.append(row)
            print(f"{n:>9,} notes: " + ", ".join(
                f"{stage} {row['seconds'][stage]:.2f} s" for stage in STAGES
            ) + f"; peak {row['peak_rss_mib']:,.0f} MiB", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    backend = "PostgreSQL" if args.db_url else "SQLite (file)"
    command = "python scripts/benchmark_pipeline.py --sizes " + " ".join(
        str(n) for n in sorted(args.sizes)) + (" --db-url …" if args.db_url else "")
    words = sum(len(t.split()) for t in texts) / len(texts)
    table = render(rows, backend, command, words)
    print(table)
    if args.write_docs:
        write_section("pipeline-postgres" if args.db_url else "pipeline", table)


if __name__ == "__main__":
    main()
