"""Names with invisible formatting characters: refused, whatever the script the name is written in."""

import pytest
from django.core.exceptions import ValidationError

from circles.lib.validators import invisible_characters, refuse_invisible_characters

BIDI_CONTROLS = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]]
OTHER_INVISIBLE = ["\u200b", "\u2060", "\ufeff", "\u00ad", "\U000e0041", "\t", "\n", "\x00", "\u2028"]


@pytest.mark.parametrize("char", BIDI_CONTROLS + OTHER_INVISIBLE)
def test_invisible_characters_are_refused_with_a_clear_message(char):
    with pytest.raises(ValidationError) as refused:
        refuse_invisible_characters(f"Sam{char}my")
    assert refused.value.messages == ["Please remove the invisible formatting characters from this name."]
    assert invisible_characters(f"Sam{char}my") == [char]


def test_a_right_to_left_override_cannot_disguise_a_name():
    # Shows as "Sam gpj.exe"-style trickery: "Mum" followed by an override that reverses what follows.
    with pytest.raises(ValidationError):
        refuse_invisible_characters("Mum \u202egnitset")


@pytest.mark.parametrize(
    "name",
    [
        "Sam",
        "Zoë O’Neill-Ramírez",
        "محمد",  # Arabic, right to left by itself: no control character needed
        "שרה כהן",
        "می\u200cخواهم",  # Persian with a zero-width non-joiner, which shapes the letters
        "क्\u200dष",  # Devanagari with a zero-width joiner
        "Family 👨\u200d👩\u200d👧",  # an emoji family is held together by joiners
        "Tuesday group ❤\ufe0f",  # a variation selector is not a format character
    ],
)
def test_names_in_any_script_pass(name):
    refuse_invisible_characters(name)


def test_a_name_of_nothing_but_joiners_is_refused():
    with pytest.raises(ValidationError):
        refuse_invisible_characters("\u200d\u200c ")


def test_blank_is_left_to_the_fields_own_message():
    refuse_invisible_characters("")
    refuse_invisible_characters("   ")
