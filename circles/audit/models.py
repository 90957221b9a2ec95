"""The audit trail: who read or changed whose data, when, from where. Rows are only ever added."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circles.audit import logic


class Outcome(models.TextChoices):
    ALLOWED = "allowed", _("Allowed")
    DENIED = "denied", _("Refused")


class AuditEvent(models.Model):
    """One audited act. UPDATE and DELETE are refused by a database trigger; each row's hash is an HMAC,
    under a key kept outside the database (`key_id` names it), of its id and content, its chain (the
    member it is about) and the hash of the row before it in that chain, so `manage.py verify_audit`
    finds any row changed, removed or moved behind our back.

    People are referred to by account number only (no foreign-key constraint, nothing cascades): once an
    account is erased, its number no longer leads to anyone, and the rows stay as they were.
    """

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    action = models.CharField(max_length=64)  # dotted code, e.g. "checkin.view", "consent.revoke"
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    object_ref = models.CharField(max_length=300, blank=True)  # "consent:12", "scopes:mood,…"; never a name
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ALLOWED)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    key_id = models.CharField(max_length=32)  # which of AUDIT_HMAC_KEYS made `hash`; never the key itself
    chain = models.BigIntegerField()  # logic.chain_of(actor, subject): writers lock only their chains
    previous_hash = models.CharField(max_length=64)  # of the row before it in its chain
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["subject", "at"]),
            models.Index(fields=["chain", "id"]),  # the newest row of a chain, for the next one
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.outcome}"

    def chain_row(self) -> logic.Row:
        return logic.Row(
            id=self.pk,
            at=self.at,
            actor_id=self.actor_id,
            action=self.action,
            subject_id=self.subject_id,
            object_ref=self.object_ref,
            outcome=self.outcome,
            client_address=self.client_address,
            key_id=self.key_id,
            chain=self.chain,
            previous_hash=self.previous_hash,
        )
