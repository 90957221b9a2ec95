"""Changes to the network that touch more than one record, or that later capabilities will audit."""

from django.db import transaction
from django.utils import timezone

from circles.lib.events import announce
from circles.network.events import TieEnded
from circles.network.models import Commitment, Interaction, Tie, TieStatus, TieStatusChange


@transaction.atomic
def do_add_tie(tie: Tie, *, acting_user) -> Tie:
    """Saves a validated new tie and starts its status history."""
    tie.member = acting_user
    tie.status = TieStatus.ACTIVE
    tie.status_since = timezone.now()
    tie.save()
    TieStatusChange.objects.create(tie=tie, status=tie.status, changed_at=tie.status_since)
    return tie


def do_update_tie(tie: Tie, *, acting_user) -> Tie:
    tie.save()
    return tie


@transaction.atomic
def do_change_tie_status(tie: Tie, status: str, *, note: str = "", acting_user) -> Tie:
    """Pauses, resumes or ends a tie. The history keeps every change; nothing is deleted.

    Ending a tie is the event every consent names as its end, so sharing with them stops for good:
    resuming the tie later does not bring it back.
    """
    if status == tie.status:
        return tie
    if status == TieStatus.ENDED:
        announce(TieEnded(tie, acting_user))
    tie.status = status
    tie.status_since = timezone.now()
    tie.save(update_fields=["status", "status_since", "updated_at"])
    TieStatusChange.objects.create(tie=tie, status=status, changed_at=tie.status_since, note=note)
    return tie


@transaction.atomic
def do_delete_tie(tie: Tie, *, acting_user) -> None:
    """Removes a tie added by mistake, with its contact log and commitments.

    It is announced as ended first (any sharing with them is revoked then, so the consent history
    records its end).
    """
    announce(TieEnded(tie, acting_user, deleted=True))
    tie.delete()


def do_log_interaction(interaction: Interaction, *, acting_user) -> Interaction:
    interaction.member = acting_user
    interaction.save()
    return interaction


def do_update_interaction(interaction: Interaction, *, acting_user) -> Interaction:
    interaction.save()
    return interaction


def do_delete_interaction(interaction: Interaction, *, acting_user) -> None:
    interaction.delete()


def do_save_commitment(commitment: Commitment, *, acting_user) -> Commitment:
    commitment.member = acting_user
    commitment.save()
    return commitment


def do_delete_commitment(commitment: Commitment, *, acting_user) -> None:
    commitment.delete()
