"""Forms of the care pages; validation of a record lives on its model."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circles.care.models import (
    CARE_ROLES,
    Appointment,
    Attendance,
    ClinicalNote,
    EnrolmentInvitation,
    Message,
    NoteKind,
    Organization,
    Program,
    SafetyFollowUp,
    SessionKind,
    SessionMode,
    StaffInvitation,
    StaffMembership,
    shows_text,
)
from circles.checkins.forms import ImportQuestionnaireForm
from circles.sharing.forms import ConsentForm

# --- Organizations, programs and staff ---


class OrganizationForm(forms.ModelForm):
    """A new organization and the name of its first program."""

    program_name = forms.CharField(
        label=_("Name of your first program"),
        max_length=120,
        help_text=_("For example “Intensive outpatient”. Members see it in the consent they sign."),
    )

    class Meta:
        model = Organization
        fields = ["name", "kind"]
        labels = {"name": _("Name of the organization")}

    def clean_program_name(self):
        name = self.cleaned_data["program_name"].strip()
        program = Program(name=name)
        try:
            program.clean_fields(exclude=["organization"])
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict.get("name", [])) from None
        return name


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = ["name"]
        labels = {"name": _("New program")}

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Program.objects.filter(organization=self.instance.organization, name__iexact=name).exists():
            raise forms.ValidationError(_("The organization already has a program with this name."))
        return name


class StaffInvitationForm(forms.ModelForm):
    class Meta:
        model = StaffInvitation
        fields = ["email", "role", "clinical_supervisor"]
        help_texts = {
            "clinical_supervisor": _("May read every private process note written in the organization."),
        }

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if (
            StaffMembership.objects.current()
            .filter(organization=self.organization, user__email__iexact=email)
            .exists()
        ):
            raise forms.ValidationError(_("This person already works for the organization."))
        return email


class StaffChangeForm(forms.ModelForm):
    class Meta:
        model = StaffMembership
        fields = ["role", "clinical_supervisor", "on_call"]


class OrganizationQuestionnaireForm(ImportQuestionnaireForm):
    activate = forms.BooleanField(
        label=_("Offer it to this organization's enrolled members in its language from now on"),
        required=False,
        initial=True,
    )


# --- Enrolment invitations and care teams ---

CODE_GROUP = 4


def normalize_code(text: str) -> str:
    """An enrolment code as typed: any case, with or without spaces and dashes."""
    return "".join(ch for ch in (text or "").upper() if ch not in " -\u2010\u2011\u2012\u2013\u2014\t")


def grouped_code(code: str) -> str:
    """A code in groups of four, to read aloud: "KQ7M 2XPA"."""
    return " ".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.user.display_name} ({obj.get_role_display()})"


class EnrolmentInvitationForm(forms.ModelForm):
    """Staff invite a person to enrol: a program, an optional email, who will be primary."""

    class Meta:
        model = EnrolmentInvitation
        fields = ["program", "email", "primary_staff"]
        field_classes = {"primary_staff": StaffChoiceField}
        labels = {"program": _("Program"), "primary_staff": _("Primary on their care team")}
        help_texts = {
            "email": _(
                "We email them a link. Leave it empty to hand over the code in person; you get the code "
                "either way."
            ),
        }

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization
        self.fields["program"].queryset = organization.programs.filter(active=True)
        self.fields["program"].empty_label = None
        self.fields["primary_staff"].queryset = (
            StaffMembership.objects.current()
            .filter(organization=organization, role__in=CARE_ROLES)
            .select_related("user")
            .order_by("user__display_name", "id")
        )
        self.fields["primary_staff"].required = True
        self.fields["primary_staff"].empty_label = None


class JoinCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Enrolment code"),
        max_length=40,
        help_text=_("The code from your care team, for example KQ7M 2XPA. Spaces and dashes do not matter."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def clean_code(self):
        code = normalize_code(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError(_("Please type the code."))
        return code


class EnrolmentConsentForm(ConsentForm):
    """The consent a person signs to enrol: the same scopes as a supporter's consent; the purpose is
    fixed (treatment and care coordination), so it is not asked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, fixed_purpose=True, **kwargs)
        self.fields["scopes"].label = _("What your care team may see")
        self.fields["scopes"].help_text = _(
            "Nothing is ticked for you: choose at least one. You can change this or stop it at any time "
            "under Sharing."
        )

    def clean_scopes(self):
        scopes = self.cleaned_data.get("scopes") or []
        if not scopes:
            raise forms.ValidationError(_("Choose at least one kind of information to share."))
        return scopes


