"""The secure thread between a member and their care team: the member's side, the care team's side, and
the staff inbox of their caseload's threads."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from circles.audit.trail import record
from circles.care.access import (
    access_enrolment,
    access_own_enrolment,
    care_team_accesses,
    shares_with_care_team,
)
from circles.care.actions import do_mark_thread_read, do_send_message
from circles.care.forms import MessageForm
from circles.care.models import Enrolment, Message
from circles.care.threads import unread_counts

# Messages shown on a thread's page: the latest, oldest first.
THREAD_MESSAGES_SHOWN = 200


def _origin(request) -> str:
    return request.build_absolute_uri("/")


def _thread(request, enrolment: Enrolment, form, *, from_member: bool, can_send: bool, status: int = 200):
    shown = list(
        Message.objects.filter(enrolment=enrolment).order_by("-sent_at", "-id")[:THREAD_MESSAGES_SHOWN]
    )
    shown.reverse()
    do_mark_thread_read(enrolment, request.user)
    record(
        "care.message.view", request.user, subject=enrolment.member_id, object_ref=f"enrolment:{enrolment.pk}"
    )
    context = {
        "enrolment": enrolment,
        "thread": shown,
        "form": form,
        "from_member": from_member,
        "can_send": can_send,
    }
    return render(request, "care/messages/thread.html", context, status=status)


def _send(request, enrolment: Enrolment, *, from_member: bool, can_send: bool, again: str):
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            do_send_message(
                enrolment,
                form.cleaned_data["body"],
                from_member=from_member,
                origin=_origin(request),
                acting_user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            flash.success(request, _("Message sent."))
            return redirect(again, enrolment.pk)
    return _thread(request, enrolment, form, from_member=from_member, can_send=can_send, status=400)


@login_required
def my_messages(request, enrolment_id: int):
    """The member's thread with their care team at one organization; readable after the enrolment ends,
    open to new messages only while it is active."""
    enrolment = access_own_enrolment(request.user, enrolment_id)
    can_send = shares_with_care_team(enrolment)
    if request.method == "POST":
        return _send(request, enrolment, from_member=True, can_send=can_send, again="care:my_messages")
    return _thread(request, enrolment, MessageForm(), from_member=True, can_send=can_send)


@login_required
def enrolment_messages(request, enrolment_id: int):
    """The care team's side of an enrolled member's thread."""
    care = access_enrolment(request.user, enrolment_id, write=request.method == "POST")
    if request.method == "POST":
        return _send(
            request, care.enrolment, from_member=False, can_send=True, again="care:enrolment_messages"
        )
    return _thread(request, care.enrolment, MessageForm(), from_member=False, can_send=True)


@login_required
def inbox(request):
    """The threads of the viewer's caseload, newest first, with how many messages from each member they
    have not read. Four queries whatever the caseload's size."""
    accesses = care_team_accesses(request.user)
    ids = [access.enrolment.pk for access in accesses]
    latest = dict(
        Message.objects.filter(enrolment_id__in=ids)
        .values("enrolment_id")
        .annotate(latest=Max("sent_at"))
        .order_by()
        .values_list("enrolment_id", "latest")
    )
    unread = unread_counts(request.user, ids)
    rows = [
        (access, latest.get(access.enrolment.pk), unread.get(access.enrolment.pk, 0)) for access in accesses
    ]
    # Threads with messages first, the newest at the top; then members with no message yet, by name.
    rows.sort(key=lambda row: row[0].member.display_name.lower())
    rows.sort(key=lambda row: (row[1] is None, -(row[1].timestamp() if row[1] else 0)))
    return render(request, "care/messages/inbox.html", {"rows": rows})


urlpatterns: list[URLPattern] = [
    path("my-care/<int:enrolment_id>/messages/", my_messages, name="my_messages"),
    path("enrolments/<int:enrolment_id>/messages/", enrolment_messages, name="enrolment_messages"),
    path("messages/", inbox, name="messages"),
]
