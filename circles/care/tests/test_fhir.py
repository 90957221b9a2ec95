"""The member's care as FHIR R4 (validated): the Organization their consent names, its CareTeam with
roles, each session as an Appointment whose status follows attendance, and a Flag for each safety
answer the care team has not followed up."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from circles.care.actions import do_add_staff, do_end_enrolment
from circles.care.fhir import care_entries
from circles.care.models import Appointment, SafetyFollowUp, StaffRole
from circles.checkins.models import SafetySignal
from circles.records.export import export_fhir
from circles.sharing.fhir import consent_resource
from circles.sharing.models import Consent
from circles.sharing.tests.factories import grant, link


def by_type(entries, kind: str) -> list[dict]:
    return [entry for entry in entries if entry["resource"]["resourceType"] == kind]


def session(enrolment, staff, attendance="", days=0, kind="individual"):
    return Appointment.objects.create(
        enrolment=enrolment,
        staff=staff,
        kind=kind,
        mode="video",
        starts_at=timezone.now() + dt.timedelta(days=days),
        duration_minutes=45,
        attendance=attendance,
    )


def test_the_care_team_and_its_organization(enrolment, harbor, olivia, jamie):
    therapist = do_add_staff(harbor.organization, jamie, role=StaffRole.THERAPIST, acting_user=olivia)
    enrolment.care_team.create(staff=therapist)
    entries = care_entries(enrolment.member)
    (organization,) = by_type(entries, "Organization")
    assert organization["resource"]["name"] == "Harbor Recovery Center"
    (team,) = by_type(entries, "CareTeam")
    resource = team["resource"]
    assert resource["status"] == "active"
    assert resource["managingOrganization"][0]["reference"] == organization["fullUrl"]
    roles = [(p["role"][0]["coding"][0]["code"], p["member"]["display"]) for p in resource["participant"]]
    assert roles == [("counselor", "Casey"), ("therapist", jamie.display_name)]
    assert resource["participant"][0]["role"][0]["text"] == "primary"
    # The member's consent to the organization names the same Organization resource.
    consent = Consent.objects.get(tie=enrolment.tie)
    actor = consent_resource(consent)["provision"]["actor"][0]["reference"]
    assert actor["reference"] == organization["fullUrl"] and actor["type"] == "Organization"


def test_a_consent_to_a_person_still_identifies_their_tie(riley, sam):
    consent = grant(link(riley, sam), ["mood"])
    actor = consent_resource(consent)["provision"]["actor"][0]["reference"]
    assert "reference" not in actor and actor["identifier"]["system"] == "urn:circles:tie"


@pytest.mark.parametrize(
    ("attendance", "days", "status"),
    [
        ("", 2, "booked"),
        ("attended", -2, "fulfilled"),
        ("missed", -1, "noshow"),
        ("cancelled", 1, "cancelled"),
    ],
)
def test_each_session_is_an_appointment_with_its_status(enrolment, harbor, attendance, days, status):
    appointment = session(enrolment, harbor.counselor, attendance, days, kind="group")
    (entry,) = by_type(care_entries(enrolment.member), "Appointment")
    resource = entry["resource"]
    assert resource["status"] == status
    assert resource["serviceType"][0]["coding"][0]["code"] == "group"
    assert resource["appointmentType"]["text"] == "Group session"
    assert resource["minutesDuration"] == 45
    assert resource["start"] == appointment.starts_at.isoformat()
    assert resource["end"] == (appointment.starts_at + dt.timedelta(minutes=45)).isoformat()
    actors = [p["actor"] for p in resource["participant"]]
    assert actors[0]["identifier"]["value"] == str(enrolment.member_id)
    assert actors[1]["type"] == "Practitioner" and actors[1]["display"] == "Casey"


def test_an_open_safety_follow_up_is_a_flag_until_followed_up(enrolment):
    before = SafetySignal.objects.create(
        member=enrolment.member, source="help_now", created_at=enrolment.started_at - dt.timedelta(days=1)
    )
    signal = SafetySignal.objects.create(member=enrolment.member, source="help_now")
    (flag,) = by_type(care_entries(enrolment.member), "Flag")
    resource = flag["resource"]
    assert resource["status"] == "active"
    assert resource["category"][0]["coding"][0]["code"] == "safety"
    assert resource["identifier"][0]["value"] == str(signal.pk) != str(before.pk)
    SafetyFollowUp.objects.create(enrolment=enrolment, signal=signal, acknowledged_by_name="Casey")
    assert by_type(care_entries(enrolment.member), "Flag") == []


def test_an_ended_enrolment_is_an_inactive_care_team_with_no_flags(enrolment, riley):
    SafetySignal.objects.create(member=riley, source="help_now")
    do_end_enrolment(enrolment, acting_user=riley)
    entries = care_entries(riley)
    (team,) = by_type(entries, "CareTeam")
    assert team["resource"]["status"] == "inactive" and "end" in team["resource"]["period"]
    assert by_type(entries, "Flag") == []


def test_the_members_bundle_carries_their_care_and_is_valid(enrolment, harbor, riley):
    session(enrolment, harbor.counselor, "attended", -3)
    SafetySignal.objects.create(member=riley, source="help_now")
    bundle = export_fhir(riley)
    Bundle.model_validate(bundle)
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Organization", "CareTeam", "Appointment", "Flag", "Consent"} <= kinds
    assert "RelatedPerson" not in kinds  # the organization is not a related person
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(urls) == len(set(urls))


def test_care_entries_take_the_same_queries_whatever_the_number(enrolment, harbor, riley):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            care_entries(riley)
        return len(queries)

    session(enrolment, harbor.counselor)
    SafetySignal.objects.create(member=riley, source="help_now")
    small = count()
    for n in range(10):
        session(enrolment, harbor.counselor, days=n)
        SafetySignal.objects.create(member=riley, source="help_now")
    assert count() == small
