"""The care permission grids' shared check: every route of an enrolled member answers 404, with a refused
audit row, to staff of another organization, staff not on the care team, outsiders, and to the care team
itself once the consent is revoked or expired or the enrolment ended (test_permissions_*.py)."""

import datetime as dt

import time_machine
from django.utils import timezone

from circles.audit.models import AuditEvent, Outcome
from circles.care.actions import do_end_enrolment
from circles.network.tests.test_permissions import call
from circles.sharing.actions import do_revoke_consent

# How the care team loses access: each answered by 404 on the next request.
LOSSES = ("revoked", "expired", "ended")


def lose_access(enrolment, how: str):
    """Takes the care team's access away; returns the moment to make requests at."""
    if how == "revoked":
        do_revoke_consent(enrolment.tie, acting_user=enrolment.member)
    elif how == "ended":
        do_end_enrolment(enrolment, acting_user=enrolment.member)
    elif how == "expired":
        consent = enrolment.tie.consents.get(superseded_at__isnull=True)
        consent.expires_at = timezone.now() - dt.timedelta(minutes=1)
        consent.save(update_fields=["expires_at"])
    return timezone.now()


def assert_refused(client, actor, routes, *, at=None) -> None:
    """Every (method, url, data) answers 404 and leaves a refused row naming the actor."""
    with time_machine.travel(at or timezone.now(), tick=False):
        for method, url, data in routes:
            before = AuditEvent.objects.filter(actor_id=actor.pk, outcome=Outcome.DENIED).count()
            response = call(client, method, url, data)
            assert response.status_code == 404, (actor.email, method, url, response.status_code)
            after = AuditEvent.objects.filter(actor_id=actor.pk, outcome=Outcome.DENIED).count()
            assert after > before, ("no refused audit row", actor.email, method, url)
