"""Network pages: ties, contact log and commitments. My circle, which shows the map and its health beside
check-in reminders and scores, lives in circles/checkins/views.py; the list of commitments, which shows the
member's care sessions above them, in circles/care/views/sessions.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Min
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circles.lib.forms import form_page
from circles.lib.time import local_today, user_zone
from circles.network import rollup
from circles.network.access import access_commitment, access_interaction, access_tie
from circles.network.actions import (
    do_add_tie,
    do_change_tie_status,
    do_delete_commitment,
    do_delete_interaction,
    do_delete_tie,
    do_log_interaction,
    do_save_commitment,
    do_update_interaction,
    do_update_tie,
)
from circles.network.forms import (
    CARE_ORGANIZATION_FOLLOWS_ENROLMENT,
    CommitmentForm,
    InteractionForm,
    TieForm,
    TieStatusForm,
)
from circles.network.models import Interaction, Tie

CONTACTS_PER_PAGE = 50


@login_required
def tie_list(request):
    ties = list(Tie.objects.filter(member=request.user).with_last_contact())
    # Ties not counted yet in the member's zone (made before the rollup, or a new zone) are counted first.
    if stale := rollup.stale_ties(ties, user_zone(request.user)):
        rollup.recount_ties(stale)
        ties = list(Tie.objects.filter(member=request.user).with_last_contact())
    return render(request, "network/tie_list.html", {"ties": ties})


@login_required
def tie_create(request):
    form = TieForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tie = do_add_tie(form.save(commit=False), acting_user=request.user)
        messages.success(request, _("%(name)s is in your circle.") % {"name": tie.display_name})
        if "add_another" in request.POST:
            return redirect("network:tie_create")
        return redirect("network:tie_detail", tie_id=tie.pk)
    return form_page(request, "network/tie_form.html", {"form": form})


def _tie_page(request, tie: Tie, status_form: TieStatusForm | None = None, status: int = 200):
    context = {
        "tie": tie,
        "history": tie.status_changes.all(),
        # Contact logged from before the tie was added: the relationship is older than its record here.
        "first_contact": tie.interactions.aggregate(first=Min("occurred_at"))["first"],
        "interactions": tie.interactions.all()[:20],
        "commitments": tie.commitments.all(),
        "status_form": status_form or TieStatusForm(initial={"status": tie.status}),
    }
    if status_form is not None:
        status = 400
    return render(request, "network/tie_detail.html", context, status=status)


@login_required
def tie_detail(request, tie_id: int):
    return _tie_page(request, access_tie(request.user, tie_id))


@login_required
def tie_edit(request, tie_id: int):
    tie = access_tie(request.user, tie_id, write=True)
    form = TieForm(request.POST or None, instance=tie)
    if request.method == "POST" and form.is_valid():
        do_update_tie(form.save(commit=False), acting_user=request.user)
        messages.success(request, _("Saved."))
        return redirect("network:tie_detail", tie_id=tie.pk)
    return form_page(request, "network/tie_form.html", {"form": form, "tie": tie})


@login_required
@require_POST
def tie_status(request, tie_id: int):
    tie = access_tie(request.user, tie_id, write=True)
    form = TieStatusForm(request.POST)
    if tie.is_care_organization:  # it follows the enrolment: leaving the program on My care ends it
        form.is_valid()
        form.add_error(None, CARE_ORGANIZATION_FOLLOWS_ENROLMENT)
    if not form.is_valid():
        return _tie_page(request, tie, status_form=form)
    do_change_tie_status(
        tie, form.cleaned_data["status"], note=form.cleaned_data["note"], acting_user=request.user
    )
    messages.success(
        request,
        _("%(name)s is now %(status)s.")
        % {"name": tie.display_name, "status": tie.get_status_display().lower()},
    )
    return redirect("network:tie_detail", tie_id=tie.pk)


@login_required
def tie_delete(request, tie_id: int):
    tie = access_tie(request.user, tie_id, write=True)
    if tie.is_care_organization:  # it follows the enrolment: leaving the program on My care ends it
        messages.error(request, CARE_ORGANIZATION_FOLLOWS_ENROLMENT)
        return _tie_page(request, tie, status=400)
    if request.method == "POST":
        do_delete_tie(tie, acting_user=request.user)
        messages.success(request, _("%(name)s was removed from your circle.") % {"name": tie.display_name})
        return redirect("network:tie_list")
    return render(
        request,
        "network/confirm_delete.html",
        {"object": tie, "is_tie": True, "cancel_href": reverse("network:tie_detail", args=[tie.pk])},
    )


@login_required
def interaction_list(request):
    interactions = Interaction.objects.filter(member=request.user).select_related("tie")
    page = Paginator(interactions, CONTACTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "network/interaction_list.html", {"page": page})


def _tie_from_link(request) -> dict:
    """`?tie=<id>` preselects one of the member's ties; anything else is ignored."""
    value = request.GET.get("tie", "")
    if value.isascii() and value.isdecimal() and len(value) < 19:
        return {"tie": access_tie(request.user, int(value)).pk}
    return {}


