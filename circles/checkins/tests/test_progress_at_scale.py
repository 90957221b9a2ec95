"""The progress page over a year of check-ins: under 100 KB, a weekly table, every day in the history."""

import datetime as dt
import re

from circles.checkins.models import CheckIn
from circles.checkins.trajectory import DayPoint, Trajectory
from circles.lib.time import local_today
from circles.network.models import Interaction
from circles.network.tests.factories import make_tie


def test_a_week_of_check_ins_is_averaged():
    monday = dt.date(2026, 11, 16)
    points = [
        DayPoint(monday, mood=4, craving=6, stress=5, used=False),
        DayPoint(monday + dt.timedelta(days=2), mood=7, craving=1, stress=2, used=True),
        DayPoint(monday + dt.timedelta(days=8), mood=5, craving=5, stress=5, used=False),
    ]
    trajectory = Trajectory(monday, monday + dt.timedelta(days=9), 365, points, [], [])
    first, second = trajectory.checkin_weeks()
    assert (first.monday, first.days, first.mood, first.craving, first.stress, first.days_used) == (
        monday,
        2,
        5.5,
        3.5,
        3.5,
        1,
    )
    assert (second.monday, second.days, second.days_used) == (monday + dt.timedelta(days=7), 1, 0)
    assert not trajectory.daily_table


def test_a_year_of_check_ins_and_contact_stays_under_100_kb(riley, client_for):
    today = local_today(riley)
    CheckIn.objects.bulk_create(
        CheckIn(
            member=riley,
            day=today - dt.timedelta(days=n),
            mood=n % 11,
            craving=(n * 3) % 11,
            stress=(n * 7) % 11,
            sleep_quality=1 + n % 5,
            used=n % 40 == 0,
        )
        for n in range(1, 366)
        if n % 10  # a day missed now and then breaks the lines
    )
    ties = [make_tie(riley, f"Person {i}", r) for i, r in enumerate(["friend", "sponsor", "counselor"])]
    start = dt.datetime.now(dt.UTC)
    Interaction.objects.bulk_create(
        Interaction(member=riley, tie=ties[n % 3], kind="call", occurred_at=start - dt.timedelta(hours=7 * n))
        for n in range(1, 1250)
    )
    client = client_for(riley)
    year = client.get("/checkins/progress/?days=365").content.decode()
    assert len(year.encode()) < 100_000, f"{len(year.encode())} bytes"
    assert "Check-ins, week by week: averages" in year and 'href="/checkins/history/"' in year
    assert "each week&#x27;s averages" in year or "each week's averages" in year
    weekly = year[year.index("days-caption") : year.index("</table>", year.index("days-caption"))]
    assert len(re.findall(r"<tr><th scope=\"row\">", weekly)) in (52, 53, 54)
    quarter = client.get("/checkins/progress/?days=90").content.decode()
    assert "Check-ins, week by week" not in quarter
    assert quarter.count('<tr><th scope="row">') >= 81  # every day checked in, one row each
