from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from circles.lib.forms import form_page
from circles.notices.actions import (
    commitments_with_days,
    do_save_reminder_preferences,
    do_unsubscribe,
    preferences_of,
)
from circles.notices.forms import ReminderPreferencesForm
from circles.notices.models import KIND_LABELS
from circles.notices.sending import read_unsubscribe_token


@login_required
def preferences(request):
    """Which reminders and notices to get, how, and quiet hours; in the account's section."""
    form = ReminderPreferencesForm(
        request.POST if request.method == "POST" else None,
        instance=preferences_of(request.user),
        commitments=commitments_with_days(request.user),
    )
    if request.method == "POST" and form.is_valid():
        do_save_reminder_preferences(form.instance, form.commitment_starts(), acting_user=request.user)
        messages.success(request, _("Your reminders are saved."))
        return redirect("accounts:reminders")
    return form_page(request, "notices/preferences.html", {"form": form})


# Reached from an email without signing in: the signed token is the only credential, and mail programs
# send the RFC 8058 one-click POST without a session or a CSRF token. A GET never changes anything,
# because mail scanners follow links.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    try:
        person_id, kind = read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "notices/unsubscribe_invalid.html", status=400)
    context = {"kind_label": KIND_LABELS[kind]}
    if request.method == "POST":
        do_unsubscribe(person_id, kind)
        return render(request, "notices/unsubscribed.html", context)
    return render(request, "notices/unsubscribe.html", context)
