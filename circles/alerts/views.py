"""Alert pages: the help page and SOS, the member's live alert page, the ladder and rules, and answering."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.csrf import csrf_failure as default_csrf_failure
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from circles.alerts import actions, logic
from circles.alerts.access import (
    access_answer_link,
    access_asked_alert,
    access_asked_alerts,
    access_own_alert,
    own_alerts,
)
from circles.alerts.delay import delivery_delay
from circles.alerts.forms import AddPersonForm, AlertSettingsForm, SosForm, WindowForm
from circles.alerts.models import OPEN_STATUSES, Alert, AlertStatus, NotificationStatus, Rung
from circles.alerts.outbox import is_care_team, ladder_name
from circles.alerts.progress import alert_for_assessment, ladder_preview, progress_context
from circles.alerts.rules import alert_settings
from circles.checkins import views as checkins_views
from circles.checkins.actions import do_ask_for_help
from circles.checkins.crisis import crisis_resources
from circles.lib.forms import form_page
from circles.sharing.access import access_reach, access_shared_data, access_supported_members
from circles.sharing.shared import present


def _resources():
    return crisis_resources(translation.get_language())


@login_required
def overview(request):
    alerts = list(own_alerts(request.user))
    context = {
        "open_alerts": [a for a in alerts if a.is_open],
        "past_alerts": [a for a in alerts if not a.is_open],
        "ladder": _ladder_rows(request.user),
    }
    return render(request, "alerts/overview.html", context)


def sos_offer(member) -> dict:
    """What the help page needs to offer SOS: the form, whether there is a ladder and whom it would ask,
    or an SOS already open and whom it is asking."""
    open_sos = Alert.objects.filter(member=member, kind=logic.SOS, status__in=OPEN_STATUSES).first()
    context: dict[str, object] = {"form": SosForm(), "open_sos": open_sos, "statuses": AlertStatus}
    if open_sos is not None:  # who it is asking now, live, instead of the form
        alert = access_own_alert(member, open_sos.pk)
        context.update(progress_context(alert), alert=alert)
    else:
        has_ladder = Rung.objects.filter(member=member).exists()
        context["has_ladder"] = has_ladder
        context["preview"] = ladder_preview(member, timezone.now()) if has_ladder else None
    return context


def help_now(request):
    """Crisis resources for anyone; a signed-in member's press also records a durable safety signal.

    A press whose session has ended still gets the resources at once, never an error page.
    """
    pressed = signed_out_press = False
    if request.method == "POST":
        if request.user.is_authenticated:
            do_ask_for_help(request.user, acting_user=request.user)
            pressed = True
        else:
            signed_out_press = True
    context = {"resources": _resources(), "pressed": pressed, "signed_out_press": signed_out_press}
    if pressed:  # the SOS confirmation is the next tap
        context.update(sos_offer(request.user))
    return render(request, "alerts/help_now.html", context)


def csrf_failure(request, reason=""):
    """A refused form; on the help button's address the crisis resources are shown all the same."""
    if request.path == reverse("help_now"):
        context = {"resources": _resources(), "signed_out_press": True}
        return render(request, "alerts/help_now.html", context, status=403)
    return default_csrf_failure(request, reason=reason)


@login_required
def sos(request):
    """The confirmation step of SOS: one tap on "I need help now", a second one here."""
    form = SosForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        alert, created = actions.do_raise_sos(
            request.user, message=form.cleaned_data["message"], acting_user=request.user
        )
        if not created:
            messages.info(request, _("You had already asked; here is who has been asked so far."))
        return redirect("alerts:detail", alert_id=alert.pk)
    context = {**sos_offer(request.user), "form": form, "resources": _resources()}
    return form_page(request, "alerts/sos.html", context)


def _asked_rows(alert):
    """Who was asked, one row per person and step, with each channel's state."""
    rows: dict[tuple[int, int | None, str], dict] = {}
    for n in alert.notifications.all():
        row = rows.setdefault(
            (n.rung, n.tie_id, n.recipient_name),
            {"step": n.rung + 1, "name": n.recipient_name, "channels": []},
        )
        row["channels"].append(n)
    answers = {(a.tie_id, a.name) for a in alert.acknowledgements.all()}
    answered_ties = {tie_id for tie_id, _name in answers}
    # A care team's staff share the organization's tie: the one who answered is the row named as they are.
    named = {tie_id for _rung, tie_id, name in rows if (tie_id, name) in answers}
    for (_rung, tie_id, name), row in rows.items():
        row["answered"] = (tie_id, name) in answers or (tie_id in answered_ties and tie_id not in named)
        row["asked"] = any(n.status != NotificationStatus.SKIPPED for n in row["channels"])
    return list(rows.values())


