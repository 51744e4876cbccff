"""The bureau's local time zone (Asia/Shanghai), in which staff and applicants read every date
and time the product shows or prints; the database stores UTC."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

try:
    from zoneinfo import ZoneInfo

    LOCAL_TZ = ZoneInfo("Asia/Shanghai")
except Exception:  # noqa: BLE001 - no tz database: China has no DST
    LOCAL_TZ = timezone(timedelta(hours=8))


def to_local(iso: str | None) -> datetime | None:
    """A stored timestamp (ISO 8601; one without an offset is UTC, as `db.now()` writes them) in
    local time; None for an empty or unreadable one (callers show what is stored instead)."""
    if not iso:
        return None
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(LOCAL_TZ)
