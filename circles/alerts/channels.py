"""Sending one notification on its channel. Each sender raises `DeliveryFailed` when it did not go.

Messages carry the minimum necessary: the member's name, that they could use support now, and the
acknowledgement link. Never a check-in detail, a score or a reason.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import smtplib
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpEmailBackend
from django.db import connections
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from circles.accounts.push import PushFailed, PushMessage, send_push
from circles.alerts import logic
from circles.alerts.models import Notification
from circles.lib import outbound

log = logging.getLogger(__name__)

ANSWER_SALT = "circles.alerts.answer"  # the link does one thing: say "I'm reaching out" to one alert


class DeliveryFailed(Exception):
    """Not delivered. `permanent`: retrying cannot help (a refused number, a bad address).

    `destination_trouble`: the fault lies with the mail server, the SMS provider or the webhook's host
    (no answer in time, no connection, a server error), not with this one message; enough of those in a
    row back the destination off (delivery.py).
    """

    def __init__(self, message: str, *, permanent: bool = False, destination_trouble: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.destination_trouble = destination_trouble


def answer_token(notification_id: int) -> str:
    return signing.dumps(notification_id, salt=ANSWER_SALT)


def read_answer_token(token: str) -> int:
    """The notification a link was sent with; raises signing.BadSignature (or SignatureExpired)."""
    value = signing.loads(token, salt=ANSWER_SALT, max_age=settings.ALERT_ANSWER_LINK_HOURS * 3600)
    if type(value) is not int:
        raise signing.BadSignature("unexpected answer payload")
    return value


def answer_path(notification: Notification) -> str:
    return reverse("alerts:answer", kwargs={"token": answer_token(notification.pk)})


def answer_url(notification: Notification) -> str:
    return settings.SITE_URL.rstrip("/") + answer_path(notification)


@dataclass(frozen=True)
class Outgoing:
    """What every channel says, rendered once in the recipient's language."""

    name: str  # the member's display name
    link: str
    subject: str
    text: str  # email body
    short: str  # SMS and webhook text
    path: str  # the link on this site, for a push notification to open
    push_body: str  # the line under a push notification's title (the subject)


def compose(notification: Notification) -> Outgoing:
    member = notification.alert.member
    recipient = notification.recipient
    language = getattr(recipient, "language", "") or settings.LANGUAGE_CODE
    path = answer_path(notification)
    link = settings.SITE_URL.rstrip("/") + path
    context = {"name": member.display_name, "link": link, "hours": settings.ALERT_ANSWER_LINK_HOURS}
    with translation.override(language):
        return Outgoing(
            name=member.display_name,
            link=link,
            subject=render_to_string("alerts/email/ask_subject.txt", context).strip(),
            text=render_to_string("alerts/email/ask.txt", context),
            short=render_to_string("alerts/sms.txt", context).strip(),
            path=path,
            push_body=str(_("If you can, reach out. Tap to let them know you are.")),
        )


# --- Email over SMTP, within one deadline -------------------------------------------------------------
#
# smtplib's timeout, like any socket timeout, restarts with every byte: a mail server that trickles its
# answers could hold a send for as long as it likes. So the whole send (connecting, TLS, signing in, the
# message, QUIT) gets one deadline, EMAIL_TIMEOUT: when it passes, a timer shuts the connection down,
# whatever the send is waiting for, and the send fails as "no answer in time".
#
# The send also runs on a helper thread that the worker waits for until the same deadline, so nothing
# the cutoff cannot reach holds it longer either: looking up the mail server's name (which has no
# timeout of our own), or any other EMAIL_BACKEND (an email API's package, say), which has no socket
# for the cutoff to shut. Such a backend's send may still go through after the worker stopped waiting,
# and the retry sends the message again (at least once, never silently lost). Over SMTP it cannot: a
# connection made after the deadline is shut as soon as it is made.


