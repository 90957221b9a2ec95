"""Sessions staff schedule with a member, and their attendance; the member's sessions in their commitments
and calendar.

The member's commitments page (`network:commitment_list`, /network/commitments/) shows their upcoming
sessions above their commitments, so its view lives here, above the network app, and circles/urls.py
serves it in the network's section (docs/architecture.md).
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circles.care.access import access_enrolment, access_own_session, access_session, care_team_accesses
from circles.care.actions import (
    do_change_session,
    do_record_attendance,
    do_schedule_group_session,
    do_schedule_session,
)
from circles.care.calendar import CalendarEvent, calendar_text
from circles.care.forms import AttendanceForm, GroupSessionForm, SessionForm
from circles.care.models import Appointment, Attendance, EnrolmentStatus
from circles.lib.time import local_today
from circles.network.health import load_adherence
from circles.network.models import Commitment

# Past sessions shown on an enrolment's page: the latest, enough to record attendance and see a pattern.
PAST_SESSIONS_SHOWN = 20
# How far back the member's calendar feed reaches.
FEED_HISTORY = dt.timedelta(days=90)


def _ends_at(appointment: Appointment) -> dt.datetime:
    return appointment.starts_at + dt.timedelta(minutes=appointment.duration_minutes)


def _is_upcoming(appointment: Appointment, now: dt.datetime) -> bool:
    return appointment.starts_at > now and appointment.attendance == ""


def _sessions_page(request, care, form, status=200):
    now = timezone.now()
    sessions = Appointment.objects.filter(enrolment=care.enrolment).select_related("staff__user")
    upcoming = list(sessions.filter(starts_at__gt=now).exclude(attendance=Attendance.CANCELLED))
    past = list(sessions.filter(starts_at__lte=now).order_by("-starts_at", "-id")[:PAST_SESSIONS_SHOWN])
    context = {
        "care": care,
        "enrolment": care.enrolment,
        "upcoming": upcoming,
        "past": past,
        "form": form,
        "attendance_choices": Attendance.choices,
    }
    return render(request, "care/sessions/enrolment_sessions.html", context, status=status)


@login_required
def enrolment_sessions(request, enrolment_id: int):
    """An enrolled member's sessions for their care team, with a form to schedule another."""
    care = access_enrolment(request.user, enrolment_id, write=request.method == "POST")
    form = SessionForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            do_schedule_session(
                care.enrolment, form.save(commit=False), staff=care.staff, acting_user=request.user
            )
            messages.success(request, _("Session scheduled."))
            return redirect("care:enrolment_sessions", enrolment_id=care.enrolment.pk)
        return _sessions_page(request, care, form, status=400)
    return _sessions_page(request, care, form)


@login_required
def session_edit(request, enrolment_id: int, session_id: int):
    care, appointment = access_session(request.user, enrolment_id, session_id, write=request.method == "POST")
    if not _is_upcoming(appointment, timezone.now()):
        messages.error(request, _("Only a session still to come can be changed."))
        return redirect("care:enrolment_sessions", enrolment_id=care.enrolment.pk)
    form = SessionForm(request.POST or None, instance=appointment)
    if request.method == "POST" and form.is_valid():
        do_change_session(form.save(commit=False), acting_user=request.user)
        messages.success(request, _("Session changed."))
        return redirect("care:enrolment_sessions", enrolment_id=care.enrolment.pk)
    status = 400 if request.method == "POST" else 200
    context = {"care": care, "enrolment": care.enrolment, "form": form, "appointment": appointment}
    return render(request, "care/sessions/session_form.html", context, status=status)


@login_required
@require_POST
def session_cancel(request, enrolment_id: int, session_id: int):
    care, appointment = access_session(request.user, enrolment_id, session_id, write=True)
    if not _is_upcoming(appointment, timezone.now()):
        messages.error(request, _("Only a session still to come can be cancelled."))
        return redirect("care:enrolment_sessions", enrolment_id=care.enrolment.pk)
    do_record_attendance(appointment, Attendance.CANCELLED, acting_user=request.user)
    messages.success(request, _("Session cancelled."))
    return redirect("care:enrolment_sessions", enrolment_id=care.enrolment.pk)


