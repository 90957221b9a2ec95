"""Forms for the alert pages. Validation of a whole ladder lives in actions.do_set_ladder."""

from django import forms
from django.utils.translation import gettext_lazy as _

from circles.alerts import logic
from circles.alerts.models import AlertSettings
from circles.alerts.outbox import ladder_name
from circles.network.models import Tie, TieStatus


class SosForm(forms.Form):
    message = forms.CharField(
        label=_("A message for the people you ask (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("They see it after logging in, never in the email or text itself."),
    )


class TieChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return ladder_name(obj)  # an organization the member is enrolled with reads "My care team at …"


class AddPersonForm(forms.Form):
    tie = TieChoiceField(queryset=Tie.objects.none(), label=_("Person"))
    step = forms.TypedChoiceField(label=_("Step"), coerce=int)
    channels = forms.MultipleChoiceField(
        label=_("Reach them by"),
        choices=list(logic.CHANNEL_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        initial=[logic.IN_APP, logic.EMAIL],
    )
    quiet_from = forms.TimeField(
        label=_("Quiet hours from (optional)"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_until = forms.TimeField(
        label=_("until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    webhook_url = forms.URLField(
        label=_("Webhook address (only for the webhook channel)"),
        required=False,
        max_length=500,
        assume_scheme="https",
    )

    def __init__(self, *args, member, steps: int, **kwargs):
        super().__init__(*args, **kwargs)
        tie_field: forms.ModelChoiceField = self.fields["tie"]  # type: ignore[assignment]
        tie_field.queryset = Tie.objects.filter(member=member).exclude(status=TieStatus.ENDED)
        choices = [(i, _("Step %d") % (i + 1)) for i in range(steps)]
        if steps < logic.MAX_RUNGS:
            choices.append((steps, _("A new step %d") % (steps + 1)))
        step_field: forms.TypedChoiceField = self.fields["step"]  # type: ignore[assignment]
        step_field.choices = choices
        self.fields["step"].initial = steps if steps < logic.MAX_RUNGS else steps - 1


class WindowForm(forms.Form):
    window_minutes = forms.IntegerField(
        label=_("Minutes to answer before the next step is asked"),
        min_value=logic.MIN_WINDOW_MINUTES,
        max_value=logic.MAX_WINDOW_MINUTES,
    )


class AlertSettingsForm(forms.ModelForm):
    class Meta:
        model = AlertSettings
        fields = [
            "craving_on",
            "craving_level",
            "craving_days",
            "low_mood_on",
            "low_mood_level",
            "low_mood_days",
            "return_to_use_on",
            "missed_commitments_on",
            "missed_commitments",
            "disengagement_on",
            "disengaged_days",
        ]
