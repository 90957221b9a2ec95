"""The care-team alert inbox: safety signals to acknowledge, with a follow-up note, and the alerts of a
member's crisis ladder that are asking the care team (docs/care.md, "Alerts to the care team")."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circles.alerts.models import AlertStatus
from circles.care.access import InboxSignal, access_signal, access_team_alert, current_memberships, load_inbox
from circles.care.actions import do_answer_team_alert, do_create_follow_up
from circles.care.forms import FollowUpForm
from circles.lib.forms import form_page


@login_required
def inbox(request):
    """Open safety signals of the viewer's caseload, newest first; recent follow-ups; alerts asking the
    care team. Staff only: anyone else is answered 404."""
    if not current_memberships(request.user):
        raise Http404
    context = {"inbox": load_inbox(request.user, timezone.now()), "statuses": AlertStatus}
    return render(request, "care/inbox/inbox.html", context)


@login_required
def follow_up(request, enrolment_id: int, signal_id: int):
    """Acknowledge one safety signal, with what the care team did about it."""
    write = request.method == "POST"
    access, signal = access_signal(request.user, enrolment_id, signal_id, write=write)
    existing = access.enrolment.follow_ups.filter(signal=signal).first()
    form = FollowUpForm(request.POST if write else None)
    if write and existing is None and form.is_valid():
        do_create_follow_up(access, signal, note=form.cleaned_data["note"], acting_user=request.user)
        messages.success(
            request,
            _("Acknowledged. %(name)s's signal is followed up.") % {"name": access.member.display_name},
        )
        return redirect("care:inbox")
    if write and existing is not None:
        messages.info(request, _("Someone on the care team had already acknowledged it."))
        return redirect("care:inbox")
    context = {
        "access": access,
        "signal": signal,
        "form": form,
        "existing": existing,
        "source_shown": InboxSignal(access, signal).source_shown,
    }
    return form_page(request, "care/inbox/follow_up.html", context)


@login_required
def team_alert(request, alert_id: int):
    """An alert of a member's crisis ladder that asked their care team, as the team may see it."""
    view = access_team_alert(request.user, alert_id)
    return render(request, "care/inbox/alert.html", {"view": view, "statuses": AlertStatus})


@login_required
@require_POST
def team_alert_answer(request, alert_id: int):
    view = access_team_alert(request.user, alert_id, write=True)
    answer = do_answer_team_alert(view, acting_user=request.user)
    name = view.alert.member.display_name
    if answer.recorded:
        messages.success(request, _("Thank you. %(name)s can see you are reaching out.") % {"name": name})
    else:
        messages.info(request, _("%(name)s has closed this alert.") % {"name": name})
    return redirect("care:alert", alert_id=alert_id)


urlpatterns: list[URLPattern] = [
    path("alerts/", inbox, name="inbox"),
    path("alerts/<int:enrolment_id>/<int:signal_id>/", follow_up, name="follow_up"),
    path("alerts/asked/<int:alert_id>/", team_alert, name="alert"),
    path("alerts/asked/<int:alert_id>/answer/", team_alert_answer, name="alert_answer"),
]
