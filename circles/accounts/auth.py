"""API authentication by personal access token (Authorization: Bearer circ_…)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import HttpBearer

from circles.accounts.models import PersonalAccessToken, hash_token
from circles.accounts.twofactor import has_second_factor, needs_second_factor

# Writing last_used_at on every request would turn each API read into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def login_username(request, credentials) -> str:
    """The account a login attempt is counted against, written as the account stores it.

    Without this, "Riley@Example.org" would be throttled apart from "riley@example.org".
    """
    return str((credentials or {}).get("username") or "").strip().lower()


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """A live token: not revoked, not expired, and for a read-only token only a request that reads."""

    def authenticate(self, request, token):
        if not token.startswith("circ_"):
            return None
        try:
            # The roles come with the token: the second-factor checks below and the request's own
            # permission checks read them from here instead of asking the database each time.
            pat = (
                PersonalAccessToken.objects.select_related("user")
                .prefetch_related("user__roles")
                .get(token_hash=hash_token(token))
            )
        except PersonalAccessToken.DoesNotExist:
            return None
        if not pat.is_live or not pat.user.is_active:
            raise HttpError(
                401, _("This token has expired or was revoked. Make a new one on the settings page.")
            )
        if needs_second_factor(pat.user) and not has_second_factor(pat.user):
            # A token made before two-factor sign-in was required must not be a way around it.
            raise HttpError(403, _("Set up two-factor sign-in in your settings before using a token."))
        if request.method not in SAFE_METHODS and not pat.can_write:
            raise HttpError(403, _("This token can only read. Make a read-and-change token to make changes."))
        now = timezone.now()
        if pat.last_used_at is None or now - pat.last_used_at > LAST_USED_RESOLUTION:
            PersonalAccessToken.objects.filter(pk=pat.pk).update(last_used_at=now)
        request.user = pat.user
        request.auth_token = pat
        return pat.user


# --- Recent authentication: some steps (making a token, changing how one signs in) need the person to
# have proved who they are a moment ago, not just to hold a session cookie.
RECENT_AUTH_SESSION_KEY = "circles_recent_auth_at"
RECENT_AUTH_WINDOW = timedelta(minutes=10)


def mark_recently_authenticated(request) -> None:
    """Called when the person has just given their password or a second factor in this session."""
    if hasattr(request, "session"):
        request.session[RECENT_AUTH_SESSION_KEY] = timezone.now().timestamp()


def is_recently_authenticated(request) -> bool:
    """True when this is a browser session whose password or second factor was given in the last minutes.

    Always False for a personal access token: a token can never vouch for itself.
    """
    session = getattr(request, "session", None)
    if session is None or getattr(request, "auth_token", None) is not None:
        return False
    at = session.get(RECENT_AUTH_SESSION_KEY)
    return at is not None and timezone.now().timestamp() - at <= RECENT_AUTH_WINDOW.total_seconds()
