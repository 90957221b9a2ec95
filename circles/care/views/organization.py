"""Olivia's pages: the organization, its programs and staff, enrolled members, consent records and
questionnaire wording.

Administrators see and change everything here. Other staff of the organization see a read-only page:
who works there, in which role, and the programs (nothing about members). Everyone else gets 404 and,
when the organization exists, a refused row in the audit trail (circles/care/access.py).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from circles.audit.models import Outcome
from circles.audit.trail import Event, record, record_many
from circles.care import actions
from circles.care.access import (
    access_organization,
    access_organization_consent,
    current_memberships,
    organization_record,
)
from circles.care.access import organization_consents as consents_addressed_to
from circles.care.forms import (
    OrganizationForm,
    OrganizationQuestionnaireForm,
    ProgramForm,
    StaffChangeForm,
    StaffInvitationForm,
)
from circles.care.models import (
    CareTeamMember,
    Enrolment,
    EnrolmentStatus,
    Program,
    StaffInvitation,
    StaffMembership,
)
from circles.care.wording import organization_audience
from circles.checkins.models import QuestionnaireDefinition
from circles.lib.forms import form_page


def _origin(request) -> str:
    return request.build_absolute_uri("/")


# --- Creating an organization, and the organizations one works for -------------------------------


@login_required
def organization_list(request):
    memberships = current_memberships(request.user)
    return render(request, "care/organization/list.html", {"memberships": memberships})


@login_required
def organization_new(request):
    """Anyone signed in with a verified email address may start an organization and administer it; the
    administrator role asks for two-factor sign-in from the next page on (circles/accounts)."""
    form = OrganizationForm(request.POST or None)
    if request.user.email_verified_at is None:
        form.add_error(None, _("Confirm your email address first, from the email Circles sent you."))
    elif request.method == "POST" and form.is_valid():
        try:
            organization = actions.do_create_organization(
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                program_name=form.cleaned_data["program_name"],
                acting_user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(name)s is in Circles, with you as its administrator. Invite your staff from its page.")
                % {"name": organization.name},
            )
            return redirect("care:organization", organization_id=organization.pk)
    return form_page(request, "care/organization/new.html", {"form": form})


# --- The organization's page -----------------------------------------------------------------------


def _organization_page(request, membership: StaffMembership, *, program_form=None, invite_form=None):
    organization = membership.organization
    staff = list(StaffMembership.objects.current().filter(organization=organization).select_related("user"))
    programs = list(
        Program.objects.filter(organization=organization).annotate(
            enrolled=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ACTIVE))
        )
    )
    context = {
        "organization": organization,
        "membership": membership,
        "staff": staff,
        "programs": programs,
        "is_admin": membership.is_administrator,
    }
    if membership.is_administrator:
        now = timezone.now()
        context.update(
            invitations=list(
                StaffInvitation.objects.filter(
                    organization=organization, accepted_at__isnull=True, cancelled_at__isnull=True
                ).order_by("-created_at")
            ),
            now=now,
            enrolled_count=sum(program.enrolled for program in programs),
            program_form=program_form or ProgramForm(organization=organization),
            invite_form=invite_form or StaffInvitationForm(organization=organization),
        )
    return form_page(request, "care/organization/detail.html", context)


@login_required
def organization(request, organization_id: int):
    return _organization_page(request, access_organization(request.user, organization_id))


# A form posted to its own address answers 400 there when rejected; reloading that address (GET) goes
# back to the organization's page rather than an empty 405.
_POST_OR_RELOAD = require_http_methods(["GET", "HEAD", "POST"])


@login_required
@_POST_OR_RELOAD
def program_add(request, organization_id: int):
    membership = access_organization(request.user, organization_id, admin=True)
    if request.method != "POST":
        return redirect("care:organization", organization_id=membership.organization_id)
    form = ProgramForm(request.POST, organization=membership.organization)
    if not form.is_valid():
        return _organization_page(request, membership, program_form=form)
    actions.do_add_program(membership.organization, name=form.cleaned_data["name"], acting_user=request.user)
    messages.success(request, _("Program added."))
    return redirect("care:organization", organization_id=membership.organization_id)


@login_required
@require_POST
def program_active(request, organization_id: int, program_id: int):
    membership = access_organization(request.user, organization_id, admin=True)
    program = organization_record(request.user, membership, Program, program_id)
    active = request.POST.get("active") == "1"
    actions.do_set_program_active(program, active=active, acting_user=request.user)
    messages.success(
        request,
        _("The program takes enrolments again.")
        if active
        else _("The program takes no new enrolments; members enrolled in it stay enrolled."),
    )
    return redirect("care:organization", organization_id=membership.organization_id)


# --- Staff invitations -----------------------------------------------------------------------------


@login_required
@_POST_OR_RELOAD
def staff_invite(request, organization_id: int):
    membership = access_organization(request.user, organization_id, admin=True)
    if request.method != "POST":
        return redirect("care:organization", organization_id=membership.organization_id)
    form = StaffInvitationForm(request.POST, organization=membership.organization)
    if not form.is_valid():
        return _organization_page(request, membership, invite_form=form)
    actions.do_invite_staff(
        membership.organization,
        email=form.cleaned_data["email"],
        role=form.cleaned_data["role"],
        clinical_supervisor=form.cleaned_data["clinical_supervisor"],
        origin=_origin(request),
        acting_user=request.user,
    )
    messages.success(
        request,
        _("Invitation sent to %(email)s. The link works once, for %(days)s days.")
        % {"email": form.cleaned_data["email"], "days": actions.staff_invitation_lifetime().days},
    )
    return redirect("care:organization", organization_id=membership.organization_id)


@login_required
@require_POST
def staff_invitation_resend(request, organization_id: int, invitation_id: int):
    membership = access_organization(request.user, organization_id, admin=True)
    invitation = organization_record(request.user, membership, StaffInvitation, invitation_id)
    if invitation.accepted_at is not None:
        messages.info(request, _("This invitation was already accepted."))
    else:
        actions.do_resend_staff_invitation(invitation, origin=_origin(request), acting_user=request.user)
        messages.success(
            request,
            _("Sent again to %(email)s with a new link; the old link no longer works.")
            % {"email": invitation.email},
        )
    return redirect("care:organization", organization_id=membership.organization_id)


@login_required
@require_POST
def staff_invitation_cancel(request, organization_id: int, invitation_id: int):
    membership = access_organization(request.user, organization_id, admin=True)
    invitation = organization_record(request.user, membership, StaffInvitation, invitation_id)
    actions.do_cancel_staff_invitation(invitation, acting_user=request.user)
    messages.success(request, _("The invitation is cancelled; its link no longer works."))
    return redirect("care:organization", organization_id=membership.organization_id)


INVITATION_REFUSALS = {
    "tampered": 400,
    "missing": 404,
    "used": 410,
    "replaced": 410,
    "cancelled": 410,
    "expired": 410,
    "already_staff": 409,
}


def staff_accept(request, token: str):
    """The link in the invitation email: names the organization and the role; a signed-in person joins
    with one button. A signed-out visitor logs in or signs up and comes back here."""
    try:
        invitation, _nonce = actions.staff_invitation_from_token(token)
    except actions.StaffInvitationRefused as refused:
        if (
            refused.reason == "used"
            and refused.invitation is not None
            and request.user.is_authenticated
            and refused.invitation.accepted_by_id == request.user.pk
        ):
            messages.info(request, _("You have already joined this organization."))
            return redirect("care:organization", organization_id=refused.invitation.organization_id)
        return render(
            request,
            "care/organization/invitation_refused.html",
            {"reason": refused.reason, "invitation": refused.invitation},
            status=INVITATION_REFUSALS[refused.reason],
        )
    if request.method == "POST" and request.user.is_authenticated:
        try:
            membership = actions.do_accept_staff_invitation(token, acting_user=request.user)
        except actions.StaffInvitationRefused as refused:
            return render(
                request,
                "care/organization/invitation_refused.html",
                {"reason": refused.reason, "invitation": refused.invitation},
                status=INVITATION_REFUSALS[refused.reason],
            )
        messages.success(
            request,
            _("You joined %(name)s as %(role)s.")
            % {"name": membership.organization.name, "role": membership.get_role_display()},
        )
        return redirect("care:organization", organization_id=membership.organization_id)
    return render(request, "care/organization/accept.html", {"invitation": invitation})


# --- Managing staff --------------------------------------------------------------------------------


def _staff_page(
    request, membership: StaffMembership, member: StaffMembership, form: StaffChangeForm, end_errors=()
):
    context = {
        "organization": membership.organization,
        "staff_member": member,
        "form": form,
        "end_errors": list(end_errors),
    }
    return form_page(request, "care/organization/staff.html", context)


@login_required
def staff_member(request, organization_id: int, staff_id: int):
    membership = access_organization(request.user, organization_id, admin=True)
    member = organization_record(request.user, membership, StaffMembership, staff_id, ended_at__isnull=True)
    form = StaffChangeForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_change_staff(
                member,
                role=form.cleaned_data["role"],
                clinical_supervisor=form.cleaned_data["clinical_supervisor"],
                on_call=form.cleaned_data["on_call"],
                acting_user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("care:organization", organization_id=membership.organization_id)
    return _staff_page(request, membership, member, form)


@login_required
@require_POST
def staff_end(request, organization_id: int, staff_id: int):
    membership = access_organization(request.user, organization_id, admin=True)
    member = organization_record(request.user, membership, StaffMembership, staff_id, ended_at__isnull=True)
    try:
        actions.do_end_staff(member, acting_user=request.user)
    except ValidationError as error:
        return _staff_page(request, membership, member, StaffChangeForm(instance=member), error.messages)
    messages.success(
        request,
        _("%(name)s no longer works for %(organization)s.")
        % {"name": member.user.display_name, "organization": membership.organization.name},
    )
    if member.pk == membership.pk:
        return redirect("care:organization_list")
    return redirect("care:organization", organization_id=membership.organization_id)


# --- Enrolled members and their consent records ----------------------------------------------------


@login_required
def organization_members(request, organization_id: int):
    """The organizational record of each active enrolment: who, which program, since when, the primary
    staff member. No clinical data. Two queries whatever the number of members."""
    membership = access_organization(request.user, organization_id, admin=True)
    primaries = CareTeamMember.objects.filter(is_primary=True).select_related("staff__user")
    enrolments = list(
        Enrolment.objects.filter(organization=membership.organization, status=EnrolmentStatus.ACTIVE)
        .select_related("member", "program")
        .prefetch_related(Prefetch("care_team", queryset=primaries, to_attr="primaries"))
        .order_by("member__display_name", "id")
    )
    # Who is enrolled at a treatment centre is itself protected: each member sees this read in their
    # access history (one insert for the whole list).
    record_many(
        Event(
            action="enrolment.list",
            actor_id=request.user.pk,
            subject_id=enrolment.member_id,
            object_ref=f"enrolment:{enrolment.pk}",
        )
        for enrolment in enrolments
    )
    context = {"organization": membership.organization, "enrolments": enrolments}
    return render(request, "care/organization/members.html", context)


@login_required
def organization_consents(request, organization_id: int):
    """Every consent record members signed to the organization, newest first. One query."""
    membership = access_organization(request.user, organization_id, admin=True)
    consents = list(
        consents_addressed_to(membership.organization_id)
        .select_related("member", "tie")
        .order_by("-signed_at", "-id")
    )
    # The list names members and what they share with the organization: its reading is on record too.
    record("consent.list", request.user, object_ref=f"organization:{membership.organization_id}")
    context = {"organization": membership.organization, "consents": consents}
    return render(request, "care/organization/consents.html", context)


@login_required
def organization_consent(request, organization_id: int, consent_id: int):
    membership, consent = access_organization_consent(request.user, organization_id, consent_id)
    context = {"organization": membership.organization, "consent": consent}
    return render(request, "care/organization/consent.html", context)


# --- Questionnaire wording -------------------------------------------------------------------------


def _wording_page(request, membership: StaffMembership, form):
    audience = organization_audience(membership.organization_id)
    wordings = list(
        QuestionnaireDefinition.objects.filter(builtin=False, audience=audience).order_by(
            "-created_at", "-id"
        )
    )
    context = {"organization": membership.organization, "form": form, "wordings": wordings}
    return form_page(request, "care/organization/questionnaires.html", context)


@login_required
def organization_questionnaires(request, organization_id: int):
    """The administrator imports wording for their organization's enrolled members only."""
    membership = access_organization(request.user, organization_id, admin=True)
    form = OrganizationQuestionnaireForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            definition = actions.do_import_organization_questionnaire(
                membership.organization,
                form.cleaned_data["instrument"],
                form.cleaned_data["questionnaire"],
                activate=form.cleaned_data["activate"],
                acting_user=request.user,
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error("instrument" if field == "instrument" else "questionnaire", problems)
        else:
            messages.success(
                request,
                _("Imported %(title)s, version %(version)s (%(language)s).")
                % {"title": definition.title, "version": definition.version, "language": definition.language},
            )
            return redirect("care:organization_questionnaires", organization_id=membership.organization_id)
    return _wording_page(request, membership, form)


@login_required
@require_POST
def organization_questionnaire_active(request, organization_id: int, definition_id: int):
    membership = access_organization(request.user, organization_id, admin=True)
    audience = organization_audience(membership.organization_id)
    if not 0 < definition_id < 2**63:
        raise Http404
    definition = QuestionnaireDefinition.objects.filter(pk=definition_id, audience=audience).first()
    if definition is None:
        if QuestionnaireDefinition.objects.filter(pk=definition_id).exists():
            record(
                "questionnaire_definition.change",
                request.user,
                object_ref=f"questionnaire_definition:{definition_id}",
                outcome=Outcome.DENIED,
            )
        raise Http404
    active = request.POST.get("active") == "1"
    actions.do_set_organization_wording_active(
        membership.organization, definition, active=active, acting_user=request.user
    )
    messages.success(
        request,
        _("Offered to your enrolled members in its language.")
        if active
        else _("No longer offered: your enrolled members see Circles' own wording."),
    )
    return redirect(reverse("care:organization_questionnaires", args=[membership.organization_id]))


urlpatterns = [
    path("organizations/", organization_list, name="organization_list"),
    path("organizations/new/", organization_new, name="organization_new"),
    path("organizations/<int:organization_id>/", organization, name="organization"),
    path("organizations/<int:organization_id>/programs/", program_add, name="program_add"),
    path(
        "organizations/<int:organization_id>/programs/<int:program_id>/active/",
        program_active,
        name="program_active",
    ),
    path("organizations/<int:organization_id>/staff/invite/", staff_invite, name="staff_invite"),
    path(
        "organizations/<int:organization_id>/staff/invitations/<int:invitation_id>/resend/",
        staff_invitation_resend,
        name="staff_invitation_resend",
    ),
    path(
        "organizations/<int:organization_id>/staff/invitations/<int:invitation_id>/cancel/",
        staff_invitation_cancel,
        name="staff_invitation_cancel",
    ),
    path("organizations/<int:organization_id>/staff/<int:staff_id>/", staff_member, name="staff_member"),
    path("organizations/<int:organization_id>/staff/<int:staff_id>/end/", staff_end, name="staff_end"),
    path("organizations/<int:organization_id>/members/", organization_members, name="organization_members"),
    path(
        "organizations/<int:organization_id>/consents/", organization_consents, name="organization_consents"
    ),
    path(
        "organizations/<int:organization_id>/consents/<int:consent_id>/",
        organization_consent,
        name="organization_consent",
    ),
    path(
        "organizations/<int:organization_id>/questionnaires/",
        organization_questionnaires,
        name="organization_questionnaires",
    ),
    path(
        "organizations/<int:organization_id>/questionnaires/<int:definition_id>/active/",
        organization_questionnaire_active,
        name="organization_questionnaire_active",
    ),
    path("staff-invitation/<str:token>/", staff_accept, name="staff_accept"),
]
