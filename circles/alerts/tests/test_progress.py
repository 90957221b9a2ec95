"""What the member is told while their ladder is asked: who, by which channel, and when the next step
starts (in the member's own timezone), on the alert page, the SOS pages and a questionnaire's result."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circles.alerts import delivery, logic
from circles.alerts.models import Alert, AlertStatus
from circles.alerts.progress import alert_for_assessment
from circles.alerts.tests.factories import askable, ladder
from circles.checkins.models import Assessment
from circles.checkins.tests.factories import answers_at, complete
from circles.network.tests.factories import make_tie

# 14:22 in New York (Riley's timezone) on a winter day: UTC-5.
NOON_ISH = dt.datetime(2026, 12, 1, 19, 22, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _at_noon_ish():
    """Every test starts at NOON_ISH, the clock standing still, so the times on the page are known."""
    with time_machine.travel(NOON_ISH, tick=False):
        yield


@pytest.fixture
def two_steps(riley, sam, jamie):
    """Riley's ladder: Sam by email and text message, then Jamie; both may be asked."""
    sam_tie = askable(riley, sam)
    sam_tie.phone = "+1 555 010 0199"
    sam_tie.save(update_fields=["phone"])
    jamie_tie = askable(riley, jamie, name="Jamie", relationship="peer_mentor")
    ladder(riley, sam_tie, jamie_tie, window=10, channels=(logic.SMS, logic.EMAIL))
    return sam_tie, jamie_tie


def text_of(response) -> str:
    return " ".join(response.content.decode().split())


def test_the_alert_page_names_who_is_asked_how_and_when_the_next_step_starts(riley, two_steps, client_for):
    client = client_for(riley)
    response = client.post("/alerts/sos/", {})
    page = text_of(client.get(response["Location"]))
    assert "Asking Sam by email and text message now." in page
    assert "If nobody answers by 14:32, Jamie will be asked next." in page  # 19:32 UTC, Riley's 14:32


def test_the_time_is_the_viewers_own(riley, two_steps, client_for):
    riley.timezone = "Europe/Madrid"
    riley.save(update_fields=["timezone"])
    client = client_for(riley)
    page = text_of(client.get(client.post("/alerts/sos/", {})["Location"]))
    assert "If nobody answers by 20:32, Jamie will be asked next." in page


def test_after_the_next_step_starts_the_page_says_so_and_that_nobody_is_left(riley, two_steps, client_for):
    client = client_for(riley)
    client.post("/alerts/sos/", {})
    alert = Alert.objects.get()
    with time_machine.travel(NOON_ISH + dt.timedelta(minutes=11), tick=False):
        delivery.work_due("test")
        page = text_of(client.get(f"/alerts/{alert.pk}/"))
        partial = text_of(client.get(f"/alerts/{alert.pk}/status/"))
    assert "Asking Jamie by email now." in page  # no phone number saved for Jamie: no text message
    expected = "Nobody else is on your ladder after this step: if nobody answers by 14:43"
    assert expected in page and expected in partial


def test_someone_who_may_not_be_asked_is_not_named_as_next(riley, sam, mallory, client_for):
    sam_tie = askable(riley, sam)
    robin = make_tie(riley, "Robin", "friend")  # no consent to receive alerts: skipped when the time comes
    ladder(riley, sam_tie, robin)
    client = client_for(riley)
    page = text_of(client.get(client.post("/alerts/sos/", {})["Location"]))
    assert "Asking Sam by email and in Circles now." in page
    assert "Robin" not in page.split("Nobody has answered yet.")[1].split("</p>")[0]
    assert "Nobody else is on your ladder after this step: if nobody answers by 14:32" in page


def test_the_sos_form_says_whom_it_will_ask_first_and_next(riley, two_steps, client_for):
    page = text_of(client_for(riley).post("/help-now/"))
    assert "Circles will ask Sam by email and text message first" in page
    assert "If nobody answers within 10 minutes, Jamie will be asked next." in page
    assert "Yes, ask them now" in page


def test_a_ladder_nobody_on_which_may_be_asked_says_so_instead_of_offering_to_ask(riley, client_for):
    ladder(riley, make_tie(riley, "Robin", "friend"))
    page = text_of(client_for(riley).get("/alerts/sos/"))
    assert "Nobody on your crisis ladder can be asked right now" in page
    assert "Yes, ask them now" not in page


def test_pressing_help_again_with_an_sos_open_shows_who_is_asked_live(riley, two_steps, client_for):
    client = client_for(riley)
    client.post("/alerts/sos/", {})
    alert = Alert.objects.get()
    for page in (text_of(client.post("/help-now/")), text_of(client.get("/alerts/sos/"))):
        assert "Asking Sam by email and text message now." in page
        assert "If nobody answers by 14:32, Jamie will be asked next." in page
        assert f'data-status-url="/alerts/{alert.pk}/progress/"' in page
        assert "alert-status.js" in page and f'href="/alerts/{alert.pk}/"' in page
    partial = text_of(client.get(f"/alerts/{alert.pk}/progress/"))
    assert "Asking Sam by email and text message now." in partial and "data-final" not in partial
    client.post(f"/alerts/{alert.pk}/close/")
    assert "data-final" in text_of(client.get(f"/alerts/{alert.pk}/progress/"))


