"""Time helpers: storage is UTC, days belong to the person's own timezone."""

import datetime as dt
import zoneinfo

from django.utils import timezone


def user_zone(user) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_today(user) -> dt.date:
    """Today's date where the person is."""
    return timezone.now().astimezone(user_zone(user)).date()


def start_of_local_day(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)
