"""The one way to fetch a protected network object. Missing and not-yours both answer 404.

Another person's network is read only through circles.sharing.access, under a live consent.
"""

from django.http import Http404

from circles.audit.trail import refuse
from circles.network.models import Commitment, Interaction, Tie


def _refused(user, model, pk: int, action: str) -> Http404:
    owner = model.objects.filter(pk=pk).values_list("member_id", flat=True).first()
    return refuse(user, action, f"{model._meta.model_name}:{pk}", owner)


def access_tie(user, tie_id: int, write: bool = False) -> Tie:
    try:
        return Tie.objects.get(pk=tie_id, member=user)
    except Tie.DoesNotExist:
        raise _refused(user, Tie, tie_id, "tie.change" if write else "tie.view") from None


def access_interaction(user, interaction_id: int, write: bool = False) -> Interaction:
    try:
        return Interaction.objects.select_related("tie").get(pk=interaction_id, member=user)
    except Interaction.DoesNotExist:
        action = "interaction.change" if write else "interaction.view"
        raise _refused(user, Interaction, interaction_id, action) from None


def access_commitment(user, commitment_id: int, write: bool = False) -> Commitment:
    try:
        return Commitment.objects.select_related("tie").get(pk=commitment_id, member=user)
    except Commitment.DoesNotExist:
        action = "commitment.change" if write else "commitment.view"
        raise _refused(user, Commitment, commitment_id, action) from None
