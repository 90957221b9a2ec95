"""Events: receivers run in the caller's transaction, in order, and their failure undoes the change."""

import os
import subprocess
import sys
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import transaction

from circles.checkins.events import CheckInSaved, SafetySignalRaised
from circles.lib import events
from circles.lib.events import AnnouncedOutsideTransaction, Event, announce, receiver, receivers_of
from circles.network.events import TieEnded
from circles.network.models import Tie
from circles.network.tests.factories import make_tie


@dataclass(frozen=True)
class Happened(Event):
    what: str


@pytest.fixture
def heard():
    """Subscribes two receivers to Happened for one test, and forgets them afterwards."""
    log: list[str] = []

    @receiver(Happened)
    def first(event: Happened) -> None:
        log.append(f"first:{event.what}")

    @receiver(Happened)
    def second(event: Happened) -> None:
        log.append(f"second:{event.what}")

    receiver(Happened)(first)  # subscribing again changes nothing
    yield log
    events._receivers.pop(Happened, None)


@pytest.mark.django_db
def test_receivers_run_once_each_in_the_order_they_subscribed(heard):
    with transaction.atomic():
        announce(Happened("it"))
    assert heard == ["first:it", "second:it"]


@pytest.mark.django_db(transaction=True)
def test_an_event_outside_a_transaction_is_refused(heard):
    with pytest.raises(AnnouncedOutsideTransaction):
        announce(Happened("it"))
    assert heard == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_receiver_undoes_the_change(riley):
    @receiver(Happened)
    def refuse(event: Happened) -> None:
        raise RuntimeError("receiver failed")

    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            make_tie(riley, "Dana", "friend")
            announce(Happened("tie added"))
    finally:
        events._receivers.pop(Happened, None)
    assert not Tie.objects.filter(member=riley).exists()


def test_the_apps_above_subscribe_to_what_they_must_react_to():
    """Alerts ask the ladder on check-ins and safety signals; sharing revokes when a tie ends, then care
    ends the enrolment whose organization tie it was (in INSTALLED_APPS order)."""
    assert [f.__module__ for f in receivers_of(CheckInSaved)] == ["circles.alerts.receivers"]
    assert [f.__module__ for f in receivers_of(SafetySignalRaised)] == ["circles.alerts.receivers"]
    assert [f.__module__ for f in receivers_of(TieEnded)] == [
        "circles.sharing.receivers",
        "circles.care.receivers",
    ]


def test_every_apps_receivers_are_subscribed_when_django_starts():
    """Each app imports its receivers.py in ready(): forgetting it would silently stop its reactions."""
    check = (
        "import sys, django; django.setup(); from django.apps import apps; "
        "from django.utils.module_loading import module_has_submodule as has; "
        "print(sorted(c.name for c in apps.get_app_configs() if has(c.module, 'receivers') "
        "and c.name + '.receivers' not in sys.modules))"
    )
    result = subprocess.run(  # noqa: S603 — our own interpreter on our own settings
        [sys.executable, "-c", check],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "circles.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"import these in their AppConfig.ready(): {result.stdout}"
