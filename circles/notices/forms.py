from django import forms
from django.utils.translation import gettext_lazy as _

from circles.notices.models import ReminderPreferences

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

# The page shows each kind as a group: its switch, then its settings.
GROUPS = [
    (_("Daily check-in"), ["checkin_on", "checkin_at", "checkin_channel"]),
    (_("Questionnaires"), ["questionnaire_on", "questionnaire_at", "questionnaire_channel"]),
    (_("Encouragement"), ["encouragement_on", "encouragement_channel"]),
    (_("Commitments"), ["commitment_on", "commitment_lead_minutes", "commitment_channel"]),
    (_("Invitations"), ["invitation_on", "invitation_channel"]),
    (_("Quiet hours"), ["quiet_from", "quiet_until"]),
]


class ReminderPreferencesForm(forms.ModelForm):
    """The preferences, and a start time for each commitment that falls on known days."""

    class Meta:
        model = ReminderPreferences
        fields = [name for _legend, names in GROUPS for name in names]
        widgets = {
            "checkin_at": TIME,
            "questionnaire_at": TIME,
            "quiet_from": TIME,
            "quiet_until": TIME,
        }
        help_texts = {
            "quiet_until": _(
                "Nothing is sent in these hours (your own time); a reminder waits until they end."
            ),
        }

    def __init__(self, *args, commitments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.commitments = list(commitments)
        for commitment in self.commitments:
            start = getattr(commitment, "reminder_start", None)
            self.fields[self.start_field(commitment.pk)] = forms.TimeField(
                label=_("%(title)s starts at") % {"title": commitment.title},
                required=False,
                widget=TIME,
                initial=start.starts_at if start else None,
            )

    @staticmethod
    def start_field(commitment_id: int) -> str:
        return f"commitment_start_{commitment_id}"

    def groups(self):
        """(legend, bound fields) for the template."""
        result = [(legend, [self[name] for name in names]) for legend, names in GROUPS]
        starts = [self[self.start_field(c.pk)] for c in self.commitments]
        return result[:4] + [(_("When your commitments start"), starts)] + result[4:] if starts else result

    def commitment_starts(self) -> dict:
        return {c.pk: self.cleaned_data.get(self.start_field(c.pk)) for c in self.commitments}
