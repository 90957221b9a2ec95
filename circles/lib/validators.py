"""Field validators shared by every app."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Joiners shape letters in Persian, Arabic and Indic names and hold emoji together, so they stay.
_JOINERS = {"\u200c", "\u200d"}  # zero-width non-joiner, zero-width joiner

INVISIBLE_CHARACTERS_MESSAGE = _("Please remove the invisible formatting characters from this name.")


def invisible_characters(value: str) -> list[str]:
    """The characters in the text that show nothing yet change what is shown or read.

    Bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) can make a name read
    backwards or hide part of it next to other text; the rest of Unicode's "format" category (zero-width
    spaces, tag characters, the byte-order mark), control characters and line or paragraph separators
    hide text just as well. Joiners are allowed (see above).
    """
    return [
        char
        for char in value
        if char not in _JOINERS and unicodedata.category(char) in {"Cf", "Cc", "Zl", "Zp"}
    ]


def refuse_invisible_characters(value: str) -> None:
    """A field validator for names: refuses invisible formatting characters, and a name made only of them."""
    if not value.strip():
        return  # empty or only spaces: the field's own "please enter a name" says so
    if invisible_characters(value) or not "".join(c for c in value if c not in _JOINERS).strip():
        raise ValidationError(INVISIBLE_CHARACTERS_MESSAGE, code="invisible_characters")
