"""Check-in test data made through the same actions the pages use."""

import datetime as dt

from circles.checkins import logic
from circles.checkins.actions import do_save_answers, do_save_checkin, do_start_assessment
from circles.checkins.models import Assessment, CheckIn
from circles.lib.time import local_today


def make_checkin(member, day: dt.date | None = None, **fields) -> CheckIn:
    values = {"mood": 6, "craving": 3, "stress": 4, "sleep_quality": 4, **fields}
    checkin = CheckIn(member=member, day=day or local_today(member), **values)
    return do_save_checkin(checkin, [], acting_user=member)


def answers_at(code: str, value_index: int = 0) -> dict:
    """Complete answers choosing each item's option at `value_index` (clamped), skip logic respected."""
    answers: dict = {}
    for item in logic.INSTRUMENTS[code].structure.enabled({}):
        if item.kind == "boolean":
            answers[item.link_id] = False
        else:
            values = sorted(item.values)
            answers[item.link_id] = values[min(value_index, len(values) - 1)]
    return answers


def complete(member, code: str, answers: dict | None = None) -> Assessment:
    assessment = do_start_assessment(member, code, language="en")
    return do_save_answers(assessment, answers or answers_at(code), complete=True, acting_user=member)


def riley_checkins(riley) -> dict:
    """Riley's records the permission grid probes: today's check-in, a completed PHQ-9, a saved GAD-7."""
    checkin = make_checkin(riley, struggling="Marguerite's birthday is hard", helped="a long walk")
    phq9 = complete(riley, "phq9", answers_at("phq9", 1))
    saved = do_save_answers(
        do_start_assessment(riley, "gad7", language="en"), {"1": 1}, complete=False, acting_user=riley
    )
    return {"checkin": checkin, "phq9": phq9, "saved": saved}
