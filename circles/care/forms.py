"""Forms of the care pages; validation of a record lives on its model."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from circles.care.models import (
    ClinicalNote,
    NoteKind,
    Organization,
    Program,
    SafetyFollowUp,
    StaffInvitation,
    StaffMembership,
)
from circles.checkins.forms import ImportQuestionnaireForm

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


# --- Messages ---


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
