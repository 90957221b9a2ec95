"""Staff and member pages found wanting in the walk-through (issue 15): the printed code names the full
address, My care is there for a person not enrolled yet, the administrator reaches each member's care
team, consent records are named in words, and an administrator is not shown a caseload or an on-call."""

import re

from django.urls import reverse

from circles.care.actions import do_invite_to_enrol
from circles.sharing.actions import do_revoke_consent


def test_the_printed_code_gives_the_full_address_and_a_path_to_follow(harbor, casey, client_for):
    organization = harbor.organization
    invitation = do_invite_to_enrol(
        organization,
        program=organization.programs.get(),
        email="",
        primary_staff=harbor.counselor,
        origin="http://testserver",
        acting_user=casey,
    )
    page = client_for(casey).get(reverse("care:enrol_invitation", args=[invitation.pk])).content.decode()
    assert "Go to http://testserver/care/join/ (or, in the menu, My care, then Enter a code)" in page


def test_my_care_welcomes_a_person_not_enrolled_yet(riley, client_for):
    page = client_for(riley).get(reverse("care:my_care")).content.decode()
    assert "You are not enrolled with any organization" in page and reverse("care:join") in page
    assert f'href="{reverse("care:my_care")}"' in page  # in the menu


def test_the_administrator_reaches_each_members_care_team(enrolment, harbor, olivia, client_for):
    client = client_for(olivia)
    page = client.get(reverse("care:organization_members", args=[harbor.organization.pk])).content.decode()
    team = reverse("care:care_team", args=[enrolment.pk])
    end = reverse("care:enrolment_end", args=[enrolment.pk])
    assert team in page and end in page
    assert client.get(team).status_code == 200 and client.get(end).status_code == 200


def test_consent_records_are_named_in_words_and_a_revocation_has_no_end(
    enrolment, harbor, olivia, riley, client_for
):
    do_revoke_consent(enrolment.tie, acting_user=riley, signature_name="Riley")
    client = client_for(olivia)
    listing = client.get(reverse("care:organization_consents", args=[harbor.organization.pk]))
    text = listing.content.decode()
    assert text.count("When the enrolment ends") == 1  # the consent, not its revocation
    consent = enrolment.tie.consents.order_by("signed_at", "pk").first()
    page = client.get(reverse("care:organization_consent", args=[harbor.organization.pk, consent.pk]))
    heading = re.search(r"<h1>(.*?)</h1>", page.content.decode()).group(1)
    assert heading.startswith(f"Consent of {riley.display_name}, signed") and "record" not in heading
    own = client_for(riley).get(reverse("sharing:consent_detail", args=[consent.pk])).content.decode()
    assert re.search(r"<h1>Consent to .*, signed", own)


def test_an_administrator_is_shown_the_organization_not_a_caseload(harbor, olivia, casey, client_for):
    page = client_for(olivia).get(reverse("care:caseload")).content.decode()
    assert "You administer" in page and reverse("care:organization", args=[harbor.organization.pk]) in page
    assert "caseload-filters" not in page and "Nobody is on your caseload yet" not in page
    counselor = client_for(casey).get(reverse("care:caseload")).content.decode()
    assert "Nobody is on your caseload yet" in counselor and "You administer" not in counselor


def test_on_call_is_shown_for_care_roles_only(harbor, olivia, client_for):
    url = reverse("care:organization", args=[harbor.organization.pk])
    page = client_for(olivia).get(url).content.decode()
    row = re.search(rf"<tr><th scope=\"row\"[^>]*>{olivia.display_name}</th>.*?</tr>", page, re.S).group(0)
    assert 'On call">—</td>' in row
