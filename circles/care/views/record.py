"""A member's record as their care team sees it, and clinical notes.

Every part of the record is read through circles/sharing/access.py with the member's live consent to
the organization, so each read is audited and a part the consent does not cover is shown as not shared.
Notes are the organization's own writing about the member: read through circles/care/access.py, which
records every read and keeps private process notes with their author and the clinical supervisors.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from circles.care.access import access_enrolment, access_note, access_notes, access_own_progress_notes
from circles.care.actions import do_write_note
from circles.care.forms import ClinicalNoteForm, CorrectionForm
from circles.care.models import Appointment, CareTeamMember, ClinicalNote
from circles.checkins import drawing as checkin_drawing
from circles.lib.forms import form_page
from circles.network import drawing as network_drawing
from circles.sharing import logic as sharing
from circles.sharing.access import access_shared_data, access_shared_map, access_shared_trajectory
from circles.sharing.shared import present

TRAJECTORY_DAYS = 90
SESSIONS_SHOWN = 10  # upcoming and past, each: the sessions page (circles/care/views/sessions.py) has all


def _trajectory(viewer, disclosure) -> dict | None:
    data = access_shared_trajectory(viewer, disclosure, TRAJECTORY_DAYS)
    if data is None:
        return None
    axis = checkin_drawing.TimeAxis(data.start, data.today)
    return {
        "data": data,
        "instrument_charts": [
            (series, checkin_drawing.instrument_chart(series, axis))
            for series in data.instruments
            if series.instrument.code != "cssrs"
        ],
        "screens": next((s for s in data.instruments if s.instrument.code == "cssrs"), None),
        "contact_svg": checkin_drawing.contact_chart(data.weeks, axis) if data.weeks else "",
        "results_shared": any(scope.code in disclosure.scopes for scope in sharing.RESULT_SCOPES),
        # Every questionnaire family the member could share, so one not shared is named, never dropped.
        "results_not_shared": [
            str(scope.label) for scope in sharing.RESULT_SCOPES if scope.code not in disclosure.scopes
        ],
        "contact_shared": disclosure.allows(sharing.NETWORK_MAP),
    }


def _result_families(disclosure, shared_groups) -> list[tuple[str, object]]:
    """(label, the shared ResultGroup or None) for every questionnaire family, in the order of
    sharing.RESULT_SCOPES; `present` gives the shared groups in that same order."""
    groups = iter(shared_groups)
    return [
        (str(scope.label), next(groups) if scope.code in disclosure.scopes else None)
        for scope in sharing.RESULT_SCOPES
    ]


@login_required
@never_cache  # a member's health record: never from a shared or browser cache
def record(request, enrolment_id: int):
    access = access_enrolment(request.user, enrolment_id)
    disclosure, enrolment = access.disclosure, access.enrolment
    data = access_shared_data(request.user, [disclosure])
    person = present(disclosure, data[0] if data else None, compact=False)
    network_map = health = None
    if disclosure.allows(sharing.NETWORK_MAP):
        network = access_shared_map(request.user, disclosure)
        entries = network_drawing.shared_map_entries(network.facts)
        network_map = {
            "svg": network_drawing.network_map(entries, access.member.display_name, viewer_is_member=False),
            "entries": entries,
        }
        health = network.health
    now = timezone.now()
    sessions = Appointment.objects.filter(enrolment=enrolment).select_related("staff__user")
    context = {
        "access": access,
        "enrolment": enrolment,
        "person": person,
        "network_map": network_map,
        "health": health,
        "trajectory": _trajectory(request.user, disclosure),
        "mood_shared": disclosure.allows(sharing.MOOD) or disclosure.allows(sharing.CHECKED_IN),
        "results_shared": person.results is not None,
        "result_families": _result_families(disclosure, person.results or []),
        "care_team": list(
            CareTeamMember.objects.filter(enrolment=enrolment, staff__ended_at__isnull=True).select_related(
                "staff__user"
            )
        ),
        "upcoming": list(sessions.filter(starts_at__gte=now).order_by("starts_at", "id")[:SESSIONS_SHOWN]),
        "past": list(sessions.filter(starts_at__lt=now).order_by("-starts_at", "-id")[:SESSIONS_SHOWN]),
    }
    return form_page(request, "care/record/record.html", context)


def corrected_ids(notes: list[ClinicalNote]) -> set[int]:
    """The notes of the list that a later note of the list corrects."""
    return {note.corrects_id for note in notes if note.corrects_id is not None}


def _notes_page(request, enrolment_id: int, form: ClinicalNoteForm):
    access, notes = access_notes(request.user, enrolment_id)
    context = {
        "access": access,
        "enrolment": access.enrolment,
        "notes": notes,
        "corrected_ids": corrected_ids(notes),
        "form": form,
    }
    return form_page(request, "care/record/notes.html", context)


@login_required
@never_cache
def notes(request, enrolment_id: int):
    if request.method != "POST":
        return _notes_page(request, enrolment_id, ClinicalNoteForm())
    access = access_enrolment(request.user, enrolment_id, write=True)
    form = ClinicalNoteForm(request.POST, instance=ClinicalNote(enrolment=access.enrolment))
    if not form.is_valid():
        return _notes_page(request, enrolment_id, form)
    note = do_write_note(
        access.enrolment,
        kind=form.cleaned_data["kind"],
        body=form.cleaned_data["body"],
        acting_user=request.user,
    )
    messages.success(request, _("Note saved."))
    return redirect("care:note", enrolment_id=access.enrolment.pk, note_id=note.pk)


def _note_page(request, enrolment_id: int, note_id: int, form: CorrectionForm):
    access, note = access_note(request.user, enrolment_id, note_id)
    # Corrections are of the note's own kind (ClinicalNote.clean), so whoever reads the note reads them.
    corrections = list(note.corrections.order_by("created_at", "id"))
    context = {
        "access": access,
        "enrolment": access.enrolment,
        "note": note,
        "corrections": corrections,
        "corrected_ids": {note.pk} if corrections else set(),
        "form": form,
    }
    return form_page(request, "care/record/note.html", context)


@login_required
@never_cache
def note(request, enrolment_id: int, note_id: int):
    return _note_page(request, enrolment_id, note_id, CorrectionForm())


@login_required
@require_POST
def note_correct(request, enrolment_id: int, note_id: int):
    access = access_enrolment(request.user, enrolment_id, write=True)
    _access, corrected = access_note(request.user, enrolment_id, note_id)
    form = CorrectionForm(
        request.POST,
        instance=ClinicalNote(enrolment=access.enrolment, kind=corrected.kind, corrects=corrected),
    )
    if not form.is_valid():
        return _note_page(request, enrolment_id, note_id, form)
    try:
        note = do_write_note(
            access.enrolment,
            kind=corrected.kind,
            body=form.cleaned_data["body"],
            corrects=corrected,
            acting_user=request.user,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _note_page(request, enrolment_id, note_id, form)
    messages.success(request, _("Correction saved. The original note stays as it was."))
    return redirect("care:note", enrolment_id=access.enrolment.pk, note_id=note.pk)


@login_required
@never_cache
def my_notes(request, enrolment_id: int):
    """The member's own progress notes of one enrolment, ended enrolments too; never process notes."""
    enrolment, notes = access_own_progress_notes(request.user, enrolment_id)
    context = {"enrolment": enrolment, "notes": notes, "corrected_ids": corrected_ids(notes)}
    return form_page(request, "care/record/my_notes.html", context)


urlpatterns: list[URLPattern] = [
    path("enrolments/<int:enrolment_id>/", record, name="record"),
    path("enrolments/<int:enrolment_id>/notes/", notes, name="notes"),
    path("enrolments/<int:enrolment_id>/notes/<int:note_id>/", note, name="note"),
    path("enrolments/<int:enrolment_id>/notes/<int:note_id>/correct/", note_correct, name="note_correct"),
    path("my-care/<int:enrolment_id>/notes/", my_notes, name="my_notes"),
]