def _detail_context(alert):
    delayed, contacts = delivery_delay(alert, timezone.now())
    return {
        "alert": alert,
        "asked": _asked_rows(alert),
        "answers": list(alert.acknowledgements.all()),
        "resources": _resources(),
        "statuses": AlertStatus,
        "delayed": delayed,
        "direct_contacts": contacts,
        **progress_context(alert),
    }


@login_required
def detail(request, alert_id: int):
    alert = access_own_alert(request.user, alert_id)
    return render(request, "alerts/detail.html", _detail_context(alert))


@login_required
def status(request, alert_id: int):
    """The live part of the alert page, fetched again every few seconds by alert-status.js."""
    alert = access_own_alert(request.user, alert_id)
    return render(request, "alerts/includes/status.html", _detail_context(alert))


@login_required
def progress(request, alert_id: int):
    """Who is being asked and when the next step starts, fetched again by alert-status.js on the pages
    that show it beside something else (the SOS and questionnaire result pages)."""
    alert = access_own_alert(request.user, alert_id)
    context = {"alert": alert, "statuses": AlertStatus, **progress_context(alert)}
    return render(request, "alerts/includes/progress_box.html", context)


@login_required
def assessment_result(request, assessment_id: int):
    """A questionnaire's result (checkins), with who its safety answer is asking and when the next step
    starts: the page composes both apps, so it lives here, served in the check-ins section."""
    context = checkins_views.assessment_result_context(request.user, assessment_id)
    alert = alert_for_assessment(context["assessment"]) if context["assessment"].safety else None
    if alert is not None:
        alert = access_own_alert(request.user, alert.pk)
        context.update(progress_context(alert), alert=alert, statuses=AlertStatus)
    return render(request, "alerts/assessment_result.html", context)


@login_required
@require_POST
def close(request, alert_id: int):
    alert = access_own_alert(request.user, alert_id, write=True)
    actions.do_close_alert(alert, acting_user=request.user)
    messages.success(request, _("Closed. Nobody else will be asked."))
    return redirect("alerts:detail", alert_id=alert.pk)


@login_required
def asked(request, alert_id: int):
    """An alert as a person it asked sees it: only what the member's consent lets them see."""
    view = access_asked_alert(request.user, alert_id)
    reach = access_reach(request.user, view.alert.member_id)
    context = {"view": view, "statuses": AlertStatus, "reach": reach}
    return render(request, "alerts/asked.html", context)


@login_required
@require_POST
def asked_answer(request, alert_id: int):
    view = access_asked_alert(request.user, alert_id, write=True)
    answer = actions.do_answer(view.alert, view.tie, acting_user=request.user)
    if answer.recorded:
        messages.success(
            request, _("Thank you. %(name)s can see you are reaching out.") % {"name": view.member_name}
        )
    else:
        messages.info(request, _("%(name)s has closed this alert.") % {"name": view.member_name})
    return redirect("alerts:asked", alert_id=alert_id)


@never_cache  # it names a person and carries a form: never from a shared or browser cache
def answer_link(request, token: str):
    """The link in an email or text: a page with one button (a mail scanner opening the link must not
    answer for the person), then the answer. No login needed; nothing more than the name is shown, but
    how to reach the member to the signed-in person the link was sent to, when the member shares it."""
    try:
        notification, tie = access_answer_link(token)
    except signing.SignatureExpired:
        return render(request, "alerts/answer_refused.html", {"expired": True}, status=410)
    except signing.BadSignature:
        return render(request, "alerts/answer_refused.html", {}, status=400)
    alert = notification.alert
    context = {"name": alert.member.display_name, "alert": alert, "statuses": AlertStatus, "answered": False}
    if request.method == "POST":
        answer = actions.do_answer(alert, tie, notification=notification)
        context.update(answered=answer.recorded, alert=answer.alert)
    else:
        context["already"] = alert.acknowledgements.filter(tie=tie).exists()
    # How to reach the member only for the signed-in person the link was sent to (a link passed on
    # or opened by a mail scanner shows nothing more), and only while the member shares it with them.
    if request.user.is_authenticated and request.user.pk == tie.supporter_id:
        context["reach"] = access_reach(request.user, alert.member_id)
    return render(request, "alerts/answer.html", context)


