"""The caseload's kept facts (CaseloadFacts): read again at once after a check-in, a questionnaire or a
change to a tie, when the consent's scopes change and when they grow old; safety signals never kept; only
the members shown audited; the worker keeps them current."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from circles.audit.models import AuditEvent
from circles.care import logic
from circles.care.caseload import (
    CHANGE_MARGIN,
    FACTS_MAX_AGE,
    FACTS_REFRESH_AFTER,
    load_caseload,
    refresh_caseload_facts,
)
from circles.care.models import CaseloadFacts
from circles.care.tests.factories import CASELOAD_SCOPES, enrol
from circles.care.tests.test_caseload import build_caseload, checkins, row_for
from circles.checkins.models import SafetySignal
from circles.checkins.tests.factories import answers_at, complete, make_checkin
from circles.network.tests.factories import make_interaction, make_tie
from circles.sharing import logic as sharing
from circles.sharing.actions import do_grant_consent


def reasons(casey, enrolment) -> set[str]:
    return set(row_for(load_caseload(casey), enrolment).need.codes)


def test_a_check_in_counts_on_the_very_next_load(enrolment, riley, casey):
    checkins(riley, [1, 2])
    assert logic.RETURN_TO_USE not in reasons(casey, enrolment)
    assert CaseloadFacts.objects.filter(enrolment=enrolment).exists()
    kept = CaseloadFacts.objects.get(enrolment=enrolment).computed_at
    make_checkin(riley, used=True, substance="alcohol")
    assert logic.RETURN_TO_USE in reasons(casey, enrolment)
    assert CaseloadFacts.objects.get(enrolment=enrolment).computed_at > kept  # read again, and kept


def test_a_completed_questionnaire_counts_on_the_very_next_load(enrolment, riley, casey):
    complete(riley, "phq9", answers_at("phq9", 0))
    assert logic.PHQ9_CHANGE not in reasons(casey, enrolment)
    complete(riley, "phq9", answers_at("phq9", 2))  # reliably worse than the first
    assert logic.PHQ9_CHANGE in reasons(casey, enrolment)


def test_a_safety_signal_is_never_kept_it_shows_at_once(enrolment, riley, casey):
    assert logic.SAFETY not in reasons(casey, enrolment)
    # A press of "I need help now" announces nothing (the member confirms SOS next): the caseload still
    # sees it on its next load, because safety signals are read on every request.
    SafetySignal.objects.create(member=riley, source=SafetySignal.Source.HELP_NOW)
    (first,) = load_caseload(casey).rows
    assert first.need.urgent and logic.SAFETY in first.need.codes
    assert "safety_signals" not in str(CaseloadFacts.objects.get(enrolment=enrolment).facts)


def test_a_narrower_consent_is_read_again_and_shown_as_not_shared(enrolment, riley, casey):
    checkins(riley, [0, 1], used=True)
    assert logic.RETURN_TO_USE in reasons(casey, enrolment)
    do_grant_consent(
        enrolment.tie,
        scopes=[scope for scope in CASELOAD_SCOPES if scope != sharing.RETURNS_TO_USE],
        purpose="treatment and care coordination",
        expires_on=None,
        signature_name="Riley",
        acting_user=riley,
    )
    need = row_for(load_caseload(casey), enrolment).need
    assert logic.RETURN_TO_USE not in need.codes and "use_days" in need.not_shared
    kept = CaseloadFacts.objects.get(enrolment=enrolment)
    assert sharing.RETURNS_TO_USE not in sharing.scopes_in_ref(kept.scopes) and kept.facts["use_days"] is None


def test_a_contact_logged_is_read_again_within_the_hour(enrolment, riley, casey):
    peer = make_tie(riley, "Jo", "peer")
    make_interaction(riley, peer, days_ago=30)
    start = timezone.now() + CHANGE_MARGIN * 2  # the tie's own change is well before the facts kept
    with time_machine.travel(start, tick=False):
        assert logic.NO_CONTACT_PEER in reasons(casey, enrolment)
        make_interaction(riley, peer, days_ago=0)  # a contact does not change the tie: nothing to see
        assert logic.NO_CONTACT_PEER in reasons(casey, enrolment)  # kept: at most FACTS_MAX_AGE old
    with time_machine.travel(start + FACTS_MAX_AGE + dt.timedelta(seconds=1), tick=False):
        assert logic.NO_CONTACT_PEER not in reasons(casey, enrolment)


def test_only_the_members_shown_are_audited(harbor, casey):
    build_caseload(harbor, 12, 0)
    before = AuditEvent.objects.filter(actor_id=casey.pk, action=sharing.SHARED_VIEW).count()
    caseload = load_caseload(casey, per_page=5, page_number=2)
    assert (len(caseload.rows), caseload.shown, caseload.total) == (5, 12, 12)
    audited = AuditEvent.objects.filter(actor_id=casey.pk, action=sharing.SHARED_VIEW).order_by("-id")
    assert audited.count() - before == 5
    shown = {row.member.pk for row in caseload.rows}
    assert {event.subject_id for event in audited[:5]} == shown


@pytest.mark.django_db
def test_the_worker_keeps_the_facts_current_and_drops_those_of_ended_enrolments(harbor, casey, riley):
    from circles.care.actions import do_end_enrolment

    build_caseload(harbor, 3, 0)
    enrolment = enrol(riley, harbor)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert sum(refresh_caseload_facts(start)) == 4  # none kept yet: all four read
        assert sum(refresh_caseload_facts(start)) == 0  # all current
    later = start + FACTS_REFRESH_AFTER + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert sum(refresh_caseload_facts(later)) == 4  # about to grow too old: read before a page must
        assert set(CaseloadFacts.objects.values_list("computed_at", flat=True)) == {later}
        do_end_enrolment(enrolment, reason="", acting_user=riley)
        assert sum(refresh_caseload_facts(later)) == 0
    assert not CaseloadFacts.objects.filter(enrolment=enrolment).exists()
    assert CaseloadFacts.objects.count() == 3
