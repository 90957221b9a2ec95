"""The progress page: check-ins, scores with bands and weekly contact on one time axis; MSPSS and
BARC-10 beside the network's composition."""

import datetime as dt

from circles.checkins.tests.factories import answers_at, complete, make_checkin
from circles.lib.time import local_today
from circles.network.actions import do_log_interaction
from circles.network.models import Interaction
from circles.network.tests.factories import make_tie


def test_progress_page_draws_every_chart_with_a_table(riley, client_for):
    today = local_today(riley)
    for days_ago in (1, 2, 5):
        make_checkin(riley, today - dt.timedelta(days=days_ago) if days_ago <= 3 else today, mood=days_ago)
    complete(riley, "phq9", answers_at("phq9", 1))
    complete(riley, "bam", answers_at("bam", 1))
    tie = make_tie(riley, "Sam", "sponsor")
    do_log_interaction(Interaction(tie=tie, kind="call"), acting_user=riley)
    page = client_for(riley).get("/checkins/progress/?days=30").content.decode()
    assert page.count("<svg") >= 4 and page.count("<table") >= 4
    assert "Depression (PHQ-9)" in page and "Recovery check-up (BAM)" in page
    assert "Mild" in page or "Minimal" in page  # the band shading is labelled
    assert "Risk factors" in page  # BAM draws its subscales, named
    assert "Contact with your network per week" in page


def test_windows_and_odd_values(riley, client_for):
    client = client_for(riley)
    for days in ("30", "90", "365", "7", "abc", ""):
        assert client.get(f"/checkins/progress/?days={days}").status_code == 200
    api = client.get("/api/v1/trajectory?days=365").json()
    assert api["days"] == 365 and len(api["weeks"]) in (53, 54)
    bad = client.get("/api/v1/trajectory?days=7")
    assert bad.status_code == 400 and "days" in bad.json()["errors"]


def test_api_trajectory_shares_the_axis(riley, client_for):
    today = local_today(riley)
    make_checkin(riley, today, mood=8)
    complete(riley, "who5", answers_at("who5", 3))
    body = client_for(riley).get("/api/v1/trajectory?days=30").json()
    assert body["start"] == (today - dt.timedelta(days=29)).isoformat() and body["today"] == today.isoformat()
    assert body["checkins"][0]["mood"] == 8
    who5 = body["instruments"][0]
    assert who5["instrument"] == "who5" and who5["points"][0]["total"] == 60.0 and who5["bands"]
    assert dt.date.fromisoformat(body["weeks"][0]["week_start"]) <= dt.date.fromisoformat(body["start"])


def test_circle_page_shows_support_and_recovery_capital_beside_composition(riley, client_for):
    client = client_for(riley)
    assert (
        "Fill in the support and recovery-capital questionnaires" in client.get("/network/").content.decode()
    )
    complete(riley, "mspss", answers_at("mspss", 5))  # every answer 6 of 7
    complete(riley, "barc10", answers_at("barc10", 5))  # every answer 6 of 6: 60
    page = client.get("/network/").content.decode()
    assert "Perceived support (MSPSS, 1–7)" in page and ">6</a>" in page
    assert "Recovery capital (BARC-10, 10–60)" in page and ">60</a>" in page


def test_health_api_carries_the_latest_mspss_and_barc10(riley, client_for):
    client = client_for(riley)
    assert client.get("/api/v1/network/health").json()["perceived_support"] is None
    mspss = complete(riley, "mspss", answers_at("mspss", 6))
    body = client.get("/api/v1/network/health").json()
    assert (
        body["perceived_support"]["assessment_id"] == mspss.pk and body["perceived_support"]["total"] == 7.0
    )
    assert body["perceived_support"]["subscales"] == {"significant_other": 7.0, "family": 7.0, "friends": 7.0}
    assert body["recovery_capital"] is None
