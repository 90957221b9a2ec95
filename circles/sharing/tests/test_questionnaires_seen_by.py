"""The questionnaires page says who sees each one's results, from the consents that disclose now."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from circles.accounts.models import User
from circles.sharing import logic
from circles.sharing.actions import do_revoke_consent
from circles.sharing.tests.factories import grant, link


def card(page: str, code: str) -> str:
    found = re.search(rf'id="measure-{code}">(.*?)</li>', page, re.S)
    assert found, code
    return " ".join(found.group(1).split())


def test_each_questionnaire_says_who_sees_its_results(riley, sam, jamie, client_for):
    sam_tie = link(riley, sam)
    grant(sam_tie, [logic.CHECKED_IN, logic.RESULTS + "recovery_capital"])
    grant(link(riley, jamie, name="Jamie", relationship="peer_mentor"), [logic.RESULTS + "recovery_capital"])
    client = client_for(riley)
    page = client.get("/checkins/questionnaires/").content.decode()
    assert "Your results are shared with Jamie, Sam." in card(page, "barc10")
    assert "Only you see your results." in card(page, "phq9")
    assert "Only you see your answers" not in page
    do_revoke_consent(sam_tie, acting_user=riley)
    page = client.get("/checkins/questionnaires/").content.decode()
    assert "Your results are shared with Jamie." in card(page, "barc10")


def test_nobody_shared_with_says_only_you_on_every_card(riley, client_for):
    page = client_for(riley).get("/checkins/questionnaires/").content.decode()
    cards = re.findall(r'id="measure-(\w+)"', page)
    assert cards and all("Only you see your results." in card(page, code) for code in cards)


def test_viewers_by_instrument_follows_each_scope_family():
    seen = logic.viewers_by_instrument(
        [("Sam", [logic.RESULTS + "recovery_capital", logic.MOOD]), ("Jamie", [logic.CHECKED_IN])]
    )
    assert seen == {"barc10": ["Sam"]}


def test_the_page_takes_as_many_queries_with_many_people_sharing(riley, client_for):
    client = client_for(riley)
    client.get("/checkins/questionnaires/")
    with CaptureQueriesContext(connection) as few:
        client.get("/checkins/questionnaires/")
    for n in range(6):
        person = User.objects.create_user(email=f"p{n}@example.org", password="x" * 20, display_name=f"P{n}")
        grant(link(riley, person, name=f"Person {n}"), [logic.RESULTS + "recovery_capital"])
    with CaptureQueriesContext(connection) as many:
        client.get("/checkins/questionnaires/")
    assert len(many) == len(few)
