"""Loads one member's network in a fixed number of queries and hands it to the pure health functions."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Sum

from circles.lib.time import local_today, start_of_local_day, user_zone
from circles.network import logic, rollup
from circles.network.adherence import load_adherence_many
from circles.network.models import Commitment, Interaction, Tie, WeeklyContact

CHART_WEEKS = 12


@dataclass(frozen=True)
class NetworkView:
    ties: list[Tie]  # every tie, ended ones included
    facts: list[logic.TieFacts]  # same order as ties
    commitments: list[Commitment]
    health: logic.NetworkHealth
    today: dt.date


def load_adherence(member, commitments: list[Commitment]) -> dict[int, logic.Adherence]:
    """Adherence of each commitment whose tie is active, in one query (none without commitments).

    A commitment to a paused or ended tie is on hold: it is not counted, so it is left out. The same
    reading as the worker's time rules make for many members at once.
    """
    return load_adherence_many([member], commitments)


def weekly_contact(
    member, mondays: list[dt.date], zone, *, counted: bool = False
) -> list[logic.WeekOfContact]:
    """Contacts per pillar in each week starting on the given local Mondays, from the contact rollup.

    One query over at most one row per tie and week shown, however long the history; one more to check
    the rollup was counted in the member's zone, unless the caller has (`counted`). Contact in a week
    after the last Monday (a clock a little ahead) counts in the last week, as it always has.
    """
    if not counted:
        rollup.ensure_counted(member, zone)
    weeks = [logic.WeekOfContact(monday, {pillar: 0 for pillar in logic.PILLARS}) for monday in mondays]
    index = {monday: i for i, monday in enumerate(mondays)}
    rows = (
        WeeklyContact.objects.filter(member=member, week_start__gte=mondays[0])
        .values_list("tie__pillar", "week_start")
        .annotate(contacts=Sum("count"))
        .order_by()
    )
    for pillar, monday, contacts in rows:
        week = weeks[index.get(monday, len(weeks) - 1)]
        week.counts[pillar] = week.counts.get(pillar, 0) + contacts
    return weeks


def load_network(member, *, leave_out: frozenset[str] = frozenset()) -> NetworkView:
    """Everything the network page and the health API show, in five queries whatever the size.

    The latest contact per tie and the weeks come from the contact rollup (circles/network/rollup.py);
    the last 28 days' count per tie is counted from the log, to the day, over those 28 days only.
    `leave_out`: relationships whose ties (and their commitments) are not shown — for someone else's
    view of the map (circles/sharing/access.py).
    """
    zone = user_zone(member)
    today = local_today(member)
    window_start = start_of_local_day(today - dt.timedelta(days=logic.ADHERENCE_WINDOW_DAYS - 1), zone)
    this_monday = today - dt.timedelta(days=today.weekday())
    mondays = [this_monday - dt.timedelta(weeks=CHART_WEEKS - 1 - i) for i in range(CHART_WEEKS)]

    ties = list(Tie.objects.filter(member=member))
    if stale := rollup.stale_ties(ties, zone):  # a new time zone, or ties made in bulk: count them once
        rollup.recount_ties(stale)
        ties = list(Tie.objects.filter(member=member))
    commitments = list(Commitment.objects.filter(member=member).select_related("tie"))
    if leave_out:
        ties = [tie for tie in ties if tie.relationship not in leave_out]
        commitments = [c for c in commitments if c.tie.relationship not in leave_out]
    # The last 28 days' count per tie: bounded by 28 days of contact (the (member, occurred_at) index).
    recent = dict(
        Interaction.objects.filter(member=member, occurred_at__gte=window_start)
        .values_list("tie_id")
        .annotate(Count("id"))
        .order_by()
    )
    weeks = weekly_contact(member, mondays, zone, counted=True)
    facts = [
        tie.facts(
            last_contact=tie.last_contact_at.astimezone(zone).date() if tie.last_contact_at else None,
            contacts_28_days=recent.get(tie.pk, 0),
        )
        for tie in ties
    ]
    adherence = load_adherence(member, commitments)
    commitment_facts = [
        logic.CommitmentFacts(id=commitment.pk, title=commitment.title, adherence=adherence[commitment.pk])
        for commitment in commitments
        if commitment.pk in adherence
    ]
    health = logic.network_health(facts, commitment_facts, weeks, today)
    return NetworkView(ties=ties, facts=facts, commitments=commitments, health=health, today=today)
