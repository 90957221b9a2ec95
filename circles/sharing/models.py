"""Invitations to supporters and the consent records that let them see what the member shares."""

import secrets

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circles.lib import contact_links
from circles.lib.validators import refuse_invisible_characters
from circles.network.models import Tie, TieStatus
from circles.sharing import logic

INVITATION_SALT = "circles.sharing.invitation"


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class Invitation(models.Model):
    """An emailed, single-use link that links a supporter's account to one of the member's ties.

    The link carries the row's id and a nonce, signed with the SECRET_KEY. Re-sending makes a new nonce,
    so only the newest email works.
    """

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    tie = models.ForeignKey(Tie, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("their email address"))
    nonce = models.CharField(max_length=32, default=new_nonce, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(default=timezone.now, editable=False)
    send_count = models.PositiveSmallIntegerField(default=1, editable=False)
    expires_at = models.DateTimeField(editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"Invitation for {self.tie}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return InvitationStatus.ACCEPTED
        if self.cancelled_at:
            return InvitationStatus.CANCELLED
        if timezone.now() >= self.expires_at:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    def get_status_display(self) -> str:
        return str(InvitationStatus(self.status).label)

    @property
    def token(self) -> str:
        return signing.dumps([self.pk, self.nonce], salt=INVITATION_SALT, compress=False)

    @staticmethod
    def read_token(token: str) -> tuple[int, str]:
        """(id, nonce) from a link; raises signing.BadSignature when the link was altered."""
        value = signing.loads(token, salt=INVITATION_SALT)
        if (
            not isinstance(value, list)
            or len(value) != 2
            or type(value[0]) is not int
            or not isinstance(value[1], str)
        ):
            raise signing.BadSignature("unexpected invitation payload")
        return value[0], value[1]


class ConsentQuerySet(models.QuerySet["Consent"]):
    def current(self):
        """The newest record for each tie (a revocation included)."""
        return self.filter(superseded_at__isnull=True)

    def live(self, now=None):
        """Records that disclose right now: newest, not a revocation, not expired, tie not ended, and
        given to the account that is linked to the tie now (a consent never passes to another account)
        or, for an organization, to the organization the tie stands for (its care team reads it through
        circles/care/access.py, never through the tie's account link)."""
        now = now or timezone.now()
        return (
            self.filter(superseded_at__isnull=True, revoked=False, tie__isnull=False)
            .filter(
                Q(
                    recipient_kind=RecipientKind.PERSON,
                    recipient_account__isnull=False,
                    recipient_account=F("tie__supporter"),
                )
                | Q(recipient_kind=RecipientKind.ORGANIZATION)
            )
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .exclude(tie__status=TieStatus.ENDED)
        )

    def live_for(self, supporter, now=None):
        """Live records of ties linked to the supporter's account: what the supporter may see now."""
        return self.live(now).filter(tie__supporter=supporter, recipient_kind=RecipientKind.PERSON)


class RecipientKind(models.TextChoices):
    PERSON = "person", _("A person, through their own account")
    ORGANIZATION = "organization", _("An organization's care team")


class Consent(models.Model):
    """A member's consent to disclose named kinds of information to one tie, with the elements
    42 CFR Part 2 asks of a consent to disclose (docs/privacy.md).

    Records are never edited: a change adds a new record and marks the old one superseded; a revocation
    is a record that discloses nothing. The statement the member signed is kept word for word.
    """

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents")
    # Kept when the tie is deleted, so the history survives; a consent without a tie discloses nothing.
    tie = models.ForeignKey(Tie, on_delete=models.SET_NULL, null=True, related_name="consents")
    recipient_name = models.CharField(max_length=80)  # the tie's name when the member signed
    recipient_relationship = models.CharField(max_length=20, blank=True)
    # A person (the account linked to the tie) or an organization the member is enrolled with, whose
    # care team reads through circles/care/access.py.
    recipient_kind = models.CharField(
        max_length=12, choices=RecipientKind.choices, default=RecipientKind.PERSON
    )
    # The account linked to the tie when the member signed, if any.
    recipient_account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    scopes = models.JSONField(default=list, blank=True)  # empty on a revocation
    revoked = models.BooleanField(default=False)
    purpose = models.CharField(_("purpose"), max_length=300)
    expires_on = models.DateField(_("ends on (optional)"), null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # end of expires_on in the member's timezone
    expiry_event = models.CharField(max_length=300)
    statement = models.TextField()  # the full text the member signed, in their language
    signature_name = models.CharField(
        _("your full name, typed as your signature"), max_length=120, validators=[refuse_invisible_characters]
    )
    signed_at = models.DateTimeField(default=timezone.now)
    signed_address = models.GenericIPAddressField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["tie", "superseded_at"])]
        constraints = [
            # At most one current record per tie: the one the access helpers read.
            models.UniqueConstraint(
                fields=["tie"], condition=Q(superseded_at__isnull=True), name="one_current_consent_per_tie"
            )
        ]

    def __str__(self) -> str:
        return f"Consent {self.pk} to {self.recipient_name}"

    def is_live(self, now=None) -> bool:
        return logic.is_live(
            superseded=self.superseded_at is not None,
            scopes=[] if self.revoked else self.scopes,
            expires_at=self.expires_at,
            tie_ended=self.tie is None or self.tie.status == TieStatus.ENDED,
            recipient_linked=self.tie is not None
            and (
                self.recipient_kind == RecipientKind.ORGANIZATION
                or (
                    self.recipient_account_id is not None
                    and self.recipient_account_id == self.tie.supporter_id
                )
            ),
            now=now or timezone.now(),
        )

    @property
    def scope_labels(self) -> list[str]:
        to_organization = self.recipient_kind == RecipientKind.ORGANIZATION
        return [
            str(logic.SCOPE_BY_CODE[code].label_for(to_organization))
            for code in self.scopes
            if code in logic.SCOPE_BY_CODE
        ]


class ReachWay(models.TextChoices):
    CALL = contact_links.CALL, _("A call")
    TEXT = contact_links.TEXT, _("A text message")
    EMAIL = contact_links.EMAIL, _("An email")


class ReachDetails(models.Model):
    """How a member would like to be reached: shown, as call/text/email buttons, only to the people
    whose live consent includes the "How to reach me" scope (logic.REACH). One per member."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reach_details"
    )
    phone = models.CharField(
        _("your phone number"),
        max_length=32,
        blank=True,
        help_text=_("With the country code if people abroad may call, e.g. +1 555 010 0123."),
    )
    preferred = models.CharField(
        _("the way you prefer"), max_length=10, choices=ReachWay.choices, default=ReachWay.CALL
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"How to reach {self.member}"

    def clean(self):
        super().clean()
        self.phone = self.phone.strip()
        if self.phone and not contact_links.is_phone_number(self.phone):
            raise ValidationError({"phone": _("Use digits, spaces and + - ( ) only.")})
        if self.preferred in (ReachWay.CALL, ReachWay.TEXT) and not self.phone:
            raise ValidationError(
                {"phone": _("Enter a phone number to be called or texted, or choose email.")}
            )

    def links(self, email: str) -> list[contact_links.ContactLink]:
        """The buttons a supporter sees: the preferred way first; email is the member's account address."""
        return contact_links.contact_links(self.phone, email, self.preferred)
