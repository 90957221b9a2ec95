"""API authentication by personal access token (Authorization: Bearer circ_…)."""

from datetime import timedelta

from django.utils import timezone
from ninja.security import HttpBearer

from circles.accounts.models import PersonalAccessToken, hash_token

# Writing last_used_at on every request would turn each API read into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def login_username(request, credentials) -> str:
    """The account a login attempt is counted against, written as the account stores it.

    Without this, "Riley@Example.org" would be throttled apart from "riley@example.org".
    """
    return str((credentials or {}).get("username") or "").strip().lower()


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        if not token.startswith("circ_"):
            return None
        try:
            pat = PersonalAccessToken.objects.live().select_related("user").get(token_hash=hash_token(token))
        except PersonalAccessToken.DoesNotExist:
            return None
        if not pat.user.is_active:
            return None
        now = timezone.now()
        if pat.last_used_at is None or now - pat.last_used_at > LAST_USED_RESOLUTION:
            PersonalAccessToken.objects.filter(pk=pat.pk).update(last_used_at=now)
        request.user = pat.user
        return pat.user
