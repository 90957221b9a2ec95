"""Web Push (RFC 8030) to a person's devices, signed with VAPID (RFC 8292) and encrypted for each browser
(RFC 8291, aes128gcm). docs/push.md says how it fits together.

pywebpush and py_vapid do what the field trusts them for, the encryption and the signed token. The
request itself goes through circles/lib/outbound.py: a browser hands us the endpoint, so it is an
address from outside, and the send must hold one deadline, read a capped answer and refuse anything on
this machine or a private network, as a webhook does.

Payloads carry the minimum ("Riley could use support now" and a link), never health details: the push
service relays them, and a locked phone may show them.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from py_vapid import Vapid
from pywebpush import WebPusher

from circles.accounts.actions import do_forget_push_subscription
from circles.accounts.models import PushSubscription, User
from circles.lib import outbound
from circles.lib.vapid import private_key_from

TOKEN_HOURS = 12  # a VAPID token's life (RFC 8292 allows up to 24 hours)
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # RFC 8030 Topic: base64url, at most 32 characters


@dataclass(frozen=True)
class PushMessage:
    title: str  # minimum words, never health details ("Riley could use support now")
    body: str
    url: str  # a path on this site the notification opens, e.g. "/alerts/answer/…"
    tag: str  # notifications with one tag replace each other on the device
    urgent: bool = False  # Urgency: high (alerts) vs normal (reminders)

    def payload(self) -> bytes:
        """What the service worker receives once the browser decrypts it."""
        fields = {"title": self.title, "body": self.body, "url": self.url, "tag": self.tag}
        return json.dumps(fields, separators=(",", ":")).encode()


class PushFailed(Exception):
    """No device of the person took the message. `permanent`: retrying cannot help.

    `destination_trouble`: a push service failed (no answer in time, a server error), not the message.
    """

    def __init__(self, message: str, *, permanent: bool = False, destination_trouble: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.destination_trouble = destination_trouble


def is_configured() -> bool:
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY and settings.VAPID_SUBJECT)


def has_push(user: User) -> bool:
    """Whether a push to this person could reach a device of theirs."""
    return is_configured() and user.is_active and PushSubscription.objects.filter(user=user).exists()


def accounts_with_push(user_ids) -> set[int]:
    """Which of these accounts a push could reach (has_push for many): one query, none without keys."""
    ids = {pk for pk in user_ids if pk is not None}
    if not ids or not is_configured():
        return set()
    return set(
        PushSubscription.objects.filter(user_id__in=ids, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def origin(endpoint: str) -> str:
    """The push service's origin, the token's audience: scheme, host and a port other than the default."""
    parts = urllib.parse.urlsplit(endpoint)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme == "https" else 80
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{host}{port}"


def request_for(subscription: PushSubscription, message: PushMessage) -> tuple[bytes, dict[str, str]]:
    """The encrypted body and the headers of one push to one device."""
    keys = {"p256dh": subscription.p256dh, "auth": subscription.auth}
    encrypted = WebPusher({"endpoint": subscription.endpoint, "keys": keys}).encode(
        message.payload(), content_encoding="aes128gcm"
    )
    claims = {
        "aud": origin(subscription.endpoint),
        "sub": settings.VAPID_SUBJECT,
        "exp": int(time.time()) + TOKEN_HOURS * 3600,
    }
    vapid = Vapid(private_key_from(settings.VAPID_PRIVATE_KEY))
    headers = {
        "Authorization": vapid.sign(claims)["Authorization"],
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(settings.PUSH_TTL_SECONDS),
        "Urgency": "high" if message.urgent else "normal",
    }
    if _TOPIC.match(message.tag):  # a newer message with this topic replaces one still waiting
        headers["Topic"] = message.tag
    return encrypted["body"], headers


def _now() -> float:
    return time.monotonic()


def send_one(subscription: PushSubscription, message: PushMessage, *, timeout: float | None = None) -> int:
    """Sends to one device within `timeout` seconds (PUSH_TIMEOUT by default) and returns the push
    service's status; raises outbound.OutboundFailed."""
    body, headers = request_for(subscription, message)
    return outbound.post(
        subscription.endpoint,
        body,
        headers,
        "push",
        timeout=settings.PUSH_TIMEOUT if timeout is None else timeout,
        public_only=True,
        loopback_ok=settings.PUSH_ALLOW_LOOPBACK,
    )


def send_push(user: User, message: PushMessage) -> int:
    """Sends to every device of the person; returns how many push services accepted the message.

    0 when the person has none, the account is deactivated, or push is not set up here. A 404 or 410
    answer means the browser dropped the subscription: it is deleted. Raises PushFailed when the person
    had devices and none took the message for another reason.
    """
    if not is_configured() or not user.is_active:
        return 0
    deadline = _now() + settings.PUSH_TIMEOUT
    accepted = 0
    failures: list[PushFailed] = []
    for subscription in PushSubscription.objects.filter(user=user).order_by("id"):
        left = deadline - _now()
        if left <= 0:
            failures.append(
                PushFailed(f"push: no answer within {settings.PUSH_TIMEOUT:g} s", destination_trouble=True)
            )
            break
        try:
            status = send_one(subscription, message, timeout=left)
        except outbound.OutboundFailed as error:
            failures.append(
                PushFailed(
                    str(error), permanent=error.permanent, destination_trouble=error.destination_trouble
                )
            )
            continue
        if 200 <= status < 300:
            accepted += 1
            PushSubscription.objects.filter(pk=subscription.pk).update(last_used_at=timezone.now())
        elif status in (404, 410):
            do_forget_push_subscription(subscription)
        else:
            retry = status >= 500 or status in (408, 429)
            failures.append(
                PushFailed(f"push: HTTP {status}", permanent=not retry, destination_trouble=retry)
            )
    if accepted == 0 and failures:
        if len(failures) == 1:
            raise failures[0]
        raise PushFailed(
            "; ".join(str(failure) for failure in failures),
            permanent=all(failure.permanent for failure in failures),
            destination_trouble=any(failure.destination_trouble for failure in failures),
        )
    return accepted
