"""Forms of the care pages; validation of a record lives on its model."""

from django import forms
from django.utils.translation import gettext_lazy as _

from circles.care.models import SafetyFollowUp

# --- Organizations, programs and staff ---


# --- Enrolment invitations and care teams ---


# --- Clinical notes ---


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