def test_the_progress_part_is_only_the_members(riley, sam, two_steps, client_for):
    client_for(riley).post("/alerts/sos/", {})
    alert = Alert.objects.get()
    assert client_for(sam).get(f"/alerts/{alert.pk}/progress/").status_code == 404


def _phq9_with_self_harm_answer(client):
    start = client.post("/checkins/questionnaires/phq9/start/")["Location"]
    answers = {f"q{n}": "1" for n in range(1, 10)}
    return client.post(start, {**answers, "finish": "1"})["Location"]


def test_a_phq9_safety_answer_result_says_who_is_asked_with_a_link_to_the_alert(riley, two_steps, client_for):
    client = client_for(riley)
    result_url = _phq9_with_self_harm_answer(client)
    page = text_of(client.get(result_url))
    alert = Alert.objects.get(kind=logic.SAFETY)
    assert "Circles is asking the people on your crisis ladder" in page
    assert "Asking Sam by email and text message now." in page
    assert "If nobody answers by 14:32, Jamie will be asked next." in page
    assert f'href="/alerts/{alert.pk}/"' in page and f'data-status-url="/alerts/{alert.pk}/progress/"' in page
    assert f'href="{result_url}">Refresh' in page  # without JavaScript, a plain link shows it anew
    assert "988" in page


def test_a_later_screen_result_names_the_alert_already_open(riley, two_steps, client_for):
    client = client_for(riley)
    _phq9_with_self_harm_answer(client)
    phq9 = Assessment.objects.get(instrument="phq9")
    with time_machine.travel(NOON_ISH + dt.timedelta(minutes=2), tick=False):
        start = client.post("/checkins/questionnaires/cssrs/start/", {"after": phq9.pk})["Location"]
        answers = {"q1": "true", "q2": "true", "q3": "true", "q4": "true", "q5": "false", "q6": "false"}
        client.post(start, {"q1": "true", "q2": "true", "finish": "1"})  # reveals questions 3-5
        result = text_of(client.get(client.post(start, {**answers, "finish": "1"})["Location"]))
    alert = Alert.objects.get()  # the screen joined the safety alert already asking people
    assert alert_for_assessment(Assessment.objects.get(instrument="cssrs")) == alert
    assert "Asking Sam by email and text message now." in result and f'href="/alerts/{alert.pk}/"' in result


def test_an_ordinary_result_mentions_no_alert(riley, two_steps, client_for):
    assessment = complete(riley, "phq9", answers_at("phq9", 1) | {"9": 0})
    page = text_of(client_for(riley).get(f"/checkins/answers/{assessment.pk}/result/"))
    assert "Circles is asking" not in page and "alert-status.js" not in page


def test_a_safety_answer_with_nobody_to_ask_says_so(riley, client_for):
    page = text_of(client_for(riley).get(_phq9_with_self_harm_answer(client_for(riley))))
    assert Alert.objects.get().status == AlertStatus.UNANSWERED
    assert "Nobody could be asked" in page and 'href="/alerts/ladder/"' in page


def _progress_queries(client, member) -> int:
    client.post("/alerts/sos/", {})
    alert = Alert.objects.get(status=AlertStatus.ACTIVE)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/alerts/{alert.pk}/progress/").status_code == 200
    client.post(f"/alerts/{alert.pk}/close/")
    return len(queries)


def test_the_progress_part_takes_as_many_queries_for_a_long_ladder_as_a_short_one(riley, sam, client_for):
    sam_tie = askable(riley, sam)
    client = client_for(riley)
    ladder(riley, sam_tie, make_tie(riley, "Robin", "friend"))
    short = _progress_queries(client, riley)
    friends = [tuple(make_tie(riley, f"Friend {r}{n}", "friend") for n in range(5)) for r in range(5)]
    ladder(riley, sam_tie, *friends)
    assert _progress_queries(client, riley) == short


def test_the_api_says_who_is_asked_and_when_the_next_step_starts(riley, two_steps, client_for):
    client = client_for(riley)
    alert_id = client.post("/api/v1/alerts/sos", data={}, content_type="application/json").json()["id"]
    body = client.get(f"/api/v1/alerts/{alert_id}").json()
    assert body["asking_now"] == [{"name": "Sam", "channels": ["email", "sms"]}]
    assert body["next_step_at"] == "2026-12-01T19:32:00Z" and body["next_step_people"] == ["Jamie"]


def test_without_javascript_each_page_has_a_plain_refresh_link(riley, two_steps, client_for):
    client = client_for(riley)
    alert_url = client.post("/alerts/sos/", {})["Location"]
    assert f'href="{alert_url}">Refresh' in text_of(client.get(alert_url))
    assert 'href="/alerts/sos/">Refresh' in text_of(client.post("/help-now/"))
    assert 'href="/alerts/sos/">Refresh' in text_of(client.get("/alerts/sos/"))
    assert "http-equiv" not in text_of(client.get(alert_url))  # no meta refresh


def test_a_result_whose_alert_was_closed_says_people_were_asked_not_that_they_are(
    riley, two_steps, client_for
):
    client = client_for(riley)
    result_url = _phq9_with_self_harm_answer(client)
    client.post(f"/alerts/{Alert.objects.get().pk}/close/")
    page = text_of(client.get(result_url))
    assert "Circles asked the people on your crisis ladder" in page and "Circles is asking" not in page
    assert "This alert is closed." in page
