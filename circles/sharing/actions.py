"""Changes to sharing: invitations, consent records, links between ties and supporters, encouragement.

Each change writes its audit row in the same transaction, so both are saved or neither.
"""

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.accounts.actions import do_grant_role
from circles.accounts.models import Role
from circles.audit.trail import record
from circles.lib import ratelimit
from circles.lib.client import address_group, current_client_address
from circles.lib.time import user_zone
from circles.network.models import (
    Interaction,
    InteractionKind,
    InteractionQuality,
    Relationship,
    Tie,
    TieStatus,
)
from circles.sharing import logic
from circles.sharing.models import (
    Consent,
    Invitation,
    InvitationStatus,
    ReachDetails,
    RecipientKind,
    new_nonce,
)
from circles.sharing.statement import ORGANIZATION_PURPOSE, consent_statement, expiry_event_text

log = logging.getLogger(__name__)


def invitation_lifetime() -> dt.timedelta:
    return dt.timedelta(days=settings.INVITATION_EXPIRY_DAYS)


def email_after_commit(template: str, context: dict, address: str, *, failure: str) -> None:
    """Emails `<template>_subject.txt` and `<template>.txt`, rendered now in the current language, once
    the transaction commits: a rolled-back invitation is never mailed, and a mail server that is down
    is logged (`failure`: what the sender can do), never turned into an error page."""
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    body = render_to_string(f"{template}.txt", context)

    def send() -> None:
        try:
            send_mail(subject, body, None, [address])
        except Exception:
            log.exception(failure)

    transaction.on_commit(send)


def _send_invitation(invitation: Invitation, origin: str) -> None:
    link = origin.rstrip("/") + reverse("sharing:accept", kwargs={"token": invitation.token})
    context = {
        "member": invitation.member,
        "tie": invitation.tie,
        "link": link,
        "expires_at": invitation.expires_at,
        "days": settings.INVITATION_EXPIRY_DAYS,
    }
    email_after_commit(
        "sharing/email/invitation",
        context,
        invitation.email,
        failure="The invitation email to a supporter could not be sent; the member can send it again",
    )


def limit_invitation_sends(acting_user, email: str, *, bucket: str = "invitation-send") -> None:
    """An invitation is an email to someone else: per sender, per invited address and per client address,
    only so many an hour (RATE_LIMIT_INVITATION_SEND), so Circles cannot be used to flood an inbox."""
    ratelimit.limit(
        bucket,
        [
            f"user:{acting_user.pk}",
            f"email:{email.strip().lower()}",
            f"client:{address_group(current_client_address())}",
        ],
        settings.RATE_LIMIT_INVITATION_SEND,
    )


@transaction.atomic
def do_invite_supporter(tie: Tie, email: str, *, origin: str, acting_user) -> Invitation:
    """A new invitation for the tie (any earlier pending one is cancelled), emailed at once."""
    if to_organization(tie):
        # Its care team reads through circles/care; no account is ever linked to an organization's tie.
        raise ValidationError(
            {
                "tie": _(
                    "An organization is not invited here: it joined your circle when you enrolled with it."
                )
            }
        )
    limit_invitation_sends(acting_user, email)
    now = timezone.now()
    _cancel_pending(tie, acting_user=acting_user)
    invitation = Invitation.objects.create(
        member=tie.member, tie=tie, email=email, sent_at=now, expires_at=now + invitation_lifetime()
    )
    record("invitation.send", acting_user, subject=tie.member, object_ref=f"invitation:{invitation.pk}")
    _send_invitation(invitation, origin)
    return invitation


@transaction.atomic
def do_resend_invitation(invitation: Invitation, *, origin: str, acting_user) -> Invitation:
    """Sends a fresh link with a fresh expiry; the link in earlier emails stops working."""
    limit_invitation_sends(acting_user, invitation.email)
    now = timezone.now()
    _cancel_pending(invitation.tie, acting_user=acting_user, keep=invitation)
    invitation.nonce = new_nonce()
    invitation.sent_at = now
    invitation.expires_at = now + invitation_lifetime()
    invitation.send_count += 1
    invitation.cancelled_at = None
    invitation.save(update_fields=["nonce", "sent_at", "expires_at", "send_count", "cancelled_at"])
    record(
        "invitation.resend", acting_user, subject=invitation.member, object_ref=f"invitation:{invitation.pk}"
    )
    _send_invitation(invitation, origin)
    return invitation


