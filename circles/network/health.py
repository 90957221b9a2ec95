"""Loads one member's network in a fixed number of queries and hands it to the pure health functions."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q

from circles.lib.time import local_today, start_of_local_day, user_zone
from circles.network import logic
from circles.network.models import Commitment, Interaction, Tie, TieStatus

CHART_WEEKS = 12


@dataclass(frozen=True)
class NetworkView:
    ties: list[Tie]  # every tie, ended ones included
    facts: list[logic.TieFacts]  # same order as ties
    commitments: list[Commitment]
    health: logic.NetworkHealth
    today: dt.date

    @property
    def current_ties(self) -> list[Tie]:
        return [tie for tie in self.ties if tie.status != TieStatus.ENDED]

    def facts_by_id(self) -> dict[int, logic.TieFacts]:
        return {fact.id: fact for fact in self.facts}


def load_network(member) -> NetworkView:
    """Everything the network page and the health API show, in four queries whatever the size."""
    zone = user_zone(member)
    today = local_today(member)
    window_start = start_of_local_day(today - dt.timedelta(days=logic.ADHERENCE_WINDOW_DAYS - 1), zone)
    chart_start = start_of_local_day(
        today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=CHART_WEEKS - 1), zone
    )

    ties = list(Tie.objects.filter(member=member))
    summary = {
        row["tie_id"]: row
        for row in Interaction.objects.filter(member=member)
        .values("tie_id")
        .annotate(last=Max("occurred_at"), recent=Count("id", filter=Q(occurred_at__gte=window_start)))
    }
    recent = list(
        Interaction.objects.filter(member=member, occurred_at__gte=chart_start).values_list(
            "tie_id", "occurred_at"
        )
    )
    commitments = list(Commitment.objects.filter(member=member).select_related("tie"))

    facts = []
    for tie in ties:
        row = summary.get(tie.pk)
        last = row["last"].astimezone(zone).date() if row else None
        facts.append(tie.facts(last_contact=last, contacts_28_days=row["recent"] if row else 0))

    pillar_of = {tie.pk: tie.pillar for tie in ties}
    contacts = [(moment.astimezone(zone).date(), pillar_of[tie_id]) for tie_id, moment in recent]
    dates_by_tie: dict[int, list[dt.date]] = {}
    for (tie_id, _moment), (day, _pillar) in zip(recent, contacts, strict=True):
        dates_by_tie.setdefault(tie_id, []).append(day)
    commitment_facts = [
        logic.CommitmentFacts(
            id=commitment.pk,
            title=commitment.title,
            tie_name=commitment.tie.display_name,
            adherence=logic.adherence(commitment.schedule, dates_by_tie.get(commitment.tie_id, []), today),
        )
        for commitment in commitments
    ]
    health = logic.network_health(facts, commitment_facts, contacts, today)
    return NetworkView(ties=ties, facts=facts, commitments=commitments, health=health, today=today)
