"""Request-wide behaviour: each person's timezone, and no caching of personal pages."""

import time
import zoneinfo

from django.utils import timezone


class UserTimezoneMiddleware:
    """Shows times in the signed-in person's own timezone (storage stays UTC)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.timezone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class SessionIdleRefreshMiddleware:
    """Keeps an active session alive: its expiry (the idle timeout) restarts on activity.

    Saving the session on every request would turn every read into a write; once a minute is
    precise enough for an idle timeout counted in minutes.
    """

    REFRESH_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated and not session.is_empty():
            now = int(time.time())
            if now - session.get("_seen", 0) >= self.REFRESH_SECONDS:
                session["_seen"] = now  # marks the session modified: saved, cookie renewed
        return response


class PrivateNoStoreMiddleware:
    """Marks every response to a signed-in person, and every API response, as not cacheable.

    Pages with personal data must not linger in a shared or back-button cache.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or request.path.startswith("/api/") or "Authorization" in request.headers:
            response["Cache-Control"] = "no-store, private"
        return response
