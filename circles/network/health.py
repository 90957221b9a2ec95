"""Loads one member's network in a fixed number of queries and hands it to the pure health functions."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q

from circles.lib.time import local_today, start_of_local_day, user_zone
from circles.network import logic
from circles.network.models import Cadence, Commitment, Interaction, Tie, TieStatus

CHART_WEEKS = 12


@dataclass(frozen=True)
class NetworkView:
    ties: list[Tie]  # every tie, ended ones included
    facts: list[logic.TieFacts]  # same order as ties
    commitments: list[Commitment]
    health: logic.NetworkHealth
    today: dt.date


def _lookback_days(commitment: Commitment) -> int:
    """How far back a commitment's contacts can matter: the window plus its longest open period."""
    if commitment.cadence == Cadence.EVERY_N_DAYS and commitment.interval_days:
        return logic.ADHERENCE_WINDOW_DAYS + commitment.interval_days
    return logic.ADHERENCE_WINDOW_DAYS + 7


def load_adherence(member, commitments: list[Commitment]) -> dict[int, logic.Adherence]:
    """Adherence of each commitment whose tie is active, in one query (none without commitments).

    A commitment to a paused or ended tie is on hold: it is not counted, so it is left out.
    """
    zone = user_zone(member)
    today = local_today(member)
    active = [c for c in commitments if c.tie.status == TieStatus.ACTIVE]
    if not active:
        return {}
    lookback = max(_lookback_days(c) for c in active)
    rows = Interaction.objects.filter(
        member=member,
        tie_id__in={c.tie_id for c in active},
        occurred_at__gte=start_of_local_day(today - dt.timedelta(days=lookback), zone),
    ).values_list("tie_id", "occurred_at")
    dates_by_tie: dict[int, list[dt.date]] = {}
    for tie_id, moment in rows:
        dates_by_tie.setdefault(tie_id, []).append(moment.astimezone(zone).date())
    return {c.pk: logic.adherence(c.schedule, dates_by_tie.get(c.tie_id, []), today) for c in active}


def weekly_contact(member, mondays: list[dt.date], zone) -> list[logic.WeekOfContact]:
    """Contacts per pillar in each week starting on the given local Mondays: one query, counted in SQL."""
    week_starts = [start_of_local_day(monday, zone) for monday in mondays]
    week_counts = {}
    for i, start in enumerate(week_starts):
        within = Q(occurred_at__gte=start)
        if i + 1 < len(week_starts):
            within &= Q(occurred_at__lt=week_starts[i + 1])
        week_counts[f"week{i}"] = Count("id", filter=within)
    weekly_rows = (
        Interaction.objects.filter(member=member, occurred_at__gte=week_starts[0])
        .values("tie__pillar")
        .annotate(**week_counts)
    )
    weeks = [logic.WeekOfContact(monday, {pillar: 0 for pillar in logic.PILLARS}) for monday in mondays]
    for pillar_row in weekly_rows:
        pillar = pillar_row["tie__pillar"]
        for i, week in enumerate(weeks):
            week.counts[pillar] = week.counts.get(pillar, 0) + pillar_row[f"week{i}"]  # type: ignore[literal-required]
    return weeks


def load_network(member) -> NetworkView:
    """Everything the network page and the health API show, in five queries whatever the size."""
    zone = user_zone(member)
    today = local_today(member)
    window_start = start_of_local_day(today - dt.timedelta(days=logic.ADHERENCE_WINDOW_DAYS - 1), zone)
    this_monday = today - dt.timedelta(days=today.weekday())
    mondays = [this_monday - dt.timedelta(weeks=CHART_WEEKS - 1 - i) for i in range(CHART_WEEKS)]

    ties = list(Tie.objects.filter(member=member))
    commitments = list(Commitment.objects.filter(member=member).select_related("tie"))
    # Last contact and the last 28 days' count, per tie.
    summary = {
        row["tie_id"]: row
        for row in Interaction.objects.filter(member=member)
        .values("tie_id")
        .annotate(last=Max("occurred_at"), recent=Count("id", filter=Q(occurred_at__gte=window_start)))
    }
    weeks = weekly_contact(member, mondays, zone)
    facts = []
    for tie in ties:
        tie_summary = summary.get(tie.pk)
        last = tie_summary["last"].astimezone(zone).date() if tie_summary else None
        facts.append(
            tie.facts(last_contact=last, contacts_28_days=tie_summary["recent"] if tie_summary else 0)
        )
    adherence = load_adherence(member, commitments)
    commitment_facts = [
        logic.CommitmentFacts(id=commitment.pk, title=commitment.title, adherence=adherence[commitment.pk])
        for commitment in commitments
        if commitment.pk in adherence
    ]
    health = logic.network_health(facts, commitment_facts, weeks, today)
    return NetworkView(ties=ties, facts=facts, commitments=commitments, health=health, today=today)
