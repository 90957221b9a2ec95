"""Clinical notes: written by the care team, encrypted at rest, never edited (a correction is a new note),
every read audited; process notes stay with their author and the clinical supervisors; the member reads
their progress notes, after the enrolment ends too; no supporter ever sees a note."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from circles.audit.models import AuditEvent, Outcome
from circles.care.actions import do_add_staff, do_end_enrolment, do_write_note
from circles.care.models import ClinicalNote, StaffRole
from circles.sharing.tests.factories import grant, link


def notes_url(enrolment) -> str:
    return reverse("care:notes", args=[enrolment.pk])


def note_url(note) -> str:
    return reverse("care:note", args=[note.enrolment_id, note.pk])


@pytest.fixture
def second(harbor, enrolment, olivia, jamie):
    """Jamie: a therapist on riley's care team too (not primary)."""
    staff = do_add_staff(harbor.organization, jamie, role=StaffRole.THERAPIST, acting_user=olivia)
    enrolment.care_team.create(staff=staff)
    return staff


def test_the_care_team_writes_a_progress_note(enrolment, casey, client_for):
    client = client_for(casey)
    response = client.post(
        notes_url(enrolment), {"kind": "progress", "body": "  Talked about the weekend.  "}
    )
    note = ClinicalNote.objects.get()
    assert response.status_code == 302 and response["Location"] == note_url(note)
    assert (note.kind, note.body, note.author, note.author_name) == (
        "progress",
        "Talked about the weekend.",
        casey,
        casey.display_name,
    )
    assert AuditEvent.objects.filter(
        action="care.note.create",
        actor_id=casey.pk,
        subject_id=enrolment.member_id,
        object_ref=f"note:{note.pk}",
    ).exists()
    # Encrypted at rest: the column does not hold the words.
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM care_clinicalnote WHERE id = %s", [note.pk])
        assert "weekend" not in str(cursor.fetchone()[0])
    page = client.get(notes_url(enrolment)).content.decode()
    assert "Talked about the weekend." in page and "42 CFR part 2" in page
    assert AuditEvent.objects.filter(
        action="care.note.view", actor_id=casey.pk, object_ref=f"enrolment:{enrolment.pk}"
    ).exists()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"kind": "progress", "body": "   "}, "Write the note"),
        ({"kind": "diary", "body": "x"}, "valid choice"),
    ],
)
def test_a_bad_note_is_refused_with_a_message_and_nothing_is_lost(
    enrolment, casey, client_for, data, problem
):
    response = client_for(casey).post(notes_url(enrolment), data)
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert not ClinicalNote.objects.exists()


def test_a_correction_is_a_new_note_of_the_same_kind_naming_the_original(enrolment, casey, client_for):
    original = do_write_note(enrolment, kind="process", body="Said Tuesday", acting_user=casey)
    client = client_for(casey)
    url = reverse("care:note_correct", args=[enrolment.pk, original.pk])
    response = client.post(url, {"body": "It was Wednesday", "kind": "progress"})
    correction = ClinicalNote.objects.exclude(pk=original.pk).get()
    assert response.status_code == 302
    assert (correction.corrects, correction.kind, correction.body) == (
        original,
        "process",
        "It was Wednesday",
    )
    original.refresh_from_db()
    assert original.body == "Said Tuesday"  # never edited
    page = client.get(note_url(original)).content.decode()
    assert "Said Tuesday" in page and "It was Wednesday" in page
    assert AuditEvent.objects.filter(action="care.note.view", object_ref=f"note:{original.pk}").exists()
    listed = client.get(notes_url(enrolment)).content.decode()
    assert "Corrected: see the correction" in listed and "See the original" in listed
    assert client.post(url, {"body": " "}).status_code == 400


def test_process_notes_stay_with_their_author_and_the_clinical_supervisors(
    enrolment, harbor, casey, second, jamie, client_for
):
    process = do_write_note(enrolment, kind="process", body="My own working hypothesis", acting_user=casey)
    progress = do_write_note(enrolment, kind="progress", body="Shared plan for the week", acting_user=casey)
    other = client_for(jamie)
    page = other.get(notes_url(enrolment)).content.decode()
    assert "Shared plan for the week" in page and "working hypothesis" not in page
    assert other.get(note_url(progress)).status_code == 200
    assert other.get(note_url(process)).status_code == 404
    assert AuditEvent.objects.filter(
        actor_id=jamie.pk, object_ref=f"note:{process.pk}", outcome=Outcome.DENIED
    ).exists()
    correct = reverse("care:note_correct", args=[enrolment.pk, process.pk])
    assert other.post(correct, {"body": "no"}).status_code == 404
    # A clinical supervisor on the team reads it.
    second.clinical_supervisor = True
    second.save(update_fields=["clinical_supervisor"])
    assert "working hypothesis" in other.get(notes_url(enrolment)).content.decode()
    assert other.get(note_url(process)).status_code == 200


def test_the_member_reads_progress_notes_only_and_keeps_them_after_the_enrolment_ends(
    enrolment, riley, casey, client_for
):
    do_write_note(enrolment, kind="progress", body="Shared plan for the week", acting_user=casey)
    do_write_note(enrolment, kind="process", body="My own working hypothesis", acting_user=casey)
    client = client_for(riley)
    url = reverse("care:my_notes", args=[enrolment.pk])
    page = client.get(url).content.decode()
    assert "Shared plan for the week" in page and "working hypothesis" not in page
    assert AuditEvent.objects.filter(
        action="care.note.view", actor_id=riley.pk, object_ref=f"enrolment:{enrolment.pk}"
    ).exists()
    do_end_enrolment(enrolment, acting_user=riley)
    page = client.get(url).content.decode()
    assert "Shared plan for the week" in page and "has ended" in page
    # Staff lose them with their access.
    assert client_for(casey).get(notes_url(enrolment)).status_code == 404


def test_no_supporter_ever_sees_a_note(enrolment, riley, sam, casey, client_for):
    do_write_note(enrolment, kind="progress", body="Shared plan for the week", acting_user=casey)
    grant(link(riley, sam), ["checked_in", "mood", "network_map"])
    page = client_for(sam).get(reverse("sharing:supported_member", args=[riley.pk])).content.decode()
    assert "Shared plan" not in page


@pytest.mark.parametrize("size", [2, 25])
def test_the_notes_list_takes_the_same_queries_whatever_its_size(enrolment, casey, client_for, size):
    client = client_for(casey)
    counts = []
    for n in (size, size):
        for i in range(n):
            corrects = do_write_note(enrolment, kind="progress", body=f"Note {i}", acting_user=casey)
            do_write_note(enrolment, kind="progress", body="Fix", corrects=corrects, acting_user=casey)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(notes_url(enrolment)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
