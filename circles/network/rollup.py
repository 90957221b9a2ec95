"""The contact rollup: contacts per tie per local week (WeeklyContact) and each tie's latest contact
(Tie.last_contact_at), kept exact as contacts are logged, changed, moved between ties or removed.

Pages that chart contact per week or show the last contact read these few rows instead of counting
every contact ever logged, so they cost the same after ten years as after ten days.

- A contact saved or deleted one at a time (Interaction.save / delete) locks the ties it touches, then
  recounts the one or two weeks it left and entered and sets the ties' latest contact, in the same
  transaction as the change. The lock makes two changes to one tie take turns, so each recount sees
  the other's contact (on PostgreSQL; SQLite lets one writer in at a time anyway).
- Contacts written in bulk through Interaction.objects (bulk_create, update, delete) recount the ties
  they touch. Deleting a tie or an account deletes its rows with it.
- Weeks are the member's own weeks, so they depend on the member's time zone. Each tie remembers the
  zone it was counted in (Tie.contacts_zone). When a member changes time zone, their ties are counted
  again in the new one: at the next contact logged with a tie, and for all of them the next time a
  page reads the rollup (or at once with `manage.py rebuild_contacts --member <id>`).
"""

import datetime as dt
import types
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.models import OuterRef, Subquery

from circles.lib.time import start_of_local_day, user_zone
from circles.network.models import Interaction, Tie, WeeklyContact

WEEK = dt.timedelta(weeks=1)
TIES_PER_STATEMENT = 500  # well under SQLite's limit on the values in one statement


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """The zone a member's `timezone` names, read exactly as circles.lib.time.user_zone reads it."""
    return user_zone(types.SimpleNamespace(timezone=name))


def week_of(moment: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The local Monday of the week a moment falls in.

    Weeks begin at start_of_local_day(monday), as the pages' week boundaries do, also on the rare
    Monday whose midnight a clock change skips or repeats.
    """
    day = moment.astimezone(zone).date()
    monday = day - dt.timedelta(days=day.weekday())
    if moment < start_of_local_day(monday, zone):
        return monday - WEEK
    if moment >= start_of_local_day(monday + WEEK, zone):
        return monday + WEEK
    return monday


def _latest_contact() -> Subquery:
    """The time of a tie's latest contact, for an UPDATE of ties (served by the (tie, occurred_at) index)."""
    return Subquery(
        Interaction.objects.filter(tie_id=OuterRef("pk")).order_by("-occurred_at").values("occurred_at")[:1]
    )


def _lock(tie_ids: Iterable[int]):
    """Locks the ties until the transaction ends.

    Returns (id, member, zone counted in, latest contact, member's zone) for each.
    """
    return list(
        Tie.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk__in=sorted(tie_id for tie_id in tie_ids if tie_id is not None))
        .order_by("pk")
        .values_list("pk", "member_id", "contacts_zone", "last_contact_at", "member__timezone")
    )


def _recount_week(member_id: int, tie_id: int, monday: dt.date, zone: dt.tzinfo) -> None:
    start, end = start_of_local_day(monday, zone), start_of_local_day(monday + WEEK, zone)
    count = Interaction.objects.filter(tie_id=tie_id, occurred_at__gte=start, occurred_at__lt=end).count()
    if count:
        WeeklyContact.objects.bulk_create(
            [WeeklyContact(member_id=member_id, tie_id=tie_id, week_start=monday, count=count)],
            update_conflicts=True,
            unique_fields=["tie", "week_start"],
            update_fields=["count"],
        )
    else:
        WeeklyContact.objects.filter(tie_id=tie_id, week_start=monday).delete()


@contextmanager
def contact_change(interaction: Interaction, *, deleting: bool = False) -> Iterator[None]:
    """Around saving or deleting one contact, inside its transaction: keeps the rollup exact.

    What was stored before is read from the database, not from the object, which may be out of date,
    and locked, so that two changes to one contact take turns too.
    """
    before = None
    if not interaction._state.adding and interaction.pk is not None:
        stored = Interaction.objects.select_for_update(of=("self",)).filter(pk=interaction.pk)
        before = stored.values_list("tie_id", "occurred_at").first()
    after = None if deleting else (interaction.tie_id, interaction.occurred_at)
    if before == after:  # a note or a kind changed: nothing counted moves
        yield
        return
    places = [place for place in (before, after) if place is not None]
    locked = _lock({tie_id for tie_id, _moment in places})
    yield
    stale, latest_changed = set(), set()
    for tie_id, member_id, counted_in, last, member_zone in locked:
        zone = zone_named(member_zone)
        if counted_in != zone.key:
            stale.add(tie_id)  # counted in another zone: count the whole tie again below
            continue
        for place_tie, moment in places:
            if place_tie == tie_id:
                _recount_week(member_id, tie_id, week_of(moment, zone), zone)
        if before and before[0] == tie_id and before[1] == last:
            latest_changed.add(tie_id)  # its latest contact moved or went: find the new one
        elif after and after[0] == tie_id and (last is None or after[1] > last):
            Tie.objects.filter(pk=tie_id).update(last_contact_at=after[1])
    if latest_changed:
        Tie.objects.filter(pk__in=latest_changed).update(last_contact_at=_latest_contact())
    if stale:
        recount_ties(stale)


def recount_ties(tie_ids: Iterable[int]) -> None:
    """Counts the ties' contacts again from the log: their weeks, their latest contact, their zone."""
    ids = sorted(set(tie_ids) - {None})
    with transaction.atomic(savepoint=False):
        for first in range(0, len(ids), TIES_PER_STATEMENT):
            _recount(ids[first : first + TIES_PER_STATEMENT])


def _recount(tie_ids: list[int]) -> None:
    locked = _lock(tie_ids)
    zones = {tie_id: zone_named(member_zone) for tie_id, _m, _c, _l, member_zone in locked}
    members = {tie_id: member_id for tie_id, member_id, _c, _l, _z in locked}
    WeeklyContact.objects.filter(tie_id__in=tie_ids).delete()
    counts: Counter[tuple[int, dt.date]] = Counter()
    contacts = Interaction.objects.filter(tie_id__in=tie_ids).values_list("tie_id", "occurred_at")
    for tie_id, moment in contacts.iterator(chunk_size=10_000):
        counts[tie_id, week_of(moment, zones[tie_id])] += 1
    WeeklyContact.objects.bulk_create(
        WeeklyContact(member_id=members[tie_id], tie_id=tie_id, week_start=monday, count=count)
        for (tie_id, monday), count in counts.items()
    )
    by_zone = defaultdict(list)
    for tie_id, zone in zones.items():
        by_zone[zone.key].append(tie_id)
    for key, ids in by_zone.items():
        Tie.objects.filter(pk__in=ids).update(last_contact_at=_latest_contact(), contacts_zone=key)


def rebuild_member(member) -> int:
    """Counts all of a member's ties again; returns how many ties were counted."""
    ties = list(Tie.objects.filter(member=member).values_list("pk", flat=True))
    recount_ties(ties)
    return len(ties)


def stale_ties(ties: Iterable[Tie], zone: zoneinfo.ZoneInfo) -> list[int]:
    """The ties counted in another zone than the member's (or not counted yet)."""
    return [tie.pk for tie in ties if tie.contacts_zone != zone.key]


def ensure_counted(member, zone: zoneinfo.ZoneInfo) -> None:
    """For pages that read WeeklyContact without loading the ties: one query, and a recount if stale."""
    stale = Tie.objects.filter(member=member).exclude(contacts_zone=zone.key).values_list("pk", flat=True)
    ties = list(stale)
    if ties:
        recount_ties(ties)
