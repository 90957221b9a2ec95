"""The caseload's kept facts (CaseloadFacts): read again at once after a check-in, a questionnaire or a
change to a tie, when the consent's scopes change and when they grow old; safety signals never kept; only
the members shown audited; the worker keeps them current."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from circles.audit.models import AuditEvent
from circles.care import logic
from circles.care.actions import do_add_staff
from circles.care.caseload import (
    CHANGE_MARGIN,
    FACTS_MAX_AGE,
    FACTS_REFRESH_AFTER,
    RANKING_SCOPES,
    load_caseload,
    refresh_caseload_facts,
)
from circles.care.models import CaseloadFacts, StaffMembership, StaffRole
from circles.care.tests.factories import CASELOAD_SCOPES, enrol
from circles.care.tests.test_caseload import build_caseload, checkins, row_for
from circles.checkins.models import SafetySignal
from circles.checkins.tests.factories import answers_at, complete, make_checkin
from circles.lib.time import local_today
from circles.network.actions import do_update_tie
from circles.network.tests.factories import make_interaction, make_tie
from circles.sharing import logic as sharing
from circles.sharing.actions import do_grant_consent, do_revoke_consent


def reasons(casey, enrolment) -> set[str]:
    return set(row_for(load_caseload(casey), enrolment).need.codes)


def after_the_margin():
    """Later than CHANGE_MARGIN after everything written so far: kept facts read now are newer than it,
    so only the rule under test can make them out of date."""
    return time_machine.travel(timezone.now() + CHANGE_MARGIN * 2)


def test_a_check_in_counts_on_the_very_next_load(enrolment, riley, casey):
    checkins(riley, [1, 2])
    with after_the_margin():
        assert logic.RETURN_TO_USE not in reasons(casey, enrolment)
        kept = CaseloadFacts.objects.get(enrolment=enrolment).computed_at
        make_checkin(riley, used=True, substance="alcohol")
        assert logic.RETURN_TO_USE in reasons(casey, enrolment)
        assert CaseloadFacts.objects.get(enrolment=enrolment).computed_at > kept  # read again, and kept


def test_a_completed_questionnaire_counts_on_the_very_next_load(enrolment, riley, casey):
    complete(riley, "phq9", answers_at("phq9", 0))
    with after_the_margin():
        assert logic.PHQ9_CHANGE not in reasons(casey, enrolment)
        complete(riley, "phq9", answers_at("phq9", 2))  # reliably worse than the first
        assert logic.PHQ9_CHANGE in reasons(casey, enrolment)


def test_a_tie_changed_counts_on_the_very_next_load(enrolment, riley, casey):
    peer = make_tie(riley, "Jo", "friend")
    make_interaction(riley, peer, days_ago=1)
    with after_the_margin():
        assert logic.NO_CONTACT_PEER in reasons(casey, enrolment)  # Jo is a friend, not a peer
        peer.relationship = "peer"  # its pillar follows
        do_update_tie(peer, acting_user=riley)
        assert logic.NO_CONTACT_PEER not in reasons(casey, enrolment)


def test_a_new_day_is_counted_from_the_member_s_midnight(enrolment, riley, casey):
    checkins(riley, [6])  # six days ago: one day short of a week
    riley_zone = zoneinfo.ZoneInfo(riley.timezone)
    before_midnight = dt.datetime.combine(
        local_today(riley) + dt.timedelta(days=1), dt.time(23, 50), tzinfo=riley_zone
    ) - dt.timedelta(days=1)
    with time_machine.travel(before_midnight, tick=False):
        assert logic.NO_CHECKIN not in reasons(casey, enrolment)
    # Twenty minutes later, well within the hour the facts are kept: a week without a check-in.
    with time_machine.travel(before_midnight + dt.timedelta(minutes=20), tick=False):
        # Ranked and filtered by it too, not only put into words on the page.
        assert [row.enrolment for row in load_caseload(casey, reason=logic.NO_CHECKIN).rows] == [enrolment]


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
    margin = after_the_margin()
    margin.start()
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
    assert load_caseload(casey, reason=logic.RETURN_TO_USE).rows == []  # nor ranked by it
    kept = CaseloadFacts.objects.get(enrolment=enrolment)
    assert sharing.RETURNS_TO_USE not in sharing.scopes_in_ref(kept.scopes) and kept.facts["use_days"] is None
    margin.stop()


def test_kept_facts_never_reach_further_than_the_consent_now(enrolment, riley, casey):
    """Even a kept row that holds more than the consent covers (written under an older, wider consent
    between the ranking and the page's words) shows only what the consent covers now."""
    enrolment_narrow = enrolment
    do_grant_consent(
        enrolment_narrow.tie,
        scopes=[sharing.CHECKED_IN, sharing.MOOD],
        purpose="treatment and care coordination",
        expires_on=None,
        signature_name="Riley",
        acting_user=riley,
    )
    checkins(riley, [0, 1], used=True)
    with after_the_margin():
        load_caseload(casey)
        kept = CaseloadFacts.objects.get(enrolment=enrolment)
        kept.facts["use_days"] = [local_today(riley).isoformat()]  # as a wider consent had kept it
        kept.save()
        need = row_for(load_caseload(casey), enrolment).need
    assert logic.RETURN_TO_USE not in need.codes and "use_days" in need.not_shared


def test_a_member_enrolled_twice_is_ranked_under_each_consent(harbor, elsewhere, enrolment, riley, casey):
    """Riley shares returns to use with Harbor, only check-ins with Elsewhere, where Casey works too."""
    do_add_staff(elsewhere.organization, casey, role=StaffRole.COUNSELOR, acting_user=elsewhere.admin.user)
    casey_there = StaffMembership.objects.get(organization=elsewhere.organization, user=casey)
    second = enrol(riley, elsewhere, scopes=[sharing.CHECKED_IN], primary=casey_there)
    checkins(riley, [0, 1], used=True)
    SafetySignal.objects.create(member=riley, source=SafetySignal.Source.HELP_NOW)
    with after_the_margin():
        assert sum(refresh_caseload_facts(timezone.now())) == 2
        caseload = load_caseload(casey)
        here, there = row_for(caseload, enrolment).need, row_for(caseload, second).need
        assert logic.RETURN_TO_USE in here.codes and logic.SAFETY in here.codes
        assert logic.RETURN_TO_USE not in there.codes and logic.SAFETY not in there.codes
        assert {"use_days", "open_safety"} <= set(there.not_shared)
        theirs = CaseloadFacts.objects.get(enrolment=second)
        assert theirs.facts["use_days"] is None and theirs.facts["ratings"] is None
        audited = AuditEvent.objects.filter(actor_id=casey.pk, subject_id=riley.pk).order_by("-id")[:2]
        assert {tuple(sharing.scopes_in_ref(event.object_ref)) for event in audited} == {
            (sharing.CHECKED_IN,),
            tuple(sharing.ordered_scopes(set(CASELOAD_SCOPES) & set(RANKING_SCOPES))),
        }


def test_the_worker_drops_what_was_kept_once_the_consent_is_revoked(enrolment, riley, casey):
    load_caseload(casey)
    do_revoke_consent(enrolment.tie, acting_user=riley, signature_name="Riley")
    later = timezone.now() + FACTS_REFRESH_AFTER + dt.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert sum(refresh_caseload_facts(later)) == 0
    assert not CaseloadFacts.objects.filter(enrolment=enrolment).exists()
    assert load_caseload(casey).rows == []


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
