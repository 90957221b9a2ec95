"""The tel:/sms:/mailto: links: a phone number as typed, an email, and the way a person prefers."""

import pytest

from circles.lib.contact_links import (
    CALL,
    EMAIL,
    TEXT,
    call_href,
    contact_links,
    dialable,
    direct_contact,
    is_phone_number,
    text_href,
)


@pytest.mark.parametrize(
    "phone, ok",
    [
        ("+1 (555) 010-0142", True),
        ("0044 20 7946 0000", True),
        ("555.0100", True),
        ("", False),  # nothing to dial
        ("+ - ( )", False),
        ("call me", False),
        ("+1 555 0100 ext 2", False),
        ("+1 555\u200b0100", False),  # an invisible character is not a digit, a space or + - ( )
        ("\u0663\u0663\u0663", False),  # Arabic-Indic digits: digits to Python, not to a phone network
        ("+1 \u0663\u0663\u0663 0100", False),
        ("+\u00b9\u00b2", False),  # superscript one and two
        ("\uff15\uff15\uff15", False),  # fullwidth digits
    ],
)
def test_a_phone_number_follows_the_tie_rule_and_has_digits(phone, ok):
    assert is_phone_number(phone) is ok


@pytest.mark.parametrize(
    "preferred, ways",
    [
        (CALL, [CALL, TEXT, EMAIL]),
        (TEXT, [TEXT, CALL, EMAIL]),
        (EMAIL, [EMAIL, CALL, TEXT]),
        ("", [CALL, TEXT, EMAIL]),
    ],
)
def test_the_preferred_way_comes_first_and_the_rest_keep_their_order(preferred, ways):
    links = contact_links("+1 (555) 010-0142", "riley+me@example.org", preferred)
    assert [link.way for link in links] == ways
    hrefs = {link.way: link.href for link in links}
    assert hrefs == {
        CALL: "tel:+15550100142",
        TEXT: "sms:+15550100142",
        EMAIL: "mailto:riley+me@example.org",
    }


def test_only_the_ways_there_is_something_for():
    assert [link.href for link in contact_links("", "a b@example.org", CALL)] == ["mailto:a%20b@example.org"]
    assert [link.way for link in contact_links("555 0100", "", EMAIL)] == [CALL, TEXT]
    assert contact_links("", "", CALL) == []


@pytest.mark.parametrize(
    "phone, number",
    [
        ("+1 (555) 010-0142", "+15550100142"),
        ("0044 20 7946 0000", "+442079460000"),
        (" 555.0100 ", "5550100"),
        ("\u0663\u0663\u0663", ""),
        ("+1 \u0663\u0663\u0663 0100", ""),  # not "+10100", some other number
        ("+1 555 0100 ext 2", ""),
        ("", ""),
    ],
)
def test_only_a_number_that_follows_the_rule_is_dialled(phone, number):
    assert dialable(phone) == number
    assert bool(dialable(phone)) is is_phone_number(phone.strip())


def test_a_stored_number_that_breaks_the_rule_simply_gets_no_link():
    assert call_href("\u0663\u0663\u0663") == text_href("\u0663\u0663\u0663") == ""
    contact = direct_contact(7, "Sam", "\u0663\u0663\u0663", "sam@example.org")
    assert (contact.phone, contact.call_href, contact.text_href) == ("", "", "")
    assert contact.email_href == "mailto:sam@example.org"
    assert [link.way for link in contact_links("\u0663\u0663\u0663", "sam@example.org")] == [EMAIL]
