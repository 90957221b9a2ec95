"""The tel:/sms:/mailto: links: a phone number as typed, an email, and the way a person prefers."""

import pytest

from circles.lib.contact_links import CALL, EMAIL, TEXT, contact_links, is_phone_number


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
