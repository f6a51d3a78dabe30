"""Kill `insight ingest` mid-file (SIGKILL), then re-run: nothing half-stored, nothing twice.

Each batch of `BATCH_SIZE` notes is one transaction (notes, their tags and their audit
entries together), so after a kill the database holds whole batches only, and a re-run
stores exactly the rest. Runs on SQLite and, when CI provides one, on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text

from insight.intake import BATCH_SIZE, stable_note_id
from insight.store import Store

ROWS = 30_000
REPEAT_EVERY = 250  # every 250th row repeats the row before it: a duplicate within the file
CATEGORIES = ["access-waiting", "community-support", "daily-living", "carers-family"]


def write_notes(path: Path) -> tuple[list[str], dict[str, list[str]], int]:
    """The file, the distinct note ids in file order, their categories, the duplicates."""
    ids: list[str] = []
    categories: dict[str, list[str]] = {}
    duplicates = 0
    with path.open("w", encoding="utf-8") as out:
        previous = None
        for i in range(ROWS):
            if i % REPEAT_EVERY == REPEAT_EVERY - 1 and previous is not None:
                row = previous
                duplicates += 1
            else:
                row = {
                    "text": f"Note {i}: waited {i % 40} weeks, the group on day {i % 7} helps.",
                    "heard_on": date(2025, 1 + i % 12, 1 + i % 28).isoformat(),
                    "listener": f"L{i % 17}",
                    "categories": CATEGORIES[i % 3 : i % 3 + 1 + i % 2],
                }
                note_id = stable_note_id(
                    row["text"], date.fromisoformat(row["heard_on"]), row["listener"]
                )
                ids.append(note_id)
                categories[note_id] = row["categories"]
            out.write(json.dumps(row) + "\n")
            previous = row
    assert len(ids) + duplicates == ROWS
    return ids, categories, duplicates


def start_ingest(workspace: Path, path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "INSIGHT_USER": "crash-tester"}
    return subprocess.Popen(
        [sys.executable, "-m", "insight", "ingest", "-w", str(workspace), "--no-screen",
         str(path)],
        cwd=workspace, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def consistent_state(db_url: str, categories: dict[str, list[str]]) -> list[str]:
    """Open the store after a crash and check it whole; returns the stored note ids."""
    with Store.open(db_url, create=False) as store:
        stored = [n["id"] for batch in store.iter_notes() for n in batch]
        assert store.count_notes(include_erased=True) == len(stored)
        tags: dict[str, list[str]] = {}
        for tag in store.tags_for():
            assert tag["source"] == "person"
            tags.setdefault(tag["note_id"], []).append(tag["category"])
        assert set(tags) <= set(stored)  # no tag without its note
        for note_id in stored:  # every note has exactly its tags
            assert sorted(tags.get(note_id, [])) == sorted(categories[note_id]), note_id
        with store.engine.connect() as conn:
            audited = dict(conn.execute(text(
                "SELECT record_type, count(*) FROM audit WHERE operation = 'create' "
                "GROUP BY record_type"
            )).all())
            distinct_texts = conn.execute(
                text("SELECT count(DISTINCT content_hash) FROM notes")
            ).scalar_one()
    assert audited.get("note", 0) == len(stored)
    assert audited.get("tag", 0) == sum(len(v) for v in tags.values())
    assert distinct_texts == len(stored) == len(set(stored))
    return stored


def count_notes(engine) -> int:
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM notes")).scalar_one())
    except Exception:  # noqa: BLE001 - the writer may hold a lock for a moment
        return 0


def test_kill_mid_ingest_then_rerun(db_url: str, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    created = subprocess.run(
        [sys.executable, "-m", "insight", "init", str(workspace), "--db", db_url],
        capture_output=True, text=True, timeout=60,
    )
    assert created.returncode == 0, created.stderr
    path = tmp_path / "many.jsonl"
    ids, categories, duplicates = write_notes(path)
    distinct = len(ids)

    # 1. Start, wait until some batches are committed, SIGKILL mid-file.
    engine = create_engine(db_url)
    try:
        process = start_ingest(workspace, path)
        seen = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            seen = count_notes(engine)
            if seen >= 2 * BATCH_SIZE:
                break
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        engine.dispose()
    assert process.returncode == -signal.SIGKILL, "ingest finished before it could be killed"
    assert seen >= 2 * BATCH_SIZE

    # 2. The database opens and is consistent: whole batches, each note with its tags and
    #    audit entries, and exactly the first notes of the file.
    stored = consistent_state(db_url, categories)
    assert 0 < len(stored) < distinct
    assert len(stored) % BATCH_SIZE == 0, f"{len(stored)} notes: a partial batch"
    assert set(stored) == set(ids[: len(stored)])

    # 3. Re-run to completion: the rest is stored once, the first part is already there.
    rerun = start_ingest(workspace, path)
    out, err = rerun.communicate(timeout=120)
    assert "Traceback" not in err
    # the in-file duplicates are rejected, but their words are stored: nothing to fix
    assert rerun.returncode == 0, err
    assert f"{path}: accepted {distinct - len(stored)}, rejected {duplicates}, " \
           f"already present {len(stored)}" in out
    assert f"rejected rows: {duplicates} already stored" in out
    final = consistent_state(db_url, categories)
    assert sorted(final) == sorted(ids)
    assert len(final) == distinct == ROWS - duplicates
