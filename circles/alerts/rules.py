"""Signals become alerts here. Event rules run inside the transaction of the change that raised them;
the time rules (missed commitments, disengagement) run in the worker's periodic job.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, Max, Subquery

from circles.alerts import logic
from circles.alerts.models import Alert, AlertSettings, Rung
from circles.alerts.outbox import raise_alert
from circles.checkins.models import CheckIn, SafetySignal
from circles.lib.time import local_today
from circles.network.health import load_adherence
from circles.network.models import Commitment, Interaction


def alert_settings(member) -> AlertSettings:
    """The member's settings, unsaved defaults when they never changed any."""
    return AlertSettings.objects.filter(member=member).first() or AlertSettings(member=member)


def on_safety_signal(signal: SafetySignal) -> None:
    """A self-harm answer or a positive screen: an urgent alert in the same transaction, always."""
    if signal.source == SafetySignal.Source.HELP_NOW:
        return  # the help page offers SOS; the member confirms before anyone is asked
    facts = {"source": signal.source, "signal": signal.pk}
    raise_alert(signal.member, logic.SAFETY, facts=facts, now=signal.created_at)
    SafetySignal.objects.filter(pk=signal.pk).update(handled_at=signal.created_at)


# The check-in rules and what each reads from AlertSettings; a run is at most this many days long.
CHECKIN_RULE_FIELDS = (
    "return_to_use_on",
    "craving_on",
    "craving_level",
    "craving_days",
    "low_mood_on",
    "low_mood_level",
    "low_mood_days",
)
LONGEST_RUN = max(logic.THRESHOLD_BY_FIELD[field].high for field in ("craving_days", "low_mood_days"))


def _checkin_rule_inputs(member, today: dt.date) -> tuple[bool, AlertSettings, list[dict]]:
    """Whether the member has a ladder, their rules and their recent check-ins, in one query.

    Every check-in runs these rules, so the ladder and the settings ride along, as subqueries the
    database evaluates once, with the recent days (the longest run a member may choose, whatever they
    chose). No row means no check-in in those days: then no rule can hold.
    """
    own_settings = AlertSettings.objects.filter(member=member)
    rows = list(
        CheckIn.objects.filter(member=member, day__gt=today - dt.timedelta(days=LONGEST_RUN + 1))
        .annotate(
            has_ladder=Exists(Rung.objects.filter(member=member)),
            **{f"rule_{field}": Subquery(own_settings.values(field)) for field in CHECKIN_RULE_FIELDS},
        )
        .values("day", "craving", "mood", "has_ladder", *(f"rule_{field}" for field in CHECKIN_RULE_FIELDS))
    )
    if not rows:
        return False, AlertSettings(member=member), []
    first = rows[0]
    chosen = {field: first[f"rule_{field}"] for field in CHECKIN_RULE_FIELDS}
    rules = AlertSettings(
        member=member, **{field: value for field, value in chosen.items() if value is not None}
    )
    return bool(first["has_ladder"]), rules, rows


def on_checkin(checkin) -> None:
    """Craving, low mood and return-to-use rules, for a check-in just saved (in its transaction)."""
    member = checkin.member
    today = local_today(member)
    has_ladder, rules, rows = _checkin_rule_inputs(member, today)
    if not has_ladder:
        return
    if checkin.used and rules.return_to_use_on and checkin.day >= today - dt.timedelta(days=1):
        raise_alert(member, logic.RETURN_TO_USE, facts={"day": checkin.day.isoformat()})
    wanted = []
    if rules.craving_on:
        wanted.append((logic.CRAVING, "craving", rules.craving_level, rules.craving_days, True))
    if rules.low_mood_on:
        wanted.append((logic.LOW_MOOD, "mood", rules.low_mood_level, rules.low_mood_days, False))
    if not wanted:
        return
    values = {row["day"]: row for row in rows if row["day"] <= today}
    # The run ends today, or yesterday when today has no check-in yet.
    end = today if today in values else today - dt.timedelta(days=1)
    for kind, field, level, days, high in wanted:
        by_day = {day: row[field] for day, row in values.items()}
        holds = (lambda v, level=level: v >= level) if high else (lambda v, level=level: v <= level)
        if logic.streak_holds(by_day, end, days, holds):
            raise_alert(member, kind, facts={"level": level, "days": days, "until": end.isoformat()})


def check_time_rules(now: dt.datetime) -> int:
    """Missed commitments and disengagement for every member with a ladder. Returns alerts raised."""
    raised = 0
    members = {rung.member_id: rung.member for rung in Rung.objects.select_related("member")}
    if not members:
        return 0
    settings_by_member = {s.member_id: s for s in AlertSettings.objects.filter(member_id__in=members)}
    last_contact = dict(
        Interaction.objects.filter(member_id__in=members)
        .values("member_id")
        .annotate(last=Max("occurred_at"))
        .values_list("member_id", "last")
    )
    # A time rule fires again only when its condition starts anew: after contact since its last alert.
    last_raised = {
        (row["member_id"], row["kind"]): row["last"]
        for row in Alert.objects.filter(
            member_id__in=members, kind__in=(logic.DISENGAGEMENT, logic.MISSED_COMMITMENTS)
        )
        .values("member_id", "kind")
        .annotate(last=Max("created_at"))
    }
    for member_id, member in members.items():
        rules = settings_by_member.get(member_id) or AlertSettings(member=member)
        with transaction.atomic():
            if rules.disengagement_on:
                last = last_contact.get(member_id) or member.date_joined
                quiet_days = (now - last).days
                previous = last_raised.get((member_id, logic.DISENGAGEMENT))
                if quiet_days >= rules.disengaged_days and (previous is None or previous < last):
                    _alert, created = raise_alert(
                        member, logic.DISENGAGEMENT, facts={"days": quiet_days}, now=now
                    )
                    raised += created
            if rules.missed_commitments_on:
                raised += _missed_commitments(
                    member, rules, last_raised.get((member_id, logic.MISSED_COMMITMENTS)), now
                )
    return raised


def _missed_commitments(member, rules: AlertSettings, previous, now) -> int:
    commitments = list(Commitment.objects.filter(member=member).select_related("tie"))
    adherence = load_adherence(member, commitments) if commitments else {}
    worst = max(
        ((result.missed_in_a_row, c) for c in commitments if (result := adherence.get(c.pk))),
        default=(0, None),
        key=lambda pair: pair[0],
    )
    count, commitment = worst
    if commitment is None or count < rules.missed_commitments:
        return 0
    if previous is not None:
        last_contact = (
            Interaction.objects.filter(member=member, tie_id=commitment.tie_id).aggregate(
                last=Max("occurred_at")
            )
        )["last"]
        if last_contact is None or previous >= last_contact:
            return 0  # the same run of misses already asked the ladder
    facts = {"count": count, "title": commitment.title, "commitment": commitment.pk}
    _alert, created = raise_alert(member, logic.MISSED_COMMITMENTS, facts=facts, now=now)
    return int(created)
