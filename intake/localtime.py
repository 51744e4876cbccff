"""The bureau's local time zone (Asia/Shanghai), in which staff and applicants read every date
and time the product shows or prints; the database stores UTC."""
from __future__ import annotations

from datetime import timedelta, timezone

try:
    from zoneinfo import ZoneInfo

    LOCAL_TZ = ZoneInfo("Asia/Shanghai")
except Exception:  # noqa: BLE001 - no tz database: China has no DST
    LOCAL_TZ = timezone(timedelta(hours=8))