def _ladder_rows(member):
    askable = actions.can_be_asked(member)
    rungs = list(Rung.objects.filter(member=member).prefetch_related("people__tie__supporter"))
    return [
        {
            "rung": rung,
            "people": [
                {
                    "person": person,
                    "name": ladder_name(person.tie),
                    "care_team": is_care_team(person),
                    "can_be_asked": person.tie_id in askable,
                    "channels": [
                        logic.CHANNEL_LABELS[c] for c in person.channels if c in logic.CHANNEL_LABELS
                    ],
                }
                for person in rung.people.all()
            ],
        }
        for rung in rungs
    ]


@login_required
def ladder(request, form=None, status=200):
    rows = _ladder_rows(request.user)
    context = {
        "rows": rows,
        "add_form": form or AddPersonForm(member=request.user, steps=len(rows)),
        "suggested": actions.suggested_ladder(request.user) if not rows else [],
        "max_rungs": logic.MAX_RUNGS,
    }
    if context["suggested"]:
        ties = {t.pk: t for t in request.user.ties.all()}
        context["suggested_names"] = [
            [ties[p.tie_id].display_name for p in step.people] for step in context["suggested"]
        ]
    return render(request, "alerts/ladder.html", context, status=status)


def _save(request, spec) -> bool:
    try:
        actions.do_set_ladder(request.user, spec, acting_user=request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, str(text))
        return False
    return True


@login_required
@require_POST
def ladder_add(request):
    spec = actions.ladder_spec(request.user)
    form = AddPersonForm(request.POST, member=request.user, steps=len(spec))
    if not form.is_valid():
        return ladder(request, form=form, status=400)
    data = form.cleaned_data
    person = actions.PersonSpec(
        data["tie"].pk, data["channels"], data["quiet_from"], data["quiet_until"], data["webhook_url"] or ""
    )
    if data["step"] >= len(spec):
        spec.append(actions.RungSpec([person]))
    else:
        spec[data["step"]].people = [p for p in spec[data["step"]].people if p.tie_id != person.tie_id] + [
            person
        ]
    if _save(request, spec):
        messages.success(request, _("%(name)s is on your ladder.") % {"name": data["tie"].display_name})
        return redirect("alerts:ladder")
    return ladder(request, form=form, status=400)


@login_required
@require_POST
def ladder_suggested(request):
    if _save(request, actions.suggested_ladder(request.user)):
        messages.success(
            request, _("Your ladder is saved. Check who can be asked and change anything you like.")
        )
    return redirect("alerts:ladder")


def _step(spec, step: int):
    if not 0 <= step < len(spec):
        raise Http404
    return spec[step]


@login_required
@require_POST
def ladder_window(request, step: int):
    spec = actions.ladder_spec(request.user)
    rung = _step(spec, step)
    form = WindowForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, str(text))
        return redirect("alerts:ladder")
    rung.window_minutes = form.cleaned_data["window_minutes"]
    if _save(request, spec):
        messages.success(request, _("Saved."))
    return redirect("alerts:ladder")


@login_required
@require_POST
def ladder_up(request, step: int):
    spec = actions.ladder_spec(request.user)
    _step(spec, step)
    if step > 0:
        spec[step - 1], spec[step] = spec[step], spec[step - 1]
        _save(request, spec)
    return redirect("alerts:ladder")


@login_required
@require_POST
def ladder_remove(request, step: int, tie_id: int):
    spec = actions.ladder_spec(request.user)
    rung = _step(spec, step)
    rung.people = [p for p in rung.people if p.tie_id != tie_id]
    if not rung.people:
        spec.pop(step)
    if _save(request, spec):
        messages.success(request, _("Removed from your ladder."))
    return redirect("alerts:ladder")


@login_required
def rules(request):
    form = AlertSettingsForm(
        request.POST if request.method == "POST" else None, instance=alert_settings(request.user)
    )
    if request.method == "POST" and form.is_valid():
        actions.do_save_alert_settings(form.instance, acting_user=request.user)
        messages.success(request, _("Your alert rules are saved."))
        return redirect("alerts:rules")
    return form_page(request, "alerts/rules.html", {"form": form, "thresholds": logic.THRESHOLDS})


# --- The supporter's home ------------------------------------------------------------------------


@login_required
def supporting(request):
    """The people this account supports, each with what they share right now, and alerts asking them."""
    disclosures = access_supported_members(request.user)
    shared = {data.disclosure.member.pk: data for data in access_shared_data(request.user, disclosures)}
    people = [
        present(disclosure, shared.get(disclosure.member.pk), compact=True) for disclosure in disclosures
    ]
    context = {
        "people": people,
        "anything_shared": any(person.shares_anything for person in people),
        "asked_alerts": access_asked_alerts(request.user),
    }
    return render(request, "alerts/supporting.html", context)
