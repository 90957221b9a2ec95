"""Forms of the care pages; validation of a record lives on its model."""

from django import forms
from django.utils.translation import gettext_lazy as _

from circles.care.models import CARE_ROLES, EnrolmentInvitation, StaffMembership
from circles.sharing.forms import ConsentForm

# --- Organizations, programs and staff ---


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


# --- Sessions ---


# --- Messages ---


# --- Safety follow-ups ---
