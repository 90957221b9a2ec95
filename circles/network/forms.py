"""Forms for ties, contact and commitments. Rules about one record live in the models' clean()."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from circles.network.models import (
    LOGGED_KINDS,
    NAME_GIVEN,
    TITLE_GIVEN,
    Cadence,
    Commitment,
    Interaction,
    InteractionKind,
    Relationship,
    Strain,
    SupportKind,
    Tie,
    TieStatus,
    Weekday,
)

# An organization joins a member's circle only by enrolling (circles/care), never by hand: neither the
# tie form nor the API makes a tie one, or changes one into or out of one.
CARE_ORGANIZATION_BY_ENROLMENT = _(
    "An organization joins your circle when you enrol with it, using the code or link it gives you. "
    "Choose another relationship."
)

# An organization's tie is paused, resumed or ended only with its enrolment: leaving the program on My care
# ends both (circles/care). Neither the tie page nor the API changes its status or deletes it.
CARE_ORGANIZATION_FOLLOWS_ENROLMENT = _(
    "This organization is in your circle while you are enrolled with it. To leave the program, go to My care."
)

# Questions about a person that make no sense of an organization: its tie form leaves them out.
PERSON_ONLY_FIELDS = ("substance_use", "stance", "strain_flags", "boundaries")


class TieForm(forms.ModelForm):
    support_kinds = forms.MultipleChoiceField(
        label=_("Kinds of support they give"),
        choices=SupportKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    strain_flags = forms.MultipleChoiceField(
        label=_("Any strain in the relationship?"),
        choices=Strain.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Tie
        fields = [
            "display_name",
            "relationship",
            "pillar_override",
            "circle",
            "support_kinds",
            "contact_frequency",
            "importance",
            "substance_use",
            "stance",
            "quality",
            "strain_flags",
            "boundaries",
            "email",
            "phone",
        ]
        widgets = {
            "circle": forms.RadioSelect,
            "importance": forms.NumberInput(attrs={"min": 1, "max": 5}),
            "quality": forms.NumberInput(attrs={"min": 1, "max": 5}),
            "boundaries": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "display_name": _("A name or nickname. A group or meeting can be a tie too."),
            "importance": _("1 = a little, 5 = very important."),
            "quality": _("1 = difficult, 5 = very good."),
            "boundaries": _("Only you see this."),
        }
        error_messages = {"display_name": {"required": NAME_GIVEN.message}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("importance", "quality"):  # the model field's own minimum (0) would win otherwise
            self.fields[name].widget.attrs.update(min=1, max=5)
        self.fields["pillar_override"].choices = [("", _("Based on relationship"))] + [
            choice for choice in self.fields["pillar_override"].choices if choice[0]
        ]
        relationship = self.fields["relationship"]
        if self.instance.pk and self.instance.relationship == Relationship.CARE_ORGANIZATION:
            # Made by enrolling (circles/care): it stays an organization; leaving ends it (My care).
            relationship.disabled = True
            relationship.help_text = _("Set by your enrolment. To leave the program, go to My care.")
            for name in PERSON_ONLY_FIELDS:
                del self.fields[name]
        else:
            relationship.choices = [
                choice for choice in relationship.choices if choice[0] != Relationship.CARE_ORGANIZATION
            ]

    def clean_relationship(self):
        relationship = self.cleaned_data.get("relationship")
        was_organization = self.instance.pk and self.instance.relationship == Relationship.CARE_ORGANIZATION
        if (relationship == Relationship.CARE_ORGANIZATION) != bool(was_organization):
            raise forms.ValidationError(CARE_ORGANIZATION_BY_ENROLMENT)
        return relationship


class TieStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=TieStatus.choices)
    note = forms.CharField(label=_("Note (optional)"), max_length=500, required=False)


def ties_to_choose(member, record):
    """The member's current ties, plus the ended tie an existing record already belongs to."""
    ties = Tie.objects.filter(member=member)
    if record.pk and record.tie_id:
        return ties.exclude(~Q(pk=record.tie_id), status=TieStatus.ENDED)
    return ties.current()


class MemberTieChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class InteractionForm(forms.ModelForm):
    class Meta:
        model = Interaction
        fields = ["tie", "occurred_at", "kind", "duration_minutes", "quality", "note"]
        field_classes = {"tie": MemberTieChoiceField}
        labels = {"tie": _("With")}
        widgets = {
            "occurred_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "quality": forms.RadioSelect,
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.member = member
        self.fields["tie"].queryset = ties_to_choose(member, self.instance)
        # Encouragement arrives from a supporter; the member keeps it but does not log it by hand.
        kinds = [*LOGGED_KINDS, *([InteractionKind.ENCOURAGEMENT] if self.instance.sent_by_id else [])]
        self.fields["kind"].choices = [(kind.value, kind.label) for kind in kinds]
        self.fields["occurred_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class CommitmentForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("On these days (for “every week on chosen days”)"),
        choices=Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Commitment
        fields = [
            "title",
            "tie",
            "cadence",
            "weekdays",
            "interval_days",
            "times_per_week",
            "starts_on",
            "ends_on",
        ]
        field_classes = {"tie": MemberTieChoiceField}
        widgets = {
            "cadence": forms.RadioSelect,
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "interval_days": forms.NumberInput(attrs={"min": 1, "max": 90}),
            "times_per_week": forms.NumberInput(attrs={"min": 1, "max": 21}),
        }
        labels = {
            "interval_days": _("Every how many days (for “every few days”)"),
            "times_per_week": _("Times per week (for “a number of times each week”)"),
        }
        help_texts = {"title": _("For example “Tuesday group”, “Therapy”, “Call Mum”.")}
        error_messages = {"title": {"required": TITLE_GIVEN.message}}

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.member = member
        self.fields["tie"].queryset = ties_to_choose(member, self.instance)
        self.fields["cadence"].choices = Cadence.choices
