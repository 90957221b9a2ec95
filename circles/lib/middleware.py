"""Request-wide behaviour: each person's timezone, no caching of personal pages, the Permissions-Policy
header, and a clear 413 for a body too large."""

import zoneinfo

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext


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


# Browser features Circles never uses, turned off for the site and anything it might ever frame, so a
# script that slipped in could not ask for the camera, the microphone or the person's location. Passkeys
# (publickey-credentials-*) and the clipboard keep the browser's default: the site itself only.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "ambient-light-sensor",
        "autoplay",
        "battery",
        "bluetooth",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "gamepad",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "interest-cohort",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


class PermissionsPolicyMiddleware:
    """Sends the Permissions-Policy header on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class RequestTooLargeMiddleware:
    """Answers a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE with 413 before anything reads it.

    Django would raise RequestDataTooBig wherever the body is first read (the CSRF check, a form, the
    API) and answer 400, or a debugging page under DEBUG; a person should learn instead that what they
    sent was too large, and an API client get JSON. The declared length decides, so nothing is read:
    a WSGI server hands Django no more than that length. This limit covers uploads too (no upload in
    Circles comes near it).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and _declared_length(request) > limit:
            return request_too_large(request)
        return self.get_response(request)


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # as Django reads it: an unreadable length is no body


def request_too_large(request) -> HttpResponse:
    """413: JSON under /api/ (the API's error format), a small plain page elsewhere."""
    with translation.override(translation.get_language_from_request(request)):
        message = gettext("What you sent is too large to take in at once. Please send less and try again.")
        if request.path.startswith("/api/"):
            return JsonResponse({"message": message, "errors": {}}, status=413)
        return HttpResponse(render_to_string("request_too_large.html", {"message": message}), status=413)
