from django.shortcuts import redirect, render
from django.urls import include, path

from circles.api import api
from circles.checkins import views as checkin_views
from circles.worker.views import healthz


def home(request):
    if request.user.is_authenticated:
        # Someone who only supports others starts with the people they support.
        user = request.user
        if not user.ties.exists() and user.supported_ties.exists():
            return redirect("sharing:supporting")
        return redirect("network:overview")
    return render(request, "home.html")


urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("circles.accounts.urls")),
    path("network/", include("circles.network.urls")),
    path("checkins/", include("circles.checkins.urls")),
    path("", include("circles.sharing.urls")),
    path("alerts/", include("circles.alerts.urls")),
    path("help-now/", checkin_views.help_now, name="help_now"),
    path("api/v1/", api.urls),
    path("healthz", healthz, name="healthz"),
]
