"""Check-in pages: today's check-in, history, questionnaires, the trajectory, and My circle (the network
with the check-in reminders and the support scores beside it)."""

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circles.checkins import drawing, fhir, logic, timing
from circles.checkins.access import access_assessment
from circles.checkins.actions import (
    checkin_settings,
    do_discard_assessment,
    do_import_questionnaire,
    do_save_answers,
    do_save_checkin,
    do_save_checkin_settings,
    do_set_schedule,
    do_start_assessment,
    refuse_questionnaire_import,
)
from circles.checkins.crisis import crisis_resources
from circles.checkins.definitions import import_refusal, may_import_questionnaires
from circles.checkins.forms import (
    AnswersForm,
    CheckInForm,
    CheckInSettingsForm,
    ImportQuestionnaireForm,
    ScheduleForm,
)
from circles.checkins.models import Assessment, CheckIn, QuestionnaireDefinition
from circles.checkins.reminders import load_measures, load_reminders
from circles.checkins.trajectory import DEFAULT_WINDOW, WINDOWS, load_latest_scores, load_trajectory
from circles.lib.contact_links import direct_contact
from circles.lib.forms import form_page
from circles.lib.time import local_today
from circles.network import drawing as network_drawing
from circles.network.health import load_network
from circles.network.involvement import load_involvement
from circles.network.models import Circle, Tie, TieStatus

HISTORY_PER_PAGE = 30
MAP_TABLE_PER_PAGE = 50  # the map's table of ties, a page at a time (?page=)


@login_required
def my_circle(request):
    """The member's network and its health, with what is due and the latest support scores."""
    if load_involvement(request.user).supports_only:
        # Someone who only supports others has no circle to show and nothing due: not an empty member
        # dashboard with a questionnaire to fill in, but the people they support.
        return redirect("sharing:supporting")
    network = load_network(request.user)
    entries = network_drawing.map_entries(network.facts)
    table_page = Paginator(entries, MAP_TABLE_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "network": network,
        "health": network.health,
        "map_svg": network_drawing.network_map(entries, request.user.display_name),
        "map_rows": network_drawing.map_table_rows(table_page.object_list),
        "table_page": table_page,
        "table_open": "page" in request.GET,
        "chart_svg": network_drawing.weekly_chart(network.health.weeks),
        "reminders": load_reminders(request.user),
        # Perceived support and recovery capital, measured, beside the composition of the network.
        "support_scores": load_latest_scores(request.user, ("mspss", "barc10")),
    }
    return render(request, "checkins/my_circle.html", context)


def _checkin_page(request, day: dt.date):
    today = local_today(request.user)
    problem = timing.checkin_day_problem(day, today)
    # With its ties: the form shows them and saving writes only the ones that changed.
    existing = CheckIn.objects.filter(member=request.user, day=day).prefetch_related("struggling_for").first()
    if existing:
        existing.member = request.user
    if problem:
        return render(request, "checkins/checkin_closed.html", {"day": day, "problem": problem}, status=404)
    if existing and not existing.is_editable(today):
        return render(
            request,
            "checkins/checkin_closed.html",
            {"day": day, "problem": _("A check-in can be changed on its own day."), "checkin": existing},
            status=409 if request.method == "POST" else 200,
        )
    form = CheckInForm(request.POST or None, instance=existing, member=request.user, day=day)
    if request.method == "POST" and form.is_valid():
        try:
            checkin = do_save_checkin(
                form.save(commit=False), form.cleaned_data["struggling_for"], acting_user=request.user
            )
        except ValidationError:  # a second tap on Save: the first one already recorded the day
            return redirect("checkins:today")
        messages.success(
            request,
            _("Check-in saved. Thank you for checking in.")
            if not checkin.late
            else _("Check-in for %(day)s saved.") % {"day": checkin.day.strftime("%b %-d")},
        )
        if checkin.used:
            messages.info(
                request,
                _(
                    "Thank you for noting it. A return to use is part of many recoveries; "
                    "it does not undo the work you have done."
                ),
            )
        return redirect("checkins:today")
    reminders = load_reminders(request.user)
    context = {"form": form, "day": day, "today": today, "existing": existing, "reminders": reminders}
    if request.method == "GET" and existing and day == today:
        context.update(_support_offer(request.user, existing))
    return form_page(request, "checkins/checkin_form.html", context)


