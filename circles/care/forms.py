"""Forms of the care pages; validation of a record lives on its model."""

from django import forms
from django.utils.translation import gettext_lazy as _

from circles.care.models import ClinicalNote, NoteKind, SafetyFollowUp

# --- Organizations, programs and staff ---


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
