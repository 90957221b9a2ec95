"""What tops a supporter's pages (the short Part 2 statement, linking to the full notice) and the legend
of a member's map as the supporter sees it."""

from circles.sharing import logic
from circles.sharing.statement import REDISCLOSURE_NOTICE
from circles.sharing.tests.factories import grant, link

SHORT = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."


def test_supporter_pages_carry_the_short_statement_not_the_full_notice(riley, sam, client_for):
    grant(link(riley, sam), [logic.CHECKED_IN])
    client = client_for(sam)
    for url in ("/supporting/", f"/supporting/{riley.pk}/"):
        page = client.get(url).content.decode()
        assert SHORT in page and 'href="/supporting/notice/"' in page, url
        assert "A general permission to release medical information" not in page, url


def test_the_full_notice_has_a_page_of_its_own(client, sam, client_for):
    for viewer in (client, client_for(sam)):  # the law's words, nothing about anyone: public
        response = viewer.get("/supporting/notice/")
        assert response.status_code == 200
        assert str(REDISCLOSURE_NOTICE) in response.content.decode()


def test_the_api_keeps_the_full_notice_with_each_disclosure(riley, sam, client_for):
    grant(link(riley, sam), [logic.CHECKED_IN])
    assert client_for(sam).get(f"/api/v1/supporting/{riley.pk}").json()["notice"] == str(REDISCLOSURE_NOTICE)


def test_the_shared_map_has_a_legend_from_the_members_include(riley, sam, client_for):
    grant(link(riley, sam), [logic.NETWORK_MAP])
    page = client_for(sam).get(f"/supporting/{riley.pk}/").content.decode()
    assert 'aria-label="Map legend"' in page and "Square: a person in Riley's circle" in page
    # What Riley recorded about each person is not on Sam's map, so its legend does not name it either.
    assert "Triangle: supports use" not in page and "Dashed ring: strain" not in page
    own = client_for(riley).get("/network/").content.decode()
    assert 'aria-label="Map legend"' in own and "Triangle: supports use" in own


def test_no_legend_without_the_map(riley, sam, client_for):
    grant(link(riley, sam), [logic.CHECKED_IN])
    assert "Map legend" not in client_for(sam).get(f"/supporting/{riley.pk}/").content.decode()
