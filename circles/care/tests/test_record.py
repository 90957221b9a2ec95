"""A member's record as their care team sees it: only what the consent shares, every part read through the
sharing loaders and audited, a part not shared named as such; the care team and sessions; bounded
queries."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from circles.audit.models import AuditEvent, Outcome
from circles.care.models import Appointment
from circles.care.tests.factories import enrol
from circles.checkins.tests.factories import answers_at, complete, make_checkin
from circles.lib.time import local_today
from circles.network.tests.factories import make_interaction, make_tie
from circles.sharing import logic as sharing
from circles.sharing.access import access_shared_trajectory, organization_disclosures


def record_url(enrolment) -> str:
    return reverse("care:record", args=[enrolment.pk])


def rileys_days(riley):
    today = local_today(riley)
    for age in range(3):
        make_checkin(riley, today - dt.timedelta(days=age), mood=7 - age, craving=2 + age, used=age == 1)
    complete(riley, "phq9", answers_at("phq9", 1))
    complete(riley, "gad7", answers_at("gad7", 2))
    tie = make_tie(riley, "Marguerite", "parent")
    make_interaction(riley, tie)


def shared_reads(viewer, member) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            actor_id=viewer.pk, subject_id=member.pk, action=sharing.SHARED_VIEW, outcome=Outcome.ALLOWED
        ).values_list("object_ref", flat=True)
    )


def test_the_care_team_sees_everything_the_consent_shares(harbor, riley, casey, client_for):
    rileys_days(riley)
    enrolment = enrol(riley, harbor)
    response = client_for(casey).get(record_url(enrolment))
    assert response.status_code == 200
    assert response["Cache-Control"].count("no-store")
    page = response.content.decode()
    assert "42 CFR part 2" in page  # the short notice, as on supporters' pages
    assert "Mood, craving and stress over 30 days" in page and "<svg" in page
    assert "PHQ-9" in page and "GAD-7" in page
    assert "Marguerite" in page  # the network map's table
    assert "Each pillar" in page
    # Only questionnaire families outside the consent are named as not shared (none of its parts).
    results = page[page.index('id="results-heading"') : page.index('id="network-heading"')]
    assert "Not shared by" not in page.replace(results, "")
    assert "Depression questionnaires (PHQ-9, PHQ-2)" in results
    assert "Casey" in page and "primary" in page  # the care team
    assert reverse("care:notes", args=[enrolment.pk]) in page
    # Every part was read through the sharing loaders, and each read recorded.
    reads = shared_reads(casey, riley)
    assert any(sharing.MOOD in ref for ref in reads)
    assert sharing.scopes_ref([sharing.NETWORK_MAP]) in reads
    assert len(reads) == 3  # the shared data, the map, the trajectory


def test_what_is_not_shared_is_named_as_such_and_never_read(harbor, riley, casey, client_for):
    rileys_days(riley)
    enrolment = enrol(riley, harbor, scopes=[sharing.CHECKED_IN])
    page = client_for(casey).get(record_url(enrolment)).content.decode()
    assert page.count("Not shared by Riley") >= 3  # questionnaires, trajectory, map and health
    assert "PHQ-9" not in page and "Marguerite" not in page and "<svg" not in page
    assert "Checked in today" in page
    reads = shared_reads(casey, riley)
    assert reads == [sharing.scopes_ref([sharing.CHECKED_IN])]


def test_the_trajectory_reads_only_what_is_shared(harbor, riley, casey):
    rileys_days(riley)
    enrolment = enrol(riley, harbor, scopes=[sharing.MOOD, sharing.RESULTS + "depression"])
    disclosure = organization_disclosures([enrolment.tie])[enrolment.tie.pk]
    data = access_shared_trajectory(casey, disclosure, 90)
    assert data is not None
    assert len(data.checkins) == 3 and not any(point.used for point in data.checkins)  # use not shared
    assert [series.instrument.code for series in data.instruments] == ["phq9"]  # not the GAD-7
    assert data.weeks == []  # contact is part of the map, not shared
    assert shared_reads(casey, riley) == [sharing.scopes_ref([sharing.MOOD, sharing.RESULTS + "depression"])]


def test_nothing_for_the_trajectory_reads_nothing(harbor, riley, casey):
    enrolment = enrol(riley, harbor, scopes=[sharing.CHECKED_IN])
    disclosure = organization_disclosures([enrolment.tie])[enrolment.tie.pk]
    assert access_shared_trajectory(casey, disclosure, 90) is None
    assert shared_reads(casey, riley) == []


def test_sessions_upcoming_and_past(enrolment, harbor, casey, client_for):
    now = timezone.now()
    Appointment.objects.create(
        enrolment=enrolment,
        staff=harbor.counselor,
        kind="group",
        mode="video",
        starts_at=now + dt.timedelta(days=2),
    )
    Appointment.objects.create(
        enrolment=enrolment,
        staff=harbor.counselor,
        kind="individual",
        mode="phone",
        starts_at=now - dt.timedelta(days=2),
        attendance="missed",
    )
    page = client_for(casey).get(record_url(enrolment)).content.decode()
    upcoming, past = page.split("Upcoming")[1].split("Past")
    assert "Group session" in upcoming and "Missed" in past and "Individual session" in past


def test_the_record_queries_do_not_grow(harbor, riley, casey, client_for):
    """The same count with 2 sessions and ties as with 30."""
    enrolment = enrol(riley, harbor)
    client = client_for(casey)

    def count() -> int:
        client.get(record_url(enrolment))
        with CaptureQueriesContext(connection) as queries:
            client.get(record_url(enrolment))
        return len(queries)

    def grow(first: int, n: int):
        now = timezone.now()
        for i in range(first, first + n):
            Appointment.objects.create(
                enrolment=enrolment,
                staff=harbor.counselor,
                kind="individual",
                mode="phone",
                starts_at=now + dt.timedelta(days=i if i % 2 else -i),
            )
            make_interaction(riley, make_tie(riley, f"Friend {i}", "friend"))
            make_checkin(riley, local_today(riley) - dt.timedelta(days=i))

    grow(0, 2)
    small = count()
    grow(2, 28)
    assert count() == small


def test_a_questionnaire_family_not_shared_is_named_not_dropped(harbor, riley, casey, client_for):
    rileys_days(riley)
    complete(riley, "bam", answers_at("bam", 2))
    shared = [sharing.MOOD, sharing.RESULTS + "depression", sharing.RESULTS + "recovery_monitor"]
    enrolment = enrol(riley, harbor, scopes=shared)
    page = client_for(casey).get(record_url(enrolment)).content.decode()
    results = page[page.index('id="results-heading"') : page.index('id="trajectory-heading"')]
    trajectory = page[page.index('id="trajectory-heading"') : page.index('id="network-heading"')]
    for section in (results, trajectory):
        assert "Anxiety questionnaires (GAD-7, GAD-2)" in section
        assert "GAD-7 " not in section.replace("(GAD-7, GAD-2)", "")  # no anxiety result is shown
    assert results.count("Not shared by Riley") == len(sharing.RESULT_SCOPES) - 2
    assert trajectory.count("Scores: not shared by Riley") == len(sharing.RESULT_SCOPES) - 2
    # The BAM has no total: its line gives the subscales, as the member's own results do.
    bam_line = next(line for line in results.splitlines() if ": BAM" in line)
    assert "Risk" in bam_line or "risk" in bam_line, bam_line
