"""A member on a phone: today's check-in in a few taps, questionnaires, the safety questions, help now."""

import re

import pytest
from playwright.sync_api import expect

from circles.accounts.actions import do_sign_up
from circles.checkins.models import Assessment, SafetySignal
from circles.tests_browser.conftest import open_menu

pytestmark = pytest.mark.browser

PASSWORD = "steady-morning-kettle-3"


@pytest.fixture
def context_options():
    return {"is_mobile": True, "has_touch": True}


@pytest.fixture
def jo(transactional_db):
    return do_sign_up(
        email="jo@example.org", password=PASSWORD, display_name="Jo", timezone_name="Europe/Madrid"
    )


class Taps:
    """Taps like a finger on a touch screen, and counts them."""

    def __init__(self):
        self.count = 0

    def __call__(self, locator):
        locator.tap()
        self.count += 1


def log_in(page, email, password):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password:", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"//[^/]+/network/$"))


def menu(page, name):
    return open_menu(page).get_by_role("link", name=name, exact=True)


def question(page, number):
    """The fieldset of the question shown as `number` on a questionnaire page."""
    return page.get_by_role("group", name=re.compile(rf"^{number}\. "))


def answer(tap, page, number, words):
    tap(question(page, number).get_by_label(words, exact=True))


def test_check_in_then_phq9_with_the_safety_answer_leads_to_help(page, jo, offsite_requests):
    log_in(page, "jo@example.org", PASSWORD)
    tap = Taps()

    tap(menu(page, "Check in"))
    expect(page.get_by_role("heading", level=1)).to_have_text("How are you today?")
    before = tap.count
    tap(page.get_by_role("group", name="Mood").get_by_label("6", exact=True))
    tap(page.get_by_role("group", name="Craving").get_by_label("3", exact=True))
    tap(page.get_by_role("group", name="Stress").get_by_label("4", exact=True))
    tap(page.get_by_role("group", name="How did you sleep?").get_by_label("Okay", exact=True))
    tap(page.get_by_role("button", name="Save check-in"))
    expect(page.locator(".messages")).to_contain_text("Check-in saved. Thank you for checking in.")
    assert tap.count - before == 5  # three scales, sleep, save: nothing else is required
    checkin = jo.checkins.get()
    assert (checkin.mood, checkin.craving, checkin.stress, checkin.sleep_quality, checkin.used) == (
        6,
        3,
        4,
        3,
        False,
    )
    expect(page.get_by_role("group", name="Mood").get_by_label("6", exact=True)).to_be_checked()

    tap(menu(page, "Questionnaires"))
    tap(page.locator("#measure-phq9").get_by_role("button", name="Start PHQ-9"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("PHQ-9")
    expect(page.locator("fieldset.question")).to_have_count(9)
    for number in range(1, 9):
        answer(tap, page, number, "Some days")
    answer(tap, page, 9, "Some days")
    tap(page.get_by_role("button", name="Submit", exact=True))

    expect(page).to_have_url(re.compile(r"/checkins/answers/\d+/result/$"))
    crisis = page.get_by_role("region", name="Help is available right now")
    expect(crisis).to_contain_text("988")
    expect(crisis.get_by_role("link", name="Call 988")).to_have_attribute("href", "tel:988")
    expect(page.get_by_role("heading", name="A few more questions about your safety")).to_be_visible()
    phq9 = Assessment.objects.get(member=jo, instrument="phq9")
    assert phq9.is_complete and phq9.total == 9 and "safety_item" in phq9.flags

    tap(page.get_by_role("button", name="Answer the safety questions"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("C-SSRS")
    shown_first = page.locator("fieldset.question").count()
    answer(tap, page, 1, "Yes")
    answer(tap, page, 2, "Yes")
    tap(page.get_by_role("button", name="Submit", exact=True))
    expect(page.locator(".messages")).to_contain_text("A few more questions follow from your answer.")
    expect(page.locator("fieldset.question")).to_have_count(shown_first + 3)
    expect(question(page, 1).get_by_label("Yes", exact=True)).to_be_checked()
    expect(question(page, 2).get_by_label("Yes", exact=True)).to_be_checked()
    for number in range(3, shown_first + 4):
        answer(tap, page, number, "No")
    tap(page.get_by_role("button", name="Submit", exact=True))

    expect(page).to_have_url(re.compile(r"/checkins/answers/\d+/result/$"))
    expect(page.get_by_role("region", name="Help is available right now")).to_contain_text("988")
    screen = Assessment.objects.get(member=jo, instrument="cssrs")
    assert screen.is_complete and screen.offered_after == phq9 and screen.band == "low"
    assert sorted(SafetySignal.objects.filter(member=jo).values_list("source", "assessment")) == [
        ("cssrs", screen.pk),
        ("phq9_item9", phq9.pk),
    ]

    tap(page.get_by_role("button", name="I need help now"))
    expect(page).to_have_url(re.compile(r"/help-now/$"))
    expect(page.get_by_role("status")).to_contain_text("Help is here.")
    expect(page.get_by_role("region", name="Help is available right now")).to_contain_text("988")
    assert SafetySignal.objects.filter(member=jo, source="help_now").count() == 1

    assert offsite_requests == []


def test_a_questionnaire_saved_part_way_keeps_its_answers(page, jo, offsite_requests):
    log_in(page, "jo@example.org", PASSWORD)
    tap = Taps()
    tap(menu(page, "Questionnaires"))
    tap(page.locator("#measure-gad7").get_by_role("button", name="Start GAD-7"))
    answer(tap, page, 1, "Most days")
    answer(tap, page, 2, "No days")
    answer(tap, page, 3, "Almost every day")
    tap(page.get_by_role("button", name="Save and finish later"))

    expect(page).to_have_url(re.compile(r"/checkins/questionnaires/$"))
    expect(page.locator(".messages")).to_contain_text("Saved. You can finish it later from Questionnaires.")
    assert Assessment.objects.get(member=jo, instrument="gad7").answers == {"1": 2, "2": 0, "3": 3}

    tap(page.locator("#measure-gad7").get_by_role("button", name="Continue GAD-7"))
    expect(question(page, 1).get_by_label("Most days", exact=True)).to_be_checked()
    expect(question(page, 2).get_by_label("No days", exact=True)).to_be_checked()
    expect(question(page, 3).get_by_label("Almost every day", exact=True)).to_be_checked()
    expect(question(page, 4).get_by_role("radio", checked=True)).to_have_count(0)

    for number in range(4, 8):
        answer(tap, page, number, "Some days")
    tap(page.get_by_role("button", name="Submit", exact=True))
    expect(page).to_have_url(re.compile(r"/checkins/answers/\d+/result/$"))
    expect(page.get_by_role("region", name="Help is available right now")).to_have_count(0)
    assert Assessment.objects.get(member=jo, instrument="gad7").total == 9

    assert offsite_requests == []
