"""Enrolling puts the organization in the member's circle; a supporter who sees the member's map must
not learn from it where the member is treated (42 CFR Part 2 protects that very fact). The care team
itself sees its own organization on the map."""

from circles.care.access import access_enrolment
from circles.sharing import logic
from circles.sharing.access import access_disclosure, access_shared_map
from circles.sharing.tests.factories import grant, link


def test_a_supporter_s_map_leaves_out_the_organization(enrolment, riley, sam, client_for):
    grant(link(riley, sam), [logic.NETWORK_MAP])
    names = {tie.display_name for tie in access_shared_map(sam, access_disclosure(sam, riley.pk)).ties}
    assert "Sam" in names and not any("Harbor" in name for name in names)
    page = client_for(sam).get(f"/supporting/{riley.pk}/").content.decode()
    assert "Harbor" not in page


def test_the_care_team_s_map_shows_its_organization(enrolment, casey):
    care = access_enrolment(casey, enrolment.pk, scope=logic.NETWORK_MAP)
    names = {tie.display_name for tie in access_shared_map(casey, care.disclosure).ties}
    assert any("Harbor" in name for name in names)
