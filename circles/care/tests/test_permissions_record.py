"""The permission grid of a member's record and clinical notes: the care team reaches them; staff not on
the care team, staff of another organization, and the care team once the consent is revoked or expired
or the enrolment ended get 404 and a refused audit row; signed-out people are sent to sign in; the
member reads their own progress notes and nobody else does."""

import pytest
from django.urls import reverse

from circles.care.actions import do_add_staff, do_write_note
from circles.care.models import ClinicalNote, StaffRole
from circles.care.tests.factories import enrol
from circles.care.tests.grid import LOSSES, assert_refused, lose_access
from circles.network.tests.test_permissions import call


@pytest.fixture
def notes(enrolment, casey):
    return {
        "progress": do_write_note(enrolment, kind="progress", body="Plan for the week", acting_user=casey),
        "process": do_write_note(enrolment, kind="process", body="Working hypothesis", acting_user=casey),
    }


def staff_routes(enrolment, notes) -> list[tuple[str, str, dict | None, int]]:
    """(method, url, data, what the care team gets)."""
    e, note = enrolment.pk, notes["progress"].pk
    return [
        ("get", reverse("care:record", args=[e]), None, 200),
        ("get", reverse("care:notes", args=[e]), None, 200),
        ("post", reverse("care:notes", args=[e]), {"kind": "progress", "body": "From the grid"}, 302),
        ("get", reverse("care:note", args=[e, note]), None, 200),
        ("post", reverse("care:note_correct", args=[e, note]), {"body": "Grid correction"}, 302),
    ]


def test_the_care_team_reaches_every_route(enrolment, notes, casey, client_for):
    client = client_for(casey)
    for method, url, data, expected in staff_routes(enrolment, notes):
        assert call(client, method, url, data).status_code == expected, (method, url)


@pytest.mark.parametrize("who", ["colleague", "elsewhere", "olivia"])
def test_staff_off_the_team_and_elsewhere_are_refused(request, enrolment, notes, client_for, who):
    actor = {
        "colleague": lambda: request.getfixturevalue("colleague").user,
        "elsewhere": lambda: request.getfixturevalue("elsewhere").admin.user,
        "olivia": lambda: request.getfixturevalue("olivia"),  # the administrator, not on the care team
    }[who]()
    before = ClinicalNote.objects.count()
    routes = [(method, url, data) for method, url, data, _expected in staff_routes(enrolment, notes)]
    assert_refused(client_for(actor), actor, routes)
    assert ClinicalNote.objects.count() == before


@pytest.mark.parametrize("how", LOSSES)
def test_the_care_team_loses_every_route_with_its_access(enrolment, notes, casey, client_for, how):
    at = lose_access(enrolment, how)
    before = ClinicalNote.objects.count()
    routes = [(method, url, data) for method, url, data, _expected in staff_routes(enrolment, notes)]
    assert_refused(client_for(casey), casey, routes, at=at)
    assert ClinicalNote.objects.count() == before


def test_another_care_team_member_never_reaches_a_process_note(
    harbor, enrolment, notes, olivia, jamie, client_for
):
    staff = do_add_staff(harbor.organization, jamie, role=StaffRole.THERAPIST, acting_user=olivia)
    enrolment.care_team.create(staff=staff)
    client = client_for(jamie)
    process = notes["process"]
    assert "Working hypothesis" not in client.get(reverse("care:notes", args=[enrolment.pk])).content.decode()
    assert_refused(
        client,
        jamie,
        [
            ("get", reverse("care:note", args=[enrolment.pk, process.pk]), None),
            ("post", reverse("care:note_correct", args=[enrolment.pk, process.pk]), {"body": "x"}),
        ],
    )


def test_a_note_of_another_enrolment_is_not_found_through_this_one(
    harbor, enrolment, notes, sam, casey, client_for
):
    other = enrol(sam, harbor)
    url = reverse("care:note", args=[other.pk, notes["progress"].pk])
    assert client_for(casey).get(url).status_code == 404


def test_the_members_notes_page(enrolment, notes, personas, jamie, client_for):
    url = reverse("care:my_notes", args=[enrolment.pk])
    assert client_for(personas["riley"]).get(url).status_code == 200
    for actor in [personas[name] for name in ("sam", "casey", "olivia", "mallory")] + [jamie]:
        assert_refused(client_for(actor), actor, [("get", url, None)])


def test_signed_out_people_are_sent_to_sign_in(enrolment, notes, client_for):
    client = client_for(None)
    routes = [(m, u, d) for m, u, d, _e in staff_routes(enrolment, notes)]
    routes.append(("get", reverse("care:my_notes", args=[enrolment.pk]), None))
    for method, url, data in routes:
        response = call(client, method, url, data)
        assert response.status_code == 302 and "/login" in response["Location"], (method, url)


def test_ids_beyond_any_record_are_not_found(enrolment, casey, client_for):
    client = client_for(casey)
    huge = 2**63
    assert client.get(reverse("care:record", args=[huge])).status_code == 404
    assert client.get(reverse("care:note", args=[enrolment.pk, huge])).status_code == 404
    assert client.get(reverse("care:my_notes", args=[huge])).status_code == 404
