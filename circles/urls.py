"""The site's map. A page that composes several apps lives in the highest of them (docs/architecture.md)
but keeps its place here, in the section and under the name of the app it belongs with for a person."""

from django.shortcuts import redirect, render
from django.urls import include, path

from circles import menus
from circles.accounts import urls as accounts_urls
from circles.alerts import app_shell
from circles.alerts import urls as alerts_urls
from circles.alerts import views as alerts_views
from circles.api import api
from circles.care import urls as care_urls
from circles.checkins import urls as checkins_urls
from circles.network import urls as network_urls
from circles.notices import urls as notices_urls
from circles.records import urls as records_urls
from circles.sharing import urls as sharing_urls
from circles.worker.views import healthz


def section(app_urls, *composed_pages):
    """An app's pages under its namespace, with the pages of apps above it that sit in its section."""
    return include(([*app_urls.urlpatterns, *composed_pages], app_urls.app_name))


def home(request):
    if request.user.is_authenticated:
        # The home of the mode the person is in: someone who only supports others starts with the people
        # they support, someone with a circle of their own with it (circles/menus.py).
        return redirect(menus.home_url_name(request))
    return render(request, "home.html")


urlpatterns = [
    path("", home, name="home"),
    path("accounts/", section(accounts_urls, *records_urls.accounts_section, *notices_urls.accounts_section)),
    path("network/", section(network_urls, *checkins_urls.network_section, *care_urls.network_section)),
    path("checkins/", section(checkins_urls, *sharing_urls.checkins_section, *alerts_urls.checkins_section)),
    path("", section(sharing_urls, *alerts_urls.sharing_section)),
    path("alerts/", include("circles.alerts.urls")),
    path("notices/", include("circles.notices.urls")),
    path("care/", include(care_urls)),
    path("help-now/", alerts_views.help_now, name="help_now"),
    path("mode/", menus.switch_mode, name="switch_mode"),
    # The installable app (docs/install.md): the worker must sit at the root to control every page.
    path("manifest.webmanifest", app_shell.manifest, name="manifest"),
    path("sw.js", app_shell.service_worker, name="service_worker"),
    path("offline/", app_shell.offline, name="offline"),
    path("install/", app_shell.install, name="install"),
    path("api/v1/", api.urls),
    path("healthz", healthz, name="healthz"),
]
