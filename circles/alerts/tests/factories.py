"""Ladders and alerts for the alert tests."""

from circles.alerts import logic
from circles.alerts.actions import PersonSpec, RungSpec, do_set_ladder
from circles.sharing.logic import ALERTS
from circles.sharing.tests.factories import grant, link


def askable(member, supporter, name: str = "Sam", scopes=(ALERTS,), relationship: str = "sponsor"):
    """A tie linked to the supporter's account whose consent lets them be asked for support."""
    tie = link(member, supporter, name=name, relationship=relationship)
    grant(tie, list(scopes))
    return tie


def ladder(member, *steps, window: int = 10, channels=(logic.EMAIL, logic.IN_APP)):
    """A ladder with one step per tie (or per tuple of ties), reached by `channels`."""
    rungs = []
    for step in steps:
        ties = step if isinstance(step, tuple) else (step,)
        rungs.append(RungSpec([PersonSpec(t.pk, list(channels)) for t in ties], window_minutes=window))
    return do_set_ladder(member, rungs, acting_user=member)
