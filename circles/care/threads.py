"""The secure thread between a member and their care team: unread counts and the notices of a new message.

A notice never carries the message, nor the member's name: it says only that there is a message, and
links to the thread, where the reader signs in to read it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from django.core.mail import send_mail
from django.db import connection
from django.db.backends.sqlite3.creation import DatabaseCreation as SqliteCreation
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from circles.accounts import push
from circles.care.models import CareTeamMember, Enrolment, Message, ThreadRead

log = logging.getLogger(__name__)


def unread_counts(user, enrolment_ids: Iterable[int], *, from_member: bool = True) -> dict[int, int]:
    """{enrolment id: how many messages from the member (or, with from_member=False, from the care team)
    arrived after `user` last opened that thread}. One query; threads with none unread are left out."""
    ids = list(enrolment_ids)
    if not ids:
        return {}
    last_read = ThreadRead.objects.filter(enrolment_id=OuterRef("enrolment_id"), user=user).values("read_at")
    rows = (
        Message.objects.filter(enrolment_id__in=ids, from_member=from_member)
        .annotate(last_read=Subquery(last_read[:1]))
        .filter(Q(last_read__isnull=True) | Q(sent_at__gt=F("last_read")))
        .values("enrolment_id")
        .annotate(unread=Count("id"))
        .order_by()
    )
    return {row["enrolment_id"]: row["unread"] for row in rows}


def in_background(task: Callable[[], None]) -> None:
    """Runs `task` in a thread of its own so a slow push service or mail server never holds the page
    (send_push and the mail backend each keep to their own deadline)."""
    if connection.vendor == "sqlite" and SqliteCreation.is_in_memory_db(connection.settings_dict["NAME"]):
        task()  # an in-memory database (the tests') cannot be reached from another thread
        return

    def run() -> None:
        try:
            task()
        finally:
            connection.close()

    threading.Thread(target=run, name="care-message-notice", daemon=True).start()


def _notify(user, subject: str, link: str, tag: str) -> None:
    """Push to the person's devices; email when no device took it. Never the message's words."""
    if not user.is_active:
        return
    title, body = subject, _("Open Circles to read it.")
    if push.has_push(user):
        try:
            if push.send_push(user, push.PushMessage(title=title, body=body, url=link, tag=tag)) > 0:
                return
        except push.PushFailed:
            log.warning("A new-message push was not taken by any device; sending an email instead")
    try:
        send_mail(title, f"{body}\n\n{link}\n", None, [user.email])
    except Exception:  # a mail server that is down must not break anything: the message is saved
        log.exception("A new-message email could not be sent")


def notify_new_message(message_id: int, *, origin: str, language: str) -> None:
    """Tells the other side of the thread that a message arrived (the member, or their care team)."""
    with translation.override(language):
        _notify_new_message(message_id, origin)


def _notify_new_message(message_id: int, origin: str) -> None:
    message = Message.objects.select_related("enrolment__member").filter(pk=message_id).first()
    if message is None:
        return
    enrolment: Enrolment = message.enrolment
    origin = origin.rstrip("/")
    if message.from_member:
        link = origin + reverse("care:enrolment_messages", args=[enrolment.pk])
        team = CareTeamMember.objects.filter(
            enrolment=enrolment, staff__ended_at__isnull=True
        ).select_related("staff__user")
        for member in team:
            _notify(member.staff.user, _("A member of your caseload sent a message"), link, "care-message")
    else:
        link = origin + reverse("care:my_messages", args=[enrolment.pk])
        _notify(enrolment.member, _("You have a new message from your care team"), link, "care-message")
