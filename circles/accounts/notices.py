"""Telling a person by email that something happened to their account (a token made, a password
changed, two-factor sign-in added or removed), so a change made by someone else does not go unnoticed.

Each notice is two templates, accounts/email/<kind>_subject.txt and accounts/email/<kind>.txt, rendered
at once and sent after the change is saved: a mail server that is down never undoes the change.
"""

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from circles.accounts.models import User
from circles.lib.client import current_client_address


def send_account_notice(user: User, kind: str, context: dict | None = None) -> None:
    """Renders the notice `kind` for `user` now and sends it once the surrounding transaction commits."""
    context = {
        "user": user,
        "when": timezone.now(),
        "client_address": current_client_address() or None,
        **(context or {}),
    }
    with timezone.override(user.timezone):
        subject = " ".join(render_to_string(f"accounts/email/{kind}_subject.txt", context).split())
        body = render_to_string(f"accounts/email/{kind}.txt", context)
    address = user.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [address]), robust=True)
