"""Forms for the check-in, questionnaires, schedules and settings. Record rules live in the models."""

import json

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from circles.checkins import definitions, logic
from circles.checkins.models import Assessment, CheckIn, CheckInSettings
from circles.network.models import Tie, TieStatus

ZERO_TO_TEN = [(n, str(n)) for n in range(11)]


class ScaleRadio(forms.RadioSelect):
    """0–10 as a row of large radio buttons: one tap each on a phone, no script needed."""

    template_name = "checkins/widgets/scale.html"


class OwnTiesField(forms.ModelMultipleChoiceField):
    """Ties by id; an id too large for the database is just an invalid choice, not a crash."""

    def clean(self, value):
        for item in value or []:
            if not (str(item).isascii() and str(item).isdecimal() and len(str(item)) < 19):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                )
        return super().clean(value)


def scale_field(label, help_text) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=ZERO_TO_TEN, coerce=int, widget=ScaleRadio, help_text=help_text
    )


class CheckInForm(forms.ModelForm):
    mood = scale_field(_("Mood"), _("0 = very low, 10 = very good."))
    craving = scale_field(_("Craving"), _("0 = none, 10 = strongest."))
    stress = scale_field(_("Stress"), _("0 = none, 10 = most."))
    struggling_for = OwnTiesField(
        label=_("Who is this meant for?"),
        queryset=Tie.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Only people you choose, and only once you share with them."),
    )

    class Meta:
        model = CheckIn
        fields = [
            "mood",
            "craving",
            "stress",
            "sleep_quality",
            "used",
            "substance",
            "use_note",
            "helped",
            "struggling",
            "struggling_for",
        ]
        widgets = {
            "sleep_quality": forms.RadioSelect,
            "use_note": forms.Textarea(attrs={"rows": 2}),
            "helped": forms.Textarea(attrs={"rows": 2}),
            "struggling": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"sleep_quality": _("How did you sleep?"), "used": _("I used since my last check-in")}

    def __init__(self, *args, member, day, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.member = member
        self.instance.day = day
        self.fields["struggling_for"].queryset = Tie.objects.filter(member=member, status=TieStatus.ACTIVE)
        self.fields["sleep_quality"].choices = list(self.fields["sleep_quality"].choices)[
            1:
        ]  # no blank option

    def _update_errors(self, errors):
        # The day is not a field here (it comes from the address), so its rule shows above the form.
        if hasattr(errors, "error_dict") and "day" in errors.error_dict:
            errors.error_dict.setdefault(NON_FIELD_ERRORS, []).extend(errors.error_dict.pop("day"))
        super()._update_errors(errors)


class CheckInSettingsForm(forms.ModelForm):
    class Meta:
        model = CheckInSettings
        fields = ["count_days", "recovery_started_on", "screening_sex"]
        widgets = {
            "recovery_started_on": forms.DateInput(attrs={"type": "date"}),
            "screening_sex": forms.RadioSelect,
        }


INTERVAL_CHOICES = [
    ("", _("Not scheduled")),
    ("7", _("Every week")),
    ("14", _("Every 2 weeks")),
    ("30", _("Every month")),
    ("90", _("Every 3 months")),
]


class ScheduleForm(forms.Form):
    """One choice per instrument; the member's current intervals are the initial values."""

    def __init__(self, *args, intervals: dict[str, int | None], **kwargs):
        super().__init__(*args, **kwargs)
        for code, spec in logic.INSTRUMENTS.items():
            if code == "cssrs":
                continue  # offered when an answer calls for it, never on a timer
            current = intervals.get(code)
            choices: list[tuple[str, object]] = list(INTERVAL_CHOICES)
            if current and str(current) not in dict(choices):
                choices.append((str(current), _("Every %(days)d days") % {"days": current}))
            self.fields[code] = forms.TypedChoiceField(
                label=spec.label,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                initial="" if current is None else str(current),
            )


def _yes_no():
    return [("true", _("Yes")), ("false", _("No"))]


class AnswersForm(forms.Form):
    """The questions of one questionnaire that skip logic shows now, worded by its definition."""

    def __init__(self, *args, assessment: Assessment, **kwargs):
        super().__init__(*args, **kwargs)
        resource = assessment.definition.resource
        texts = definitions.item_texts(resource)
        labels = definitions.option_labels(resource)
        structure = assessment.spec.structure
        self.items = structure.enabled(assessment.answers)
        for number, item in enumerate(self.items, start=1):
            label = f"{number}. {texts.get(item.link_id, '')}"
            saved = assessment.answers.get(item.link_id)
            if item.kind == "boolean":
                field: forms.Field = forms.TypedChoiceField(
                    label=label,
                    choices=_yes_no(),
                    coerce=lambda value: value == "true",
                    widget=forms.RadioSelect,
                    required=False,
                    initial=None if saved is None else ("true" if saved else "false"),
                )
            else:
                field = forms.TypedChoiceField(
                    label=label,
                    choices=[(str(value), words) for value, words in labels.get(item.link_id, [])],
                    coerce=int,
                    widget=forms.RadioSelect,
                    required=False,
                    initial=None if saved is None else str(saved),
                )
            self.fields[f"q{item.link_id}"] = field

    def answers(self) -> dict:
        """The answers given on this page (blank ones left out)."""
        given = {}
        for item in self.items:
            value = self.cleaned_data.get(f"q{item.link_id}")
            if value is not None and value != "":
                given[item.link_id] = value
        return given


class ImportQuestionnaireForm(forms.Form):
    instrument = forms.ChoiceField(
        label=_("Instrument"),
        choices=[(code, spec.label) for code, spec in logic.INSTRUMENTS.items()],
    )
    questionnaire = forms.FileField(
        label=_("FHIR Questionnaire (JSON file)"), help_text=_("Official or translated wording, up to 1 MB.")
    )
    activate = forms.BooleanField(
        label=_("Offer it to members in its language from now on"), required=False, initial=True
    )

    def clean_questionnaire(self):
        upload = self.cleaned_data["questionnaire"]
        if upload.size > 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        try:
            return json.loads(upload.read().decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise forms.ValidationError(_("This file is not valid JSON.")) from None
