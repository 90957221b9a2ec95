"""Everything a person has, taken with them or erased: export and erasure of one's account."""

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from circles.accounts.models import User
from circles.audit.trail import record
from circles.records import export

EXPORT_FORMATS = {"json": export.export_json, "fhir": export.export_fhir}


def _mail_after_commit(template: str, address: str, context: dict) -> None:
    """Renders now (the account may be gone by then) and sends once the change is saved.

    A mail server that is down must not undo the change, nor turn a finished change into an error page.
    """
    subject = render_to_string(f"records/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"records/email/{template}.txt", context)
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


@transaction.atomic
def do_erase_account(user: User, *, acting_user: User) -> None:
    """Removes the account and everything in it: ties, notes, check-ins, answers, consents, tokens.

    Each app's erasure step (its personal_data.py) runs first, for what would outlive the account: its
    sign-in records, copies of its address in other people's records. The audit trail stays as it was:
    its rows name people by account number only, and once the account is gone that number leads to
    nobody. What other members wrote down themselves stays theirs: their ties to the person (which lose
    the link to the account) and the encouragement the person sent them.
    """
    address = user.email
    record("account.erase", acting_user, subject=user, object_ref=f"account:{user.pk}")
    for erase in export.ERASURE_STEPS:
        erase(user)
    user.delete()
    # Sent only once the erasure is saved; it says nothing about the person's health or circle.
    _mail_after_commit("erase_done", address, {})
