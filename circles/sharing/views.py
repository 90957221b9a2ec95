"""Sharing pages. The member's side: who sees what, invitations, consent records, access history.
The supporter's side: what one member they support shares. (Their home, which lists alerts too, is in
circles/alerts/views.py.)"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from circles.audit.models import AuditEvent
from circles.checkins import views as checkins_views
from circles.lib.forms import form_page
from circles.lib.time import user_zone
from circles.network import drawing as network_drawing
from circles.network.access import access_tie
from circles.network.models import Tie, TieStatus
from circles.sharing import actions, logic
from circles.sharing.access import (
    access_consent,
    access_disclosure,
    access_invitation,
    access_shared_data,
    access_shared_map,
)
from circles.sharing.fhir import consent_resource
from circles.sharing.forms import ConsentForm, EncouragementForm, InvitationForm, ReachDetailsForm
from circles.sharing.models import Consent, Invitation, InvitationStatus, ReachDetails
from circles.sharing.shared import present
from circles.sharing.statement import ORGANIZATION_PURPOSE, REDISCLOSURE_NOTICE, default_purpose

ACCESS_ROWS_PER_PAGE = 50


def _origin(request) -> str:
    return request.build_absolute_uri("/")


# --- The member's side ---------------------------------------------------------------------------


@login_required
def overview(request):
    """Every tie with its link, pending invitation and current consent, in three queries."""
    ties = list(
        Tie.objects.filter(member=request.user).exclude(status=TieStatus.ENDED).select_related("supporter")
    )
    consents = {
        c.tie_id: c for c in Consent.objects.current().filter(member=request.user).select_related("tie")
    }
    invitations: dict[int, Invitation] = {}
    for invitation in Invitation.objects.filter(member=request.user).order_by("sent_at"):
        invitations[invitation.tie_id] = invitation
    rows = [
        {
            "tie": tie,
            "consent": consents.get(tie.pk),
            "live": consents.get(tie.pk) is not None and consents[tie.pk].is_live(),
            "invitation": invitations.get(tie.pk),
        }
        for tie in ties
    ]
    context = {
        # People and the organizations the member is enrolled with (circles/care), side by side.
        "rows": [row for row in rows if not actions.to_organization(row["tie"])],
        "organization_rows": [row for row in rows if actions.to_organization(row["tie"])],
        "pending": InvitationStatus.PENDING,
        "reach": ReachDetails.objects.filter(member=request.user).first(),
    }
    return render(request, "sharing/overview.html", context)


@login_required
def reach(request):
    """The member's phone number and preferred way, shown to those they share "How to reach me" with."""
    details = ReachDetails.objects.filter(member=request.user).first() or ReachDetails(member=request.user)
    form = ReachDetailsForm(request.POST or None, instance=details)
    if request.method == "POST" and form.is_valid():
        actions.do_save_reach_details(
            request.user,
            phone=form.cleaned_data["phone"],
            preferred=form.cleaned_data["preferred"],
            acting_user=request.user,
        )
        messages.success(request, _("Saved. The people you share “How to reach me” with see it from now on."))
        return redirect("sharing:overview")
    sharing_with = [
        c.recipient_name
        for c in Consent.objects.live().filter(member=request.user).order_by("recipient_name")
        if logic.REACH in c.scopes
    ]
    return form_page(request, "sharing/reach.html", {"form": form, "sharing_with": sharing_with})


def _tie_sharing_page(request, tie, form, invitation_form):
    context = {
        "tie": tie,
        "to_organization": actions.to_organization(tie),
        "form": form,
        "invitation_form": invitation_form,
        "current": Consent.objects.current().filter(tie=tie).first(),
        "history": Consent.objects.filter(tie=tie),
        "invitations": tie.invitations.all(),
        "scopes": logic.SCOPES,
        "reach": ReachDetails.objects.filter(member=request.user).first(),
    }
    return form_page(request, "sharing/tie_sharing.html", context)


