"""How long a browser session lasts: an idle timeout that activity restarts, and an absolute lifetime
from sign-in that activity never extends. Both are shorter for professionals and organization
administrators, who see other people's records (automatic logoff, HIPAA 164.312(a)(2)(iii))."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils.translation import gettext as _

from circles.accounts.models import Role

SIGNED_IN_AT_KEY = "circles_signed_in_at"
STAFF_ROLES = frozenset({Role.Kind.PROFESSIONAL, Role.Kind.ORG_ADMIN})


def is_staff_role(user) -> bool:
    """Professionals, organization administrators and deployment administrators."""
    return user.is_superuser or any(kind in STAFF_ROLES for kind in user.role_kinds)


def limits_for(user) -> tuple[int, int]:
    """(idle seconds, absolute seconds) for this person's sessions."""
    if is_staff_role(user):
        return settings.SESSION_IDLE_TIMEOUT_STAFF_MINUTES * 60, settings.SESSION_ABSOLUTE_STAFF_MINUTES * 60
    return settings.SESSION_IDLE_TIMEOUT_MINUTES * 60, settings.SESSION_ABSOLUTE_MINUTES * 60


def start_session_clock(request, user) -> None:
    request.session[SIGNED_IN_AT_KEY] = request.session["_seen"] = int(time.time())
    idle, _absolute = limits_for(user)
    request.session.set_expiry(idle)


class SessionLimitsMiddleware:
    """Ends a session past its absolute lifetime, and keeps an active one alive up to it.

    Saving the session on every request would turn every read into a write; renewing the idle expiry
    once a minute is precise enough for timeouts counted in minutes.
    """

    REFRESH_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        signed_in = session is not None and user is not None and user.is_authenticated
        if signed_in:
            idle, absolute = limits_for(user)
            now = int(time.time())
            started = session.get(SIGNED_IN_AT_KEY)
            if started is None:  # a session from before the clock existed: it starts now
                session[SIGNED_IN_AT_KEY] = started = now
            if now - started >= absolute:
                logout(request)
                messages.info(
                    request,
                    _("For your privacy you were signed out after %(hours)s hours. Please sign in again.")
                    % {"hours": absolute // 3600 or 1},
                )
                if request.path.startswith("/api/"):
                    return self.get_response(request)  # the API answers 401 by itself
                return redirect_to_login(request.get_full_path())
        response = self.get_response(request)
        if signed_in and not session.is_empty() and getattr(request, "user", None) is not None:
            if request.user.is_authenticated:
                now = int(time.time())
                if now - session.get("_seen", 0) >= self.REFRESH_SECONDS:
                    session["_seen"] = now  # marks the session modified: saved, cookie renewed
                    session.set_expiry(idle)
        return response
