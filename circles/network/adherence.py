"""Commitment adherence for many members at once, in one query: what the worker's time rules read.

`health.load_adherence` answers for one member (the network page); this answers the same for a chunk
of members, each counted in their own time zone from their own today, through the same pure
`logic.adherence`.
"""

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable

from django.db.models import BigIntegerField, Func
from django.utils import timezone

from circles.lib.time import start_of_local_day, user_zone
from circles.network import logic
from circles.network.models import Cadence, Commitment, Interaction, TieStatus


class EpochSeconds(Func):
    """Whole seconds since 1970 (UTC) of a moment, rounded down.

    A time-zone-aware datetime costs about ten times as much to read as a plain integer, and a pass
    of the time rules reads tens of contacts per member.
    """

    output_field = BigIntegerField()
    template = "FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint"

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps UTC times as text; strftime('%s') drops the fraction, which rounds down.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)",
            **extra_context,
        )


def lookback_days(commitment: Commitment) -> int:
    """How far back a commitment's contacts can matter: the window plus its longest open period."""
    if commitment.cadence == Cadence.EVERY_N_DAYS and commitment.interval_days:
        return logic.ADHERENCE_WINDOW_DAYS + commitment.interval_days
    return logic.ADHERENCE_WINDOW_DAYS + 7


class _LocalDays:
    """Turns seconds since 1970 into one member's local dates, from `first` on, by their midnights."""

    def __init__(self, first: dt.date, last: dt.date, zone: dt.tzinfo) -> None:
        self.first, self.zone = first, zone
        count = (last - first).days + 2  # through the midnight that ends `last`
        days = (first + dt.timedelta(days=k) for k in range(count))
        self.midnights = [int(start_of_local_day(day, zone).timestamp()) for day in days]

    def date(self, seconds: int) -> dt.date | None:
        """The local date, or None before `first`."""
        if seconds >= self.midnights[-1]:  # after `last`: rare (a contact logged ahead), so the long way
            return dt.datetime.fromtimestamp(seconds, self.zone).date()
        index = bisect_right(self.midnights, seconds) - 1
        return self.first + dt.timedelta(days=index) if index >= 0 else None


def load_adherence_many(
    members: Iterable, commitments: Iterable[Commitment], now: dt.datetime | None = None
) -> dict[int, logic.Adherence]:
    """Adherence of each commitment whose tie is active, by commitment id, in one query (none without any).

    `members` are the owners of `commitments` (their time zones decide what "today" is); each
    commitment needs `tie.status` loaded. A commitment to a paused or ended tie is on hold and left
    out, as on the network page.
    """
    now = now or timezone.now()
    by_id = {member.pk: member for member in members}
    active = [c for c in commitments if c.tie.status == TieStatus.ACTIVE]
    if not active:
        return {}
    lookback: dict[int, int] = {}
    for commitment in active:
        lookback[commitment.member_id] = max(lookback.get(commitment.member_id, 0), lookback_days(commitment))
    # Each member's own first day (that many days before their today), as for one member. Members in
    # the same time zone with the same look-back share their midnights.
    local_days: dict[int, _LocalDays] = {}
    shared: dict[tuple, _LocalDays] = {}
    today = {}
    for member_id, days in lookback.items():
        zone = user_zone(by_id[member_id])
        today[member_id] = now.astimezone(zone).date()
        key = (zone.key, today[member_id], days)
        if key not in shared:
            shared[key] = _LocalDays(today[member_id] - dt.timedelta(days=days), today[member_id], zone)
        local_days[member_id] = shared[key]
    earliest = min(days.midnights[0] for days in local_days.values())
    wanted = {(c.member_id, c.tie_id) for c in active}
    rows = (
        Interaction.objects.filter(
            tie_id__in={c.tie_id for c in active},
            occurred_at__gte=dt.datetime.fromtimestamp(earliest, dt.UTC),
        )
        .annotate(seconds=EpochSeconds("occurred_at"))
        .values_list("member_id", "tie_id", "seconds")
        .order_by()
    )
    dates: dict[tuple[int, int], list[dt.date]] = {}
    for member_id, tie_id, seconds in rows:
        if (member_id, tie_id) in wanted and (day := local_days[member_id].date(seconds)) is not None:
            dates.setdefault((member_id, tie_id), []).append(day)
    return {
        c.pk: logic.adherence(c.schedule, dates.get((c.member_id, c.tie_id), []), today[c.member_id])
        for c in active
    }
