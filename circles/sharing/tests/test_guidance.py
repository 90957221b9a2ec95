"""Guidance for supporters by relationship: a professional the member invited themselves (counselor,
therapist, physician, case manager) is not told they are a friend."""

import pytest
from django.urls import reverse

from circles.sharing import logic
from circles.sharing.tests.factories import grant, link


@pytest.mark.parametrize("relationship", ["counselor", "therapist", "physician", "case_manager"])
def test_professionals_get_professional_guidance(relationship):
    assert logic.guidance_kind(relationship) == logic.PROFESSIONAL


def test_friends_and_family_keep_theirs():
    assert logic.guidance_kind("friend") == logic.FRIEND
    assert logic.guidance_kind("parent") == logic.FAMILY
    assert logic.guidance_kind("sponsor") == logic.SPONSOR


def test_a_counselor_invited_as_a_supporter_reads_professional_guidance(riley, casey, client_for):
    tie = link(riley, casey, name="Casey", relationship="counselor")
    grant(tie, [logic.CHECKED_IN])
    page = client_for(casey).get(reverse("sharing:supported_member", args=[riley.pk])).content.decode()
    assert "Using Circles as a professional" in page and "42 CFR part 2" in page
    assert "You are a friend, not a counselor" not in page
