"""Times as people in England read them.

The database keeps naive UTC times, one clock whatever machine or server writes them; a
lead reading when a concern was flagged reads UK time, GMT in winter and BST in summer,
with the zone named so no one has to guess. The day "today" is the UK's day too: at
00:30 BST on 1 June it is June in England, while UTC still says 31 May.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def uk_time(moment: datetime | None, seconds: bool = False) -> str:
    """A stored time (naive UTC, or aware) as UK time with its zone: "2026-07-01 10:15
    BST"; "" for none."""
    if moment is None:
        return ""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UK).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else "") + " %Z")


def uk_day(moment: datetime) -> date:
    """The day in England a stored time (naive UTC, or aware) falls on."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UK).date()


def uk_today() -> date:
    """Today's date in England, whatever the machine's own time zone."""
    return datetime.now(UK).date()
