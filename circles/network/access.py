"""The one way to fetch a protected network object. Missing and not-yours both answer 404."""

from django.http import Http404

from circles.network.models import Commitment, Interaction, Tie


def access_tie(user, tie_id: int, write: bool = False) -> Tie:
    # Only the member reads or writes their ties for now; consent-based reading by others
    # is added here, and only here.
    try:
        return Tie.objects.get(pk=tie_id, member=user)
    except Tie.DoesNotExist:
        raise Http404 from None


def access_interaction(user, interaction_id: int, write: bool = False) -> Interaction:
    try:
        return Interaction.objects.select_related("tie").get(pk=interaction_id, member=user)
    except Interaction.DoesNotExist:
        raise Http404 from None


def access_commitment(user, commitment_id: int, write: bool = False) -> Commitment:
    try:
        return Commitment.objects.select_related("tie").get(pk=commitment_id, member=user)
    except Commitment.DoesNotExist:
        raise Http404 from None
