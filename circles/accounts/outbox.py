"""Sending the emails queued as PendingAccountEmail (address confirmation, password reset), in the worker.

The request that queued one did the same work whatever the address; here the account is looked up and
the right email, or none, is sent. A row is deleted once sent (no address lingers), and retried with a
growing wait while the mail server is away.
"""

import logging
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from circles.accounts.models import PendingAccountEmail, User

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 20
VERIFY_SALT = "circles.accounts.verify-address"
VERIFY_MAX_AGE = timedelta(days=3)


def verification_token(user: User) -> str:
    # Signed with SECRET_KEY and bound to the address: it stops working if the address changes.
    return signing.dumps({"user": user.pk, "email": user.email}, salt=VERIFY_SALT, compress=True)


def user_for_verification_token(token: str) -> User | None:
    """The unverified or verified account the link was made for, or None if it is forged or too old."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    return User.objects.filter(pk=data["user"], email=data.get("email"), is_active=True).first()


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _render(kind: str, user: User, context: dict) -> tuple[str, str]:
    context = {"user": user, **context}
    with timezone.override(user.timezone):
        subject = " ".join(render_to_string(f"accounts/email/{kind}_subject.txt", context).split())
        body = render_to_string(f"accounts/email/{kind}.txt", context)
    return subject, body


def message_for(pending: PendingAccountEmail) -> tuple[str, str] | None:
    """(subject, body) for this row, or None when nothing is to be sent (no such account)."""
    user = User.objects.filter(email=pending.address, is_active=True).first()
    if user is None:
        return None
    if pending.kind == PendingAccountEmail.Kind.PASSWORD_RESET:
        if not user.has_usable_password():
            return None
        link = _site(
            reverse(
                "accounts:password_reset_confirm",
                kwargs={
                    "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                    "token": default_token_generator.make_token(user),
                },
            )
        )
        return _render(
            "password_reset", user, {"link": link, "expiry_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}
        )
    if user.email_verified_at is None:
        link = _site(reverse("accounts:verify_address", kwargs={"token": verification_token(user)}))
        if pending.next_path:
            link += "?" + urlencode({"next": pending.next_path})
        return _render("verify_address", user, {"link": link, "days": VERIFY_MAX_AGE.days})
    # The address already has a confirmed account: its owner hears that someone tried to sign up.
    return _render(
        "signup_attempt",
        user,
        {
            "login_link": _site(reverse("accounts:login")),
            "reset_link": _site(reverse("accounts:password_reset")),
        },
    )


def send_pending_account_emails(now=None) -> int:
    """Sends what is due; returns how many rows were handled."""
    now = now or timezone.now()
    handled = 0
    due = list(
        PendingAccountEmail.objects.filter(next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    for pk in due:
        with transaction.atomic():
            pending = (
                PendingAccountEmail.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, next_attempt_at__lte=now)
                .first()
            )
            if pending is None:  # another worker has it
                continue
            handled += 1
            message = message_for(pending)
            try:
                if message is not None:
                    send_mail(message[0], message[1], None, [pending.address])
            except Exception:
                pending.attempts += 1
                if pending.attempts >= MAX_ATTEMPTS:
                    log.error(
                        "accounts: gave up sending a %s email after %d attempts",
                        pending.kind,
                        pending.attempts,
                    )
                    pending.delete()
                else:
                    log.warning(
                        "accounts: could not send a %s email; will retry", pending.kind, exc_info=True
                    )
                    pending.next_attempt_at = now + timedelta(seconds=min(600, 5 * 2**pending.attempts))
                    pending.save(update_fields=["attempts", "next_attempt_at"])
                continue
            pending.delete()
    return handled
