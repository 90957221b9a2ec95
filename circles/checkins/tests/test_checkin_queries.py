"""Checking in is the busiest write in Circles: the form and the API each save a day in at most 6 queries.

What is counted ("the check-in's queries"): every statement the request sends to the database, except
  - signing in, which every request pays whatever it does and which belongs to the accounts app: the
    session row, the user, their roles and second factor, or the token (with its user) and its
    once-a-minute last_used_at write. Told apart by table; the check-in never reads those tables itself.
  - transaction control (BEGIN, SAVEPOINT, RELEASE, COMMIT), which carries no data: the one
    transaction that the alert rules share with the check-in (a savepoint here, where each test runs
    in a transaction). A second tap on Save is refused by the INSERT, which rolls that transaction
    back whole; it needs no savepoint of its own (it had one until 2026-12-01: two statements fewer).
Both are pinned as well (`whole`), so a query added anywhere in the request shows up here.
Raising an alert writes the alert, its notifications and its timer in the same transaction (the
outbox, docs/alerts.md): that legitimately costs more and is pinned on its own below.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from circles.accounts.actions import do_create_token
from circles.accounts.models import PersonalAccessToken
from circles.alerts import logic as alert_logic
from circles.alerts.models import Alert
from circles.alerts.tests.factories import askable, ladder
from circles.checkins.actions import do_save_checkin
from circles.checkins.models import CheckIn
from circles.lib.time import local_today
from circles.network.tests.factories import make_tie

SIGN_IN_TABLES = (
    '"django_session"',
    '"accounts_user"',
    '"accounts_role"',
    '"accounts_personalaccesstoken"',
    '"otp_',
)
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
AT_MOST = 6
VALUES = {"mood": 6, "craving": 2, "stress": 4, "sleep_quality": 3, "struggling": "Sleep."}


class Counted:
    """The queries of one request, split into the check-in's own, signing in, and transaction control."""

    def __init__(self, captured):
        self.sql = [query["sql"] for query in captured]
        self.transaction = [s for s in self.sql if s.upper().startswith(TRANSACTION_CONTROL)]
        data = [s for s in self.sql if s not in self.transaction]
        self.sign_in = [s for s in data if any(table in s for table in SIGN_IN_TABLES)]
        self.own = [s for s in data if s not in self.sign_in]

    @property
    def whole(self) -> int:
        return len(self.sql)

    def __repr__(self) -> str:
        return "\n".join(self.sql)


def send(client, method: str, url: str, body: dict, status: int) -> Counted:
    with CaptureQueriesContext(connection) as captured:
        if url.startswith("/api/"):
            response = getattr(client, method)(url, body, content_type="application/json")
        else:
            response = client.post(url, body)
    assert response.status_code == status, response.content
    return Counted(captured.captured_queries)


@pytest.fixture(params=[False, True], ids=["no ladder", "ladder"])
def member(request, riley, sam):
    """Riley with one current tie; with a crisis ladder or without (the rules then have nothing to ask)."""
    if request.param:
        ladder(riley, askable(riley, sam))
    riley.tie = make_tie(riley, "Pat", "friend")
    return riley


def token_client(member) -> Client:
    _token, raw = do_create_token(member, "Phone", scope=PersonalAccessToken.Scope.WRITE)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


# --- The form ----------------------------------------------------------------------------------------


def test_the_first_check_in_of_the_day_through_the_form(member, client_for):
    counted = send(
        client_for(member), "post", "/checkins/", {**VALUES, "struggling_for": [member.tie.pk]}, 302
    )
    # Today's check-in (none yet), the chosen ties, INSERT, the ties it is meant for, the alert rules.
    assert len(counted.own) == 5 <= AT_MOST, counted
    assert len(counted.sign_in) == 4  # session, user, roles, second factor
    assert counted.whole == 5 + 4 + 2
    assert CheckIn.objects.get(member=member).struggling_for.get() == member.tie


def test_a_first_check_in_meant_for_nobody_writes_no_ties(member, client_for):
    counted = send(client_for(member), "post", "/checkins/", VALUES, 302)
    assert len(counted.own) == 3, counted  # today's check-in (none yet), INSERT, the alert rules


def test_changing_todays_check_in_through_the_form(member, client_for):
    client = client_for(member)
    send(client, "post", "/checkins/", {**VALUES, "struggling_for": [member.tie.pk]}, 302)
    counted = send(
        client, "post", "/checkins/", {**VALUES, "mood": 3, "struggling_for": [member.tie.pk]}, 302
    )
    # Today's check-in with its ties, the chosen ties, UPDATE, the alert rules: the same ties are not
    # written again.
    assert len(counted.own) == 5 <= AT_MOST, counted
    assert counted.whole == 5 + 4 + 2  # a change, like a new day, has only its transaction's
    assert CheckIn.objects.get(member=member).mood == 3


def test_a_change_writes_only_the_ties_that_changed(member, client_for):
    client = client_for(member)
    other = make_tie(member, "Jo", "sponsor")
    send(client, "post", "/checkins/", {**VALUES, "struggling_for": [member.tie.pk]}, 302)
    counted = send(client, "post", "/checkins/", {**VALUES, "struggling_for": [other.pk]}, 302)
    assert len(counted.own) == 5 + 2 <= AT_MOST + 1, counted  # one DELETE, one INSERT
    assert list(CheckIn.objects.get(member=member).struggling_for.all()) == [other]


# --- The API -----------------------------------------------------------------------------------------


