"""Small builders for network records in tests."""

import datetime as dt

from django.utils import timezone

from circles.network.actions import do_add_tie
from circles.network.models import Commitment, Interaction, Tie


def make_tie(member, name="Alex", relationship="friend", **values) -> Tie:
    return do_add_tie(Tie(display_name=name, relationship=relationship, **values), acting_user=member)


def make_interaction(member, tie, days_ago=0, kind="call", **values) -> Interaction:
    moment = timezone.now() - dt.timedelta(days=days_ago)
    return Interaction.objects.create(member=member, tie=tie, occurred_at=moment, kind=kind, **values)


def make_commitment(member, tie, title="Tuesday group", **values) -> Commitment:
    values.setdefault("cadence", "weekdays")
    values.setdefault("weekdays", [1])
    values.setdefault("starts_on", timezone.localdate() - dt.timedelta(days=60))
    return Commitment.objects.create(member=member, tie=tie, title=title, **values)


def riley_network(riley):
    """One tie, one contact and one commitment of riley's, for permission checks."""
    tie = make_tie(riley, "Marguerite", "parent")
    return {
        "tie": tie,
        "interaction": make_interaction(riley, tie, days_ago=1),
        "commitment": make_commitment(riley, tie, "Call Marguerite weekly"),
    }
