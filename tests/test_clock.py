"""UK time for people, UTC in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from insight.clock import uk_time, uk_today


def test_stored_utc_times_read_as_uk_time_with_the_zone_named() -> None:
    # winter: GMT is UTC; summer: BST is an hour ahead, and the day can change with it
    assert uk_time(datetime(2026, 1, 15, 9, 5, 30)) == "2026-01-15 09:05 GMT"
    assert uk_time(datetime(2026, 7, 1, 23, 30)) == "2026-07-02 00:30 BST"
    assert uk_time(datetime(2026, 7, 1, 23, 30, 12), seconds=True) == "2026-07-02 00:30:12 BST"
    # the clocks go forward at 01:00 UTC on the last Sunday of March
    assert uk_time(datetime(2026, 3, 29, 0, 59)) == "2026-03-29 00:59 GMT"
    assert uk_time(datetime(2026, 3, 29, 1, 0)) == "2026-03-29 02:00 BST"
    # an aware time from elsewhere is converted, not relabelled
    new_york = timezone(timedelta(hours=-5))
    assert uk_time(datetime(2026, 12, 1, 7, 0, tzinfo=new_york)) == "2026-12-01 12:00 GMT"
    assert uk_time(None) == ""


def test_today_is_englands_day() -> None:
    now = datetime.now(UTC)
    # within an hour of UTC's day either way, whatever the machine's own zone says
    assert uk_today() in {now.date(), (now + timedelta(hours=1)).date()}
