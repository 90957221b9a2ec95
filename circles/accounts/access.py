"""The one way to fetch a protected account object."""

from django.http import Http404

from circles.accounts.models import PersonalAccessToken, PushSubscription
from circles.audit.trail import refuse


def access_token(user, token_id: int) -> PersonalAccessToken:
    """A token of the user's own; 404 whether it is missing or someone else's."""
    try:
        return PersonalAccessToken.objects.get(pk=token_id, user=user)
    except PersonalAccessToken.DoesNotExist:
        raise Http404 from None


def access_push_subscription(user, subscription_id: int) -> PushSubscription:
    """A device of the user's own that gets push (to remove it); 404 whether it is missing or someone
    else's, and for someone else's a refused row in the audit trail, against the device's owner."""
    if not 0 < subscription_id < 2**63:  # beyond any database key
        raise Http404
    subscription = PushSubscription.objects.filter(pk=subscription_id, user=user).first()
    if subscription is None:
        owner = PushSubscription.objects.filter(pk=subscription_id).values_list("user_id", flat=True).first()
        raise refuse(user, "account.push.remove", f"push:{subscription_id}", owner)
    return subscription
