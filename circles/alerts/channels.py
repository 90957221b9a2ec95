"""Sending one notification on its channel. Each sender raises `DeliveryFailed` when it did not go.

Messages carry the minimum necessary: the member's name, that they could use support now, and the
acknowledgement link. Never a check-in detail, a score or a reason.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import logging
import smtplib
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from circles.alerts import logic
from circles.alerts.models import Notification

log = logging.getLogger(__name__)

ANSWER_SALT = "circles.alerts.answer"  # the link does one thing: say "I'm reaching out" to one alert


class DeliveryFailed(Exception):
    """Not delivered. `permanent`: retrying cannot help (a refused number, a bad address)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def answer_token(notification_id: int) -> str:
    return signing.dumps(notification_id, salt=ANSWER_SALT)


def read_answer_token(token: str) -> int:
    """The notification a link was sent with; raises signing.BadSignature (or SignatureExpired)."""
    value = signing.loads(token, salt=ANSWER_SALT, max_age=settings.ALERT_ANSWER_LINK_HOURS * 3600)
    if type(value) is not int:
        raise signing.BadSignature("unexpected answer payload")
    return value


def answer_url(notification: Notification) -> str:
    path = reverse("alerts:answer", kwargs={"token": answer_token(notification.pk)})
    return settings.SITE_URL.rstrip("/") + path


@dataclass(frozen=True)
class Outgoing:
    """What every channel says, rendered once in the recipient's language."""

    name: str  # the member's display name
    link: str
    subject: str
    text: str  # email body
    short: str  # SMS and webhook text


def compose(notification: Notification) -> Outgoing:
    member = notification.alert.member
    recipient = notification.recipient
    language = getattr(recipient, "language", "") or settings.LANGUAGE_CODE
    link = answer_url(notification)
    context = {"name": member.display_name, "link": link, "hours": settings.ALERT_ANSWER_LINK_HOURS}
    with translation.override(language):
        return Outgoing(
            name=member.display_name,
            link=link,
            subject=render_to_string("alerts/email/ask_subject.txt", context).strip(),
            text=render_to_string("alerts/email/ask.txt", context),
            short=render_to_string("alerts/sms.txt", context).strip(),
        )


def send_email(notification: Notification, outgoing: Outgoing) -> None:
    key = notification.idempotency_key
    message = EmailMessage(
        outgoing.subject,
        outgoing.text,
        to=[notification.address],
        # One Message-ID per notification: a retry after an unknown outcome reads as the same message.
        headers={"Message-ID": f"<{key}@circles.alerts>", "X-Circles-Delivery": str(key)},
        connection=get_connection(fail_silently=False),
    )
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:  # 5xx for every recipient: no such mailbox
        codes = [code for code, _text in error.recipients.values()]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        raise DeliveryFailed(f"email: {type(error).__name__}: {error}", permanent=permanent) from error
    except smtplib.SMTPResponseException as error:  # the sender or the message refused
        permanent = 500 <= error.smtp_code < 600
        raise DeliveryFailed(f"email: {type(error).__name__}: {error}", permanent=permanent) from error
    except Exception as error:  # connection, socket and TLS errors alike: retry later
        raise DeliveryFailed(f"email: {type(error).__name__}: {error}") from error


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer, not an instruction to post somewhere else


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict[str, str], what: str) -> bytes:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=settings.ALERT_HTTP_TIMEOUT) as response:
            return response.read(65536)
    except urllib.error.HTTPError as error:
        error.close()  # it holds the connection open until collected
        retry = error.code >= 500 or error.code in (408, 409, 425, 429)
        raise DeliveryFailed(f"{what}: HTTP {error.code}", permanent=not retry) from error
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        raise DeliveryFailed(f"{what}: {type(error).__name__}: {error}") from error


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


def _public_host(url: str) -> None:
    """Refuses webhook addresses on this machine or a private network, unless the deployment allows it."""
    try:
        parts = urllib.parse.urlsplit(url)
        hostname, port = parts.hostname, parts.port
    except ValueError:
        raise DeliveryFailed("webhook: not a valid address", permanent=True) from None
    if parts.scheme not in ("https", "http") or not hostname:
        raise DeliveryFailed("webhook: not an http(s) address", permanent=True)
    if settings.ALERT_WEBHOOK_ALLOW_PRIVATE:
        return
    if parts.scheme != "https":
        raise DeliveryFailed("webhook: only https addresses are allowed", permanent=True)
    try:
        infos = socket.getaddrinfo(hostname, port or 443, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise DeliveryFailed(f"webhook: {error}") from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise DeliveryFailed("webhook: the address is not on the public internet", permanent=True)


def send_webhook(notification: Notification, outgoing: Outgoing) -> None:
    _public_host(notification.address)
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
    )


SENDERS = {logic.EMAIL: send_email, logic.SMS: send_sms, logic.WEBHOOK: send_webhook}


def deliver(notification: Notification) -> None:
    """Sends one notification; raises DeliveryFailed. In-app notifications need no sending."""
    sender = SENDERS.get(notification.channel)
    if sender is None:
        return
    sender(notification, compose(notification))