class CareTeamAddForm(forms.Form):
    staff = StaffChoiceField(label=_("Add to the care team"), queryset=StaffMembership.objects.none())

    def __init__(self, *args, enrolment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = (
            StaffMembership.objects.current()
            .filter(organization_id=enrolment.organization_id, role__in=CARE_ROLES)
            .exclude(care_teams__enrolment=enrolment)
            .select_related("user")
            .order_by("user__display_name", "id")
        )


class EndEnrolmentForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=200,
        required=False,
        help_text=_("The member sees it in their care history."),
    )


# --- Clinical notes ---


class ClinicalNoteForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label=_("Kind of note"), choices=NoteKind.choices, initial=NoteKind.PROGRESS, widget=forms.RadioSelect
    )

    class Meta:
        model = ClinicalNote
        fields = ["kind", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}


class CorrectionForm(forms.ModelForm):
    """A correction: its kind is the corrected note's."""

    class Meta:
        model = ClinicalNote
        fields = ["body"]
        labels = {"body": _("The correction")}
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}


# --- Sessions ---


class SessionForm(forms.ModelForm):
    """A session to schedule or change; its time is typed in the staff member's own timezone (the
    page's active zone) and stored in UTC."""

    class Meta:
        model = Appointment
        fields = ["kind", "mode", "starts_at", "duration_minutes", "place"]
        labels = {"starts_at": _("Date and time (your time)")}
        widgets = {
            "kind": forms.RadioSelect,
            "mode": forms.RadioSelect,
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "duration_minutes": forms.NumberInput(attrs={"min": 5, "max": 480, "step": 5}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        # Radio buttons with no empty "---------" choice; a new session starts as the usual kind.
        for name, choices, usual in (
            ("kind", SessionKind.choices, SessionKind.INDIVIDUAL),
            ("mode", SessionMode.choices, SessionMode.IN_PERSON),
        ):
            if name in self.fields:
                self.fields[name].choices = choices
                if not self.instance.pk:
                    self.fields[name].initial = usual

    def clean_starts_at(self):
        starts_at = self.cleaned_data["starts_at"]
        if starts_at is not None and starts_at <= timezone.now():
            raise forms.ValidationError(_("Choose a time that is still to come."))
        return starts_at


class GroupSessionForm(SessionForm):
    """One group session for several members of the viewer's caseload (one Appointment for each)."""

    members = forms.TypedMultipleChoiceField(
        label=_("Members taking part"), coerce=int, widget=forms.CheckboxSelectMultiple
    )

    field_order = ["members", "mode", "starts_at", "duration_minutes", "place"]

    class Meta(SessionForm.Meta):
        fields = ["mode", "starts_at", "duration_minutes", "place"]

    def __init__(self, *args, accesses, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.kind = SessionKind.GROUP
        self.fields["members"].choices = [
            (access.enrolment.pk, f"{access.member.display_name} — {access.staff.organization.name}")
            for access in accesses
        ]


class AttendanceForm(forms.Form):
    attendance = forms.ChoiceField(label=_("Attendance"), choices=Attendance.choices)


# --- Messages ---


class MessageForm(forms.ModelForm):
    class Meta:
        model = Message
        fields = ["body"]
        labels = {"body": _("Your message")}
        widgets = {"body": forms.Textarea(attrs={"rows": 4, "maxlength": 4000})}

    def clean_body(self):
        body = (self.cleaned_data.get("body") or "").strip()
        if not shows_text(body):
            raise forms.ValidationError(_("Write a message first."))
        return body


# --- Safety follow-ups ---


class FollowUpForm(forms.ModelForm):
    class Meta:
        model = SafetyFollowUp
        fields = ["note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "note": _(
                "What you did or will do: a call, a session brought forward, the safety plan reviewed. "
                "The care team reads it; it is stored encrypted."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The issue asks for "acknowledge and a follow-up note": no acknowledgement without one.
        self.fields["note"].required = True
        self.fields["note"].error_messages["required"] = _(
            "Write what you did or will do before acknowledging: the care team reads it later."
        )
