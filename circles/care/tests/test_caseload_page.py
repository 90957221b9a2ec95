"""The caseload page, /care/: the ranked list with reasons in plain words, its filters, a clear page for
someone with no staff membership, and bounded queries whatever the caseload's size."""

from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from circles.care.caseload import CHANGE_MARGIN
from circles.care.models import Message
from circles.care.tests.factories import AUDIT_LOCK_QUERIES, enrol
from circles.care.tests.test_caseload import build_caseload, checkins
from circles.checkins.models import SafetySignal
from circles.sharing import logic as sharing

URL = reverse("care:caseload")


def test_the_caseload_lists_members_by_need_with_reasons_and_what_is_not_shared(
    harbor, enrolment, riley, sam, casey, client_for
):
    other = enrol(sam, harbor, scopes=[sharing.CHECKED_IN])
    checkins(sam, [9])
    checkins(riley, [0])
    SafetySignal.objects.create(member=riley, source=SafetySignal.Source.HELP_NOW)
    Message.objects.create(
        enrolment=enrolment, sender=riley, sender_name="Riley", from_member=True, body="hi"
    )
    response = client_for(casey).get(URL)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert page.index(riley.display_name) < page.index(sam.display_name)
    assert "not yet followed up" in page and "Follow up now" in page
    assert "No check-in for 9 days" in page
    assert "Not shared:" in page and "mood and craving" in page
    assert "1 unread" in page
    assert reverse("care:record", args=[enrolment.pk]) in page
    assert reverse("care:record", args=[other.pk]) in page
    assert "Intensive outpatient" in page and casey.display_name in page
    assert '<table class="stack caseload">' in page and 'data-label="Why now"' in page


def test_the_filters_work_without_javascript(harbor, enrolment, colleague, riley, sam, casey, client_for):
    enrol(sam, harbor)
    checkins(riley, [10])
    checkins(sam, [0])
    client = client_for(casey)
    page = client.get(URL, {"reason": "no_checkin"}).content.decode()
    assert riley.display_name in page and sam.display_name not in page
    assert "Show everyone" in page
    page = client.get(URL, {"staff": colleague.pk}).content.decode()
    assert riley.display_name not in page and "Nobody on your caseload matches these filters." in page
    page = client.get(URL, {"staff": harbor.counselor.pk, "reason": ""}).content.decode()
    assert riley.display_name in page and sam.display_name in page


@pytest.mark.parametrize(
    "query", [{"reason": "nonsense"}, {"staff": "x"}, {"staff": "999999"}, {"page": "x"}, {"page": "0"}]
)
def test_a_filter_that_does_not_exist_is_a_clear_400(harbor, enrolment, casey, client_for, query):
    response = client_for(casey).get(URL, query)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()


def test_someone_with_no_staff_membership_gets_a_clear_page(riley, client_for):
    response = client_for(riley).get(URL)
    assert response.status_code == 200
    assert "You do not work for an organization in Circles right now" in response.content.decode()


def test_an_empty_caseload_says_so(harbor, casey, client_for):
    page = client_for(casey).get(URL).content.decode()
    assert "Nobody is on your caseload yet." in page


FRESH = 22  # the caseload page when every member's caseload facts are current
READ_AND_KEEP = 7  # reading facts that are out of date: four reads of the members' data, the upsert


def test_the_page_s_queries_do_not_grow_with_the_caseload(
    harbor, casey, client_for, django_assert_num_queries
):
    client = client_for(casey)
    build_caseload(harbor, 10, 0)
    client.get(URL)  # the session's first request may do more (e.g. refresh the session)
    with time_machine.travel(timezone.now() + CHANGE_MARGIN * 2, tick=False):
        client.get(URL)  # every member's facts read and kept, well after their data changed
        # The same page reads what was kept, one row each, and which members changed anything since.
        with django_assert_num_queries(FRESH + AUDIT_LOCK_QUERIES):
            assert client.get(URL).status_code == 200
    build_caseload(harbor, 55, 10)
    with time_machine.travel(timezone.now() + CHANGE_MARGIN * 2, tick=False):
        # 55 members with no kept facts yet: read through their consent and kept, in as many queries.
        with django_assert_num_queries(FRESH + READ_AND_KEEP + AUDIT_LOCK_QUERIES):
            page = client.get(URL).content.decode()
        with django_assert_num_queries(FRESH + AUDIT_LOCK_QUERIES):
            assert client.get(URL).status_code == 200
    assert page.count("<tr>") == 1 + 50  # the neediest 50, then the next page
    assert "51 to 65 shown" not in page and "Page 1 of 2" in page
    last = client.get(URL, {"page": 2, "reason": ""}).content.decode()
    assert last.count("<tr>") == 1 + 15 and "51 to 65 shown" in last


def test_on_a_phone_the_why_now_list_takes_the_cards_width(harbor, enrolment, casey, client_for):
    """At 320 px a stacked cell's 7.5rem label column left the reasons a ~110 px column, a line below
    their label: the "Why now" cell is a wide one, its label above the list (circles.css, care: fixb)."""
    page = client_for(casey).get(reverse("care:caseload")).content.decode()
    assert 'data-label="Why now" class="stack-wide"' in page
    css = (Path(settings.BASE_DIR) / "circles/static/circles/circles.css").read_text()
    rules = css[css.index("/* --- care: fixb --- */") :]
    assert "td.stack-wide { padding-left: 0; text-indent: 0; }" in rules
    assert "td.stack-wide::before { display: block;" in rules
