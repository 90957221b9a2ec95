"""The one way to fetch a protected network object. Missing and not-yours both answer 404.

Another person's network is read only through circles.sharing.access, under a live consent.
"""

from circles.audit.trail import refuse_record
from circles.network.models import Commitment, Interaction, Tie


def access_tie(user, tie_id: int, write: bool = False) -> Tie:
    try:
        return Tie.objects.get(pk=tie_id, member=user)
    except Tie.DoesNotExist:
        raise refuse_record(user, Tie, tie_id, write=write) from None


def access_interaction(user, interaction_id: int, write: bool = False) -> Interaction:
    try:
        return Interaction.objects.select_related("tie").get(pk=interaction_id, member=user)
    except Interaction.DoesNotExist:
        raise refuse_record(user, Interaction, interaction_id, write=write) from None


def access_commitment(user, commitment_id: int, write: bool = False) -> Commitment:
    try:
        return Commitment.objects.select_related("tie").get(pk=commitment_id, member=user)
    except Commitment.DoesNotExist:
        raise refuse_record(user, Commitment, commitment_id, write=write) from None
