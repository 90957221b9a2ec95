"""Forms for inviting a supporter, granting consent and sending encouragement."""

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from circles.lib.time import local_today
from circles.lib.validators import refuse_invisible_characters
from circles.sharing import logic
from circles.sharing.actions import ENCOURAGEMENT_MAX_LENGTH
from circles.sharing.models import ReachDetails


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Their email address"), max_length=254)

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member

    def clean_email(self):
        email = self.cleaned_data["email"]
        # Refused now rather than when the link is opened: nobody can support themselves.
        if email.strip().lower() == self.member.email.strip().lower():
            raise forms.ValidationError(_("This is your own address. Invite them at theirs."))
        return email


class ConsentForm(forms.Form):
    scopes = forms.MultipleChoiceField(
        label=_("What they may see"),
        choices=[(scope.code, scope.label) for scope in logic.SCOPES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Everything is off until you tick it. Choosing nothing stops all sharing."),
    )
    purpose = forms.CharField(label=_("Why you share it"), max_length=300)
    expires_on = forms.DateField(
        label=_("Stop sharing automatically on (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Sharing lasts to the end of that day. Leave empty to share until you change it."),
    )
    signature_name = forms.CharField(
        label=_("Type your full name to sign"),
        max_length=120,
        validators=[refuse_invisible_characters],
        help_text=_("Your typed name, the time and your device's network address make your signature."),
    )

    def __init__(self, *args, member, fixed_purpose: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        if fixed_purpose:
            # A consent to an organization (circles/care) states a fixed purpose; it is not asked.
            del self.fields["purpose"]
            self.fields["scopes"].label = _("What their care team may see")
            scopes = cast(forms.MultipleChoiceField, self.fields["scopes"])
            scopes.choices = [(scope.code, scope.label_for(True)) for scope in logic.SCOPES]
        if self.initial.get("scopes"):
            # A change of a consent in force: what it shares now is ticked.
            self.fields["scopes"].help_text = _(
                "What you share now is ticked. Untick what they should no longer see; choosing nothing "
                "stops all sharing."
            )

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day is not None:
            today = local_today(self.member)
            if day < today:
                raise forms.ValidationError(_("Choose today or a later day."))
            if (day - today).days > 366 * 10:
                raise forms.ValidationError(_("Choose a day within the next ten years."))
        return day

    def clean_signature_name(self):
        name = " ".join(self.cleaned_data["signature_name"].split())
        if len(name) < 2:
            raise forms.ValidationError(_("Please type your name."))
        return name

    def clean_purpose(self):
        purpose = self.cleaned_data["purpose"].strip()
        if not purpose:
            raise forms.ValidationError(_("Please say why you share it."))
        return purpose


class ReachDetailsForm(forms.ModelForm):
    """The member's phone number and preferred way; validated by ReachDetails.clean (the tie rule)."""

    class Meta:
        model = ReachDetails
        fields = ["phone", "preferred"]
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "preferred": forms.RadioSelect,
        }


class EncouragementForm(forms.Form):
    message = forms.CharField(
        label=_("Send a few words of encouragement"),
        max_length=ENCOURAGEMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("They see it in their contact log, from you."),
    )

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if not message:
            raise forms.ValidationError(_("Please write a message."))
        return message
