"""The outbox through events: an alert raised by a receiver shares the fate of the change announced."""

import pytest
from django.db import transaction

from circles.alerts import logic
from circles.alerts.models import Alert, EscalationTimer, Notification
from circles.alerts.tests.factories import askable, ladder
from circles.checkins.actions import do_save_answers, do_start_assessment
from circles.checkins.events import SafetySignalRaised
from circles.checkins.models import Assessment, SafetySignal
from circles.lib import events

pytestmark = pytest.mark.django_db(transaction=True)


class Interrupted(Exception):
    """Something later in the same transaction failed."""


def test_a_safety_alert_saved_with_the_answer_is_undone_with_it(riley, sam):
    ladder(riley, askable(riley, sam))
    assessment = do_start_assessment(riley, "phq9", language="en")
    with pytest.raises(Interrupted), transaction.atomic():
        do_save_answers(assessment, {"9": 2}, complete=False, acting_user=riley)
        assert Alert.objects.filter(kind=logic.SAFETY).exists()  # raised inside the transaction
        raise Interrupted
    # Nothing of it was kept, so the worker has nothing to send.
    assert not SafetySignal.objects.exists()
    assert not Alert.objects.exists() and not Notification.objects.exists()
    assert not EscalationTimer.objects.exists()
    assert Assessment.objects.get(pk=assessment.pk).answers == {}


def test_a_safety_alert_is_committed_with_the_answer(riley, sam):
    ladder(riley, askable(riley, sam))
    assessment = do_start_assessment(riley, "phq9", language="en")
    do_save_answers(assessment, {"9": 2}, complete=False, acting_user=riley)
    signal = SafetySignal.objects.get()
    alert = Alert.objects.get()
    assert signal.handled_at is not None and alert.urgent
    assert Notification.objects.filter(alert=alert).exists()


def test_the_help_page_never_waits_on_a_receiver(riley, client_for):
    """A press of "I need help now" is not announced: a receiver that fails cannot cost the resources."""
    failing = events.receiver(SafetySignalRaised)(lambda event: 1 / 0)
    try:
        response = client_for(riley).post("/help-now/")
    finally:
        events._receivers[SafetySignalRaised].remove(failing)
    assert response.status_code == 200 and "988" in response.content.decode()
    assert SafetySignal.objects.get().source == SafetySignal.Source.HELP_NOW
