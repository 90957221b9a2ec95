"""Enrolment: staff invite a person; the person consents and joins; the member's own care page; care teams.

Staff pages answer 404 (and leave a refused row) to anyone who is not staff of the organization
(invitations) or on the member's care team or the organization's administrator (care team, ending).
The person's pages are their own: the code form, the emailed link and /care/my-care/.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from circles.audit.trail import refuse
from circles.care import actions
from circles.care.access import (
    CARE_TEAM_CHANGE,
    access_care_team,
    access_enrolment_invitation,
    access_organization,
    access_own_enrolment,
)
from circles.care.forms import (
    CareTeamAddForm,
    EndEnrolmentForm,
    EnrolmentConsentForm,
    EnrolmentInvitationForm,
    JoinCodeForm,
    grouped_code,
)
from circles.care.models import (
    CARE_ROLES,
    ENROLMENT_INVITATION_SALT,
    CareTeamMember,
    Enrolment,
    EnrolmentInvitation,
    read_signed_token,
)
from circles.lib import ratelimit
from circles.lib.client import address_group, current_client_address
from circles.lib.forms import form_page
from circles.network.models import Relationship
from circles.sharing import logic as sharing_logic
from circles.sharing.models import Consent
from circles.sharing.statement import ORGANIZATION_PURPOSE, consent_statement

# Wrong enrolment codes: per account and per client address, so many an hour; past it, 429.
JOIN_CODE_RATE = "10/3600"
JOIN_CODE_BUCKET = "enrolment-code"


def _origin(request) -> str:
    return request.build_absolute_uri("/")


# --- Staff: inviting a person to enrol ------------------------------------------------------------


@never_cache
@login_required
def enrol_invite(request, org_id: int):
    membership = access_organization(request.user, org_id)
    organization = membership.organization
    initial = {"primary_staff": membership.pk} if membership.role in CARE_ROLES else {}
    form = EnrolmentInvitationForm(request.POST or None, organization=organization, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = actions.do_invite_to_enrol(
                organization,
                program=data["program"],
                email=data["email"],
                primary_staff=data["primary_staff"],
                origin=_origin(request),
                acting_user=request.user,
            )
        except ValidationError as refused:
            form.add_error(None, refused.messages)
        else:
            if invitation.email:
                messages.success(
                    request,
                    _("Invitation sent to %(email)s. You can also hand over the code below.")
                    % {"email": invitation.email},
                )
            return redirect("care:enrol_invitation", invitation_id=invitation.pk)
    context = {"organization": organization, "form": form, "days": settings.INVITATION_EXPIRY_DAYS}
    return form_page(request, "care/enrolment/invite.html", context)


@never_cache
@login_required
def enrol_invitations(request, org_id: int):
    """Pending invitations (bounded: one query whatever their number), newest first."""
    membership = access_organization(request.user, org_id)
    pending = list(
        EnrolmentInvitation.objects.filter(
            organization=membership.organization,
            accepted_at__isnull=True,
            cancelled_at__isnull=True,
        )
        .select_related("program", "primary_staff__user", "invited_by")
        .order_by("-created_at", "-id")[:200]
    )
    now = timezone.now()
    rows = [
        {"invitation": inv, "code": grouped_code(inv.code), "expired": inv.expires_at <= now}
        for inv in pending
    ]
    context = {"organization": membership.organization, "rows": rows}
    return render(request, "care/enrolment/invitations.html", context)


@never_cache
@login_required
def enrol_invitation(request, invitation_id: int):
    """One invitation: its code, grouped to read aloud, and a page to print and hand over."""
    invitation, _membership = access_enrolment_invitation(request.user, invitation_id)
    context = {
        "invitation": invitation,
        "code": grouped_code(invitation.code),
        # In full: the handout is read on paper, away from this site.
        "join_address": request.build_absolute_uri(reverse("care:join")),
    }
    return render(request, "care/enrolment/invitation.html", context)


@login_required
@require_POST
def enrol_invitation_resend(request, invitation_id: int):
    invitation, _membership = access_enrolment_invitation(request.user, invitation_id, write=True)
    try:
        actions.do_resend_enrolment_invitation(invitation, origin=_origin(request), acting_user=request.user)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        messages.success(
            request,
            _("Renewed: it works for %(days)s more days; any earlier emailed link no longer works.")
            % {"days": settings.INVITATION_EXPIRY_DAYS},
        )
    return redirect("care:enrol_invitation", invitation_id=invitation.pk)


@login_required
@require_POST
def enrol_invitation_cancel(request, invitation_id: int):
    invitation, _membership = access_enrolment_invitation(request.user, invitation_id, write=True)
    actions.do_cancel_enrolment_invitation(invitation, acting_user=request.user)
    messages.success(request, _("The invitation is cancelled; its code and link no longer work."))
    return redirect("care:enrol_invitations", org_id=invitation.organization_id)


# --- The person: a code or a link, then the consent ------------------------------------------------

REFUSALS = {
    "tampered": 400,
    "missing": 404,
    "used": 410,
    "replaced": 410,
    "cancelled": 410,
    "expired": 410,
    "closed": 410,
    "enrolled": 409,
}


def _refused(request, reason: str, invitation=None):
    context = {"reason": reason, "invitation": invitation}
    return render(request, "care/enrolment/join_refused.html", context, status=REFUSALS[reason])


def _code_limit_keys(request) -> list[str]:
    return [f"user:{request.user.pk}", f"client:{address_group(current_client_address())}"]


@never_cache
@login_required
def join(request):
    """The form to type an enrolment code. A right code leads to the same consent page as the emailed
    link; wrong ones are counted per account and address (JOIN_CODE_RATE) so codes cannot be guessed."""
    form = JoinCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        keys = _code_limit_keys(request)
        if ratelimit.over_limit(JOIN_CODE_BUCKET, keys, JOIN_CODE_RATE):
            raise ratelimit.RateLimited(
                ratelimit.too_many_tries_message(JOIN_CODE_RATE), ratelimit.seconds_left(JOIN_CODE_RATE)
            )
        invitation = EnrolmentInvitation.objects.filter(code=form.cleaned_data["code"]).first()
        if invitation is None:
            ratelimit.exceeded(JOIN_CODE_BUCKET, keys, JOIN_CODE_RATE)
            form.add_error(
                "code", _("That code does not match any invitation. Check it with your care team.")
            )
            return render(request, "care/enrolment/join.html", {"form": form}, status=404)
        return redirect("care:join_link", token=invitation.token)
    return form_page(request, "care/enrolment/join.html", {"form": form})


@never_cache
def join_link(request, token: str):
    """The consent page: what the organization asks to see, for what, until when; signing enrols.

    Signed out, the emailed link explains itself and offers to create an account or sign in, then come
    back here (like a supporter's invitation, sharing:accept); nothing else is shown."""
    if not request.user.is_authenticated:
        if request.method != "GET":
            return redirect_to_login(request.get_full_path())
        return _join_signed_out(request, token)
    try:
        invitation_id, nonce = read_signed_token(token, ENROLMENT_INVITATION_SALT)
    except signing.BadSignature:
        return _refused(request, "tampered")
    invitation = (
        EnrolmentInvitation.objects.select_related("organization", "program", "primary_staff__user")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is not None and invitation.accepted_by_id == request.user.pk and invitation.enrolment_id:
        messages.info(request, _("You have already joined with this invitation."))
        return redirect("care:my_care")
    problem = actions.enrolment_invitation_problem(invitation, nonce, request.user)
    if problem or invitation is None:
        return _refused(request, problem or "missing", invitation)
    form = EnrolmentConsentForm(request.POST or None, member=request.user)
    previewing = "preview" in request.POST
    if request.method == "POST" and not previewing and form.is_valid():
        data = form.cleaned_data
        try:
            enrolment = actions.do_accept_enrolment_invitation(
                invitation.pk,
                nonce=nonce,
                scopes=data["scopes"],
                expires_on=data["expires_on"],
                signature_name=data["signature_name"],
                acting_user=request.user,
            )
        except actions.EnrolmentRefused as refused:
            return _refused(request, refused.reason, invitation)
        except ValidationError as refused:
            form.add_error(None, refused.messages)
        else:
            messages.success(
                request,
                _("You are enrolled with %(name)s. Your care team sees what you chose, from now on.")
                % {"name": enrolment.organization.name},
            )
            return redirect("care:my_care")
    chosen = sharing_logic.ordered_scopes(request.POST.getlist("scopes")) if form.is_bound else []
    preview = None
    if chosen:
        preview = consent_statement(
            member_name=" ".join(request.POST.get("signature_name", "").split())[:120]
            or request.user.display_name,
            recipient=actions.organization_tie_name(invitation.organization, invitation.program),
            relationship=str(Relationship.CARE_ORGANIZATION.label),
            scopes=chosen,
            purpose=str(ORGANIZATION_PURPOSE),
            expires_on=form.cleaned_data.get("expires_on") if previewing and form.is_valid() else None,
            to_organization=True,
        )
    context = {"invitation": invitation, "form": form, "purpose": ORGANIZATION_PURPOSE, "preview": preview}
    if previewing:
        return render(request, "care/enrolment/consent.html", context)
    return form_page(request, "care/enrolment/consent.html", context)


def _join_signed_out(request, token: str):
    try:
        invitation_id, nonce = read_signed_token(token, ENROLMENT_INVITATION_SALT)
    except signing.BadSignature:
        return _refused(request, "tampered")
    invitation = EnrolmentInvitation.objects.select_related("organization").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_pending or invitation.nonce != nonce:
        # What went wrong is said once they are signed in; a stranger holding an old link learns nothing.
        return redirect_to_login(request.get_full_path())
    context = {"invitation": invitation}
    return render(request, "care/enrolment/join_signed_out.html", context)


# --- The member's own care page --------------------------------------------------------------------


@never_cache
@login_required
def my_care(request):
    """Every enrolment of the member with its care team and what it sees. Four queries whatever the
    number of enrolments or of care team members."""
    enrolments = list(
        Enrolment.objects.filter(member=request.user)
        .select_related("organization", "program", "tie")
        .prefetch_related(
            Prefetch(
                "care_team",
                queryset=CareTeamMember.objects.select_related("staff__user").order_by(
                    "-is_primary", "added_at", "id"
                ),
            )
        )
        .order_by("-started_at", "-id")
    )
    tie_ids = [e.tie_id for e in enrolments if e.tie_id]
    consents = {
        c.tie_id: c
        for c in Consent.objects.current()
        .filter(member=request.user, tie_id__in=tie_ids)
        .select_related("tie")
    }
    for enrolment in enrolments:
        consent = consents.get(enrolment.tie_id or 0)
        enrolment.consent = consent
        enrolment.sharing_live = consent is not None and enrolment.is_active and consent.is_live()
    context = {
        "active": [e for e in enrolments if e.is_active],
        "ended": [e for e in enrolments if not e.is_active],
    }
    return render(request, "care/enrolment/my_care.html", context)


@never_cache
@login_required
def leave(request, enrolment_id: int):
    """Leaving a program: a confirm page, then the enrolment ends and the consent is revoked for good."""
    enrolment = access_own_enrolment(request.user, enrolment_id)
    if not enrolment.is_active:
        messages.info(request, _("This enrolment has already ended."))
        return redirect("care:my_care")
    if request.method == "POST":
        actions.do_end_enrolment(enrolment, reason="", acting_user=request.user)
        messages.success(
            request,
            _("You have left %(program)s at %(name)s. Its care team no longer sees anything you share.")
            % {"program": enrolment.program.name, "name": enrolment.organization.name},
        )
        return redirect("care:my_care")
    return render(request, "care/enrolment/leave.html", {"enrolment": enrolment})


# --- Staff: the care team, and ending an enrolment -------------------------------------------------


def _team_page(request, enrolment, membership, form):
    team = list(enrolment.care_team.select_related("staff__user").order_by("-is_primary", "added_at", "id"))
    context = {"enrolment": enrolment, "membership": membership, "team": team, "form": form}
    return form_page(request, "care/enrolment/care_team.html", context)


@never_cache
@login_required
def care_team(request, enrolment_id: int):
    enrolment, membership = access_care_team(request.user, enrolment_id)
    return _team_page(request, enrolment, membership, CareTeamAddForm(enrolment=enrolment))


@login_required
@require_POST
def care_team_add(request, enrolment_id: int):
    enrolment, membership = access_care_team(request.user, enrolment_id)
    form = CareTeamAddForm(request.POST, enrolment=enrolment)
    if form.is_valid():
        try:
            actions.do_add_to_care_team(enrolment, form.cleaned_data["staff"], acting_user=request.user)
        except ValidationError as refused:
            form.add_error(None, refused.messages)
        else:
            messages.success(
                request,
                _("%(name)s is on the care team.") % {"name": form.cleaned_data["staff"].user.display_name},
            )
            return redirect("care:care_team", enrolment_id=enrolment.pk)
    return _team_page(request, enrolment, membership, form)


def _team_row(request, enrolment, row_id: int) -> CareTeamMember:
    """A row of this enrolment's care team; a row of another one is refused on record."""
    if not 0 < row_id < 2**63:
        raise Http404
    row = CareTeamMember.objects.select_related("staff__user").filter(pk=row_id, enrolment=enrolment).first()
    if row is None:
        owner = (
            CareTeamMember.objects.filter(pk=row_id).values_list("enrolment__member_id", flat=True).first()
        )
        raise refuse(request.user, CARE_TEAM_CHANGE, f"care_team_member:{row_id}", owner)
    return row


@login_required
@require_POST
def care_team_remove(request, enrolment_id: int, row_id: int):
    enrolment, _membership = access_care_team(request.user, enrolment_id)
    row = _team_row(request, enrolment, row_id)
    try:
        actions.do_remove_from_care_team(row, acting_user=request.user)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return redirect("care:care_team", enrolment_id=enrolment.pk)
    messages.success(
        request, _("%(name)s is no longer on the care team.") % {"name": row.staff.user.display_name}
    )
    if row.staff.user_id == request.user.pk and not _membership.is_administrator:
        # Off the care team now: the team page is no longer theirs to see.
        return redirect("care:enrol_invitations", org_id=enrolment.organization_id)
    return redirect("care:care_team", enrolment_id=enrolment.pk)


@login_required
@require_POST
def care_team_primary(request, enrolment_id: int, row_id: int):
    enrolment, _membership = access_care_team(request.user, enrolment_id)
    row = actions.do_make_primary(_team_row(request, enrolment, row_id), acting_user=request.user)
    messages.success(request, _("%(name)s is now primary.") % {"name": row.staff.user.display_name})
    return redirect("care:care_team", enrolment_id=enrolment.pk)


@never_cache
@login_required
def enrolment_end(request, enrolment_id: int):
    """Staff end an enrolment (with an optional reason the member sees): every read stops at once."""
    enrolment, membership = access_care_team(request.user, enrolment_id)
    form = EndEnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.do_end_enrolment(enrolment, reason=form.cleaned_data["reason"], acting_user=request.user)
        messages.success(
            request,
            _("The enrolment has ended. Nobody at %(name)s sees what they shared any more.")
            % {"name": enrolment.organization.name},
        )
        return redirect("care:enrol_invitations", org_id=enrolment.organization_id)
    context = {"enrolment": enrolment, "membership": membership, "form": form}
    return form_page(request, "care/enrolment/end.html", context)


urlpatterns = [
    path("organizations/<int:org_id>/enrol/", enrol_invite, name="enrol_invite"),
    path("organizations/<int:org_id>/enrol/invitations/", enrol_invitations, name="enrol_invitations"),
    path("enrol/invitations/<int:invitation_id>/", enrol_invitation, name="enrol_invitation"),
    path(
        "enrol/invitations/<int:invitation_id>/resend/",
        enrol_invitation_resend,
        name="enrol_invitation_resend",
    ),
    path(
        "enrol/invitations/<int:invitation_id>/cancel/",
        enrol_invitation_cancel,
        name="enrol_invitation_cancel",
    ),
    path("join/", join, name="join"),
    path("join/<str:token>/", join_link, name="join_link"),
    path("my-care/", my_care, name="my_care"),
    path("my-care/<int:enrolment_id>/leave/", leave, name="leave"),
    path("enrolments/<int:enrolment_id>/team/", care_team, name="care_team"),
    path("enrolments/<int:enrolment_id>/team/add/", care_team_add, name="care_team_add"),
    path(
        "enrolments/<int:enrolment_id>/team/<int:row_id>/remove/", care_team_remove, name="care_team_remove"
    ),
    path(
        "enrolments/<int:enrolment_id>/team/<int:row_id>/primary/",
        care_team_primary,
        name="care_team_primary",
    ),
    path("enrolments/<int:enrolment_id>/end/", enrolment_end, name="enrolment_end"),
]
