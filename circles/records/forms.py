"""The forms of "Your data": download everything, or erase the account, each after the password."""

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from circles.accounts.forms import CurrentPasswordForm


class ExportForm(CurrentPasswordForm):
    id_prefix = "export"
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[
            ("json", _("JSON: everything, in one readable file")),
            ("fhir", _("FHIR: the format health records use, for a clinic or another app")),
        ],
        initial="json",
        widget=forms.RadioSelect,
    )

    field_order = ["format", "password"]


ERASE_WORD = pgettext_lazy("the word a person types to confirm erasing their account", "erase")


class EraseForm(CurrentPasswordForm):
    id_prefix = "erase"
    confirm = forms.CharField(
        label=pgettext_lazy("“erase”: the word a person types to confirm", "Type “erase” to confirm"),
        max_length=254,
        help_text=_("This cannot be undone."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )

    def clean_confirm(self):
        typed = self.cleaned_data["confirm"].strip().lower()
        # The English word always works, and so does the address: what someone types from memory.
        accepted = {"erase", str(ERASE_WORD).lower(), self.user.email.lower()}
        if typed not in accepted:
            raise forms.ValidationError(
                gettext("Type the word “%(word)s” to confirm.") % {"word": ERASE_WORD}
            )
        return typed