@login_required
@require_POST
def session_attendance(request, enrolment_id: int, session_id: int):
    care, appointment = access_session(request.user, enrolment_id, session_id, write=True)
    form = AttendanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose attended, missed or cancelled."))
        return redirect("care:enrolment_sessions", enrolment_id=care.enrolment.pk)
    try:
        do_record_attendance(appointment, form.cleaned_data["attendance"], acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("care:enrolment_sessions", enrolment_id=care.enrolment.pk)
    messages.success(request, _("Attendance recorded."))
    return redirect("care:enrolment_sessions", enrolment_id=care.enrolment.pk)


@login_required
def staff_sessions(request):
    """The viewer's upcoming sessions across their caseload. Three queries whatever its size."""
    accesses = {access.enrolment.pk: access for access in care_team_accesses(request.user)}
    now = timezone.now()
    sessions = list(
        Appointment.objects.filter(enrolment_id__in=list(accesses), starts_at__gt=now, attendance="")
        .select_related("staff__user")
        .order_by("starts_at", "id")[:200]
    )
    rows = [(session, accesses[session.enrolment_id]) for session in sessions]
    return render(request, "care/sessions/staff_sessions.html", {"rows": rows, "now": now})


@login_required
def group_session(request):
    """Schedules one group session with several members of the viewer's caseload."""
    accesses = care_team_accesses(request.user)
    form = GroupSessionForm(request.POST or None, accesses=accesses)
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["members"])
        taking_part = [access for access in accesses if access.enrolment.pk in chosen]
        do_schedule_group_session(taking_part, form.save(commit=False), acting_user=request.user)
        messages.success(
            request, _("Group session scheduled with %(count)s members.") % {"count": len(taking_part)}
        )
        return redirect("care:sessions")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "care/sessions/group_form.html", {"form": form, "accesses": accesses}, status=status
    )


def member_upcoming_sessions(member, now: dt.datetime) -> list[Appointment]:
    """The member's sessions still to come (or under way) with the organizations they are enrolled with."""
    return list(
        Appointment.objects.filter(
            enrolment__member=member,
            enrolment__status=EnrolmentStatus.ACTIVE,
            starts_at__gt=now - dt.timedelta(hours=8),
            attendance="",
        )
        .select_related("enrolment__organization", "staff__user")
        .order_by("starts_at", "id")
    )


@login_required
def commitment_list(request):
    """The member's upcoming sessions, then their commitments and how they are kept."""
    now = timezone.now()
    sessions = [session for session in member_upcoming_sessions(request.user, now) if _ends_at(session) > now]
    commitments = list(Commitment.objects.filter(member=request.user).select_related("tie"))
    adherence = load_adherence(request.user, commitments)
    rows = [(commitment, adherence.get(commitment.pk)) for commitment in commitments]
    context = {"rows": rows, "today": local_today(request.user), "sessions": sessions}
    return render(request, "care/sessions/commitment_list.html", context)


def _event(request, appointment: Appointment) -> CalendarEvent:
    return CalendarEvent(
        uid=f"appointment-{appointment.pk}@{request.get_host().split(':')[0]}",
        starts_at=appointment.starts_at,
        ends_at=_ends_at(appointment),
        # No clinical words: a calendar is seen over a shoulder and synced to other services.
        summary=_("Session with %(name)s") % {"name": appointment.enrolment.organization.name},
        location=appointment.place,
    )


def _calendar_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def my_sessions_calendar(request):
    """The member's sessions as an iCalendar feed (RFC 5545), for their own calendar app."""
    now = timezone.now()
    sessions = (
        Appointment.objects.filter(
            enrolment__member=request.user,
            enrolment__status=EnrolmentStatus.ACTIVE,
            starts_at__gte=now - FEED_HISTORY,
        )
        .exclude(attendance=Attendance.CANCELLED)
        .select_related("enrolment__organization")
        .order_by("starts_at", "id")
    )
    text = calendar_text(
        (_event(request, session) for session in sessions), name=_("Circles sessions"), now=now
    )
    return _calendar_response(text, "circles-sessions.ics")


@login_required
def my_session_calendar(request, session_id: int):
    """One session of the member's as an .ics file to add to a calendar."""
    appointment = access_own_session(request.user, session_id)
    text = calendar_text([_event(request, appointment)], name=_("Circles sessions"), now=timezone.now())
    return _calendar_response(text, f"session-{appointment.pk}.ics")


urlpatterns: list[URLPattern] = [
    path("enrolments/<int:enrolment_id>/sessions/", enrolment_sessions, name="enrolment_sessions"),
    path("enrolments/<int:enrolment_id>/sessions/<int:session_id>/edit/", session_edit, name="session_edit"),
    path(
        "enrolments/<int:enrolment_id>/sessions/<int:session_id>/cancel/",
        session_cancel,
        name="session_cancel",
    ),
    path(
        "enrolments/<int:enrolment_id>/sessions/<int:session_id>/attendance/",
        session_attendance,
        name="session_attendance",
    ),
    path("sessions/", staff_sessions, name="sessions"),
    path("sessions/group/", group_session, name="session_group"),
    path("my-care/sessions.ics", my_sessions_calendar, name="my_sessions_calendar"),
    path("my-care/sessions/<int:session_id>.ics", my_session_calendar, name="my_session_calendar"),
]

# Served by circles/urls.py in the network's section, at /network/commitments/ as "network:commitment_list".
network_section = [path("commitments/", commitment_list, name="commitment_list")]