def test_the_first_check_in_of_the_day_through_the_api_with_a_token(member):
    client = token_client(member)
    body = {**VALUES, "struggling_for": [member.tie.pk]}
    counted = send(client, "post", "/api/v1/checkins", body, 201)
    # The chosen ties, INSERT, the ties it is meant for, the alert rules; the answer is built from
    # what was saved, not read back.
    assert len(counted.own) == 4 <= AT_MOST, counted
    # The token with its user, its roles (read once, with the token), last_used_at.
    assert len(counted.sign_in) == 3
    assert counted.whole == 4 + 3 + 2


def test_the_first_check_in_of_the_day_through_the_api_in_a_browser_session(member, client_for):
    body = {**VALUES, "struggling_for": [member.tie.pk]}
    counted = send(client_for(member), "post", "/api/v1/checkins", body, 201)
    assert len(counted.own) == 4 <= AT_MOST, counted
    assert len(counted.sign_in) == 4  # session, user, roles, second factor
    assert counted.whole == 4 + 4 + 2


def test_changing_todays_check_in_through_the_api(member):
    client = token_client(member)
    today = local_today(member).isoformat()
    send(client, "post", "/api/v1/checkins", {**VALUES, "struggling_for": [member.tie.pk]}, 201)
    counted = send(client, "patch", f"/api/v1/checkins/{today}", {"mood": 3}, 200)
    # The check-in, UPDATE, its ties (for the answer), the alert rules.
    assert len(counted.own) == 4 <= AT_MOST, counted
    assert len(counted.sign_in) == 2  # last_used_at was written a moment ago: not again this minute
    assert counted.whole == 4 + 2 + 2
    with_ties = send(
        client, "patch", f"/api/v1/checkins/{today}", {"mood": 4, "struggling_for": [member.tie.pk]}, 200
    )
    assert len(with_ties.own) == 5 <= AT_MOST, with_ties  # and the chosen ties, checked
    assert with_ties.own[0].startswith("SELECT")


def test_a_second_check_in_for_the_same_day_is_found_by_the_insert(member):
    client = token_client(member)
    send(client, "post", "/api/v1/checkins", VALUES, 201)
    counted = send(client, "post", "/api/v1/checkins", VALUES, 409)
    assert len(counted.own) == 1, counted  # the refused INSERT; nothing is written
    assert CheckIn.objects.filter(member=member).count() == 1


# --- When a rule fires ---------------------------------------------------------------------------------


def craving_for_two_days(member) -> None:
    today = local_today(member)
    CheckIn.objects.bulk_create(
        CheckIn(
            member=member, day=today - dt.timedelta(days=back), mood=5, craving=8, stress=5, sleep_quality=3
        )
        for back in (1, 2)
    )


@pytest.mark.parametrize("url", ["/checkins/", "/api/v1/checkins"])
def test_a_third_day_of_strong_craving_costs_the_alert_it_raises_and_no_more(riley, sam, client_for, url):
    """Raising an alert is the outbox at work, in the check-in's transaction: pinned on its own.

    Today that is the open alert of the kind (none), the alert, the ladder with its people and their
    ties, their consents, the notifications, the alert's rung, its timer, and the audit entry (on
    PostgreSQL also the audit lock and the NOTIFY that wakes the worker): 11 on SQLite, 13 on
    PostgreSQL. A bound, not the exact figure, so the alerts and audit work can change theirs.
    """
    ladder(riley, askable(riley, sam))
    craving_for_two_days(riley)
    form = url == "/checkins/"
    counted = send(client_for(riley), "post", url, {**VALUES, "craving": 8}, 302 if form else 201)
    assert Alert.objects.get(member=riley).kind == alert_logic.CRAVING
    check_in = 3 if form else 2  # as without an alert: (today's check-in,) INSERT, the alert rules
    assert counted.own[check_in - 1].startswith('SELECT "checkins_checkin"."day"'), counted  # the rules
    assert not any("alerts_" in sql for sql in counted.own[: check_in - 1]), counted
    assert 1 <= len(counted.own) - check_in <= RAISING_AN_ALERT_AT_MOST, counted


RAISING_AN_ALERT_AT_MOST = 14


@pytest.mark.django_db(transaction=True)
def test_outside_a_callers_transaction_a_second_check_in_needs_no_savepoint(riley):
    """The request's own transaction: a refused INSERT rolls it back whole (nothing was written before
    it), so no savepoint is sent; the day keeps its first check-in and the next request works."""
    client = token_client(riley)
    first = send(client, "post", "/api/v1/checkins", VALUES, 201)
    assert not [s for s in first.transaction if "SAVEPOINT" in s.upper()], first
    again = send(client, "post", "/api/v1/checkins", VALUES, 409)
    assert not [s for s in again.transaction if "SAVEPOINT" in s.upper()], again
    assert list(CheckIn.objects.filter(member=riley).values_list("mood", flat=True)) == [VALUES["mood"]]
    assert client.get("/api/v1/checkins").status_code == 200


def test_inside_a_callers_transaction_a_second_check_in_keeps_what_the_caller_wrote(riley):
    today = local_today(riley)
    do_save_checkin(CheckIn(day=today, **VALUES), None, acting_user=riley)
    with transaction.atomic():
        riley.display_name = "Riley R."
        riley.save(update_fields=["display_name"])
        with pytest.raises(ValidationError):
            do_save_checkin(CheckIn(day=today, **VALUES), None, acting_user=riley)
    riley.refresh_from_db()
    assert riley.display_name == "Riley R."
    assert CheckIn.objects.filter(member=riley).count() == 1
