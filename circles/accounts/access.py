"""The one way to fetch a protected account object."""

from django.http import Http404

from circles.accounts.models import PersonalAccessToken, PushSubscription


def access_token(user, token_id: int) -> PersonalAccessToken:
    """A token of the user's own; 404 whether it is missing or someone else's."""
    try:
        return PersonalAccessToken.objects.get(pk=token_id, user=user)
    except PersonalAccessToken.DoesNotExist:
        raise Http404 from None


def access_push_subscription(user, subscription_id: int) -> PushSubscription:
    """A device of the user's own that gets push; 404 whether it is missing or someone else's."""
    try:
        return PushSubscription.objects.get(pk=subscription_id, user=user)
    except PushSubscription.DoesNotExist:
        raise Http404 from None
