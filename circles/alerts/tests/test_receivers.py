"""The outbox through events: an alert raised by a receiver shares the fate of the change announced."""

import pytest
from django.db import transaction

from circles.alerts import logic
from circles.alerts.models import Alert, EscalationTimer, Notification
from circles.alerts.tests.factories import askable, ladder
from circles.checkins.actions import do_save_answers, do_start_assessment
from circles.checkins.models import Assessment, SafetySignal

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