def _cancel_pending(tie: Tie, *, acting_user, keep: Invitation | None = None) -> None:
    """One invitation at a time per tie: any other one still waiting is cancelled, and recorded."""
    pending = tie.invitations.filter(accepted_at__isnull=True, cancelled_at__isnull=True)
    if keep is not None:
        pending = pending.exclude(pk=keep.pk)
    for other in pending:
        do_cancel_invitation(other, acting_user=acting_user)


@transaction.atomic
def do_cancel_invitation(invitation: Invitation, *, acting_user) -> None:
    if invitation.status == InvitationStatus.PENDING:
        invitation.cancelled_at = timezone.now()
        invitation.save(update_fields=["cancelled_at"])
        record(
            "invitation.cancel",
            acting_user,
            subject=invitation.member,
            object_ref=f"invitation:{invitation.pk}",
        )


class InvitationRefused(Exception):
    """Accepting is not possible; `reason` names which friendly page to show."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@transaction.atomic
def do_accept_invitation(invitation_id: int, nonce: str, *, acting_user) -> Invitation:
    """Links the supporter's account to the tie. Accepting again with the same account changes nothing."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("tie", "member")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise InvitationRefused("missing")
    if invitation.accepted_at is not None:
        if invitation.accepted_by_id == acting_user.pk:
            return invitation
        raise InvitationRefused("used")
    if invitation.nonce != nonce:
        raise InvitationRefused("replaced")
    if invitation.status == InvitationStatus.CANCELLED:
        raise InvitationRefused("cancelled")
    if invitation.status == InvitationStatus.EXPIRED:
        raise InvitationRefused("expired")
    tie = Tie.objects.select_for_update().get(pk=invitation.tie_id)
    if invitation.member_id == acting_user.pk:
        raise InvitationRefused("own")
    if tie.supporter_id not in (None, acting_user.pk):
        raise InvitationRefused("linked")
    if Tie.objects.filter(member_id=tie.member_id, supporter=acting_user).exclude(pk=tie.pk).exists():
        raise InvitationRefused("already_supporting")
    tie.supporter = acting_user
    tie.save(update_fields=["supporter"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = acting_user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    do_grant_role(acting_user, Role.Kind.SUPPORTER)
    record(
        "invitation.accept",
        acting_user,
        subject=invitation.member_id,
        object_ref=f"invitation:{invitation.pk}",
    )
    return invitation


def to_organization(tie: Tie) -> bool:
    """A tie that stands for an organization the member is enrolled with (circles/care): its consent is
    to the organization's care team, not to an account linked to the tie."""
    return tie.relationship == Relationship.CARE_ORGANIZATION


def _lock(tie: Tie) -> Tie:
    """The tie, locked until the transaction ends, so two changes to its consent never overlap."""
    return Tie.objects.select_for_update(of=("self",)).select_related("member", "supporter").get(pk=tie.pk)


def _current_consent(tie: Tie) -> Consent | None:
    return Consent.objects.filter(tie=tie, superseded_at__isnull=True).first()


def _new_record(tie: Tie, **fields) -> Consent:
    now = timezone.now()
    previous = _current_consent(tie)
    if previous is not None:
        previous.superseded_at = now
        previous.save(update_fields=["superseded_at"])
    consent = Consent(
        member=tie.member,
        tie=tie,
        recipient_name=tie.display_name,
        recipient_relationship=tie.relationship,
        recipient_account=None if to_organization(tie) else tie.supporter,
        recipient_kind=RecipientKind.ORGANIZATION if to_organization(tie) else RecipientKind.PERSON,
        signed_at=now,
        signed_address=current_client_address() or None,
        **fields,
    )
    consent.full_clean(exclude=["signed_address"])
    consent.save()
    return consent


@transaction.atomic
def do_grant_consent(
    tie: Tie,
    *,
    scopes: list[str],
    purpose: str,
    expires_on: dt.date | None,
    signature_name: str,
    acting_user,
) -> Consent | None:
    """A new consent record for the tie; the one before it, if any, stays in the history as superseded.

    Choosing nothing is a revocation. Only a tie whose person has joined can be given consent: it names
    their account, and stops disclosing if another account is ever linked instead.
    """
    scopes = logic.ordered_scopes(scopes)
    if not scopes:
        return do_revoke_consent(tie, acting_user=acting_user, signature_name=signature_name)
    tie = _lock(tie)
    if tie.supporter_id is None and not to_organization(tie):
        raise ValidationError(
            {"tie": _("Invite them first: you choose what they see once they have joined.")}
        )
    if tie.status == TieStatus.ENDED and to_organization(tie):  # it cannot be resumed: a new enrolment is
        raise ValidationError({"tie": _("You have left this program: nothing is shared with it any more.")})
    if tie.status == TieStatus.ENDED:
        raise ValidationError({"tie": _("This tie has ended. Resume it first to share with them.")})
    if to_organization(tie):
        purpose = str(
            ORGANIZATION_PURPOSE
        )  # whatever a caller passes: the enrolment's purpose (docs/care.md)
    member = tie.member
    previous = _current_consent(tie)
    consent = _new_record(
        tie,
        scopes=scopes,
        revoked=False,
        purpose=purpose,
        expires_on=expires_on,
        expires_at=logic.expiry_moment(expires_on, user_zone(member)),
        expiry_event=expiry_event_text(tie.display_name, to_organization(tie)),
        statement=consent_statement(
            member_name=signature_name,
            recipient=tie.display_name,
            relationship=tie.get_relationship_display(),
            scopes=scopes,
            purpose=purpose,
            expires_on=expires_on,
            to_organization=to_organization(tie),
        ),
        signature_name=signature_name,
    )
    action = "consent.grant" if previous is None or previous.revoked else "consent.change"
    record(action, acting_user, subject=member, object_ref=f"consent:{consent.pk}")
    return consent


@transaction.atomic
def do_revoke_consent(tie: Tie, *, acting_user, signature_name: str = "") -> Consent | None:
    """Stops all sharing with the tie from the next request on. Nothing to revoke: nothing happens."""
    tie = _lock(tie)
    previous = _current_consent(tie)
    if previous is None or previous.revoked:
        return None
    consent = _new_record(
        tie,
        scopes=[],
        revoked=True,
        purpose=previous.purpose,
        expires_on=None,
        expires_at=None,
        expiry_event=previous.expiry_event,
        statement=consent_statement(
            member_name=signature_name or acting_user.display_name,
            recipient=tie.display_name,
            relationship=tie.get_relationship_display(),
            scopes=[],
            purpose=previous.purpose,
            expires_on=None,
        ),
        signature_name=signature_name or acting_user.display_name,
    )
    record("consent.revoke", acting_user, subject=tie.member, object_ref=f"consent:{consent.pk}")
    return consent


@transaction.atomic
def do_unlink_supporter(tie: Tie, *, acting_user) -> None:
    """Removes the supporter's account from the tie: they no longer see the member at all."""
    do_revoke_consent(tie, acting_user=acting_user)
    tie = _lock(tie)
    if tie.supporter_id is not None:
        record("supporter.unlink", acting_user, subject=tie.member, object_ref=f"tie:{tie.pk}")
        tie.supporter = None
        tie.save(update_fields=["supporter"])


ENCOURAGEMENT_MAX_LENGTH = 500


@transaction.atomic
def do_send_encouragement(tie: Tie, message: str, *, acting_user) -> Interaction:
    """The supporter's message lands in the member's contact log as contact with that tie."""
    interaction = Interaction(
        member=tie.member,
        tie=tie,
        occurred_at=timezone.now(),
        kind=InteractionKind.ENCOURAGEMENT,
        quality=InteractionQuality.HELPFUL,
        sent_by=acting_user,
        message=message.strip()[:ENCOURAGEMENT_MAX_LENGTH],
    )
    interaction.save()
    record("encouragement.send", acting_user, subject=tie.member, object_ref=f"interaction:{interaction.pk}")
    return interaction


@transaction.atomic
def do_save_reach_details(member, *, phone: str, preferred: str, acting_user) -> ReachDetails:
    """The member's phone number and preferred way to be reached, for the people they share
    "How to reach me" with; changes show on those people's next request.

    ValidationError when they break the model's rule (ReachDetails.clean), whoever calls: the page,
    the API or anything else; nothing is saved then."""
    with transaction.atomic():
        details = ReachDetails.objects.select_for_update().filter(member=member).first()
        if details is None:
            details = ReachDetails(member=member)
        details.phone, details.preferred = phone, preferred
        details.full_clean()
        details.save()
        record("reach.change", acting_user, subject=member, object_ref=f"reach:{details.pk}")
    return details