@login_required
def tie_sharing(request, tie_id: int):
    """What one tie may see: change it in one step (a new consent record) or stop it."""
    tie = access_tie(request.user, tie_id, write=request.method == "POST")
    current = Consent.objects.current().filter(tie=tie).first()
    to_organization = actions.to_organization(tie)
    initial = {
        "scopes": current.scopes if current and current.is_live() else [],
        "purpose": current.purpose if current else default_purpose(tie.display_name),
        "expires_on": current.expires_on if current and current.is_live() else None,
    }
    form = ConsentForm(
        request.POST or None, initial=initial, member=request.user, fixed_purpose=to_organization
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if to_organization:
            # A consent to an organization always states the same purpose (docs/care.md).
            data["purpose"] = str(ORGANIZATION_PURPOSE)
        try:
            consent = actions.do_grant_consent(
                tie,
                scopes=data["scopes"],
                purpose=data["purpose"],
                expires_on=data["expires_on"],
                signature_name=data["signature_name"],
                acting_user=request.user,
            )
        except ValidationError as refused:
            form.add_error(None, refused.messages)
        else:
            name = tie.display_name
            if consent is None or consent.revoked:
                messages.success(request, _("You no longer share anything with %(name)s.") % {"name": name})
            else:
                messages.success(
                    request, _("Saved. %(name)s sees what you chose from now on.") % {"name": name}
                )
            return redirect("sharing:tie", tie_id=tie.pk)
    invitation_form = InvitationForm(initial={"email": tie.email}, member=request.user)
    return _tie_sharing_page(request, tie, form, invitation_form)


@login_required
@require_POST
def revoke(request, tie_id: int):
    tie = access_tie(request.user, tie_id, write=True)
    actions.do_revoke_consent(tie, acting_user=request.user)
    messages.success(request, _("You no longer share anything with %(name)s.") % {"name": tie.display_name})
    return redirect(
        request.POST.get("next") == "tie" and reverse("sharing:tie", args=[tie.pk]) or "sharing:overview"
    )


@login_required
@require_POST
def unlink(request, tie_id: int):
    tie = access_tie(request.user, tie_id, write=True)
    actions.do_unlink_supporter(tie, acting_user=request.user)
    messages.success(
        request,
        _("%(name)s's account is no longer linked to you; they see nothing.") % {"name": tie.display_name},
    )
    return redirect("sharing:tie", tie_id=tie.pk)


@login_required
@require_POST
def invite(request, tie_id: int):
    tie = access_tie(request.user, tie_id, write=True)
    form = InvitationForm(request.POST, member=request.user)
    if actions.to_organization(tie):
        form.add_error(
            None, _("An organization is not invited here: it joined your circle when you enrolled with it.")
        )
    elif tie.status == TieStatus.ENDED:
        form.add_error(None, _("This tie has ended. Resume it first to invite them."))
    elif tie.supporter_id is not None:
        form.add_error(
            None,
            _("%(name)s has already joined. Unlink their account first to invite someone else.")
            % {"name": tie.display_name},
        )
    if not form.is_valid():
        current = Consent.objects.current().filter(tie=tie).first()
        consent_form = ConsentForm(
            initial={
                "scopes": current.scopes if current else [],
                "purpose": default_purpose(tie.display_name),
            },
            member=request.user,
            fixed_purpose=actions.to_organization(tie),
        )
        return _tie_sharing_page(request, tie, consent_form, form)
    actions.do_invite_supporter(
        tie, form.cleaned_data["email"], origin=_origin(request), acting_user=request.user
    )
    messages.success(
        request,
        _("Invitation sent to %(email)s. The link works for %(days)s days.")
        % {"email": form.cleaned_data["email"], "days": actions.invitation_lifetime().days},
    )
    return redirect("sharing:tie", tie_id=tie.pk)


@login_required
@require_POST
def invitation_resend(request, invitation_id: int):
    invitation = access_invitation(request.user, invitation_id, write=True)
    if invitation.accepted_at:
        messages.info(request, _("This invitation was already accepted."))
    else:
        actions.do_resend_invitation(invitation, origin=_origin(request), acting_user=request.user)
        messages.success(
            request,
            _("Sent again to %(email)s with a new link; the old link no longer works.")
            % {"email": invitation.email},
        )
    return redirect("sharing:tie", tie_id=invitation.tie_id)


@login_required
@require_POST
def invitation_cancel(request, invitation_id: int):
    invitation = access_invitation(request.user, invitation_id, write=True)
    actions.do_cancel_invitation(invitation, acting_user=request.user)
    messages.success(request, _("The invitation is cancelled; its link no longer works."))
    return redirect("sharing:tie", tie_id=invitation.tie_id)


@login_required
def measures(request):
    """The questionnaires page (circles/checkins), with who sees each one's results now."""
    live = (
        Consent.objects.live().filter(member=request.user).select_related("tie").order_by("tie__display_name")
    )
    seen_by = logic.viewers_by_instrument((consent.tie.display_name, consent.scopes) for consent in live)
    return checkins_views.measures_page(request, seen_by)


@login_required
def consent_history(request):
    consents = Consent.objects.filter(member=request.user).select_related("tie")
    return render(request, "sharing/consent_history.html", {"consents": consents})


@login_required
def consent_detail(request, consent_id: int):
    """A consent record as a printable page."""
    consent = access_consent(request.user, consent_id)
    return render(request, "sharing/consent_detail.html", {"consent": consent, "now_live": consent.is_live()})


@login_required
def consent_fhir(request, consent_id: int):
    consent = access_consent(request.user, consent_id)
    response = JsonResponse(consent_resource(consent), json_dumps_params={"indent": 2})
    response["Content-Type"] = "application/fhir+json"
    response["Content-Disposition"] = f'attachment; filename="consent-{consent.pk}.json"'
    return response


@login_required
def access_history(request):
    """Who looked at what of mine, and when (refused attempts included)."""
    events = history_events(request.user).select_related("actor")
    page = Paginator(events, ACCESS_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    for event in page.object_list:
        event.description = describe_event(event)
        event.who = describe_actor(event, request.user)
    return render(request, "sharing/access_history.html", {"page": page})


def history_events(user):
    """What the person's access history lists, newest first: everything others did with their data,
    and everything done to their account itself (sign-ins, tokens, passwords), whoever did it."""
    return (
        AuditEvent.objects.filter(subject=user)
        .filter(~Q(actor_id=user.pk) | Q(actor__isnull=True) | Q(action__startswith="account."))
        .order_by("-id")
    )


def describe_actor(event: AuditEvent, user) -> str:
    if event.actor_id == user.pk:
        return str(_("You"))
    if event.actor is not None:
        return event.actor.display_name
    if event.action == "alert.ask":
        return str(_("Circles, for your crisis ladder"))
    if event.action.startswith("account."):
        return str(_("Someone"))
    return str(_("An account that no longer exists"))


def describe_event(event: AuditEvent) -> str:
    """An audit row in plain words, for the member reading their access history."""
    if event.action.startswith("account."):
        return describe_account_event(event)
    if scopes := logic.scopes_in_ref(event.object_ref):
        return "; ".join(
            str(logic.SCOPE_BY_CODE[code].label) for code in scopes if code in logic.SCOPE_BY_CODE
        )
    return {
        "member.view": _("Your page in Circles (they are not linked to you)"),
        "shared.view": _("What you share"),
        "consent.view": _("One of your consent records"),
        "invitation.view": _("One of your invitations"),
        "invitation.change": _("One of your invitations (to change it)"),
        "encouragement.send": _("Sent you encouragement"),
        "invitation.accept": _("Accepted your invitation"),
        "tie.view": _("One of your ties"),
        "tie.change": _("One of your ties (to change it)"),
        "interaction.view": _("A contact you logged"),
        "interaction.change": _("A contact you logged (to change it)"),
        "commitment.view": _("One of your commitments"),
        "commitment.change": _("One of your commitments (to change it)"),
        "assessment.view": _("One of your questionnaire results"),
        "assessment.change": _("One of your questionnaires (to change it)"),
        "alert.ask": _("Circles asked them for support for you (an alert)"),
        "alert.view": _("An alert of yours that asked them"),
        "alert.answer": _("Said they are reaching out (an alert)"),
        "alert.change": _("One of your alerts (to change it)"),
        # An organization's care team (circles/care; docs/care.md).
        "enrolment.view": _("Your enrolment with an organization"),
        "enrolment.list": _("Your enrolment, in the organization's list of the people enrolled"),
        "enrolment.change": _("Your enrolment with an organization (to change it)"),
        "enrolment.start": _("Enrolled you with an organization"),
        "enrolment.end": _("Ended your enrolment with an organization"),
        "care_team.add": _("Added someone to your care team"),
        "care_team.remove": _("Took someone off your care team"),
        "care_team.primary": _("Changed who is primary on your care team"),
        "care_team.change": _("Your care team (to change it)"),
        "care.note.view": _("Clinical notes about you"),
        "care.note.create": _("Wrote a clinical note about you"),
        "care.message.view": _("Your messages with your care team"),
        "care.message.send": _("Sent you a message"),
        "care.alerts.view": _("Your safety signals, in the care team's alerts"),
        "care.follow_up.create": _("Followed up a safety signal of yours"),
        "care.session.create": _("Scheduled a session with you"),
        "care.session.change": _("Changed a session with you"),
        "care.session.cancel": _("Cancelled a session with you"),
        "care.session.attendance": _("Recorded whether you came to a session"),
        "session.view": _("One of your sessions"),
        "session.change": _("One of your sessions (to change it)"),
    }.get(event.action, event.action)


ACCOUNT_EVENTS = {
    ("account.signin", "allowed"): gettext_lazy("New sign-in from %(address)s"),
    ("account.signin.password", "allowed"): gettext_lazy(
        "The right password from %(address)s; the two-factor code was asked next"
    ),
    ("account.signin", "denied"): gettext_lazy("A wrong password for your account, from %(address)s"),
    ("account.signin.second_factor_failed", "denied"): gettext_lazy(
        "A wrong two-factor code, from %(address)s"
    ),
    ("account.signout_everywhere", "allowed"): gettext_lazy("Signed out everywhere"),
    ("account.password.change", "allowed"): gettext_lazy("Password changed, from %(address)s"),
    ("account.password.reset", "allowed"): gettext_lazy("Password reset by email, from %(address)s"),
    ("account.password.reentry", "denied"): gettext_lazy("A wrong password where Circles asked for it again"),
    ("account.token.create", "allowed"): gettext_lazy("Token created, from %(address)s"),
    ("account.token.revoke", "allowed"): gettext_lazy("Token revoked"),
    ("account.push.create", "allowed"): gettext_lazy(
        "Notifications turned on for a device, from %(address)s"
    ),
    ("account.push.remove", "allowed"): gettext_lazy("A device no longer gets notifications"),
    ("account.push.remove", "denied"): gettext_lazy(
        "Someone else tried to turn off notifications for one of your devices"
    ),
    ("account.twofactor.enable", "allowed"): gettext_lazy("Two-factor sign-in turned on"),
    ("account.twofactor.disable", "allowed"): gettext_lazy("Two-factor sign-in turned off"),
    ("account.twofactor.recovery_code_used", "allowed"): gettext_lazy(
        "A recovery code was used to sign in, from %(address)s"
    ),
    ("account.twofactor.recovery_codes_new", "allowed"): gettext_lazy("New recovery codes made"),
    ("account.address_verified", "allowed"): gettext_lazy("Email address confirmed"),
    ("account.export", "allowed"): gettext_lazy("All your data downloaded"),
}


def describe_account_event(event: AuditEvent) -> str:
    words = ACCOUNT_EVENTS.get((event.action, event.outcome))
    if words is None:
        return event.action
    text = str(words) % {"address": event.client_address or _("an unknown address")}
    facts = dict(part.split(":", 1) for part in event.object_ref.split(";") if ":" in part)
    if event.action == "account.token.create" and facts.get("scope") == "read":
        text += str(_(" (read only)"))
    elif event.action == "account.token.create" and facts.get("scope") == "write":
        text += str(_(" (read and change)"))
    stopped = int(facts.get("tokens_revoked", "0") or 0)
    if stopped:
        text += "; " + ngettext("%(count)s token stopped", "%(count)s tokens stopped", stopped) % {
            "count": stopped
        }
    return text


# --- Invitations, from the invited person's side -------------------------------------------------

REFUSALS = {
    "tampered": 400,
    "missing": 404,
    "used": 410,
    "replaced": 410,
    "cancelled": 410,
    "expired": 410,
    "own": 400,
    "linked": 409,
    "already_supporting": 409,
}


def _refused_invitation(request, reason: str, invitation=None):
    context = {"reason": reason, "invitation": invitation}
    return render(request, "sharing/invitation_refused.html", context, status=REFUSALS[reason])


def accept(request, token: str):
    """The link in the email: explains the invitation; accepting links the signed-in account to the tie."""
    try:
        invitation_id, nonce = Invitation.read_token(token)
    except signing.BadSignature:
        return _refused_invitation(request, "tampered")
    invitation = Invitation.objects.select_related("member", "tie").filter(pk=invitation_id).first()
    if invitation is None:
        return _refused_invitation(request, "missing")
    if (
        invitation.accepted_at
        and request.user.is_authenticated
        and invitation.accepted_by_id == request.user.pk
    ):
        messages.info(request, _("You have already accepted this invitation."))
        return redirect("sharing:supporting")
    reason: str | None = {
        InvitationStatus.ACCEPTED.value: "used",
        InvitationStatus.CANCELLED.value: "cancelled",
        InvitationStatus.EXPIRED.value: "expired",
    }.get(invitation.status)
    if reason is None and invitation.nonce != nonce:
        reason = "replaced"
    if reason:
        return _refused_invitation(request, reason, invitation)
    if request.method == "POST" and request.user.is_authenticated:
        try:
            actions.do_accept_invitation(invitation_id, nonce, acting_user=request.user)
        except actions.InvitationRefused as refused:
            return _refused_invitation(request, refused.reason, invitation)
        messages.success(
            request, _("You now support %(name)s in Circles.") % {"name": invitation.member.display_name}
        )
        return redirect("sharing:supporting")
    # The expiry is shown in the inviting member's timezone, the same whoever opens the link.
    context = {"invitation": invitation, "token": token, "member_zone": user_zone(invitation.member)}
    return render(request, "sharing/accept.html", context)


# --- The supporter's side ------------------------------------------------------------------------


# The supporter's home (/supporting/) lists the alerts that ask them too: circles/alerts/views.py.


def _member_page(request, member_id: int, form: EncouragementForm):
    disclosure = access_disclosure(request.user, member_id)
    data = access_shared_data(request.user, [disclosure])
    person = present(disclosure, data[0] if data else None, compact=False)
    network_map = None
    if disclosure.allows(logic.NETWORK_MAP):
        network = access_shared_map(request.user, disclosure)
        entries = network_drawing.shared_map_entries(network.facts)
        network_map = {
            "svg": network_drawing.network_map(
                entries, disclosure.member.display_name, viewer_is_member=False
            ),
            "entries": entries,
        }
    context = {
        "person": person,
        "network_map": network_map,
        "form": form,
        "guidance": f"sharing/guidance/{logic.guidance_kind(disclosure.tie.relationship)}.html",
    }
    return form_page(request, "sharing/supported_member.html", context)


def part2_notice(request):
    """The full notice that goes with every disclosure; each supporter page carries the short form and
    links here. Public: it is the law's words, nothing about anyone."""
    return render(request, "sharing/part2_notice.html", {"notice": REDISCLOSURE_NOTICE})


@login_required
def supported_member(request, member_id: int):
    return _member_page(request, member_id, EncouragementForm())


@login_required
@require_POST
def encourage(request, member_id: int):
    disclosure = access_disclosure(request.user, member_id)
    form = EncouragementForm(request.POST)
    if not form.is_valid():
        return _member_page(request, member_id, form)
    actions.do_send_encouragement(disclosure.tie, form.cleaned_data["message"], acting_user=request.user)
    messages.success(
        request,
        _("Sent. %(name)s will see it in their contact log.") % {"name": disclosure.member.display_name},
    )
    return redirect("sharing:supported_member", member_id=member_id)
