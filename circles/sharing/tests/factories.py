"""Sharing test data, made through the same actions the pages use."""

import datetime as dt

from django.test import TestCase

from circles.checkins.tests.factories import complete, make_checkin
from circles.network.models import Tie
from circles.network.tests.factories import make_tie
from circles.sharing import logic
from circles.sharing.actions import do_grant_consent, do_invite_supporter
from circles.sharing.models import Consent, Invitation

ORIGIN = "http://testserver/"


def link(member, supporter, name: str = "Sam", relationship: str = "sponsor") -> Tie:
    """A tie of the member's, linked to the supporter's account as if an invitation had been accepted."""
    tie = make_tie(member, name, relationship=relationship, circle="inner")
    tie.supporter = supporter
    tie.save(update_fields=["supporter"])
    return tie


def grant(tie: Tie, scopes, expires_on: dt.date | None = None) -> Consent:
    consent = do_grant_consent(
        tie,
        scopes=list(scopes),
        purpose="So that they can support me.",
        expires_on=expires_on,
        signature_name="Riley Example",
        acting_user=tie.member,
    )
    assert consent is not None
    return consent


def invite(tie: Tie, email: str = "sam@example.org") -> Invitation:
    with TestCase.captureOnCommitCallbacks(execute=True):  # the email goes out once the invitation is saved
        return do_invite_supporter(tie, email, origin=ORIGIN, acting_user=tie.member)


def shared_records(member, tie: Tie, other_tie: Tie) -> None:
    """Something to see under every scope: today's check-in with a struggle for `tie` (and one for
    `other_tie` that `tie` must never see), a return to use, and a result in every instrument family."""
    make_checkin(member, mood=7, craving=2, stress=3, struggling="Evenings are hard")
    checkin = member.checkins.get()
    checkin.struggling_for.set([tie])
    earlier = make_checkin(
        member,
        day=checkin.day - dt.timedelta(days=2),
        used=True,
        substance="alcohol",
        use_note="Private note about the wedding",
        struggling="Only for Mum",
    )
    earlier.struggling_for.set([other_tie])
    for scope in logic.RESULT_SCOPES:
        complete(member, scope.instruments[0])