class _Cutoff:
    """Shuts one send's connection down when its time is up; `expired` says whether it did."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Cutoff:
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None

    def watch(self, sock: socket.socket) -> None:
        """The connection to cut: a duplicate of the socket, which TLS wrapping later leaves untouched."""
        with self._lock:
            self._socket = sock.dup()
            if self.expired:  # connected after the deadline (a slow name lookup): shut it at once
                self._shut()
                self._socket.close()
                self._socket = None

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shut()

    def _shut(self) -> None:
        if self._socket is not None:
            try:
                self._socket.shutdown(socket.SHUT_RDWR)  # wakes a read or write blocked on any copy
            except OSError:
                pass  # already closed by the other side


class _SmtpWithCutoff(smtplib.SMTP):
    def __init__(self, cutoff: _Cutoff, *args, **kwargs) -> None:
        self.cutoff = cutoff
        super().__init__(*args, **kwargs)

    def _get_socket(self, host, port, timeout):
        sock = smtplib.SMTP._get_socket(self, host, port, timeout)
        self.cutoff.watch(sock)
        return sock


class _SmtpSslWithCutoff(smtplib.SMTP_SSL):
    def __init__(self, cutoff: _Cutoff, *args, **kwargs) -> None:
        self.cutoff = cutoff
        super().__init__(*args, **kwargs)

    def _get_socket(self, host, port, timeout):
        sock = smtplib.SMTP._get_socket(self, host, port, timeout)  # watched before the TLS handshake
        self.cutoff.watch(sock)
        return self.context.wrap_socket(sock, server_hostname=self._host)


class _SmtpBackendWithCutoff(SmtpEmailBackend):
    """Django's SMTP backend, whose connections the cutoff can shut down."""

    def __init__(self, cutoff: _Cutoff, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cutoff = cutoff

    @property
    def connection_class(self):
        smtp = _SmtpSslWithCutoff if self.use_ssl else _SmtpWithCutoff
        return functools.partial(smtp, self.cutoff)


def _email_connection(cutoff: _Cutoff):
    """Django's configured email backend; Django's own SMTP backend with the cutoff in its place."""
    if import_string(settings.EMAIL_BACKEND) is SmtpEmailBackend:
        return _SmtpBackendWithCutoff(cutoff, fail_silently=False)
    return get_connection(fail_silently=False)


def _send_within(message: EmailMessage, cutoff: _Cutoff, seconds: float) -> None:
    """Sends on a helper thread, waiting for it at most `seconds`; past that, the cutoff counts as expired."""
    failed: list[BaseException] = []

    def send() -> None:
        try:
            message.send()
        except BaseException as error:  # handed back to the waiting thread, which reports it
            failed.append(error)
        finally:
            connections.close_all()  # this thread's own, if the backend used the database (a mail queue)

    helper = threading.Thread(target=send, name="alerts-email", daemon=True)
    helper.start()
    helper.join(seconds)
    if helper.is_alive():
        cutoff.expired = True  # the worker gives up waiting; the send itself may still finish
        raise TimeoutError("the email backend did not answer in time")
    if failed:
        raise failed[0]


def send_email(notification: Notification, outgoing: Outgoing) -> None:
    key = notification.idempotency_key
    timeout = settings.EMAIL_TIMEOUT
    with _Cutoff(timeout) as cutoff:
        message = EmailMessage(
            outgoing.subject,
            outgoing.text,
            to=[notification.address],
            # One Message-ID per notification: a retry after an unknown outcome reads as the same message.
            headers={"Message-ID": f"<{key}@circles.alerts>", "X-Circles-Delivery": str(key)},
            connection=_email_connection(cutoff),
        )
        try:
            _send_within(message, cutoff, timeout)
        except smtplib.SMTPRecipientsRefused as error:  # 5xx for every recipient: no such mailbox
            codes = [code for code, _text in error.recipients.values()]
            permanent = bool(codes) and all(500 <= code < 600 for code in codes)
            raise DeliveryFailed(f"email: {type(error).__name__}: {error}", permanent=permanent) from error
        except smtplib.SMTPResponseException as error:  # the sender or the message refused
            permanent = 500 <= error.smtp_code < 600
            raise DeliveryFailed(f"email: {type(error).__name__}: {error}", permanent=permanent) from error
        except Exception as error:  # connection, socket and TLS errors alike: retry later
            if cutoff.expired:
                raise DeliveryFailed(
                    f"email: no answer within {timeout:g} s", destination_trouble=True
                ) from error
            raise DeliveryFailed(
                f"email: {type(error).__name__}: {error}", destination_trouble=True
            ) from error


# --- HTTP for Twilio and webhooks ----------------------------------------------------------------------
#
# circles/lib/outbound.py makes the request (one deadline, the address it checked, a capped read);
# here its outcome becomes a delivery outcome.


def _post(url: str, body: bytes, headers: dict[str, str], what: str, *, public_only: bool = False) -> None:
    """POSTs the body; raises DeliveryFailed unless the answer is 2xx. Redirects are not followed."""
    try:
        status = outbound.post(
            url, body, headers, what, timeout=settings.ALERT_HTTP_TIMEOUT, public_only=public_only
        )
    except outbound.OutboundFailed as error:
        raise DeliveryFailed(
            str(error), permanent=error.permanent, destination_trouble=error.destination_trouble
        ) from error
    if not 200 <= status < 300:
        retry = status >= 500 or status in (408, 409, 425, 429)
        trouble = status >= 500 or status in (408, 429)  # the server's state, not this one delivery
        raise DeliveryFailed(f"{what}: HTTP {status}", permanent=not retry, destination_trouble=trouble)


class ConsoleSms:
    """Development: prints the text message instead of sending it."""

    def send(self, to: str, text: str, key: str) -> None:
        print(f"[text message to {to}] {text}")  # noqa: T201 — the development console is the channel


class TwilioSms:
    """Twilio's Messages REST API: POST form fields with the account SID and auth token (basic auth).

    Twilio's Messages resource takes no idempotency key, so a retry after a lost response can send a
    second text; docs/alerts.md says so.
    """

    def __init__(self) -> None:
        self.sid = settings.TWILIO_ACCOUNT_SID
        self.token = settings.TWILIO_AUTH_TOKEN
        self.sender = settings.TWILIO_FROM_NUMBER
        self.service = settings.TWILIO_MESSAGING_SERVICE_SID
        self.base = settings.TWILIO_API_BASE.rstrip("/")

    def send(self, to: str, text: str, key: str) -> None:
        fields = {"To": to, "Body": text}
        if self.service:
            fields["MessagingServiceSid"] = self.service
        else:
            fields["From"] = self.sender
        credentials = base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        url = f"{self.base}/2010-04-01/Accounts/{urllib.parse.quote(self.sid)}/Messages.json"
        _post(
            url,
            urllib.parse.urlencode(fields).encode(),
            {
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            "text message",
        )


def sms_provider():
    if settings.SMS_PROVIDER == "twilio":
        return TwilioSms()
    return ConsoleSms()


def send_sms(notification: Notification, outgoing: Outgoing) -> None:
    sms_provider().send(notification.address, outgoing.short, str(notification.idempotency_key))


def send_webhook(notification: Notification, outgoing: Outgoing) -> None:
    key = str(notification.idempotency_key)
    body = json.dumps(
        {
            "type": "alert.support_requested",
            "delivery_id": key,
            "alert_id": notification.alert_id,
            "member_name": outgoing.name,
            "text": outgoing.short,
            "acknowledge_url": outgoing.link,
        },
        separators=(",", ":"),
    ).encode()
    timestamp = int(time.time())
    signature = logic.webhook_signature(notification.webhook_secret, timestamp, body)
    _post(
        notification.address,
        body,
        {
            "Content-Type": "application/json",
            "User-Agent": "Circles-Alerts/1",
            logic.TIMESTAMP_HEADER: str(timestamp),
            logic.SIGNATURE_HEADER: f"v1={signature}",
            logic.IDEMPOTENCY_HEADER: key,
        },
        "webhook",
        public_only=not settings.ALERT_WEBHOOK_ALLOW_PRIVATE,
    )


def send_push_notification(notification: Notification, outgoing: Outgoing) -> None:
    """Web Push to every device of the recipient's account: the member's name and the answer link only.

    A device the push service no longer knows is forgotten on the way (circles/accounts/push.py); when
    none is left the notification cannot be delivered, as with an address that does not exist.
    """
    recipient = notification.recipient
    if recipient is None:
        raise DeliveryFailed("push: the account is gone", permanent=True)
    message = PushMessage(
        title=outgoing.subject,
        body=outgoing.push_body,
        url=outgoing.path,
        tag=f"alert-{notification.alert_id}",
        urgent=True,  # someone could use support now: wake the device, whatever the alert's kind
    )
    try:
        accepted = send_push(recipient, message)
    except PushFailed as error:
        raise DeliveryFailed(
            str(error), permanent=error.permanent, destination_trouble=error.destination_trouble
        ) from error
    if accepted == 0:
        raise DeliveryFailed("push: no device of theirs takes notifications any more", permanent=True)


SENDERS = {
    logic.EMAIL: send_email,
    logic.SMS: send_sms,
    logic.WEBHOOK: send_webhook,
    logic.PUSH: send_push_notification,
}


def deliver(notification: Notification) -> None:
    """Sends one notification; raises DeliveryFailed. In-app notifications need no sending."""
    sender = SENDERS.get(notification.channel)
    if sender is None:
        return
    sender(notification, compose(notification))