@login_required
def interaction_create(request):
    initial = _tie_from_link(request)
    form = InteractionForm(request.POST or None, member=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        interaction = do_log_interaction(form.save(commit=False), acting_user=request.user)
        messages.success(request, _("Contact with %(name)s logged.") % {"name": interaction.tie.display_name})
        return redirect("network:interaction_list")
    return form_page(request, "network/interaction_form.html", {"form": form})


@login_required
def interaction_edit(request, interaction_id: int):
    interaction = access_interaction(request.user, interaction_id, write=True)
    form = InteractionForm(request.POST or None, member=request.user, instance=interaction)
    if request.method == "POST" and form.is_valid():
        do_update_interaction(form.save(commit=False), acting_user=request.user)
        messages.success(request, _("Saved."))
        return redirect("network:interaction_list")
    return form_page(request, "network/interaction_form.html", {"form": form, "interaction": interaction})


@login_required
def interaction_delete(request, interaction_id: int):
    interaction = access_interaction(request.user, interaction_id, write=True)
    if request.method == "POST":
        do_delete_interaction(interaction, acting_user=request.user)
        messages.success(request, _("That contact was removed from your log."))
        return redirect("network:interaction_list")
    return render(
        request,
        "network/confirm_delete.html",
        {"object": interaction, "cancel_href": reverse("network:interaction_list")},
    )


@login_required
def commitment_create(request):
    initial = {"starts_on": local_today(request.user), **_tie_from_link(request)}
    form = CommitmentForm(request.POST or None, member=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        do_save_commitment(form.save(commit=False), acting_user=request.user)
        messages.success(request, _("Commitment saved."))
        return redirect("network:commitment_list")
    return form_page(request, "network/commitment_form.html", {"form": form})


@login_required
def commitment_edit(request, commitment_id: int):
    commitment = access_commitment(request.user, commitment_id, write=True)
    form = CommitmentForm(request.POST or None, member=request.user, instance=commitment)
    if request.method == "POST" and form.is_valid():
        do_save_commitment(form.save(commit=False), acting_user=request.user)
        messages.success(request, _("Saved."))
        return redirect("network:commitment_list")
    return form_page(request, "network/commitment_form.html", {"form": form, "commitment": commitment})


@login_required
def commitment_delete(request, commitment_id: int):
    commitment = access_commitment(request.user, commitment_id, write=True)
    if request.method == "POST":
        do_delete_commitment(commitment, acting_user=request.user)
        messages.success(request, _("Commitment removed."))
        return redirect("network:commitment_list")
    return render(
        request,
        "network/confirm_delete.html",
        {"object": commitment, "cancel_href": reverse("network:commitment_list")},
    )
