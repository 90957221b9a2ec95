"""The installable app: the web app manifest, the service worker, the offline crisis page it keeps, and
the page on installing Circles (docs/install.md).

They live here, beside the help page, because the offline page is the help page's guidance and the
crisis resources (checkins) rendered for a signed-out visitor; alerts is the lowest app that has both.
"""

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from circles.checkins.crisis import crisis_resources

# Bump this when the worker's code, the offline page's template or what it precaches changes, so that
# every installed copy replaces its cache on its next visit (the old caches are deleted on activate).
# A change of crisis resources or of a hashed static file needs no bump: both are part of the cache's name.
CACHE_VERSION = 1

# circles.css: the header's colour (--ink) and the page background (--wash).
THEME_COLOUR = "#1f2a44"
BACKGROUND_COLOUR = "#f4f7fb"

# (file under circles/static/, size in px, purpose); drawn by bin/make-icons.
ICONS = [
    ("circles/icons/icon-192.png", 192, "any"),
    ("circles/icons/icon-512.png", 512, "any"),
    ("circles/icons/icon-maskable-512.png", 512, "maskable"),
]
APPLE_TOUCH_ICON = "circles/icons/apple-touch-icon.png"
# What the offline page needs besides itself.
OFFLINE_ASSETS = ["circles/circles.css", "circles/favicon.svg", "circles/icons/icon-192.png"]


@require_safe
@cache_control(no_cache=True)
def manifest(request):
    """The web app manifest: what a browser needs to offer installing Circles."""
    data = {
        "id": "/",
        "name": "Circles",
        "short_name": "Circles",
        "description": _("Your support network, check-ins and help when you need it."),
        "lang": translation.get_language(),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static(path), "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
            for path, size, purpose in ICONS
        ],
    }
    return JsonResponse(
        data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )


def _cache_name(offline_url: str, assets: list[str]) -> str:
    """The worker's cache name: the version, plus a digest of what the offline page shows and needs."""
    digest = hashlib.sha256()
    try:
        digest.update(Path(settings.CRISIS_RESOURCES_PATH).read_bytes())
    except OSError:
        pass  # the built-in resources are shown (crisis.py); the version stands for them
    for part in (settings.CRISIS_REGION, offline_url, *assets):
        digest.update(part.encode())
    return f"circles-offline-v{CACHE_VERSION}-{digest.hexdigest()[:12]}"


@require_safe
@cache_control(no_cache=True)
def service_worker(request):
    """The service worker, at the root so that it may control every page (docs/install.md)."""
    offline_url = reverse("offline")
    assets = [static(path) for path in OFFLINE_ASSETS]
    config = {
        "cache": _cache_name(offline_url, assets),
        "offline": offline_url,
        "assets": assets,
        "icon": static(ICONS[0][0]),
        "title": "Circles",
        "body": _("Something new in Circles. Open it to see."),
    }
    response = render(
        request,
        "alerts/sw.js",
        {"config": json.dumps(config, ensure_ascii=True)},
        content_type="text/javascript; charset=utf-8",
    )
    # Only the origin's root may be its scope; no wider permission is asked for.
    response["Service-Worker-Allowed"] = "/"
    return response


@require_safe
@cache_control(no_cache=True)
def offline(request):
    """The page the worker keeps for when there is no connection: crisis lines, nothing personal.

    Rendered as for a signed-out visitor whoever asks (the worker asks without cookies anyway), and
    without reading the session's messages, so no name or notice of anyone's can end up in the cache.
    """
    context = {
        "resources": crisis_resources(translation.get_language()),
        "user": AnonymousUser(),
        "messages": (),
    }
    return render(request, "alerts/offline.html", context)


@require_safe
def install(request):
    """How to put Circles on a phone's home screen, with a button where the browser offers one."""
    return render(request, "alerts/install.html")
