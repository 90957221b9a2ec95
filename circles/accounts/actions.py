"""Changes to accounts: sign-up, tokens, signing out everywhere, export and erasure of one's data."""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import logout
from django.contrib.sessions.models import Session
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from circles.accounts import export
from circles.accounts.models import PersonalAccessToken, Role, User, new_session_secret
from circles.audit.trail import record
from circles.sharing.models import Invitation

EXPORT_FORMATS = {"json": export.export_json, "fhir": export.export_fhir}


@transaction.atomic
def do_sign_up(*, email: str, password: str, display_name: str, timezone_name: str) -> User:
    """Creates an account that starts as a member: everyone can map their own circle."""
    user = User.objects.create_user(
        email=email, password=password, display_name=display_name, timezone=timezone_name
    )
    do_grant_role(user, Role.Kind.MEMBER)
    return user


def do_grant_role(user: User, kind: str) -> Role:
    role, _created = Role.objects.get_or_create(user=user, kind=kind)
    return role


def do_create_token(user: User, name: str) -> tuple[PersonalAccessToken, str]:
    """Returns the stored token and the raw value, which is shown once and never again."""
    raw, token_hash = PersonalAccessToken.generate()
    token = PersonalAccessToken.objects.create(
        user=user, name=name, token_hash=token_hash, hint=raw[: len("circ_") + 4]
    )
    return token, raw


def do_revoke_token(token: PersonalAccessToken, *, acting_user: User) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def do_sign_out_everywhere(request, *, acting_user: User) -> None:
    """Ends every session of the account, this one included, by changing the session secret.

    Personal access tokens are not sessions: they stay until revoked one by one.
    """
    acting_user.session_secret = new_session_secret()
    acting_user.save(update_fields=["session_secret"])
    if hasattr(request, "session"):
        logout(request)


def _mail_after_commit(template: str, address: str, context: dict) -> None:
    """Renders now (the account may be gone by then) and sends once the change is saved.

    A mail server that is down must not undo the change, nor turn a finished change into an error page.
    """
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"accounts/email/{template}.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [address]), robust=True)


def do_export_account(user: User, data_format: str, *, acting_user: User) -> dict:
    """Everything Circles holds about the person, as "json" or as a FHIR Bundle ("fhir").

    Audited, and confirmed by email so that a download by someone else does not go unnoticed.
    """
    # Built outside the transaction: on SQLite a transaction holds the one write lock while it lasts.
    document = EXPORT_FORMATS[data_format](user)
    with transaction.atomic():
        record("account.export", acting_user, subject=user, object_ref=f"format:{data_format}")
        _mail_after_commit("export_done", user.email, {"data_format": data_format})
    return document


def _sessions_of(user: User) -> list[str]:
    # Sessions store the account number inside their encoded data, so each live one is read.
    keys = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            keys.append(session.session_key)
    return keys


@transaction.atomic
def do_erase_account(user: User, *, acting_user: User) -> None:
    """Removes the account and everything in it: ties, notes, check-ins, answers, consents, tokens.

    The audit trail stays as it was: its rows name people by account number only, and once the account
    is gone that number leads to nobody. What other members wrote down themselves stays theirs: their
    ties to the person (which lose the link to the account) and the encouragement the person sent them.
    """
    address = user.email
    record("account.erase", acting_user, subject=user, object_ref=f"account:{user.pk}")
    # Log-in records are kept by address, not by account.
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__iexact=address).delete()
    Session.objects.filter(session_key__in=_sessions_of(user)).delete()
    # Invitations the person accepted were sent to their address; the inviting member keeps the record
    # that the invitation was accepted, without the address.
    Invitation.objects.filter(accepted_by=user).update(email="")
    # Alerts that asked the person keep, in the member's history, that they were asked, not where.
    from circles.alerts.models import Notification

    Notification.objects.filter(recipient=user).update(address="")
    user.delete()
    # Sent only once the erasure is saved; it says nothing about the person's health or circle.
    _mail_after_commit("erase_done", address, {})
