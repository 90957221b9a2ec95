"""Forms of the care pages; validation of a record lives on its model."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circles.care.models import Appointment, Attendance, Message, SessionKind, SessionMode

# --- Organizations, programs and staff ---


# --- Enrolment invitations and care teams ---


# --- Clinical notes ---


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
        if not body:
            raise forms.ValidationError(_("Write a message first."))
        return body


# --- Safety follow-ups ---
