"""The one way to fetch a protected account object."""

from django.http import Http404

from circles.accounts.models import PersonalAccessToken


def access_token(user, token_id: int) -> PersonalAccessToken:
    """A token of the user's own; 404 whether it is missing or someone else's."""
    try:
        return PersonalAccessToken.objects.get(pk=token_id, user=user)
    except PersonalAccessToken.DoesNotExist:
        raise Http404 from None
