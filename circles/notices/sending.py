"""Sending due reminders and notices: the worker's job, a chunk of people at a time.

Each notice is first claimed by inserting its `SentNotice` row (unique per person, kind and occurrence)
in a transaction of its own; only the worker whose insert succeeded sends it, so a retry or a second
worker never sends it twice. A notice is sent at most once: if the push service and the mail server both
fail it is recorded as not delivered, not retried (a reminder hours late helps nobody).

Channels: "email"; "push" (to every device; with no device, or none that accepted, it is not delivered);
"push, else email" (email when no device took the push). Texts name no health detail.
"""

import datetime as dt
import logging
from collections.abc import Iterator

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from circles.accounts import push
from circles.lib.time import user_zone
from circles.notices import logic
from circles.notices.due import due_now, opted_in
from circles.notices.models import ReminderPreferences, SentNotice

log = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "circles.notices.unsubscribe"
NOTICE_RETENTION = dt.timedelta(days=60)


def unsubscribe_token(person_id: int, kind: str) -> str:
    """A signed token naming the person and the kind; it works for as long as the SECRET_KEY does."""
    return signing.dumps({"person": person_id, "kind": kind}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """(person id, kind); raises signing.BadSignature when the token was altered or is not one of ours."""
    value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if (
        not isinstance(value, dict)
        or type(value.get("person")) is not int
        or value.get("kind") not in logic.KINDS
    ):
        raise signing.BadSignature("unexpected unsubscribe payload")
    return value["person"], value["kind"]


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def wording(due: logic.Due, zone) -> tuple[str, str, str]:
    """(title, body, path of the page it opens): the minimum, never a health detail.

    The title and body show on a lock screen (a push) or in an inbox (the email's subject), so they name
    nobody and nothing the member named: a supporter saved as "NA sponsor" or a commitment called
    "AA meeting" would say what the member is recovering from. Circles itself shows who and what.
    """
    if due.kind == logic.CHECKIN:
        return (
            _("Time for your check-in"),
            _("How is today going? It takes a minute."),
            reverse("checkins:today"),
        )
    if due.kind == logic.QUESTIONNAIRE:
        return (
            _("You have a questionnaire ready"),
            _("A short questionnaire is ready when you are."),
            reverse("checkins:measures"),
        )
    if due.kind == logic.ENCOURAGEMENT:
        return (
            _("Someone sent you encouragement"),
            _("Open Circles to read it."),
            reverse("network:tie_detail", args=[due.object_id]),
        )
    if due.kind == logic.COMMITMENT:
        starts = time_format(due.starts_at.astimezone(zone), "TIME_FORMAT") if due.starts_at else ""
        return (
            _("A commitment starts soon"),
            _("One of your commitments starts at %(time)s, your time.") % {"time": starts},
            reverse("network:commitment_list"),
        )
    return (
        _("Someone accepted your invitation"),
        _("Open Circles to see who. They can now see what you choose to share with them."),
        reverse("network:tie_detail", args=[due.object_id]),
    )


def claim(preferences: ReminderPreferences, due: logic.Due) -> SentNotice | None:
    """The notice's row, inserted now; None when it exists already (sent, or being sent elsewhere)."""
    try:
        with transaction.atomic():
            return SentNotice.objects.create(
                person_id=preferences.person_id, kind=due.kind, occurrence=due.occurrence
            )
    except IntegrityError:
        return None


def send_email(preferences: ReminderPreferences, kind: str, title: str, body: str, path: str) -> None:
    person = preferences.person
    unsubscribe = site_url(reverse("notices:unsubscribe", args=[unsubscribe_token(person.pk, kind)]))
    context = {
        "person": person,
        "title": title,
        "body": body,
        "link": site_url(path),
        "preferences_link": site_url(reverse("accounts:reminders")),
        "unsubscribe_link": unsubscribe,
    }
    text = render_to_string("notices/email/notice.txt", context)
    message = EmailMessage(
        title,
        text,
        to=[person.email],
        headers={
            # RFC 8058: mail programs offer "unsubscribe" and send a POST without opening a browser.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.send()


def deliver(preferences: ReminderPreferences, due: logic.Due, notice: SentNotice) -> None:
    """Sends one claimed notice by the person's channel for its kind and records the outcome."""
    person = preferences.person
    channel = preferences.channel(due.kind)
    zone = user_zone(person)  # a zone name that is not (or no longer) known: UTC, not a lost notice
    with timezone.override(zone):
        title, body, path = wording(due, zone)
    reason = ""
    if channel in (logic.PUSH, logic.PUSH_ELSE_EMAIL):
        try:
            accepted = push.send_push(
                person, push.PushMessage(title=title, body=body, url=path, tag=f"circles-{due.kind}")
            )
        except push.PushFailed as error:
            # Coarse: the error names a push service's address and its connection error, and the
            # reason is in the person's data download. The detail goes to the log.
            log.warning("notices: push to user %s failed: %s", person.pk, error)
            accepted, reason = 0, "push: failed"
        except Exception as error:  # a fault in push must not stop everyone else's reminders
            log.exception("notices: push to user %s failed", person.pk)
            accepted, reason = 0, f"push: {type(error).__name__}"
        else:
            reason = "" if accepted else "push: no device"
        if accepted:
            _record(notice, SentNotice.Status.SENT, logic.PUSH)
            return
        if channel == logic.PUSH:
            _record(notice, SentNotice.Status.NOT_DELIVERED, "", reason)
            return
    try:
        send_email(preferences, due.kind, title, body, path)
    except Exception as error:  # the mail server refused or is away: recorded, not retried
        log.warning("notices: email to user %s failed", person.pk, exc_info=True)
        _record(
            notice,
            SentNotice.Status.NOT_DELIVERED,
            "",
            f"{reason} email: {type(error).__name__}".strip()[:200],
        )
        return
    _record(notice, SentNotice.Status.SENT, logic.EMAIL)


def _record(notice: SentNotice, status: str, channel: str, reason: str = "") -> None:
    notice.status, notice.channel, notice.reason = status, channel, reason
    notice.save(update_fields=["status", "channel", "reason"])


def send_due_reminders(now: dt.datetime) -> Iterator[int]:
    """The worker's periodic job: sends what is due now, yielding how many were sent per chunk.

    `now` is when the job started. Sending takes time (a slow mail server, the worker running other
    jobs between chunks), so each chunk looks at the clock again, and each notice is checked once more
    just before it is claimed: a commitment's reminder never goes out once the commitment has started.
    """
    # A row only has to outlive the chance of its occurrence coming round again (a day for most kinds);
    # a questionnaire left undone that long is told once more.
    SentNotice.objects.filter(created_at__lt=now - NOTICE_RETENTION).delete()
    for chunk in opted_in():
        sent = 0
        for preferences, due in due_now(chunk, max(now, timezone.now())):
            if not due.sendable(max(now, timezone.now())):
                continue  # it became pointless while the ones before it were sent
            notice = claim(preferences, due)
            if notice is None:
                continue
            try:
                deliver(preferences, due, notice)
            except Exception:  # a fault with one person must not stop everyone else's reminders
                log.exception("notices: %s notice to user %s failed", due.kind, preferences.person_id)
                _record(notice, SentNotice.Status.NOT_DELIVERED, "", "error")
                continue
            sent += 1
        yield sent