def _support_offer(member, checkin: CheckIn) -> dict:
    """After a hard check-in: why it counts as hard, the inner circle's direct links, crisis resources."""
    reasons = logic.hard_checkin_reasons(
        {"mood": checkin.mood, "craving": checkin.craving, "stress": checkin.stress, "used": checkin.used}
    )
    if not reasons:
        return {}
    # Only the member's own active ties, and only the phone and email the member saved on them; someone
    # with neither is still listed, with a link to add one, rather than silently left out.
    ties = (
        Tie.objects.filter(member=member, circle=Circle.INNER, status=TieStatus.ACTIVE)
        .order_by("-importance", "display_name", "pk")
        .only("display_name", "phone", "email")
    )
    return {
        "hard_reasons": reasons,
        "inner_circle": [direct_contact(tie.pk, tie.display_name, tie.phone, tie.email) for tie in ties],
        "resources": crisis_resources(translation.get_language()),
    }


@login_required
def today(request):
    return _checkin_page(request, local_today(request.user))


@login_required
def checkin_day(request, day: str):
    try:
        parsed = dt.date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    return _checkin_page(request, parsed)


@login_required
def history(request):
    checkins = CheckIn.objects.filter(member=request.user)
    page = Paginator(checkins, HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    settings_row = checkin_settings(request.user)
    recovery = None
    if settings_row.count_days and settings_row.recovery_started_on:
        today = local_today(request.user)
        # Only what the summary reads: returns to use since the date, and the last 30 days.
        rows = (
            CheckIn.objects.filter(member=request.user, day__gte=settings_row.recovery_started_on)
            .filter(Q(used=True) | Q(day__gte=today - dt.timedelta(days=29)))
            .values_list("day", "used", "substance", "use_note")
        )
        recovery = timing.recovery_days(settings_row.recovery_started_on, today, list(rows))
    return render(request, "checkins/history.html", {"page": page, "recovery": recovery})


@login_required
def checkin_settings_page(request):
    current = checkin_settings(request.user)
    form = CheckInSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        do_save_checkin_settings(form.save(commit=False), acting_user=request.user)
        messages.success(request, _("Saved."))
        return redirect("checkins:history")
    return form_page(request, "checkins/settings.html", {"form": form})


def measures_page(request, seen_by: dict[str, list[str]]):
    """The questionnaires page and its schedule form; `seen_by` names who sees each one's results.

    Served by circles/sharing/views.py, which reads the member's consents for `seen_by`.
    """
    today = local_today(request.user)
    statuses = load_measures(request.user, today)
    recent = Assessment.objects.completed().filter(member=request.user).order_by("-completed_at")[:20]
    intervals = {s.instrument.code: s.interval_days for s in statuses}
    form = ScheduleForm(request.POST or None, intervals=intervals)
    if request.method == "POST":
        if form.is_valid():
            for code, interval in form.cleaned_data.items():
                if interval != intervals.get(code):
                    do_set_schedule(request.user, code, interval, acting_user=request.user)
            messages.success(request, _("Your questionnaire schedule is saved."))
            return redirect("checkins:measures")
    context = {
        "statuses": statuses,
        "measures": [(status, seen_by.get(status.instrument.code, [])) for status in statuses],
        "recent": recent,
        "form": form,
        "today": today,
    }
    return form_page(request, "checkins/measures.html", context)


@login_required
@require_POST
def start_measure(request, instrument: str):
    if instrument not in logic.INSTRUMENTS:
        raise Http404
    offered_after = None
    after = request.POST.get("after", "")
    if after.isdecimal() and len(after) < 19:
        offered_after = access_assessment(request.user, int(after))
    assessment = do_start_assessment(
        request.user, instrument, language=translation.get_language() or "en", offered_after=offered_after
    )
    return redirect("checkins:assessment", assessment_id=assessment.pk)


@login_required
def assessment_page(request, assessment_id: int):
    assessment = access_assessment(request.user, assessment_id, write=request.method == "POST")
    if assessment.is_complete:
        return redirect("checkins:assessment_result", assessment_id=assessment.pk)
    form = AnswersForm(request.POST or None, assessment=assessment)
    if request.method == "POST" and form.is_valid():
        if "discard" in request.POST:
            do_discard_assessment(assessment, acting_user=request.user)
            messages.success(request, _("That questionnaire was discarded."))
            return redirect("checkins:measures")
        finishing = "finish" in request.POST
        structure = assessment.spec.structure
        # A changed answer can hide questions the browser still sends (radios can't be unticked): drop them.
        given = form.answers()
        shown = {item.link_id for item in structure.enabled({**assessment.answers, **given})}
        given = {link_id: value for link_id, value in given.items() if link_id in shown}
        # Skip logic: answers that reveal more questions save the page and show them before finishing.
        newly_shown = {i.link_id for i in structure.enabled({**assessment.answers, **given})} - {
            i.link_id for i in form.items
        }
        try:
            assessment = do_save_answers(
                assessment, given, complete=finishing and not newly_shown, acting_user=request.user
            )
        except ValidationError as error:
            for key, problems in error.message_dict.items():
                field = "q" + key.removeprefix("answers.")
                form.add_error(field if field in form.fields else None, problems)
        else:
            if assessment.is_complete:
                return redirect("checkins:assessment_result", assessment_id=assessment.pk)
            if newly_shown:
                messages.info(request, _("Thank you. A few more questions follow from your answer."))
                return redirect("checkins:assessment", assessment_id=assessment.pk)
            messages.success(request, _("Saved. You can finish it later from Questionnaires."))
            if assessment.safety:
                return redirect("checkins:assessment", assessment_id=assessment.pk)
            return redirect("checkins:measures")
    context = {
        "assessment": assessment,
        "form": form,
        "description": assessment.definition.resource.get("description", ""),
        "safety_item_answered": _safety_item_positive(assessment),
        "show_crisis": assessment.safety,
        "resources": crisis_resources(translation.get_language()),
    }
    return form_page(request, "checkins/assessment_form.html", context)


def _safety_item_positive(assessment: Assessment) -> bool:
    instrument, link_id = logic.SAFETY_ITEM
    return assessment.instrument == instrument and (assessment.answers.get(link_id) or 0) > 0


def assessment_result_context(member, assessment_id: int) -> dict:
    """A questionnaire's result page (checkins/assessment_result.html) for its member; 404 for anyone else.

    The page itself is served by circles/alerts/views.py, which adds whom a safety answer is asking.
    """
    assessment = access_assessment(member, assessment_id)
    screener_offer = _safety_item_positive(assessment)
    screener = None
    if screener_offer:
        screener = (
            Assessment.objects.filter(member=member, instrument="cssrs", offered_after=assessment)
            .order_by("-started_at")
            .first()
        )
    return {
        "assessment": assessment,
        "spec": assessment.spec,
        "screener_offer": screener_offer,
        "screener": screener,
        "show_crisis": assessment.safety,
        "resources": crisis_resources(translation.get_language()),
    }


@login_required
def assessment_fhir(request, assessment_id: int):
    assessment = access_assessment(request.user, assessment_id)
    if not assessment.is_complete:
        raise Http404
    response = HttpResponse(
        json.dumps(fhir.assessment_bundle(assessment), indent=2), content_type="application/fhir+json"
    )
    response["Content-Disposition"] = f'attachment; filename="{assessment.instrument}-{assessment.day}.json"'
    return response


@login_required
def trajectory(request):
    try:
        days = int(request.GET.get("days", DEFAULT_WINDOW))
    except ValueError:
        days = DEFAULT_WINDOW
    if days not in WINDOWS:
        days = DEFAULT_WINDOW
    data = load_trajectory(request.user, days)
    axis = drawing.TimeAxis(data.start, data.today)
    charts = [
        (series, drawing.instrument_chart(series, axis))
        for series in data.instruments
        if series.instrument.code != "cssrs"
    ]
    context = {
        "data": data,
        "averages": {name: data.average(name) for name in ("mood", "craving", "stress")},
        "windows": WINDOWS,
        "checkin_svg": drawing.checkin_chart(data.checkins, axis, daily_table=data.daily_table),
        "instrument_charts": charts,
        "screens": next((s for s in data.instruments if s.instrument.code == "cssrs"), None),
        "contact_svg": drawing.contact_chart(data.weeks, axis),
    }
    return render(request, "checkins/trajectory.html", context)


@login_required
def import_questionnaire(request):
    """Deployment administrators import wording; anyone else is told who can, and a try is audited."""
    form = ImportQuestionnaireForm(request.POST or None, request.FILES or None)
    if not may_import_questionnaires(request.user):
        if request.method == "POST":
            resource = form.cleaned_data["questionnaire"] if form.is_valid() else None
            refuse_questionnaire_import(request.POST.get("instrument"), resource, acting_user=request.user)
        return render(request, "checkins/import_refused.html", {"message": import_refusal()}, status=403)
    if request.method == "POST" and form.is_valid():
        try:
            definition = do_import_questionnaire(
                form.cleaned_data["instrument"],
                form.cleaned_data["questionnaire"],
                activate=form.cleaned_data["activate"],
                acting_user=request.user,
            )
        except ValidationError as error:
            for problems in error.message_dict.values():
                form.add_error(
                    "questionnaire" if "resource" in error.message_dict else "instrument", problems
                )
        else:
            messages.success(
                request,
                _("Imported %(title)s, version %(version)s (%(language)s).")
                % {"title": definition.title, "version": definition.version, "language": definition.language},
            )
            return redirect("checkins:import_questionnaire")
    imported = QuestionnaireDefinition.objects.filter(builtin=False, audience="").order_by("-created_at")[:50]
    return form_page(request, "checkins/import.html", {"form": form, "imported": imported})
