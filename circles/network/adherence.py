"""Commitment adherence for many members at once, in one query: what the worker's time rules read.

`health.load_adherence` answers for one member (the network page); this answers the same for a chunk
of members, each counted in their own time zone from their own today, through the same pure
`logic.adherence`.
"""

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from circles.lib.time import start_of_local_day, user_zone
from circles.network import logic
from circles.network.models import Cadence, Commitment, Interaction, TieStatus


def lookback_days(commitment: Commitment) -> int:
    """How far back a commitment's contacts can matter: the window plus its longest open period."""
    if commitment.cadence == Cadence.EVERY_N_DAYS and commitment.interval_days:
        return logic.ADHERENCE_WINDOW_DAYS + commitment.interval_days
    return logic.ADHERENCE_WINDOW_DAYS + 7


def load_adherence_many(
    members: Iterable, commitments: Iterable[Commitment], now: dt.datetime | None = None
) -> dict[int, logic.Adherence]:
    """Adherence of each commitment whose tie is active, by commitment id, in one query (none without any).

    `members` are the owners of `commitments` (their time zones decide what "today" is); each
    commitment's tie must be loaded (`select_related("tie")`). A commitment to a paused or ended tie
    is on hold and left out, as on the network page.
    """
    now = now or timezone.now()
    by_id = {member.pk: member for member in members}
    active = [c for c in commitments if c.tie.status == TieStatus.ACTIVE]
    if not active:
        return {}
    zones = {member_id: user_zone(by_id[member_id]) for member_id in {c.member_id for c in active}}
    today = {member_id: now.astimezone(zone).date() for member_id, zone in zones.items()}
    lookback: dict[int, int] = {}
    for commitment in active:
        lookback[commitment.member_id] = max(lookback.get(commitment.member_id, 0), lookback_days(commitment))
    # Each member's own start (the start of their local day, that many days back), as for one member.
    since = {
        member_id: start_of_local_day(today[member_id] - dt.timedelta(days=days), zones[member_id])
        for member_id, days in lookback.items()
    }
    rows = Interaction.objects.filter(
        member_id__in=since,
        tie_id__in={c.tie_id for c in active},
        occurred_at__gte=min(since.values()),
    ).values_list("member_id", "tie_id", "occurred_at")
    dates: dict[tuple[int, int], list[dt.date]] = {}
    for member_id, tie_id, moment in rows:
        if moment >= since[member_id]:
            dates.setdefault((member_id, tie_id), []).append(moment.astimezone(zones[member_id]).date())
    return {
        c.pk: logic.adherence(c.schedule, dates.get((c.member_id, c.tie_id), []), today[c.member_id])
        for c in active
    }
